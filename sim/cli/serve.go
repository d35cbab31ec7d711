package cli

import (
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/store"
)

// maxListed bounds the runs the list shows, newest first.
const maxListed = 500

// Serve is `scripts/sim serve [--store DIR] [--addr HOST:PORT]`: it serves
// the run store on localhost (see NewViewer) until it is killed.
func Serve(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sim serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	root := fs.String("store", "store", "the run store's `dir`")
	addr := fs.String("addr", "127.0.0.1:8080", "`host:port` to listen on")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: scripts/sim serve [--store DIR] [--addr HOST:PORT]\n\nServes the run store (scripts/sim's and Maelstrom's runs) as web pages.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitValid
		}
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sim serve: unexpected argument %q\n", fs.Arg(0))
		return ExitUsage
	}
	if st, err := os.Stat(*root); err != nil || !st.IsDir() {
		fmt.Fprintf(stderr, "sim serve: no run store at %s (run scripts/sim first, or give --store)\n", *root)
		return ExitUsage
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "sim serve: %v\n", err)
		return ExitUsage
	}
	fmt.Fprintf(stdout, "Serving %s at http://%s/\n", *root, ln.Addr())
	srv := &http.Server{Handler: NewViewer(*root), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stderr, "sim serve: %v\n", srv.Serve(ln))
	return ExitUsage
}

// NewViewer serves a run store: at / the list of runs, newest first, with
// their verdict, workload, configuration and key figures; at
// /run/<workload>/<time>/ a run's page (summary, anomalies, Lamport
// diagram, latency and rate plots, links to its files); at /files/ the
// store's files.
func NewViewer(root string) http.Handler {
	v := &viewer{root: root}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", v.list)
	mux.HandleFunc("GET /run/{workload}/{time}/{$}", v.run)
	files := http.StripPrefix("/files/", http.FileServer(http.Dir(root)))
	mux.Handle("GET /files/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch path.Ext(r.URL.Path) {
		case ".edn", ".jsonl", ".log", ".txt":
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		}
		files.ServeHTTP(w, r)
	}))
	return mux
}

type viewer struct{ root string }

// runInfo is one run as the viewer shows it.
type runInfo struct {
	Workload, Time string
	Verdict        store.Verdict // "" for incomplete
	Config         *store.Config // nil for runs without config.json (Maelstrom's)
	Report         *sim.Report   // nil for runs without results.json
	Error          string        // why the run could not happen
	Files          []string      // relative to the run's directory
}

// Class is the verdict as a CSS class.
func (ri *runInfo) Class() string {
	switch ri.Verdict {
	case store.Valid:
		return "valid"
	case store.Invalid:
		return "invalid"
	case store.Unknown:
		return "unknown"
	}
	return "incomplete"
}

// Label is the verdict in words.
func (ri *runInfo) Label() string {
	if ri.Verdict == "" {
		return "incomplete"
	}
	if ri.Verdict == store.Unknown {
		return ":unknown"
	}
	return string(ri.Verdict)
}

// Summary is the configuration in a line.
func (ri *runInfo) Summary() string {
	c := ri.Config
	if c == nil {
		return ""
	}
	s := fmt.Sprintf("%d nodes, %g s at %g/s, %d clients, latency %g ms %s", c.NodeCount, c.TimeLimit, c.Rate, c.Concurrency, c.Latency, c.LatencyDist)
	if len(c.Nemesis) > 0 {
		s += fmt.Sprintf(", %s every %g s", strings.Join(c.Nemesis, ","), c.NemesisInterval)
	}
	if c.Topology != "" && c.Topology != "grid" {
		s += ", topology " + c.Topology
	}
	if c.Bin != "" {
		s += ", " + filepath.Base(c.Bin)
	}
	return s
}

// Dir is the run's path under /files/.
func (ri *runInfo) Dir() string { return ri.Workload + "/" + ri.Time }

// ByF lists the report's per-:f counts in order of :f.
func (ri *runInfo) ByF() []fRow {
	var rows []fRow
	if ri.Report == nil {
		return nil
	}
	for _, f := range slices.Sorted(maps.Keys(ri.Report.ByF)) {
		c := ri.Report.ByF[f]
		row := fRow{F: f, FCounts: c}
		for _, e := range slices.SortedFunc(maps.Keys(c.Errors), func(a, b string) int { return cmp.Compare(c.Errors[b], c.Errors[a]) }) {
			row.Errors = append(row.Errors, fmt.Sprintf("%d× %s", c.Errors[e], e))
		}
		rows = append(rows, row)
	}
	return rows
}

type fRow struct {
	F string
	sim.FCounts
	Errors []string
}

// load reads what the viewer shows of a run's directory.
func (v *viewer) load(workload, t string, files bool) *runInfo {
	dir := filepath.Join(v.root, workload, t)
	ri := &runInfo{Workload: workload, Time: t}
	if b, err := os.ReadFile(filepath.Join(dir, store.ConfigJSON)); err == nil {
		var c store.Config
		if json.Unmarshal(b, &c) == nil {
			ri.Config = &c
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, store.ResultsJSON)); err == nil {
		var rep sim.Report
		var failed struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &failed) == nil && failed.Error != "" {
			ri.Error = failed.Error
		} else if json.Unmarshal(b, &rep) == nil {
			ri.Report = &rep
		}
	}
	if f, err := os.Open(filepath.Join(dir, store.ResultsEDN)); err == nil {
		if res, err := store.ReadEDN(f); err == nil {
			ri.Verdict = store.VerdictOf(res)
		}
		f.Close()
	}
	if files {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(dir, p)
				ri.Files = append(ri.Files, filepath.ToSlash(rel))
			}
			return nil
		})
	}
	return ri
}

// runs lists the store's runs, newest first: directories
// <workload>/<time>, without the latest links.
func (v *viewer) runs() [][2]string {
	var out [][2]string
	workloads, _ := os.ReadDir(v.root)
	for _, w := range workloads {
		if !w.IsDir() { // symbolic links are not directories here
			continue
		}
		times, _ := os.ReadDir(filepath.Join(v.root, w.Name()))
		for _, t := range times {
			if t.IsDir() {
				out = append(out, [2]string{w.Name(), t.Name()})
			}
		}
	}
	slices.SortFunc(out, func(a, b [2]string) int { return cmp.Or(cmp.Compare(b[1], a[1]), cmp.Compare(a[0], b[0])) })
	return out
}

func (v *viewer) list(w http.ResponseWriter, r *http.Request) {
	all := v.runs()
	shown := all[:min(len(all), maxListed)]
	var infos []*runInfo
	for _, wt := range shown {
		infos = append(infos, v.load(wt[0], wt[1], false))
	}
	render(w, listPage, map[string]any{"Root": v.root, "Runs": infos, "Total": len(all)})
}

func (v *viewer) run(w http.ResponseWriter, r *http.Request) {
	wl, t := r.PathValue("workload"), r.PathValue("time")
	for _, name := range []string{wl, t} {
		if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
			http.NotFound(w, r)
			return
		}
	}
	if st, err := os.Stat(filepath.Join(v.root, wl, t)); err != nil || !st.IsDir() {
		http.NotFound(w, r)
		return
	}
	ri := v.load(wl, t, true)
	var plots []store.Plot
	for _, p := range store.Plots {
		if slices.Contains(ri.Files, p.File) {
			plots = append(plots, p)
		}
	}
	render(w, runPage, map[string]any{"Run": ri, "SVG": slices.Contains(ri.Files, store.MessagesSVG), "Plots": plots})
}

func render(w http.ResponseWriter, t *template.Template, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := t.Execute(w, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

const pageStyle = `<style>
body{font-family:sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse} td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
.valid{background:#b7f0b1} .unknown{background:#ffcf87} .invalid{background:#ffa8a8} .incomplete{background:#e4e4e4}
.ops{margin:4px 0 8px;color:#222;font-size:90%} .verdict{font-weight:bold} .num{text-align:right} .err{color:#a00} code{font-size:90%}
.diagram{border:1px solid #ccc;max-width:100%;overflow:auto;max-height:80vh}
.plot{display:block;border:1px solid #eee;max-width:100%;height:auto}
</style>`

var listPage = template.Must(template.New("list").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Runs in {{.Root}}</title>` + pageStyle + `</head><body>
<h1>Runs in {{.Root}}</h1>
{{if not .Runs}}<p>No runs yet: run <code>scripts/sim -w echo --node-count 1 --time-limit 10</code>.</p>{{else}}
<table id="runs">
<tr><th>Time</th><th>Workload</th><th>Valid?</th><th>Configuration</th><th class="num">Ops</th><th class="num">Msgs/op</th><th class="num">Availability</th><th>Files</th></tr>
{{range .Runs}}<tr class="run {{.Class}}">
<td><a href="/run/{{.Workload}}/{{.Time}}/">{{.Time}}</a></td><td>{{.Workload}}</td><td class="verdict">{{.Label}}</td>
<td>{{.Summary}}{{with .Error}} <span class="err">could not run: {{.}}</span>{{end}}</td>
{{with .Report}}<td class="num">{{.Ops.Invoked}}</td><td class="num">{{printf "%.2f" .Net.All.MsgsPerOp}}</td><td class="num">{{printf "%.4f" .Availability}}</td>{{else}}<td></td><td></td><td></td>{{end}}
<td><a href="/files/{{.Dir}}/results.edn">results</a> <a href="/files/{{.Dir}}/">files</a></td>
</tr>
{{end}}</table>
{{if gt .Total (len .Runs)}}<p>The newest {{len .Runs}} of {{.Total}} runs.</p>{{end}}{{end}}
</body></html>`))

var runPage = template.Must(template.New("run").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Run.Workload}} {{.Run.Time}}</title>` + pageStyle + `</head><body>
{{with .Run}}
<p><a href="/">All runs</a></p>
<h1 class="{{.Class}}">{{.Workload}} {{.Time}}: <span class="verdict">{{.Label}}</span></h1>
{{with .Summary}}<p>{{.}}{{with $.Run.Config}}, seed {{.Seed}}{{end}}</p>{{end}}
{{with .Error}}<p class="err">The run could not happen: {{.}}</p>{{end}}
{{with .Report}}
<h2>Summary</h2>
<table>
<tr><th>Operations</th><td>{{.Ops.Invoked}} invoked: {{.Ops.OK}} ok, {{.Ops.Fail}} fail, {{.Ops.Info}} info; availability {{printf "%.4f" .Availability}}</td></tr>
<tr><th>Messages</th><td>{{.Net.All.Msgs}} ({{printf "%.2f" .Net.All.MsgsPerOp}}/op); between servers {{.Net.Servers.Msgs}} ({{printf "%.2f" .Net.Servers.MsgsPerOp}}/op); {{.Net.Dropped}} lost to partitions, {{.Net.Unroutable}} to no such node</td></tr>
<tr><th>Time</th><td>{{printf "%.1f" .VirtualSeconds}} s simulated, {{printf "%.2f" .WallSeconds}} s wall</td></tr>
{{with .StableLatenciesMS}}<tr><th>Stable latency</th><td>{{range $q, $ms := .}}{{$q}}: {{$ms}} ms &nbsp; {{end}}</td></tr>{{end}}
{{range $typ, $q := .OpLatenciesMS}}<tr><th>Latency {{$typ}}</th><td>{{range $k, $ms := $q}}{{$k}}: {{$ms}} ms &nbsp; {{end}}</td></tr>{{end}}
{{range .Nemesis}}<tr><th>Nemesis</th><td>{{.Action}} {{.Shape}} at {{printf "%.2f" .At}} s</td></tr>{{end}}
</table>
{{end}}
{{with .ByF}}<h2>Operations by :f</h2>
<table><tr><th>:f</th><th class="num">ok</th><th class="num">fail</th><th class="num">info</th><th>errors</th></tr>
{{range .}}<tr><td>{{.F}}</td><td class="num">{{.OK}}</td><td class="num">{{.Fail}}</td><td class="num">{{.Info}}</td><td>{{range .Errors}}{{.}}<br>{{end}}</td></tr>{{end}}
</table>{{end}}
{{with .Report}}
<h2>Anomalies</h2>
{{if .Anomalies}}<ul id="anomalies">{{range .Anomalies}}<li class="err"><b>{{.Kind}}</b>: {{.Detail}}{{template "ops" .Ops}}</li>{{end}}</ul>{{else}}<p>None.</p>{{end}}
{{with .Strict}}<h3>The simulator's stricter checks</h3><ul>{{range .}}<li><b>{{.Kind}}</b>: {{.Detail}}{{template "ops" .Ops}}</li>{{end}}</ul>{{end}}
{{with .Warnings}}<h3>Warnings</h3><ul>{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{end}}
{{if $.SVG}}<h2>Messages</h2>
<p>A Lamport diagram: time goes down; hover over an arrow for its message. <a href="/files/{{.Dir}}/messages.svg">Open it alone</a>, or read <a href="/files/{{.Dir}}/messages.jsonl">the whole journal</a>.</p>
<div class="diagram"><object id="lamport" type="image/svg+xml" data="/files/{{.Dir}}/messages.svg">messages.svg</object></div>
{{end}}
{{with $.Plots}}<h2>Performance</h2>
{{range .}}<h3>{{.Title}}</h3>
<p>{{.About}} <a href="/files/{{$.Run.Dir}}/{{.File}}">{{.File}}</a></p>
<img class="plot" src="/files/{{$.Run.Dir}}/{{.File}}" alt="{{.Title}}">
{{end}}{{end}}
<h2>Files</h2>
<ul>{{range .Files}}<li><a href="/files/{{$.Run.Dir}}/{{.}}">{{.}}</a></li>{{end}}</ul>
{{end}}
</body></html>
{{define "ops"}}{{with .}}<table class="ops">
<tr><th class="num">op</th><th>process</th><th>node</th><th>:f</th><th>type</th><th class="num">invoked ms</th><th class="num">completed ms</th><th>error</th></tr>
{{range .}}<tr><td class="num">{{.Index}}</td><td>{{.Process}}</td><td>{{.Node}}</td><td>{{.F}}</td><td>{{.Type}}</td><td class="num">{{printf "%.1f" .InvokeMS}}</td><td class="num">{{printf "%.1f" .CompleteMS}}</td><td>{{.Error}}</td></tr>
{{end}}</table>{{end}}{{end}}`))

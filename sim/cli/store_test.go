package cli

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glomers/glomers/sim/store"
)

// TestStore: a run with --store writes every file of its directory, and
// they agree with the report: the verdict in results.edn, the history's
// lines with the op counts, the journal's messages with net.all.msgs, an
// arrow of the diagram per message; its plots are SVG.
func TestStore(t *testing.T) {
	root := t.TempDir()
	code, out, errOut := run(t, "-w", "broadcast", "--node-count", "3", "--time-limit", "3", "--rate", "20", "--latency", "10",
		"--nemesis", "partition", "--nemesis-interval", "1", "--seed", "3", "--json", "--store", root)
	if code != ExitValid {
		t.Fatalf("status %d: %s\n%s", code, errOut, out)
	}
	var rep struct {
		Valid bool   `json:"valid"`
		Store string `json:"store"`
		Ops   struct{ Invoked, OK, Fail, Info int }
		Net   struct {
			All     struct{ Msgs int }
			Dropped int
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	dir := rep.Store
	if !strings.HasPrefix(dir, filepath.Join(root, "broadcast")+"/") {
		t.Fatalf("store %q is not under %s/broadcast", dir, root)
	}
	for _, f := range []string{store.ResultsEDN, store.ResultsJSON, store.ConfigJSON, store.HistoryTxt, store.HistoryJSONL,
		store.MessagesFile, store.MessagesSVG, "node-logs/n0.log", "node-logs/n2.log"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	for link, want := range map[string]string{filepath.Join(root, "latest"): dir, filepath.Join(root, "broadcast", "latest"): dir} {
		if got, err := filepath.EvalSymlinks(link); err != nil || got != want {
			t.Errorf("%s -> %q (%v), want %q", link, got, err, want)
		}
	}

	f, err := os.Open(filepath.Join(dir, store.ResultsEDN))
	if err != nil {
		t.Fatal(err)
	}
	res, err := store.ReadEDN(f)
	f.Close()
	if err != nil {
		t.Fatalf("results.edn: %v", err)
	}
	m := res.(map[any]any)
	if store.VerdictOf(res) != store.Valid || m[store.Keyword("store")] != dir {
		t.Errorf("results.edn says :valid? %v, :store %v", m[store.Keyword("valid?")], m[store.Keyword("store")])
	}
	if ops := m[store.Keyword("ops")].(map[any]any); ops[store.Keyword("invoked")] != int64(rep.Ops.Invoked) {
		t.Errorf("results.edn :ops %v, report %+v", ops, rep.Ops)
	}

	// history.txt: an invocation and a completion per op, nemesis aside.
	count := map[string]int{}
	lines(t, filepath.Join(dir, store.HistoryTxt), func(l string) {
		fields := strings.Split(l, "\t")
		if len(fields) < 4 {
			t.Errorf("history line %q", l)
			return
		}
		if fields[0] != ":nemesis" {
			count[fields[1]]++
		}
	})
	if count[":invoke"] != rep.Ops.Invoked || count[":ok"] != rep.Ops.OK || count[":fail"] != rep.Ops.Fail || count[":info"] != rep.Ops.Info {
		t.Errorf("history.txt counts %v, report %+v", count, rep.Ops)
	}
	// history.jsonl: the same events, numbered in order, with what every
	// ok read returned (which the run itself no longer keeps).
	n, index := 0, 0
	lines(t, filepath.Join(dir, store.HistoryJSONL), func(l string) {
		var e struct {
			Index   int
			Type, F string
			Process any
			Value   any
		}
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Errorf("history.jsonl: %v", err)
		}
		if e.Index != index {
			t.Errorf("history.jsonl line %d has index %d", index, e.Index)
		}
		index++
		if _, isList := e.Value.([]any); e.Type == "ok" && e.F == "read" && !isList {
			t.Errorf("ok read without the values it read: %s", l)
		}
		if e.Process != "nemesis" {
			n++
		}
	})
	if n != 2*rep.Ops.Invoked {
		t.Errorf("history.jsonl has %d client events for %d ops", n, rep.Ops.Invoked)
	}

	// The journal: every message counted, the dropped ones marked.
	msgs, dropped := 0, 0
	lines(t, filepath.Join(dir, store.MessagesFile), func(l string) {
		var m store.Message
		if err := json.Unmarshal([]byte(l), &m); err != nil || m.Src == "" || m.Dest == "" || m.Type == "" {
			t.Errorf("journal line %q: %v", l, err)
		}
		if m.RecvMS != nil && *m.RecvMS < m.SentMS {
			t.Errorf("delivered before sent: %s", l)
		}
		msgs++
		if m.Dropped {
			dropped++
		}
	})
	if msgs != rep.Net.All.Msgs || dropped != rep.Net.Dropped || dropped == 0 {
		t.Errorf("journal: %d messages, %d dropped; report: %d, %d", msgs, dropped, rep.Net.All.Msgs, rep.Net.Dropped)
	}
	if msgs > store.MaxDiagramMessages {
		t.Fatalf("%d messages: more than the diagram draws", msgs)
	}
	if arrows := svgMessages(t, filepath.Join(dir, store.MessagesSVG)); arrows != msgs {
		t.Errorf("messages.svg has %d arrows for %d messages", arrows, msgs)
	}

	// The plots: SVG, with a point style per :f and outcome.
	for _, p := range store.Plots {
		b, err := os.ReadFile(filepath.Join(dir, p.File))
		if err != nil {
			t.Fatal(err)
		}
		if err := xml.Unmarshal(b, new(struct {
			XMLName xml.Name `xml:"svg"`
		})); err != nil {
			t.Errorf("%s: %v", p.File, err)
		}
		if p.File != store.LatencyQuantilesSVG && !strings.Contains(string(b), "broadcast ok (") {
			t.Errorf("%s has no broadcast ok ops", p.File)
		}
	}
}

// lines calls f with each line of a file.
func lines(t *testing.T, path string, f func(string)) {
	t.Helper()
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		f(sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

// svgMessages decodes an SVG file as XML and counts its message arrows.
func svgMessages(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := store.DiagramArrows(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return n
}

// TestNoStore: Go tests write no store unless asked, and --no-store wins
// over --store.
func TestNoStore(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	other := filepath.Join(dir, "elsewhere")
	for _, args := range [][]string{nil, {"--store", other, "--no-store"}} {
		code, out, errOut := run(t, append([]string{"-w", "echo", "--node-count", "1", "--time-limit", "1", "--seed", "1"}, args...)...)
		if code != ExitValid || strings.Contains(out, "store ") {
			t.Errorf("%v: status %d, %s\n%s", args, code, errOut, out)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files written: %v", entries)
	}
}

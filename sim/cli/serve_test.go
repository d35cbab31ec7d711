package cli

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/store"
)

// TestViewer: the list shows a valid and an invalid run, newest first, in
// their colours with their figures; a run's page shows its anomalies with
// the operations involved, and
// embeds its Lamport diagram and its plots, which the viewer serves; a
// run without plots shows none.
func TestViewer(t *testing.T) {
	root := t.TempDir()
	start := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	for i, valid := range []bool{true, false} {
		r, err := store.Create(root, "echo", start.Add(time.Duration(i)*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		r.Journal(sim.JournalEntry{Src: "c0", Dest: "n0", Type: "echo", MsgID: 1, Sent: 0, Delivered: 0})
		rep := &sim.Report{Workload: "echo", Valid: valid, Ops: sim.OpCounts{Invoked: 4, OK: 4}, Availability: 1,
			Net: sim.NetStats{All: sim.MsgCount{Msgs: 1, MsgsPerOp: 0.25}}, Store: r.Dir}
		rep.History = sim.History{{F: "echo", Status: sim.OK, Complete: 5 * time.Millisecond},
			{Index: 1, Process: 3, Node: "n0", F: "echo", Status: sim.Fail, Error: "net-timeout", Invoke: time.Second, Complete: time.Second + 2*time.Millisecond}}
		if !valid {
			rep.Anomalies = []sim.Anomaly{{Kind: "mismatch", Detail: "echoed <something> else", Ops: []sim.OpRef{rep.History[1].Ref()}}}
		}
		if err := r.Finish(sim.Config{Workload: "echo", NodeCount: 1}, rep); err != nil {
			t.Fatal(err)
		}
		if i == 0 { // only the newer, invalid run has plots
			continue
		}
		if err := r.WritePlots(rep); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(NewViewer(root))
	defer srv.Close()

	list := get(t, srv.URL+"/", "text/html")
	rows := regexp.MustCompile(`<tr class="run (\w+)">\s*<td><a href="(/run/[^"]+)"`).FindAllStringSubmatch(list, -1)
	if len(rows) != 2 || rows[0][1] != "invalid" || rows[1][1] != "valid" {
		t.Fatalf("want the invalid run, then the older valid one:\n%s", list)
	}
	for _, want := range []string{".valid{background:#b7f0b1}", ".invalid{background:#ffa8a8}", ".unknown{background:#ffcf87}", "0.25", "1 nodes"} {
		if !strings.Contains(list, want) {
			t.Errorf("list has no %q", want)
		}
	}

	page := get(t, srv.URL+rows[0][2], "text/html")
	svg := regexp.MustCompile(`<object id="lamport" type="image/svg\+xml" data="([^"]+)"`).FindStringSubmatch(page)
	if svg == nil || !strings.Contains(page, "echoed &lt;something&gt; else") || !strings.Contains(page, "history.txt") {
		t.Fatalf("run page without its diagram, anomaly or history:\n%s", page)
	}
	opRow := `<tr><td class="num">1</td><td>3</td><td>n0</td><td>echo</td><td>fail</td><td class="num">1000.0</td><td class="num">1002.0</td><td>net-timeout</td></tr>`
	if !strings.Contains(page, opRow) {
		t.Errorf("run page does not list the anomaly's operation as %s:\n%s", opRow, page)
	}
	if n, err := store.DiagramArrows(strings.NewReader(get(t, srv.URL+svg[1], "image/svg+xml"))); err != nil || n != 1 {
		t.Errorf("served diagram: %d arrows, %v", n, err)
	}
	for _, p := range store.Plots {
		img := regexp.MustCompile(`<h3>` + p.Title + `</h3>\s*<p>[^<]*<a href="([^"]+)">` + p.File + `</a></p>\s*<img class="plot" src="([^"]+)"`).FindStringSubmatch(page)
		if img == nil || img[1] != img[2] || !strings.HasSuffix(img[2], "/"+p.File) {
			t.Errorf("run page does not show %s:\n%s", p.File, page)
			continue
		}
		if err := xml.Unmarshal([]byte(get(t, srv.URL+img[2], "image/svg+xml")), new(struct {
			XMLName xml.Name `xml:"svg"`
		})); err != nil {
			t.Errorf("served %s: %v", p.File, err)
		}
	}
	if older := get(t, srv.URL+rows[1][2], "text/html"); strings.Contains(older, `class="plot"`) {
		t.Errorf("a run without plots shows some:\n%s", older)
	}
	get(t, srv.URL+"/files/echo/latest/results.edn", "text/plain")
	for _, bad := range []string{"/run/echo/nope/", "/run/../x/", "/files/../x"} {
		if resp, err := http.Get(srv.URL + bad); err != nil || resp.StatusCode == http.StatusOK {
			t.Errorf("GET %s: %v %v", bad, resp.Status, err)
		}
	}
}

// get fetches a page that must be there with the content type.
func get(t *testing.T, url, contentType string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), contentType) {
		t.Fatalf("GET %s: %s, %s:\n%s", url, resp.Status, resp.Header.Get("Content-Type"), b)
	}
	return string(b)
}

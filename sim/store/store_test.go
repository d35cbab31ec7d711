package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/glomers/glomers/sim"
)

// TestResultsEDN: results.edn reads back as the verdict it claims, with
// the report's fields as keywords and awkward strings intact.
func TestResultsEDN(t *testing.T) {
	report := []byte(`{"workload":"lin-kv","valid":false,"unknown":true,"seed":"7","ops":{"invoked":3,"msgs_per_op":0.5},
		"stable_latencies_ms":{"0.5":1e-05},"anomalies":[{"kind":"lost","detail":"a \"quoted\"\n\\ text\u0001"}],"stats":null}`)
	for _, v := range []Verdict{Valid, Invalid, Unknown} {
		var b bytes.Buffer
		w := bufio.NewWriter(&b)
		if err := writeResults(w, v, report); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		res, err := ReadEDN(&b)
		if err != nil {
			t.Fatalf("%s: %v\n%s", v, err, b.String())
		}
		m := res.(map[any]any)
		if VerdictOf(res) != v || m[Keyword("workload")] != "lin-kv" || m[Keyword("seed")] != "7" || m[Keyword("stats")] != nil {
			t.Errorf("%s: read %v", v, res)
		}
		if _, ok := m[Keyword("unknown")]; ok {
			t.Errorf("the report's own unknown is in results.edn")
		}
		ops := m[Keyword("ops")].(map[any]any)
		if ops[Keyword("invoked")] != int64(3) || ops[Keyword("msgs-per-op")] != 0.5 {
			t.Errorf("ops %v", ops)
		}
		a := m[Keyword("anomalies")].([]any)[0].(map[any]any)
		if a[Keyword("detail")] != "a \"quoted\"\n\\ text\x01" {
			t.Errorf("detail %q", a[Keyword("detail")])
		}
	}
	// What Jepsen writes reads too: tags, sets, comments, discards.
	res, err := ReadEDN(strings.NewReader(`; a comment
		{:valid? :unknown, :x #jepsen.history.Op{:f :read}, :s #{1 2}, #_ :gone :y (1 2.5 "z" \c sym nil)}`))
	if err != nil || VerdictOf(res) != Unknown || len(res.(map[any]any)) != 4 {
		t.Errorf("read %v, %v", res, err)
	}
}

// TestDiagram: the Lamport diagram is XML with an arrow per message, up to
// its cap, past which a note says how many were left out.
func TestDiagram(t *testing.T) {
	var journal bytes.Buffer
	n := 30
	for i := range n {
		recv := fmt.Sprintf("%d", i+5)
		extra := ""
		switch i {
		case 3:
			extra = `,"dropped":true`
		case n - 1:
			recv = "null"
		}
		fmt.Fprintf(&journal, `{"src":"n%d","dest":"c%d","type":"echo<&>_ok","sent_ms":%d,"recv_ms":%s%s}`+"\n", i%3, i%2, i, recv, extra)
	}
	nemesis := []sim.NemesisEvent{{At: 0.002, Action: "partition", Shape: "majority"}, {At: 0.010, Action: "heal"}}
	for _, max := range []int{100, 10} {
		var svg bytes.Buffer
		if err := WriteSVG(&svg, bytes.NewReader(journal.Bytes()), nemesis, max); err != nil {
			t.Fatal(err)
		}
		arrows, err := DiagramArrows(bytes.NewReader(svg.Bytes()))
		if err != nil {
			t.Fatalf("not XML: %v", err)
		}
		want := min(n, max)
		if arrows != want {
			t.Errorf("cap %d: %d arrows, want %d", max, arrows, want)
		}
		capped := strings.Contains(svg.String(), fmt.Sprintf("Only the first %d of %d messages", max, n))
		if capped != (max < n) || !strings.Contains(svg.String(), `class="partition"`) || !strings.Contains(svg.String(), `class="drop"`) {
			t.Errorf("cap %d: note %v, or no partition or dropped message:\n%s", max, capped, svg.String())
		}
	}
}

// TestCreate: runs of one millisecond get directories of their own, and
// the latest links follow the newest.
func TestCreate(t *testing.T) {
	root := t.TempDir()
	start := time.Date(2026, 11, 28, 10, 15, 0, 0, time.UTC)
	var dirs []string
	for range 2 {
		r, err := Create(root, "echo", start)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Fail(sim.Config{Workload: "echo"}, errors.New("no node")); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, filepath.Base(r.Dir))
	}
	if dirs[0] != "20261128T101500.000Z" || dirs[1] != "20261128T101500.001Z" {
		t.Errorf("directories %v", dirs)
	}
	for link, want := range map[string]string{"latest": "echo/" + dirs[1], "echo/latest": dirs[1]} {
		if got, err := os.Readlink(filepath.Join(root, link)); err != nil || got != want {
			t.Errorf("%s -> %q, %v; want %q", link, got, err, want)
		}
	}
	if _, err := Create(root, "../x", start); err == nil {
		t.Error("a workload name with a slash was taken")
	}
}

package store

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/glomers/glomers/sim"
)

// plotReport is a run's report with ops of two :fs ending ok, fail and
// info (one of latency 0), and a partition healed.
func plotReport(n int) *sim.Report {
	rep := &sim.Report{Workload: "lin-kv", VirtualSeconds: 10,
		Nemesis: []sim.NemesisEvent{{At: 2, Action: "partition", Shape: "majority"}, {At: 4, Action: "heal"}, {At: 8, Action: "partition", Shape: "one"}}}
	for i := range n {
		at := time.Duration(i) * 10 * time.Second / time.Duration(n)
		lat := time.Duration(1+i%50) * time.Millisecond
		if i == 3 {
			lat = 0
		}
		op := sim.Op{Index: i, F: []string{"read", "write"}[i%2], Status: []sim.Status{sim.OK, sim.OK, sim.Fail, sim.Info}[i%4],
			Invoke: at, Complete: at + lat}
		rep.History = append(rep.History, op)
	}
	return rep
}

// svgTexts decodes an SVG document as XML, which it must be, and returns
// its texts.
func svgTexts(t *testing.T, name string, r io.Reader) string {
	t.Helper()
	dec := xml.NewDecoder(r)
	var texts strings.Builder
	root, inText := "", false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s is not XML: %v", name, err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = el.Name.Local
			}
			inText = el.Name.Local == "text"
		case xml.EndElement:
			inText = false
		case xml.CharData:
			if inText {
				texts.Write(el)
				texts.WriteByte('\n')
			}
		}
	}
	if root != "svg" {
		t.Fatalf("%s: root element %q, want svg", name, root)
	}
	return texts.String()
}

// TestPlots: a run's plots are written beside its other files, as SVG,
// with a legend entry per :f and outcome, the partitions, and the same
// bytes each time.
func TestPlots(t *testing.T) {
	r, err := Create(t.TempDir(), "lin-kv", time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	rep := plotReport(400)
	if err := r.Finish(sim.Config{Workload: "lin-kv"}, rep); err != nil {
		t.Fatal(err)
	}
	if err := r.WritePlots(rep); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		LatencyRawSVG:       {"latency of 400 operations", "1 of latency 0", "read ok (100)", "read fail (100)", "write ok (100)", "write info (100)", "partition"},
		LatencyQuantilesSVG: {"200 ok operations", "read 0.5", "read 0.95", "write 0.99", "write 1", "partition"},
		RateSVG:             {"per 1 s", "read ok (100)", "write info (100)", "rate (ops/s)", "partition"},
	}
	for _, p := range Plots {
		b, err := os.ReadFile(filepath.Join(r.Dir, p.File))
		if err != nil {
			t.Fatal(err)
		}
		texts := svgTexts(t, p.File, bytes.NewReader(b))
		for _, w := range want[p.File] {
			if !strings.Contains(texts, w) {
				t.Errorf("%s has no %q:\n%s", p.File, w, texts)
			}
		}
		var again bytes.Buffer
		if err := WritePlot(&again, p.File, rep); err != nil || !bytes.Equal(again.Bytes(), b) {
			t.Errorf("%s drawn again differs (%v)", p.File, err)
		}
	}
}

// TestPlotsWithoutOK: histories with no ok ops, none at all, only ops of
// latency 0, or more ops than the raw plot draws still make valid plots.
func TestPlotsWithoutOK(t *testing.T) {
	noOK := plotReport(40)
	for i := range noOK.History {
		noOK.History[i].Status = sim.Fail
	}
	zero := plotReport(10)
	for i := range zero.History {
		zero.History[i].Complete = zero.History[i].Invoke
	}
	many := plotReport(2*MaxPlotPoints + 1)
	for name, tc := range map[string]struct {
		rep  *sim.Report
		want map[string]string
	}{
		"no ok ops":  {noOK, map[string]string{LatencyQuantilesSVG: "no ok operations", LatencyRawSVG: "read fail (20)"}},
		"no ops":     {&sim.Report{Workload: "echo"}, map[string]string{LatencyRawSVG: "latency of 0 operations"}},
		"zero":       {&sim.Report{Workload: "echo", History: zero.History}, map[string]string{LatencyRawSVG: "10 of latency 0 drawn at 0.1 ms"}},
		"unfinished": {&sim.Report{Workload: "echo", Nemesis: []sim.NemesisEvent{{At: 0, Action: "partition"}}}, map[string]string{RateSVG: "partition"}},
		"many":       {many, map[string]string{LatencyRawSVG: "every 3rd of each kind"}},
	} {
		for _, p := range Plots {
			var b bytes.Buffer
			if err := WritePlot(&b, p.File, tc.rep); err != nil {
				t.Errorf("%s: %s: %v", name, p.File, err)
				continue
			}
			texts := svgTexts(t, name+" "+p.File, &b)
			if w, ok := tc.want[p.File]; ok && !strings.Contains(texts, w) {
				t.Errorf("%s: %s has no %q:\n%s", name, p.File, w, texts)
			}
		}
	}
	if err := WritePlot(io.Discard, "nope.svg", noOK); err == nil {
		t.Error("an unknown plot was drawn")
	}
}

package txn

import (
	"fmt"
	"slices"
	"testing"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/internal/anomalytest"
)

// TestAnomalyOps: each anomaly lists the operations of its first case,
// in the order its detail names them: a cycle's transactions T1, T2, ...;
// a G1a or G1b read's reader, then its writer; the transactions of an
// internal or lost-update case; those that order a key's versions in a
// cycle; and the first garbage read. The background transactions are
// operations 0 and 1.
func TestAnomalyOps(t *testing.T) {
	tests := []struct {
		name  string
		model string
		txs   []tx
		want  map[string][]int // anomaly kind → Index of the ops it lists
	}{
		{"G1a", "read-committed", with(tx{1, 10, 11, sim.Fail, "w 1 1"}, ok(2, 12, 13, "r 1 1")),
			map[string][]int{"G1a": {3, 2}}},
		{"G1b", "read-committed", with(ok(1, 10, 11, "w 1 1 w 1 2"), ok(2, 12, 13, "r 1 1")),
			map[string][]int{"G1b": {3, 2}}},
		{"G1c", "read-committed", with(ok(1, 10, 20, "w 1 1 r 2 1"), ok(2, 10, 20, "w 2 1 r 1 1")),
			map[string][]int{"G1c": {2, 3}}},
		{"G-single", "serializable", with(ok(1, 10, 11, "w 1 1 w 2 1"), ok(3, 12, 14, "r 1 1 r 2 2"), ok(2, 12, 13, "r 1 1 w 1 2 w 2 2")),
			map[string][]int{"G-single": {3, 4}, "G-nonadjacent": {3, 4}}},
		{"G-single-realtime", "strict-serializable", with(ok(1, 10, 11, "w 1 1"), ok(2, 12, 13, "r 1 nil")),
			map[string][]int{"G-single-realtime": {3, 2}, "G-nonadjacent-realtime": {3, 2}}},
		{"G-single-process", "strong-session-serializable", with(ok(5, 10, 11, "w 1 1"), ok(5, 12, 13, "r 1 nil")),
			map[string][]int{"G-single-process": {3, 2}, "G-nonadjacent-process": {3, 2}}},
		{"G2-item", "serializable", with(ok(1, 10, 20, "r 1 nil r 2 nil w 1 1"), ok(2, 10, 20, "r 1 nil r 2 nil w 2 1")),
			map[string][]int{"G2-item": {3, 2}}},
		{"internal", "serializable", with(ok(1, 10, 11, "w 1 2"), ok(2, 12, 13, "w 1 1 r 1 2")),
			map[string][]int{"internal": {3}}},
		{"lost update", "snapshot-isolation", with(ok(1, 10, 20, "r 1 nil w 1 1"), ok(2, 10, 20, "r 1 nil w 1 2"), ok(3, 10, 20, "r 1 nil w 1 3")),
			map[string][]int{"lost-update": {2, 3, 4}}},
		{"cyclic versions", "read-uncommitted", with(ok(1, 10, 20, "r 1 1 w 1 2"), ok(2, 10, 20, "r 1 2 w 1 1")),
			map[string][]int{"cyclic-versions": {2, 3}}},
		{"garbage read", "read-committed", with(ok(1, 10, 11, "r 1 7"), ok(2, 12, 13, "r 2 8")),
			map[string][]int{"garbage-read": {2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(sim.Config{Consistency: []string{tt.model}})
			if err != nil {
				t.Fatal(err)
			}
			h := hist(t, tt.txs...)
			res := sim.Check(s.Checker(), h)
			got := anomalytest.Ops(t, h, append(res.Anomalies, res.Strict...), "cyclic-versions")
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("ops %v, want %v", got, tt.want)
				for _, a := range append(res.Anomalies, res.Strict...) {
					t.Logf("%s: %s", a.Kind, a.Detail)
				}
			}
		})
	}
}

// TestAnomalyOpsCapped: a case of many transactions lists the first
// maxOps of them.
func TestAnomalyOpsCapped(t *testing.T) {
	var txs []tx
	for p := range maxOps + 5 {
		txs = append(txs, ok(p, 10, 20, fmt.Sprintf("r 1 nil w 1 %d", p+1)))
	}
	s, _ := New(sim.Config{Consistency: []string{"snapshot-isolation"}})
	res := sim.Check(s.Checker(), hist(t, with(txs...)...))
	i := slices.IndexFunc(res.Anomalies, func(a sim.Anomaly) bool { return a.Kind == "lost-update" })
	if i < 0 {
		t.Fatalf("no lost update: %v", res.Kinds())
	}
	var ids []int
	for _, o := range res.Anomalies[i].Ops {
		ids = append(ids, o.Index)
	}
	var want []int
	for j := range maxOps {
		want = append(want, j+2)
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("lost-update lists %v, want %v", ids, want)
	}
}

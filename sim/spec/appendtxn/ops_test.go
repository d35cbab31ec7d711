package appendtxn

import (
	"fmt"
	"testing"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/internal/anomalytest"
)

// TestAnomalyOps: each anomaly lists the operations of its first case,
// in the order its detail names them: a cycle's transactions T1, T2, ...;
// a G1a or G1b read's reader, then the appender; the committed append of
// a dirty update, then the failed one; the transactions of an internal,
// duplicate-elements or lost-update case; and the readers of two
// incompatible lists. The background transactions are operations 0 and
// 1.
func TestAnomalyOps(t *testing.T) {
	tests := []struct {
		name  string
		model string
		txs   []tx
		want  map[string][]int // anomaly kind → Index of the ops it lists
	}{
		{"G0", "read-uncommitted", with(ok(1, 10, 20, "append 1 1 append 2 2"), ok(2, 10, 20, "append 1 2 append 2 1"), ok(3, 30, 31, "r 1 [1,2] r 2 [1,2]")),
			map[string][]int{"G0": {2, 3}}},
		{"G1a", "read-committed", with(fail(1, 10, 11, "append 1 1"), ok(2, 12, 13, "r 1 [1]")),
			map[string][]int{"G1a": {3, 2}}},
		{"G1b", "read-committed", with(ok(1, 10, 11, "append 1 1 append 1 2"), ok(2, 12, 13, "r 1 [1]")),
			map[string][]int{"G1b": {3, 2}}},
		{"G1c", "read-committed", with(ok(1, 10, 20, "append 1 1 r 2 [1]"), ok(2, 10, 20, "append 2 1 r 1 [1]")),
			map[string][]int{"G1c": {2, 3}}},
		{"G-single", "serializable", with(ok(1, 10, 11, "append 1 1 append 2 1"), ok(2, 12, 14, "r 1 [1] r 2 [1,2]"), ok(3, 12, 13, "append 1 2 append 2 2"), ok(4, 20, 21, "r 1 [1,2]")),
			map[string][]int{"G-single": {3, 4}, "G-nonadjacent": {3, 4}}},
		{"G2-item", "serializable", with(ok(1, 10, 20, "r 1 nil append 2 1"), ok(2, 10, 20, "r 2 nil append 1 1"), ok(3, 30, 31, "r 1 [1] r 2 [1]")),
			map[string][]int{"G2-item": {3, 2}}},
		{"G0-realtime", "strict-serializable", with(ok(1, 10, 11, "append 1 1"), ok(2, 12, 13, "append 1 2"), ok(3, 14, 15, "r 1 [2,1]")),
			map[string][]int{"G0-realtime": {3, 2}}},
		{"lost update", "snapshot-isolation", with(ok(1, 10, 20, "r 1 nil append 1 1"), ok(2, 10, 20, "r 1 nil append 1 2"), ok(3, 30, 31, "r 1 [1,2]")),
			map[string][]int{"lost-update": {2, 3}, "G-single": {3, 2}, "G-nonadjacent": {3, 2}}},
		{"internal", "serializable", with(ok(1, 10, 11, "append 1 1"), ok(2, 12, 13, "r 1 [1] append 1 2 r 1 [1]")),
			map[string][]int{"internal": {3}}},
		{"duplicate elements", "read-uncommitted", with(ok(1, 10, 11, "append 1 1"), ok(2, 12, 13, "r 1 [1,1]")),
			map[string][]int{"duplicate-elements": {3}}},
		{"incompatible order", "read-committed", with(ok(1, 10, 20, "append 1 1"), ok(2, 10, 20, "append 1 2"), ok(3, 30, 40, "r 1 [1,2]"), ok(4, 30, 41, "r 1 [2,1]")),
			map[string][]int{"incompatible-order": {4, 5}}},
		{"dirty update", "read-committed", with(fail(1, 10, 11, "append 1 1"), ok(2, 12, 13, "append 1 2"), ok(3, 14, 15, "r 1 [1,2]")),
			map[string][]int{"G1a": {4, 2}, "dirty-update": {3, 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(sim.Config{Consistency: []string{tt.model}, Concurrency: 100})
			if err != nil {
				t.Fatal(err)
			}
			h := history(t, tt.txs...)
			res := sim.Check(s.Checker(), h)
			got := anomalytest.Ops(t, h, res.Anomalies, "incompatible-order")
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("ops %v, want %v", got, tt.want)
				for _, a := range res.Anomalies {
					t.Logf("%s: %s", a.Kind, a.Detail)
				}
			}
		})
	}
}

package appendtxn

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/elle"
)

// tx is one transaction of a hand-made history: its process, invocation
// and completion times in milliseconds, outcome, and micro-ops as the
// completion records them ("r 1 [1,2] append 1 3"; reads of null are
// "r 1 nil"; invocations send every read as null).
type tx struct {
	p        int
	from, to int
	st       sim.Status
	mops     string
}

func ok(p, from, to int, mops string) tx   { return tx{p, from, to, sim.OK, mops} }
func fail(p, from, to int, mops string) tx { return tx{p, from, to, sim.Fail, mops} }

func history(t *testing.T, txs ...tx) sim.History {
	t.Helper()
	var h sim.History
	for i, x := range txs {
		f := strings.Fields(x.mops)
		if len(f)%3 != 0 {
			t.Fatalf("bad micro-ops %q", x.mops)
		}
		var in, out Txn
		for j := 0; j < len(f); j += 3 {
			m := elle.Mop{F: f[j], Key: f[j+1], Value: f[j+2]}
			if m.Value == "nil" {
				m.Value = elle.Nil
			}
			out = append(out, m)
			if m.F == "r" {
				m.Value = elle.Nil
			}
			in = append(in, m)
		}
		op := sim.Op{Index: i, Process: x.p, F: "txn", Value: in, Out: out, Status: x.st,
			Invoke: time.Duration(x.from) * time.Millisecond, Complete: time.Duration(x.to) * time.Millisecond}
		if x.st != sim.OK {
			op.Out = in
		}
		h = append(h, op)
	}
	return h
}

// background is two transactions early in the history on a key of their
// own, so that the dependency graph is never empty.
var background = []tx{ok(90, 0, 1, "append 99 1"), ok(91, 2, 3, "r 99 [1]")}

func with(txs ...tx) []tx { return append(slices.Clone(background), txs...) }

var models = []string{"read-uncommitted", "read-committed", "serializable", "strict-serializable"}

func check(t *testing.T, model string, h sim.History, search elle.SearchOptions) sim.Result {
	t.Helper()
	s, err := New(sim.Config{Consistency: []string{model}, Concurrency: 100})
	if err != nil {
		t.Fatal(err)
	}
	c := s.(*spec).checker
	c.search = search
	return c.check(h)
}

// TestAnomalyClasses runs a hand-made history of each anomaly through the
// checker under each model, and checks the anomaly types and verdict
// Maelstrom (Elle's list-append check, unwrapped) reports.
func TestAnomalyClasses(t *testing.T) {
	type want map[string][]string // model → anomaly types; missing: valid
	rc := func(kinds ...string) want {
		return want{"read-committed": kinds, "serializable": kinds, "strict-serializable": kinds}
	}
	ser := func(kinds ...string) want { return want{"serializable": kinds, "strict-serializable": kinds} }
	single := []string{"G-nonadjacent", "G-single"} // a G-single cycle walked twice is G-nonadjacent too, as in Elle
	tests := []struct {
		name string
		txs  []tx
		want want
	}{
		{
			// x: 1 then 2, y: 1 then 2, each pair appended in the other
			// order by the same two transactions.
			"G0 write cycle",
			with(ok(1, 10, 20, "append 1 1 append 2 2"), ok(2, 10, 20, "append 1 2 append 2 1"), ok(3, 30, 31, "r 1 [1,2] r 2 [1,2]")),
			want{"read-uncommitted": {"G0"}, "read-committed": {"G0"}, "serializable": {"G0"}, "strict-serializable": {"G0"}},
		},
		{
			"G1a aborted read",
			with(fail(1, 10, 11, "append 1 1"), ok(2, 12, 13, "r 1 [1]")),
			rc("G1a"),
		},
		{
			// T1 appends 1 and 2, T2 reads [1]: an intermediate read, and
			// T2 must also precede T1 (it missed 2) and follow it (it saw 1).
			"G1b intermediate read",
			with(ok(1, 10, 11, "append 1 1 append 1 2"), ok(2, 12, 13, "r 1 [1]")),
			want{"read-committed": {"G1b"}, "serializable": append(slices.Clone(single), "G1b"), "strict-serializable": append(slices.Clone(single), "G1b")},
		},
		{
			"G1c circular information flow",
			with(ok(1, 10, 20, "append 1 1 r 2 [1]"), ok(2, 10, 20, "append 2 1 r 1 [1]")),
			rc("G1c"),
		},
		{
			// T1 reads x before T2's append and y after it.
			"G-single read skew",
			with(ok(1, 10, 11, "append 1 1 append 2 1"), ok(2, 12, 14, "r 1 [1] r 2 [1,2]"), ok(3, 12, 13, "append 1 2 append 2 2"), ok(4, 20, 21, "r 1 [1,2]")),
			ser(single...),
		},
		{
			// rw, wr, rw, wr: two anti-dependencies, never adjacent.
			"G-nonadjacent",
			with(ok(1, 10, 20, "r 1 nil r 4 [1]"), ok(2, 10, 20, "append 1 1 append 2 1"), ok(3, 10, 20, "r 2 [1] r 3 nil"), ok(4, 10, 20, "append 3 1 append 4 1")),
			ser("G-nonadjacent"),
		},
		{
			"G2-item write skew",
			with(ok(1, 10, 20, "r 1 nil append 2 1"), ok(2, 10, 20, "r 2 nil append 1 1"), ok(3, 30, 31, "r 1 [1] r 2 [1]")),
			ser("G2-item"),
		},
		{
			// Both read the empty list and appended: one append is lost
			// to the other's read.
			"lost update",
			with(ok(1, 10, 20, "r 1 nil append 1 1"), ok(2, 10, 20, "r 1 nil append 1 2"), ok(3, 30, 31, "r 1 [1,2]")),
			ser("G-nonadjacent", "G-single", "lost-update"),
		},
		{
			"internal",
			with(ok(1, 10, 11, "append 1 1"), ok(2, 12, 13, "r 1 [1] append 1 2 r 1 [1]")),
			ser("internal"),
		},
		{
			"duplicate elements",
			with(ok(1, 10, 11, "append 1 1"), ok(2, 12, 13, "r 1 [1,1]")),
			want{"read-uncommitted": {"duplicate-elements"}, "read-committed": {"duplicate-elements"}, "serializable": {"duplicate-elements"}, "strict-serializable": {"duplicate-elements"}},
		},
		{
			// [1,2] and [2,1]: no order of appends gives both. The order
			// taken, [2,1], makes T3 miss T1's append though T1 had
			// completed: a real-time anti-dependency.
			"incompatible order",
			with(ok(1, 10, 20, "append 1 1"), ok(2, 10, 20, "append 1 2"), ok(3, 30, 40, "r 1 [1,2]"), ok(4, 30, 40, "r 1 [2,1]")),
			want{"read-committed": {"incompatible-order"}, "serializable": {"incompatible-order"}, "strict-serializable": {"G-nonadjacent-realtime", "G-single-realtime", "incompatible-order"}},
		},
		{
			"dirty update",
			with(fail(1, 10, 11, "append 1 1"), ok(2, 12, 13, "append 1 2"), ok(3, 14, 15, "r 1 [1,2]")),
			rc("G1a", "dirty-update"),
		},
		{
			// A read of the empty list after the append completed.
			"stale read",
			with(ok(1, 10, 11, "append 1 1"), ok(2, 12, 13, "r 1 nil")),
			want{"strict-serializable": {"G-nonadjacent-realtime", "G-single-realtime"}},
		},
		{
			"G0-realtime",
			with(ok(1, 10, 11, "append 1 1"), ok(2, 12, 13, "append 1 2"), ok(3, 14, 15, "r 1 [2,1]")),
			want{"strict-serializable": {"G0-realtime"}},
		},
		{
			// A read of an append invoked after the read completed.
			"G1c-realtime",
			with(ok(1, 10, 11, "r 1 [1]"), ok(2, 12, 13, "append 1 1")),
			want{"strict-serializable": {"G1c-realtime"}},
		},
		{
			"serial history",
			with(ok(1, 10, 11, "append 1 1 r 2 nil"), ok(2, 12, 13, "r 1 [1] append 1 2 r 1 [1,2]"), ok(3, 14, 15, "r 1 [1,2] append 2 1"),
				fail(4, 16, 17, "append 1 3"), tx{5, 18, 30, sim.Info, "append 2 2"}, ok(6, 31, 32, "r 2 [1,2] r 1 [1,2]")),
			want{},
		},
	}
	for _, tt := range tests {
		for _, m := range models {
			t.Run(tt.name+"/"+m, func(t *testing.T) {
				res := check(t, m, history(t, tt.txs...), elle.SearchOptions{})
				want := tt.want[m]
				if got := res.Kinds(); !slices.Equal(got, want) || res.Valid != (len(want) == 0) || res.Unknown {
					t.Fatalf("valid=%v unknown=%v kinds %v, want %v\n%+v", res.Valid, res.Unknown, got, want, res.Anomalies)
				}
			})
		}
	}
}

// TestInconclusive: what makes Elle's verdict unknown (never valid): a
// cycle search out of budget when nothing prohibited was found, a graph
// with no dependency, and a read Elle cannot explain (it throws).
func TestInconclusive(t *testing.T) {
	writeSkew := history(t, with(ok(1, 10, 20, "r 1 nil append 2 1"), ok(2, 10, 20, "r 2 nil append 1 1"), ok(3, 30, 31, "r 1 [1] r 2 [1]"))...)
	res := check(t, "read-committed", writeSkew, elle.SearchOptions{Steps: 1})
	if res.Valid || !res.Unknown || !slices.Contains(res.Kinds(), "cycle-search-timeout") {
		t.Errorf("search out of budget, nothing prohibited: want unknown, got valid=%v unknown=%v %v", res.Valid, res.Unknown, res.Anomalies)
	}
	res = check(t, "serializable", writeSkew, elle.SearchOptions{Steps: 1})
	if res.Valid || res.Unknown || !slices.Contains(res.Kinds(), "G2-item") || !slices.Contains(res.Kinds(), "cycle-search-timeout") {
		t.Errorf("search out of budget, fallback cycle prohibited: want invalid with G2-item, got valid=%v unknown=%v %v", res.Valid, res.Unknown, res.Kinds())
	}
	res = check(t, "strict-serializable", history(t, ok(1, 0, 1, "r 1 nil")), elle.SearchOptions{})
	if res.Valid || !res.Unknown || !slices.Equal(res.Kinds(), []string{"empty-transaction-graph"}) {
		t.Errorf("no dependency: want unknown, got valid=%v unknown=%v %v", res.Valid, res.Unknown, res.Kinds())
	}
	res = check(t, "strict-serializable", history(t, with(ok(1, 10, 11, "r 1 [7]"))...), elle.SearchOptions{})
	if res.Valid || !res.Unknown || !slices.Equal(res.Kinds(), []string{"checker-error"}) {
		t.Errorf("an element nobody appended: want checker-error, got valid=%v unknown=%v %v", res.Valid, res.Unknown, res.Anomalies)
	}
}

// TestCycleReport: the report names the anomaly and binds the
// transactions of one cycle, explaining each step as Elle does.
func TestCycleReport(t *testing.T) {
	h := history(t, with(ok(1, 10, 11, "append 1 1 append 2 1"), ok(2, 12, 14, "r 1 [1] r 2 [1,2]"), ok(3, 12, 13, "append 1 2 append 2 2"), ok(4, 20, 21, "r 1 [1,2]"))...)
	res := check(t, "serializable", h, elle.SearchOptions{})
	var detail string
	for _, a := range res.Anomalies {
		if a.Kind == "G-single" {
			detail = a.Detail
		}
	}
	for _, want := range []string{"G-single cycle of 2 transactions", "T1 = {:index 3", "T2 = {:index 4", "did not observe", "observed T", "'s append of 2 to key 2", "a contradiction"} {
		if !strings.Contains(detail, want) {
			t.Errorf("G-single report lacks %q:\n%s", want, detail)
		}
	}
}

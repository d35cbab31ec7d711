package txn

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
// completion records them ("r 1 nil w 1 2"; reads are sent as null).
type tx struct {
	p        int
	from, to int
	st       sim.Status
	mops     string
}

func parseMops(t *testing.T, s string) (in, out Txn) {
	t.Helper()
	f := strings.Fields(s)
	if len(f)%3 != 0 {
		t.Fatalf("bad micro-ops %q", s)
	}
	for i := 0; i < len(f); i += 3 {
		v := f[i+2]
		if v == "nil" {
			v = elle.Nil
		}
		m := elle.Mop{F: f[i], Key: f[i+1], Value: v}
		out = append(out, m)
		if m.F == "r" {
			m.Value = elle.Nil
		}
		in = append(in, m)
	}
	return in, out
}

func hist(t *testing.T, txs ...tx) sim.History {
	t.Helper()
	var h sim.History
	for i, x := range txs {
		in, out := parseMops(t, x.mops)
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
var background = []tx{{p: 90, from: 0, to: 1, st: sim.OK, mops: "r 99 nil"}, {p: 91, from: 2, to: 3, st: sim.OK, mops: "w 99 1"}}

func with(txs ...tx) []tx { return append(slices.Clone(background), txs...) }

// ok is an ok transaction of process p from..to.
func ok(p, from, to int, mops string) tx { return tx{p, from, to, sim.OK, mops} }

var allModels = []string{"read-uncommitted", "read-committed", "repeatable-read", "snapshot-isolation", "serializable", "strict-serializable"}

// TestAnomalyClasses runs a hand-made history of each anomaly class
// through the checker under each model, and checks the anomaly types
// Maelstrom (Elle's rw-register check, then Maelstrom's wrapper) reports.
func TestAnomalyClasses(t *testing.T) {
	type want map[string][]string // model → anomaly types; missing or nil: valid
	tests := []struct {
		name string
		txs  []tx
		want want
	}{
		{
			"G1a aborted read",
			with(tx{1, 10, 11, sim.Fail, "w 1 1"}, ok(2, 12, 13, "r 1 1")),
			want{"read-committed": {"G1a"}, "repeatable-read": {"G1a"}, "snapshot-isolation": {"G1a"}, "serializable": {"G1a"}, "strict-serializable": {"G1a"}},
		},
		{
			"G1b intermediate read",
			with(ok(1, 10, 11, "w 1 1 w 1 2"), ok(2, 12, 13, "r 1 1")),
			want{"read-committed": {"G1b"}, "repeatable-read": {"G1b"}, "snapshot-isolation": {"G1b"}, "serializable": {"G1b"}, "strict-serializable": {"G1b"}},
		},
		{
			"G1c circular information flow",
			with(ok(1, 10, 20, "w 1 1 r 2 1"), ok(2, 10, 20, "w 2 1 r 1 1")),
			want{"read-committed": {"G1c"}, "repeatable-read": {"G1c"}, "snapshot-isolation": {"G1c"}, "serializable": {"G1c"}, "strict-serializable": {"G1c"}},
		},
		{
			// Adya's write cycle: x1 << x2 but y2 << y1. With registers Elle
			// orders versions only by writes following reads, so each ww
			// edge comes with a wr edge, which explains it first: Elle
			// reports G1c, and read-uncommitted (which forbids only G0)
			// passes.
			"G0 write cycle",
			with(ok(1, 10, 20, "w 1 1 r 2 2 w 2 1"), ok(2, 10, 20, "r 1 1 w 1 2 w 2 2")),
			want{"read-committed": {"G1c"}, "repeatable-read": {"G1c"}, "snapshot-isolation": {"G1c"}, "serializable": {"G1c"}, "strict-serializable": {"G1c"}},
		},
		{
			// Read skew: T1 reads x before T2's write and y after it.
			"G-single read skew",
			with(ok(1, 10, 11, "w 1 1 w 2 1"), ok(3, 12, 14, "r 1 1 r 2 2"), ok(2, 12, 13, "r 1 1 w 1 2 w 2 2")),
			want{"snapshot-isolation": {"G-nonadjacent", "G-single"}, "serializable": {"G-nonadjacent", "G-single"}, "strict-serializable": {"G-nonadjacent", "G-single"}},
		},
		{
			// rw, wr, rw, wr: two anti-dependencies, never adjacent.
			"G-nonadjacent",
			with(ok(1, 10, 20, "r 1 nil r 4 1"), ok(2, 10, 20, "w 1 1 w 2 1"), ok(3, 10, 20, "r 2 1 r 3 nil"), ok(4, 10, 20, "w 3 1 w 4 1")),
			want{"snapshot-isolation": {"G-nonadjacent"}, "serializable": {"G-nonadjacent"}, "strict-serializable": {"G-nonadjacent"}},
		},
		{
			// Write skew: snapshot isolation allows it.
			"G2-item write skew",
			with(ok(1, 10, 20, "r 1 nil r 2 nil w 1 1"), ok(2, 10, 20, "r 1 nil r 2 nil w 2 1")),
			want{"repeatable-read": {"G2-item"}, "serializable": {"G2-item"}, "strict-serializable": {"G2-item"}},
		},
		{
			"lost update",
			with(ok(1, 10, 20, "r 1 nil w 1 1"), ok(2, 10, 20, "r 1 nil w 1 2")),
			want{"repeatable-read": {"G2-item", "lost-update"}, "snapshot-isolation": {"lost-update"}, "serializable": {"G2-item", "lost-update"}, "strict-serializable": {"G2-item", "lost-update"}},
		},
		{
			// A stale read: the write completed before the read began.
			"G-single-realtime stale read",
			with(ok(1, 10, 11, "w 1 1"), ok(2, 12, 13, "r 1 nil")),
			want{"strict-serializable": {"G-nonadjacent-realtime", "G-single-realtime"}},
		},
		{
			// A read of a write that began after the read completed.
			"G1c-realtime future read",
			with(ok(2, 10, 11, "r 1 1"), ok(1, 12, 13, "w 1 1")),
			want{"strict-serializable": {"G1c-realtime"}},
		},
		{
			"G2-item-realtime",
			with(ok(1, 10, 11, "r 1 nil"), ok(2, 5, 20, "w 1 1 r 2 nil"), ok(3, 6, 7, "w 2 1")),
			want{"strict-serializable": {"G2-item-realtime"}},
		},
		{
			// The version order says 1 < 2 and 2 < 1.
			"cyclic versions",
			with(ok(1, 10, 20, "r 1 1 w 1 2"), ok(2, 10, 20, "r 1 2 w 1 1")),
			want{"read-uncommitted": {"cyclic-versions"}, "read-committed": {"G1c", "cyclic-versions"}, "repeatable-read": {"G1c", "cyclic-versions"},
				"snapshot-isolation": {"G1c", "cyclic-versions"}, "serializable": {"G1c", "cyclic-versions"}, "strict-serializable": {"G1c", "cyclic-versions"}},
		},
		{
			"internal",
			with(ok(1, 10, 11, "w 1 2"), ok(2, 12, 13, "w 1 1 r 1 2")),
			want{"snapshot-isolation": {"internal"}, "serializable": {"internal"}, "strict-serializable": {"internal"}},
		},
		{
			// Nothing relates any two transactions: Elle flags the empty
			// graph, and Maelstrom's wrapper counts that as invalid.
			"empty transaction graph",
			[]tx{ok(1, 10, 11, "w 1 1")},
			want{"read-uncommitted": {"empty-transaction-graph"}, "read-committed": {"empty-transaction-graph"}, "repeatable-read": {"empty-transaction-graph"},
				"snapshot-isolation": {"empty-transaction-graph"}, "serializable": {"empty-transaction-graph"}, "strict-serializable": {"empty-transaction-graph"}},
		},
		{
			"serial history",
			with(ok(1, 10, 11, "r 1 nil w 1 1"), ok(2, 12, 13, "r 1 1 w 1 2 r 2 nil"), ok(1, 14, 15, "r 1 2 r 2 nil w 2 1")),
			want{},
		},
	}
	for _, tt := range tests {
		h := hist(t, tt.txs...)
		for _, m := range allModels {
			t.Run(tt.name+"/"+m, func(t *testing.T) {
				s, err := New(sim.Config{Consistency: []string{m}})
				if err != nil {
					t.Fatal(err)
				}
				res := sim.Check(s.Checker(), h)
				exp := tt.want[m]
				if res.Valid != (len(exp) == 0) || !slices.Equal(res.Kinds(), exp) || res.Unknown {
					t.Errorf("valid %v unknown %v kinds %v, want %v", res.Valid, res.Unknown, res.Kinds(), exp)
					for _, a := range res.Anomalies {
						t.Logf("%s: %s", a.Kind, a.Detail)
					}
				}
			})
		}
	}
}

// TestProcessVariants: the process order is in the graph only when the
// models forbid a -process anomaly and no -realtime one
// (strong-session-serializable); under strict-serializable the same stale
// read is a realtime anomaly.
func TestProcessVariants(t *testing.T) {
	h := hist(t, with(ok(5, 10, 11, "w 1 1"), ok(5, 12, 13, "r 1 nil"))...)
	for m, exp := range map[string][]string{
		"strong-session-serializable": {"G-nonadjacent-process", "G-single-process"},
		"strict-serializable":         {"G-nonadjacent-realtime", "G-single-realtime"},
		"serializable":                nil,
	} {
		s, err := New(sim.Config{Consistency: []string{m}})
		if err != nil {
			t.Fatal(err)
		}
		if res := sim.Check(s.Checker(), h); !slices.Equal(res.Kinds(), exp) || res.Valid != (exp == nil) {
			t.Errorf("%s: valid %v kinds %v, want %v", m, res.Valid, res.Kinds(), exp)
		}
	}
}

// TestDefaultModel: no --consistency-models means strict-serializable.
func TestDefaultModel(t *testing.T) {
	h := hist(t, with(ok(1, 10, 11, "w 1 1"), ok(2, 12, 13, "r 1 nil"))...)
	s, err := New(sim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if res := sim.Check(s.Checker(), h); res.Valid || !slices.Contains(res.Kinds(), "G-single-realtime") {
		t.Fatalf("valid %v kinds %v, want the stale read found", res.Valid, res.Kinds())
	}
}

// TestUnknownModel: Elle would throw on a model it does not know; New
// refuses it.
func TestUnknownModel(t *testing.T) {
	if _, err := New(sim.Config{Consistency: []string{"read-comitted"}}); err == nil {
		t.Fatal("New accepted an unknown model")
	}
}

// TestDuplicateWriters: a value written by two ok transactions makes
// Elle's wr graph throw; Jepsen reports the checker's result as unknown.
func TestDuplicateWriters(t *testing.T) {
	h := hist(t, with(ok(1, 10, 11, "w 1 1"), ok(2, 12, 13, "w 1 1"), ok(3, 14, 15, "r 1 1"))...)
	s, _ := New(sim.Config{Consistency: []string{"read-committed"}})
	if res := sim.Check(s.Checker(), h); res.Valid || !res.Unknown {
		t.Fatalf("valid %v unknown %v %v, want unknown", res.Valid, res.Unknown, res.Anomalies)
	}
}

// TestCycleSearchTimeout: when the search runs out of budget Elle reports
// cycle-search-timeout, which Maelstrom drops, and a fallback cycle,
// which counts if the models forbid its type.
func TestCycleSearchTimeout(t *testing.T) {
	h := hist(t, with(ok(1, 10, 11, "w 1 1 w 2 1"), ok(3, 12, 14, "r 1 1 r 2 2"), ok(2, 12, 13, "r 1 1 w 1 2 w 2 2"))...)
	for m, exp := range map[string][]string{"serializable": {"G-single"}, "read-committed": nil} {
		sp, _ := New(sim.Config{Consistency: []string{m}})
		s := sp.(*spec)
		s.checker.search.Steps = 1
		res := sim.Check(s.Checker(), h)
		if !slices.Equal(res.Kinds(), exp) || res.Valid != (exp == nil) {
			t.Errorf("%s: valid %v kinds %v, want %v", m, res.Valid, res.Kinds(), exp)
		}
		if res.Stats["cycle-search-timeouts"] == nil {
			t.Errorf("%s: no cycle-search-timeout in the stats %v", m, res.Stats)
		}
	}
}

// TestGarbageRead: a read of a value nobody wrote is invisible to Elle but
// a strict anomaly here.
func TestGarbageRead(t *testing.T) {
	h := hist(t, with(ok(1, 10, 11, "r 1 7"))...)
	s, _ := New(sim.Config{Consistency: []string{"read-committed"}})
	res := sim.Check(s.Checker(), h)
	if !res.Valid || len(res.Strict) != 1 || res.Strict[0].Kind != "garbage-read" {
		t.Fatalf("valid %v strict %v", res.Valid, res.Strict)
	}
}

// TestExplanation: a reported cycle names its transactions and says why
// each precedes the next.
func TestExplanation(t *testing.T) {
	h := hist(t, with(ok(1, 10, 11, "w 1 1"), ok(2, 12, 13, "r 1 nil"))...)
	s, _ := New(sim.Config{})
	res := sim.Check(s.Checker(), h)
	var detail string
	for _, a := range res.Anomalies {
		if a.Kind == "G-single-realtime" {
			detail = a.Detail
		}
	}
	for _, want := range []string{"T1 = ", "T2 = ", "read key 1 = nil", "completed at 0.011000s", "a contradiction"} {
		if !strings.Contains(detail, want) {
			t.Errorf("explanation lacks %q:\n%s", want, detail)
		}
	}
}

package counter

import "fmt"

// Total is one node's share of the counter: P sums its positive deltas and N
// the magnitudes of its negative ones (a PN counter is a pair of grow-only
// counters; a g-counter's N stays 0). Both halves only grow, so of two
// observations of one node's share the newer is the componentwise larger,
// and the componentwise maximum of any set of observations is the newest of
// them.
type Total struct {
	P int64 `json:"p"`
	N int64 `json:"n"`
}

// Add returns t with delta added to the half it belongs to.
func (t Total) Add(delta int64) Total {
	if delta < 0 {
		t.N -= delta
	} else {
		t.P += delta
	}
	return t
}

// Plus returns the componentwise sum of t and u.
func (t Total) Plus(u Total) Total { return Total{P: t.P + u.P, N: t.N + u.N} }

// Minus returns the componentwise difference t − u.
func (t Total) Minus(u Total) Total { return Total{P: t.P - u.P, N: t.N - u.N} }

// Max returns the componentwise maximum of t and u.
func (t Total) Max(u Total) Total { return Total{P: max(t.P, u.P), N: max(t.N, u.N)} }

// Covers reports whether t includes everything u does (t ≥ u in both
// halves).
func (t Total) Covers(u Total) bool { return t.P >= u.P && t.N >= u.N }

// Value is the counter value this share contributes: P − N.
func (t Total) Value() int64 { return t.P - t.N }

// String implements fmt.Stringer.
func (t Total) String() string { return fmt.Sprintf("+%d-%d", t.P, t.N) }

// Record is the value stored under a node's key in seq-kv: its Total and
// the life (a random tag drawn at start-up) of the node process that wrote
// it. Within one life the Totals written strictly grow, and lives have
// distinct tags, so a record is never written twice: a delayed
// compare-and-set can never match a value it was not computed from (no
// ABA), and a record read back tells whether this life wrote it. The zero
// Record stands for a key not yet written.
type Record struct {
	Total
	Life int64 `json:"life"`
}

// String renders r as its Total and life: "+5-2@7".
func (r Record) String() string { return fmt.Sprintf("%v@%d", r.Total, r.Life) }

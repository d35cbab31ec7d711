package elle

import (
	"math/rand/v2"
	"testing"
)

// TestAppendTxns: append-txns is wr-txns, draw for draw, with its writes
// turned into appends.
func TestAppendTxns(t *testing.T) {
	o := WrTxnsOptions{MaxTxnLength: 4, MaxWritesPerKey: 16}
	a, w := NewAppendTxns(o), NewWrTxns(o)
	ra, rw := rand.New(rand.NewPCG(3, 4)), rand.New(rand.NewPCG(3, 4))
	if a.Options() != w.Options() {
		t.Fatalf("options %+v, want %+v", a.Options(), w.Options())
	}
	for i := range 500 {
		got, want := a.Next(ra), w.Next(rw)
		if len(got) != len(want) {
			t.Fatalf("txn %d: %v, want %v", i, got, want)
		}
		for j, m := range want {
			if m.F == "w" {
				m.F = "append"
			}
			if got[j] != m {
				t.Fatalf("txn %d: %v, want %v with appends", i, got, want)
			}
		}
	}
}

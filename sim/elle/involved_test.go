package elle

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestInvolved: each case of list-append's check names the transactions
// it involves by their Index (not their position in the History), in the
// order its text names them.
func TestInvolved(t *testing.T) {
	// tx is a transaction of a history where operation i has Index 10+2i
	// and runs from 10i to 10i+5 ms: its outcome and micro-ops ("append 1
	// 1 r 1 [1]").
	type tx struct {
		typ  Type
		mops string
	}
	ok := func(mops string) tx { return tx{OK, mops} }
	fail := func(mops string) tx { return tx{Fail, mops} }
	tests := []struct {
		name string
		txs  []tx
		kind string
		want []int
	}{
		{"G1a: reader, appender", []tx{fail("append 1 1"), ok("r 1 [1]")}, "G1a", []int{12, 10}},
		{"G1b: reader, appender", []tx{ok("append 1 1 append 1 2"), ok("r 1 [1]")}, "G1b", []int{12, 10}},
		{"internal", []tx{ok("append 1 1"), ok("r 1 [1] append 1 2 r 1 [1]")}, "internal", []int{12}},
		{"duplicate elements", []tx{ok("append 1 1"), ok("r 1 [1,1]")}, "duplicate-elements", []int{12}},
		{"dirty update: committed, then failed", []tx{fail("append 1 1"), ok("append 1 2"), ok("r 1 [1,2]")}, "dirty-update", []int{12, 10}},
		{"incompatible order: the readers", []tx{ok("append 1 1"), ok("append 1 2"), ok("r 1 [1]"), ok("r 1 [1,2]"), ok("r 1 [2,1]")},
			"incompatible-order", []int{16, 18}},
		{"lost update", []tx{ok("r 1 nil append 1 1"), ok("r 2 nil"), ok("r 1 nil append 1 2"), ok("r 1 [1,2]")}, "lost-update", []int{10, 14}},
		{"G1c: the cycle's transactions", []tx{ok("r 9 nil"), ok("append 1 1 r 2 [1]"), ok("append 2 1 r 1 [1]")}, "G1c", []int{12, 14}},
		{"empty graph: none", []tx{ok("append 1 1")}, EmptyTransactionGraph, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := make(History, len(tt.txs))
			for i, x := range tt.txs {
				f := strings.Fields(x.mops)
				var mops []Mop
				for j := 0; j+2 < len(f); j += 3 {
					v := f[j+2]
					if v == "nil" {
						v = Nil
					}
					mops = append(mops, Mop{F: f[j], Key: f[j+1], Value: v})
				}
				at := time.Duration(10*i) * time.Millisecond
				h[i] = Op{Index: 10 + 2*i, Process: i, Thread: i, Type: x.typ, Value: mops, Invoke: at, Complete: at + 5*time.Millisecond}
			}
			found, err := ListAppendAnomalies(h, Expectation{Models: []string{"serializable"}}, SearchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			cs := found[tt.kind]
			if len(cs) == 0 {
				t.Fatalf("no %s case; found %v", tt.kind, found.Types())
			}
			got := cs[0].Involved()
			if !slices.Equal(got, tt.want) {
				t.Fatalf("%s case involves %v, want %v: %s", tt.kind, got, tt.want, cs[0])
			}
			if tt.kind == "incompatible-order" {
				return // its text names the lists, not their readers
			}
			s, at := cs[0].String(), 0
			for _, id := range got {
				i := strings.Index(s[at:], fmt.Sprintf(":index %d,", id))
				if i < 0 {
					t.Fatalf("%s case names %d out of order: %s", tt.kind, id, s)
				}
				at += i + 1
			}
		})
	}
}

// TestInvolvedNone: a sentence or a search timeout involves no
// transaction; a cycle involves its own, T1 first.
func TestInvolvedNone(t *testing.T) {
	for _, c := range []Case{Text("no dependency"), CycleSearchTimeout{SpecType: G0, SCCSize: 3}} {
		if got := c.Involved(); got != nil {
			t.Errorf("%T involves %v", c, got)
		}
	}
	c := Cycle{Ops: []Op{{Index: 7}, {Index: 3}}}
	if got := c.Involved(); !slices.Equal(got, []int{7, 3}) {
		t.Errorf("cycle involves %v, want [7 3]", got)
	}
}

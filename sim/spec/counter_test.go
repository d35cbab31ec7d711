package spec

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/glomers/glomers/sim"
)

// The bitset agrees with brute-force enumeration of every subset.
func TestSubsetSumsMatchBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := range 300 {
		n := r.IntN(9)
		base := int64(r.IntN(41) - 20)
		deltas := make([]int64, n)
		for i := range deltas {
			deltas[i] = int64(r.IntN(141) - 70) // spans word boundaries
		}
		want := map[int64]bool{}
		for mask := range 1 << n {
			sum := base
			for i, d := range deltas {
				if mask&(1<<i) != 0 {
					sum += d
				}
			}
			want[sum] = true
		}
		s := newSubsetSums(base, deltas)
		if !s.exact() {
			t.Fatalf("trial %d: small deltas should be exact", trial)
		}
		for x := s.lo - 3; x <= s.hi+3; x++ {
			if s.contains(x) != want[x] {
				t.Fatalf("trial %d: base %d deltas %v: contains(%d) = %v, want %v", trial, base, deltas, x, s.contains(x), want[x])
			}
		}
	}
}

func TestSubsetSumsRangesAndHull(t *testing.T) {
	s := newSubsetSums(10, []int64{4, -1})
	if got := s.String(); got != "9..10 13..14" {
		t.Fatalf("String() = %q", got)
	}
	for _, sh := range []uint64{1, 63, 64, 65, 130} {
		b := make([]uint64, 4)
		b[0] = 1
		shiftOr(b, sh)
		if b[sh/64]&(1<<(sh%64)) == 0 || b[0]&1 == 0 {
			t.Fatalf("shiftOr by %d lost a bit: %x", sh, b)
		}
	}
	huge := newSubsetSums(0, []int64{1 << 40, -(1 << 40)})
	if huge.exact() || !huge.contains(12345) || huge.contains(1<<41) || !strings.Contains(huge.String(), "hull") {
		t.Fatalf("huge deltas: exact=%v %s", huge.exact(), huge)
	}
}

func cadd(p int, delta int64, st sim.Status, invoke, complete int) sim.Op {
	return op(p, "add", delta, delta, st, invoke, complete)
}

func cread(p int, value int64, invoke, complete int) sim.Op {
	return op(p, "read", nil, value, sim.OK, invoke, complete)
}

func TestCounterCheck(t *testing.T) {
	tests := []struct {
		name string
		h    sim.History
		want []string
	}{
		{"clean", sim.History{cadd(0, 1, sim.OK, 0, 1), cadd(1, 2, sim.OK, 0, 1), final(cread(0, 3, 10, 11)), final(cread(1, 3, 10, 11))}, nil},
		{"indeterminate add taken", sim.History{cadd(0, 1, sim.OK, 0, 1), cadd(1, 4, sim.Info, 0, 5000), final(cread(0, 5, 6000, 6001))}, nil},
		{"indeterminate add not taken", sim.History{cadd(0, 1, sim.OK, 0, 1), cadd(1, 4, sim.Info, 0, 5000), final(cread(0, 1, 6000, 6001))}, nil},
		{"between subset sums", sim.History{cadd(0, 1, sim.OK, 0, 1), cadd(1, 4, sim.Info, 0, 5000), final(cread(0, 3, 6000, 6001))}, []string{"wrong-final-read"}},
		{"failed add ignored", sim.History{cadd(0, 1, sim.OK, 0, 1), cadd(1, 4, sim.Fail, 0, 1), final(cread(0, 1, 10, 11))}, nil},
		{"failed add counted", sim.History{cadd(0, 1, sim.OK, 0, 1), cadd(1, 4, sim.Fail, 0, 1), final(cread(0, 5, 10, 11))}, []string{"wrong-final-read"}},
		{"pn negatives", sim.History{cadd(0, -3, sim.OK, 0, 1), cadd(1, 2, sim.OK, 0, 1), cadd(1, -5, sim.Info, 2, 5002), final(cread(0, -6, 6000, 6001))}, nil},
		{"one final read stale", sim.History{cadd(0, 2, sim.OK, 0, 1), final(cread(0, 2, 10, 11)), final(cread(1, 0, 10, 11))}, []string{"wrong-final-read"}},
		{"stale non-final read is fine", sim.History{cadd(0, 2, sim.OK, 0, 1), cread(1, 0, 2, 3), final(cread(0, 2, 10, 11))}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantKinds(t, sim.Check((&counterSpec{negative: true}).Checker(), tt.h), tt.want...)
		})
	}
}

func TestCounterNonFinalSanityStat(t *testing.T) {
	// The read completing at 3 ms can only see the add of 2 (invoked at
	// 0); 7 is out of bounds. The one at 30 ms may see both.
	h := sim.History{cadd(0, 2, sim.OK, 0, 1), cread(1, 7, 2, 3), cadd(0, 5, sim.OK, 20, 21), cread(1, 7, 25, 30), final(cread(0, 7, 40, 41))}
	r := sim.Check((&counterSpec{}).Checker(), h)
	wantKinds(t, r)
	if r.Stats["nonfinal-reads-out-of-bounds"] != 1 || r.Stats["nonfinal-read-count"] != 2 {
		t.Fatalf("stats %v", r.Stats)
	}
}

// Maelstrom's op mix: pn-counter half adds with deltas in [-5, 4];
// g-counter filters the negative adds out of the same mix, which leaves a
// third of the ops adds, deltas in [0, 4].
func TestCounterGenerator(t *testing.T) {
	for _, tc := range []struct {
		negative         bool
		lo, hi           int64
		minShare, maxShr float64
	}{{false, 0, 4, 0.30, 0.37}, {true, -5, 4, 0.47, 0.53}} {
		load, final := (&counterSpec{negative: tc.negative}).Generators(nil)
		ops := drawOps(t, load, 3, 2000)
		adds := 0
		lo, hi := int64(0), int64(0)
		for _, o := range ops {
			if o.F == "add" {
				adds++
				d := o.Value.(int64)
				lo, hi = min(lo, d), max(hi, d)
			}
		}
		if share := float64(adds) / float64(len(ops)); share < tc.minShare || share > tc.maxShr || lo != tc.lo || hi != tc.hi {
			t.Errorf("negative=%v: %d adds in %d ops (%.3f), deltas in [%d, %d]", tc.negative, adds, len(ops), share, lo, hi)
		}
		finals := drawOps(t, final, 3, 100)
		if len(finals) != 3 || !finals[0].Final || finals[0].F != "read" {
			t.Errorf("final ops %v: want one final read per thread", finals)
		}
	}
}

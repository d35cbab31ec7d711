package broadcast

import (
	"math"
	"slices"
	"testing"
)

// flood sends a value from origin along the tree and returns, for each
// node, how many times it received the value (the origin counts as once)
// and its hop count.
func flood(n, fanout, origin int) (got, hops []int, msgs int) {
	trees := make([]Tree, n)
	for i := range n {
		trees[i] = NewTree(n, i, fanout)
	}
	got, hops = make([]int, n), make([]int, n)
	got[origin] = 1
	type hop struct{ from, to, depth int }
	frontier := []hop{}
	for _, t := range trees[origin].Targets(-1) {
		frontier = append(frontier, hop{origin, t, 1})
	}
	for len(frontier) > 0 {
		h := frontier[0]
		frontier = frontier[1:]
		msgs++
		got[h.to]++
		hops[h.to] = h.depth
		for _, t := range trees[h.to].Targets(h.from) {
			frontier = append(frontier, hop{h.to, t, h.depth + 1})
		}
	}
	return got, hops, msgs
}

func TestTreeSpansOnceFromEveryOrigin(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fanout   int
		maxDepth func(n int) int
	}{
		{"direct", 0, func(int) int { return 1 }},
		{"star", math.MaxInt, func(int) int { return 2 }},
		{"star-exact", 24, func(n int) int { return map[bool]int{true: 2, false: 4}[n <= 25] }},
		{"line", 1, func(n int) int { return n - 1 }},
		{"binary", 2, func(n int) int { return 2 * bitsLen(n) }},
		{"5-ary", 5, func(n int) int { return 2 * bitsLen(n) }},
	} {
		for _, n := range []int{1, 2, 3, 5, 24, 25, 26, 100} {
			for origin := range n {
				got, hops, msgs := flood(n, tc.fanout, origin)
				for i, c := range got {
					if c != 1 {
						t.Fatalf("%s n=%d origin=%d: node %d received the value %d times", tc.name, n, origin, i, c)
					}
				}
				if msgs != n-1 {
					t.Errorf("%s n=%d origin=%d: %d messages, want n-1 = %d", tc.name, n, origin, msgs, n-1)
				}
				if d := slices.Max(hops); d > tc.maxDepth(n) {
					t.Errorf("%s n=%d origin=%d: depth %d > %d", tc.name, n, origin, d, tc.maxDepth(n))
				}
			}
		}
	}
}

func bitsLen(n int) int {
	b := 0
	for ; n > 0; n >>= 1 {
		b++
	}
	return b
}

func TestTreeNeighboursAreSymmetric(t *testing.T) {
	for _, fanout := range []int{1, 2, 3, 24, math.MaxInt} {
		n := 25
		trees := make([]Tree, n)
		for i := range n {
			trees[i] = NewTree(n, i, fanout)
		}
		for i := range n {
			for _, j := range trees[i].Targets(-1) {
				if !slices.Contains(trees[j].Targets(-1), i) {
					t.Errorf("fanout %d: %d lists %d as neighbour but not the reverse", fanout, i, j)
				}
			}
		}
	}
}

func TestStarCentreIsFirstNode(t *testing.T) {
	for i := 1; i < 25; i++ {
		if got := NewTree(25, i, math.MaxInt).Targets(-1); !slices.Equal(got, []int{0}) {
			t.Errorf("leaf %d targets %v, want [0]", i, got)
		}
	}
	if got := NewTree(25, 0, math.MaxInt).Targets(3); len(got) != 23 || slices.Contains(got, 3) {
		t.Errorf("centre relays a value from 3 to %v, want the 23 other leaves", got)
	}
}

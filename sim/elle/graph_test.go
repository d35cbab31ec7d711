package elle

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// randomCSR returns a random graph over n vertices in CSR form, with
// duplicate edges and self-loops, as a Digraph may have.
func randomCSR(r *rand.Rand, n int) (start, to []int32) {
	start = make([]int32, n+1)
	for v := range n {
		for range r.IntN(3) {
			to = append(to, int32(r.IntN(n)))
		}
		start[v+1] = int32(len(to))
	}
	return start, to
}

// reach returns the reflexive transitive closure of a CSR graph.
func reach(start, to []int32) [][]bool {
	n := len(start) - 1
	r := make([][]bool, n)
	for v := range n {
		r[v] = make([]bool, n)
		r[v][v] = true
		for _, w := range to[start[v]:start[v+1]] {
			r[v][w] = true
		}
	}
	for k := range n {
		for i := range n {
			for j := range n {
				r[i][j] = r[i][j] || r[i][k] && r[k][j]
			}
		}
	}
	return r
}

func TestDigraphSCCs(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 300 {
		n := 1 + r.IntN(14)
		start, to := randomCSR(r, n)
		rc := reach(start, to)
		var want [][]int32
		done := make([]bool, n)
		for v := range n {
			if done[v] {
				continue
			}
			var c []int32
			for w := v; w < n; w++ {
				if rc[v][w] && rc[w][v] {
					c = append(c, int32(w))
					done[w] = true
				}
			}
			if len(c) > 1 {
				want = append(want, c)
			}
		}
		got := NewDigraph(start, to).SCCs()
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("start %v to %v: SCCs %v, want %v", start, to, got, want)
		}
		g := NewGraph(n)
		for v := range n {
			for _, w := range to[start[v]:start[v+1]] {
				g.Link(v, int(w), WW)
			}
		}
		gs := g.SCCs()
		if !slices.EqualFunc(gs, want, func(a []int, b []int32) bool {
			return slices.EqualFunc(a, b, func(x int, y int32) bool { return x == int(y) })
		}) {
			t.Fatalf("start %v to %v: Graph's SCCs %v, want %v", start, to, gs, want)
		}
	}
}

func TestDigraphCycle(t *testing.T) {
	// From 0: 0 → 3 → 4 → 0, then 0 → 1 → 0, 0 → 2 → 0 and 0 → 5 → 0.
	g := NewDigraph([]int32{0, 4, 5, 6, 7, 8, 9}, []int32{3, 1, 2, 5, 0, 0, 4, 0, 0})
	for _, tt := range []struct {
		v       int32
		outside []int32
		want    []int32
	}{
		{0, nil, []int32{0, 1, 0}}, // the first of the shortest, by edge order
		{0, []int32{1}, []int32{0, 2, 0}},
		{0, []int32{1, 2, 5}, []int32{0, 3, 4, 0}},
		{0, []int32{1, 2, 4, 5}, nil},
		{4, nil, []int32{4, 0, 3, 4}},
		{4, []int32{0}, nil},
	} {
		if got := g.Cycle(tt.v, func(v int32) bool { return !slices.Contains(tt.outside, v) }); !slices.Equal(got, tt.want) {
			t.Errorf("cycle through %d outside %v: %v, want %v", tt.v, tt.outside, got, tt.want)
		}
	}

	// Random graphs: a shortest cycle inside, when there is one.
	r := rand.New(rand.NewPCG(7, 8))
	for range 300 {
		n := 1 + r.IntN(12)
		start, to := randomCSR(r, n)
		g = NewDigraph(start, to)
		in := make([]bool, n)
		for v := range in {
			in[v] = r.IntN(4) > 0
		}
		inside := func(v int32) bool { return in[v] }
		for v := range int32(n) {
			in[v] = true
			// dist[w]: the fewest edges from v to w inside.
			dist := make([]int, n)
			for w := range dist {
				dist[w] = -1
			}
			dist[v] = 0
			for queue := []int32{v}; len(queue) > 0; queue = queue[1:] {
				for _, w := range to[start[queue[0]]:start[queue[0]+1]] {
					if in[w] && dist[w] < 0 {
						dist[w] = dist[queue[0]] + 1
						queue = append(queue, w)
					}
				}
			}
			shortest := -1
			for u := range int32(n) {
				if dist[u] >= 0 && slices.Contains(to[start[u]:start[u+1]], v) && (shortest < 0 || dist[u]+1 < shortest) {
					shortest = dist[u] + 1
				}
			}
			c := g.Cycle(v, inside)
			if shortest < 0 {
				if c != nil {
					t.Fatalf("start %v to %v in %v: cycle %v through %d, want none", start, to, in, c, v)
				}
				continue
			}
			if len(c) != shortest+1 || c[0] != v || c[len(c)-1] != v {
				t.Fatalf("start %v to %v in %v: cycle %v through %d, want one of %d edges", start, to, in, c, v, shortest)
			}
			for i := 1; i < len(c); i++ {
				if !in[c[i]] || !slices.Contains(to[start[c[i-1]]:start[c[i-1]+1]], c[i]) {
					t.Fatalf("start %v to %v in %v: cycle %v through %d is not a cycle inside", start, to, in, c, v)
				}
			}
		}
	}
}

package elle

import (
	"slices"
	"strings"
)

// Kind is a relationship between two transactions: why one must precede the
// other.
type Kind uint8

// Relationships, as Elle names them.
const (
	WW       Kind = iota // write dependency: a wrote a version b overwrote
	WR                   // read dependency: b read a version a wrote
	RW                   // anti-dependency: a read a version b overwrote
	Process              // a and b ran on the same process, a first
	Realtime             // a completed before b was invoked
	numKinds
)

var kindNames = [numKinds]string{"ww", "wr", "rw", "process", "realtime"}

// String implements fmt.Stringer.
func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "?"
}

// Kinds is a set of relationships: the value of an edge.
type Kinds uint8

// KindsOf returns the set of ks.
func KindsOf(ks ...Kind) Kinds {
	var s Kinds
	for _, k := range ks {
		s |= 1 << k
	}
	return s
}

// Has reports whether k is in the set.
func (s Kinds) Has(k Kind) bool { return s&(1<<k) != 0 }

// String implements fmt.Stringer: "ww+rw".
func (s Kinds) String() string {
	var names []string
	for k := range numKinds {
		if s.Has(k) {
			names = append(names, k.String())
		}
	}
	return strings.Join(names, "+")
}

// Priority is the order in which a workload's explainers are consulted: the
// first relationship in it that holds between two transactions is the one
// that explains their edge, and the one a cycle's classification counts.
// Elle combines explainers in the order of its analyzers: rw-register puts
// wr first (RWRegisterPriority), list-append ww (ListAppendPriority); the
// process and realtime explainers come last.
type Priority []Kind

// Priorities of Elle 0.1.6's checkers.
var (
	RWRegisterPriority = Priority{WR, WW, RW, Process, Realtime}
	ListAppendPriority = Priority{WW, WR, RW, Process, Realtime}
)

// Explain returns the relationship that explains an edge with value s.
func (p Priority) Explain(s Kinds) Kind {
	for _, k := range p {
		if s.Has(k) {
			return k
		}
	}
	for k := range numKinds {
		if s.Has(k) {
			return k
		}
	}
	return numKinds
}

// Graph is a dependency graph over the transactions of a history: vertex i
// is the i-th Op of the History; each edge carries the set of relationships
// that order its ends. Build it with Link, then read it; reading freezes it.
type Graph struct {
	n     int
	touch []bool // vertices that took part in a Link, self-links included
	edges map[uint64]Kinds
	out   [][]int32 // frozen adjacency, sorted; nil until frozen
}

// NewGraph returns an empty graph over n vertices.
func NewGraph(n int) *Graph {
	return &Graph{n: n, touch: make([]bool, n), edges: make(map[uint64]Kinds)}
}

// Len is the number of vertices.
func (g *Graph) Len() int { return g.n }

func key(a, b int) uint64 { return uint64(a)<<32 | uint64(uint32(b)) }

// Link adds relationship k to the edge a → b. Self-edges are dropped, as
// Elle removes them, but their vertex counts as part of the graph (Elle's
// graph keeps it).
func (g *Graph) Link(a, b int, k Kind) {
	if g.out != nil {
		panic("elle: Link on a frozen graph")
	}
	g.touch[a], g.touch[b] = true, true
	if a == b {
		return
	}
	g.edges[key(a, b)] |= 1 << k
}

// Edge returns the relationships of the edge a → b (0: none).
func (g *Graph) Edge(a, b int) Kinds { return g.edges[key(a, b)] }

// Empty reports whether no vertex was ever linked, not even to itself
// (Elle's :empty-transaction-graph).
func (g *Graph) Empty() bool { return !slices.Contains(g.touch, true) }

// EdgeCount is the number of edges.
func (g *Graph) EdgeCount() int { return len(g.edges) }

func (g *Graph) freeze() {
	if g.out != nil {
		return
	}
	g.out = make([][]int32, g.n)
	for k := range g.edges {
		a, b := int(k>>32), int32(uint32(k))
		g.out[a] = append(g.out[a], b)
	}
	for _, o := range g.out {
		slices.Sort(o)
	}
}

// Out returns the successors of a, ascending.
func (g *Graph) Out(a int) []int32 {
	g.freeze()
	return g.out[a]
}

// SCCs returns the strongly connected components of more than one vertex,
// each sorted, ordered by their smallest vertex.
func (g *Graph) SCCs() [][]int {
	all := make([]int, g.n)
	for i := range all {
		all[i] = i
	}
	d := Digraph{*g.sub(all, func(Kinds) bool { return true })}
	var out [][]int
	for _, c := range d.SCCs() {
		vs := make([]int, len(c))
		for i, v := range c {
			vs[i] = int(v)
		}
		out = append(out, vs)
	}
	return out
}

// Digraph is a compact directed graph over vertices 0..n-1, in CSR form
// and with no map of edges, for analyses of graphs too large for Graph
// (hundreds of thousands of vertices). Its searches are those of Graph's
// cycle search.
type Digraph struct {
	d dg
}

// NewDigraph returns the graph in which vertex v has edges to
// to[start[v]:start[v+1]], in that order; start has one entry more than
// there are vertices, start[0] is 0 and the last is len(to). The graph
// keeps both slices.
func NewDigraph(start, to []int32) *Digraph {
	return &Digraph{dg{start: start, to: to}}
}

// SCCs returns the strongly connected components of more than one vertex,
// each sorted, ordered by their smallest vertex.
func (g *Digraph) SCCs() [][]int32 {
	comp, ncomp := tarjan(&g.d)
	size := make([]int32, ncomp)
	for _, c := range comp {
		size[c]++
	}
	at := make([]int32, ncomp) // 1 + the component's place in out; 0: not there yet
	var out [][]int32
	for v, c := range comp {
		if size[c] < 2 {
			continue
		}
		if at[c] == 0 {
			out = append(out, make([]int32, 0, size[c]))
			at[c] = int32(len(out))
		}
		out[at[c]-1] = append(out[at[c]-1], int32(v))
	}
	return out
}

// Cycle returns a shortest cycle through v whose vertices, v included,
// are all ones for which inside is true, as its vertices from v round to
// v again, or nil when there is none. It is a breadth-first search from v that goes through
// each vertex's edges in order, so of several shortest cycles it returns
// the first it meets.
func (g *Digraph) Cycle(v int32, inside func(int32) bool) []int32 {
	p, _ := g.d.bfs(v, v, true, inside, nil)
	return p
}

// dg is a compact directed graph over local vertices 0..n-1 with a label
// per edge, in CSR form.
type dg struct {
	start []int32 // edges of v are to[start[v]:start[v+1]]
	to    []int32
	lab   []Kinds
}

func (d *dg) n() int { return len(d.start) - 1 }

// sub returns the subgraph of g induced by verts (local vertex i is
// verts[i]) with the edges whose value keep accepts; labels are the edge
// values.
func (g *Graph) sub(verts []int, keep func(Kinds) bool) *dg {
	g.freeze()
	local := make(map[int32]int32, len(verts))
	for i, v := range verts {
		local[int32(v)] = int32(i)
	}
	d := &dg{start: make([]int32, len(verts)+1)}
	for i, v := range verts {
		for _, w := range g.out[v] {
			j, ok := local[w]
			if !ok {
				continue
			}
			if ks := g.edges[key(v, int(w))]; keep(ks) {
				d.to = append(d.to, j)
				d.lab = append(d.lab, ks)
			}
		}
		d.start[i+1] = int32(len(d.to))
	}
	return d
}

// tarjan labels each vertex of d with its strongly connected component.
// Components are numbered in the order Tarjan's algorithm completes them,
// which is a reverse topological order of the condensation: every edge
// between components goes from a higher number to a lower one.
func tarjan(d *dg) (comp []int32, ncomp int) {
	n := d.n()
	index := make([]int32, n)
	low := make([]int32, n)
	comp = make([]int32, n)
	for i := range index {
		index[i] = -1
		comp[i] = -1
	}
	var stack []int32
	onStack := make([]bool, n)
	type frame struct{ v, e int32 }
	var call []frame
	next := int32(0)
	for root := range n {
		if index[root] >= 0 {
			continue
		}
		call = append(call, frame{int32(root), d.start[root]})
		index[root], low[root] = next, next
		next++
		stack = append(stack, int32(root))
		onStack[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			v := f.v
			if f.e < d.start[v+1] {
				w := d.to[f.e]
				f.e++
				if index[w] < 0 {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{w, d.start[w]})
				} else if onStack[w] && index[w] < low[v] {
					low[v] = index[w]
				}
				continue
			}
			call = call[:len(call)-1]
			if len(call) > 0 {
				if u := call[len(call)-1].v; low[v] < low[u] {
					low[u] = low[v]
				}
			}
			if low[v] == index[v] {
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp[w] = int32(ncomp)
					if w == v {
						break
					}
				}
				ncomp++
			}
		}
	}
	return comp, ncomp
}

// path returns a shortest path from a to b in d through vertices for which
// inside is true (both ends included), as the list of vertices, or nil;
// the path from a vertex to itself is that vertex alone. It charges its
// work to bud.
func (d *dg) path(a, b int32, inside func(int32) bool, bud *budget) ([]int32, error) {
	return d.bfs(a, b, false, inside, bud)
}

// bfs is path's breadth-first search from a to b, through each vertex's
// edges in order; with around, a path must have an edge, so that from a
// to a itself it is a shortest cycle.
func (d *dg) bfs(a, b int32, around bool, inside func(int32) bool, bud *budget) ([]int32, error) {
	prev := make(map[int32]int32, 64)
	if !around {
		prev[a] = -1
	}
	queue := []int32{a}
	for first := true; len(queue) > 0; first = false {
		v := queue[0]
		queue = queue[1:]
		if v == b && !(around && first) {
			p := []int32{b}
			for x := b; x != a || (around && len(p) == 1); {
				x = prev[x]
				p = append(p, x)
			}
			slices.Reverse(p)
			return p, nil
		}
		if err := bud.spend(int64(d.start[v+1]-d.start[v]) + 1); err != nil {
			return nil, err
		}
		for e := d.start[v]; e < d.start[v+1]; e++ {
			w := d.to[e]
			if _, seen := prev[w]; seen || !inside(w) {
				continue
			}
			prev[w] = v
			queue = append(queue, w)
		}
	}
	return nil, nil
}

package txn

// edgeKind is the dependency an edge stands for.
type edgeKind uint8

const (
	ww edgeKind = iota // write-write: the source's version of key precedes the target's
	wr                 // write-read: the target read the source's write of key
)

func (k edgeKind) String() string {
	if k == ww {
		return "ww"
	}
	return "wr"
}

// edge is one dependency from a transaction to another, on one key.
type edge struct {
	to   int32
	kind edgeKind
	key  int64
}

// graph is a dependency graph over transactions numbered 0..n-1, without
// self-edges.
type graph struct {
	out [][]edge
}

func newGraph(n int) *graph { return &graph{out: make([][]edge, n)} }

// link adds the edge from → to, dropping self-edges.
func (g *graph) link(from, to int32, kind edgeKind, key int64) {
	if from != to {
		g.out[from] = append(g.out[from], edge{to: to, kind: kind, key: key})
	}
}

// count returns the number of edges of kind.
func (g *graph) count(kind edgeKind) int {
	n := 0
	for _, es := range g.out {
		for _, e := range es {
			if e.kind == kind {
				n++
			}
		}
	}
	return n
}

// sccs returns the strongly connected components of more than one vertex
// of the subgraph of edges that keep accepts (Tarjan's algorithm), and comp,
// the component number of each vertex (-1 for vertices in none of them).
func (g *graph) sccs(keep func(edge) bool) (comps [][]int32, comp []int32) {
	n := len(g.out)
	index := make([]int32, n) // visit order, from 1; 0 = unvisited
	low := make([]int32, n)
	onStack := make([]bool, n)
	comp = make([]int32, n)
	for i := range comp {
		comp[i] = -1
	}
	var stack []int32
	var next int32

	var visit func(v int32)
	visit = func(v int32) {
		next++
		index[v], low[v] = next, next
		stack = append(stack, v)
		onStack[v] = true
		for _, e := range g.out[v] {
			if !keep(e) {
				continue
			}
			switch {
			case index[e.to] == 0:
				visit(e.to)
				low[v] = min(low[v], low[e.to])
			case onStack[e.to]:
				low[v] = min(low[v], index[e.to])
			}
		}
		if low[v] != index[v] {
			return
		}
		i := len(stack) - 1
		for stack[i] != v {
			i--
		}
		members := stack[i:]
		for _, m := range members {
			onStack[m] = false
		}
		if len(members) > 1 {
			for _, m := range members {
				comp[m] = int32(len(comps))
			}
			comps = append(comps, append([]int32(nil), members...))
		}
		stack = stack[:i]
	}
	for v := range n {
		if index[v] == 0 {
			visit(int32(v))
		}
	}
	return comps, comp
}

// step is one hop of a cycle: from the previous transaction along e.
type step struct {
	from int32
	e    edge
}

// cycleThrough returns a shortest cycle that starts with the edge first
// (from → first.to) and returns to from along edges that keep accepts,
// staying inside component c; nil if there is none.
func (g *graph) cycleThrough(from int32, first edge, comp []int32, c int32, keep func(edge) bool) []step {
	parent := map[int32]step{first.to: {from: from, e: first}}
	queue := []int32{first.to}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, e := range g.out[v] {
			if !keep(e) || comp[e.to] != c {
				continue
			}
			if _, seen := parent[e.to]; seen {
				continue
			}
			parent[e.to] = step{from: v, e: e}
			if e.to == from {
				var path []step
				for at := from; ; {
					s := parent[at]
					path = append(path, s)
					if s.from == from {
						break
					}
					at = s.from
				}
				for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
					path[i], path[j] = path[j], path[i]
				}
				return path
			}
			queue = append(queue, e.to)
		}
	}
	return nil
}

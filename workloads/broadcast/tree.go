package broadcast

// Tree is this node's view of the spanning tree a value travels on: to whom
// it passes a value, given where the value came from. Nodes are numbered by
// their position in init's node_ids, which every node sees in the same order,
// so every node computes the same tree without exchanging a message.
//
// Two shapes:
//
//   - Direct (fanout 0): each value's tree is the star rooted at the node
//     that received it from a client. That node sends it straight to every
//     peer; nobody relays. One hop, N-1 messages per value.
//   - Shared (fanout F ≥ 1): one F-ary tree over node_ids (node i's parent is
//     (i-1)/F), and a value floods along it from wherever it entered: each
//     node passes it to its tree neighbours except the one it came from.
//     Any F ≥ N-1 makes the tree a star centred on the first node, the shape
//     with the fewest busy links, which batching turns into the fewest
//     messages.
type Tree struct {
	n, self int
	direct  bool
	nbrs    []int // tree neighbours of self (shared shape only)
}

// NewTree returns node self's view of the tree over n nodes with the given
// fanout (0 for direct). It panics if self is not in 0..n-1 or fanout < 0;
// callers validate both first.
func NewTree(n, self, fanout int) Tree {
	if self < 0 || self >= n || fanout < 0 {
		panic("broadcast: NewTree: self outside 0..n-1 or negative fanout")
	}
	t := Tree{n: n, self: self, direct: fanout == 0}
	if t.direct {
		return t
	}
	if self > 0 {
		t.nbrs = append(t.nbrs, (self-1)/fanout)
	}
	// Children are fanout*self+1 … fanout*self+fanout; guard the product
	// against overflow for huge fanouts.
	if self == 0 || fanout <= (n-1)/self {
		for c := fanout*self + 1; c < n && c <= fanout*self+fanout; c++ {
			t.nbrs = append(t.nbrs, c)
		}
	}
	return t
}

// Targets lists the nodes this node must pass a value to. from is the node
// the value came from, or -1 when it came from one of this node's clients.
func (t Tree) Targets(from int) []int {
	if t.direct {
		if from >= 0 {
			return nil
		}
		out := make([]int, 0, t.n-1)
		for i := range t.n {
			if i != t.self {
				out = append(out, i)
			}
		}
		return out
	}
	out := make([]int, 0, len(t.nbrs))
	for _, nb := range t.nbrs {
		if nb != from {
			out = append(out, nb)
		}
	}
	return out
}

// Leaf reports whether this node is a leaf of the shared tree: not the
// root, and without children.
func (t Tree) Leaf() bool {
	return !t.direct && t.self > 0 && len(t.nbrs) == 1
}

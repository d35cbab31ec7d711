package spec

import (
	"fmt"
	"math"
)

// topologies are Maelstrom's --topology choices for broadcast: each maps the
// node ids (in init order) to every node's suggested neighbours.
var topologies = map[string]func(nodes []string) map[string][]string{
	"grid":  gridTopology,
	"line":  lineTopology,
	"tree":  treeTopology(2),
	"tree2": treeTopology(2),
	"tree3": treeTopology(3),
	"tree4": treeTopology(4),
	"total": totalTopology,
}

// topologyFunc returns the named topology; "" is Maelstrom's default, grid.
func topologyFunc(name string) (func([]string) map[string][]string, error) {
	if name == "" {
		name = "grid"
	}
	f, ok := topologies[name]
	if !ok {
		return nil, fmt.Errorf("unknown topology %q (known: grid, line, tree, tree2, tree3, tree4, total)", name)
	}
	return f, nil
}

// gridTopology lays the nodes row by row on a square of side ⌈√n⌉; each
// node's neighbours are, in this order, the ones below, above, right and
// left of it.
func gridTopology(nodes []string) map[string][]string {
	n := len(nodes)
	side := int(math.Ceil(math.Sqrt(float64(n))))
	at := func(i, j int) (string, bool) {
		if i < 0 || j < 0 || j >= side || i*side+j >= n {
			return "", false
		}
		return nodes[i*side+j], true
	}
	t := map[string][]string{}
	for i := range side {
		for j := range side {
			me, ok := at(i, j)
			if !ok {
				continue
			}
			nb := []string{}
			for _, d := range [][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
				if o, ok := at(i+d[0], j+d[1]); ok {
					nb = append(nb, o)
				}
			}
			t[me] = nb
		}
	}
	return t
}

// lineTopology chains the nodes in order. Like Maelstrom, a single node gets
// an empty map (it is not even listed).
func lineTopology(nodes []string) map[string][]string {
	t := map[string][]string{}
	n := len(nodes)
	if n < 2 {
		return t
	}
	for i, me := range nodes {
		nb := []string{}
		if i > 0 {
			nb = append(nb, nodes[i-1])
		}
		if i < n-1 {
			nb = append(nb, nodes[i+1])
		}
		t[me] = nb
	}
	return t
}

// totalTopology connects every node to every other.
func totalTopology(nodes []string) map[string][]string {
	t := map[string][]string{}
	for _, me := range nodes {
		nb := []string{}
		for _, o := range nodes {
			if o != me {
				nb = append(nb, o)
			}
		}
		t[me] = nb
	}
	return t
}

// treeTopology fills a tree with branch factor b tier by tier (1, b, b², …
// nodes), the children of each tier split among its parents in order; a
// node's neighbours are its parent first, then its children.
func treeTopology(b int) func([]string) map[string][]string {
	return func(nodes []string) map[string][]string {
		t := map[string][]string{}
		var tiers [][]string
		for rest, size := nodes, 1; len(rest) > 0; size *= b {
			k := min(size, len(rest))
			tiers = append(tiers, rest[:k])
			rest = rest[k:]
		}
		for ti, tier := range tiers {
			for q, me := range tier {
				nb := []string{}
				if ti > 0 {
					nb = append(nb, tiers[ti-1][q/b])
				}
				if ti+1 < len(tiers) {
					kids := tiers[ti+1]
					for c := q * b; c < min((q+1)*b, len(kids)); c++ {
						nb = append(nb, kids[c])
					}
				}
				t[me] = nb
			}
		}
		return t
	}
}

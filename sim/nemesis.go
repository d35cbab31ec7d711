package sim

import (
	"math/rand/v2"
	"time"

	"github.com/glomers/glomers/sim/gen"
)

// grudge is a partition as Jepsen describes one: for each server, the
// servers it drops messages from. It is immutable once built.
type grudge struct {
	n    int
	drop []bool // drop[to*n+from]
}

func (g *grudge) drops(to, from int) bool { return g.drop[to*g.n+from] }

// components builds the grudge that cuts every link between different
// groups; group[i] is server i's group.
func components(group []int) *grudge {
	n := len(group)
	g := &grudge{n: n, drop: make([]bool, n*n)}
	for to := range n {
		for from := range n {
			g.drop[to*n+from] = group[to] != group[from]
		}
	}
	return g
}

// shape is one of Jepsen's partition targets, built for n servers. Like
// Jepsen's, a shape may cut nothing (a minority third of three nodes is
// nobody); the nemesis still spends its turn on it.
type shape struct {
	name  string
	build func(r *rand.Rand, n int) *grudge
}

// shapes are the partitions Maelstrom's nemesis picks from, uniformly.
var shapes = []shape{
	{"one", func(r *rand.Rand, n int) *grudge {
		// One node cut off from all the others.
		group := make([]int, n)
		group[r.IntN(n)] = 1
		return components(group)
	}},
	{"minority-third", func(r *rand.Rand, n int) *grudge {
		// The largest number of nodes under a third, apart from the rest.
		return split(r, n, (n-1)/3)
	}},
	{"majority", func(r *rand.Rand, n int) *grudge {
		// Random halves, the smaller one first: a minority and a majority.
		return split(r, n, n/2)
	}},
	{"majorities-ring", majoritiesRing},
}

// split puts a random set of size nodes apart from the others.
func split(r *rand.Rand, n, size int) *grudge {
	group := make([]int, n)
	for _, i := range r.Perm(n)[:size] {
		group[i] = 1
	}
	return components(group)
}

// majoritiesRing shuffles the nodes into a ring and lets each see only the
// majority of consecutive nodes around it (itself at the middle, or just
// after it for an even majority, which makes the cut one-way between some
// pairs). This is Jepsen's exact construction for up to five nodes; for
// more, Jepsen connects random majorities instead, and this keeps the ring.
func majoritiesRing(r *rand.Rand, n int) *grudge {
	m := n/2 + 1
	ring := r.Perm(n)
	g := &grudge{n: n, drop: make([]bool, n*n)}
	for p, to := range ring {
		sees := make([]bool, n)
		for i := range m {
			sees[ring[(p-m/2+i+n)%n]] = true
		}
		for from := range n {
			g.drop[to*n+from] = !sees[from]
		}
	}
	return g
}

// partitionGenerators returns the nemesis generators of Jepsen's partition
// package as Maelstrom configures it: partitions of a random shape and heals
// in turn, staggered by interval (gaps uniform in [0, 2×interval), the first
// partition at once); the final generator heals.
func partitionGenerators(interval time.Duration) (g, final gen.Gen) {
	start := gen.FuncOp(func(t *gen.Test) gen.Op {
		return gen.Op{Type: gen.Info, F: "start-partition", Value: shapes[t.Rand.IntN(len(shapes))].name}
	})
	stop := gen.Once(gen.Op{Type: gen.Info, F: "stop-partition"})
	return gen.Stagger(interval, gen.FlipFlop(start, gen.Repeat(-1, stop))), stop
}

// nemesisOp performs a nemesis operation and returns its completion.
func (r *run) nemesisOp(op gen.Op) gen.Op {
	switch op.F {
	case "start-partition":
		name, _ := op.Value.(string)
		for _, s := range shapes {
			if s.name == name {
				r.setGrudge(name, s.build(r.nemRand, len(r.nw.servers)))
			}
		}
	case "stop-partition":
		r.setGrudge("", nil)
	}
	return op
}

// setGrudge installs a partition (nil heals) and records the event.
func (r *run) setGrudge(shape string, g *grudge) {
	r.nw.grudge = g
	ev := NemesisEvent{At: r.since().Seconds(), Action: "heal"}
	if g != nil {
		ev.Action, ev.Shape, ev.Grudge = "partition", shape, map[string][]string{}
		for to, te := range r.nw.servers {
			for from, fe := range r.nw.servers {
				if g.drops(to, from) {
					ev.Grudge[te.id] = append(ev.Grudge[te.id], fe.id)
				}
			}
		}
	}
	r.in.nemesis = append(r.in.nemesis, ev)
	r.in.record(HistoryEvent{Nemesis: &ev})
}

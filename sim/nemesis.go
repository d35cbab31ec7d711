package sim

import (
	"context"
	"math/rand/v2"
	"time"
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

// shape is one of Jepsen's partition targets for n servers; ok is false
// when it cannot cut anything with n servers.
type shape struct {
	name  string
	build func(r *rand.Rand, n int) (g *grudge, ok bool)
}

// shapes are the partitions Maelstrom's nemesis picks from.
var shapes = []shape{
	{"one", func(r *rand.Rand, n int) (*grudge, bool) {
		// One node cut off from all the others.
		if n < 2 {
			return nil, false
		}
		group := make([]int, n)
		group[r.IntN(n)] = 1
		return components(group), true
	}},
	{"minority-third", func(r *rand.Rand, n int) (*grudge, bool) {
		// A random third of the nodes apart from the rest.
		return split(r, n, n/3)
	}},
	{"majority", func(r *rand.Rand, n int) (*grudge, bool) {
		// Random halves: a minority and a majority.
		return split(r, n, n/2)
	}},
	{"majorities-ring", func(r *rand.Rand, n int) (*grudge, bool) {
		// Nodes on a shuffled ring each see the majority of nodes around
		// them, and no two see the same majority.
		k := (n/2 + 1) / 2 // radius of the visible window
		if 2*k+1 >= n {
			return nil, false
		}
		ring := r.Perm(n)
		pos := make([]int, n)
		for i, node := range ring {
			pos[node] = i
		}
		g := &grudge{n: n, drop: make([]bool, n*n)}
		for to := range n {
			for from := range n {
				d := (pos[to] - pos[from] + n) % n
				g.drop[to*n+from] = min(d, n-d) > k
			}
		}
		return g, true
	}},
}

// split puts a random set of size nodes apart from the others.
func split(r *rand.Rand, n, size int) (*grudge, bool) {
	if size < 1 || size >= n {
		return nil, false
	}
	group := make([]int, n)
	for _, i := range r.Perm(n)[:size] {
		group[i] = 1
	}
	return components(group), true
}

// partition picks a random shape that can cut n servers; ok is false when
// none can (a single node).
func partition(r *rand.Rand, n int) (name string, g *grudge, ok bool) {
	for _, i := range r.Perm(len(shapes)) {
		if g, ok := shapes[i].build(r, n); ok {
			return shapes[i].name, g, true
		}
	}
	return "", nil, false
}

// nemesis alternates partitions and heals until end, each after a random
// delay uniform in [0, 2×interval) as Jepsen's staggered flip-flop does,
// and heals when it stops. It records what it does in r.events.
func (r *run) nemesis(ctx context.Context, end time.Time, rng *rand.Rand) {
	cut := false
	for {
		wait := time.Duration(rng.Int64N(2 * int64(r.cfg.NemesisInterval)))
		at := time.Now().Add(wait)
		if at.After(end) {
			at = end
		}
		if !sleepUntil(ctx, at) || !time.Now().Before(end) {
			break
		}
		if cut {
			r.setGrudge("", nil)
			cut = false
			continue
		}
		if name, g, ok := partition(rng, len(r.nw.servers)); ok {
			r.setGrudge(name, g)
			cut = true
		}
	}
	if cut {
		r.setGrudge("", nil)
	}
}

// setGrudge installs a partition (nil heals) and records the event.
func (r *run) setGrudge(shape string, g *grudge) {
	r.nw.grudge.Store(g)
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
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
}

// sleepUntil waits until t or the end of ctx, reporting whether t came.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

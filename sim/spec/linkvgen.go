package spec

import (
	"github.com/glomers/glomers/sim/gen"
)

// Two of Jepsen's generators that package sim/gen does not have, as lin-kv
// uses them: jepsen.independent's concurrent-generator and
// jepsen.generator's process-limit.

// linKVIndependent is independent's concurrent-generator: the client
// threads, sorted, are split into groups of n; group i starts on key i,
// and whenever a group's generator is exhausted the group takes the next
// key no group has had (keys 0, 1, 2, …) and a fresh generator for it.
// Each group's generator sees only its threads and gets only their
// events. Asked for an operation, it asks the generator of every group
// with a free thread and returns the soonest operation, a tie broken at
// random in proportion to the groups' sizes, as soonest-op-map does.
type linKVIndependent struct {
	n     int
	fgen  func(k int64) gen.Gen
	group []int     // thread → group, -1 for none; nil until the first call
	size  []int     // threads per group
	gens  []gen.Gen // per group; nil once its generator could not run at all
	next  int64     // the next key to hand out
}

func newLinKVIndependent(n int, fgen func(k int64) gen.Gen) gen.Gen {
	return linKVIndependent{n: n, fgen: fgen}
}

// start splits the context's threads into groups and gives each its key.
// Jepsen asserts that they split exactly (newLinKVSpec refuses the
// configurations where they do not); threads past the last whole group
// here stay idle, as Clojure's partition would leave them.
func (g linKVIndependent) start(ctx gen.Context) linKVIndependent {
	threads := ctx.AllThreads()
	all := 0
	if len(threads) > 0 {
		all = threads[len(threads)-1] + 1
	}
	g.group = make([]int, all)
	for i := range g.group {
		g.group[i] = -1
	}
	groups := len(threads) / g.n
	for i, t := range threads[:groups*g.n] {
		g.group[t] = i / g.n
	}
	g.size = make([]int, groups)
	g.gens = make([]gen.Gen, groups)
	for i := range groups {
		g.size[i] = g.n
		g.gens[i] = g.fgen(int64(i))
	}
	g.next = int64(groups)
	return g
}

func (g linKVIndependent) groupOf(thread int) int {
	if thread < 0 || thread >= len(g.group) {
		return -1
	}
	return g.group[thread]
}

// linKVOffer is one group's operation in the choice between groups.
type linKVOffer struct {
	op     gen.Op
	next   gen.Gen
	group  int
	weight int
}

// sooner is soonest-op-map for two offers, best first (best may be nil):
// a real operation before Pending, then the earlier, then a tie at random
// in proportion to the weights, the winner carrying both.
func (o linKVOffer) sooner(t *gen.Test, best *linKVOffer) *linKVOffer {
	switch {
	case best == nil || best.op.Type == gen.Pending:
		return &o
	case o.op.Type == gen.Pending || best.op.Time < o.op.Time:
		return best
	case o.op.Time < best.op.Time:
		return &o
	}
	w := best.weight + o.weight
	win := best
	if t.Rand.IntN(w) >= best.weight {
		win = &o
	}
	win.weight = w
	return win
}

func (g linKVIndependent) Op(t *gen.Test, ctx gen.Context) (gen.Op, gen.Gen, bool) {
	if g.group == nil {
		g = g.start(ctx)
	}
	free := make([]bool, len(g.gens))
	for _, th := range ctx.FreeThreads() {
		if i := g.groupOf(th); i >= 0 {
			free[i] = true
		}
	}
	gens := append([]gen.Gen(nil), g.gens...)
	next := g.next
	var best *linKVOffer
	for i, isFree := range free {
		if !isFree || gens[i] == nil {
			continue
		}
		sub := ctx.Restrict(func(th int) bool { return g.groupOf(th) == i })
		for fresh := false; ; fresh = true {
			if op, g2, ok := gen.Next(gens[i], t, sub); ok {
				best = linKVOffer{op, g2, i, g.size[i]}.sooner(t, best)
				break
			}
			if fresh {
				// A new key's generator that cannot issue a single
				// operation; Jepsen would take keys forever.
				gens[i] = nil
				break
			}
			// Retire the key: the group moves on to the next one.
			gens[i] = g.fgen(next)
			next++
		}
	}
	g.next = next
	if best == nil {
		for _, x := range gens {
			if x != nil {
				g.gens = gens
				return gen.Op{Type: gen.Pending}, g, true
			}
		}
		return gen.Op{}, nil, false
	}
	gens[best.group] = best.next
	g.gens = gens
	return best.op, g, true
}

func (g linKVIndependent) Update(t *gen.Test, ctx gen.Context, e gen.Op) gen.Gen {
	i := g.groupOf(ctx.Thread(e.Process))
	if i < 0 || g.gens[i] == nil {
		return g
	}
	gens := append([]gen.Gen(nil), g.gens...)
	gens[i] = gen.Update(gens[i], t, ctx, e)
	g.gens = gens
	return g
}

// linKVProcesses is process-limit: g's operations as long as the
// processes of the threads of the contexts it was asked in (busy or free,
// not only those that ran an operation) number at most n in all; the first
// operation past that ends it.
type linKVProcesses struct {
	n     int
	procs map[int]bool // never changed once shared: copied to grow
	g     gen.Gen
}

func linKVLimit(n int, g gen.Gen) gen.Gen { return linKVProcesses{n: n, g: g} }

func (l linKVProcesses) Op(t *gen.Test, ctx gen.Context) (gen.Op, gen.Gen, bool) {
	op, g2, ok := gen.Next(l.g, t, ctx)
	if !ok {
		return gen.Op{}, nil, false
	}
	if op.Type == gen.Pending {
		return op, linKVProcesses{l.n, l.procs, g2}, true
	}
	procs, copied := l.procs, false
	for _, p := range ctx.AllProcesses() {
		if procs[p] {
			continue
		}
		if !copied {
			procs, copied = make(map[int]bool, len(l.procs)+1), true
			for q := range l.procs {
				procs[q] = true
			}
		}
		procs[p] = true
	}
	if len(procs) > l.n {
		return gen.Op{}, nil, false
	}
	return op, linKVProcesses{l.n, procs, g2}, true
}

func (l linKVProcesses) Update(t *gen.Test, ctx gen.Context, e gen.Op) gen.Gen {
	return linKVProcesses{l.n, l.procs, gen.Update(l.g, t, ctx, e)}
}

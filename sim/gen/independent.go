package gen

// independent is jepsen.independent's concurrent-generator. The client
// threads, sorted, are split into groups of n; group i starts on key i, and
// whenever a group's generator is exhausted the group takes the next
// key no group has had (keys 0, 1, 2, …) and a fresh generator for it.
// Each group's generator sees only its threads and gets only their
// events. Asked for an operation, it asks the generator of every group
// with a free thread and returns the soonest operation, a tie broken at
// random in proportion to the groups' sizes, as soonest-op-map does.
type independent struct {
	n     int
	fgen  func(k int64) Gen
	group []int // thread → group, -1 for none; nil until the first call
	size  []int // threads per group
	gens  []Gen // per group; nil once its generator could not run at all
	next  int64 // the next key to hand out
}

// Independent is jepsen.independent's concurrent-generator: the threads of
// its context, sorted, in groups of n, each group running fgen(k) for one
// key k at a time (0, 1, 2, …), taking the next key when its generator is
// exhausted; see independent for the details. Threads past the last whole
// group stay idle (Jepsen asserts there are none).
func Independent(n int, fgen func(k int64) Gen) Gen {
	return independent{n: n, fgen: fgen}
}

// start splits the context's threads into groups and gives each its key.
// Jepsen asserts that they split exactly (a caller should refuse the
// configurations where they do not); threads past the last whole group
// here stay idle, as Clojure's partition would leave them.
func (g independent) start(ctx Context) independent {
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
	g.gens = make([]Gen, groups)
	for i := range groups {
		g.size[i] = g.n
		g.gens[i] = g.fgen(int64(i))
	}
	g.next = int64(groups)
	return g
}

func (g independent) groupOf(thread int) int {
	if thread < 0 || thread >= len(g.group) {
		return -1
	}
	return g.group[thread]
}

func (g independent) Op(t *Test, ctx Context) (Op, Gen, bool) {
	if g.group == nil {
		g = g.start(ctx)
	}
	free := make([]bool, len(g.gens))
	for _, th := range ctx.FreeThreads() {
		if i := g.groupOf(th); i >= 0 {
			free[i] = true
		}
	}
	gens := append([]Gen(nil), g.gens...)
	next := g.next
	var best candidate
	for i, isFree := range free {
		if !isFree || gens[i] == nil {
			continue
		}
		sub := ctx.Restrict(func(th int) bool { return g.groupOf(th) == i })
		for fresh := false; ; fresh = true {
			if op, g2, ok := Next(gens[i], t, sub); ok {
				best = soonest(t, best, candidate{op: op, next: g2, i: i, weight: g.size[i], set: true})
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
	if !best.set {
		for _, x := range gens {
			if x != nil {
				g.gens = gens
				return pending, g, true
			}
		}
		return Op{}, nil, false
	}
	gens[best.i] = best.next
	g.gens = gens
	return best.op, g, true
}

func (g independent) Update(t *Test, ctx Context, e Op) Gen {
	i := g.groupOf(ctx.Thread(e.Process))
	if i < 0 || g.gens[i] == nil {
		return g
	}
	gens := append([]Gen(nil), g.gens...)
	gens[i] = Update(gens[i], t, ctx, e)
	g.gens = gens
	return g
}

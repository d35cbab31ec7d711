package gen

import (
	"time"
)

// Gen is a pure generator of operations.
type Gen interface {
	// Op returns the next operation and the generator that follows it.
	// The operation's Type is Pending when none can be issued yet (the
	// generator returned is then the one to keep); ok is false when the
	// generator is exhausted.
	Op(t *Test, ctx Context) (op Op, next Gen, ok bool)

	// Update returns the generator after event, an invocation this
	// generator (or another) emitted or the completion of one.
	Update(t *Test, ctx Context, event Op) Gen
}

// Next asks g for an operation; a nil generator is exhausted.
func Next(g Gen, t *Test, ctx Context) (Op, Gen, bool) {
	if g == nil {
		return Op{}, nil, false
	}
	return g.Op(t, ctx)
}

// Update tells g of event; a nil generator stays nil.
func Update(g Gen, t *Test, ctx Context, event Op) Gen {
	if g == nil {
		return nil
	}
	return g.Update(t, ctx, event)
}

// pending is the Pending pseudo-operation.
var pending = Op{Type: Pending}

// fill completes a literal operation from the context: a free process, the
// context's time. ok is false when no thread is free (Jepsen's fill-in-op).
func fill(op Op, ctx Context) (Op, bool) {
	p, ok := ctx.SomeFreeProcess()
	if !ok {
		return pending, false
	}
	op.Process, op.Time = p, ctx.Time
	return op, true
}

// lit is a literal operation: emitted once, by whichever thread is free.
type lit struct{ op Op }

// Once returns a generator of the single operation op, filled in with a
// free process and the current time when asked (a map in Clojure).
func Once(op Op) Gen { return lit{op} }

func (l lit) Op(_ *Test, ctx Context) (Op, Gen, bool) {
	op, ok := fill(l.op, ctx)
	if !ok {
		return op, l, true
	}
	return op, nil, true
}

func (l lit) Update(*Test, Context, Op) Gen { return l }

// seq is a sequence of generators, each exhausted in turn (a Clojure seq).
type seq struct{ gens []Gen }

// Seq returns the generators one after the other: operations come from the
// first until it is exhausted, then from the second, and so on. Updates go
// to the current one.
func Seq(gens ...Gen) Gen {
	if len(gens) == 0 {
		return nil
	}
	return seq{gens}
}

func (s seq) Op(t *Test, ctx Context) (Op, Gen, bool) {
	for i, g := range s.gens {
		if op, g2, ok := Next(g, t, ctx); ok {
			if i+1 == len(s.gens) {
				return op, g2, true
			}
			rest := make([]Gen, len(s.gens)-i)
			rest[0] = g2
			copy(rest[1:], s.gens[i+1:])
			return op, seq{rest}, true
		}
	}
	return Op{}, nil, false
}

func (s seq) Update(t *Test, ctx Context, e Op) Gen {
	gens := make([]Gen, len(s.gens))
	copy(gens, s.gens)
	gens[0] = Update(gens[0], t, ctx, e)
	return seq{gens}
}

// iterate is the lazy infinite sequence f(i), f(i+1), ...
type iterate struct {
	i int
	f func(i int) Gen
}

// Iterate returns the infinite sequence of generators f(0), f(1), ... (a
// Clojure `(map f (range))`); f must be pure.
func Iterate(f func(i int) Gen) Gen { return iterate{0, f} }

func (it iterate) Op(t *Test, ctx Context) (Op, Gen, bool) {
	for i := it.i; ; i++ {
		if op, g2, ok := Next(it.f(i), t, ctx); ok {
			return op, seq{[]Gen{g2, iterate{i + 1, it.f}}}, true
		}
	}
}

func (it iterate) Update(*Test, Context, Op) Gen { return it }

// fn calls f for a generator each time it is asked, exhausts that, and
// calls f again (a Clojure function as a generator).
type fn struct {
	f func(t *Test, ctx Context) Gen
}

// Func returns a generator that calls f for a generator whenever asked,
// draws operations from it until it is exhausted, then calls f again; it
// is exhausted when f returns nil.
func Func(f func(t *Test, ctx Context) Gen) Gen { return fn{f} }

// FuncOp is Func for a function of one operation at a time.
func FuncOp(f func(t *Test) Op) Gen {
	return Func(func(t *Test, _ Context) Gen { return Once(f(t)) })
}

func (f fn) Op(t *Test, ctx Context) (Op, Gen, bool) {
	g := f.f(t, ctx)
	if g == nil {
		return Op{}, nil, false
	}
	return seq{[]Gen{g, f}}.Op(t, ctx)
}

func (f fn) Update(*Test, Context, Op) Gen { return f }

// lazy is a generator built on first use and then kept (a Clojure delay).
type lazy struct{ cell *lazyCell }

type lazyCell struct {
	make func() Gen
	g    Gen
	done bool
}

// Lazy returns a generator that calls mk the first time it is asked for an
// operation and behaves as the generator mk returned from then on, for
// every copy of it.
func Lazy(mk func() Gen) Gen { return lazy{&lazyCell{make: mk}} }

func (l lazy) force() Gen {
	if !l.cell.done {
		l.cell.g, l.cell.done = l.cell.make(), true
	}
	return l.cell.g
}

func (l lazy) Op(t *Test, ctx Context) (Op, Gen, bool) { return Next(l.force(), t, ctx) }

func (l lazy) Update(*Test, Context, Op) Gen { return l }

// repeat re-asks the same generator n times (-1: forever).
type repeat struct {
	n int
	g Gen
}

// Repeat returns a generator that asks g for an operation n times (n < 0:
// forever), each time starting from g itself, so a literal operation
// becomes a stream of them.
func Repeat(n int, g Gen) Gen { return repeat{n, g} }

func (r repeat) Op(t *Test, ctx Context) (Op, Gen, bool) {
	if r.n == 0 {
		return Op{}, nil, false
	}
	op, _, ok := Next(r.g, t, ctx)
	if !ok {
		return Op{}, nil, false
	}
	return op, repeat{max(-1, r.n-1), r.g}, true
}

func (r repeat) Update(t *Test, ctx Context, e Op) Gen { return repeat{r.n, Update(r.g, t, ctx, e)} }

// limit emits at most n operations of g.
type limit struct {
	n int
	g Gen
}

// Limit returns at most n operations of g.
func Limit(n int, g Gen) Gen { return limit{n, g} }

func (l limit) Op(t *Test, ctx Context) (Op, Gen, bool) {
	if l.n <= 0 {
		return Op{}, nil, false
	}
	op, g2, ok := Next(l.g, t, ctx)
	if !ok {
		return Op{}, nil, false
	}
	return op, limit{l.n - 1, g2}, true
}

func (l limit) Update(t *Test, ctx Context, e Op) Gen { return limit{l.n, Update(l.g, t, ctx, e)} }

// mix draws each operation from one of gens picked at random.
type mix struct {
	i    int // the generator to ask next; -1 before the first pick
	gens []Gen
}

// Mix returns a random mixture of gens: each operation comes from a
// generator picked uniformly (the pick is made after each operation, for
// the next), exhausted generators dropped. It ignores updates.
func Mix(gens ...Gen) Gen {
	if len(gens) == 0 {
		return nil
	}
	return mix{-1, gens}
}

func (m mix) Op(t *Test, ctx Context) (Op, Gen, bool) {
	for len(m.gens) > 0 {
		i := m.i
		if i < 0 {
			i = t.Rand.IntN(len(m.gens))
		}
		if op, g2, ok := Next(m.gens[i], t, ctx); ok {
			gens := make([]Gen, len(m.gens))
			copy(gens, m.gens)
			gens[i] = g2
			return op, mix{t.Rand.IntN(len(gens)), gens}, true
		}
		gens := make([]Gen, 0, len(m.gens)-1)
		gens = append(append(gens, m.gens[:i]...), m.gens[i+1:]...)
		m = mix{-1, gens}
	}
	return Op{}, nil, false
}

func (m mix) Update(*Test, Context, Op) Gen { return m }

// filter passes only the operations keep accepts.
type filter struct {
	keep func(Op) bool
	g    Gen
}

// Filter returns the operations of g for which keep is true; rejected ones
// are skipped (the generator after them is asked at once). Pending passes.
func Filter(keep func(Op) bool, g Gen) Gen { return filter{keep, g} }

func (f filter) Op(t *Test, ctx Context) (Op, Gen, bool) {
	g := f.g
	for {
		op, g2, ok := Next(g, t, ctx)
		if !ok {
			return Op{}, nil, false
		}
		if op.Type == Pending || f.keep(op) {
			return op, filter{f.keep, g2}, true
		}
		g = g2
	}
}

func (f filter) Update(t *Test, ctx Context, e Op) Gen { return filter{f.keep, Update(f.g, t, ctx, e)} }

// mapGen rewrites each operation.
type mapGen struct {
	f func(Op) Op
	g Gen
}

// Map returns g's operations rewritten by f; Pending passes untouched.
func Map(f func(Op) Op, g Gen) Gen { return mapGen{f, g} }

func (m mapGen) Op(t *Test, ctx Context) (Op, Gen, bool) {
	op, g2, ok := Next(m.g, t, ctx)
	if !ok {
		return Op{}, nil, false
	}
	if op.Type != Pending {
		op = m.f(op)
	}
	return op, mapGen{m.f, g2}, true
}

func (m mapGen) Update(t *Test, ctx Context, e Op) Gen { return mapGen{m.f, Update(m.g, t, ctx, e)} }

// stagger spaces g's operations by uniform random gaps.
type stagger struct {
	dt      int64 // twice the mean gap, in nanoseconds
	next    time.Duration
	hasNext bool
	g       Gen
}

// Stagger schedules g's operations at random intervals uniform in
// [0, 2×dt): one schedule for all threads, not one per thread, so the
// total rate is about 1/dt. An operation asked for after its slot (all
// threads were busy) goes at once and the next slot follows it; missed
// slots are not made up.
func Stagger(dt time.Duration, g Gen) Gen { return stagger{dt: 2 * int64(dt), g: g} }

func (s stagger) Op(t *Test, ctx Context) (Op, Gen, bool) {
	op, g2, ok := Next(s.g, t, ctx)
	if !ok {
		return Op{}, nil, false
	}
	if op.Type == Pending {
		return op, s, true
	}
	next := ctx.Time
	if s.hasNext {
		next = s.next
	}
	if next > op.Time {
		op.Time = next
	}
	return op, stagger{dt: s.dt, next: op.Time + s.draw(t), hasNext: true, g: g2}, true
}

func (s stagger) draw(t *Test) time.Duration {
	if s.dt <= 0 {
		return 0
	}
	return time.Duration(t.Rand.Int64N(s.dt))
}

func (s stagger) Update(t *Test, ctx Context, e Op) Gen {
	s.g = Update(s.g, t, ctx, e)
	return s
}

// delay spaces g's operations exactly dt apart.
type delay struct {
	dt      time.Duration
	next    time.Duration
	hasNext bool
	g       Gen
}

// Delay schedules g's operations dt apart (sooner when it falls behind).
func Delay(dt time.Duration, g Gen) Gen { return delay{dt: dt, g: g} }

func (d delay) Op(t *Test, ctx Context) (Op, Gen, bool) {
	op, g2, ok := Next(d.g, t, ctx)
	if !ok {
		return Op{}, nil, false
	}
	if op.Type == Pending {
		return op, delay{d.dt, d.next, d.hasNext, g2}, true
	}
	if d.hasNext && d.next > op.Time {
		op.Time = d.next
	}
	return op, delay{d.dt, op.Time + d.dt, true, g2}, true
}

func (d delay) Update(t *Test, ctx Context, e Op) Gen {
	d.g = Update(d.g, t, ctx, e)
	return d
}

// timeLimit stops g once dt has passed since its first operation.
type timeLimit struct {
	limit     time.Duration
	cutoff    time.Duration
	hasCutoff bool
	g         Gen
}

// TimeLimit returns g's operations until dt after the time of its first
// operation; an operation at or after that cutoff ends it.
func TimeLimit(dt time.Duration, g Gen) Gen { return timeLimit{limit: dt, g: g} }

func (l timeLimit) Op(t *Test, ctx Context) (Op, Gen, bool) {
	op, g2, ok := Next(l.g, t, ctx)
	if !ok {
		return Op{}, nil, false
	}
	if op.Type == Pending {
		return op, timeLimit{l.limit, l.cutoff, l.hasCutoff, g2}, true
	}
	cutoff := l.cutoff
	if !l.hasCutoff {
		cutoff = op.Time + l.limit
	}
	if op.Time >= cutoff {
		return Op{}, nil, false
	}
	return op, timeLimit{l.limit, cutoff, true, g2}, true
}

func (l timeLimit) Update(t *Test, ctx Context, e Op) Gen {
	l.g = Update(l.g, t, ctx, e)
	return l
}

// SleepFor is one Sleep pseudo-operation: the thread that takes it idles
// for d (Jepsen's gen/sleep).
func SleepFor(d time.Duration) Gen { return Once(Op{Type: Sleep, Value: d}) }

// LogMsg is one Log pseudo-operation (Jepsen's gen/log).
func LogMsg(msg string) Gen { return Once(Op{Type: Log, Value: msg}) }

// synchronize waits until every thread of its context is free.
type synchronize struct{ g Gen }

// Synchronize returns g once every thread in the context is free: a
// barrier between phases.
func Synchronize(g Gen) Gen { return synchronize{g} }

func (s synchronize) Op(t *Test, ctx Context) (Op, Gen, bool) {
	if ctx.FreeCount() != ctx.AllCount() {
		return pending, s, true
	}
	return Next(s.g, t, ctx)
}

func (s synchronize) Update(t *Test, ctx Context, e Op) Gen {
	return synchronize{Update(s.g, t, ctx, e)}
}

// Phases runs each generator to exhaustion, waiting for every thread to be
// free before starting the next.
func Phases(gens ...Gen) Gen {
	s := make([]Gen, len(gens))
	for i, g := range gens {
		s[i] = Synchronize(g)
	}
	return Seq(s...)
}

// onThreads restricts g to the threads keep accepts.
type onThreads struct {
	keep func(ctx Context, thread int) bool
	g    Gen
}

// OnThreads returns g restricted to the threads for which keep is true: it
// sees only them in its context, and only their events.
func OnThreads(keep func(ctx Context, thread int) bool, g Gen) Gen {
	if g == nil {
		return nil
	}
	return onThreads{keep, g}
}

func (o onThreads) ctx(ctx Context) Context {
	return ctx.Restrict(func(t int) bool { return o.keep(ctx, t) })
}

func (o onThreads) Op(t *Test, ctx Context) (Op, Gen, bool) {
	op, g2, ok := Next(o.g, t, o.ctx(ctx))
	if !ok {
		return Op{}, nil, false
	}
	return op, onThreads{o.keep, g2}, true
}

func (o onThreads) Update(t *Test, ctx Context, e Op) Gen {
	if !o.keep(ctx, ctx.Thread(e.Process)) {
		return o
	}
	return onThreads{o.keep, Update(o.g, t, o.ctx(ctx), e)}
}

// Clients returns g for the client threads only.
func Clients(g Gen) Gen {
	return OnThreads(func(ctx Context, t int) bool { return ctx.IsClient(t) }, g)
}

// Nemesis returns g for the nemesis thread only.
func Nemesis(g Gen) Gen {
	return OnThreads(func(ctx Context, t int) bool { return t == ctx.NemesisThread() }, g)
}

// candidate is one generator's offer in a choice between generators.
type candidate struct {
	op     Op
	next   Gen
	i      int
	weight int
	set    bool
}

// soonest picks between two offers: a real operation before Pending, the
// earlier time first, a tie at random in proportion to the weights (the
// winner then carries both weights), as Jepsen's soonest-op-map.
func soonest(t *Test, a, b candidate) candidate {
	switch {
	case !a.set:
		return b
	case !b.set:
		return a
	case a.op.Type == Pending:
		return b
	case b.op.Type == Pending:
		return a
	case a.op.Time == b.op.Time:
		w := a.weight + b.weight
		win := b
		if t.Rand.IntN(w) < a.weight {
			win = a
		}
		win.weight = w
		return win
	case a.op.Time < b.op.Time:
		return a
	}
	return b
}

// anyGen offers the soonest operation of several generators.
type anyGen struct{ gens []Gen }

// Any returns the soonest operation any of gens offers (ties broken at
// random); every generator gets every update.
func Any(gens ...Gen) Gen {
	var live []Gen
	for _, g := range gens {
		if g != nil {
			live = append(live, g)
		}
	}
	switch len(live) {
	case 0:
		return nil
	case 1:
		return live[0]
	}
	return anyGen{live}
}

func (a anyGen) Op(t *Test, ctx Context) (Op, Gen, bool) {
	var best candidate
	for i, g := range a.gens {
		if op, g2, ok := Next(g, t, ctx); ok {
			best = soonest(t, best, candidate{op: op, next: g2, i: i, weight: 1, set: true})
		}
	}
	if !best.set {
		return Op{}, nil, false
	}
	gens := make([]Gen, len(a.gens))
	copy(gens, a.gens)
	gens[best.i] = best.next
	return best.op, anyGen{gens}, true
}

func (a anyGen) Update(t *Test, ctx Context, e Op) Gen {
	gens := make([]Gen, len(a.gens))
	for i, g := range a.gens {
		gens[i] = Update(g, t, ctx, e)
	}
	return anyGen{gens}
}

// eachThread keeps an independent copy of a generator per thread.
type eachThread struct {
	fresh Gen
	gens  []Gen  // by thread; valid where started is set
	start bitset // threads whose copy has been used
}

// EachThread gives every thread its own copy of g, which sees only that
// thread; it is exhausted once every copy is and every thread is free.
func EachThread(g Gen) Gen { return eachThread{fresh: g} }

func (e eachThread) get(thread int) Gen {
	if e.start.has(thread) {
		return e.gens[thread]
	}
	return e.fresh
}

func (e eachThread) with(ctx Context, thread int, g Gen) eachThread {
	n := ctx.threads
	gens := make([]Gen, n)
	copy(gens, e.gens)
	gens[thread] = g
	start := e.start
	if len(start) == 0 {
		start = newBitset(n)
	}
	return eachThread{e.fresh, gens, start.with(thread, true)}
}

func (e eachThread) Op(t *Test, ctx Context) (Op, Gen, bool) {
	var best candidate
	for _, th := range ctx.FreeThreads() {
		if op, g2, ok := Next(e.get(th), t, ctx.only(th)); ok {
			best = soonest(t, best, candidate{op: op, next: g2, i: th, weight: 1, set: true})
		}
	}
	switch {
	case best.set:
		return best.op, e.with(ctx, best.i, best.next), true
	case ctx.FreeCount() != ctx.AllCount():
		return pending, e, true
	}
	return Op{}, nil, false
}

func (e eachThread) Update(t *Test, ctx Context, ev Op) Gen {
	th := ctx.Thread(ev.Process)
	return e.with(ctx, th, Update(e.get(th), t, ctx.only(th), ev))
}

// reserve gives ranges of threads their own generators.
type reserve struct {
	counts []int // threads per range, in order from thread 0
	gens   []Gen // one per range, then the default
}

// Reserve gives the first counts[0] threads gens[0], the next counts[1]
// threads gens[1], and so on; the remaining threads run the default. Each
// generator sees only its threads and gets only their updates.
func Reserve(counts []int, gens []Gen, def Gen) Gen {
	return reserve{counts: counts, gens: append(append([]Gen{}, gens...), def)}
}

// rangeOf returns the index of the range thread t belongs to (len(counts)
// for the default).
func (r reserve) rangeOf(ctx Context, t int) int {
	lo := 0
	for i, n := range r.counts {
		if t >= lo && t < lo+n && ctx.IsClient(t) {
			return i
		}
		lo += n
	}
	return len(r.counts)
}

func (r reserve) Op(t *Test, ctx Context) (Op, Gen, bool) {
	var best candidate
	consider := func(i int) {
		sub := ctx.Restrict(func(th int) bool { return r.rangeOf(ctx, th) == i })
		if op, g2, ok := Next(r.gens[i], t, sub); ok {
			w := sub.AllCount()
			if i < len(r.counts) {
				w = r.counts[i]
			}
			best = soonest(t, best, candidate{op: op, next: g2, i: i, weight: w, set: true})
		}
	}
	consider(len(r.counts))
	for i := range r.counts {
		consider(i)
	}
	if !best.set {
		return Op{}, nil, false
	}
	gens := make([]Gen, len(r.gens))
	copy(gens, r.gens)
	gens[best.i] = best.next
	return best.op, reserve{r.counts, gens}, true
}

func (r reserve) Update(t *Test, ctx Context, e Op) Gen {
	i := r.rangeOf(ctx, ctx.Thread(e.Process))
	sub := ctx.Restrict(func(th int) bool { return r.rangeOf(ctx, th) == i })
	gens := make([]Gen, len(r.gens))
	copy(gens, r.gens)
	gens[i] = Update(gens[i], t, sub, e)
	return reserve{r.counts, gens}
}

// flipFlop alternates between generators.
type flipFlop struct {
	gens []Gen
	i    int
}

// FlipFlop emits an operation from a, then b, then a, ... and stops as soon
// as the one whose turn it is is exhausted. It ignores updates.
func FlipFlop(a, b Gen) Gen { return flipFlop{[]Gen{a, b}, 0} }

func (f flipFlop) Op(t *Test, ctx Context) (Op, Gen, bool) {
	op, g2, ok := Next(f.gens[f.i], t, ctx)
	if !ok {
		return Op{}, nil, false
	}
	gens := []Gen{f.gens[0], f.gens[1]}
	gens[f.i] = g2
	return op, flipFlop{gens, (f.i + 1) % 2}, true
}

func (f flipFlop) Update(*Test, Context, Op) Gen { return f }

// untilOK emits from g until one of its operations completes ok.
type untilOK struct {
	g      Gen
	done   bool
	active map[int]bool // processes with an operation of ours in flight
}

// UntilOK returns g's operations until one of them completes ok.
func UntilOK(g Gen) Gen { return untilOK{g: g} }

func (u untilOK) Op(t *Test, ctx Context) (Op, Gen, bool) {
	if u.done {
		return Op{}, nil, false
	}
	op, g2, ok := Next(u.g, t, ctx)
	if !ok {
		return Op{}, nil, false
	}
	if op.Type == Pending {
		return op, untilOK{g2, u.done, u.active}, true
	}
	active := make(map[int]bool, len(u.active)+1)
	for p := range u.active {
		active[p] = true
	}
	active[op.Process] = true
	return op, untilOK{g2, u.done, active}, true
}

func (u untilOK) Update(t *Test, ctx Context, e Op) Gen {
	g2 := Update(u.g, t, ctx, e)
	if !u.active[e.Process] || (e.Type != OK && e.Type != Fail && e.Type != Info) {
		return untilOK{g2, u.done, u.active}
	}
	active := make(map[int]bool, len(u.active))
	for p := range u.active {
		if p != e.Process {
			active[p] = true
		}
	}
	return untilOK{g2, u.done || e.Type == OK, active}
}

// onUpdate calls f on every update.
type onUpdate struct {
	f func(g Gen, t *Test, ctx Context, e Op) Gen
	g Gen
}

// OnUpdate wraps g so that each update is handled by f, which returns the
// generator that results (given the wrapper itself as g).
func OnUpdate(f func(g Gen, t *Test, ctx Context, e Op) Gen, g Gen) Gen { return onUpdate{f, g} }

func (o onUpdate) Op(t *Test, ctx Context) (Op, Gen, bool) {
	op, g2, ok := Next(o.g, t, ctx)
	if !ok {
		return Op{}, nil, false
	}
	return op, onUpdate{o.f, g2}, true
}

func (o onUpdate) Update(t *Test, ctx Context, e Op) Gen { return o.f(o, t, ctx, e) }

// processLimit limits g to the operations of n processes.
type processLimit struct {
	n     int
	procs map[int]bool // never changed once shared: copied to grow
	g     Gen
}

// ProcessLimit returns g's operations as long as the processes of the
// threads of the contexts it is asked in (busy or free, not only those that
// ran an operation) number at most n in all; the first operation past that
// ends it (Jepsen's process-limit, which keeps a test from trickling on
// with a few processes).
func ProcessLimit(n int, g Gen) Gen { return processLimit{n: n, g: g} }

func (l processLimit) Op(t *Test, ctx Context) (Op, Gen, bool) {
	op, g2, ok := Next(l.g, t, ctx)
	if !ok {
		return Op{}, nil, false
	}
	if op.Type == Pending {
		return op, processLimit{l.n, l.procs, g2}, true
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
		return Op{}, nil, false
	}
	return op, processLimit{l.n, procs, g2}, true
}

func (l processLimit) Update(t *Test, ctx Context, e Op) Gen {
	return processLimit{l.n, l.procs, Update(l.g, t, ctx, e)}
}

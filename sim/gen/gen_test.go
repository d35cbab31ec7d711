package gen

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// event is one entry of a simulated history.
type event struct {
	op     Op
	thread int
	invoke bool
}

// perfect interprets g as Jepsen's interpreter would with clients that
// complete every operation ok after latency (nemesis operations and
// sleeps take no time and their Value respectively), until g is exhausted
// or limit operations were invoked. It returns the invocations and
// completions in order.
func perfect(t *testing.T, g Gen, concurrency int, latency time.Duration, limit int) []event {
	t.Helper()
	test := &Test{Rand: rand.New(rand.NewPCG(1, 2)), Concurrency: concurrency}
	ctx := NewContext(concurrency)
	type flight struct {
		at     time.Duration
		thread int
		op     Op
	}
	var inFlight []flight
	var hist []event
	now := time.Duration(0)
	complete := func() {
		slices.SortStableFunc(inFlight, func(a, b flight) int { return int(a.at - b.at) })
		f := inFlight[0]
		inFlight = inFlight[1:]
		now = max(now, f.at)
		done := f.op
		if done.Type == Invoke {
			done.Type = OK
		}
		done.Time = now
		ctx = ctx.Free(now, f.thread)
		g = Update(g, test, ctx, done)
		hist = append(hist, event{done, f.thread, false})
	}
	for invoked := 0; invoked < limit; {
		ctx.Time = now
		op, g2, ok := Next(g, test, ctx)
		switch {
		case !ok && len(inFlight) == 0:
			return hist
		case !ok || op.Type == Pending:
			if len(inFlight) == 0 {
				t.Fatalf("pending with nothing in flight at %v", now)
			}
			complete()
			continue
		}
		slices.SortStableFunc(inFlight, func(a, b flight) int { return int(a.at - b.at) })
		if len(inFlight) > 0 && inFlight[0].at < op.Time {
			complete()
			continue
		}
		now = op.Time
		th := ctx.Thread(op.Process)
		ctx = ctx.Busy(now, th)
		g = Update(g2, test, ctx, op)
		hist = append(hist, event{op, th, true})
		invoked++
		d := latency
		if op.Process == NemesisProcess {
			d = 0
		}
		if op.Type == Sleep {
			d = op.Value.(time.Duration)
		}
		inFlight = append(inFlight, flight{now + d, th, op})
	}
	return hist
}

// invocations keeps the invocations of a history.
func invocations(h []event) []Op {
	var ops []Op
	for _, e := range h {
		if e.invoke {
			ops = append(ops, e.op)
		}
	}
	return ops
}

func TestOnceFillsAndWaits(t *testing.T) {
	ctx := NewContext(2)
	test := &Test{Rand: rand.New(rand.NewPCG(1, 1))}
	g := Once(Op{F: "read"})
	ctx.Time = 5
	op, next, ok := g.Op(test, ctx)
	if !ok || op.F != "read" || op.Time != 5 || op.Process != 0 || next != nil {
		t.Fatalf("Once gave %+v %v %v", op, next, ok)
	}
	busy := ctx.Busy(5, 0).Busy(5, 1).Busy(5, 2)
	if op, next, ok := g.Op(test, busy); !ok || op.Type != Pending || next == nil {
		t.Errorf("with every thread busy, Once must be pending and stay, got %+v", op)
	}
}

func TestFreeProcessRotatesAndCrashesRenumber(t *testing.T) {
	ctx := NewContext(3)
	var got []int
	for range 4 {
		p, _ := ctx.SomeFreeProcess()
		got = append(got, p)
		ctx = ctx.Busy(0, ctx.Thread(p)).Free(0, ctx.Thread(p))
	}
	// Thread 3 is the nemesis: process -1.
	if want := []int{0, 1, 2, NemesisProcess}; !slices.Equal(got, want) {
		t.Errorf("free processes in turn: %v, want %v", got, want)
	}
	ctx = ctx.NextProcess(1)
	if ctx.Process(1) != 4 || ctx.Thread(4) != 1 || ctx.Thread(NemesisProcess) != 3 {
		t.Errorf("after a crash thread 1 runs %d", ctx.Process(1))
	}
}

func TestCombinators(t *testing.T) {
	lit := func(f string) Gen { return Repeat(-1, Once(Op{F: f})) }
	count := func(ops []Op, f string) int {
		n := 0
		for _, op := range ops {
			if op.F == f {
				n++
			}
		}
		return n
	}
	tests := []struct {
		name  string
		g     Gen
		conc  int
		limit int
		check func(t *testing.T, ops []Op)
	}{
		{"limit", Limit(3, lit("a")), 2, 100, func(t *testing.T, ops []Op) {
			if len(ops) != 3 {
				t.Errorf("%d ops, want 3", len(ops))
			}
		}},
		{"seq in order", Seq(Limit(2, lit("a")), Limit(1, lit("b"))), 1, 100, func(t *testing.T, ops []Op) {
			if len(ops) != 3 || ops[0].F != "a" || ops[1].F != "a" || ops[2].F != "b" {
				t.Errorf("ops %v", ops)
			}
		}},
		{"iterate numbers", Iterate(func(i int) Gen { return Once(Op{F: "x", Value: i}) }), 3, 5, func(t *testing.T, ops []Op) {
			for i, op := range ops {
				if op.Value != i {
					t.Errorf("op %d has value %v", i, op.Value)
				}
			}
		}},
		{"mix is uniform", Mix(lit("a"), lit("b")), 2, 4000, func(t *testing.T, ops []Op) {
			if a := count(ops, "a"); a < 1800 || a > 2200 {
				t.Errorf("%d of 4000 from the first of two", a)
			}
		}},
		{"filter redraws from the mix", Filter(func(op Op) bool { return op.F != "a" || op.Value.(int) >= 0 },
			Mix(FuncOp(func(t *Test) Op { return Op{F: "a", Value: t.Rand.IntN(10) - 5} }), lit("b"))), 2, 6000,
			func(t *testing.T, ops []Op) {
				// Half the adds are negative and dropped: 1 add in 3.
				if a := count(ops, "a"); math.Abs(float64(a)/6000-1.0/3) > 0.02 {
					t.Errorf("%d of 6000 adds, want a third", a)
				}
			}},
		{"each thread its own copy", Clients(EachThread(Limit(2, lit("a")))), 3, 100, func(t *testing.T, ops []Op) {
			per := map[int]int{}
			for _, op := range ops {
				per[op.Process]++
			}
			if len(ops) != 6 || per[0] != 2 || per[1] != 2 || per[2] != 2 {
				t.Errorf("ops per process %v, want 2 each for 3 threads", per)
			}
		}},
		{"phases wait for every thread", Clients(Phases(Limit(4, lit("a")), Limit(1, lit("b")))), 3, 100, func(t *testing.T, ops []Op) {
			last := ops[len(ops)-1]
			if last.F != "b" || last.Time != 20 {
				t.Errorf("the second phase began at %v, want 20 (the first phase's ops end at 10 and 20)", last.Time)
			}
		}},
		{"clients and nemesis", Any(Nemesis(Limit(2, Repeat(-1, Once(Op{Type: Info, F: "n"})))), Clients(Limit(3, lit("c")))), 2, 100,
			func(t *testing.T, ops []Op) {
				for _, op := range ops {
					if (op.F == "n") != (op.Process == NemesisProcess) {
						t.Errorf("op %s went to process %d", op.F, op.Process)
					}
				}
				if count(ops, "n") != 2 || count(ops, "c") != 3 {
					t.Errorf("ops %v", ops)
				}
			}},
		{"reserve", Reserve([]int{1}, []Gen{lit("w")}, lit("r")), 3, 300, func(t *testing.T, ops []Op) {
			for _, op := range ops {
				if (op.F == "w") != (op.Process%3 == 0) {
					t.Errorf("%s by process %d", op.F, op.Process)
				}
			}
		}},
		{"time limit from the first op", TimeLimit(100, Delay(30, lit("a"))), 1, 100, func(t *testing.T, ops []Op) {
			// Ops at 0, 30, 60, 90; the one at 120 is past the cutoff.
			if len(ops) != 4 || ops[3].Time != 90 {
				t.Errorf("ops %v", ops)
			}
		}},
		{"flip-flop", FlipFlop(lit("a"), Limit(2, lit("b"))), 1, 100, func(t *testing.T, ops []Op) {
			var fs []string
			for _, op := range ops {
				fs = append(fs, op.F)
			}
			if want := []string{"a", "b", "a", "b", "a"}; !slices.Equal(fs, want) {
				t.Errorf("ops %v, want %v", fs, want)
			}
		}},
		{"until ok", Clients(UntilOK(lit("a"))), 3, 100, func(t *testing.T, ops []Op) {
			// Three threads start at once; the first completion is ok.
			if len(ops) != 3 {
				t.Errorf("%d ops", len(ops))
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, invocations(perfect(t, tc.g, tc.conc, 10, tc.limit)))
		})
	}
}

func TestStagger(t *testing.T) {
	// One schedule for all threads: 4 threads at a mean gap of 10 ms make
	// about 100 ops a second in total, the first at once.
	g := TimeLimit(20*time.Second, Stagger(10*time.Millisecond, Repeat(-1, Once(Op{F: "a"}))))
	ops := invocations(perfect(t, g, 4, time.Millisecond, 1<<20))
	if ops[0].Time != 0 {
		t.Errorf("first op at %v, want at once", ops[0].Time)
	}
	if n := len(ops); n < 1900 || n > 2100 {
		t.Errorf("%d ops in 20 s at a mean gap of 10 ms", n)
	}
	var maxGap time.Duration
	for i := 1; i < len(ops); i++ {
		maxGap = max(maxGap, ops[i].Time-ops[i-1].Time)
	}
	if maxGap >= 20*time.Millisecond {
		t.Errorf("a gap of %v: gaps must be under twice the mean", maxGap)
	}
	// When every thread is busy past its slot, the op goes when one frees.
	slow := Clients(TimeLimit(time.Second, Stagger(time.Millisecond, Repeat(-1, Once(Op{F: "a"})))))
	ops = invocations(perfect(t, slow, 1, 100*time.Millisecond, 1<<20))
	if len(ops) != 10 {
		t.Errorf("one thread with 100 ms ops: %d ops in 1 s, want 10", len(ops))
	}
}

func TestSleepAndLazy(t *testing.T) {
	built := 0
	g := Clients(Seq(SleepFor(50), Lazy(func() Gen { built++; return Once(Op{F: "late"}) })))
	ops := invocations(perfect(t, g, 1, 10, 100))
	last := ops[len(ops)-1]
	if last.F != "late" || last.Time != 50 {
		t.Errorf("after a 50 ns sleep the next op comes at %v: %+v", last.Time, last)
	}
	if built != 1 {
		t.Errorf("Lazy built its generator %d times", built)
	}
}

func TestIndependentAndProcessLimit(t *testing.T) {
	// Two groups of two threads, each on its own key; a key's generator is
	// limited to 3 processes, so with ops that never crash a key lasts
	// while its 2 processes stay under the limit.
	keys := map[int64]int{}
	g := Clients(Independent(2, func(k int64) Gen {
		return ProcessLimit(3, Limit(5, FuncOp(func(*Test) Op { keys[k]++; return Op{F: "w", Value: k} })))
	}))
	ops := invocations(perfect(t, g, 4, 10, 100))
	groups := map[int64]map[int]bool{}
	for _, op := range ops {
		k := op.Value.(int64)
		if groups[k] == nil {
			groups[k] = map[int]bool{}
		}
		groups[k][op.Process%4/2] = true
	}
	for k, gs := range groups {
		if len(gs) != 1 {
			t.Errorf("key %d was served by groups %v; one group a key", k, gs)
		}
	}
	if len(groups) < 3 {
		t.Errorf("keys %v: each group must move on to a fresh key when its generator ends", groups)
	}
	// A process limit below the threads of its context ends at once.
	if ops := invocations(perfect(t, Clients(ProcessLimit(1, Repeat(-1, Once(Op{F: "x"})))), 2, 10, 10)); len(ops) != 0 {
		t.Errorf("%d ops from a generator limited to fewer processes than its threads", len(ops))
	}
}

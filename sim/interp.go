package sim

import (
	"math/rand/v2"
	"time"

	"github.com/glomers/glomers/sim/gen"
)

// interp is Jepsen's generator interpreter (jepsen.generator.interpreter)
// on the loop: it asks the test's generator for operations, hands each to
// its thread, and feeds completions back to the generator. Client threads
// run on goroutines of their own; the nemesis thread's operations (a
// partition, a heal) and the Sleep and Log pseudo-operations are performed
// by the loop itself.
type interp struct {
	r           *run
	test        *gen.Test
	g           gen.Gen
	ctx         gen.Context
	threads     []*thread // client threads, then the nemesis
	outstanding int
	ops         History // client operations, in invocation order, without their completion values
	checker     Checker // judges ops as they happen
	events      int     // client invocations and completions so far
	nemesis     []NemesisEvent
}

// newInterp builds the interpreter of a run with its generator: Maelstrom's
// composition of the workload's generators with the nemesis (core.clj).
func newInterp(r *run, rng *rand.Rand) interp {
	cfg := r.cfg
	test := &gen.Test{Rand: rng, Concurrency: cfg.Concurrency}
	for _, e := range r.nw.servers {
		test.Nodes = append(test.Nodes, e.id)
	}
	in := interp{r: r, test: test, ctx: gen.NewContext(cfg.Concurrency), checker: cfg.Spec.Checker()}
	for t := range cfg.Concurrency + 1 {
		th := &thread{n: t, hist: -1}
		if t < cfg.Concurrency {
			th.node = test.Nodes[t%len(test.Nodes)]
			th.process = -1
			th.jobs = make(chan gen.Op, 1)
			go th.work(r, th.jobs)
		}
		in.threads = append(in.threads, th)
	}
	load, final := cfg.Spec.Generators(test)
	in.g = maelstromGenerator(cfg, load, final)
	return in
}

// maelstromGenerator composes a test's generator as Maelstrom's
// maelstrom-test does: the workload's operations staggered at the rate
// (a sleep for the time limit when the rate is 0), beside the nemesis's,
// for the time limit; then, when the workload has a final generator, the
// nemesis's final operation (the heal), a Quiet sleep, and the final
// operations, each phase after every thread is free.
func maelstromGenerator(cfg Config, load, final gen.Gen) gen.Gen {
	client := gen.SleepFor(cfg.TimeLimit)
	if cfg.Rate > 0 {
		client = gen.Stagger(time.Duration(float64(time.Second)/cfg.Rate), load)
	}
	var nem, nemFinal gen.Gen
	if cfg.partitions() {
		nem, nemFinal = partitionGenerators(cfg.NemesisInterval)
	}
	g := gen.TimeLimit(cfg.TimeLimit, gen.Any(gen.Nemesis(nem), gen.Clients(client)))
	if final == nil {
		return g
	}
	return gen.Phases(g, gen.Nemesis(nemFinal), gen.LogMsg("Waiting for recovery..."), gen.SleepFor(cfg.Quiet), gen.Clients(final))
}

// step asks the generator for an operation and dispatches it if it is due:
// one step of the interpreter's loop. It reports whether it dispatched,
// when the next operation is due (zero: after the next event), and
// whether the run is over (the generator is exhausted and nothing is in
// flight).
func (in *interp) step(now time.Time) (acted bool, next time.Time, over bool) {
	t := now.Sub(in.r.start)
	ctx := in.ctx
	ctx.Time = t
	op, g2, ok := gen.Next(in.g, in.test, ctx)
	switch {
	case !ok:
		return false, time.Time{}, in.outstanding == 0
	case op.Type == gen.Pending:
		return false, time.Time{}, false
	case op.Time > t:
		return false, in.r.start.Add(op.Time), false
	}
	th := in.threads[ctx.Thread(op.Process)]
	in.ctx = ctx.Busy(op.Time, th.n)
	in.g = gen.Update(g2, in.test, in.ctx, op)
	in.outstanding++
	in.dispatch(th, op)
	return true, time.Time{}, false
}

// dispatch hands op to its thread.
func (in *interp) dispatch(th *thread, op gen.Op) {
	switch {
	case op.Type == gen.Sleep:
		th.out = op
		d, _ := op.Value.(time.Duration)
		in.r.tl.at(event{at: in.r.start.Add(op.Time + d), kind: evWake, th: th})
	case op.Type == gen.Log:
		in.complete(th, op)
	case op.Process == gen.NemesisProcess:
		in.complete(th, in.r.nemesisOp(op))
	default:
		if th.process != op.Process {
			// A new process: Jepsen's worker opens a fresh client for it,
			// unless the workload's client is reusable.
			if th.cl == nil || !in.r.cfg.Spec.Reusable() {
				if th.cl != nil {
					th.cl.close()
				}
				th.cl = in.r.openClient()
			}
			th.process = op.Process
		}
		th.hist = len(in.ops)
		in.ops = append(in.ops, Op{Index: len(in.ops), Process: op.Process, Node: th.node, F: op.F,
			Value: op.Value, Invoke: op.Time, InvokeEvent: in.events, Final: op.Final, Ext: op.Ext,
			Majority: in.r.nw.reachesMajority(th.node)})
		in.events++
		in.record(HistoryEvent{Op: in.ops[th.hist]})
		in.checker.Invoked(in.ops, th.hist)
		th.jobs <- op
	}
}

// complete takes the completion of thread th's operation.
func (in *interp) complete(th *thread, done gen.Op) {
	t := in.r.since()
	done.Time = t
	in.ctx = in.ctx.Free(t, th.n)
	in.g = gen.Update(in.g, in.test, in.ctx, done)
	if in.ctx.IsClient(th.n) && done.Type == gen.Info {
		in.ctx = in.ctx.NextProcess(th.n)
	}
	in.outstanding--
	if th.hist >= 0 {
		op := &in.ops[th.hist]
		op.Out, op.Error, op.ErrCode, op.Complete, op.CompleteEvent = done.Value, done.Error, done.Code, t, in.events
		in.events++
		switch done.Type {
		case gen.OK:
			op.Status = OK
		case gen.Fail:
			op.Status = Fail
		default:
			op.Status = Info
		}
		in.record(HistoryEvent{Op: *op, Completed: true})
		in.checker.Completed(in.ops, th.hist)
		op.Out = nil // the checker and the record have it: a long run keeps no read values
		th.hist = -1
	}
}

// record tells Config.Record of a history event.
func (in *interp) record(e HistoryEvent) {
	if in.r.cfg.Record != nil {
		in.r.cfg.Record(e)
	}
}

// stop ends the client threads' goroutines.
func (in *interp) stop() {
	for _, th := range in.threads {
		if th.jobs != nil {
			close(th.jobs)
		}
	}
}

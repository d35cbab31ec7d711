package sim

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing/synctest"
	"time"

	"github.com/glomers/glomers/internal/wire"
	"github.com/glomers/glomers/sim/services"
)

// setupTimeout bounds init and preamble requests.
const setupTimeout = 10 * time.Second

// maxProblems caps how many protocol problems are kept as anomalies.
const maxProblems = 10

// run is the state of one simulated run. Fields below mu belong to the
// loop's goroutine, except where a comment says otherwise.
type run struct {
	cfg    Config
	start  time.Time
	end    time.Duration // the run's virtual length, once it is over
	settle func()        // lets every other goroutine of the bubble finish; nil in real time
	mail   *mailbox
	tl     timeline
	nw     *network
	sleep  sleeper

	inboxes    []*inbox // the servers' inputs, by index
	nodeSeeds  []uint64 // the servers' random seeds (node.WithSeed), by index
	nextClient int      // the next client id number
	nemRand    *rand.Rand
	in         interp

	died atomic.Bool // a node process exited during the run

	mu       sync.Mutex // guards what node goroutines report
	problems []string   // node protocol violations, the first maxProblems
	nProblem int
	warnings []string // what went wrong without breaking Maelstrom's rules
}

func (r *run) since() time.Duration { return time.Since(r.start) }

// nodeDied is told that a node process exited during the run; a run still
// setting up stops at once instead of waiting for init to time out.
func (r *run) nodeDied() {
	r.died.Store(true)
	r.mail.post(item{kind: itemWake})
}

// bad records a protocol violation; any makes the run invalid.
func (r *run) bad(problem string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nProblem++
	if len(r.problems) < maxProblems {
		r.problems = append(r.problems, problem)
	}
}

// warn records something worth knowing that does not make the run invalid.
func (r *run) warn(problems ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.warnings = append(r.warnings, problems...)
}

// withProblems adds the protocol violations seen so far to err, which they
// may explain (a node that died before answering init).
func (r *run) withProblems(err error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.problems) == 0 {
		return err
	}
	return fmt.Errorf("%w; also: %s", err, strings.Join(r.problems, "; "))
}

// newRand returns a PCG source seeded with the two words.
func newRand(s1, s2 uint64) *rand.Rand { return rand.New(rand.NewPCG(s1, s2)) }

// Run simulates one Maelstrom test of cfg and judges it with cfg.Spec:
// init every node, send the spec's preamble, run the client load for
// TimeLimit with the nemesis, heal once the load's operations are over,
// and, when the clients have final requests, wait Quiet and send them;
// then stop the nodes and check the history.
//
// Run runs in real time; RunIn runs in virtual time, reproducibly. Run
// returns an error
// when the run cannot happen (bad config, a node that fails to start or
// to init, a preamble request answered with an error, ctx ending); a run
// that happens but fails its checks returns a Report with Valid false.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	r, _, err := simulate(ctx, cfg, nil)
	if err != nil {
		return nil, err
	}
	return r.judge(), nil
}

// RunIn runs cfg with Run inside bubble, a function that calls its argument
// inside a testing/synctest bubble (sim/simtest and sim/cli make it from
// their *testing.T), and sets the report's WallSeconds to the real time the
// run took. A nil bubble runs in real time, as Config.Bin needs. In a
// bubble the run is reproducible: the same configuration and seed give the
// same history and report (see the package comment).
//
// An in-process node whose handler never returns, even once its input has
// ended and its context is cancelled, cannot be stopped: its goroutines
// stay blocked, and synctest panics with a deadlock when the bubble ends.
// RunIn recovers from that panic when the run has reported such a node
// (see Report.Warnings), so the caller still gets the report; the blocked
// goroutines are leaked. Any other panic goes on.
func RunIn(bubble func(func()), cfg Config) (rep *Report, err error) {
	start := time.Now()
	var leaked int
	var r *run
	if bubble == nil {
		r, leaked, err = simulate(context.Background(), cfg, nil)
	} else {
		inBubble(bubble, func() { r, leaked, err = simulate(context.Background(), cfg, synctest.Wait) }, &leaked)
	}
	if err != nil {
		return nil, err
	}
	// The history is checked outside the bubble, in real time, so that a
	// checker's own time limits (porcupine's per key) work.
	rep = r.judge()
	rep.WallSeconds = time.Since(start).Seconds()
	return rep, nil
}

// inBubble runs body with bubble, recovering the deadlock panic of a bubble
// that ends with the goroutines of *leaked stuck nodes still blocked.
func inBubble(bubble func(func()), body func(), leaked *int) {
	defer func() {
		if p := recover(); p != nil {
			e, ok := p.(error)
			if !ok || *leaked == 0 || !strings.HasPrefix(e.Error(), "deadlock: main bubble goroutine has exited") {
				panic(p)
			}
		}
	}()
	bubble(body)
}

// simulate runs cfg up to its history (judge checks it); it also reports
// how many in-process nodes it had to leave running. settle, when not nil,
// returns once every other goroutine of the run is blocked
// (synctest.Wait).
func simulate(ctx context.Context, cfg Config, settle func()) (done *run, leaked int, err error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, 0, err
	}
	r, err := newRun(cfg, settle)
	if err != nil {
		return nil, 0, err
	}
	ctx, cancel := context.WithCancel(ctx)
	var servers []serverNode
	stop := func() {
		st := stopAll(servers)
		servers = nil
		r.warn(st.problems...)
		leaked += st.leaked
	}
	defer func() {
		cancel()
		stop()
		r.in.stop()
	}()
	for i, in := range r.inboxes {
		s, err := startServer(ctx, cfg, r.nw.servers[i].id, r.nodeSeeds[i], in, r.outbox(i), r.nodeDied)
		if err != nil {
			return nil, leaked, err
		}
		servers = append(servers, s)
	}
	if err := r.setup(ctx); err != nil {
		return nil, leaked, r.withProblems(err)
	}
	if err := r.loop(ctx, r.in.step); err != nil {
		return nil, leaked, err
	}
	stop()
	r.end = r.since()
	r.journalInFlight()
	return r, leaked, nil
}

// judge checks the finished run's history and makes its report.
func (r *run) judge() *Report {
	h := r.in.ops
	return r.report(h, r.in.checker.Result(h))
}

// newRun builds the network of a run: servers and services, each with a
// random source drawn from the seed in a fixed order, and the interpreter.
func newRun(cfg Config, settle func()) (*run, error) {
	lat, _ := newLatency(cfg.LatencyDist, cfg.Latency)
	master := newRand(uint64(cfg.Seed), 0x676c6f6d657273) // "glomers"
	seed := func() *rand.Rand { return newRand(master.Uint64(), master.Uint64()) }

	r := &run{cfg: cfg, start: time.Now(), settle: settle, mail: newMailbox(), nw: newNetwork(lat)}
	r.inboxes = make([]*inbox, cfg.NodeCount)
	for i := range r.inboxes {
		r.inboxes[i] = newInbox()
		r.nw.add("n"+strconv.Itoa(i), server, r.inboxes[i], seed())
		r.nodeSeeds = append(r.nodeSeeds, master.Uint64())
	}
	for _, name := range services.Names() {
		svc, err := services.New(name, seed())
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", name, err)
		}
		se := &serviceEnd{r: r, svc: svc}
		se.self = r.nw.add(name, service, se, seed())
	}
	r.nemRand = seed()
	r.in = newInterp(r, seed())
	return r, nil
}

// outbox makes the output of server i.
func (r *run) outbox(i int) *outbox {
	return &outbox{mail: r.mail, self: r.nw.servers[i], strict: r.cfg.Bin != "", bad: r.bad}
}

// send routes a message from an endpoint; the loop only.
func (r *run) send(from *endpoint, dest string, line []byte) {
	m, d, err := r.nw.route(from, dest, line)
	if err != nil {
		r.bad(err.Error())
		return
	}
	if r.cfg.Journal != nil {
		m.sent = r.since()
	}
	r.tl.at(event{at: time.Now().Add(d), kind: evDeliver, m: m})
}

// loop runs the run's events until step reports that the phase is over:
// it lets the goroutines finish what the last event started, takes what
// they posted, delivers what is due, and otherwise asks step for work,
// waiting for the earlier of the next event and the time step names.
// step returns whether it did something, the time it wants to be asked
// again (zero: after the next event), and whether the phase is over.
func (r *run) loop(ctx context.Context, step func(now time.Time) (acted bool, next time.Time, over bool)) error {
	for {
		if r.settle != nil {
			r.settle()
		}
		if items := r.mail.take(); len(items) > 0 {
			r.handle(items)
			continue
		}
		now := time.Now()
		if p := r.cfg.Progress; p != nil {
			p.virtual.Store(int64(now.Sub(r.start)))
			p.ops.Store(int64(len(r.in.ops)))
			p.msgs.Store(int64(r.nw.nAll))
		}
		if ev, ok := r.tl.due(now); ok {
			r.fire(ev)
			continue
		}
		acted, next, over := step(now)
		switch {
		case over:
			return nil
		case acted:
			continue
		}
		if t, ok := r.tl.next(); ok && (next.IsZero() || t.Before(next)) {
			next = t
		}
		if !r.sleep.wait(ctx, r.mail.wake, next) {
			return fmt.Errorf("run interrupted: %w", ctx.Err())
		}
	}
}

// handle takes a batch of posted items, already in canonical order.
func (r *run) handle(items []item) {
	for _, it := range items {
		switch it.kind {
		case itemSend:
			r.send(it.from, it.dest, it.line)
		case itemCall:
			r.call(it)
		case itemComplete:
			r.in.complete(it.th, it.th.out)
		}
	}
}

// fire performs a due event.
func (r *run) fire(ev event) {
	switch ev.kind {
	case evDeliver:
		dropped := r.nw.nDropped
		r.nw.deliver(ev.m)
		r.journal(ev.m, r.since(), r.nw.nDropped > dropped)
	case evTimeout:
		ev.call.timeout()
	case evWake:
		r.in.complete(ev.th, ev.th.out)
	}
}

// journal tells Config.Journal of a message whose fate is known: delivered
// (or dropped) at since the run began, or still in flight (-1).
func (r *run) journal(m *message, at time.Duration, dropped bool) {
	if r.cfg.Journal == nil {
		return
	}
	msg, hdr, err := wire.ParseLine(m.line)
	e := JournalEntry{Src: m.from.id, Dest: m.to.id, Type: hdr.Type, MsgID: hdr.MsgID, InReplyTo: hdr.InReplyTo,
		Sent: m.sent, Delivered: at, Dropped: dropped}
	if err == nil {
		e.Body = msg.Body
	}
	r.cfg.Journal(e)
}

// journalInFlight journals the messages still in flight when the run
// ended, in the order they were sent.
func (r *run) journalInFlight() {
	if r.cfg.Journal == nil {
		return
	}
	evs := slices.Clone(r.tl.q)
	slices.SortFunc(evs, func(a, b event) int { return cmp.Compare(a.seq, b.seq) })
	for _, ev := range evs {
		if ev.kind == evDeliver {
			r.journal(ev.m, -1, false)
		}
	}
}

// setup sends init to every node and then the spec's preamble, each node
// from a client of its own and all nodes at once, and checks every answer.
func (r *run) setup(ctx context.Context) error {
	ids := make([]string, len(r.nw.servers))
	conns := make([]*Conn, len(ids))
	for i, e := range r.nw.servers {
		ids[i] = e.id
		conns[i] = r.openClient().conn
	}
	call := func(i int, body any, want string) error {
		var hdr struct {
			Type string `json:"type"`
		}
		err := conns[i].RPC(ids[i], body, setupTimeout, &hdr)
		if err == nil && want != "" && hdr.Type != want {
			err = fmt.Errorf("answered with %s, not %s", hdr.Type, want)
		}
		if err != nil {
			b, _ := json.Marshal(body)
			return fmt.Errorf("%.40s to %s: %w", b, ids[i], err)
		}
		return nil
	}
	var errs []error
	var over atomic.Bool
	go func() {
		errs = parallel(len(ids), func(i int) error {
			return call(i, map[string]any{"type": "init", "node_id": ids[i], "node_ids": ids}, "init_ok")
		})
		if errors.Join(errs...) == nil {
			pre := r.cfg.Spec.Preamble(ids)
			errs = parallel(len(ids), func(i int) error {
				if body, ok := pre[ids[i]]; ok {
					return call(i, body, "")
				}
				return nil
			})
		}
		over.Store(true)
		r.mail.post(item{kind: itemWake})
	}()
	err := r.loop(ctx, func(time.Time) (bool, time.Time, bool) { return false, time.Time{}, over.Load() || r.died.Load() })
	if err != nil {
		return err
	}
	if r.died.Load() {
		return errors.New("setup: a node exited")
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	return nil
}

// parallel runs f(0) … f(n-1) on goroutines of their own and returns their
// errors.
func parallel(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = f(i) })
	}
	wg.Wait()
	return errs
}

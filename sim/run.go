package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/glomers/glomers/sim/services"
)

// setupTimeout bounds init and preamble requests.
const setupTimeout = 10 * time.Second

// maxProblems caps how many protocol problems are kept as anomalies.
const maxProblems = 10

// run is the state of one simulated run.
type run struct {
	cfg     Config
	start   time.Time
	sched   *scheduler
	nw      *network
	inboxes []*inbox // the servers' inputs, by index
	hist    recorder
	limRand *rand.Rand // the rate limiter's gaps
	nemRand *rand.Rand // the nemesis's shapes and delays

	mu       sync.Mutex
	events   []NemesisEvent
	problems []string // node protocol violations, the first maxProblems
	nProblem int
	warnings []string // what went wrong without breaking Maelstrom's rules
}

func (r *run) since() time.Duration { return time.Since(r.start) }

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
// Inside a synctest bubble every timer, latency and sleep of the run is
// virtual; ctx must then be created inside the bubble (or be Background),
// since waiting on a channel from outside it is not durable blocking.
// RunIn does that for a caller outside the bubble. Run returns an error
// when the run cannot happen (bad config, a node that fails to start or
// to init, a preamble request answered with an error, ctx ending); a run
// that happens but fails its checks returns a Report with Valid false.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	rep, _, err := simulate(ctx, cfg)
	return rep, err
}

// RunIn runs cfg with Run inside bubble, a function that calls its argument
// inside a testing/synctest bubble (sim/simtest and sim/cli make it from
// their *testing.T), and sets the report's WallSeconds to the real time the
// run took. A nil bubble runs in real time, as Config.Bin needs.
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
	body := func() { rep, leaked, err = simulate(context.Background(), cfg) }
	if bubble == nil {
		body()
	} else {
		inBubble(bubble, body, &leaked)
	}
	if rep != nil {
		rep.WallSeconds = time.Since(start).Seconds()
	}
	return rep, err
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

// simulate is Run; it also reports how many in-process nodes it had to
// leave running.
func simulate(ctx context.Context, cfg Config) (rep *Report, leaked int, err error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, 0, err
	}
	r, procs, setupConn, err := newRun(cfg)
	if err != nil {
		return nil, 0, err
	}
	ctx, cancel := context.WithCancel(ctx)

	var bg sync.WaitGroup
	bg.Go(r.sched.run)
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
		r.sched.stop()
		bg.Wait()
	}()
	for i, in := range r.inboxes {
		s, err := startServer(ctx, cfg, r.nw.servers[i].id, in, r.outbox(i))
		if err != nil {
			return nil, leaked, err
		}
		servers = append(servers, s)
	}
	if err := r.setup(ctx, setupConn); err != nil {
		return nil, leaked, r.withProblems(err)
	}
	if err := r.clients(ctx, procs); err != nil {
		return nil, leaked, err
	}
	stop()
	h := r.hist.history()
	return r.report(h, cfg.Spec.Check(h)), leaked, nil
}

// newRun builds the network of a run: servers, services, a client process
// per Concurrency, and one more client for init and the preamble. Every
// random source is drawn from the seed, in a fixed order.
func newRun(cfg Config) (r *run, procs []*proc, setup *conn, err error) {
	lat, _ := newLatency(cfg.LatencyDist, cfg.Latency)
	master := newRand(uint64(cfg.Seed), 0x676c6f6d657273) // "glomers"
	seed := func() *rand.Rand { return newRand(master.Uint64(), master.Uint64()) }

	r = &run{cfg: cfg, start: time.Now(), sched: newScheduler()}
	r.nw = newNetwork(lat, r.sched, r.bad)
	r.sched.nw = r.nw
	r.inboxes = make([]*inbox, cfg.NodeCount)
	for i := range r.inboxes {
		r.inboxes[i] = newInbox()
		r.nw.add("n"+strconv.Itoa(i), server, r.inboxes[i], seed())
	}
	for _, name := range services.Names() {
		svc, err := services.New(name, seed())
		if err != nil {
			return nil, nil, nil, fmt.Errorf("service %s: %w", name, err)
		}
		se := &serviceEnd{nw: r.nw, svc: svc, bad: r.bad}
		se.self = r.nw.add(name, service, se, seed())
	}
	newConn := func(id string) *conn {
		c := &conn{nw: r.nw}
		c.self = r.nw.add(id, client, c, seed())
		return c
	}
	procs = make([]*proc, cfg.Concurrency)
	for p := range procs {
		node := r.nw.servers[p%cfg.NodeCount].id
		procs[p] = &proc{r: r, conn: newConn("c" + strconv.Itoa(p+1)), process: p, node: node,
			gen: cfg.Spec.NewClient(p, node, seed())}
	}
	setup = newConn("c" + strconv.Itoa(cfg.Concurrency+1))
	r.limRand, r.nemRand = seed(), seed()
	return r, procs, setup, nil
}

// outbox makes the output of server i.
func (r *run) outbox(i int) *outbox {
	return &outbox{nw: r.nw, self: r.nw.servers[i], strict: r.cfg.Bin != "", bad: r.bad}
}

// setup sends init to every node and then the spec's preamble, each node
// in parallel, and checks every answer.
func (r *run) setup(ctx context.Context, c *conn) error {
	ids := make([]string, len(r.nw.servers))
	for i, e := range r.nw.servers {
		ids[i] = e.id
	}
	call := func(id string, body any, want string) error {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode request to %s: %w", id, err)
		}
		resp, err := c.call(ctx, id, b, setupTimeout)
		if err != nil {
			return fmt.Errorf("%.40s to %s: %w", b, id, err)
		}
		var hdr replyHeader
		_ = json.Unmarshal(resp, &hdr)
		if hdr.Type == "error" || (want != "" && hdr.Type != want) {
			return fmt.Errorf("%s answered %.40s with %.200s", id, b, resp)
		}
		return nil
	}
	parallel := func(f func(id string) error) error {
		errs := make([]error, len(ids))
		var wg sync.WaitGroup
		for i, id := range ids {
			wg.Go(func() { errs[i] = f(id) })
		}
		wg.Wait()
		return errors.Join(errs...)
	}
	err := parallel(func(id string) error {
		return call(id, map[string]any{"type": "init", "node_id": id, "node_ids": ids}, "init_ok")
	})
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	pre := r.cfg.Spec.Preamble(ids)
	err = parallel(func(id string) error {
		if body, ok := pre[id]; ok {
			return call(id, body, "")
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("preamble: %w", err)
	}
	return nil
}

// clients runs Maelstrom's client phases: the load for TimeLimit with the
// nemesis; the heal, once every load operation has ended; then, if any
// client has final requests, the quiet period and the final requests.
// It fails only on a spec's bad request or the end of ctx.
func (r *run) clients(ctx context.Context, procs []*proc) error {
	var errMu sync.Mutex
	var firstErr error
	fail := func(err error) {
		errMu.Lock()
		defer errMu.Unlock()
		if firstErr == nil && err != nil {
			firstErr = err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	each := func(f func(p *proc) error) {
		var wg sync.WaitGroup
		for _, p := range procs {
			wg.Go(func() {
				if err := f(p); err != nil {
					fail(err)
					cancel()
				}
			})
		}
		wg.Wait()
	}

	loadEnd := time.Now().Add(r.cfg.TimeLimit)
	lim := &limiter{gap: time.Duration(float64(time.Second) / r.cfg.Rate), r: r.limRand, next: time.Now()}
	var nemesis sync.WaitGroup
	if r.cfg.partitions() {
		nemesis.Go(func() { r.nemesis(ctx, loadEnd, r.nemRand) })
	}
	each(func(p *proc) error { return p.load(ctx, lim, loadEnd) })
	nemesis.Wait()
	sleepUntil(ctx, loadEnd) // the load lasts TimeLimit even if the last op ended early
	r.heal()

	finals := make(map[*proc][]Body)
	for _, p := range procs {
		if f := p.gen.Final(); len(f) > 0 {
			finals[p] = f
		}
	}
	if len(finals) > 0 {
		if r.cfg.Quiet > 0 {
			sleepUntil(ctx, time.Now().Add(r.cfg.Quiet))
		}
		each(func(p *proc) error { return p.final(ctx, finals[p]) })
	}
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("run interrupted: %w", err)
	}
	return nil
}

package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
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
	cfg   Config
	start time.Time
	nw    *network
	hist  recorder

	mu       sync.Mutex
	events   []NemesisEvent
	problems []string // node protocol violations, the first maxProblems
	nProblem int
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

// newRand returns a PCG source seeded with the two words.
func newRand(s1, s2 uint64) *rand.Rand { return rand.New(rand.NewPCG(s1, s2)) }

// Run simulates one Maelstrom test of cfg and judges it with cfg.Spec:
// init every node, send the spec's preamble, run the client load for
// TimeLimit with the nemesis, heal, wait Quiet, send each client's final
// requests, stop the nodes, check the history.
//
// Inside a synctest bubble every timer, latency and sleep of the run is
// virtual; ctx must then be created inside the bubble (or be Background),
// since waiting on a channel from outside it is not durable blocking. Run
// returns an error when the run cannot happen (bad config, a node that
// fails to start or to init, a preamble request answered with an error,
// ctx ending); a run that happens but fails its checks returns a Report
// with Valid false.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	lat, _ := newLatency(cfg.LatencyDist, cfg.Latency)
	master := newRand(uint64(cfg.Seed), 0x676c6f6d657273) // "glomers"
	seed := func() (uint64, uint64) { return master.Uint64(), master.Uint64() }

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sched := newScheduler()
	r := &run{cfg: cfg, start: time.Now(), nw: newNetwork(lat, sched)}
	sched.nw = r.nw

	// The endpoints: servers, services, load clients, and one client for
	// init and the preamble.
	ids := make([]string, cfg.NodeCount)
	inboxes := make([]*inbox, cfg.NodeCount)
	outboxes := make([]*outbox, cfg.NodeCount)
	for i := range ids {
		ids[i] = "n" + strconv.Itoa(i)
		inboxes[i] = newInbox()
		e := r.nw.add(ids[i], server, inboxes[i], newRand(seed()))
		outboxes[i] = &outbox{nw: r.nw, self: e, strict: cfg.Bin != "", bad: r.bad}
	}
	for _, name := range services.Names() {
		svc, err := services.New(name, newRand(seed()))
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", name, err)
		}
		se := &serviceEnd{nw: r.nw, svc: svc, bad: r.bad}
		se.self = r.nw.add(name, service, se, newRand(seed()))
	}
	newConn := func(id string) *conn {
		c := &conn{nw: r.nw}
		c.self = r.nw.add(id, client, c, newRand(seed()))
		return c
	}
	procs := make([]*proc, cfg.Concurrency)
	for p := range procs {
		node := ids[p%len(ids)]
		procs[p] = &proc{r: r, conn: newConn("c" + strconv.Itoa(p+1)), process: p, node: node,
			gen: cfg.Spec.NewClient(p, node, newRand(seed()))}
	}
	setup := newConn("c" + strconv.Itoa(cfg.Concurrency+1))
	lim := &limiter{gap: time.Duration(float64(time.Second) / cfg.Rate), r: newRand(seed())}
	nemesisRand := newRand(seed())

	var bg sync.WaitGroup
	bg.Go(sched.run)
	var servers []serverNode
	defer func() {
		cancel()
		stopAll(servers)
		sched.stop()
		bg.Wait()
	}()
	for i, id := range ids {
		s, err := startServer(ctx, cfg, id, inboxes[i], outboxes[i])
		if err != nil {
			return nil, err
		}
		servers = append(servers, s)
	}

	if err := r.setup(ctx, setup, ids); err != nil {
		return nil, err
	}

	// The load, with the nemesis.
	loadStart := time.Now()
	loadEnd := loadStart.Add(cfg.TimeLimit)
	lim.next = loadStart
	var errMu sync.Mutex
	var firstErr error
	fail := func(err error) {
		errMu.Lock()
		defer errMu.Unlock()
		if firstErr == nil && err != nil {
			firstErr = err
			cancel()
		}
	}
	var wg sync.WaitGroup
	if cfg.partitions() {
		wg.Go(func() { r.nemesis(ctx, loadEnd, nemesisRand) })
	}
	for _, p := range procs {
		wg.Go(func() { fail(p.load(ctx, lim, loadEnd)) })
	}
	wg.Wait()
	sleepUntil(ctx, loadEnd) // the load lasts TimeLimit even if the last op ended early
	loadOps := len(r.hist.history())

	// Quiet, then the final requests.
	if cfg.Quiet > 0 {
		sleepUntil(ctx, time.Now().Add(cfg.Quiet))
	}
	for _, p := range procs {
		wg.Go(func() { fail(p.final(ctx)) })
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("run interrupted: %w", err)
	}

	// Stop the nodes, then judge.
	for _, err := range stopAll(servers) {
		r.bad(err.Error())
	}
	servers = nil
	h := r.hist.history()
	res := cfg.Spec.Check(h)
	return r.report(h, loadOps, res), nil
}

// setup sends init to every node and then the spec's preamble, each node
// in parallel, and checks every answer.
func (r *run) setup(ctx context.Context, c *conn, ids []string) error {
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

// report assembles the verdict: the spec's result, every op type having
// succeeded at least once, availability, and no protocol violations.
func (r *run) report(h History, loadOps int, res Result) *Report {
	rep := &Report{
		Workload:          r.cfg.Workload,
		Seed:              r.cfg.Seed,
		StableLatenciesMS: res.StableLatencies,
		Stats:             res.Stats,
		Anomalies:         append([]Anomaly{}, res.Anomalies...),
		History:           h,
	}
	loadOK := 0
	okByType := map[string]int{}
	var types []string
	latencies := map[string][]float64{}
	for i, op := range h {
		rep.Ops.Invoked++
		if _, seen := okByType[op.Type]; !seen {
			types = append(types, op.Type)
			okByType[op.Type] = 0
		}
		switch op.Status {
		case OK:
			rep.Ops.OK++
			okByType[op.Type]++
			if i < loadOps {
				loadOK++
			}
			latencies[op.Type] = append(latencies[op.Type], float64(op.Complete-op.Invoke)/float64(time.Millisecond))
		case Fail:
			rep.Ops.Fail++
		default:
			rep.Ops.Info++
		}
	}
	if loadOps > 0 {
		rep.Availability = float64(loadOK) / float64(loadOps)
	}
	rep.Net = r.nw.stats(rep.Ops.Invoked)
	rep.OpLatenciesMS = map[string]map[string]float64{}
	for typ, ls := range latencies {
		rep.OpLatenciesMS[typ] = quantiles(ls, "0.5", "0.99", "1")
	}

	if rep.Ops.Invoked == 0 {
		rep.Anomalies = append(rep.Anomalies, Anomaly{Kind: "no-ops", Detail: "no client operation was invoked"})
	}
	for _, typ := range types {
		if okByType[typ] == 0 {
			rep.Anomalies = append(rep.Anomalies, Anomaly{Kind: "never-ok", Detail: fmt.Sprintf("no %s operation succeeded", typ)})
		}
	}
	if checked, least, _ := r.cfg.availability(); checked && rep.Availability < least {
		rep.Anomalies = append(rep.Anomalies, Anomaly{Kind: "availability",
			Detail: fmt.Sprintf("%d of %d load operations succeeded (%.4f); %s required", loadOK, loadOps, rep.Availability, r.cfg.Availability)})
	}
	r.mu.Lock()
	for _, p := range r.problems {
		rep.Anomalies = append(rep.Anomalies, Anomaly{Kind: "protocol", Detail: p})
	}
	if r.nProblem > len(r.problems) {
		rep.Anomalies = append(rep.Anomalies, Anomaly{Kind: "protocol", Detail: fmt.Sprintf("and %d more", r.nProblem-len(r.problems))})
	}
	rep.Nemesis = r.events
	r.mu.Unlock()

	rep.Valid = res.Valid && len(rep.Anomalies) == len(res.Anomalies)
	rep.VirtualSeconds = r.since().Seconds()
	rep.WallSeconds = rep.VirtualSeconds
	return rep
}

// quantiles returns the named quantiles ("0.5", ...) of xs by nearest rank;
// nil when xs is empty.
func quantiles(xs []float64, qs ...string) map[string]float64 {
	if len(xs) == 0 {
		return nil
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	out := make(map[string]float64, len(qs))
	for _, q := range qs {
		f, err := strconv.ParseFloat(q, 64)
		if err != nil {
			panic("sim: bad quantile " + q)
		}
		i := int(math.Ceil(f*float64(len(s)))) - 1
		out[q] = s[min(max(i, 0), len(s)-1)]
	}
	return out
}

// Summary is a one-line account of a report, for logs.
func (rep *Report) Summary() string {
	var b strings.Builder
	verdict := "valid"
	if !rep.Valid {
		verdict = "INVALID"
	}
	fmt.Fprintf(&b, "%s %s: ops %d (ok %d, fail %d, info %d), availability %.3f, msgs-per-op %.2f (servers %.2f)",
		rep.Workload, verdict, rep.Ops.Invoked, rep.Ops.OK, rep.Ops.Fail, rep.Ops.Info, rep.Availability,
		rep.Net.All.MsgsPerOp, rep.Net.Servers.MsgsPerOp)
	if sl := rep.StableLatenciesMS; sl != nil {
		fmt.Fprintf(&b, ", stable latency ms p50 %.0f max %.0f", sl["0.5"], sl["1"])
	}
	fmt.Fprintf(&b, ", %.1f s virtual, %.2f s wall", rep.VirtualSeconds, rep.WallSeconds)
	for i, a := range rep.Anomalies {
		if i == 3 {
			fmt.Fprintf(&b, "; … %d more", len(rep.Anomalies)-3)
			break
		}
		fmt.Fprintf(&b, "; %s: %s", a.Kind, a.Detail)
	}
	return b.String()
}

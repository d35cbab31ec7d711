package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glomers/glomers/node"
)

func TestEchoRunCountsLikeMaelstrom(t *testing.T) {
	for _, gossip := range []bool{false, true} {
		t.Run(fmt.Sprintf("gossip=%v", gossip), func(t *testing.T) {
			s := &fakeSpec{f: "echo", final: true}
			cfg := small(echoNode(gossip), s)
			cfg.Latency = 10 * time.Millisecond
			rep := virtualRun(t, cfg)
			if !rep.Valid || rep.Ops.Invoked == 0 || rep.Ops.OK != rep.Ops.Invoked || rep.Availability != 1 {
				t.Fatalf("want every op ok and a valid run, got %+v", rep)
			}
			// About rate × time load ops, plus one final op per client.
			if load := rep.Ops.Invoked - cfg.NodeCount; load < 10 || load > 30 {
				t.Errorf("%d load ops in 2 s at 10/s", load)
			}
			// Each op is a request and a reply; init is too. Servers talk
			// only when gossiping: one message to each other node per echo.
			ops, n := rep.Ops.Invoked, cfg.NodeCount
			wantClients := 2*ops + 2*n // requests, replies, init and init_ok
			wantServers := 0
			if gossip {
				wantServers = ops * (n - 1)
			}
			net := rep.Net
			if net.Clients.Msgs != wantClients || net.Servers.Msgs != wantServers || net.All.Msgs != wantClients+wantServers {
				t.Errorf("net %+v, want clients %d servers %d", net, wantClients, wantServers)
			}
			if got, want := net.All.MsgsPerOp, float64(wantClients+wantServers)/float64(ops); got != want {
				t.Errorf("msgs-per-op %v, want %v", got, want)
			}
			// As in Jepsen, the load ends when its next op would fall past
			// the time limit; the final phase starts Quiet after the last
			// load op completed.
			finals := 0
			var loadEnd time.Duration
			for _, op := range rep.History {
				if !op.Final {
					loadEnd = max(loadEnd, op.Complete)
					if op.Invoke >= cfg.TimeLimit {
						t.Errorf("load op invoked at %v, past the time limit", op.Invoke)
					}
					continue
				}
				finals++
				if op.Invoke != loadEnd+cfg.Quiet {
					t.Errorf("final op invoked at %v, want %v: the last load op's end plus the quiet period", op.Invoke, loadEnd+cfg.Quiet)
				}
			}
			if finals != n {
				t.Errorf("%d final ops, want one per client (%d)", finals, n)
			}
			if q := rep.OpLatenciesMS["echo"]; q == nil || q["1"] != 0 {
				t.Errorf("client links have no latency, got echo latencies %v", q)
			}
		})
	}
}

func TestOutcomes(t *testing.T) {
	tests := []struct {
		name   string
		typ    string // request type; "echo" when empty
		reply  func(ctx context.Context, n *node.Node) (any, error)
		status Status
		code   int
		took   time.Duration // how long each op takes, when it times out
	}{
		{"ok", "", func(context.Context, *node.Node) (any, error) { return map[string]string{"type": "echo_ok"}, nil }, OK, 0, 0},
		{"definite error fails", "", func(context.Context, *node.Node) (any, error) { return nil, node.ErrKeyDoesNotExist }, Fail, 20, 0},
		{"crash is indefinite", "", func(context.Context, *node.Node) (any, error) { return nil, node.ErrCrash }, Info, 13, 0},
		{"timeout code is indefinite", "", func(context.Context, *node.Node) (any, error) { return nil, node.ErrTimeout }, Info, 0, 0},
		{"private code is indefinite", "", func(context.Context, *node.Node) (any, error) { return nil, node.NewError(1001, "mine") }, Info, 1001, 0},
		{"no reply times out", "", func(context.Context, *node.Node) (any, error) { return nil, nil }, Info, 0, 5 * time.Second},
		{"slow reply times out", "", func(ctx context.Context, _ *node.Node) (any, error) {
			time.Sleep(6 * time.Second)
			return map[string]string{"type": "echo_ok"}, nil
		}, Info, 0, 5 * time.Second},
		// Reads change nothing: Maelstrom fails them when the outcome is unknown.
		{"read timing out fails", "read", func(context.Context, *node.Node) (any, error) { return nil, nil }, Fail, 0, 5 * time.Second},
		{"read with indefinite error fails", "read", func(context.Context, *node.Node) (any, error) { return nil, node.ErrCrash }, Fail, 13, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			typ := tc.typ
			if typ == "" {
				typ = "echo"
			}
			prog := program(func(n *node.Node, _ node.Init) (node.Handlers, error) {
				return node.Handlers{typ: func(ctx context.Context, _ node.Message) (any, error) { return tc.reply(ctx, n) }}, nil
			})
			cfg := small(prog, &fakeSpec{f: typ})
			cfg.NodeCount, cfg.Concurrency = 1, 2
			rep := virtualRun(t, cfg)
			if len(rep.History) == 0 {
				t.Fatal("empty history")
			}
			procs := map[int]bool{}
			for _, op := range rep.History {
				if op.Status != tc.status || op.ErrCode != tc.code {
					t.Fatalf("op %+v: want status %v code %d", op, tc.status, tc.code)
				}
				procs[op.Process] = true
			}
			if tc.status == OK && !rep.Valid {
				t.Errorf("an all-ok run is invalid: %v", rep.Anomalies)
			}
			if tc.status != OK && (rep.Valid || rep.Anomalies[0].Kind != "never-ok") {
				t.Errorf("a run where echo never succeeded must be invalid with never-ok, got %v", rep.Anomalies)
			}
			// After an Info op a thread goes on as a fresh process.
			if tc.status == Info && len(procs) != len(rep.History) {
				t.Errorf("%d processes for %d info ops; each should take a fresh one", len(procs), len(rep.History))
			}
			if tc.status != Info && len(procs) != cfg.Concurrency {
				t.Errorf("processes %v, want one per client", procs)
			}
			if tc.took > 0 {
				for _, op := range rep.History {
					if d := op.Complete - op.Invoke; d != tc.took {
						t.Fatalf("timed-out op took %v, want the client timeout %v", d, tc.took)
					}
				}
			}
		})
	}
}

func TestAvailability(t *testing.T) {
	// Every other echo fails definitely: availability one half.
	var calls atomic.Int64
	reply := func(context.Context, *node.Node) (any, error) {
		if calls.Add(1)%2 == 0 {
			return nil, node.ErrTemporarilyUnavailable
		}
		return map[string]string{"type": "echo_ok"}, nil
	}
	for _, tc := range []struct {
		avail string
		valid bool
	}{{"", true}, {"0.4", true}, {"0.6", false}, {"total", false}} {
		t.Run(tc.avail, func(t *testing.T) {
			cfg := small(replyNode(reply), &fakeSpec{f: "echo"})
			cfg.NodeCount, cfg.Availability = 1, tc.avail
			rep := virtualRun(t, cfg)
			if rep.Availability < 0.4 || rep.Availability > 0.6 {
				t.Fatalf("availability %v, want about 0.5", rep.Availability)
			}
			if rep.Valid != tc.valid {
				t.Errorf("valid %v, want %v (anomalies %v)", rep.Valid, tc.valid, rep.Anomalies)
			}
		})
	}
}

func TestServiceLatency(t *testing.T) {
	// A node that asks lin-tso for a timestamp: the op takes the request's
	// latency and the reply's, exactly, in virtual time.
	reply := func(ctx context.Context, n *node.Node) (any, error) {
		var resp struct {
			TS int64 `json:"ts"`
		}
		if err := n.RPC(ctx, node.LinTSO, map[string]string{"type": "ts"}, &resp); err != nil {
			return nil, err
		}
		return map[string]any{"type": "echo_ok", "ts": resp.TS}, nil
	}
	cfg := small(replyNode(reply), &fakeSpec{f: "echo"})
	cfg.Latency = 100 * time.Millisecond
	rep := virtualRun(t, cfg)
	if !rep.Valid {
		t.Fatalf("invalid: %v", rep.Anomalies)
	}
	for _, op := range rep.History {
		if d := op.Complete - op.Invoke; d != 200*time.Millisecond {
			t.Fatalf("op %v took %v, want 2 × 100 ms", op.Value, d)
		}
	}
	if q := rep.OKLatenciesMS; q["0.5"] != 200 || q["1"] != 200 {
		t.Errorf("ok latencies over every op %v, want 200 ms", q)
	}
	if got, want := rep.Net.Servers.Msgs, 2*rep.Ops.Invoked; got != want {
		t.Errorf("service traffic: %d server msgs, want %d (request and reply per op)", got, want)
	}
}

func TestPreambleAndSetupErrors(t *testing.T) {
	topo := map[string]Body{"n0": map[string]string{"type": "topology"}}
	cfg := small(echoNode(false), &fakeSpec{f: "echo", preamble: topo})
	_, err := RunIn(bubble(t), cfg)
	if err == nil {
		t.Fatal("a preamble request answered with an error must fail the run")
	}
	t.Logf("as expected: %v", err)

	cfg = small(program(func(*node.Node, node.Init) (node.Handlers, error) { return nil, fmt.Errorf("bad state") }), &fakeSpec{f: "echo"})
	if _, err = RunIn(bubble(t), cfg); err == nil {
		t.Fatal("a node that fails to build must fail the run")
	}

	cfg = small(echoNode(false), &fakeSpec{f: "echo"})
	cfg.NodeArgs = []string{"-nope"}
	if _, err = RunIn(bubble(t), cfg); err == nil || !strings.Contains(err.Error(), "-nope") {
		t.Fatalf("node arguments its program does not take must fail the run, got %v", err)
	}

	cfg = small(echoNode(false), nil)
	if _, err = RunIn(bubble(t), cfg); err == nil {
		t.Fatal("a nil spec must fail the run")
	}
}

func TestSpecVerdictAndStats(t *testing.T) {
	s := &fakeSpec{f: "echo", check: func(h History) Result {
		return Result{Valid: false, Anomalies: []Anomaly{{Kind: "lost", Detail: "x"}},
			StableLatencies: map[string]float64{"0": 1, "0.5": 2, "0.95": 3, "0.99": 4, "1": 5}}
	}}
	rep := virtualRun(t, small(echoNode(false), s))
	if rep.Valid || len(rep.Anomalies) != 1 || rep.Anomalies[0].Kind != "lost" || rep.StableLatenciesMS["1"] != 5 {
		t.Fatalf("report does not carry the spec's verdict: %+v", rep)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"workload", "valid", "seed", "ops", "availability", "net", "stable_latencies_ms", "anomalies", "virtual_seconds", "wall_seconds"} {
		if _, ok := m[k]; !ok {
			t.Errorf("report JSON lacks %q: %s", k, b)
		}
	}
}

func TestVirtualTwentySeconds(t *testing.T) {
	start := time.Now()
	cfg := Config{Workload: "fake", NodeCount: 5, TimeLimit: 20 * time.Second, Rate: 100,
		Latency: 100 * time.Millisecond, Program: echoNode(true), Spec: &fakeSpec{f: "echo"}}
	rep := virtualRun(t, cfg)
	if !rep.Valid {
		t.Fatalf("invalid: %v", rep.Anomalies)
	}
	// No final requests, so no quiet period: the run is the load, which
	// ends when the next op would fall past the time limit.
	if rep.VirtualSeconds < 19.5 || rep.VirtualSeconds > 20 {
		t.Errorf("virtual %v s, want the 20 s load and no quiet", rep.VirtualSeconds)
	}
	t.Logf("20 s of load took %v of wall time", time.Since(start))
}

func TestPartitionNemesis(t *testing.T) {
	// With final operations, Maelstrom heals before them; without, the
	// last partition stays (see TestSameSeedSameRun).
	cfg := small(echoNode(true), &fakeSpec{f: "echo", final: true})
	cfg.NodeCount, cfg.TimeLimit, cfg.Rate = 5, 20*time.Second, 20
	cfg.Nemesis, cfg.NemesisInterval = []string{"partition"}, 2*time.Second
	cfg.Latency = 10 * time.Millisecond
	rep := virtualRun(t, cfg)
	if !rep.Valid {
		t.Fatalf("clients stay connected, so every echo succeeds: %v", rep.Anomalies)
	}
	ev := rep.Nemesis
	if len(ev) < 4 || ev[0].At != 0 || ev[len(ev)-1].Action != "heal" {
		t.Fatalf("want a partition at once, several more, and a final heal, got %+v", ev)
	}
	// During the load partitions and heals alternate (a last heal may
	// then come twice: the flip-flop's and the final one).
	for i, e := range ev[:len(ev)-1] {
		want := "partition"
		if i%2 == 1 {
			want = "heal"
		}
		// Every shape cuts something among 5 nodes.
		if e.Action != want || e.At > cfg.TimeLimit.Seconds() || (want == "partition" && len(e.Grudge) == 0) {
			t.Errorf("event %d: %+v, want a %s within the load", i, e, want)
		}
	}
	if rep.Net.Dropped == 0 {
		t.Error("partitions dropped no gossip")
	}
	// Operations are split by whether their node could reach a majority:
	// every shape of 5 nodes cuts some node off, and none is unavailable
	// (clients always reach their node, which answers echo alone).
	maj, min := rep.AvailabilityByReach["majority"], rep.AvailabilityByReach["minority"]
	if maj.Invoked+min.Invoked != rep.Ops.Invoked || min.Invoked == 0 || maj.OK != maj.Invoked || min.Unavailable != 0 {
		t.Errorf("availability by reach %+v for %d ops", rep.AvailabilityByReach, rep.Ops.Invoked)
	}
	if got := rep.Net.Servers.Msgs; got != rep.Ops.Invoked*(cfg.NodeCount-1) {
		// Every echo is gossiped to every other node.
		t.Errorf("dropped messages must still count as sent: %d server msgs for %d ops", got, rep.Ops.Invoked)
	}
}

func TestSameSeedSameRun(t *testing.T) {
	cfg := small(echoNode(true), &fakeSpec{f: "echo"})
	cfg.Nemesis, cfg.NemesisInterval, cfg.Seed = []string{"partition"}, time.Second, 42
	a, b := virtualRun(t, cfg), virtualRun(t, cfg)
	if len(a.History) != len(b.History) || fmt.Sprint(a.Nemesis) != fmt.Sprint(b.Nemesis) {
		t.Errorf("same seed, different runs: %d vs %d ops, nemesis %v vs %v", len(a.History), len(b.History), a.Nemesis, b.Nemesis)
	}
	for i := range a.History {
		if a.History[i].Invoke != b.History[i].Invoke {
			t.Fatalf("op %d invoked at %v and %v", i, a.History[i].Invoke, b.History[i].Invoke)
		}
	}
}

func TestProcessNodes(t *testing.T) {
	// Real processes in real time: this test binary acting as a node.
	t.Setenv(nodeEnv, "echo")
	cfg := Config{Workload: "fake", NodeCount: 3, TimeLimit: time.Second, Rate: 50, Quiet: -1,
		Latency: time.Millisecond, Bin: os.Args[0], LogDir: t.TempDir(), Spec: &fakeSpec{f: "echo"}}
	rep, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep.Summary())
	if !rep.Valid || rep.Ops.OK < 20 || rep.Net.Servers.Msgs != 2*rep.Ops.Invoked {
		t.Errorf("want a valid run of about 50 echoes, each gossiped to 2 nodes: %s", rep.Summary())
	}

	cfg.Bin = "/nonexistent/node"
	if _, err := Run(t.Context(), cfg); err == nil {
		t.Error("a binary that does not start must fail the run")
	}
}

func TestBrokenProcesses(t *testing.T) {
	// Real processes that die or write junk: the run still ends, with the
	// reason among its anomalies.
	for _, tc := range []struct{ mode, want string }{
		{"exit", "exited during the run: exit status 3"},
		{"garbage", "not a message"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			t.Setenv(nodeEnv, tc.mode)
			cfg := Config{Workload: "fake", NodeCount: 1, TimeLimit: 500 * time.Millisecond, Rate: 20, Quiet: -1,
				ClientTimeout: 200 * time.Millisecond, Bin: os.Args[0], Spec: &fakeSpec{f: "echo"}}
			rep, err := Run(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Log(rep.Summary())
			if rep.Valid || !strings.Contains(fmt.Sprint(rep.Anomalies), tc.want) {
				t.Errorf("want an invalid run reporting %q, got %s", tc.want, rep.Summary())
			}
		})
	}
}

func TestNodeDyingAtStartIsReportedAtOnce(t *testing.T) {
	// A node that exits before init: the run fails at once (not after
	// init's 10 s timeout), quoting what the node wrote on stderr.
	t.Setenv(nodeEnv, "die")
	cfg := Config{Workload: "fake", NodeCount: 2, TimeLimit: time.Second, Rate: 10, Bin: os.Args[0], Spec: &fakeSpec{f: "echo"}}
	start := time.Now()
	_, err := Run(t.Context(), cfg)
	if err == nil || !strings.Contains(err.Error(), "takes no arguments") {
		t.Fatalf("want an error quoting the node's stderr, got %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the run took %v to notice a dead node", d)
	}
}

func TestStoppingNodes(t *testing.T) {
	// A handler that never returns leaves its node running: the run ends
	// with a report that warns of it, and the bubble's deadlock panic over
	// the leaked goroutines is recovered. A handler that waits for its
	// context is stopped cleanly by the context's end.
	tests := []struct {
		name  string
		block func(ctx context.Context, forever chan struct{})
		warn  string
	}{
		{"blocked forever", func(_ context.Context, forever chan struct{}) { <-forever }, "never returns"},
		{"waits for its context", func(ctx context.Context, _ chan struct{}) { <-ctx.Done() }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prog := program(func(*node.Node, node.Init) (node.Handlers, error) {
				forever := make(chan struct{}) // made in the bubble: durably blocking
				var calls atomic.Int64
				return node.Handlers{"echo": func(ctx context.Context, _ node.Message) (any, error) {
					if calls.Add(1) == 1 {
						tc.block(ctx, forever)
					}
					return map[string]string{"type": "echo_ok"}, nil
				}}, nil
			})
			cfg := small(prog, &fakeSpec{f: "echo"})
			cfg.NodeCount, cfg.Concurrency = 1, 2
			rep := virtualRun(t, cfg)
			if !rep.Valid || rep.Ops.Info != 1 {
				t.Errorf("want a valid run with one timed-out op: %s", rep.Summary())
			}
			if got := strings.Join(rep.Warnings, "; "); (tc.warn == "") != (got == "") || !strings.Contains(got, tc.warn) {
				t.Errorf("warnings %q, want %q", got, tc.warn)
			}
		})
	}
}

// TestRunKeepsNoCompletionValues: the checker sees every ok op's
// completion value and Config.Record gets each event in history order
// with it, but the report's history keeps none of them.
func TestRunKeepsNoCompletionValues(t *testing.T) {
	var checked, recorded int
	s := &fakeSpec{f: "echo", check: func(h History) Result {
		for _, op := range h {
			if op.Status == OK && op.Out != nil {
				checked++
			}
		}
		return Result{Valid: true}
	}}
	cfg := small(echoNode(false), s)
	events := 0
	cfg.Record = func(e HistoryEvent) {
		if e.Nemesis != nil {
			return
		}
		at := e.Op.InvokeEvent
		if e.Completed {
			at = e.Op.CompleteEvent
			if e.Op.Status == OK && e.Op.Out != nil {
				recorded++
			}
		}
		if at != events {
			t.Errorf("event %d recorded as number %d", events, at)
		}
		events++
	}
	rep := virtualRun(t, cfg)
	if rep.Ops.OK == 0 || checked != rep.Ops.OK || recorded != rep.Ops.OK {
		t.Fatalf("%d ok ops: the checker saw %d values, the record %d", rep.Ops.OK, checked, recorded)
	}
	for _, op := range rep.History {
		if op.Out != nil {
			t.Fatalf("the report's history kept op %d's value %v", op.Index, op.Out)
		}
	}
}

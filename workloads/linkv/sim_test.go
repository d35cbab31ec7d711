package linkv

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/simtest"
)

// The configurations, as `maelstrom test -w lin-kv` flags.

// tutorial: --node-count 3 --concurrency 4n --rate 30 --time-limit 60
// --nemesis partition --nemesis-interval 10.
func tutorial(seed int64) sim.Config {
	return sim.Config{Workload: "lin-kv", Program: Program, NodeCount: 3, Concurrency: 12, Rate: 30,
		TimeLimit: 60 * time.Second, Nemesis: []string{"partition"}, NemesisInterval: 10 * time.Second, Seed: seed}
}

// harsh: the tutorial with --concurrency 10n --rate 100
// --nemesis-interval 3, on nodes nodes.
func harsh(nodes int, seed int64) sim.Config {
	cfg := tutorial(seed)
	cfg.NodeCount, cfg.Concurrency, cfg.Rate, cfg.NemesisInterval = nodes, 10*nodes, 100, 3*time.Second
	return cfg
}

// slowNet: --node-count 5 --concurrency 2n --latency 50 --latency-dist
// exponential --nemesis partition.
func slowNet(seed int64) sim.Config {
	cfg := tutorial(seed)
	cfg.NodeCount, cfg.Concurrency, cfg.Rate = 5, 10, 5
	cfg.Latency, cfg.LatencyDist = 50*time.Millisecond, "exponential"
	return cfg
}

// throughput: --rate 1000 --concurrency 10n, no faults.
func throughput(nodes int, batch string) sim.Config {
	return sim.Config{Workload: "lin-kv", Program: Program, NodeCount: nodes, Concurrency: 10 * nodes, Rate: 1000,
		TimeLimit: 20 * time.Second, Seed: 1, NodeArgs: []string{"-batch", batch}}
}

// figures sums the runs of one configuration over seeds.
type figures struct {
	runs, invalid      int
	ops, ok, msgs      int
	majority, majUnav  int
	minority, minUnav  int
	refused, refusedIn int             // code 11 answers, and those within 100 ms
	latencies          []time.Duration // of ok ops
	seconds            float64
}

func (f *figures) add(rep *sim.Report) {
	f.runs++
	if !rep.Valid {
		f.invalid++
	}
	f.ops += rep.Ops.Invoked
	f.ok += rep.Ops.OK
	f.msgs += rep.Net.Servers.Msgs
	f.majority += rep.AvailabilityByReach["majority"].Invoked
	f.majUnav += rep.AvailabilityByReach["majority"].Unavailable
	f.minority += rep.AvailabilityByReach["minority"].Invoked
	f.minUnav += rep.AvailabilityByReach["minority"].Unavailable
	f.seconds += rep.VirtualSeconds
	for _, op := range rep.History {
		switch {
		case op.Status == sim.OK:
			f.latencies = append(f.latencies, op.Complete-op.Invoke)
		case op.ErrCode == 11:
			f.refused++
			if op.Complete-op.Invoke <= 100*time.Millisecond {
				f.refusedIn++
			}
		}
	}
}

func (f *figures) msgsPerOp() float64      { return float64(f.msgs) / float64(f.ops) }
func (f *figures) majUnavailable() float64 { return float64(f.majUnav) / float64(max(1, f.majority)) }

func (f *figures) quantile(q float64) time.Duration {
	slices.Sort(f.latencies)
	if len(f.latencies) == 0 {
		return 0
	}
	return f.latencies[min(len(f.latencies)-1, int(q*float64(len(f.latencies))))]
}

func (f *figures) String() string {
	return fmt.Sprintf("%d runs, %d invalid; servers msgs-per-op %.2f; at a majority %d ops, %.2f%% refused or timed out; "+
		"cut off %d ops, %d unavailable; %d refused with 11, %d of them within 100 ms; ok latency p50 %v p99 %v; %.0f ok ops/s",
		f.runs, f.invalid, f.msgsPerOp(), f.majority, 100*f.majUnavailable(), f.minority, f.minUnav, f.refused, f.refusedIn,
		f.quantile(0.5).Round(time.Millisecond/10), f.quantile(0.99).Round(time.Millisecond/10), float64(f.ok)/f.seconds)
}

// run runs cfg once per seed and sums the figures. Under the race
// detector, which makes each run many times slower, it runs a third of
// the seeds.
func run(t *testing.T, seeds int, cfg func(seed int64) sim.Config) *figures {
	t.Helper()
	if race {
		seeds = max(1, seeds/3)
	}
	f := &figures{}
	for seed := range int64(seeds) {
		rep := simtest.Run(t, cfg(seed+1))
		if !rep.Valid {
			t.Errorf("seed %d invalid: %v", seed+1, rep.Anomalies)
		}
		f.add(rep)
	}
	t.Log(f)
	return f
}

// TestTutorial checks the targets in its tutorial configuration:
// valid on every seed, at most 2% of the operations arriving at a node
// that reaches a majority refused or timed out, at most 3 messages
// between servers per operation, and ok latency p50 ≤ 30 ms, p99 ≤ 60 ms.
func TestTutorial(t *testing.T) {
	f := run(t, 6, tutorial)
	if f.majUnavailable() > 0.02 || f.msgsPerOp() > 3 || f.quantile(0.5) > 30*time.Millisecond || f.quantile(0.99) > 60*time.Millisecond {
		t.Errorf("misses a target: %v", f)
	}
	if f.minority == 0 || f.refused == 0 {
		t.Errorf("no operation arrived at a cut-off node: the runs test little (%v)", f)
	}
}

// TestHarsh: partitions every 3 s on average at 100 ops/s, 3 and 5 nodes.
func TestHarsh(t *testing.T) {
	for _, nodes := range []int{3, 5} {
		t.Run(fmt.Sprint(nodes, " nodes"), func(t *testing.T) {
			f := run(t, 3, func(seed int64) sim.Config { return harsh(nodes, seed) })
			if nodes == 3 && f.majUnavailable() > 0.02 {
				t.Errorf("misses the availability target: %v", f)
			}
		})
	}
}

// TestSlowNetwork: 5 nodes, exponential latency of mean 50 ms, partitions.
func TestSlowNetwork(t *testing.T) {
	run(t, 3, slowNet)
}

// TestBatching is the README's table: messages per operation against ok
// latency for a few settings of -batch, in the tutorial configuration, and
// throughput at 1000 requests a second without faults.
func TestBatching(t *testing.T) {
	if testing.Short() || race {
		t.Skip("a table, not a check")
	}
	for _, b := range []string{"0ms", "10ms", "25ms", "50ms"} {
		f := run(t, 3, func(seed int64) sim.Config {
			cfg := tutorial(seed)
			cfg.NodeArgs = []string{"-batch", b}
			return cfg
		})
		g := run(t, 1, func(int64) sim.Config { return throughput(3, b) })
		t.Logf("| %s | %.2f | %v | %v | %.2f | %.0f |", b, f.msgsPerOp(), f.quantile(0.5).Round(time.Millisecond/10),
			f.quantile(0.99).Round(time.Millisecond/10), g.msgsPerOp(), float64(g.ok)/g.seconds)
	}
}

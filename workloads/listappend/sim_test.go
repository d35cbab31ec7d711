package listappend

import (
	"testing"
	"time"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/simtest"
	"github.com/glomers/glomers/sim/spec/appendtxn"
)

// runSim runs cfg (workload txn-list-append, this package's Program) under
// Elle's list-append checker at strict serializability.
func runSim(t *testing.T, cfg sim.Config) *sim.Report {
	t.Helper()
	cfg.Workload = "txn-list-append"
	cfg.Program = Program
	s, err := appendtxn.New(cfg.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Spec = s
	return simtest.Run(t, cfg)
}

// TestSimulated runs the node under Elle's list-append checker at strict
// serializability: the three configurations (shortened, to stay
// quick under -race), five nodes at 50 ms exponential latency with
// partitions, and a lin-kv slower than -rpc. Every transaction must be
// answered, none refused. TestFigures measures the full-length runs.
func TestSimulated(t *testing.T) {
	tests := []struct {
		name string
		cfg  sim.Config
	}{
		{"tutorial", sim.Config{NodeCount: 2, Rate: 100}},
		{"partition", sim.Config{NodeCount: 3, Concurrency: 6, Rate: 100, Nemesis: []string{"partition"}, NemesisInterval: 2 * time.Second}},
		{"load", sim.Config{NodeCount: 2, Concurrency: 20, Rate: 1000}},
		{"five nodes, latency 50", sim.Config{NodeCount: 5, Concurrency: 10, Rate: 100, Latency: 50 * time.Millisecond, LatencyDist: "exponential",
			Nemesis: []string{"partition"}, NemesisInterval: 2 * time.Second}},
		{"latency above -rpc", sim.Config{NodeCount: 2, Concurrency: 4, Rate: 20, Latency: 300 * time.Millisecond, NodeArgs: []string{"-rpc", "250ms"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.TimeLimit = 5 * time.Second
			cfg.Seed = 3
			rep := runSim(t, cfg)
			if !rep.Valid {
				t.Fatalf("invalid run: %+v", rep.Anomalies)
			}
			if rep.Ops.OK == 0 || rep.Ops.OK != rep.Ops.Invoked {
				t.Fatalf("ops %+v: want every transaction answered ok", rep.Ops)
			}
		})
	}
}

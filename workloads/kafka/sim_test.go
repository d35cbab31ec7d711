package kafka

import (
	"testing"
	"time"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/simtest"
)

// TestSimulated runs the kafka workload in the simulator: challenge 5a's
// single node, 5b/5c's two nodes, two nodes with latency and with
// partitions, a latency above the least lin-kv time limit, and five nodes
// at a low rate under partition (idle peers, tail back-off, sends across
// the cut through lin-kv). Runs are shorter than the challenges' 20 s to
// stay quick under -race; the figures are measured with scripts/sim (see
// the report).
func TestSimulated(t *testing.T) {
	tests := []struct {
		name string
		cfg  sim.Config
	}{
		{"5a one node", sim.Config{NodeCount: 1}},
		{"5b two nodes", sim.Config{NodeCount: 2}},
		{"latency 100", sim.Config{NodeCount: 2, Latency: 100 * time.Millisecond, Rate: 100}},
		{"partition", sim.Config{NodeCount: 2, Nemesis: []string{"partition"}, NemesisInterval: 2 * time.Second}},
		{"three nodes, partition, exponential latency", sim.Config{NodeCount: 3, Nemesis: []string{"partition"}, NemesisInterval: 2 * time.Second,
			Rate: 300, Latency: 10 * time.Millisecond, LatencyDist: "exponential"}},
		// Every lin-kv round trip (1.2 s) outlasts -rpc's 1 s: only a time
		// limit that adapts lets a chunk write or a list ever complete.
		{"latency 600, above -rpc", sim.Config{NodeCount: 2, Latency: 600 * time.Millisecond, Rate: 20}},
		{"five nodes, low rate, partition", sim.Config{NodeCount: 5, Nemesis: []string{"partition"}, NemesisInterval: 2 * time.Second,
			Rate: 20, Latency: 20 * time.Millisecond}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Workload = "kafka"
			cfg.Program = Program
			cfg.Concurrency = 2 * cfg.NodeCount
			cfg.TimeLimit = 4 * time.Second
			cfg.Quiet = 2 * time.Second
			if cfg.Rate == 0 {
				cfg.Rate = 1000
			}
			cfg.Seed = 7
			rep := simtest.Run(t, cfg)
			if !rep.Valid {
				t.Fatalf("invalid run: %+v", rep.Anomalies)
			}
			if rep.Ops.OK == 0 || rep.Ops.Fail > 0 {
				t.Fatalf("ops %+v: want successes and no definite failure", rep.Ops)
			}
		})
	}
}

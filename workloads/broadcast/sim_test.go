package broadcast

import (
	"testing"
	"time"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/simtest"
)

// challenge3 is Maelstrom's challenge 3d/3e load: 25 nodes, rate 100,
// latency 100 ms, 20 s.
func challenge3(args []string, nemesis ...string) sim.Config {
	return sim.Config{
		Workload: "broadcast", Program: Program, NodeArgs: args,
		NodeCount: 25, Rate: 100, Latency: 100 * time.Millisecond, TimeLimit: 20 * time.Second,
		Nemesis: nemesis, Seed: 1,
	}
}

// TestSimChallenges runs challenges 3a–3c as published and checks each
// run's verdict.
func TestSimChallenges(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  sim.Config
	}{
		{"3a", sim.Config{NodeCount: 1, Rate: 10}},
		{"3b", sim.Config{NodeCount: 5, Rate: 10}},
		{"3c", sim.Config{NodeCount: 5, Rate: 10, Nemesis: []string{"partition"}}},
		{"3c-economy", sim.Config{NodeCount: 5, Rate: 10, Nemesis: []string{"partition"}, NodeArgs: []string{"--economy"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Workload, cfg.Program, cfg.TimeLimit, cfg.Seed = "broadcast", Program, 20*time.Second, 1
			rep := simtest.Run(t, cfg)
			if !rep.Valid {
				t.Fatalf("invalid run: %v", rep.Anomalies)
			}
		})
	}
}

// TestSimEfficiency runs challenge 3d/3e's load with the default and the
// economy setting, without faults (judged on the challenges' bars) and with
// partitions (which must lose nothing and keep the message bar: repairs
// are cheap).
func TestSimEfficiency(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		maxMsgs  float64 // servers' msgs-per-op
		p50, max float64 // stable latency bars in ms, without faults
	}{
		// Both settings pass 3d's message bar (30) and 3e's (20); the
		// default also meets 3d's latency bars, the economy setting 3e's.
		{"default", nil, 20, 400, 600},
		{"economy", []string{"--economy"}, 20, 1000, 2000},
	} {
		for _, nemesis := range [][]string{nil, {"partition"}} {
			name := tc.name
			if nemesis != nil {
				name += "/partition"
			}
			t.Run(name, func(t *testing.T) {
				rep := simtest.Run(t, challenge3(tc.args, nemesis...))
				if !rep.Valid {
					t.Fatalf("invalid run: %v", rep.Anomalies)
				}
				if got := rep.Net.Servers.MsgsPerOp; got >= tc.maxMsgs {
					t.Errorf("servers msgs-per-op %.2f, want < %.0f", got, tc.maxMsgs)
				}
				if nemesis != nil {
					return
				}
				if p50, max := rep.StableLatenciesMS["0.5"], rep.StableLatenciesMS["1"]; p50 >= tc.p50 || max >= tc.max {
					t.Errorf("stable latency median %.0f ms, max %.0f ms; want < %.0f and < %.0f", p50, max, tc.p50, tc.max)
				}
			})
		}
	}
}

package sim

import (
	"testing"
	"time"
)

// TestGossip25 is challenge 3d's shape with a trivial all-to-all gossip
// node: 25 nodes, 20 s of load at 100 req/s, 100 ms latency. It reports
// the wall time the simulation takes (-short skips it).
func TestGossip25(t *testing.T) {
	if testing.Short() {
		t.Skip("performance report; run without -short")
	}
	cfg := Config{Workload: "fake", NodeCount: 25, TimeLimit: 20 * time.Second, Rate: 100,
		Latency: 100 * time.Millisecond, Program: echoNode(true), Spec: &fakeSpec{f: "echo"}}
	start := time.Now()
	rep := virtualRun(t, cfg)
	wall := time.Since(start)
	if !rep.Valid || rep.Net.Servers.Msgs != rep.Ops.Invoked*24 {
		t.Fatalf("want a valid run with 24 gossip messages per op: %s", rep.Summary())
	}
	t.Logf("25 nodes, %d messages, %.1f s virtual in %v wall (%.0f msgs/s)",
		rep.Net.All.Msgs, rep.VirtualSeconds, wall, float64(rep.Net.All.Msgs)/wall.Seconds())
}

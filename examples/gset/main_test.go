package main

import (
	"testing"
	"time"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/simtest"
)

// The README's three-line test: the node passes Maelstrom's g-set workload
// with partitions, in virtual time.
func TestGSet(t *testing.T) {
	rep := simtest.Run(t, sim.Config{Workload: "g-set", Program: Program, NodeCount: 5, Rate: 100, TimeLimit: 20 * time.Second, Nemesis: []string{"partition"}})
	if !rep.Valid {
		t.Fatalf("invalid: %v", rep.Anomalies)
	}
}

// Package simtest runs simulated Maelstrom tests from Go tests: one call
// runs a whole cluster inside a testing/synctest bubble, so every latency,
// timeout and sleep is virtual and a 20-second run takes a moment.
//
// It is a separate package from sim because it needs package sim/spec to
// pick a workload's Spec, and sim/spec imports sim. It does not pick the
// node program: a test names it (cfg.Program), which lets a workload's own
// internal tests use simtest without an import cycle.
package simtest

import (
	"testing"
	"testing/synctest"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/spec"
)

// Run runs cfg in a synctest bubble and returns its report, after logging
// a one-line summary. A nil cfg.Spec is resolved with spec.New. Setup
// errors (no such workload, a node that fails init) fail the test with
// t.Fatal; an invalid run does not: assert rep.Valid yourself. A node whose
// handler never returns shows in rep.Warnings (see sim.RunIn).
func Run(t *testing.T, cfg sim.Config) *sim.Report {
	t.Helper()
	if cfg.Spec == nil {
		s, err := spec.New(cfg.Workload, cfg.WithDefaults())
		if err != nil {
			t.Fatalf("simtest: %v", err)
		}
		cfg.Spec = s
	}
	rep, err := sim.RunIn(func(run func()) { synctest.Test(t, func(*testing.T) { run() }) }, cfg)
	if err != nil {
		t.Fatalf("simtest: %s run: %v", cfg.Workload, err)
	}
	t.Logf("simtest: %s", rep.Summary())
	return rep
}

package workloads

import (
	"os"
	"slices"
	"testing"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/spec"
)

// TestEveryBinaryIsRegistered keeps the registry, the binaries under cmd/
// and the simulator's specs in step: every binary has an in-process setup
// under its Maelstrom workload name, and the simulator knows that workload.
func TestEveryBinaryIsRegistered(t *testing.T) {
	entries, err := os.ReadDir("../cmd")
	if err != nil {
		t.Fatal(err)
	}
	var binaries []string
	for _, e := range entries {
		if e.IsDir() {
			binaries = append(binaries, e.Name())
		}
	}
	if !slices.Equal(binaries, Names()) {
		t.Fatalf("binaries %v, registry %v", binaries, Names())
	}
	for _, name := range Names() {
		if _, ok := Lookup(name); !ok {
			t.Errorf("Lookup(%q) failed", name)
		}
		if _, err := spec.New(name, sim.Config{Workload: name, NodeCount: 3, Concurrency: 6}.WithDefaults()); err != nil {
			t.Errorf("no simulator spec for %q: %v", name, err)
		}
	}
	if _, ok := Lookup("no-such-workload"); ok {
		t.Error("Lookup found a workload that does not exist")
	}
}

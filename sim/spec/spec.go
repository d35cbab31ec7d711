package spec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/spec/appendtxn"
	"github.com/glomers/glomers/sim/spec/txn"
)

// makers maps each workload name to the constructor of its Spec.
var makers = map[string]func(cfg sim.Config) (sim.Spec, error){
	"echo":            func(sim.Config) (sim.Spec, error) { return echoSpec{}, nil },
	"unique-ids":      func(sim.Config) (sim.Spec, error) { return uniqueIDsSpec{}, nil },
	"broadcast":       func(cfg sim.Config) (sim.Spec, error) { return newSetSpec(broadcastSet, cfg) },
	"g-set":           func(cfg sim.Config) (sim.Spec, error) { return newSetSpec(gSet, cfg) },
	"g-counter":       func(sim.Config) (sim.Spec, error) { return &counterSpec{negative: false}, nil },
	"pn-counter":      func(sim.Config) (sim.Spec, error) { return &counterSpec{negative: true}, nil },
	"kafka":           func(cfg sim.Config) (sim.Spec, error) { return newKafkaSpec(cfg), nil },
	"lin-kv":          newLinKVSpec,
	"txn-rw-register": txn.New,
	"txn-list-append": appendtxn.New,
}

// New returns a fresh Spec for one run of the named Maelstrom workload.
func New(workload string, cfg sim.Config) (sim.Spec, error) {
	mk, ok := makers[workload]
	if !ok {
		return nil, fmt.Errorf("unknown workload %q (known: %s)", workload, strings.Join(Names(), ", "))
	}
	s, err := mk(cfg)
	if err != nil {
		return nil, fmt.Errorf("workload %s: %w", workload, err)
	}
	return s, nil
}

// Names lists the workloads New knows, sorted.
func Names() []string {
	names := make([]string, 0, len(makers))
	for n := range makers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

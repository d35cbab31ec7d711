// Package workloads names every workload this project implements, so that
// tools (the simulator's command line, the benchmarks) can build an
// in-process node for a Maelstrom workload name. Each workload's algorithm
// lives in its own sub-package.
package workloads

import (
	"sort"

	"github.com/glomers/glomers/node"
	"github.com/glomers/glomers/workloads/broadcast"
	"github.com/glomers/glomers/workloads/counter"
	"github.com/glomers/glomers/workloads/echo"
	"github.com/glomers/glomers/workloads/gset"
	"github.com/glomers/glomers/workloads/kafka"
	"github.com/glomers/glomers/workloads/linkv"
	"github.com/glomers/glomers/workloads/listappend"
	"github.com/glomers/glomers/workloads/txn"
	"github.com/glomers/glomers/workloads/uniqueids"
)

var registry = map[string]node.Program{
	"echo":            echo.Program,
	"unique-ids":      uniqueids.Program,
	"broadcast":       broadcast.Program,
	"g-counter":       counter.GCounter,
	"pn-counter":      counter.PNCounter,
	"kafka":           kafka.Program,
	"g-set":           gset.Program,
	"lin-kv":          linkv.Program,
	"txn-list-append": listappend.Program,
	"txn-rw-register": txn.Program,
}

// Lookup returns the program of a Maelstrom workload name.
func Lookup(workload string) (node.Program, bool) {
	s, ok := registry[workload]
	return s, ok
}

// Names lists the workloads, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Command pn-counter is the node binary for Maelstrom's pn-counter workload
// (a counter whose deltas may be negative), built on seq-kv. Run it with
// -help for its flags; see package workloads/counter.
package main

import (
	"github.com/glomers/glomers/node"
	"github.com/glomers/glomers/workloads/counter"
)

func main() { node.Main(counter.PNCounter) }

// Command g-counter is the node binary for Gossip Glomers challenge 4
// (Maelstrom workload g-counter), built on seq-kv. Run it with -help for
// its flags; see package workloads/counter.
package main

import (
	"github.com/glomers/glomers/node"
	"github.com/glomers/glomers/workloads/counter"
)

func main() { node.Main(counter.GCounter) }

// Command g-counter is the node binary for Gossip Glomers challenge 4
// (Maelstrom workload g-counter), built on seq-kv. Flags after `--` tune
// it: -batch, -refresh, -kv-timeout, -add-timeout, -read-timeout. See package
// workloads/counter.
package main

import (
	"github.com/glomers/glomers/node"
	"github.com/glomers/glomers/workloads/counter"
)

func main() { node.Main(counter.SetupGrowOnly) }

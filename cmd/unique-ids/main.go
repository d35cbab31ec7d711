// Command unique-ids is the node binary for Gossip Glomers challenge 2
// (Maelstrom workload unique-ids); -help says what it does. See package
// workloads/uniqueids.
package main

import (
	"github.com/glomers/glomers/node"
	"github.com/glomers/glomers/workloads/uniqueids"
)

func main() { node.Main(uniqueids.Program) }

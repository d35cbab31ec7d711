// Command g-set is a Maelstrom node for the g-set workload; see package
// gset.
package main

import (
	"github.com/glomers/glomers/node"
	"github.com/glomers/glomers/workloads/gset"
)

func main() { node.Main(gset.Program) }

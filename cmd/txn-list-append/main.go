// Command txn-list-append is a Maelstrom node for the txn-list-append
// workload; see package listappend.
package main

import (
	"github.com/glomers/glomers/node"
	"github.com/glomers/glomers/workloads/listappend"
)

func main() { node.Main(listappend.Program) }

// Command lin-kv is the node binary for Maelstrom's lin-kv workload: a
// linearizable key/value store replicated by Raft. `lin-kv -help` says
// what it is and lists every node flag with its default; the design is in
// packages workloads/linkv and workloads/raft.
package main

import (
	"github.com/glomers/glomers/node"
	"github.com/glomers/glomers/workloads/linkv"
)

func main() { node.Main(linkv.Program) }

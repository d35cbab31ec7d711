// Command txn-rw-register is the node binary for Gossip Glomers challenges
// 6a–6c (Maelstrom workload txn-rw-register): a totally available
// transactional key/value store giving read committed.
// `txn-rw-register -help` says what it is and lists every node flag with
// its default; the design is in package workloads/txn.
package main

import (
	"github.com/glomers/glomers/node"
	"github.com/glomers/glomers/workloads/txn"
)

func main() { node.Main(txn.Program) }

// Command txn-rw-register is the node binary for Gossip Glomers challenges
// 6a–6c (Maelstrom workload txn-rw-register): a totally available
// transactional key/value store giving read committed. See package
// workloads/txn for the design and its flags.
package main

import (
	"github.com/glomers/glomers/node"
	"github.com/glomers/glomers/workloads/txn"
)

func main() { node.Main(txn.Setup) }

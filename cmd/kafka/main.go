// Command kafka is the node binary for Gossip Glomers challenges 5a, 5b and
// 5c (Maelstrom workload kafka): a replicated log on lin-kv. `kafka -help`
// says what it is and lists every node flag with its default; the design is
// in package workloads/kafka.
package main

import (
	"github.com/glomers/glomers/node"
	"github.com/glomers/glomers/workloads/kafka"
)

func main() { node.Main(kafka.Program) }

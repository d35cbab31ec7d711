// Command kafka is the node binary for Gossip Glomers challenges 5a, 5b and
// 5c (Maelstrom workload kafka). See package workloads/kafka; flags -flush,
// -tail, -wait and -rpc tune it.
package main

import (
	"github.com/glomers/glomers/node"
	"github.com/glomers/glomers/workloads/kafka"
)

func main() { node.Main(kafka.Setup) }

// Command broadcast is the node binary for Gossip Glomers challenges 3a–3e
// (Maelstrom workload broadcast). Its flags follow Maelstrom's `--`; -help
// lists them with their defaults. See package workloads/broadcast for the
// design, and its DESIGN.md for the trade-offs.
package main

import (
	"github.com/glomers/glomers/node"
	"github.com/glomers/glomers/workloads/broadcast"
)

func main() { node.Main(broadcast.Program) }

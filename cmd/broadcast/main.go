// Command broadcast is the node binary for Gossip Glomers challenges 3a–3e
// (Maelstrom workload broadcast). Flags after Maelstrom's `--` tune it:
//
//	--fanout N        0 (default): send each value straight to every peer;
//	                  N ≥ 1: relay along a shared N-ary tree over node_ids
//	--batch D         flush period of the per-peer queues (default 0: send at once)
//	--anti-entropy D  digest exchange period (default 500ms)
//	--economy         fewest messages: star, 600ms batches, 1s anti-entropy
//
// See package workloads/broadcast for the design and its trade-offs.
package main

import (
	"github.com/glomers/glomers/node"
	"github.com/glomers/glomers/workloads/broadcast"
)

func main() { node.Main(broadcast.Setup) }

// Package sim runs a Maelstrom-compatible cluster in-process: server nodes
// built on package node, client processes that generate a workload's load,
// Maelstrom's services, latency and partitions, and the checkers that judge
// the history.
package sim

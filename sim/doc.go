// Package sim runs a Maelstrom test in-process: server nodes built on
// package node (or node binaries as processes), Maelstrom's network and
// services, Jepsen's generator interpreter with the workload's clients,
// the partition nemesis, and the checkers that judge the history.
//
// Run a configuration with RunIn (virtual time, reproducible) or Run (real
// time); Config says what `maelstrom test` flags it stands for, and a Spec
// from package sim/spec supplies the workload. Package sim/simtest wraps
// this for Go tests, sim/cli for the command line (scripts/sim).
//
// # Shape of a run
//
// As in Maelstrom 0.2.3: every node gets init, then the workload's
// preamble (broadcast's topology, which Maelstrom's client sends in
// setup!). Then the test's generator runs, composed as maelstrom-test
// composes it (maelstromGenerator): the workload's generator staggered at
// the rate, beside the nemesis's, under the time limit; and, only for
// workloads with a final generator, the heal, a 10 s sleep and the final
// operations, each phase once every thread is free. The generators are
// package gen's ports of Jepsen's, interpreted as Jepsen's interpreter
// does (interp): client threads run the workload's client (Spec.Invoke)
// one operation at a time; an operation that ends :info crashes the
// thread's process, which goes on as a fresh one with a fresh client
// unless the client is reusable. The Spec's Checker judges the history as
// it happens: it is told of each invocation and completion in order, and
// the run keeps no completion values after it (the run store streams them
// to disk through Config.Record), so that memory does not grow with what
// the reads returned; checkers that need the whole history at once keep
// what they need (WholeHistory). The nodes are then stopped, the checker
// gives its Result, and the Report adds what Maelstrom checks of every
// workload: each :f succeeded at least once, the asked availability (ok ÷
// invoked), and that no node broke the protocol. Beyond Maelstrom, the
// report splits availability by whether each operation's node could reach a
// majority both ways when it was invoked (Report.AvailabilityByReach), since
// a node cut off from every majority cannot serve a linearizable operation
// at all. Anomalies found by the
// simulator's own checks that are stricter than Maelstrom's are reported
// apart (Report.Strict) and change the verdict only with Config.Strict.
//
// # One loop, reproducible runs
//
// One goroutine, the loop (loop.go), owns the network, the timeline of
// future events (deliveries, client timeouts, sleeps) and the interpreter;
// nodes and client threads post to it and wait on channels. Inside a
// testing/synctest bubble, after each event the loop waits until every
// other goroutine is blocked (synctest.Wait), then takes what they posted
// in a canonical order (messages by sender, destination and content), so
// the Go scheduler's choices never show: the same configuration and seed
// give the same history and report, at any latency distribution, with
// partitions. Random choices come from sources drawn from the seed in a
// fixed order, the nodes' included (node.WithSeed).
//
// # Time
//
// Everything waits on Go's clock, which inside a bubble is virtual and
// jumps ahead when every goroutine is durably blocked, so a 20 s run
// costs only the CPU time of its messages. Virtual time charges nothing
// for computation: handlers, Maelstrom's own routing and journaling, and
// client bookkeeping take no time, so an operation through a service at
// 100 ms latency takes exactly 200 ms. Real Maelstrom spends a few
// milliseconds per message in its JVM between a node and a client; that is
// why, for instance, its broadcast stable latencies come out below the
// simulator's (a value is acknowledged a little after its gossip left, so
// reads have less time to miss it). Runs with Config.Bin are real time
// and pay for everything.
//
// # More
//
// DESIGN.md beside this file describes the network's counting rules and
// the simulator's known deviations from Maelstrom; sim/spec/FIDELITY.md
// compares each workload with Maelstrom's source.
package sim

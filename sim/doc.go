// Package sim runs a Maelstrom-compatible cluster in-process: server nodes
// built on package node, client processes that generate a workload's load,
// Maelstrom's services, latency and partitions, and the checkers that judge
// the history.
//
// # Shape of a run
//
// Run plays `maelstrom test`: every node gets init, then the Spec's
// preamble (broadcast's topology); then Concurrency client threads send
// the Spec's requests for TimeLimit, spaced by one shared rate limiter
// (Jepsen's stagger: gaps uniform in [0, 2/rate), the first request at
// once, missed slots not made up), while the partition nemesis cuts and
// heals the network. Once every load operation has ended the network
// heals; then, if any client has final requests, the run waits Quiet and
// each thread sends them (Maelstrom has this phase only for workloads with
// a final generator, so echo or unique-ids runs end with the load). The
// nodes are stopped and the Spec checks the history. The Report adds what
// Maelstrom checks of every workload: each request type succeeded at least
// once, the asked availability (ok ÷ invoked over every client operation,
// final ones included), message counts per operation, and no node broke
// the protocol (a line on stdout that is not a message, a message to no
// such node, a process that died).
//
// A client gives up on a request after ClientTimeout (5 s). The operation
// is then indeterminate (Info), as after an error with an indefinite code
// (0, 13, private codes), and the thread goes on as a fresh process; a
// definite code fails it. Reads (type "read") change nothing, so like
// Maelstrom's clients the simulator fails them instead of leaving them
// indeterminate.
//
// # The network
//
// Every party is an endpoint: servers n0…, the services (seq-kv, lin-kv,
// lww-kv, lin-tso, from package sim/services), and clients c1…. A node's
// output is an io.Writer that cuts lines, reads only each line's src and
// dest (without a JSON decoder for lines in package node's exact layout),
// counts it, and routes it; the rest of the line is never parsed on the
// way to another node. Messages between servers, and between servers and
// services, both ways, wait the link latency (constant, uniform in
// [0, 2×mean], or exponential, drawn from the sender's own seeded source);
// client links have none. Delayed messages sit in one heap served by one
// scheduler goroutine with one timer, rather than a goroutine or timer per
// message, so a message costs a heap push and pop. A node's input is an
// unbounded queue read as an io.Reader: the network never blocks on a slow
// node, just as Maelstrom's queues do not.
//
// Message counts follow Maelstrom's journal: every message sent counts,
// init and preamble included, and so do messages a partition drops;
// "clients" are those with a client at either end and "servers" the rest,
// services included; msgs-per-op divides by the client operations invoked.
// A message to no such endpoint is not counted (Maelstrom refuses it
// before journaling) and makes the run invalid: Maelstrom only logs an
// error for it, the simulator is stricter because it is always a bug.
//
// Partitions follow Maelstrom: a grudge says which servers drop messages
// from which, and only server↔server links are ever cut. The nemesis is
// Jepsen's staggered flip-flop: a partition at the start of the load, a
// heal after a delay uniform in [0, 2×NemesisInterval), another partition
// after another such delay, and so on until the load ends. Each partition
// takes one of Jepsen's four shapes at random: one node alone, the largest
// number of nodes under a third apart (nobody, for three nodes: that turn
// cuts nothing, as in Jepsen), random halves, and the majorities ring
// (each node sees the majority of nodes around it on a shuffled ring,
// one-way cuts included when that majority is even; Jepsen builds random
// overlapping majorities instead for more than five nodes).
//
// # Time
//
// Everything waits on Go's clock: timers, the scheduler, sleeps, client
// timeouts, node tickers. Inside a testing/synctest bubble that clock is
// virtual and jumps ahead whenever every goroutine of the run is durably
// blocked on a channel or timer, so a 20-second run costs only the CPU
// time of its messages. That is why every wait in the package is on a
// channel created during the run (a mutex or a channel from outside the
// bubble would stall virtual time), and why Run ends every goroutine it
// starts. Outside a bubble the same code runs in real time; with
// Config.Bin the nodes are processes and the run has to be real time,
// which is also how built binaries are tested end to end. RunIn runs a
// configuration in a bubble that the caller makes from its *testing.T.
//
// Stopping: a node's input ends first. A process then has 10 s to exit
// before it is killed; an in-process node has 1 s before its context is
// cancelled and 10 s more. Maelstrom kills its nodes at the end of a test,
// so a node that does not stop cleanly only earns a warning. An in-process
// node whose handler never returns cannot be killed: its goroutines stay
// blocked, synctest panics with a deadlock when the bubble ends, and RunIn
// recovers from that panic and returns the report with the warning.
//
// # Trade-offs and known deviations
//
// Runs are reproducible from Seed as far as goroutine scheduling allows:
// every random choice comes from a source derived from the seed, but which
// of two simultaneous messages a node reads first depends on the Go
// scheduler. Virtual time makes latencies exact, so an operation through
// a service at 100 ms latency takes exactly 200 ms; handlers that compute
// for a long time take no virtual time at all, which flatters CPU-heavy
// nodes (real-time runs with Bin do not). Services answer on the goroutine
// that delivers to them, which serialises them: they are in-memory and
// quick, and it keeps them free of goroutines.
//
// Maelstrom checks a partition when the receiving node's delivery thread
// takes the message off its queue, which is anywhere from its sending
// (idle receiver) to its arrival (busy receiver), and that thread sleeps
// on each message until it is due, so with a random latency a slow
// message delays quicker ones behind it. The simulator checks at arrival
// and delivers every message at its own time.
//
// Maelstrom opens a fresh client (a new c… id) for a thread after an
// indeterminate operation; the simulator keeps one client per thread, and
// a late reply reaches it and is dropped, where Maelstrom's network would
// refuse it.
//
// A handler that blocks on a mutex or spins forever is not durably
// blocked, so inside a bubble virtual time stops and the run hangs until
// the test binary's timeout (go test's 10 minutes, scripts/sim's 30)
// dumps the goroutines; real-time runs are not affected.
//
// Package sim cannot import the workload specs (package sim/spec imports
// sim), so Run needs Config.Spec set; sim/simtest and sim/cli resolve it
// by workload name.
package sim

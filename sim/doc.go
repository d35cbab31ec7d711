// Package sim runs a Maelstrom-compatible cluster in-process: server nodes
// built on package node, client processes that generate a workload's load,
// Maelstrom's services, latency and partitions, and the checkers that judge
// the history.
//
// # Shape of a run
//
// Run plays `maelstrom test`: every node gets init, then the Spec's
// preamble (broadcast's topology); then Concurrency client threads send
// the Spec's requests for TimeLimit, spaced by a shared rate limiter, while
// the partition nemesis cuts and heals the network; then the network heals,
// the run waits Quiet, each thread sends its final requests, the nodes are
// stopped, and the Spec checks the history. The Report adds what Maelstrom
// checks of every workload: each request type succeeded at least once, the
// asked availability, message counts per operation, and no node broke the
// protocol (a line on stdout that is not a message, a process that died).
//
// # The network
//
// Every party is an endpoint: servers n0…, the services (seq-kv, lin-kv,
// lww-kv, lin-tso, from package sim/services), and clients c1…. A node's
// output is an io.Writer that cuts lines, reads only each line's src and
// dest (without a JSON decoder for lines in package node's exact layout),
// counts it, and routes it; the rest of the line is never parsed on the
// way to another node. Messages between servers, and between servers and
// services, wait the link latency (constant, uniform or exponential around
// the mean, drawn from the sender's own seeded source); client links have
// none. Delayed messages sit in one heap served by one scheduler goroutine
// with one timer, rather than a goroutine or timer per message, so a
// message costs a heap push and pop. A node's input is an unbounded queue
// read as an io.Reader: the network never blocks on a slow node, just as
// Maelstrom's queues do not.
//
// Partitions follow Maelstrom: a grudge says which servers drop messages
// from which, it is checked when a message arrives (so a message sent
// before a heal and arriving after it gets through, and one in flight when
// a partition starts is lost), dropped messages still count as sent, and
// only server↔server links are ever cut. The shapes are Jepsen's: one node
// alone, a random third, random halves, and the majorities ring; the
// nemesis alternates partition and heal after random delays averaging
// NemesisInterval, like Jepsen's staggered flip-flop.
//
// # Time
//
// Everything waits on Go's clock: timers, the scheduler, sleeps, client
// timeouts, node tickers. Inside a testing/synctest bubble that clock is
// virtual and jumps ahead whenever every goroutine of the run is blocked
// on a channel or timer, so a 20-second run costs only the CPU time of its
// messages. That is why every wait in the package is on a channel created
// during the run (a mutex or a channel from outside the bubble would stall
// virtual time), and why Run ends every goroutine it starts: synctest
// refuses to finish with goroutines blocked forever. Outside a bubble the
// same code runs in real time; with Config.Bin the nodes are processes
// and the run has to be real time, which is also how built binaries are
// tested end to end.
//
// # Trade-offs
//
// Runs are reproducible from Seed as far as goroutine scheduling allows:
// every random choice comes from a source derived from the seed, but which
// of two simultaneous messages a node reads first depends on the Go
// scheduler. Virtual time makes latencies exact, so an operation through
// a service at 100 ms latency takes exactly 200 ms; handlers that compute
// for a long time take no virtual time at all, which flatters CPU-heavy
// nodes (real-time runs with Bin do not). Services answer on the goroutine
// that delivers to them, which serialises them: they are in-memory and
// quick, and it keeps them free of goroutines. Package sim cannot import
// the workload specs (package sim/spec imports sim), so Run needs
// Config.Spec set; sim/simtest and sim/cli resolve it by workload name.
package sim

// Package gen is Jepsen's pure generators in Go: the combinators Maelstrom
// 0.2.3 builds its client and nemesis load from (jepsen.generator, Jepsen
// 0.3.1), with the same semantics, so that the simulator issues the same
// operations at the same moments as `maelstrom test`.
//
// A Gen is an immutable value. Op asks it for the next operation given a
// Context (the time, and which worker threads are free) and returns the
// operation together with the generator that follows it; Update tells it
// of an event (an invocation or a completion) and returns the generator
// that results. The interpreter (package sim) may ask a generator for an
// operation, find it is scheduled in the future, and ask the same
// generator again later: nothing is consumed until the interpreter keeps
// the generator that Op returned. Random choices come from Test.Rand, the
// run's seeded source, so a run is reproducible from its seed.
//
// Operations are Ops: a type (Invoke for a client or nemesis request,
// Sleep and Log for the interpreter's own pseudo-operations), a process,
// an :f and a :value, like Jepsen's history. Threads are numbered 0 to
// Concurrency-1 for clients and Concurrency for the nemesis; a client
// thread starts as the process of its own number and becomes that number
// plus Concurrency each time one of its operations crashes (ends :info).
//
// Usage, Maelstrom's load for a workload that mixes adds and reads:
//
//	g := gen.TimeLimit(20*time.Second, gen.Any(
//		gen.Nemesis(nemesisGen),
//		gen.Clients(gen.Stagger(time.Second/100, gen.Mix(adds, reads)))))
//
// What each combinator does is written on it; they follow the Clojure
// originals step for step, including where those are surprising (Mix picks
// its generator before it is asked; Stagger's schedule is shared by every
// thread; a literal operation waits for a free thread).
package gen

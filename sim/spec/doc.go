// Package spec holds, for each Maelstrom workload the simulator runs, its
// generators, its client and its checker (sim.Spec), as Maelstrom 0.2.3's
// workloads (src/maelstrom/workload/*.clj) and the Jepsen and Elle
// checkers they use have them. New picks one by workload name;
// txn-rw-register lives in package sim/spec/txn. FIDELITY.md beside this
// file compares them point by point with Maelstrom's source.
//
// Every checker is a deterministic function of the history, fed to it
// event by event (sim.Checker): set-full (broadcast, g-set), echo and
// unique-ids judge each completion as it comes and keep none of the values
// read; the whole-history checkers (counters, kafka, lin-kv, the txn
// workloads) keep what they need through sim.WholeHistory. Tests replay
// histories with sim.Check. Anomalies are listed at most ten per kind (the
// rest summed up), each with the operations it involves (Anomaly.Ops);
// figures go to Result.Stats. What the simulator checks beyond Maelstrom
// goes to Result.Strict.
//
// echo: each thread sends `echo{echo:"Please echo N"}`, N < 128. As in
// Maelstrom, whose checker compares each completion's echo with its
// invocation's value, an echo that failed or timed out is an anomaly too
// ("unanswered").
//
// unique-ids: `generate` only. Ids of ok replies are compared as canonical
// JSON (numbers kept as written, so integers compare exactly and 1, 1.0
// and "1" are three ids; object keys sorted). Any id seen twice is a
// "duplicate-id" naming the id and the ops.
//
// broadcast, g-set: a uniform mix of adds of 0, 1, 2, … (one sequence
// shared by all threads) and reads; one read per thread after the heal
// and the quiet period; broadcast first sends every node the topology
// (Maelstrom's grid, line, tree/tree2/tree3/tree4 or total, same shapes
// and neighbour order). Broadcast's client fails reads and leaves
// broadcasts indeterminate on errors; g-set's translates no error, so any
// error crashes it. The checker is Jepsen's set-full, event for event:
// per value, the invocations of the last read that contained it and of the
// last that lacked it decide whether it is stable, lost or never read;
// the stable latency runs from when the value was known (its ack, or the
// first read showing it) to the last read lacking it. No value stable or
// lost is Jepsen's :unknown (Result.Unknown), not valid. Stricter, apart:
// a value known before the final reads began must be in every ok final
// read ("missing-from-final"), and no read may return a value never added
// ("unexpected").
//
// g-counter, pn-counter: a uniform mix of `add{delta}`, delta uniform in
// [-5, 4], and reads; g-counter filters the negative adds out of that mix,
// which leaves one add (delta 0..4) to two reads. One final read per
// thread. The clients translate no error: every error, definite codes
// included, crashes the client and leaves the operation indeterminate.
// Only ok final reads are judged: each must be the sum of the ok adds plus
// the deltas of some subset of the indeterminate ones ("wrong-final-read",
// with the acceptable values), an exact set as Maelstrom's range set is: a
// bitset of reachable sums built by shift-or, O(adds × spread/64); past a
// spread of 2^24 it falls back to the hull [min, max] and says so in
// Stats. Non-final reads are only counted.
//
// kafka: the generator is Jepsen's kafka workload as Maelstrom builds it.
// Elle's list-append transactions of one micro-op, over KeyCount keys in
// rotation (10 by default; key i of the pool 2^i times as likely as the
// first), read or append with equal odds, a key retired for a fresh one
// after MaxWritesPerKey (16) appends, become [:poll] and [:send k v] ops,
// v = 1, 2, ... per key. One op in 8 is an assign instead, of the key of
// the transaction that then follows; a third of the assigns also take the
// keys ok sends reached beyond what ok polls have read. A crash op goes to
// some client every 30/concurrency s on average. Keys are decimal strings.
// The client is Maelstrom's: assign asks list_committed_offsets for its
// keys and starts the ones it was not already polling at their committed
// offset (0 if none; seek-to-beginning asks nothing and starts all at 0);
// poll asks from the client's offsets and, when it returned messages,
// commits the highest offset per key inside the same op; crash ends :info
// and the thread opens a fresh client with no offsets. Replies must match
// Maelstrom's schemas exactly, or the client crashes. Final phase (after
// the heal and the quiet period): each thread crashes, assigns every key
// any ok op touched from offset 0 and polls every 0–0.4 s until it has
// read each key up to the highest offset any ok op touched; the phase is
// clipped to 10 s. The checker is Jepsen's kafka checker: from each key's
// version order (the offsets ok sends and polls saw, gaps skipped) it
// reports inconsistent-offsets, duplicate, lost-write, G1a, poll-skip and
// nonmonotonic-poll (per process, between successive polls),
// int-poll-skip and int-nonmonotonic-poll (inside one poll),
// nonmonotonic-send, unseen (acknowledged, never polled) and G1c-realtime
// (a poll returned a message whose send began after the poll ended), each
// of which makes the run invalid. Where Jepsen's checker throws (a polled
// message no op sent, a key whose ok polls only ever returned it empty, a
// negative offset, no ok poll with a key to measure a lag on), the run is
// unknown ("checker-error"). Stricter than
// Maelstrom (Result.Strict): committed-offset-regression (an assign's
// list_committed_offsets omits a key or lists it below a commit
// acknowledged before the assign began), poll-before-offset and
// poll-start-skip (a poll's first message of a key is below the offset it
// asked for, or past a known message at or after it).
//
// lin-kv: read, write and cas of integer keys, values 0–4, as
// jepsen.tests.linearizable-register splits them with jepsen.independent:
// the client threads in groups of 2 × node-count, each group on one key at
// a time (0, 1, 2, …), the first n threads of the run reading and every
// other thread writing or cas-ing one to two (gen/reserve counts from
// thread 0, so later groups never read); a key is retired for the next
// once more than 20 processes have belonged to its group's threads (so
// only crashes retire keys). --concurrency must be a multiple of 2n and
// there may be at most 10 nodes, or New refuses (Maelstrom asserts, or
// loops forever). No final generator. The client sends one RPC with a
// timeout of max(10 × mean latency, 1 s) through with-errors with read
// idempotent, and is reusable. The checker is Knossos's cas-register on
// porcupine, key by key: failed operations did not happen, indeterminate
// writes and cas may take effect any time after their invocation or
// never, a read of null matches anything. Each key that is not
// linearizable is one "nonlinearizable" anomaly naming porcupine's HTML
// visualisation of it (in Config.LogDir, else the temporary directory); a
// key whose search exceeds its time cap makes the run unknown. Stricter:
// null-read, a null read after a write or cas of the key had completed.
//
// txn-rw-register (package sim/spec/txn): the load is Elle's wr-txns over a
// pool of KeyCount keys (10 by default), 1 to MaxTxnLength micro-ops (4),
// each key retired after MaxWritesPerKey writes (16), with no final
// generator: no heal, no quiet period, no final reads. The client sends
// one txn request per operation through with-errors with nothing
// idempotent, and is reusable. The checker is Elle's rw-register check with
// write-follows-read version orders (Maelstrom's :wfr-keys? true), on
// package sim/elle: internal, G1a, G1b, lost-update and cyclic-versions,
// and the cycles of the wr/ww/rw graph (G0, G1c, G-single, G-nonadjacent,
// G2-item, and their -process and -realtime variants, with the real-time
// order when the models forbid a -realtime anomaly), judged against
// Config.Consistency (strict-serializable by default). As in Maelstrom,
// cycle-search-timeout is dropped from the verdict and any other
// reportable anomaly, empty-transaction-graph included, makes the run
// invalid. Stricter (Result.Strict): garbage-read, a read of a value no
// transaction wrote.
//
// txn-list-append (package sim/spec/appendtxn): Elle's append-txns over a
// pool of KeyCount keys (10), 1 to MaxTxnLength (4) micro-ops, each a read
// or an append with even odds, appends 1, 2, 3, … per key, a key retired
// after MaxWritesPerKey (16); no final generator. The client sends one txn
// request through with-errors with nothing idempotent, checks replies
// against Maelstrom's schema, and is reusable. The checker is Elle's
// list-append check on package sim/elle, not wrapped by Maelstrom: each
// key's version order comes from its longest read, every read a prefix of
// it (incompatible-order); G1a, G1b, internal, dirty-update,
// duplicate-elements and lost-update; and the cycles of the ww/wr/rw graph
// over ok and info transactions (G0, G1c, G-single, G-nonadjacent, G2-item
// and their -process and -realtime variants, with the real-time order when
// the models forbid a -realtime anomaly), judged against
// Config.Consistency (strict-serializable by default). A prohibited anomaly
// makes the run invalid; otherwise a cycle search over its budget, or a
// graph with no dependency, makes it unknown (Maelstrom keeps
// cycle-search-timeout here, unlike txn-rw-register), and so does a read of
// an element no transaction appended (Elle throws: "checker-error"). An
// invalid run's report names the anomaly and binds the transactions of one
// cycle, explaining each step.
package spec

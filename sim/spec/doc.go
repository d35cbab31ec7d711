// Package spec holds, for each Maelstrom workload the simulator runs, its
// generators, its client and its checker (sim.Spec), as Maelstrom 0.2.3's
// workloads (src/maelstrom/workload/*.clj) and the Jepsen and Elle
// checkers they use have them. New picks one by workload name;
// txn-rw-register lives in package sim/spec/txn. FIDELITY.md beside this
// file compares them point by point with Maelstrom's source.
//
// Every checker is a pure function of the history. Anomalies are listed at
// most ten per kind (the rest summed up); figures go to Result.Stats. What
// the simulator checks beyond Maelstrom goes to Result.Strict.
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
// kafka: clients follow Maelstrom's (Jepsen's kafka workload, assign mode):
// keys are integers as strings, a few in rotation (3 by default, picked
// with exponential odds), each retired after MaxWritesPerKey (16) sends;
// messages are unique integers. A client sends or polls with equal odds,
// polls its assigned keys from its own positions, commits the highest
// offset each poll returned (Maelstrom does it inside the poll op; here it
// is the client's next op), reassigns itself 1 op in 64 (new keys start
// at their committed offset, kept keys keep their position, and a third
// of the time keys it sent to but has not polled join in), and crashes
// every 0–20 s (mean 10 s; Maelstrom crashes a client about every 30 s):
// it forgets its positions and resumes from list_committed_offsets. Final:
// each client polls every key anyone has seen from offset 0, continuing
// where each reply left off, until it reaches the highest offset known
// (at most 8 polls; Maelstrom polls for up to 10 s). The final requests are
// encoded lazily, so the core must marshal each one when it sends it.
//
// The kafka checker builds each key's log from ok sends and ok polls and
// reports, as Jepsen's kafka checker does: "inconsistent-offsets" (one
// offset, two messages), "duplicate" (one message, two offsets),
// "lost-write" (an acknowledged message never polled although a poll
// returned its offset or a later one), "unseen" (an acknowledged message
// no poll ever returned), "aborted-read" (a polled message whose send
// failed), "unexpected-message" (never sent to that key),
// "nonmonotonic-send" (a client's successive ok sends to a key not getting
// increasing offsets). Polls are judged against the offsets they asked
// for, which is what the poll contract promises: per key, offsets strictly
// increase ("nonmonotonic-poll", also when the first is below the asked
// offset) and no offset known to hold a message lies between the asked
// offset and the first returned, or between two returned ("poll-skip").
// For this client that is Jepsen's per-process skip and nonmonotonic check,
// since each poll asks from where the last one ended; unlike Jepsen it
// also applies right after a reassignment or crash. Committed offsets:
// list_committed_offsets must not return, for a key, less than the highest
// offset of a commit_offsets acknowledged before the list was invoked, nor
// leave such a key out ("committed-offset-regression"). This is stricter
// than Maelstrom, which lets a fresh consumer start lower (its checker only
// looks for skipped messages), but the challenge requires committed offsets
// never to go backwards, and a node that keeps each as a max register (ours
// do) meets it in real-time order. Nor may it return more than one past the
// highest offset any commit request sent before it asked for
// ("committed-offset-ahead"), since consumers would then skip messages no
// one processed. Not checked: Jepsen's transactional anomalies (G0, G1c,
// precommitted reads), which need multi-op transactions Maelstrom's kafka
// workload does not send.
package spec

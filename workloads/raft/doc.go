// Package raft is the Raft consensus protocol as a plain state machine,
// shaped like etcd's: a Raft value holds one node's protocol state, and
// each call (Step for a message from a peer, Tick for the passing of time,
// Propose and ReadIndex for the node's own clients) returns a Ready saying
// what to send, which entries are now committed and which reads may now
// be served. There is no I/O, no goroutine and no clock inside: time moves
// only with Tick, and randomness comes from the source in Config, so a
// test drives a cluster deterministically from a seed. Package linkv wires
// it to the Maelstrom runtime; any workload that needs a replicated log
// can do the same.
//
// What it implements: leader election with randomized timeouts and
// pre-vote (a node asks whether it could win before it raises its term,
// and a voter that hears from a working leader refuses, so a node
// returning from a partition never deposes it); check quorum (a leader no
// majority answers steps down); log replication in rounds at most one per
// BatchInterval, each append carrying up to MaxBatch entries and up to
// MaxInflight appends in flight per follower (pipelining), going back to
// the follower's last known entry when a pipeline stalls; commitment by
// majority of entries of the leader's term; and linearizable reads by
// ReadIndex. A node is numbered 0..N-1; membership is fixed.
//
// Reads use ReadIndex rather than leader leases. A lease lets a leader
// answer reads alone for a while after a majority last answered it, which
// is only safe if every node's clock runs at the same rate and no pause
// outlasts the margin; Maelstrom gives no such promise, and a partition
// that deposes a leader is exactly when its lease would be trusted
// wrongly. ReadIndex trusts only messages: a read records the leader's
// last log index, the leader confirms it still leads with one heartbeat
// round (one round serves every read waiting at that moment, and rides on
// the round that carries new entries anyway), and the read is served once
// that index is applied. It costs a round trip per batch of reads, never a
// log entry.
//
// Two refinements apply when a quorum is two nodes (clusters of two or
// three): a follower that accepts an entry of its leader's term knows it
// is on a majority (itself and the leader), so it commits it at once; and
// a follower's read is confirmed by the follower accepting the leader's
// next round, with no acknowledgement. Since a follower may thus learn of
// a commit before the leader, a read's index is the leader's last index,
// not its commit index. Entries forwarded by such a follower go eagerly
// only to it; the other followers get them with their next message.
//
// Safety is tested under random loss, reordering and partitions by a
// seeded harness (harness_test.go) that checks election safety, log
// matching, leader completeness, state machine safety and read safety
// after every call, over many seeds and cluster sizes. Scenarios random
// faults rarely reach are scripted on the same harness (scripted_test.go):
// Figure 8 of the Raft paper (an old-term entry on a majority is not yet
// committed), and a read whose round was sent before it was asked. Each
// of them fails if its rule is broken (tried by hand: counting old-term
// replicas, confirming a read with the round already in flight).
package raft

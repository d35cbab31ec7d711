// Package services implements Maelstrom's built-in services — seq-kv,
// lin-kv, lww-kv and lin-tso — as concurrency-safe state machines. The
// simulator core delivers each request (with network latency) to Handle and
// sends back the returned body with in_reply_to added. Nothing here does I/O
// or reads the clock, so a run is reproducible from the random source given
// to New.
//
// The semantics follow Maelstrom's own implementation (src/maelstrom/service.clj
// in jepsen-io/maelstrom), not just its documentation, because node binaries
// built against this simulator must also survive the real thing.
//
// # Key/value requests
//
// All three KV services take read{key} → read_ok{value}, write{key,value} →
// write_ok and cas{key,from,to,create_if_not_exists?} → cas_ok, with error 20
// (key does not exist) for a read or cas of a missing key and error 22
// (precondition failed, text "current value V is not F") when a cas's from
// differs from the current value. Keys and values are arbitrary JSON and
// compare by value: each is decoded with json.Number (so integers beyond 2^53
// stay exact) and re-encoded in canonical form (object keys sorted), and those
// bytes are what is stored, compared and returned. Numbers therefore compare
// by their literal: 1 and 1.0 differ, as Long 1 and Double 1.0 do in
// Clojure.
//
// # lin-kv
//
// One map under a mutex: every request sees the effect of every request
// handled before it, which is linearizable.
//
// # seq-kv
//
// Exactly Maelstrom's "sequential" wrapper around the same map. It keeps the
// last 32 states, numbered 0 (empty), 1, 2, ... and remembers for each
// caller (src) the number of the last state it observed (0 at first). A
// request from a caller that observed state c while the newest is L:
//
//  1. picks an index i uniformly from [c, L) — or i = c when c = L — and runs
//     the request speculatively against state i;
//  2. if that leaves state i unchanged (a read, a failing cas, a write or cas
//     that stores the value the key already held there), the answer is that
//     result and the caller now stands at i;
//  3. otherwise the request runs again against the newest state L, its result
//     becomes state L+1 (appended even when this second run changes nothing,
//     as Maelstrom does), the caller stands at L+1 and gets the second run's
//     answer.
//
// Consequences worth knowing when writing nodes: a caller that only reads
// never sees the newest state (step 1 excludes L until the caller is at L),
// so a pure reader lags by at least one state for as long as others write; a
// cas can fail against an old value (error 22 citing a stale current value)
// even though it would succeed against the newest; a caller that writes a
// fresh value is moved to the newest state, so it then reads its own write
// and everything before it. Each caller's view never moves backwards. A
// caller whose state fell out of the 32-state window is treated as standing
// at the oldest state kept.
//
// States are stored per key as a short list of (state number, value)
// versions rather than as 32 copies of the map, so a write costs O(1) in the
// number of keys; only the written key's versions are pruned, so every key
// keeps at most 33.
//
// # lww-kv
//
// Two replicas (Maelstrom's current default; older releases used five),
// each a map of key → (value, timestamp) with its own Lamport clock: a write
// or successful cas takes the replica's clock as its timestamp and advances
// it. Every request first merges one random replica into another random one
// (per key the higher (timestamp, writing replica) wins; the clock becomes
// the maximum) and then runs on an independently chosen replica. Reads are
// therefore stale, and of two writes made on different replicas with the
// same timestamp one silently vanishes. There is no separate periodic merge
// the core has to drive: replication happens on request traffic alone.
//
// Differences from Maelstrom's lww-kv: (a) in Maelstrom's code the merged
// replica is computed and then discarded (the request's update is applied to
// the pre-merge vector), so its replicas never converge; here the merge takes
// effect, which is what its documentation promises. (b) Ties are broken by
// the writing replica's index, so every pair of replicas converges to the
// same value, where Maelstrom keeps the merge source's entry. Like
// Maelstrom's, this cas ignores create_if_not_exists: a cas on a missing key
// is error 20 regardless.
//
// # lin-tso
//
// ts → ts_ok{ts}: 0, 1, 2, ... under a mutex, strictly increasing across all
// callers, as in Maelstrom (which starts at 0).
//
// # Bad requests
//
// A body that is not a JSON object, lacks a string "type", has a field of the
// wrong JSON type, or lacks a field its op needs (key; value for write; from
// and to for cas) is answered with error 12 (malformed-request). An explicit
// null is a legal key or value. An unknown type gets error 10
// (not-supported). Maelstrom instead answers neither: an unknown type throws
// inside the service and the caller times out, and a missing field reads as
// null there. Answering is kinder to debugging and changes no correct
// node's behaviour.
package services

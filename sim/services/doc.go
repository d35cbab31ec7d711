// Package services implements Maelstrom's built-in services — seq-kv,
// lin-kv, lww-kv and lin-tso — as concurrency-safe state machines. The
// simulator core delivers each request (with network latency) to Handle and
// sends back the returned body with in_reply_to added. Nothing here does I/O
// or reads the clock; all randomness comes from the source given to New, so
// one seed gives one sequence of answers.
//
// The reference is Maelstrom 0.2.3's code, not its documentation: the file
// src/maelstrom/service.clj (function default-services and the wrappers and
// records it names), plus the libraries that code leans on — amalloy
// ring-buffer 1.3.1 (seq-kv's history), cheshire (JSON) and Clojure's
// equality and printing. Each section below states what that code does and
// how this package matches it; the few places it does not are listed
// under "Differences".
//
// # Values
//
// Maelstrom turns only the top level of a message and of its body into
// keyword-keyed maps (process.clj, parse-msg); a key or value is kept as
// cheshire parsed it: null, booleans, strings, vectors, maps with string
// keys, integers (Integer or Long, java.math.BigInteger past 64 bits) and
// doubles (any number with a fraction or an exponent; 1e400 becomes
// Infinity). This package parses each key, value, from and to into the same
// model, so:
//
//   - Equality is Clojure's =: integers compare by value at any size, doubles
//     by value (1.0 = 1.00 = 1e0, -0.0 = 0.0), an integer never equals a
//     double (1 ≠ 1.0), maps ignore key order. This decides cas matches,
//     which keys are the same key, and whether a write changes anything.
//   - A read_ok carries the value as cheshire writes it back: integers in
//     decimal, doubles in Java's Double.toString form (1e2 reads back as
//     100.0, 1e10 as 1.0E10; we follow JDK 19 and later, whose digits are
//     the shortest that round-trip), infinities as the strings "Infinity" and
//     "-Infinity", map keys in the order of their first occurrence.
//   - An absent key, value, from or to is null, exactly as a null one is (a
//     read without key reads the key null). create_if_not_exists counts when
//     present and neither null nor false: 0, "" and "no" all turn it on.
//
// # Key/value requests and errors
//
// PersistentKV (lin-kv and seq-kv) and LWWKV (each lww-kv replica) in
// service.clj answer:
//
//   - read: read_ok with the value, or error 20 "key does not exist".
//   - write: write_ok; the value replaces the old one.
//   - cas on a present key whose value = from: cas_ok, to replaces it;
//     otherwise error 22 with text "current value C is not F".
//   - cas on a missing key: PersistentKV creates it with to when
//     create_if_not_exists is truthy (cas_ok), else error 20 "key does not
//     exist"; LWWKV always answers error 20, ignoring the flag.
//
// In error 22's text C is the stored value printed by pr-str (strings in
// quotes, nil, big integers suffixed BIGINT, doubles as 100.0 or ##Inf,
// vectors as [1 "x"], maps as {"k" 1, "l" 2}). F is from printed by pr-str in
// PersistentKV but by str in LWWKV: there a string appears bare, null as
// nothing at all ("current value 1 is not ") and a big integer without
// BIGINT.
//
// # lin-kv
//
// service.clj: linearizable over persistent-kv — one map swapped atomically.
// Here: one map under a mutex; every request sees every earlier one.
//
// # seq-kv
//
// service.clj: sequential over persistent-kv (the Sequential record's
// handle!). It keeps a ring buffer of the last 32 states, numbered 0 (the
// empty map), 1, 2, … with L the newest, and for each caller (the message's
// src) an index, 0 for a caller never seen. A request from a caller at index
// c:
//
//  1. draws index i uniformly from c..L, both ends included;
//  2. runs the request on the state the ring buffer returns for i: its nth
//     with offset i−L−1 from the end, taken modulo the buffer's length. For
//     i ≥ L−31 that is state i; for an i that fell out of the window it is
//     the kept state whose number is congruent to i modulo 32 — always newer
//     than i, since all kept states are;
//  3. if the resulting state is = to the one it ran on (a read, a failing
//     cas, a write or cas storing a value = to the one already there), that
//     answer is sent and the caller's index becomes i — the drawn index, not
//     the number of the state served;
//  4. otherwise the request runs again on state L, the result is appended as
//     state L+1 whether or not this second run changed anything (a cas that
//     held on an old state but fails on the newest still appends a copy), the
//     caller's index becomes L+1 and the second run's answer is sent.
//
// Consequences: a caller that only reads reaches the newest state within a
// few reads (each read draws from its index to L inclusive); a caller that
// changes state then reads its own write; a cas can fail citing an old
// value, or succeed, depending on the draw; a write or cas that stores the
// value the drawn old state already held is acknowledged and never applied
// to the newest state; a caller whose index is more than 31 states behind is
// served states in a scrambled order, so it can see an older state after a
// newer one (though never a state older than its index); a new caller
// starts at index 0 and, once 32 states exist, at first sees a random kept
// state. This package does the same: served computes step 2's state from
// (L, i), and each caller's raw index is kept. States are stored per key as
// (state number, value) versions rather than as 32 copies of the map; each
// key keeps at most 33 versions.
//
// # lww-kv
//
// service.clj: eventual with two replicas over lww-kv (the Eventual record's
// handle! and the LWWKV record). Each request there first picks a random
// merge source and destination and computes their last-write-wins merge —
// then discards it: the request is applied to a replica picked by a third
// random draw, taken from the unmerged vector, and that vector, with just this one
// replica updated, becomes the new state. So the two replicas never exchange
// anything and never converge: a key written once is missing for every
// request that lands on the other replica, forever, and overwriting a value
// on one replica leaves the old one on the other. Timestamps and Lamport
// clocks exist only to feed the discarded merge, so nothing observable
// depends on them.
//
// This package keeps two independent maps and sends each request to one
// chosen uniformly at random, with LWWKV's cas (flag ignored, str-printed
// from). It draws one random number per request where Maelstrom draws three
// (the other two pick the merge that is thrown away).
//
// # lin-tso
//
// service.clj: linearizable over persistent-tso. ts → ts_ok{ts} with 0, 1,
// 2, … across all callers; other fields are ignored. Here: a counter under a
// mutex.
//
// # Differences
//
//   - Requests Maelstrom never answers. A type that none of a record's cases
//     names (including a non-string type) throws inside handle; the service
//     thread logs the exception and sends nothing, and the state is left as
//     it was, so the caller waits until its own timeout. Handle must return a
//     body, so here such a request gets error 10 (not-supported) for an
//     unknown string type, error 12 (malformed-request) for a body that is
//     not an object or has no string type. No state changes either way.
//   - Map key order in error texts. Clojure keeps insertion order for maps of
//     up to 8 keys and hash order beyond; here insertion order always. It
//     shows only in the text of an error 22 citing a map of 9 or more keys,
//     and in the key order of such a map in a read_ok.
//   - Doubles in text. Java's digits differ from JDK 19's in rare cases on
//     older JDKs; we use the newer, shortest form. String escapes in a
//     read_ok may differ byte-wise from Jackson's, never in the decoded value.
package services

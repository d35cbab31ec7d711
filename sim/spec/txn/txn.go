// Package txn is the simulator's spec for Maelstrom's txn-rw-register
// workload (Gossip Glomers challenges 6a–6c): the client generator and an
// "Elle-lite" checker.
//
// # Generator
//
// It follows Elle's wr-txns, which Maelstrom uses: every client draws from
// one shared pool of cfg.KeyCount keys in rotation (default 10, Elle's
// default, since Maelstrom passes no key count unless asked). A transaction
// has 1..cfg.MaxTxnLength micro-ops (default 4), each a read ["r",k,null] or
// a write ["w",k,v] with even odds, over a key picked with Elle's
// exponential distribution: the key at position i in the pool is twice as
// likely as the one at i-1. Writes of a key take the values 1, 2, 3, ... in
// order, shared by all clients, so each value names one write; a key that
// has had cfg.MaxWritesPerKey values (default 16) is retired and replaced, at
// its position, by a fresh key. The generator does not look at outcomes.
// Final requests (not in Maelstrom) read every key ever used, 256 keys per
// transaction, from every client on its own node.
//
// # Checker
//
// Values are unique per key, so a read names the write it saw. Checked:
//
//   - G1a (aborted read): a read of a version written by a failed
//     (definitely not executed) transaction. Indeterminate transactions may
//     have committed, so reading them is fine.
//   - G1b (intermediate read): a read of a version its writer overwrote
//     later in the same transaction (reads inside that transaction are
//     fine).
//   - G0 (write cycle): a cycle of ww edges; G1c (circular information
//     flow): a cycle of ww and wr edges with at least one wr edge, or a
//     transaction that read its own later write ("future read", as Elle
//     classes it). Cycles are found with Tarjan's SCC algorithm, one
//     reported per component with a shortest cycle through one of its
//     edges.
//   - divergence (not in Maelstrom): the final reads of a key, from every
//     node, must all return the same value.
//   - garbage-read, malformed-reply, malformed-request: a read of a value no
//     transaction wrote, or a txn_ok that does not echo its request (that
//     transaction then counts as indeterminate).
//
// The consistency model comes from cfg.Consistency: "read-uncommitted"
// forbids G0; "read-committed" forbids G0, G1a, G1b and G1c. An empty list
// means read-committed (Maelstrom's own default is strict-serializable,
// which this checker cannot judge). New rejects every other model rather
// than report a validity it has not checked. Divergence, garbage reads and
// malformed messages are forbidden under every model. Anomalies a model
// allows are still counted in Stats["anomalies"], as are "internal"
// inconsistencies (a read that disagrees with the same transaction's earlier
// read or write of the key), which Elle does not forbid at these levels.
//
// # Dependency graph and version order
//
// Vertices are the ok and indeterminate transactions (failed ones have
// none of their effects). A wr edge T1 → T2 means T2's first access to a
// key was a read of T1's write, including writes of indeterminate
// transactions, which the read proves visible (Elle indexes only ok
// writers). The version order behind ww edges cannot be observed directly
// with registers; it is inferred from two sources:
//
//  1. Writes follow reads, as in Maelstrom: when an ok transaction T reads
//     key k (its first access to k) and later writes k, the version it read
//     precedes its own, so the writer of that version → T.
//  2. Final reads (not in Maelstrom): when every final read of k returns
//     the same version v, v is the last version of k, so every other
//     transaction that wrote k → v's writer. This assumes the final reads,
//     made after the heal and the quiet period, see the database's final
//     state.
//
// This misses any order between two versions neither of which was read
// before an overwrite nor survived to the end, so G0 and G1c cycles through
// such versions go unseen; Elle with Maelstrom's options has the same blind
// spot except for source 2. Not done here, unlike Elle: anti-dependency (rw)
// edges and everything that needs them (G-single, G2, lost update),
// process and real-time orders, the strong-session and strong variants, and
// version-order inference from the transaction graph. A cycle through an
// indeterminate transaction needs an edge into it, which needs one of its
// writes to have been read, so such transactions cannot make up a cycle
// unless they were visible.
package txn

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/glomers/glomers/sim"
)

// Generator defaults, Maelstrom's (key count: Elle's, which Maelstrom uses
// when --key-count is not given).
const (
	defaultKeyCount        = 10
	defaultMaxTxnLength    = 4
	defaultMaxWritesPerKey = 16
)

// model is a consistency model this checker can judge.
type model int

const (
	readUncommitted model = iota // PL-1: no G0
	readCommitted                // PL-2: no G0, G1a, G1b, G1c
)

var modelNames = map[string]model{
	"read-uncommitted": readUncommitted,
	"read-committed":   readCommitted,
}

// String implements fmt.Stringer.
func (m model) String() string {
	if m == readUncommitted {
		return "read-uncommitted"
	}
	return "read-committed"
}

// forbidden lists the cycle and read anomalies m forbids.
func (m model) forbidden() []string {
	if m == readUncommitted {
		return []string{"G0"}
	}
	return []string{"G0", "G1a", "G1b", "G1c"}
}

// forbids reports whether an anomaly of kind makes a history invalid under
// m: the model's own anomalies, and everything outside Adya's taxonomy
// (divergence, garbage reads, malformed messages).
func (m model) forbids(kind string) bool {
	switch kind {
	case "G0", "G1a", "G1b", "G1c":
		return slices.Contains(m.forbidden(), kind)
	default:
		return true
	}
}

// parseModels returns the strongest of the named models; empty means
// read-committed.
func parseModels(names []string) (model, error) {
	m := readUncommitted
	if len(names) == 0 {
		return readCommitted, nil
	}
	for _, name := range names {
		n, ok := modelNames[strings.TrimSpace(name)]
		if !ok {
			return 0, fmt.Errorf("consistency model %q is not checked by the simulator (supported: read-uncommitted, read-committed)", name)
		}
		m = max(m, n)
	}
	return m, nil
}

// spec is the txn-rw-register workload for one run.
type spec struct {
	model model
	pool  *keyPool
}

// New returns the txn-rw-register spec for cfg: its generator knobs
// (KeyCount, MaxTxnLength, MaxWritesPerKey; zero means Maelstrom's default)
// and the consistency model to check (Consistency).
func New(cfg sim.Config) (sim.Spec, error) {
	m, err := parseModels(cfg.Consistency)
	if err != nil {
		return nil, fmt.Errorf("txn-rw-register: %w", err)
	}
	knob := func(name string, v, def int) (int, error) {
		switch {
		case v < 0:
			return 0, fmt.Errorf("txn-rw-register: %s is %d, must be positive", name, v)
		case v == 0:
			return def, nil
		}
		return v, nil
	}
	keys, err1 := knob("key count", cfg.KeyCount, defaultKeyCount)
	length, err2 := knob("max txn length", cfg.MaxTxnLength, defaultMaxTxnLength)
	writes, err3 := knob("max writes per key", cfg.MaxWritesPerKey, defaultMaxWritesPerKey)
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, err
	}
	return &spec{model: m, pool: newKeyPool(keys, length, writes)}, nil
}

// Preamble implements sim.Spec: this workload has none.
func (s *spec) Preamble([]string) map[string]sim.Body { return nil }

// NewClient implements sim.Spec.
func (s *spec) NewClient(_ int, _ string, r *rand.Rand) sim.Client {
	return &client{pool: s.pool, r: r}
}

// Check implements sim.Spec.
func (s *spec) Check(h sim.History) sim.Result { return check(s.model, h) }

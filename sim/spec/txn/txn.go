// Package txn is the simulator's spec for Maelstrom's txn-rw-register
// workload (Gossip Glomers challenges 6a–6c), as Maelstrom 0.2.3 runs it:
// Elle's wr-txns generator, Maelstrom's txn client, and Elle's rw-register
// checker wrapped as Maelstrom wraps it.
//
// # Generator
//
// The load is elle.txn/wr-txns with Maelstrom's options (elle.WrTxns): one
// sequence of transactions shared by every client thread, over a pool of
// cfg.KeyCount integer keys (0: Elle's default of 10) drawn exponentially
// (the key at position i twice as likely as the one at i-1), each
// transaction 1..cfg.MaxTxnLength micro-ops (default 4), each a read
// ["r",k,null] or a write ["w",k,v] with even odds. A key's writes take the
// values 1, 2, 3, ..., so each value names one write; a key that has had
// cfg.MaxWritesPerKey writes (default 16) is replaced by a fresh key. The
// simulator's core staggers the sequence at the requested rate, runs the
// nemesis beside it and stops it at the time limit. There is no final
// generator: no heal, no quiet period, no final reads.
//
// # Client
//
// A transaction is one {"type":"txn","txn":[...]} request; the completion
// records the transaction in the txn_ok reply, as the node filled it in.
// Errors follow Maelstrom's with-errors with no idempotent operation: a
// timeout or an indefinite error makes the transaction indeterminate, a
// definite error makes it fail. A reply that does not fit Maelstrom's
// schema crashes the client (the transaction is indeterminate); clients
// are reusable.
//
// # Checker
//
// Elle's rw-register check with :wfr-keys? true (see check.go and package
// sim/elle): internal, G1a, G1b and lost-update cases; the version order
// (every version follows the initial nil; within an ok transaction, the
// version read of a key precedes the version written; cyclic-versions when
// these disagree); wr, ww and rw edges between ok transactions, plus the
// real-time order when the models forbid a -realtime anomaly, else the
// process order when they forbid a -process one; and the cycles of that
// graph, classified G0, G1c, G-single, G-nonadjacent, G2-item and their
// -process and -realtime variants. The models come from cfg.Consistency,
// Maelstrom's --consistency-models, strict-serializable by default; the
// anomalies they prohibit follow elle.consistency-model. Maelstrom then
// drops cycle-search-timeout from the verdict: a history is invalid when
// any other reportable anomaly (prohibited, or empty-transaction-graph)
// was found. When Elle would throw (a read value written by two ok
// transactions) the verdict is unknown.
//
// The simulator adds one check of its own, in Result.Strict: garbage
// reads, of values no transaction wrote. Replica convergence cannot be
// checked: Maelstrom makes no final reads for this workload, and neither
// does the simulator.
package txn

import (
	"encoding/json"
	"fmt"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/elle"
	"github.com/glomers/glomers/sim/gen"
)

// spec is the txn-rw-register workload for one run.
type spec struct {
	gen     elle.WrTxnsOptions
	checker checker
}

// New returns the txn-rw-register spec for cfg: the generator's knobs
// (KeyCount, MaxTxnLength, MaxWritesPerKey; zero takes Maelstrom's
// default) and the consistency models to check (Consistency; empty means
// strict-serializable). It rejects model names Elle does not know, on
// which Maelstrom's checker would throw.
func New(cfg sim.Config) (sim.Spec, error) {
	cfg = cfg.WithDefaults()
	for name, v := range map[string]int{"key count": cfg.KeyCount, "max txn length": cfg.MaxTxnLength, "max writes per key": cfg.MaxWritesPerKey} {
		if v < 0 {
			return nil, fmt.Errorf("txn-rw-register: %s is %d, must be positive", name, v)
		}
	}
	expect, err := elle.ModelsExpectation(cfg.Consistency)
	if err != nil {
		return nil, fmt.Errorf("txn-rw-register: %w", err)
	}
	return &spec{
		gen: elle.WrTxnsOptions{
			KeyCount:        cfg.KeyCount,
			MinTxnLength:    1,
			MaxTxnLength:    cfg.MaxTxnLength,
			MaxWritesPerKey: cfg.MaxWritesPerKey,
		},
		checker: checker{expect: expect, concurrency: cfg.Concurrency},
	}, nil
}

// Preamble implements sim.Spec: this workload has none.
func (s *spec) Preamble([]string) map[string]sim.Body { return nil }

// Generators implements sim.Spec: wr-txns, and no final generator.
func (s *spec) Generators(*gen.Test) (load, final gen.Gen) {
	return elle.Gen(elle.NewWrTxns(s.gen).Next, func(m []elle.Mop) any { return Txn(m) }), nil
}

// Reusable implements sim.Spec: Maelstrom's txn client is reusable.
func (s *spec) Reusable() bool { return true }

// txnReq is the request body.
type txnReq struct {
	Type string `json:"type"`
	Txn  Txn    `json:"txn"`
}

// Invoke implements sim.Spec: one txn request, as Maelstrom's client does.
func (s *spec) Invoke(c *sim.Conn, node string, op gen.Op) (gen.Op, error) {
	txn, ok := op.Value.(Txn)
	if !ok {
		return op, fmt.Errorf("txn-rw-register: operation value %T is not a transaction", op.Value)
	}
	var raw json.RawMessage
	if err := c.RPC(node, txnReq{Type: "txn", Txn: txn}, 0, &raw); err != nil {
		return sim.WithErrors(op, false, err)
	}
	out, err := parseReply(raw)
	if err != nil {
		return op, fmt.Errorf("malformed txn_ok from %s: %w", node, err)
	}
	op.Type, op.Value = gen.OK, out
	return op, nil
}

// parseReply checks a reply against Maelstrom's schema for txn_ok (type,
// txn, in_reply_to and an optional msg_id, nothing else) and returns its
// transaction.
func parseReply(raw json.RawMessage) (Txn, error) {
	var body map[string]json.RawMessage
	if err := json.Unmarshal(raw, &body); err != nil {
		return nil, fmt.Errorf("%.200s: %w", raw, err)
	}
	for k := range body {
		switch k {
		case "type", "txn", "in_reply_to", "msg_id":
		default:
			return nil, fmt.Errorf("%.200s: unexpected field %q", raw, k)
		}
	}
	var typ string
	if err := json.Unmarshal(body["type"], &typ); err != nil || typ != "txn_ok" {
		return nil, fmt.Errorf("%.200s: type is not \"txn_ok\"", raw)
	}
	t, ok := body["txn"]
	if !ok {
		return nil, fmt.Errorf("%.200s: no txn", raw)
	}
	return parseTxn(t)
}

// Checker implements sim.Spec: Elle needs the whole history at once.
func (s *spec) Checker() sim.Checker { return sim.WholeHistory(s.checker.check) }

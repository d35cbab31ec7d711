// Package appendtxn is the simulator's spec for Maelstrom's txn-list-append
// workload, as Maelstrom 0.2.3 runs it (workload/txn_list_append.clj over
// Jepsen's tests/cycle/append.clj): Elle's list-append generator,
// Maelstrom's txn client, and Elle's list-append checker, unwrapped.
//
// # Generator
//
// elle.list-append/gen with Maelstrom's options (elle.AppendTxns): one
// sequence of transactions shared by every client thread, over a pool of
// cfg.KeyCount integer keys (0: Elle's default of 10) drawn exponentially
// (the key at position i twice as likely as the one at i-1), each
// transaction 1..cfg.MaxTxnLength micro-ops (default 4), each a read
// ["r",k,null] or an append ["append",k,v] with even odds. A key's appends
// are 1, 2, 3, ...; once it has had cfg.MaxWritesPerKey of them (default
// 16) a fresh key replaces it. The simulator's core staggers the sequence
// at the requested rate and stops it at the time limit. Maelstrom gives
// this workload no final generator: no heal, no quiet period, no final
// reads.
//
// # Client
//
// A transaction is one {"type":"txn","txn":[...]} request, and the
// completion records the transaction of the txn_ok reply as the node
// filled it in. Errors follow with-errors with nothing idempotent: a
// timeout or an indefinite error leaves the transaction indeterminate, a
// definite one fails it. A reply outside Maelstrom's schema (type txn_ok,
// txn, in_reply_to and an optional msg_id, integers where Maelstrom wants
// them; each micro-op ["r",k,list-or-null] or ["append",k,v]) crashes the
// client, which leaves the transaction indeterminate. As the schema
// allows, "txn":null is an empty transaction. Clients are reusable.
//
// # Checker
//
// Elle's list-append check (elle.ListAppendAnomalies) at the models of
// cfg.Consistency (strict-serializable when empty): G1a, G1b, internal,
// dirty-update, duplicate-elements, incompatible-order, lost-update, the
// cycles of the ww/wr/rw graph inferred from each key's longest read (plus
// the real-time order when a model forbids a -realtime anomaly, else the
// process order when one forbids a -process one), classified G0, G1c,
// G-single, G-nonadjacent, G2-item and their -process and -realtime
// variants, and empty-transaction-graph. Maelstrom does not wrap this
// checker (unlike txn-rw-register's), so Elle's verdict stands: invalid
// when a prohibited anomaly was found; else unknown when the cycle search
// ran out of budget or no dependency was inferred; else valid. Where Elle
// throws (a read holds an element no transaction appended), the verdict is
// unknown ("checker-error").
package appendtxn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/elle"
	"github.com/glomers/glomers/sim/gen"
)

// Txn is a transaction as the history holds it: micro-ops whose keys and
// values are canonical JSON texts (elle.Mop). An invocation's reads hold
// elle.Nil; a completion's, the list read (or elle.Nil).
type Txn []elle.Mop

// MarshalJSON encodes the transaction as Maelstrom sends it:
// [["r",1,null],["append",1,2]].
func (t Txn) MarshalJSON() ([]byte, error) {
	mops := make([][3]json.RawMessage, len(t))
	for i, m := range t {
		f, err := json.Marshal(m.F)
		if err != nil {
			return nil, err
		}
		mops[i] = [3]json.RawMessage{f, json.RawMessage(m.Key), json.RawMessage(m.Value)}
	}
	return json.Marshal(mops)
}

// spec is the txn-list-append workload for one run.
type spec struct {
	gen     elle.WrTxnsOptions
	checker checker
}

// New returns the txn-list-append spec for cfg: the generator's knobs
// (KeyCount, MaxTxnLength, MaxWritesPerKey; zero takes Maelstrom's
// default) and the consistency models to check (Consistency; empty means
// strict-serializable). It rejects negative knobs and model names Elle
// does not know, on which Maelstrom's CLI and checker would fail.
func New(cfg sim.Config) (sim.Spec, error) {
	cfg = cfg.WithDefaults()
	if cfg.KeyCount < 0 || cfg.MaxTxnLength < 0 || cfg.MaxWritesPerKey < 0 {
		return nil, fmt.Errorf("txn-list-append: key count %d, max txn length %d, max writes per key %d: each must be positive",
			cfg.KeyCount, cfg.MaxTxnLength, cfg.MaxWritesPerKey)
	}
	expect, err := elle.ModelsExpectation(cfg.Consistency)
	if err != nil {
		return nil, fmt.Errorf("txn-list-append: %w", err)
	}
	seq := elle.WrTxnsOptions{KeyCount: cfg.KeyCount, MinTxnLength: 1, MaxTxnLength: cfg.MaxTxnLength, MaxWritesPerKey: cfg.MaxWritesPerKey}
	return &spec{gen: seq, checker: checker{expect: expect, concurrency: cfg.Concurrency}}, nil
}

// Preamble implements sim.Spec: this workload has none.
func (s *spec) Preamble([]string) map[string]sim.Body { return nil }

// Generators implements sim.Spec: append-txns, and no final generator.
func (s *spec) Generators(*gen.Test) (load, final gen.Gen) {
	seq := elle.NewAppendTxns(s.gen)
	return elle.Gen(func(r *rand.Rand) []elle.Mop { return seq.Next(r) }, func(t []elle.Mop) any { return Txn(t) }), nil
}

// Reusable implements sim.Spec: Maelstrom's txn client is reusable.
func (s *spec) Reusable() bool { return true }

// Checker implements sim.Spec: Elle needs the whole history at once.
func (s *spec) Checker() sim.Checker { return sim.WholeHistory(s.checker.check) }

// Invoke implements sim.Spec: one txn request, as Maelstrom's client does.
func (s *spec) Invoke(c *sim.Conn, node string, op gen.Op) (gen.Op, error) {
	t, ok := op.Value.(Txn)
	if !ok {
		return op, fmt.Errorf("txn-list-append: operation value %T is not a transaction", op.Value)
	}
	req := struct {
		Type string `json:"type"`
		Txn  Txn    `json:"txn"`
	}{"txn", t}
	var raw json.RawMessage
	if err := c.RPC(node, req, 0, &raw); err != nil {
		return sim.WithErrors(op, false, err)
	}
	out, err := decodeReply(raw)
	if err != nil {
		return op, fmt.Errorf("malformed txn_ok from %s: %.200s: %w", node, raw, err)
	}
	op.Type, op.Value = gen.OK, out
	return op, nil
}

// decodeReply checks a txn_ok body against Maelstrom's schema and returns
// its transaction, keys and values in canonical JSON.
func decodeReply(raw json.RawMessage) (Txn, error) {
	var body struct {
		Type      string
		Txn       json.RawMessage
		InReplyTo *int64 `json:"in_reply_to"`
		MsgID     *int64 `json:"msg_id"`
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&body); err != nil {
		return nil, err
	}
	switch {
	case body.Type != "txn_ok":
		return nil, fmt.Errorf("type %q is not txn_ok", body.Type)
	case body.Txn == nil:
		return nil, errors.New("no txn")
	}
	var mops [][]json.RawMessage
	if err := json.Unmarshal(body.Txn, &mops); err != nil {
		return nil, fmt.Errorf("txn is not a list of micro-ops: %w", err)
	}
	t := make(Txn, len(mops))
	for i, parts := range mops {
		if len(parts) != 3 {
			return nil, fmt.Errorf("micro-op %d has %d elements, not [f, k, v]", i, len(parts))
		}
		var f string
		_ = json.Unmarshal(parts[0], &f)
		kv := [2]string{}
		for j, p := range parts[1:] {
			var b bytes.Buffer
			if err := json.Compact(&b, p); err != nil {
				return nil, err
			}
			kv[j] = b.String()
		}
		switch {
		case f == "append":
		case f == "r" && (kv[1] == elle.Nil || kv[1][0] == '['):
		case f == "r":
			return nil, fmt.Errorf("micro-op %d reads %s, neither a list nor null", i, kv[1])
		default:
			return nil, fmt.Errorf("micro-op %d: f %s is neither \"r\" nor \"append\"", i, parts[0])
		}
		t[i] = elle.Mop{F: f, Key: kv[0], Value: kv[1]}
	}
	return t, nil
}

package txn

import (
	"github.com/glomers/glomers/sim/elle"
	"github.com/glomers/glomers/sim/gen"
)

// txnGen is Elle's wr-txns as a Jepsen generator (elle.txn/gen over a lazy
// sequence): each operation is {:f :txn, :value txn}, the transactions in
// the sequence's order. The sequence is memoised like a Clojure lazy seq,
// so asking the same generator twice (the interpreter does, while an
// operation waits for a free thread or its time) yields the same
// transaction, and the random draws happen once, in sequence order.
type txnGen struct{ cell *txnCell }

// txnCell is one element of the sequence, drawn when first asked for.
type txnCell struct {
	seq  *elle.WrTxns
	txn  Txn
	next *txnCell
}

func newTxnGen(o elle.WrTxnsOptions) gen.Gen {
	return txnGen{&txnCell{seq: elle.NewWrTxns(o)}}
}

func (g txnGen) Op(t *gen.Test, ctx gen.Context) (gen.Op, gen.Gen, bool) {
	c := g.cell
	if c.next == nil {
		c.txn = Txn(c.seq.Next(t.Rand))
		c.next = &txnCell{seq: c.seq}
	}
	op, _, _ := gen.Once(gen.Op{Type: gen.Invoke, F: "txn", Value: c.txn}).Op(t, ctx)
	if op.Type == gen.Pending {
		return op, g, true
	}
	return op, txnGen{c.next}, true
}

func (g txnGen) Update(*gen.Test, gen.Context, gen.Op) gen.Gen { return g }

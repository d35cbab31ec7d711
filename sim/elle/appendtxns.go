package elle

import (
	"math/rand/v2"
	"slices"

	"github.com/glomers/glomers/sim/gen"
)

// AppendTxns is Elle's list-append generator (elle.list-append/append-txns):
// wr-txns with every write turned into an append, so a key's appends are
// 1, 2, 3, ... until MaxWritesPerKey, when a fresh key replaces it. The
// random draws are wr-txns' own, one for one. Next is not safe for
// concurrent use.
type AppendTxns struct{ w *WrTxns }

// NewAppendTxns returns the sequence with o's options, Elle's defaults for
// the zero ones.
func NewAppendTxns(o WrTxnsOptions) *AppendTxns { return &AppendTxns{NewWrTxns(o)} }

// Options returns the options in effect, defaults filled in.
func (a *AppendTxns) Options() WrTxnsOptions { return a.w.Options() }

// Next draws the next transaction from r: reads ["r", k, null] and appends
// ["append", k, v].
func (a *AppendTxns) Next(r *rand.Rand) []Mop {
	txn := a.w.Next(r)
	for i := range txn {
		if txn[i].F == "w" {
			txn[i].F = "append"
		}
	}
	return txn
}

// Gen is elle.txn/gen as a Jepsen generator: the lazy sequence of
// transactions next draws, each as an invocation {:f :txn, :value txn}
// whose value is what wrap makes of it. The sequence is memoised like a
// Clojure lazy seq: asking the same generator twice (the interpreter does
// while an operation waits for a free thread or its time) yields the same
// transaction, and the draws happen once, in sequence order.
func Gen(next func(r *rand.Rand) []Mop, wrap func([]Mop) any) gen.Gen {
	return lazyTxns{&lazyTxn{next: next, wrap: wrap}}
}

// lazyTxn is one element of the sequence, drawn when first asked for;
// rest is nil until then.
type lazyTxn struct {
	next  func(r *rand.Rand) []Mop
	wrap  func([]Mop) any
	value any
	rest  *lazyTxn
}

func (l *lazyTxn) force(r *rand.Rand) {
	if l.rest == nil {
		l.value = l.wrap(l.next(r))
		l.rest = &lazyTxn{next: l.next, wrap: l.wrap}
	}
}

type lazyTxns struct{ head *lazyTxn }

func (g lazyTxns) Op(t *gen.Test, ctx gen.Context) (gen.Op, gen.Gen, bool) {
	g.head.force(t.Rand)
	op, _, _ := gen.Once(gen.Op{Type: gen.Invoke, F: "txn", Value: g.head.value}).Op(t, ctx)
	if op.Type == gen.Pending {
		return op, g, true
	}
	return op, lazyTxns{g.head.rest}, true
}

func (g lazyTxns) Update(*gen.Test, gen.Context, gen.Op) gen.Gen { return g }

// ModelsExpectation is the Expectation of Maelstrom's
// --consistency-models: models, strict-serializable when there are none.
// It fails on a model Elle does not know, as Maelstrom's CLI would.
func ModelsExpectation(models []string) (Expectation, error) {
	e := Expectation{Models: slices.Clone(models)}
	if len(e.Models) == 0 {
		e.Models = []string{"strict-serializable"}
	}
	_, err := e.Prohibited()
	return e, err
}

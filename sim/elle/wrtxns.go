package elle

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
)

// WrTxnsOptions are elle.txn/wr-txns's options; a zero field takes Elle's
// default.
type WrTxnsOptions struct {
	KeyDist         string  // "exponential" (default) or "uniform"
	KeyDistBase     float64 // default 2: each key twice as likely as the one before
	KeyCount        int     // keys in the pool at once; default 10 (exponential) or 3 (uniform)
	MinTxnLength    int     // default 1
	MaxTxnLength    int     // default 2
	MaxWritesPerKey int     // default 32
}

// WrTxns is Elle's wr-txns: an endless sequence of transactions of reads
// and writes over a pool of integer keys, every write of a key unique. Each
// transaction has MinTxnLength..MaxTxnLength micro-ops, each a read or a
// write with even odds, of a key drawn from the pool (exponentially:
// position i is KeyDistBase times as likely as position i-1). A key's
// writes take the values 1, 2, 3, ...; once a write would exceed
// MaxWritesPerKey, the key leaves the pool and a fresh key (one more than
// the largest in the pool) takes its place, and the micro-op is drawn
// again. Next is not safe for concurrent use.
type WrTxns struct {
	opts   WrTxnsOptions
	scale  float64
	active []int
	next   map[int]int // key → next value to write
}

// NewWrTxns returns the sequence with o's options, Elle's defaults for the
// zero ones.
func NewWrTxns(o WrTxnsOptions) *WrTxns {
	if o.KeyDist == "" {
		o.KeyDist = "exponential"
	}
	if o.KeyCount <= 0 {
		o.KeyCount = 10
		if o.KeyDist == "uniform" {
			o.KeyCount = 3
		}
	}
	if o.KeyDistBase <= 0 {
		o.KeyDistBase = 2
	}
	if o.MinTxnLength <= 0 {
		o.MinTxnLength = 1
	}
	if o.MaxTxnLength <= 0 {
		o.MaxTxnLength = 2
	}
	if o.MaxWritesPerKey <= 0 {
		o.MaxWritesPerKey = 32
	}
	w := &WrTxns{opts: o, next: map[int]int{}}
	for k := range o.KeyCount {
		w.active = append(w.active, k)
	}
	// Uniform draws in [0, scale) become key positions in [0, KeyCount).
	b := o.KeyDistBase
	w.scale = (math.Pow(b, float64(o.KeyCount)) - 1) * b / (b - 1)
	return w
}

// Options returns the options in effect, defaults filled in.
func (w *WrTxns) Options() WrTxnsOptions { return w.opts }

// Next draws the next transaction from r.
func (w *WrTxns) Next(r *rand.Rand) []Mop {
	o := w.opts
	length := o.MinTxnLength + r.IntN(o.MaxTxnLength-o.MinTxnLength+1)
	txn := make([]Mop, 0, length)
	for len(txn) < length {
		f := "r"
		if r.IntN(2) == 1 {
			f = "w"
		}
		b := o.KeyDistBase
		ki := int(math.Floor(math.Log(r.Float64()*w.scale+b)/math.Log(b) - 1))
		ki = min(max(ki, 0), len(w.active)-1)
		k := w.active[ki]
		if o.KeyDist == "uniform" {
			k = w.active[r.IntN(len(w.active))]
		}
		if f == "r" {
			txn = append(txn, Mop{F: "r", Key: strconv.Itoa(k), Value: Nil})
			continue
		}
		v := w.next[k]
		if v == 0 {
			v = 1
		}
		if v > o.MaxWritesPerKey {
			// Retire k: a fresh key takes its place, and we draw again.
			i := slices.Index(w.active, k)
			w.active[i] = slices.Max(w.active) + 1
			continue
		}
		w.next[k] = v + 1
		txn = append(txn, Mop{F: "w", Key: strconv.Itoa(k), Value: strconv.Itoa(v)})
	}
	return txn
}

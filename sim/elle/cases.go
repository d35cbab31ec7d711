package elle

import (
	"fmt"
	"strings"
)

// WriteIndex maps a key and a written value to the transaction (its
// position in the History) that wrote it.
type WriteIndex map[string]map[string]int

func (w WriteIndex) put(k, v string, op int) {
	if w[k] == nil {
		w[k] = map[string]int{}
	}
	w[k][v] = op
}

// Get returns the writer of k = v.
func (w WriteIndex) Get(k, v string) (int, bool) {
	op, ok := w[k][v]
	return op, ok
}

// FailedWrites indexes every value written by a failed transaction
// (elle.txn/failed-writes); isWrite says which micro-ops write.
func FailedWrites(h History, isWrite func(f string) bool) WriteIndex {
	w := WriteIndex{}
	for i, op := range h {
		if op.Type != Fail {
			continue
		}
		for _, m := range op.Value {
			if isWrite(m.F) {
				w.put(m.Key, m.Value, i)
			}
		}
	}
	return w
}

// IntermediateWrites indexes every value a transaction wrote to a key and
// then overwrote itself (elle.txn/intermediate-writes), whatever the
// transaction's outcome. Elle folds over invocations too; a completion
// carries the same writes, and its entry wins, so only completions are
// read here.
func IntermediateWrites(h History, isWrite func(f string) bool) WriteIndex {
	w := WriteIndex{}
	for i, op := range h {
		final := map[string]string{}
		for _, m := range op.Value {
			if !isWrite(m.F) {
				continue
			}
			if prev, ok := final[m.Key]; ok {
				w.put(m.Key, prev, i)
			}
			final[m.Key] = m.Value
		}
	}
	return w
}

// ReadCase is a G1a (aborted read) or G1b (intermediate read) case: Op's
// micro-op Mop read a value that Writer wrote and should not have exposed.
type ReadCase struct {
	Op     Op
	Mop    Mop
	Writer Op
}

// String implements Case.
func (c ReadCase) String() string {
	return fmt.Sprintf("%s in %s read a value written by %s", c.Mop, c.Op, c.Writer)
}

// Involved implements Case: the reader, then the writer.
func (c ReadCase) Involved() []int { return []int{c.Op.Index, c.Writer.Index} }

// InternalCase is a transaction whose read disagrees with its own earlier
// read or write of the key (Elle's :internal).
type InternalCase struct {
	Op       Op
	Mop      Mop
	Expected string
}

// String implements Case.
func (c InternalCase) String() string {
	return fmt.Sprintf("%s in %s, but the transaction's own earlier access left %s", c.Mop, c.Op, valueName(c.Expected))
}

// Involved implements Case: the transaction.
func (c InternalCase) Involved() []int { return []int{c.Op.Index} }

// valueName renders a value as Elle prints it: nil for Nil.
func valueName(v string) string {
	if v == Nil {
		return "nil"
	}
	return v
}

// LostUpdate is a lost-update case: several committed transactions read
// the same Value of Key and each wrote Key.
type LostUpdate struct {
	Key, Value string
	Txns       []Op
}

// String implements Case.
func (c LostUpdate) String() string {
	var ops []string
	for _, o := range c.Txns {
		ops = append(ops, o.String())
	}
	return fmt.Sprintf("%d transactions read key %s = %s and wrote it: %s", len(c.Txns), c.Key, valueName(c.Value), strings.Join(ops, ", "))
}

// Involved implements Case: the transactions, in history order.
func (c LostUpdate) Involved() []int { return indexes(c.Txns) }

// indexes returns the Index of each of ops.
func indexes(ops []Op) []int {
	out := make([]int, len(ops))
	for i, o := range ops {
		out[i] = o.Index
	}
	return out
}

// LostUpdateCases finds lost updates (elle.txn/lost-update-cases): ok
// transactions that read some key k = v and then wrote k, grouped by (k,
// v); any group of two or more is a case. It follows Elle's scan exactly,
// quirks included: a key's "read" value is its first read, or else the
// value of a repeated write seen before any read.
func LostUpdateCases(h History, isWrite func(f string) bool) []LostUpdate {
	type kv struct{ k, v string }
	groups := map[kv][]int{}
	var order []kv
	for i, op := range h {
		if op.Type != OK {
			continue
		}
		reads := map[string]string{}
		writes := map[string]bool{}
		for _, m := range op.Value {
			read, seen := reads[m.Key]
			if isWrite(m.F) && !writes[m.Key] {
				if seen {
					g := kv{m.Key, read}
					if _, ok := groups[g]; !ok {
						order = append(order, g)
					}
					groups[g] = append(groups[g], i)
					writes[m.Key] = true
				}
				continue
			}
			if !seen {
				reads[m.Key] = m.Value
			}
		}
	}
	var out []LostUpdate
	for _, g := range order {
		if ops := groups[g]; len(ops) >= 2 {
			c := LostUpdate{Key: g.k, Value: g.v}
			for _, i := range ops {
				c.Txns = append(c.Txns, h[i])
			}
			out = append(out, c)
		}
	}
	return out
}

package elle

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// This file is Elle's list-append check (elle.list-append/check): the
// version order of each key inferred from the lists reads return, and the
// anomalies and dependencies that follow from it. A read's Value is the
// canonical JSON text of the list it returned (or Nil); an append's Value
// is the element.

// ListAppendPriority's explainers are ww, wr, rw: list-append combines its
// graphs in that order, then the real-time or process order.

// initElem stands for the initial, empty state of a key in the read index
// (Elle's ::init); no canonical JSON text starts with a NUL.
const initElem = "\x00init"

// ListAppendAnomalies finds every anomaly Elle's list-append check looks
// for: G1a and G1b (per element read), internal, dirty-update,
// duplicate-elements, incompatible-order, lost-update, the cycles of the
// ww/wr/rw graph (with the real-time or process order when expect needs
// them), and empty-transaction-graph. search configures the cycle search;
// its Types, Priority and Explain are set here. The error is what makes
// Elle throw: a read value that is not a list, or an element of a read
// that no transaction appended (dirty-update-cases asserts a writer).
func ListAppendAnomalies(h History, expect Expectation, search SearchOptions) (Anomalies, error) {
	a, err := newListAppend(h)
	if err != nil {
		return nil, err
	}
	found := Anomalies{}
	a.readCases(found)
	a.internalCases(found)
	if err := a.dirtyUpdates(found); err != nil {
		return nil, err
	}
	a.duplicateCases(found)
	for _, c := range a.incompatibleOrders() {
		found.Add("incompatible-order", c)
	}
	for _, lu := range LostUpdateCases(a.possible(), isAppend) {
		found.Add("lost-update", lu)
	}
	g, err := a.graph(expect)
	if err != nil {
		return nil, err
	}
	if g.Empty() {
		found.Add(EmptyTransactionGraph, Text("no dependency between transactions could be inferred"))
	}
	search.Types, err = expect.CycleTypesToFind()
	if err != nil {
		return nil, err
	}
	search.Priority = ListAppendPriority
	search.Explain = a.explain
	found.Merge(FindCycles(g, h, search))
	return found, nil
}

func isAppend(f string) bool { return f == "append" }

// laMop is a micro-op with its list parsed: for a read, Null or List.
type laMop struct {
	Mop
	Null bool
	List []string // a read's elements, as canonical JSON texts
}

// listAppend is one history with the indexes Elle's preprocess builds.
type listAppend struct {
	h    History
	mops [][]laMop
	pos  map[int]int // Index → position in h

	// Over the ok and info transactions (h/possible), as Elle's graph
	// sees them: the sorted values (single appends included), the
	// version order, who appended each element, who read each state.
	sorted  map[string][][]string
	order   map[string]appendOrder
	writers map[KV]int
	readers map[KV][]int
}

// appendOrder is a key's version order: the elements of its longest read,
// each once, and their positions.
type appendOrder struct {
	values []string
	index  map[string]int
}

func newListAppend(h History) (*listAppend, error) {
	a := &listAppend{h: h, mops: make([][]laMop, len(h)), pos: make(map[int]int, len(h))}
	for i, op := range h {
		a.pos[op.Index] = i
		a.mops[i] = make([]laMop, len(op.Value))
		for j, m := range op.Value {
			lm := laMop{Mop: m}
			if m.F == "r" {
				var err error
				if lm.Null, lm.List, err = parseList(m.Value); err != nil {
					return nil, fmt.Errorf("%s in %s: %w", m, op, err)
				}
			}
			a.mops[i][j] = lm
		}
	}
	possible := a.possibleOps()
	a.sorted = sortedValues(a, possible, true)
	a.order = appendIndex(a.sorted)
	a.writers = a.writeIndex(possible)
	a.readers = map[KV][]int{}
	for _, i := range possible {
		for _, m := range a.mops[i] {
			if m.F != "r" || (h[i].Type == Info && m.Null) {
				continue
			}
			s := KV{m.Key, lastOr(m.List, initElem)}
			a.readers[s] = append(a.readers[s], i)
		}
	}
	return a, nil
}

// parseList decodes a read's value: null or a JSON array.
func parseList(v string) (null bool, list []string, err error) {
	if v == Nil {
		return true, nil, nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		return false, nil, fmt.Errorf("read value %.100s is not a list", v)
	}
	list = make([]string, len(raw))
	for i, r := range raw {
		var b bytes.Buffer
		if err := json.Compact(&b, r); err != nil {
			return false, nil, err
		}
		list[i] = b.String()
	}
	return false, list, nil
}

func lastOr(l []string, none string) string {
	if len(l) == 0 {
		return none
	}
	return l[len(l)-1]
}

// possibleOps are the positions of the ok and info transactions, in the
// order Jepsen's history holds their completions.
func (a *listAppend) possibleOps() []int {
	var out []int
	for _, i := range a.completionOrder() {
		if a.h[i].Type != Fail {
			out = append(out, i)
		}
	}
	return out
}

// possible is the ok and info transactions, as a History.
func (a *listAppend) possible() History {
	var out History
	for _, i := range a.possibleOps() {
		out = append(out, a.h[i])
	}
	return out
}

// completionOrder lists every position by completion.
func (a *listAppend) completionOrder() []int {
	order := make([]int, len(a.h))
	for i := range order {
		order[i] = i
	}
	byEvent := slices.ContainsFunc(a.h, func(o Op) bool { return o.CompleteEvent != 0 })
	slices.SortStableFunc(order, func(x, y int) int {
		if byEvent {
			return cmp.Compare(a.h[x].CompleteEvent, a.h[y].CompleteEvent)
		}
		return cmp.Compare(a.h[x].Complete, a.h[y].Complete)
	})
	return order
}

// sortedValues maps each key to the distinct non-empty lists read of it by
// ops, shortest first (elle.list-append/sorted-values); with single, a key
// appended by exactly one micro-op of ops is taken to have gone through
// [v] alone, whatever was read of it.
func sortedValues(a *listAppend, ops []int, single bool) map[string][][]string {
	out := map[string][][]string{}
	seen := map[KV]bool{}
	appends := map[string][]string{}
	for _, i := range ops {
		for _, m := range a.mops[i] {
			switch {
			case m.F == "r" && len(m.List) > 0 && !seen[KV{m.Key, m.Value}]:
				seen[KV{m.Key, m.Value}] = true
				out[m.Key] = append(out[m.Key], m.List)
			case isAppend(m.F):
				appends[m.Key] = append(appends[m.Key], m.Value)
			}
		}
	}
	if single {
		for k, vs := range appends {
			if len(vs) == 1 {
				out[k] = [][]string{{vs[0]}}
			}
		}
	}
	for _, vs := range out {
		slices.SortStableFunc(vs, func(x, y []string) int { return cmp.Compare(len(x), len(y)) })
	}
	return out
}

// appendIndex is each key's version order: the longest read, without
// repeats.
func appendIndex(sorted map[string][][]string) map[string]appendOrder {
	out := make(map[string]appendOrder, len(sorted))
	for k, vs := range sorted {
		o := appendOrder{index: map[string]int{}}
		for _, e := range vs[len(vs)-1] {
			if _, dup := o.index[e]; !dup {
				o.index[e] = len(o.values)
				o.values = append(o.values, e)
			}
		}
		out[k] = o
	}
	return out
}

// writeIndex maps each appended element to the transaction of ops that
// appended it, the last to complete winning.
func (a *listAppend) writeIndex(ops []int) map[KV]int {
	w := map[KV]int{}
	for _, i := range ops {
		for _, m := range a.mops[i] {
			if isAppend(m.F) {
				w[KV{m.Key, m.Value}] = i
			}
		}
	}
	return w
}

// IncompatibleOrder is Elle's :incompatible-order case: two lists read of
// Key, the shorter not a prefix of the longer, so no single order of
// appends explains both. Readers are the first ok or info transactions
// that read Values[0] and Values[1], in that order; a list no transaction
// read (a key appended once is taken to have held its one element) has
// none.
type IncompatibleOrder struct {
	Key     string
	Values  [2][]string
	Readers []Op
}

// String implements Case.
func (c IncompatibleOrder) String() string {
	return fmt.Sprintf("key %s was read as %s and as %s: neither is a prefix of the other",
		c.Key, listText(c.Values[0]), listText(c.Values[1]))
}

// Involved implements Case: the readers of the two lists.
func (c IncompatibleOrder) Involved() []int { return indexes(c.Readers) }

// listText renders a list as Elle prints one: [1 2 3].
func listText(l []string) string { return "[" + strings.Join(l, " ") + "]" }

// incompatibleOrders checks that each key's sorted values are each a
// prefix of the next, reporting the first pair that is not, per key.
func (a *listAppend) incompatibleOrders() []IncompatibleOrder {
	var out []IncompatibleOrder
	for _, k := range sortedKeys(a.sorted) {
		vs := a.sorted[k]
		for i := 1; i < len(vs); i++ {
			if !isPrefix(vs[i-1], vs[i]) {
				c := IncompatibleOrder{Key: k, Values: [2][]string{vs[i-1], vs[i]}}
				for _, l := range c.Values {
					if r, ok := a.reader(k, l); ok {
						c.Readers = append(c.Readers, a.h[r])
					}
				}
				out = append(out, c)
				break
			}
		}
	}
	return out
}

// reader returns the first ok or info transaction, by completion, that
// read list of key k.
func (a *listAppend) reader(k string, list []string) (int, bool) {
	for _, i := range a.possibleOps() {
		for _, m := range a.mops[i] {
			if m.F == "r" && m.Key == k && !m.Null && slices.Equal(m.List, list) {
				return i, true
			}
		}
	}
	return 0, false
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func isPrefix(a, b []string) bool { return len(a) <= len(b) && slices.Equal(a, b[:len(a)]) }

// ElementCase is a G1a or G1b case of list-append: Op's read Mop holds
// Element, which Writer appended and should not have exposed (Writer
// failed, or appended to the key again later in the same transaction).
type ElementCase struct {
	Op, Writer Op
	Mop        Mop
	Element    string
}

// String implements Case.
func (c ElementCase) String() string {
	return fmt.Sprintf("%s in %s read element %s, appended by %s", c.Mop, c.Op, c.Element, c.Writer)
}

// Involved implements Case: the reader, then the writer.
func (c ElementCase) Involved() []int { return []int{c.Op.Index, c.Writer.Index} }

// readCases finds G1a (every element of an ok read that a failed
// transaction appended) and G1b (an ok read whose last element another
// transaction appended and then appended after).
func (a *listAppend) readCases(found Anomalies) {
	failed := FailedWrites(a.h, isAppend)
	inter := IntermediateWrites(a.h, isAppend)
	for i, op := range a.h {
		if op.Type != OK {
			continue
		}
		for _, m := range a.mops[i] {
			if m.F != "r" {
				continue
			}
			for _, e := range m.List {
				if w, ok := failed.Get(m.Key, e); ok {
					found.Add("G1a", ElementCase{Op: op, Mop: m.Mop, Writer: a.h[w], Element: e})
				}
			}
			if len(m.List) == 0 {
				continue
			}
			e := m.List[len(m.List)-1]
			if w, ok := inter.Get(m.Key, e); ok && w != i {
				found.Add("G1b", ElementCase{Op: op, Mop: m.Mop, Writer: a.h[w], Element: e})
			}
		}
	}
}

// expected is what a transaction knows a key holds: a read's value, or
// its own appends after an unknown prefix.
type expected struct {
	null, unknownPrefix bool
	list                []string
}

func (e expected) String() string {
	switch {
	case e.null:
		return Nil
	case e.unknownPrefix:
		return listText(append([]string{"..."}, e.list...))
	}
	return listText(e.list)
}

// internalCases finds ok transactions whose read disagrees with what the
// transaction itself read or appended before (op-internal-case): a
// known state must be read exactly, and a state after appends to an
// unread key must end with those appends. A read of null counts as a
// known empty state for later appends but is never compared against.
func (a *listAppend) internalCases(found Anomalies) {
	for i, op := range a.h {
		if op.Type != OK {
			continue
		}
		state := map[string]expected{}
		for _, m := range a.mops[i] {
			s, known := state[m.Key]
			if isAppend(m.F) {
				switch {
				case !known:
					s = expected{unknownPrefix: true}
				case s.null:
					s = expected{}
				}
				state[m.Key] = expected{unknownPrefix: s.unknownPrefix, list: append(slices.Clip(s.list), m.Value)}
				continue
			}
			if known && !s.null && !s.matches(m) {
				found.Add("internal", InternalCase{Op: op, Mop: m.Mop, Expected: s.String()})
				break
			}
			state[m.Key] = expected{null: m.Null, list: m.List}
		}
	}
}

func (e expected) matches(m laMop) bool {
	if e.unknownPrefix {
		i := len(m.List) - len(e.list)
		return i >= 0 && slices.Equal(m.List[i:], e.list)
	}
	return !m.Null && slices.Equal(m.List, e.list)
}

// DirtyUpdate is Elle's :dirty-update case: in Key's version order, a
// committed append (To) follows Values appended by a failed one (From).
type DirtyUpdate struct {
	Key      string
	Values   []string
	From, To Op
}

// String implements Case.
func (c DirtyUpdate) String() string {
	return fmt.Sprintf("key %s: %s appended %s after the failed %s",
		c.Key, c.To, listText(c.Values), c.From)
}

// Involved implements Case: the committed append, then the failed one.
func (c DirtyUpdate) Involved() []int { return []int{c.To.Index, c.From.Index} }

// dirtyUpdates walks each key's version order (from every read, no
// single-append inference: Elle computes it over invocations and
// completions alike, where every append shows twice) and reports each
// committed append that follows a failed one (dirty-update-cases).
func (a *listAppend) dirtyUpdates(found Anomalies) error {
	all := a.completionOrder()
	order := appendIndex(sortedValues(a, all, false))
	writers := a.writeIndex(all)
	for _, k := range sortedKeys(order) {
		prev := -1 // the initial state, committed
		var vs []string
		typ := func(i int) Type {
			if i < 0 {
				return OK
			}
			return a.h[i].Type
		}
		for _, v := range order[k].values {
			vs = append(vs, v)
			w, ok := writers[KV{k, v}]
			if !ok {
				return fmt.Errorf("no transaction appended %s to key %s", v, k)
			}
			switch t1, t2 := typ(prev), a.h[w].Type; {
			case t2 == OK && t1 == Fail:
				found.Add("dirty-update", DirtyUpdate{Key: k, Values: vs, From: a.h[prev], To: a.h[w]})
				prev, vs = w, []string{v}
			case t2 == Info || (t1 == Fail && t2 == Fail):
				// Undecided: keep the range.
			default:
				prev, vs = w, []string{v}
			}
		}
	}
	return nil
}

// DuplicateElements is Elle's :duplicate-elements case: a read that holds
// some elements more than once (Counts: element → times).
type DuplicateElements struct {
	Op     Op
	Mop    Mop
	Counts map[string]int
}

// String implements Case.
func (c DuplicateElements) String() string {
	var parts []string
	for _, e := range sortedKeys(c.Counts) {
		parts = append(parts, fmt.Sprintf("%s ×%d", e, c.Counts[e]))
	}
	return fmt.Sprintf("%s in %s holds %s", c.Mop, c.Op, strings.Join(parts, ", "))
}

// Involved implements Case: the reading transaction.
func (c DuplicateElements) Involved() []int { return []int{c.Op.Index} }

// duplicateCases finds reads of ok and info transactions holding an
// element twice.
func (a *listAppend) duplicateCases(found Anomalies) {
	for _, i := range a.possibleOps() {
		for _, m := range a.mops[i] {
			counts := map[string]int{}
			for _, e := range m.List {
				counts[e]++
			}
			for e, n := range counts {
				if n < 2 {
					delete(counts, e)
				}
			}
			if len(counts) > 0 {
				found.Add("duplicate-elements", DuplicateElements{Op: a.h[i], Mop: m.Mop, Counts: counts})
			}
		}
	}
}

// prevElem is the element appended just before k = v in the version order
// (previously-appended-element): its predecessor if v was read, else the
// last element read (an append never read came after every one read);
// initElem when there is none.
func (a *listAppend) prevElem(k, v string) string {
	o := a.order[k]
	if i, ok := o.index[v]; ok {
		if i > 0 {
			return o.values[i-1]
		}
		return initElem
	}
	return lastOr(o.values, initElem)
}

// wwDep is the other transaction that appended the element before op's
// append m, if known (ww-mop-dep).
func (a *listAppend) wwDep(op int, m laMop) (int, bool) {
	p := a.prevElem(m.Key, m.Value)
	if p == initElem {
		return 0, false
	}
	w, ok := a.writers[KV{m.Key, p}]
	return w, ok && w != op
}

// wrDep is the other transaction that appended the last element of op's
// read m (wr-mop-dep).
func (a *listAppend) wrDep(op int, m laMop) (int, bool) {
	if len(m.List) == 0 {
		return 0, false
	}
	w, ok := a.writers[KV{m.Key, m.List[len(m.List)-1]}]
	return w, ok && w != op
}

// rwDeps are the other transactions that read the state op's append m
// overwrote (rw-mop-deps).
func (a *listAppend) rwDeps(op int, m laMop) []int {
	return slices.DeleteFunc(slices.Clone(a.readers[KV{m.Key, a.prevElem(m.Key, m.Value)}]), func(r int) bool { return r == op })
}

// graph builds the ww, wr and rw dependencies between ok and info
// transactions (elle.list-append/graph), plus the orders expect needs.
func (a *listAppend) graph(expect Expectation) (*Graph, error) {
	g := NewGraph(len(a.h))
	for _, i := range a.possibleOps() {
		for _, m := range a.mops[i] {
			if isAppend(m.F) {
				if w, ok := a.wwDep(i, m); ok {
					g.Link(w, i, WW)
				}
				for _, r := range a.rwDeps(i, m) {
					g.Link(r, i, RW)
				}
			} else if w, ok := a.wrDep(i, m); ok {
				g.Link(w, i, WR)
			}
		}
	}
	realtime, process, err := expect.Orders()
	if err != nil {
		return nil, err
	}
	if realtime {
		LinkRealtime(g, a.h)
	}
	if process {
		LinkProcess(g, a.h)
	}
	return g, nil
}

// explain renders why b depends on x, as list-append's WW, WR and RW
// explainers do.
func (a *listAppend) explain(x, b Op, k Kind, xn, bn string) string {
	xi, bi := a.pos[x.Index], a.pos[b.Index]
	for _, m := range a.mops[bi] {
		switch {
		case k == WW && isAppend(m.F):
			if w, ok := a.wwDep(bi, m); ok && w == xi {
				return fmt.Sprintf("%s appended %s after %s appended %s to %s", bn, m.Value, xn, a.prevElem(m.Key, m.Value), m.Key)
			}
		case k == WR && m.F == "r":
			if w, ok := a.wrDep(bi, m); ok && w == xi {
				return fmt.Sprintf("%s observed %s's append of %s to key %s", bn, xn, m.List[len(m.List)-1], m.Key)
			}
		case k == RW && isAppend(m.F):
			if slices.Contains(a.rwDeps(bi, m), xi) {
				if a.prevElem(m.Key, m.Value) == initElem {
					return fmt.Sprintf("%s observed the initial (nil) state of %s, which %s created by appending %s", xn, m.Key, bn, m.Value)
				}
				return fmt.Sprintf("%s did not observe %s's append of %s to %s", xn, bn, m.Value, m.Key)
			}
		}
	}
	return fmt.Sprintf("%s %s %s", xn, k, bn)
}

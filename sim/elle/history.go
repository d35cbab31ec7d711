package elle

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Type is how a transaction ended, in Jepsen's terms.
type Type uint8

// Operation types.
const (
	OK   Type = iota // it committed
	Fail             // it certainly did not happen
	Info             // it may or may not have happened
)

// String implements fmt.Stringer with Jepsen's names.
func (t Type) String() string {
	switch t {
	case OK:
		return "ok"
	case Fail:
		return "fail"
	}
	return "info"
}

// Nil is the Value of a micro-op that holds no value: a read request, or a
// read of a key nobody has written.
const Nil = "null"

// Mop is a micro-operation [f k v]. Key and Value are canonical JSON texts
// (compact, as the value arrived), so that equal JSON values compare equal
// as strings; Nil stands for JSON null (Clojure's nil).
type Mop struct {
	F     string // "r", "w", "append"
	Key   string
	Value string
}

// String renders the micro-op as Elle prints it: [:r 3 1].
func (m Mop) String() string {
	return fmt.Sprintf("[:%s %s %s]", m.F, m.Key, valueName(m.Value))
}

// Op is one transaction of a history: its invocation and completion
// together.
type Op struct {
	Index   int // position in the history; names the transaction
	Process int // Jepsen's process
	// Thread is the worker that ran the operation: operations of one
	// thread never overlap, so at equal times the earlier one (lower
	// Index) completed before the later one was invoked.
	Thread int
	Type   Type
	// Value is the completion's transaction: what an ok transaction
	// observed, or the invoked transaction (reads Nil) for a failed or
	// indeterminate one.
	Value    []Mop
	Invoke   time.Duration
	Complete time.Duration
	// InvokeEvent and CompleteEvent, when the history has them (not both
	// zero), order every invocation and completion as they happened
	// (Jepsen's history index), which settles ties of time exactly.
	InvokeEvent, CompleteEvent int
}

// String renders the operation as Elle names a transaction in a cycle.
func (o Op) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "{:index %d, :process %d, :type :%s, :value [", o.Index, o.Process, o.Type)
	for i, m := range o.Value {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(m.String())
	}
	b.WriteString("]}")
	return b.String()
}

// History is every client transaction of a test, in invocation order (any
// order works; Index names each one).
type History []Op

// KV is a key and a value.
type KV struct{ Key, Value string }

// ExtReads returns a transaction's external reads: for each key whose first
// micro-op is a read, the value that read observed (Jepsen's
// txn/ext-reads), in the order the keys first appear.
func ExtReads(txn []Mop) []KV {
	var out []KV
	var seen []string
	for _, m := range txn {
		if slices.Contains(seen, m.Key) {
			continue
		}
		seen = append(seen, m.Key)
		if m.F == "r" {
			out = append(out, KV{m.Key, m.Value})
		}
	}
	return out
}

// ExtWrites returns a transaction's external writes: for each key it wrote
// (micro-op "w"), the last value written (Jepsen's txn/ext-writes), in the
// order the keys were first written.
func ExtWrites(txn []Mop) []KV {
	var out []KV
	for _, m := range txn {
		if m.F != "w" {
			continue
		}
		if i := slices.IndexFunc(out, func(kv KV) bool { return kv.Key == m.Key }); i >= 0 {
			out[i].Value = m.Value
		} else {
			out = append(out, KV{m.Key, m.Value})
		}
	}
	return out
}

// Lookup returns the value of key in kvs.
func Lookup(kvs []KV, key string) (string, bool) {
	for _, kv := range kvs {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return "", false
}

// event is one invocation or completion, for orders that need Jepsen's
// single history sequence.
type event struct {
	op       int // position in the History slice
	complete bool
	at       time.Duration
}

// events lays the history out as Jepsen's sequence of invocations and
// completions, by time. Times may tie (a simulator's virtual clock); at
// equal times an invocation comes before a completion unless the thread's
// own order says otherwise, so that simultaneous operations of different
// threads count as concurrent, never as one before the other.
func events(h History) []event {
	if slices.ContainsFunc(h, func(o Op) bool { return o.CompleteEvent != 0 }) {
		evs := make([]event, 0, 2*len(h))
		for i, o := range h {
			evs = append(evs, event{i, false, time.Duration(o.InvokeEvent)}, event{i, true, time.Duration(o.CompleteEvent)})
		}
		slices.SortFunc(evs, func(a, b event) int { return cmp.Compare(a.at, b.at) })
		return evs
	}
	evs := make([]event, 0, 2*len(h))
	for i, o := range h {
		c := max(o.Complete, o.Invoke)
		evs = append(evs, event{i, false, o.Invoke}, event{i, true, c})
	}
	slices.SortStableFunc(evs, func(a, b event) int {
		return cmp.Compare(a.at, b.at)
	})
	out := make([]event, 0, len(evs))
	for lo := 0; lo < len(evs); {
		hi := lo
		for hi < len(evs) && evs[hi].at == evs[lo].at {
			hi++
		}
		out = orderTies(h, evs[lo:hi], out)
		lo = hi
	}
	return out
}

// orderTies appends the simultaneous events group to out: invocations as
// early as the threads allow, completions as late. An invocation waits for
// the completions in the group of its thread's earlier operations (lower
// Index); a completion waits for its own invocation.
func orderTies(h History, group []event, out []event) []event {
	if len(group) == 1 {
		return append(out, group[0])
	}
	pending := slices.Clone(group)
	slices.SortStableFunc(pending, func(a, b event) int { return cmp.Compare(h[a.op].Index, h[b.op].Index) })
	invoking := map[int]bool{} // ops whose invocation is still pending
	for _, e := range pending {
		if !e.complete {
			invoking[e.op] = true
		}
	}
	for len(pending) > 0 {
		// The lowest Index of a pending completion, per thread.
		first := map[int]int{}
		for _, e := range pending {
			o := h[e.op]
			if cur, ok := first[o.Thread]; e.complete && (!ok || o.Index < cur) {
				first[o.Thread] = o.Index
			}
		}
		rest := pending[:0:0]
		for _, e := range pending {
			o := h[e.op]
			if cur, ok := first[o.Thread]; !e.complete && (!ok || cur >= o.Index) {
				out = append(out, e)
				delete(invoking, e.op)
			} else {
				rest = append(rest, e)
			}
		}
		if len(rest) < len(pending) {
			pending = rest
			continue
		}
		i := slices.IndexFunc(pending, func(e event) bool { return e.complete && !invoking[e.op] })
		if i < 0 { // inconsistent input; keep the rest in order
			return append(out, pending...)
		}
		out = append(out, pending[i])
		pending = slices.Delete(pending, i, i+1)
	}
	return out
}

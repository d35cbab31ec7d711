package spec

import (
	"cmp"
	"fmt"
	"github.com/glomers/glomers/sim/elle"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/glomers/glomers/sim"
)

// The kafka checker is Jepsen 0.3.1's jepsen.tests.kafka/checker (its
// analysis function) for a test with :sub-via #{:assign} and no :ww-deps,
// which is how Maelstrom runs it. Jepsen's analyses, each named after its
// function there:
//
//   - version-orders: each key's log, offset → messages, from ok sends and
//     ok polls (and info sends known to have happened, which carry no
//     offset, so add nothing); an offset holding two messages is
//     "inconsistent-offsets". Indices are dense: offsets with no known
//     message are skipped.
//   - g1a-cases: an ok poll returned a message whose send failed ("G1a").
//   - lost-write-cases: per key, every message at or below the highest
//     index any ok poll read (by the message's first index) must have been
//     read by some ok poll, if its sender was ok or was info but read
//     ("lost-write").
//   - poll-skip+nonmonotonic-cases: per process, between successive ok
//     polls of a key (an ok or info assign forgets the keys it drops), the
//     next poll's first message must be the one right after the previous
//     poll's last: further is "poll-skip", not after is
//     "nonmonotonic-poll".
//   - int-poll-skip+nonmonotonic-cases: the same inside one poll
//     ("int-poll-skip", "int-nonmonotonic-poll").
//   - nonmonotonic-send-cases: per process, successive ok or info sends to
//     a key must go forward in the version order ("nonmonotonic-send").
//   - duplicate-cases: a message at two indices of a key ("duplicate").
//   - unseen: messages ok sends acknowledged that no ok poll returned
//     ("unseen").
//   - cycles!: Elle's cycle search over write-read edges (a send to the
//     polls that returned its message) and real-time edges (an ok op to
//     every op invoked after it completed), which, as sends never read and
//     polls never write, can only find "G1c-realtime": a poll that returned
//     a message whose send began after the poll ended.
//
// allowed-error-types for these options is #{:int-send-skip :G0
// :G0-process :G0-realtime}, none of which can occur with one micro-op per
// op and no ww edges: every kind above makes the run invalid. Where
// Jepsen's analysis throws, Maelstrom's checker reports :valid? :unknown;
// so does this one ("checker-error"): a polled message no op sent
// (wr-graph's no-writer-of-value), a key whose ok polls returned only empty
// lists (lost-write-cases takes (nth v -1)), a negative offset (assocv).
//
// Order: Jepsen reads the history in event order; where the order matters
// (the last writer of a message, unseen's last step) completions are taken
// by completion time. Real time is strict: an op precedes another only if
// it completed strictly before the other was invoked. Where an offset holds
// several messages, Jepsen's by-index takes an arbitrary one (the first of
// a hash set); here the smallest.
//
// Strict (Result.Strict, not Maelstrom's): "committed-offset-regression",
// an ok list_committed_offsets (inside an assign) that leaves out a key or
// lists it below an offset whose commit was acknowledged before the assign
// began; "poll-before-offset", a poll whose first message of a key is below
// the offset it asked for; "poll-start-skip", a poll whose first message of
// a key is past a known message at or after the offset it asked for.

// kafkaAllowed is Jepsen's allowed-error-types for Maelstrom's options.
var kafkaAllowed = map[string]bool{"int-send-skip": true, "G0": true, "G0-process": true, "G0-realtime": true}

// kafkaKV is a key and a message.
type kafkaKV struct {
	key string
	val kafkaVal
}

// kafkaOrder is a key's version order (Jepsen's :orders entry).
type kafkaOrder struct {
	offsets    []int64              // offsets holding a message, sorted
	log        map[int64][]kafkaVal // offset → distinct messages, sorted
	byIndex    []kafkaVal           // dense index → message (the smallest when several)
	byValue    map[kafkaVal]int     // message → its last index in byIndex
	firstIndex map[kafkaVal]int     // message → first dense index it appears at
	lastVals   [][]kafkaVal         // dense index → messages whose last appearance it is
}

// kafkaOp is a send or poll completion as the analyses see it.
type kafkaOp struct {
	i      int                    // history index
	writes map[string][]kafkaVal  // op-writes: messages sent per key
	sent   map[string][]kafkaPair // ok sends: [offset msg] per key
	reads  map[string][]kafkaVal  // op-reads: messages an ok poll returned per key
	pairs  map[string][]kafkaPair // the same with offsets
	keys   []string               // keys of reads, sorted
	wkeys  []string               // keys of writes, sorted
}

// kafkaAnalysis holds Jepsen's intermediate structures.
type kafkaAnalysis struct {
	h       sim.History
	ops     map[int]*kafkaOp // by history index: send and poll completions
	byDone  []int            // their indices in completion order
	failed  map[string]map[kafkaVal]bool
	readOK  map[string]map[kafkaVal]bool // reads-by-type :ok (a key polled only empty maps to an empty set)
	orders  map[string]*kafkaOrder
	writer  map[kafkaKV]int   // writer-of: the last completion that sent the message
	readers map[kafkaKV][]int // readers-of

	v, strict *kafkaVerdict
	unknown   bool
}

// Checker implements sim.Spec: Jepsen's kafka analysis needs the whole
// history at once.
func (*kafkaSpec) Checker() sim.Checker { return sim.WholeHistory(checkKafka) }

// checkKafka judges a whole kafka history; see the comment at the top of
// this file.
func checkKafka(h sim.History) sim.Result {
	a := &kafkaAnalysis{h: h, ops: map[int]*kafkaOp{}, failed: map[string]map[kafkaVal]bool{},
		readOK: map[string]map[kafkaVal]bool{}, orders: map[string]*kafkaOrder{},
		writer: map[kafkaKV]int{}, readers: map[kafkaKV][]int{}, v: newKafkaVerdict(), strict: newKafkaVerdict()}
	a.collect()
	a.versionOrders()
	a.g1a()
	a.lostWrites()
	a.pollSkips()
	a.intPolls()
	a.nonmonotonicSends()
	a.duplicates()
	a.unseen()
	a.cycles()
	a.strictChecks()
	return a.result()
}

// kafkaStatus is the op's type name in Jepsen's terms.
func kafkaStatus(op sim.Op) string { return op.Status.String() }

// collect normalises the send and poll completions.
func (a *kafkaAnalysis) collect() {
	for i, op := range a.h {
		if op.F != "send" && op.F != "poll" {
			continue
		}
		ko := &kafkaOp{i: i, writes: map[string][]kafkaVal{}, sent: map[string][]kafkaPair{},
			reads: map[string][]kafkaVal{}, pairs: map[string][]kafkaPair{}}
		mops := kafkaMops(op.Value)
		if op.Status == sim.OK {
			if out := kafkaMops(op.Out); out != nil {
				mops = out
			}
		}
		for _, m := range mops {
			switch {
			case m.F == "send" && op.F == "send":
				ko.writes[m.Key] = append(ko.writes[m.Key], kafkaVal{N: m.Msg})
				if op.Status == sim.OK && m.Acked {
					ko.sent[m.Key] = append(ko.sent[m.Key], kafkaPair{Offset: m.Offset, Msg: m.Msg})
				}
			case m.F == "poll" && op.F == "poll" && op.Status == sim.OK:
				for k, ps := range m.Msgs {
					if ko.reads[k] == nil {
						ko.reads[k] = []kafkaVal{}
					}
					for _, p := range ps {
						ko.reads[k] = append(ko.reads[k], p.val())
						ko.pairs[k] = append(ko.pairs[k], p)
					}
				}
			}
		}
		ko.keys = kafkaSortKeys(slices.Collect(maps.Keys(ko.reads)))
		ko.wkeys = kafkaSortKeys(slices.Collect(maps.Keys(ko.writes)))
		a.ops[i] = ko
		a.byDone = append(a.byDone, i)
	}
	slices.SortStableFunc(a.byDone, func(x, y int) int { return cmp.Compare(a.h[x].Complete, a.h[y].Complete) })

	for _, i := range a.byDone {
		op, ko := a.h[i], a.ops[i]
		for _, k := range ko.wkeys {
			for _, v := range ko.writes[k] {
				a.writer[kafkaKV{k, v}] = i
				if op.Status == sim.Fail {
					if a.failed[k] == nil {
						a.failed[k] = map[kafkaVal]bool{}
					}
					a.failed[k][v] = true
				}
			}
		}
		for _, k := range ko.keys {
			if a.readOK[k] == nil {
				a.readOK[k] = map[kafkaVal]bool{}
			}
			for _, v := range ko.reads[k] {
				a.readOK[k][v] = true
				a.readers[kafkaKV{k, v}] = append(a.readers[kafkaKV{k, v}], i)
			}
		}
	}
}

// mustHaveCommitted is Jepsen's must-have-committed?: the op was ok, or
// was info and one of its messages was polled.
func (a *kafkaAnalysis) mustHaveCommitted(i int) bool {
	op := a.h[i]
	if op.Status == sim.OK {
		return true
	}
	if op.Status != sim.Info {
		return false
	}
	ko := a.ops[i]
	for k, vs := range ko.writes {
		for _, v := range vs {
			if a.readOK[k][v] {
				return true
			}
		}
	}
	return false
}

// throw records what makes Jepsen's analysis throw: Maelstrom then reports
// the checker's result as unknown.
func (a *kafkaAnalysis) throw(format string, args ...any) {
	a.unknown = true
	a.v.add("checker-error", "Jepsen's kafka checker would throw here, making the result unknown: "+format, args...)
}

// versionOrders is Jepsen's version-orders.
func (a *kafkaAnalysis) versionOrders() {
	logs := map[string]map[int64][]kafkaVal{}
	note := func(k string, off int64, v kafkaVal, i int) {
		if off < 0 {
			a.throw("%s: key %s has negative offset %d", a.desc(i), k, off)
			return
		}
		if logs[k] == nil {
			logs[k] = map[int64][]kafkaVal{}
		}
		if !slices.Contains(logs[k][off], v) {
			logs[k][off] = append(logs[k][off], v)
		}
	}
	for _, i := range a.byDone {
		if !a.mustHaveCommitted(i) {
			continue
		}
		ko := a.ops[i]
		for _, k := range kafkaSortKeys(slices.Collect(maps.Keys(ko.sent))) {
			for _, p := range ko.sent[k] {
				note(k, p.Offset, p.val(), i)
			}
		}
		for _, k := range ko.keys {
			for _, p := range ko.pairs[k] {
				note(k, p.Offset, p.val(), i)
			}
		}
	}
	for _, k := range kafkaSortKeys(slices.Collect(maps.Keys(logs))) {
		o := &kafkaOrder{log: logs[k], byValue: map[kafkaVal]int{}, firstIndex: map[kafkaVal]int{}}
		o.offsets = slices.Sorted(maps.Keys(logs[k]))
		last := map[kafkaVal]int{}
		for idx, off := range o.offsets {
			vals := o.log[off]
			slices.SortFunc(vals, kafkaValCmp)
			if len(vals) > 1 {
				a.v.add("inconsistent-offsets", "key %s offset %d (index %d) holds messages %v", k, off, idx, vals)
			}
			o.byIndex = append(o.byIndex, vals[0])
			o.byValue[vals[0]] = idx
			for _, v := range vals {
				if _, ok := o.firstIndex[v]; !ok {
					o.firstIndex[v] = idx
				}
				last[v] = idx
			}
		}
		o.lastVals = make([][]kafkaVal, len(o.offsets))
		for _, v := range slices.SortedFunc(maps.Keys(last), kafkaValCmp) {
			o.lastVals[last[v]] = append(o.lastVals[last[v]], v)
		}
		a.orders[k] = o
	}
}

// kafkaValCmp orders messages as kafkaVal.less does, for sorting.
func kafkaValCmp(x, y kafkaVal) int {
	switch {
	case x.less(y):
		return -1
	case y.less(x):
		return 1
	}
	return 0
}

// index is the message's index in key k's version order (by-value).
func (a *kafkaAnalysis) index(k string, v kafkaVal) (int, bool) {
	o := a.orders[k]
	if o == nil {
		return 0, false
	}
	i, ok := o.byValue[v]
	return i, ok
}

// g1a is Jepsen's g1a-cases.
func (a *kafkaAnalysis) g1a() {
	for _, i := range a.byDone {
		if a.h[i].F != "poll" || a.h[i].Status != sim.OK {
			continue
		}
		ko := a.ops[i]
		for _, k := range ko.keys {
			for _, v := range ko.reads[k] {
				if a.failed[k][v] {
					a.v.add("G1a", "%s read key %s message %s, whose send failed: %s", a.desc(i), k, v, a.desc(a.writer[kafkaKV{k, v}]))
				}
			}
		}
	}
}

// lostWrites is Jepsen's lost-write-cases.
func (a *kafkaAnalysis) lostWrites() {
	for _, k := range kafkaSortKeys(slices.Collect(maps.Keys(a.readOK))) {
		vs := a.readOK[k]
		o := a.orders[k]
		bound := -1
		if o != nil {
			for v := range vs {
				if i, ok := o.firstIndex[v]; ok {
					bound = max(bound, i)
				}
			}
		}
		if bound < 0 {
			a.throw("key %s was polled ok, but only ever returned empty (lost-write-cases takes element -1 of its log)", k)
			continue
		}
		var maxRead string
		if vals := o.lastVals[bound]; len(vals) > 0 {
			if rs := a.readers[kafkaKV{k, vals[0]}]; len(rs) > 0 {
				maxRead = a.desc(rs[0])
			}
		}
		for idx := 0; idx <= bound; idx++ {
			for _, v := range o.lastVals[idx] {
				if vs[v] {
					continue
				}
				w, ok := a.writer[kafkaKV{k, v}]
				if !ok {
					a.throw("key %s message %s has no writer", k, v)
					continue
				}
				if !a.mustHaveCommitted(w) {
					continue
				}
				a.v.add("lost-write", "key %s message %s (index %d) was sent by %s and never polled, though index %d was, by %s",
					k, v, o.firstIndex[v], a.desc(w), bound, maxRead)
			}
		}
	}
}

// processOps lists each process's ops in order.
func (a *kafkaAnalysis) processOps() (procs []int, ops map[int][]int) {
	ops = map[int][]int{}
	for i, op := range a.h {
		if _, ok := ops[op.Process]; !ok {
			procs = append(procs, op.Process)
		}
		ops[op.Process] = append(ops[op.Process], i)
	}
	slices.Sort(procs)
	return procs, ops
}

// assigned returns what an assign leaves of last: the entries of the keys
// it assigned (Jepsen's select-keys), when it was ok or info.
func (a *kafkaAnalysis) assigned(op sim.Op, last map[string]int) map[string]int {
	if op.Status == sim.Fail {
		return last
	}
	keys, _ := op.Value.([]string)
	out := map[string]int{}
	for _, k := range keys {
		if i, ok := last[k]; ok {
			out[k] = i
		}
	}
	return out
}

// pollSkips is Jepsen's poll-skip+nonmonotonic-cases.
func (a *kafkaAnalysis) pollSkips() {
	procs, ops := a.processOps()
	for _, p := range procs {
		last := map[string]int{} // key → the last op of p that polled it
		for _, i := range ops[p] {
			op := a.h[i]
			switch op.F {
			case "assign":
				last = a.assigned(op, last)
			case "poll":
				ko := a.ops[i]
				for _, k := range ko.keys {
					prev, ok := last[k]
					if !ok {
						continue
					}
					pr, rs := a.ops[prev].reads[k], ko.reads[k]
					if len(pr) == 0 || len(rs) == 0 {
						continue
					}
					v, v2 := pr[len(pr)-1], rs[0]
					i1, ok1 := a.index(k, v)
					i2, ok2 := a.index(k, v2)
					if !ok1 || !ok2 {
						continue
					}
					switch d := i2 - i1; {
					case d > 1:
						a.v.add("poll-skip", "process %d polled key %s up to message %s (index %d) in %s, then from message %s (index %d) in %s, skipping %v",
							p, k, v, i1, a.desc(prev), v2, i2, a.desc(i), a.orders[k].byIndex[i1+1:i2])
					case d < 1:
						a.v.add("nonmonotonic-poll", "process %d polled key %s up to message %s (index %d) in %s, then from message %s (index %d) in %s",
							p, k, v, i1, a.desc(prev), v2, i2, a.desc(i))
					}
				}
				for _, k := range ko.keys {
					last[k] = i
				}
			}
		}
	}
}

// intPolls is Jepsen's int-poll-skip+nonmonotonic-cases.
func (a *kafkaAnalysis) intPolls() {
	for _, i := range a.byDone {
		ko := a.ops[i]
		for _, k := range ko.keys {
			rs := ko.reads[k]
			for j := 1; j < len(rs); j++ {
				i1, ok1 := a.index(k, rs[j-1])
				i2, ok2 := a.index(k, rs[j])
				if !ok1 || !ok2 {
					continue
				}
				switch d := i2 - i1; {
				case d > 1:
					a.v.add("int-poll-skip", "%s returned key %s message %s (index %d) then %s (index %d), skipping %v",
						a.desc(i), k, rs[j-1], i1, rs[j], i2, a.orders[k].byIndex[i1+1:i2])
				case d < 1:
					a.v.add("int-nonmonotonic-poll", "%s returned key %s message %s (index %d) then %s (index %d)",
						a.desc(i), k, rs[j-1], i1, rs[j], i2)
				}
			}
		}
	}
}

// nonmonotonicSends is Jepsen's nonmonotonic-send-cases.
func (a *kafkaAnalysis) nonmonotonicSends() {
	procs, ops := a.processOps()
	for _, p := range procs {
		last := map[string]int{}
		for _, i := range ops[p] {
			op := a.h[i]
			if op.Status != sim.OK && op.Status != sim.Info {
				continue
			}
			switch op.F {
			case "assign":
				last = a.assigned(op, last)
			case "send":
				ko := a.ops[i]
				for _, k := range ko.wkeys {
					if prev, ok := last[k]; ok {
						pw := a.ops[prev].writes[k]
						v, v2 := pw[len(pw)-1], ko.writes[k][0]
						i1, ok1 := a.index(k, v)
						i2, ok2 := a.index(k, v2)
						if ok1 && ok2 && i2-i1 < 1 {
							a.v.add("nonmonotonic-send", "process %d sent key %s message %s (index %d) in %s, then message %s (index %d) in %s",
								p, k, v, i1, a.desc(prev), v2, i2, a.desc(i))
						}
					}
				}
				for _, k := range ko.wkeys {
					last[k] = i
				}
			}
		}
	}
}

// duplicates is Jepsen's duplicate-cases.
func (a *kafkaAnalysis) duplicates() {
	for _, k := range kafkaSortKeys(slices.Collect(maps.Keys(a.orders))) {
		o := a.orders[k]
		count := map[kafkaVal]int{}
		for _, v := range o.byIndex {
			count[v]++
		}
		for _, v := range slices.SortedFunc(maps.Keys(count), kafkaValCmp) {
			if count[v] > 1 {
				var offs []int64
				for idx, w := range o.byIndex {
					if w == v {
						offs = append(offs, o.offsets[idx])
					}
				}
				a.v.add("duplicate", "key %s message %s appears %d times, at offsets %v", k, v, count[v], offs)
			}
		}
	}
}

// unseen is Jepsen's unseen, read for its last step: what ok sends
// acknowledged that no ok poll returned. Jepsen folds (merge-with
// difference sent polled) over ok sends and polls; a key that an op polls
// before any ok op sent to it is not in sent, so merge-with keeps its
// polled messages as unseen until the next ok op. That quirk shows when
// the last ok op is such a poll; it is kept.
func (a *kafkaAnalysis) unseen() {
	unseen := map[string]map[kafkaVal]bool{} // keys Jepsen's sent map holds
	polled := map[string]map[kafkaVal]bool{}
	var quirk map[string][]kafkaVal // the last step's keys polled before any send
	for _, i := range a.byDone {
		if a.h[i].Status != sim.OK {
			continue
		}
		ko := a.ops[i]
		quirk = nil
		for _, k := range ko.wkeys {
			if unseen[k] == nil {
				unseen[k] = map[kafkaVal]bool{}
			}
			for _, v := range ko.writes[k] {
				if !polled[k][v] {
					unseen[k][v] = true
				}
			}
		}
		for _, k := range ko.keys {
			if polled[k] == nil {
				polled[k] = map[kafkaVal]bool{}
			}
			for _, v := range ko.reads[k] {
				polled[k][v] = true
				delete(unseen[k], v)
			}
			if unseen[k] == nil {
				if quirk == nil {
					quirk = map[string][]kafkaVal{}
				}
				quirk[k] = slices.SortedFunc(maps.Keys(polled[k]), kafkaValCmp)
				unseen[k] = map[kafkaVal]bool{}
			}
		}
	}
	total := 0
	for _, k := range kafkaSortKeys(slices.Collect(maps.Keys(unseen))) {
		msgs := slices.SortedFunc(maps.Keys(unseen[k]), kafkaValCmp)
		msgs = append(msgs, quirk[k]...)
		if len(msgs) == 0 {
			continue
		}
		total += len(msgs)
		a.v.add("unseen", "key %s: %d acknowledged messages no poll returned: %v", k, len(msgs), msgs[:min(len(msgs), 32)])
	}
	a.v.stats["unseen-count"] = total
}

// cycles is the part of Elle's cycle search that can find anything here:
// cycles of write-read and real-time edges (G1c-realtime).
func (a *kafkaAnalysis) cycles() {
	// Nodes: the send and poll completions, then one per distinct
	// completion time of an ok op (a chain in time order), through which
	// real-time edges go: ok op → its completion time → later times → an
	// op invoked after that time.
	n := len(a.byDone)
	node := map[int]int{} // history index → node
	for j, i := range a.byDone {
		node[i] = j
	}
	var times []time.Duration
	for _, i := range a.byDone {
		if a.h[i].Status == sim.OK {
			times = append(times, a.h[i].Complete)
		}
	}
	slices.Sort(times)
	times = slices.Compact(times)
	adj := make([][]int, n+len(times))
	for t := 1; t < len(times); t++ {
		adj[n+t-1] = append(adj[n+t-1], n+t)
	}
	type edgeWhy struct {
		k string
		v kafkaVal
	}
	wr := map[[2]int]edgeWhy{}
	for _, i := range a.byDone {
		op, j := a.h[i], node[i]
		if op.Status == sim.OK {
			t, _ := slices.BinarySearch(times, op.Complete)
			adj[j] = append(adj[j], n+t)
		}
		// The last time strictly before the invocation.
		if t, _ := slices.BinarySearch(times, op.Invoke); t > 0 {
			adj[n+t-1] = append(adj[n+t-1], j)
		}
	}
	for _, kv := range slices.SortedFunc(maps.Keys(a.readers), func(x, y kafkaKV) int {
		if c := cmp.Compare(x.key, y.key); c != 0 {
			return c
		}
		return kafkaValCmp(x.val, y.val)
	}) {
		w, ok := a.writer[kv]
		if !ok {
			a.throw("%s read key %s message %s, which no op sent (no-writer-of-value)", a.desc(a.readers[kv][0]), kv.key, kv.val)
			continue
		}
		for _, r := range a.readers[kv] {
			if r != w {
				e := [2]int{node[w], node[r]}
				if _, dup := wr[e]; !dup {
					wr[e] = edgeWhy{kv.key, kv.val}
					adj[node[w]] = append(adj[node[w]], node[r])
				}
			}
		}
	}
	g := elle.NewGraph(len(adj))
	for v, ws := range adj {
		for _, w := range ws {
			g.Link(v, w, elle.WR) // the kind is not used: only the components
		}
	}
	for _, scc := range g.SCCs() {
		real := 0
		for _, x := range scc {
			if x < n {
				real++
			}
		}
		if real < 2 {
			continue
		}
		// An example cycle: a shortest path within the component from
		// one of its ops back to itself.
		in := map[int]bool{}
		start := -1
		for _, x := range scc {
			in[x] = true
			if x < n && (start < 0 || x < start) {
				start = x
			}
		}
		prev := map[int]int{}
		queue := []int{start}
		found := false
		for len(queue) > 0 && !found {
			x := queue[0]
			queue = queue[1:]
			for _, y := range adj[x] {
				if !in[y] {
					continue
				}
				if y == start {
					prev[start], found = x, true
					break
				}
				if _, seen := prev[y]; !seen {
					prev[y] = x
					queue = append(queue, y)
				}
			}
		}
		path := []int{start}
		for x := prev[start]; x != start; x = prev[x] {
			path = append(path, x)
		}
		slices.Reverse(path[1:])
		path = append(path, start) // start ... start, forwards
		var steps []string
		from := path[0]
		for _, y := range path[1:] {
			if y >= n {
				continue
			}
			if why, ok := wr[[2]int{from, y}]; ok {
				steps = append(steps, fmt.Sprintf("%s sent key %s message %s, which %s polled", a.desc(a.byDone[from]), why.k, why.v, a.desc(a.byDone[y])))
			} else {
				steps = append(steps, fmt.Sprintf("%s completed before %s began", a.desc(a.byDone[from]), a.desc(a.byDone[y])))
			}
			from = y
		}
		a.v.add("G1c-realtime", "a cycle of %d ops: %s", real, strings.Join(steps, "; "))
	}
}

// strictChecks are the simulator's own checks, beyond Jepsen's.
func (a *kafkaAnalysis) strictChecks() {
	type stamped struct {
		at  time.Duration
		off int64
	}
	acked := map[string][]stamped{} // acknowledged commits per key
	for i, op := range a.h {
		if op.F != "poll" || op.Status != sim.OK {
			continue
		}
		for _, m := range kafkaMops(op.Out) {
			for k, o := range m.Commit {
				acked[k] = append(acked[k], stamped{op.Complete, o})
			}
			// The poll's start, against the offsets it asked for.
			for _, k := range kafkaSortKeys(slices.Collect(maps.Keys(m.Msgs))) {
				ps := m.Msgs[k]
				from, asked := m.From[k]
				if len(ps) == 0 || !asked {
					continue
				}
				first := ps[0].Offset
				if first < from {
					a.strict.add("poll-before-offset", "%s asked key %s from offset %d and got offset %d first", a.desc(i), k, from, first)
					continue
				}
				if o := a.orders[k]; o != nil {
					j, _ := slices.BinarySearch(o.offsets, from)
					if j < len(o.offsets) && o.offsets[j] < first {
						a.strict.add("poll-start-skip", "%s asked key %s from offset %d and got offset %d first, skipping offset %d (message %s)",
							a.desc(i), k, from, first, o.offsets[j], o.byIndex[j])
					}
				}
			}
		}
	}
	for _, ts := range acked {
		slices.SortStableFunc(ts, func(x, y stamped) int { return cmp.Compare(x.at, y.at) })
		for j := 1; j < len(ts); j++ {
			ts[j].off = max(ts[j].off, ts[j-1].off) // running maximum
		}
	}
	for i, op := range a.h {
		if op.F != "assign" || op.Status != sim.OK {
			continue
		}
		out, ok := op.Out.(kafkaAssigned)
		if !ok || out.Committed == nil {
			continue
		}
		for _, k := range out.Keys {
			ts := acked[k]
			j, _ := slices.BinarySearchFunc(ts, op.Invoke, func(s stamped, t time.Duration) int { return cmp.Compare(s.at, t) })
			if j == 0 {
				continue
			}
			floor := ts[j-1].off
			switch o, listed := out.Committed[k]; {
			case !listed:
				a.strict.add("committed-offset-regression", "%s: list_committed_offsets left out key %s, though a commit of offset %d was acknowledged before it began", a.desc(i), k, floor)
			case o < floor:
				a.strict.add("committed-offset-regression", "%s: list_committed_offsets gave key %s committed offset %d, though a commit of offset %d was acknowledged before it began", a.desc(i), k, o, floor)
			}
		}
	}
}

// result is the verdict: invalid when any kind is not allowed, unknown
// when Jepsen would have thrown.
func (a *kafkaAnalysis) result() sim.Result {
	count := map[string]int{}
	var infoCauses []string
	for _, op := range a.h {
		count[op.F+"-"+kafkaStatus(op)]++
		if op.Status == sim.Info && (op.F == "send" || op.F == "poll") && !slices.Contains(infoCauses, op.Error) {
			infoCauses = append(infoCauses, op.Error)
		}
	}
	for k, n := range count {
		a.v.stats[k] = n
	}
	a.v.stats["keys"] = len(a.orders)
	a.v.stats["info-txn-causes"] = infoCauses
	var bad []string
	for _, k := range a.v.kinds {
		if !kafkaAllowed[k] && k != "checker-error" {
			bad = append(bad, k)
		}
	}
	slices.Sort(bad)
	a.v.stats["bad-error-types"] = bad
	return sim.Result{Valid: len(bad) == 0 && !a.unknown, Unknown: a.unknown,
		Anomalies: a.v.list(), Strict: a.strict.list(), Stats: a.v.stats}
}

// kafkaMaxPerKind caps the anomalies listed per kind; the rest are summed
// up in one closing anomaly of that kind.
const kafkaMaxPerKind = 10

// kafkaVerdict collects anomalies by kind.
type kafkaVerdict struct {
	anomalies []sim.Anomaly
	counts    map[string]int
	kinds     []string // in order of first appearance
	stats     map[string]any
}

func newKafkaVerdict() *kafkaVerdict {
	return &kafkaVerdict{counts: map[string]int{}, stats: map[string]any{}}
}

func (v *kafkaVerdict) add(kind, format string, args ...any) {
	if v.counts[kind] == 0 {
		v.kinds = append(v.kinds, kind)
	}
	v.counts[kind]++
	if v.counts[kind] <= kafkaMaxPerKind {
		v.anomalies = append(v.anomalies, sim.Anomaly{Kind: kind, Detail: fmt.Sprintf(format, args...)})
	}
}

// list returns the anomalies, with the closing counts.
func (v *kafkaVerdict) list() []sim.Anomaly {
	out := slices.Clone(v.anomalies)
	for _, k := range v.kinds {
		if n := v.counts[k]; n > kafkaMaxPerKind {
			out = append(out, sim.Anomaly{Kind: k, Detail: fmt.Sprintf("... and %d more %s anomalies", n-kafkaMaxPerKind, k)})
		}
	}
	return out
}

// desc names history op i for a person.
func (a *kafkaAnalysis) desc(i int) string { return kafkaDesc(a.h[i]) }

// kafkaDesc names an op: process, node, :f, outcome, times, value.
func kafkaDesc(op sim.Op) string {
	val := op.Value
	if op.Status == sim.OK && op.Out != nil {
		val = op.Out
	}
	var v string
	switch x := val.(type) {
	case []kafkaMop:
		parts := make([]string, len(x))
		for i, m := range x {
			parts[i] = m.String()
		}
		v = "[" + strings.Join(parts, " ") + "]"
	case kafkaAssigned:
		v = fmt.Sprintf("%q", x.Keys)
	case []string:
		v = fmt.Sprintf("%q", x)
	case nil:
	default:
		v = fmt.Sprint(x)
	}
	if len(v) > 300 {
		v = v[:300] + "…"
	}
	return fmt.Sprintf("op %d (p%d→%s %s %s %.1f..%.1fms %s)", op.Index, op.Process, op.Node, op.F, kafkaStatus(op),
		float64(op.Invoke)/float64(time.Millisecond), float64(op.Complete)/float64(time.Millisecond), v)
}

package spec

import (
	"cmp"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/elle"
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
// lists (lost-write-cases takes (nth v -1)), a negative offset (assocv),
// and no ok poll that measured a realtime lag (no poll returned a key and
// none followed an ok assign of a key by its process: worst-realtime-lag
// is then 0, on which the checker's (update 0 :time ...) fails).
//
// Order: Jepsen reads the history in event order, and so does this checker
// (Op.InvokeEvent, Op.CompleteEvent): where the order matters (the last
// writer of a message, unseen's last step) completions are taken in
// history order, and an op precedes another in real time when its
// completion comes before the other's invocation in the history, even at
// the same virtual instant (Elle's realtime graph). Where an offset holds
// several messages, Jepsen's by-index takes an arbitrary one (the first of
// a hash set); here the smallest.
//
// Strict (Result.Strict, not Maelstrom's): "committed-offset-regression",
// an ok list_committed_offsets (inside an assign) that leaves out a key or
// lists it below an offset whose commit was acknowledged before the assign
// began; "poll-before-offset", a poll whose first message of a key is below
// the offset it asked for; "poll-start-skip", a poll whose first message of
// a key is past a known message at or after the offset it asked for.

// Memory: the run drops completion values, and a long run's would not fit
// in memory anyway. kafkaChecker keeps, as each op completes, a compact
// record of what the analysis needs of it: keys and the distinct messages
// of each key are numbered, and the analysis keeps what it learns of each
// in slices indexed by those numbers rather than in maps.

// kafkaAllowed is Jepsen's allowed-error-types for Maelstrom's options.
var kafkaAllowed = map[string]bool{"int-send-skip": true, "G0": true, "G0-process": true, "G0-realtime": true}

// Checker implements sim.Spec.
func (*kafkaSpec) Checker() sim.Checker {
	return &kafkaChecker{keyID: map[string]int32{}, raws: []string{""}, rawID: map[string]int32{"": 0},
		msgID: map[kafkaKV]int32{}, empty: map[int32][]int32{}, odd: map[int32]any{}}
}

// kafkaChecker is the kafka workload's checker. Jepsen's analysis needs
// the whole history at once; as sends, polls and assigns complete, the
// checker records what the analysis will need of their completion values,
// which the run then drops, and it analyses the whole once the run is
// over. It expects every op's completion, as a finished run has them.
type kafkaChecker struct {
	keys  []string // key names by number
	keyID map[string]int32
	raws  []string // the texts of messages that are not integers, by number; raws[0] is ""
	rawID map[string]int32
	msgs  []kafkaKV // messages by number
	msgID map[kafkaKV]int32

	recs    []kafkaRec        // the sends and polls, in the order they completed
	empty   map[int32][]int32 // by history index: the keys an ok poll returned with no message, in kafkaKeyLess order
	odd     map[int32]any     // by history index: ok completion values recs do not describe (none of the client's)
	starts  []kafkaStart      // the keys ok polls asked for and got messages of from another offset
	commits []kafkaCommit     // the commits ok polls made
	listed  []kafkaListed     // the ok assigns that listed committed offsets
}

// kafkaKV is a message of a key: the key's number and the message, an
// integer n or, when raw is not 0, the text raws[raw].
type kafkaKV struct {
	key, raw int32
	n        int64
}

// kafkaRec is a send or poll as the analyses see it: Jepsen's op-writes
// or op-reads, by message number.
type kafkaRec struct {
	op    int32      // history index
	sends bool       // ents are writes (a send's); otherwise reads (a poll's)
	ents  []kafkaEnt // by key in kafkaKeyLess order, each key's in order
}

// kafkaEnt is a message a rec sent or read.
type kafkaEnt struct {
	msg   int32 // the message's number
	acked bool  // a write of an ok send whose offset was acknowledged (Jepsen's sent)
	off   int64 // a read's offset, or an acked write's
}

// kafkaKeyReads is one key of a poll's reads and how many reads it has
// (maybe none).
type kafkaKeyReads struct {
	key, n int32
}

// kafkaStart is how an ok poll began on a key it asked for: the offset it
// asked for and that of the first message it got, when they differ.
type kafkaStart struct {
	op, key     int32
	from, first int64
}

// kafkaCommit is a commit of key's offset off that ok poll op (a history
// index) made, which the server acknowledged when the poll completed.
type kafkaCommit struct {
	key, op int32
	off     int64
}

// kafkaListed is an ok assign (history index op) that listed committed
// offsets.
type kafkaListed struct {
	op  int32
	out kafkaAssigned
}

// writes are a send's messages (Jepsen's op-writes).
func (rec kafkaRec) writes() []kafkaEnt {
	if !rec.sends {
		return nil
	}
	return rec.ents
}

// reads are an ok poll's messages (Jepsen's op-reads).
func (rec kafkaRec) reads() []kafkaEnt {
	if rec.sends {
		return nil
	}
	return rec.ents
}

// byKey yields each key of rec's messages with its messages, in
// kafkaKeyLess order, a poll's keys with no message included.
func (c *kafkaChecker) byKey(rec kafkaRec) iter.Seq2[int32, []kafkaEnt] {
	return func(yield func(int32, []kafkaEnt) bool) {
		ents, empty := rec.ents, c.empty[rec.op]
		for len(ents) > 0 || len(empty) > 0 {
			if len(empty) > 0 && (len(ents) == 0 || c.keyCmp(empty[0], c.msgKey(ents[0].msg)) < 0) {
				if !yield(empty[0], nil) {
					return
				}
				empty = empty[1:]
				continue
			}
			k, n := c.msgKey(ents[0].msg), 1
			for n < len(ents) && c.msgKey(ents[n].msg) == k {
				n++
			}
			if !yield(k, ents[:n]) {
				return
			}
			ents = ents[n:]
		}
	}
}

// Invoked implements sim.Checker: an invocation has nothing to record.
func (*kafkaChecker) Invoked(sim.History, int) {}

// Completed implements sim.Checker.
func (c *kafkaChecker) Completed(h sim.History, i int) {
	op := h[i]
	switch op.F {
	case "send", "poll":
		c.record(op, i)
	case "assign":
		if out, ok := op.Out.(kafkaAssigned); ok && op.Status == sim.OK && out.Committed != nil {
			c.listed = append(c.listed, kafkaListed{int32(i), out})
		}
	}
}

// Result implements sim.Checker; see the comment at the top of this file.
func (c *kafkaChecker) Result(h sim.History) sim.Result {
	a := newKafkaAnalysis(c, h)
	a.versionOrders()
	a.g1a()
	a.lostWrites()
	a.pollSkips()
	a.intPolls()
	a.nonmonotonicSends()
	a.duplicates()
	a.unseen()
	a.realtimeLag()
	a.cycles()
	a.strictChecks()
	return a.result()
}

// record records send or poll op, history op i: what it sent or read,
// from its completion's micro-ops when it was ok, its invocation's
// otherwise, and an ok poll's starts and commits.
func (c *kafkaChecker) record(op sim.Op, i int) {
	mops := kafkaMops(op.Value)
	ok := op.Status == sim.OK
	if out := kafkaMops(op.Out); ok && out != nil {
		mops = out
	}
	rec := kafkaRec{op: int32(i), sends: op.F == "send"}
	var keys []kafkaKeyReads // a poll's, as they came
	for _, m := range mops {
		switch {
		case m.F == "send" && rec.sends:
			rec.ents = append(rec.ents, kafkaEnt{msg: c.msg(c.key(m.Key), kafkaVal{N: m.Msg}), acked: ok && m.Acked, off: m.Offset})
		case m.F == "poll" && !rec.sends && ok && m.Polled != nil:
			n := 0
			for _, km := range m.Polled.Msgs {
				n += len(km.Pairs)
			}
			keys = slices.Grow(keys, len(m.Polled.Msgs))
			rec.ents = slices.Grow(rec.ents, n)
			for _, km := range m.Polled.Msgs {
				k := c.key(km.Key)
				keys = append(keys, kafkaKeyReads{key: k, n: int32(len(km.Pairs))})
				for j, p := range km.Pairs {
					rec.ents = append(rec.ents, kafkaEnt{msg: c.msg(k, km.val(j)), off: p.Offset})
				}
			}
		}
	}
	sorted := c.inKeyOrder(rec, keys)
	if !sorted {
		keys = c.sortRec(&rec, keys)
	}
	var empty []int32
	for _, kr := range keys {
		if kr.n == 0 {
			empty = append(empty, kr.key)
		}
	}
	if empty != nil {
		c.empty[int32(i)] = empty
	}
	c.recs = append(c.recs, rec)
	if !ok {
		return
	}
	if !sorted || !kafkaPlain(op) {
		c.odd[int32(i)] = op.Out
	}
	if op.F != "poll" {
		return
	}
	for _, m := range kafkaMops(op.Out) {
		p := m.Polled
		if p == nil {
			continue
		}
		for _, co := range p.Commit {
			c.commits = append(c.commits, kafkaCommit{c.key(co.Key), int32(i), co.Offset})
		}
		for _, km := range p.Msgs {
			// A poll that starts right at the offset it asked for is fine
			// whatever the key's order (see strictChecks): most do.
			from, asked := p.From.get(km.Key)
			if asked && len(km.Pairs) > 0 && km.Pairs[0].Offset != from {
				c.starts = append(c.starts, kafkaStart{int32(i), c.key(km.Key), from, km.Pairs[0].Offset})
			}
		}
	}
}

// kafkaPlain reports whether ok op's completion value is one micro-op of
// the op's kind (with what a poll returned), which its rec describes in
// full when in key order. The client's always are.
func kafkaPlain(op sim.Op) bool {
	mops, ok := op.Out.([]kafkaMop)
	return ok && len(mops) == 1 && mops[0].F == op.F && (op.F == "send" || mops[0].Polled != nil)
}

// key returns the number of the key called name, numbering it if new.
func (c *kafkaChecker) key(name string) int32 {
	k, ok := c.keyID[name]
	if !ok {
		k = int32(len(c.keys))
		c.keys = append(c.keys, name)
		c.keyID[name] = k
	}
	return k
}

// msg returns the number of message v of key k, numbering it if new.
func (c *kafkaChecker) msg(k int32, v kafkaVal) int32 {
	raw, ok := c.rawID[v.Raw]
	if !ok {
		raw = int32(len(c.raws))
		c.raws = append(c.raws, v.Raw)
		c.rawID[v.Raw] = raw
	}
	kv := kafkaKV{k, raw, v.N}
	m, ok := c.msgID[kv]
	if !ok {
		m = int32(len(c.msgs))
		c.msgs = append(c.msgs, kv)
		c.msgID[kv] = m
	}
	return m
}

// keyCmp compares keys k and l with kafkaKeyLess.
func (c *kafkaChecker) keyCmp(k, l int32) int { return kafkaKeyCmp(c.keys[k], c.keys[l]) }

// msgKey is message m's key.
func (c *kafkaChecker) msgKey(m int32) int32 { return c.msgs[m].key }

// val is message m.
func (c *kafkaChecker) val(m int32) kafkaVal {
	kv := c.msgs[m]
	return kafkaVal{N: kv.n, Raw: c.raws[kv.raw]}
}

// vals are messages ms.
func (c *kafkaChecker) vals(ms []int32) []kafkaVal {
	out := make([]kafkaVal, len(ms))
	for j, m := range ms {
		out[j] = c.val(m)
	}
	return out
}

// valCmp compares messages m and n with kafkaValCmp.
func (c *kafkaChecker) valCmp(m, n int32) int { return kafkaValCmp(c.val(m), c.val(n)) }

// nameValCmp orders messages by key name, then by value, as Elle's
// cycle search goes through them.
func (c *kafkaChecker) nameValCmp(m, n int32) int {
	if d := strings.Compare(c.keys[c.msgKey(m)], c.keys[c.msgKey(n)]); d != 0 {
		return d
	}
	return c.valCmp(m, n)
}

// inKeyOrder reports whether rec's messages are by key in kafkaKeyLess
// order, a poll's keys (as they came) each once, as one micro-op's are.
func (c *kafkaChecker) inKeyOrder(rec kafkaRec, keys []kafkaKeyReads) bool {
	ws := rec.writes()
	for j := 1; j < len(ws); j++ {
		if c.keyCmp(c.msgKey(ws[j-1].msg), c.msgKey(ws[j].msg)) > 0 {
			return false
		}
	}
	for j := 1; j < len(keys); j++ {
		if c.keyCmp(keys[j-1].key, keys[j].key) >= 0 {
			return false
		}
	}
	return true
}

// sortRec puts rec's messages by key in kafkaKeyLess order, each key's in
// the order they came, as Jepsen's maps of keys to messages hold several
// micro-ops'. It returns a poll's keys, each once, in that order.
func (c *kafkaChecker) sortRec(rec *kafkaRec, keys []kafkaKeyReads) []kafkaKeyReads {
	if rec.sends {
		slices.SortStableFunc(rec.ents, func(x, y kafkaEnt) int { return c.keyCmp(c.msgKey(x.msg), c.msgKey(y.msg)) })
		return nil
	}
	order := make([]int32, 0, len(keys))
	for _, kr := range keys {
		order = append(order, kr.key)
	}
	slices.SortFunc(order, c.keyCmp)
	order = slices.Compact(order)
	sorted := make([]kafkaKeyReads, 0, len(order))
	ents := make([]kafkaEnt, 0, len(rec.ents))
	for _, k := range order {
		n, at := int32(0), int32(0)
		for _, kr := range keys {
			if kr.key == k {
				ents = append(ents, rec.ents[at:at+kr.n]...)
				n += kr.n
			}
			at += kr.n
		}
		sorted = append(sorted, kafkaKeyReads{k, n})
	}
	rec.ents = ents
	return sorted
}

// kafkaOrder is a key's version order (Jepsen's :orders entry); what it
// says of each message is in kafkaAnalysis's firstIndex, lastIndex and
// byValue.
type kafkaOrder struct {
	offsets []int64 // offsets holding a message, sorted
	byIndex []int32 // dense index → message (the smallest when several)
	byLast  []int32 // the key's messages by the last index they appear at, then by value
}

// kafkaLast is what a process last did with a key: the rec, and the last
// message it polled or sent there (-1: none).
type kafkaLast struct {
	rec, msg int32
}

// kafkaLists is a list of lists of numbers in two slices: list i is
// to[at[i]:at[i+1]].
type kafkaLists struct {
	at, to []int32
}

// kafkaGroup makes n lists out of the (list, value) pairs that each gives
// add, in the order given. It calls each twice.
func kafkaGroup(n int, each func(add func(list, v int32))) kafkaLists {
	l := kafkaLists{at: make([]int32, n+1)}
	each(func(i, _ int32) { l.at[i+1]++ })
	for i := range n {
		l.at[i+1] += l.at[i]
	}
	l.to = make([]int32, l.at[n])
	next := slices.Clone(l.at[:n])
	each(func(i, v int32) {
		l.to[next[i]] = v
		next[i]++
	})
	return l
}

// get returns list i.
func (l kafkaLists) get(i int32) []int32 { return l.to[l.at[i]:l.at[i+1]] }

// kafkaAnalysis holds Jepsen's intermediate structures, over what the
// checker recorded.
type kafkaAnalysis struct {
	*kafkaChecker // its recs in history order of their completions (Jepsen's)
	h             sim.History

	byRank    []int32    // the keys in kafkaKeyLess order
	keyMsgs   kafkaLists // by key: its messages
	recOf     []int32    // by history index: the op's rec, -1 for other ops
	byProcess []int32    // the history indices by process (see processOps)

	// By message.
	writer     []int32    // writer-of: the last rec that sent it, -1 for none
	failed     []bool     // a failed send sent it
	readOK     []bool     // an ok poll returned it (reads-by-type :ok)
	readers    kafkaLists // readers-of: the recs that returned it
	firstIndex []int32    // the first dense index its key's order has it at, -1 for none
	lastIndex  []int32    // the last one
	byValue    []int32    // by-value: the last index it is the message of, -1 for none

	// By key.
	keyRead []bool        // an ok poll returned the key, even with no message
	orders  []*kafkaOrder // its version order; nil for none

	v, strict *kafkaVerdict
	unknown   bool
}

// newKafkaAnalysis starts the analysis of finished history h, of which c
// recorded every completion.
func newKafkaAnalysis(c *kafkaChecker, h sim.History) *kafkaAnalysis {
	a := &kafkaAnalysis{kafkaChecker: c, h: h, recOf: kafkaNone(len(h)), v: newKafkaVerdict(), strict: newKafkaVerdict()}
	slices.SortFunc(a.recs, func(x, y kafkaRec) int { return cmp.Compare(h[x.op].CompleteEvent, h[y.op].CompleteEvent) })
	for r, rec := range a.recs {
		a.recOf[rec.op] = int32(r)
	}
	a.byRank = make([]int32, len(a.keys))
	for k := range a.byRank {
		a.byRank[k] = int32(k)
	}
	slices.SortFunc(a.byRank, a.keyCmp)
	a.keyMsgs = kafkaGroup(len(a.keys), func(add func(int32, int32)) {
		for m, kv := range a.msgs {
			add(kv.key, int32(m))
		}
	})
	a.collect()
	return a
}

// collect gathers writer-of, the failed writes, reads-by-type :ok and
// readers-of, in completion order.
func (a *kafkaAnalysis) collect() {
	a.writer, a.failed, a.readOK = kafkaNone(len(a.msgs)), make([]bool, len(a.msgs)), make([]bool, len(a.msgs))
	a.keyRead = make([]bool, len(a.keys))
	for r, rec := range a.recs {
		fail := a.h[rec.op].Status == sim.Fail
		for _, e := range rec.writes() {
			a.writer[e.msg] = int32(r)
			a.failed[e.msg] = a.failed[e.msg] || fail
		}
		if !rec.sends {
			for k := range a.byKey(rec) {
				a.keyRead[k] = true
			}
		}
		for _, e := range rec.reads() {
			a.readOK[e.msg] = true
		}
	}
	a.readers = kafkaGroup(len(a.msgs), func(add func(int32, int32)) {
		for r, rec := range a.recs {
			for _, e := range rec.reads() {
				add(e.msg, int32(r))
			}
		}
	})
}

// kafkaNone returns n numbers, all -1.
func kafkaNone(n int) []int32 {
	s := make([]int32, n)
	for i := range s {
		s[i] = -1
	}
	return s
}

// mustHaveCommitted is Jepsen's must-have-committed?: rec r was ok, or was
// info and one of its messages was polled.
func (a *kafkaAnalysis) mustHaveCommitted(r int32) bool {
	switch a.h[a.recs[r].op].Status {
	case sim.OK:
		return true
	case sim.Info:
		for _, e := range a.recs[r].writes() {
			if a.readOK[e.msg] {
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

// realtimeLag is the part of Jepsen's realtime-lag that can make its
// checker throw. A lag is measured at each ok poll for every key its
// process has assigned (an ok assign sets the process's keys to its own)
// or polled (a key returned, even with no message); when there is no lag
// at all, worst-realtime-lag is 0 and the checker's (update 0 :time
// nanos->secs) throws, so Maelstrom reports the result unknown.
func (a *kafkaAnalysis) realtimeLag() {
	hasKeys := map[int]bool{} // by process: whether its offsets map (process-offsets) has a key
	for i, op := range a.h {
		if op.Status != sim.OK {
			continue
		}
		switch op.F {
		case "assign":
			keys, _ := op.Value.([]string)
			hasKeys[op.Process] = len(keys) > 0
		case "poll":
			if r := a.recOf[i]; r >= 0 && (len(a.recs[r].ents) > 0 || len(a.empty[int32(i)]) > 0) {
				hasKeys[op.Process] = true
			}
			if hasKeys[op.Process] {
				return
			}
		}
	}
	a.throw("no ok poll measured a lag (none returned a key, none followed an ok assign of a key by its process), so worst-realtime-lag is 0 and (update 0 :time nanos->secs) fails")
}

// versionOrders is Jepsen's version-orders.
func (a *kafkaAnalysis) versionOrders() {
	type entry struct {
		off int64
		msg int32
	}
	logs := make([][]entry, len(a.keys)) // by key: its distinct offsets and messages
	first := kafkaNone(len(a.msgs))      // by message: the index in its key's log of its first entry
	more := map[entry]bool{}             // the entries of messages at more than one offset
	note := func(e kafkaEnt, r int) {
		k := a.msgKey(e.msg)
		if e.off < 0 {
			a.throw("%s: key %s has negative offset %d", a.recDesc(int32(r)), a.keys[k], e.off)
			return
		}
		x := entry{e.off, e.msg}
		switch j := first[e.msg]; {
		case j < 0:
			first[e.msg] = int32(len(logs[k]))
		case logs[k][j] == x || more[x]:
			return
		default:
			more[x] = true
		}
		logs[k] = append(logs[k], x)
	}
	for r, rec := range a.recs {
		if !a.mustHaveCommitted(int32(r)) {
			continue
		}
		for _, e := range rec.writes() {
			if e.acked {
				note(e, r)
			}
		}
		for _, e := range rec.reads() {
			note(e, r)
		}
	}
	a.firstIndex, a.lastIndex, a.byValue = kafkaNone(len(a.msgs)), kafkaNone(len(a.msgs)), kafkaNone(len(a.msgs))
	a.orders = make([]*kafkaOrder, len(a.keys))
	for _, k := range a.byRank {
		log := logs[k]
		if len(log) == 0 {
			continue
		}
		slices.SortFunc(log, func(x, y entry) int {
			if c := cmp.Compare(x.off, y.off); c != 0 {
				return c
			}
			return a.valCmp(x.msg, y.msg)
		})
		o := &kafkaOrder{}
		for start := 0; start < len(log); {
			end := start + 1
			for end < len(log) && log[end].off == log[start].off {
				end++
			}
			idx := int32(len(o.offsets))
			if end-start > 1 {
				vals := make([]kafkaVal, 0, end-start)
				for _, x := range log[start:end] {
					vals = append(vals, a.val(x.msg))
				}
				a.v.add("inconsistent-offsets", "key %s offset %d (index %d) holds messages %v", a.keys[k], log[start].off, idx, vals)
			}
			o.offsets = append(o.offsets, log[start].off)
			o.byIndex = append(o.byIndex, log[start].msg)
			a.byValue[log[start].msg] = idx
			for _, x := range log[start:end] {
				if a.firstIndex[x.msg] < 0 {
					a.firstIndex[x.msg] = idx
				}
				a.lastIndex[x.msg] = idx
			}
			start = end
		}
		for _, m := range a.keyMsgs.get(k) {
			if a.lastIndex[m] >= 0 {
				o.byLast = append(o.byLast, m)
			}
		}
		slices.SortFunc(o.byLast, func(m, n int32) int {
			if c := cmp.Compare(a.lastIndex[m], a.lastIndex[n]); c != 0 {
				return c
			}
			return a.valCmp(m, n)
		})
		a.orders[k] = o
	}
}

// index is message m's index in its key's version order (by-value).
func (a *kafkaAnalysis) index(m int32) (int32, bool) {
	i := a.byValue[m]
	return i, i >= 0
}

// g1a is Jepsen's g1a-cases.
func (a *kafkaAnalysis) g1a() {
	for _, rec := range a.recs {
		if op := a.h[rec.op]; op.F != "poll" || op.Status != sim.OK {
			continue
		}
		for _, e := range rec.reads() {
			if a.failed[e.msg] {
				a.v.add("G1a", "%s read key %s message %s, whose send failed: %s",
					a.desc(rec.op), a.keys[a.msgKey(e.msg)], a.val(e.msg), a.recDesc(a.writer[e.msg]))
			}
		}
	}
}

// lostWrites is Jepsen's lost-write-cases.
func (a *kafkaAnalysis) lostWrites() {
	for _, k := range a.byRank {
		if !a.keyRead[k] {
			continue
		}
		o := a.orders[k]
		bound := int32(-1)
		if o != nil {
			for _, m := range a.keyMsgs.get(k) {
				if a.readOK[m] {
					bound = max(bound, a.firstIndex[m])
				}
			}
		}
		if bound < 0 {
			a.throw("key %s was polled ok, but only ever returned empty (lost-write-cases takes element -1 of its log)", a.keys[k])
			continue
		}
		var maxRead kafkaNamed
		if j, ok := slices.BinarySearchFunc(o.byLast, bound, func(m, b int32) int { return cmp.Compare(a.lastIndex[m], b) }); ok {
			if rs := a.readers.get(o.byLast[j]); len(rs) > 0 {
				maxRead = a.recDesc(rs[0])
			}
		}
		for _, m := range o.byLast {
			if a.lastIndex[m] > bound {
				break
			}
			if a.readOK[m] {
				continue
			}
			w := a.writer[m]
			if w < 0 {
				a.throw("key %s message %s has no writer", a.keys[k], a.val(m))
				continue
			}
			if !a.mustHaveCommitted(w) {
				continue
			}
			a.v.add("lost-write", "key %s message %s (index %d) was sent by %s and never polled, though index %d was, by %s",
				a.keys[k], a.val(m), a.firstIndex[m], a.recDesc(w), bound, maxRead)
		}
	}
}

// processOps yields each process, in order, with its ops (history
// indices), in order.
func (a *kafkaAnalysis) processOps() iter.Seq2[int, []int32] {
	if a.byProcess == nil {
		a.byProcess = make([]int32, len(a.h))
		for i := range a.byProcess {
			a.byProcess[i] = int32(i)
		}
		slices.SortStableFunc(a.byProcess, func(i, j int32) int { return cmp.Compare(a.h[i].Process, a.h[j].Process) })
	}
	return func(yield func(int, []int32) bool) {
		for ops := a.byProcess; len(ops) > 0; {
			p, n := a.h[ops[0]].Process, 1
			for n < len(ops) && a.h[ops[n]].Process == p {
				n++
			}
			if !yield(p, ops[:n]) {
				return
			}
			ops = ops[n:]
		}
	}
}

// assigned returns what an assign leaves of last: the entries of the keys
// it assigned (Jepsen's select-keys), when it was ok or info.
func (a *kafkaAnalysis) assigned(op sim.Op, last map[int32]kafkaLast) map[int32]kafkaLast {
	if op.Status == sim.Fail {
		return last
	}
	keys, _ := op.Value.([]string)
	out := map[int32]kafkaLast{}
	for _, name := range keys {
		k, known := a.keyID[name]
		if l, ok := last[k]; known && ok {
			out[k] = l
		}
	}
	return out
}

// pollSkips is Jepsen's poll-skip+nonmonotonic-cases.
func (a *kafkaAnalysis) pollSkips() {
	for p, ops := range a.processOps() {
		last := map[int32]kafkaLast{} // key → the last poll of p that returned it, and its last message there
		for _, i := range ops {
			op := a.h[i]
			switch op.F {
			case "assign":
				last = a.assigned(op, last)
			case "poll":
				r := a.recOf[i]
				if r < 0 { // never completed: nothing was recorded
					continue
				}
				for k, rs := range a.byKey(a.recs[r]) {
					if prev, ok := last[k]; ok && prev.msg >= 0 && len(rs) > 0 {
						v, v2 := prev.msg, rs[0].msg
						i1, ok1 := a.index(v)
						i2, ok2 := a.index(v2)
						if ok1 && ok2 {
							switch d := i2 - i1; {
							case d > 1:
								a.v.add("poll-skip", "process %d polled key %s up to message %s (index %d) in %s, then from message %s (index %d) in %s, skipping %v",
									p, a.keys[k], a.val(v), i1, a.recDesc(prev.rec), a.val(v2), i2, a.desc(i), a.vals(a.orders[k].byIndex[i1+1:i2]))
							case d < 1:
								a.v.add("nonmonotonic-poll", "process %d polled key %s up to message %s (index %d) in %s, then from message %s (index %d) in %s",
									p, a.keys[k], a.val(v), i1, a.recDesc(prev.rec), a.val(v2), i2, a.desc(i))
							}
						}
					}
					l := kafkaLast{rec: r, msg: -1}
					if len(rs) > 0 {
						l.msg = rs[len(rs)-1].msg
					}
					last[k] = l
				}
			}
		}
	}
}

// intPolls is Jepsen's int-poll-skip+nonmonotonic-cases.
func (a *kafkaAnalysis) intPolls() {
	for _, rec := range a.recs {
		if rec.sends {
			continue
		}
		for k, rs := range a.byKey(rec) {
			for j := 1; j < len(rs); j++ {
				v, v2 := rs[j-1].msg, rs[j].msg
				i1, ok1 := a.index(v)
				i2, ok2 := a.index(v2)
				if !ok1 || !ok2 {
					continue
				}
				switch d := i2 - i1; {
				case d > 1:
					a.v.add("int-poll-skip", "%s returned key %s message %s (index %d) then %s (index %d), skipping %v",
						a.desc(rec.op), a.keys[k], a.val(v), i1, a.val(v2), i2, a.vals(a.orders[k].byIndex[i1+1:i2]))
				case d < 1:
					a.v.add("int-nonmonotonic-poll", "%s returned key %s message %s (index %d) then %s (index %d)",
						a.desc(rec.op), a.keys[k], a.val(v), i1, a.val(v2), i2)
				}
			}
		}
	}
}

// nonmonotonicSends is Jepsen's nonmonotonic-send-cases.
func (a *kafkaAnalysis) nonmonotonicSends() {
	for p, ops := range a.processOps() {
		last := map[int32]kafkaLast{} // key → the last send of p there, and its last message
		for _, i := range ops {
			op := a.h[i]
			if op.Status != sim.OK && op.Status != sim.Info {
				continue
			}
			switch op.F {
			case "assign":
				last = a.assigned(op, last)
			case "send":
				r := a.recOf[i]
				if r < 0 { // never completed: nothing was recorded
					continue
				}
				for k, ws := range a.byKey(a.recs[r]) {
					if prev, ok := last[k]; ok {
						v, v2 := prev.msg, ws[0].msg
						i1, ok1 := a.index(v)
						i2, ok2 := a.index(v2)
						if ok1 && ok2 && i2-i1 < 1 {
							a.v.add("nonmonotonic-send", "process %d sent key %s message %s (index %d) in %s, then message %s (index %d) in %s",
								p, a.keys[k], a.val(v), i1, a.recDesc(prev.rec), a.val(v2), i2, a.desc(i))
						}
					}
					last[k] = kafkaLast{rec: r, msg: ws[len(ws)-1].msg}
				}
			}
		}
	}
}

// duplicates is Jepsen's duplicate-cases.
func (a *kafkaAnalysis) duplicates() {
	count := make([]int32, len(a.msgs))
	for _, k := range a.byRank {
		o := a.orders[k]
		if o == nil {
			continue
		}
		var dups []int32
		for _, m := range o.byIndex {
			if count[m]++; count[m] == 2 {
				dups = append(dups, m)
			}
		}
		slices.SortFunc(dups, a.valCmp)
		for _, m := range dups {
			var offs []int64
			for idx, w := range o.byIndex {
				if w == m {
					offs = append(offs, o.offsets[idx])
				}
			}
			a.v.add("duplicate", "key %s message %s appears %d times, at offsets %v", a.keys[k], a.val(m), count[m], offs)
		}
		for _, m := range o.byIndex {
			count[m] = 0
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
	polled, unseen := make([]bool, len(a.msgs)), make([]bool, len(a.msgs))
	inSent := make([]bool, len(a.keys)) // the keys Jepsen's sent map holds
	var quirk []int32                   // the last step's keys polled before any send
	for _, rec := range a.recs {
		if a.h[rec.op].Status != sim.OK {
			continue
		}
		quirk = quirk[:0]
		if rec.sends {
			for _, e := range rec.ents {
				inSent[a.msgKey(e.msg)] = true
				if !polled[e.msg] {
					unseen[e.msg] = true
				}
			}
			continue
		}
		for k, rs := range a.byKey(rec) {
			for _, e := range rs {
				polled[e.msg], unseen[e.msg] = true, false
			}
			if !inSent[k] {
				quirk = append(quirk, k)
				inSent[k] = true
			}
		}
	}
	isQuirk := make([]bool, len(a.keys))
	for _, k := range quirk {
		isQuirk[k] = true
	}
	total := 0
	for _, k := range a.byRank {
		if !inSent[k] {
			continue
		}
		var msgs, seen []int32
		for _, m := range a.keyMsgs.get(k) {
			if unseen[m] {
				msgs = append(msgs, m)
			}
			if isQuirk[k] && polled[m] {
				seen = append(seen, m)
			}
		}
		slices.SortFunc(msgs, a.valCmp)
		slices.SortFunc(seen, a.valCmp)
		msgs = append(msgs, seen...)
		if len(msgs) == 0 {
			continue
		}
		total += len(msgs)
		a.v.add("unseen", "key %s: %d acknowledged messages no poll returned: %v", a.keys[k], len(msgs), a.vals(msgs[:min(len(msgs), 32)]))
	}
	a.v.stats["unseen-count"] = total
}

// cycles is the part of Elle's cycle search that can find anything here:
// cycles of write-read and real-time edges (G1c-realtime).
func (a *kafkaAnalysis) cycles() {
	// Nodes: the recs, then one per ok op's completion event (a chain in
	// history order), through which real-time edges go: ok op → its
	// completion → later completions → an op invoked after that one.
	n := int32(len(a.recs))
	times := make([]int, 0, len(a.recs))
	for _, rec := range a.recs {
		if op := a.h[rec.op]; op.Status == sim.OK {
			times = append(times, op.CompleteEvent)
		}
	}
	slices.Sort(times)
	// Messages read that no op sent make Elle throw, in the order its
	// search goes through messages (key name, then message).
	var orphans []int32
	for m := range int32(len(a.msgs)) {
		if a.writer[m] < 0 && len(a.readers.get(m)) > 0 {
			orphans = append(orphans, m)
		}
	}
	slices.SortFunc(orphans, a.nameValCmp)
	for _, m := range orphans {
		a.throw("%s read key %s message %s, which no op sent (no-writer-of-value)",
			a.recDesc(a.readers.get(m)[0]), a.keys[a.msgKey(m)], a.val(m))
	}
	// By rec: the messages it was the writer of that some op read, in
	// that order, the reasons of its write-read edges; and each time's
	// recs, invoked after it and before the next (the last time strictly
	// before the invocation).
	sent := kafkaGroup(int(n), func(add func(int32, int32)) {
		for m := range int32(len(a.msgs)) {
			if w := a.writer[m]; w >= 0 && len(a.readers.get(m)) > 0 {
				add(w, m)
			}
		}
	})
	wrs := 0 // at most this many write-read edges
	for w := range n {
		slices.SortFunc(sent.get(w), a.nameValCmp)
		for _, m := range sent.get(w) {
			wrs += len(a.readers.get(m))
		}
	}
	after := kafkaGroup(len(times), func(add func(int32, int32)) {
		for r, rec := range a.recs {
			if t, _ := slices.BinarySearch(times, a.h[rec.op].InvokeEvent); t > 0 {
				add(int32(t-1), int32(r))
			}
		}
	})
	// The graph, in CSR form: node x's successors are to[at[x]:at[x+1]].
	at, to := make([]int32, 0, int(n)+len(times)+1), make([]int32, 0, 2*int(n)+len(times)+wrs)
	linked := make([]int32, n) // by rec: 1 + the last writer linked to it
	for w, rec := range a.recs {
		at = append(at, int32(len(to)))
		if op := a.h[rec.op]; op.Status == sim.OK {
			t, _ := slices.BinarySearch(times, op.CompleteEvent)
			to = append(to, n+int32(t))
		}
		for _, m := range sent.get(int32(w)) {
			for _, r := range a.readers.get(m) {
				if r != int32(w) && linked[r] != int32(w)+1 {
					linked[r] = int32(w) + 1
					to = append(to, r)
				}
			}
		}
	}
	for t := range int32(len(times)) {
		at = append(at, int32(len(to)))
		if int(t)+1 < len(times) {
			to = append(to, n+t+1)
		}
		to = append(to, after.get(t)...)
	}
	at = append(at, int32(len(to)))
	g := elle.NewDigraph(at, to)
	// wr returns the message of the write-read edge w → r, if there is
	// one: the first of w's that r read.
	wr := func(w, r int32) (int32, bool) {
		for _, m := range sent.get(w) {
			if w != r && slices.Contains(a.readers.get(m), r) {
				return m, true
			}
		}
		return 0, false
	}
	in := make([]bool, len(at)-1) // the nodes of the component at hand
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
		// An example cycle: a shortest one within the component through
		// its first op.
		start := int32(-1)
		for _, x := range scc {
			in[x] = true
			if x < n && (start < 0 || x < start) {
				start = x
			}
		}
		path := g.Cycle(start, func(x int32) bool { return in[x] }) // start ... start
		for _, x := range scc {
			in[x] = false
		}
		var steps []string
		var ops []sim.OpRef // the ops the steps name, in that order
		from := path[0]
		for _, y := range path[1:] {
			if y >= n {
				continue
			}
			f, t := a.recDesc(from), a.recDesc(y)
			if m, ok := wr(from, y); ok {
				steps = append(steps, fmt.Sprintf("%s sent key %s message %s, which %s polled", f, a.keys[a.msgKey(m)], a.val(m), t))
			} else {
				steps = append(steps, fmt.Sprintf("%s completed before %s began", f, t))
			}
			ops = append(append(ops, f.ops...), t.ops...)
			from = y
		}
		a.v.add("G1c-realtime", "a cycle of %d ops: %s", real, kafkaNamed{strings.Join(steps, "; "), ops})
	}
}

// strictChecks are the simulator's own checks, beyond Jepsen's.
func (a *kafkaAnalysis) strictChecks() {
	// The polls' starts, in history order, against the offsets they asked
	// for.
	slices.SortStableFunc(a.starts, func(x, y kafkaStart) int { return cmp.Compare(x.op, y.op) })
	for _, st := range a.starts {
		k := a.keys[st.key]
		if st.first < st.from {
			a.strict.add("poll-before-offset", "%s asked key %s from offset %d and got offset %d first", a.desc(st.op), k, st.from, st.first)
			continue
		}
		if o := a.orders[st.key]; o != nil {
			j, _ := slices.BinarySearch(o.offsets, st.from)
			if j < len(o.offsets) && o.offsets[j] < st.first {
				a.strict.add("poll-start-skip", "%s asked key %s from offset %d and got offset %d first, skipping offset %d (message %s)",
					a.desc(st.op), k, st.from, st.first, o.offsets[j], a.val(o.byIndex[j]))
			}
		}
	}
	// The acknowledged commits per key, by time, with the running maximum
	// of their offsets.
	type stamped struct {
		at  time.Duration
		off int64
	}
	acked := map[string][]stamped{}
	for _, co := range a.commits {
		k := a.keys[co.key]
		acked[k] = append(acked[k], stamped{a.h[co.op].Complete, co.off})
	}
	for _, ts := range acked {
		slices.SortStableFunc(ts, func(x, y stamped) int { return cmp.Compare(x.at, y.at) })
		for j := 1; j < len(ts); j++ {
			ts[j].off = max(ts[j].off, ts[j-1].off)
		}
	}
	slices.SortFunc(a.listed, func(x, y kafkaListed) int { return cmp.Compare(x.op, y.op) })
	for _, l := range a.listed {
		op := a.h[l.op]
		desc := kafkaNamed{kafkaDesc(op, l.out), []sim.OpRef{op.Ref()}}
		for _, k := range l.out.Keys {
			ts := acked[k]
			j, _ := slices.BinarySearchFunc(ts, op.Invoke, func(s stamped, t time.Duration) int { return cmp.Compare(s.at, t) })
			if j == 0 {
				continue
			}
			floor := ts[j-1].off
			switch o, listed := l.out.Committed.get(k); {
			case !listed:
				a.strict.add("committed-offset-regression", "%s: list_committed_offsets left out key %s, though a commit of offset %d was acknowledged before it began", desc, k, floor)
			case o < floor:
				a.strict.add("committed-offset-regression", "%s: list_committed_offsets gave key %s committed offset %d, though a commit of offset %d was acknowledged before it began", desc, k, o, floor)
			}
		}
	}
}

// kafkaStatus is the op's type name in Jepsen's terms.
func kafkaStatus(op sim.Op) string { return op.Status.String() }

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
	keys := 0
	for _, o := range a.orders {
		if o != nil {
			keys++
		}
	}
	a.v.stats["keys"] = keys
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

// kafkaMaxOps caps the operations an anomaly lists.
const kafkaMaxOps = 20

// kafkaVerdict collects anomalies by kind.
type kafkaVerdict struct {
	anomalies []sim.Anomaly
	counts    map[string]int
	kinds     []string // in order of first appearance
	stats     map[string]any
}

// newKafkaVerdict returns an empty verdict.
func newKafkaVerdict() *kafkaVerdict {
	return &kafkaVerdict{counts: map[string]int{}, stats: map[string]any{}}
}

// add records an anomaly of kind, its detail format with args, which
// lists the ops that its kafkaNamed args name.
func (v *kafkaVerdict) add(kind, format string, args ...any) {
	if v.counts[kind] == 0 {
		v.kinds = append(v.kinds, kind)
	}
	v.counts[kind]++
	if v.counts[kind] <= kafkaMaxPerKind {
		v.anomalies = append(v.anomalies, sim.Anomaly{Kind: kind, Detail: fmt.Sprintf(format, args...), Ops: kafkaOps(args)})
	}
}

// kafkaNamed is text that names ops in an anomaly's detail: it prints as
// text, and the verdict lists ops among the anomaly's operations.
type kafkaNamed struct {
	text string
	ops  []sim.OpRef // in the order text names them
}

// String implements fmt.Stringer: the text.
func (n kafkaNamed) String() string { return n.text }

// kafkaOps gathers the ops an anomaly's args name (kafkaNamed), each once,
// in the order first named, at most kafkaMaxOps of them.
func kafkaOps(args []any) []sim.OpRef {
	var ops []sim.OpRef
	for _, arg := range args {
		n, ok := arg.(kafkaNamed)
		if !ok {
			continue
		}
		for _, r := range n.ops {
			if len(ops) == kafkaMaxOps {
				return ops
			}
			if !slices.ContainsFunc(ops, func(o sim.OpRef) bool { return o.Index == r.Index }) {
				ops = append(ops, r)
			}
		}
	}
	return ops
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

// desc names send or poll i, history op i, for a person and for the
// anomaly's list of operations.
func (a *kafkaAnalysis) desc(i int32) kafkaNamed {
	op := a.h[i]
	ops := []sim.OpRef{op.Ref()}
	if op.Status != sim.OK {
		return kafkaNamed{kafkaDesc(op, nil), ops}
	}
	if out, odd := a.odd[i]; odd {
		return kafkaNamed{kafkaDesc(op, out), ops}
	}
	return kafkaNamed{kafkaDesc(op, a.value(a.recs[a.recOf[i]])), ops}
}

// recDesc names rec r's op, as desc does.
func (a *kafkaAnalysis) recDesc(r int32) kafkaNamed { return a.desc(a.recs[r].op) }

// value is the completion value of rec's ok op, which it describes in
// full (kafkaPlain): one micro-op.
func (a *kafkaAnalysis) value(rec kafkaRec) []kafkaMop {
	if rec.sends {
		e := rec.ents[0]
		v := a.val(e.msg)
		return []kafkaMop{{F: "send", Key: a.keys[a.msgKey(e.msg)], Msg: v.N, Offset: e.off, Acked: e.acked}}
	}
	p := &kafkaPolled{Msgs: kafkaMsgs{}}
	for k, rs := range a.byKey(rec) {
		km := kafkaKeyMsgs{Key: a.keys[k], Pairs: make([]kafkaPair, len(rs))}
		for j, e := range rs {
			v := a.val(e.msg)
			km.Pairs[j] = kafkaPair{Offset: e.off, Msg: v.N}
			if v.Raw != "" {
				if km.Raw == nil {
					km.Raw = map[int]string{}
				}
				km.Raw[j] = v.Raw
			}
		}
		p.Msgs = append(p.Msgs, km)
	}
	return []kafkaMop{{F: "poll", Polled: p}}
}

// kafkaDesc names an op whose completion value is out: process, node, :f,
// outcome, times, value.
func kafkaDesc(op sim.Op, out any) string {
	val := op.Value
	if op.Status == sim.OK && out != nil {
		val = out
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

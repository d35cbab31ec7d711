package spec

import (
	"cmp"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/glomers/glomers/sim"
)

// kafkaLog is what the history reveals about one key's log: the messages
// seen at each offset, by acknowledged sends and by polls.
type kafkaLog struct {
	atOffset map[int][]int64 // offset → distinct messages
	offsets  map[int64][]int // message → distinct offsets
	known    []int           // offsets holding a message, sorted

	polled      map[int64]bool // messages returned by some ok poll
	maxPolled   int            // highest offset returned by an ok poll; -1 if none
	maxPolledBy int            // history index of that poll
}

func (l *kafkaLog) note(off int, msg int64) {
	if !slices.Contains(l.atOffset[off], msg) {
		l.atOffset[off] = append(l.atOffset[off], msg)
	}
	if !slices.Contains(l.offsets[msg], off) {
		l.offsets[msg] = append(l.offsets[msg], off)
	}
}

// knownIn returns the smallest known offset x with lo < x < hi.
func (l *kafkaLog) knownIn(lo, hi int) (int, bool) {
	i := sort.SearchInts(l.known, lo+1)
	if i < len(l.known) && l.known[i] < hi {
		return l.known[i], true
	}
	return 0, false
}

// kafkaSend is one send in the history.
type kafkaSend struct {
	idx       int
	key       string
	msg       int64
	offset    int
	hasOffset bool // acknowledged with a valid offset
}

// kafkaPoll is one ok poll: the offsets asked for and the pairs returned.
type kafkaPoll struct {
	idx   int
	asked map[string]int
	msgs  map[string][][]int64
}

// kafkaList is one ok list_committed_offsets: the keys asked for and the
// offsets returned.
type kafkaList struct {
	idx     int
	keys    []string
	offsets map[string]int
}

// stamped is an offset at a point in time.
type stamped struct {
	at  time.Duration
	off int
}

// Check implements sim.Spec; the package comment lists what it checks.
func (*kafkaSpec) Check(h sim.History) sim.Result {
	v := newVerdict()
	logs := map[string]*kafkaLog{}
	logOf := func(k string) *kafkaLog {
		l := logs[k]
		if l == nil {
			l = &kafkaLog{atOffset: map[int][]int64{}, offsets: map[int64][]int{}, polled: map[int64]bool{}, maxPolled: -1}
			logs[k] = l
		}
		return l
	}

	var sends []kafkaSend
	writers := map[string]map[int64][]int{} // key → message → history indices of its sends
	var polls []kafkaPoll
	commitsInvoked := map[string][]stamped{} // ok or info commits, at invocation
	commitsAcked := map[string][]stamped{}   // ok commits, at completion
	var lists []kafkaList

	for i, op := range h {
		switch op.Type {
		case "send":
			s := kafkaSend{idx: i}
			if field(op.Req, "key", &s.key) != nil || field(op.Req, "msg", &s.msg) != nil {
				v.add("malformed-request", "%s: %.200s", describe(op), op.Req)
				continue
			}
			if writers[s.key] == nil {
				writers[s.key] = map[int64][]int{}
			}
			writers[s.key][s.msg] = append(writers[s.key][s.msg], i)
			if op.Status == sim.OK {
				if err := field(op.Resp, "offset", &s.offset); err != nil {
					v.add("malformed-reply", "%s: %v", describe(op), err)
				} else {
					s.hasOffset = true
					logOf(s.key).note(s.offset, s.msg)
				}
			}
			sends = append(sends, s)
		case "poll":
			if op.Status != sim.OK {
				continue
			}
			p := kafkaPoll{idx: i}
			if !v.decodeOp(op, "offsets", &p.asked, "msgs", &p.msgs) {
				continue
			}
			ok := true
			for k, pairs := range p.msgs {
				for _, pr := range pairs {
					if len(pr) != 2 {
						v.add("malformed-reply", "%s: key %s has entry %v, not [offset, msg]", describe(op), k, pr)
						ok = false
					}
				}
			}
			if !ok {
				continue
			}
			for k, pairs := range p.msgs {
				l := logOf(k)
				for _, pr := range pairs {
					off, msg := int(pr[0]), pr[1]
					l.note(off, msg)
					l.polled[msg] = true
					if off > l.maxPolled {
						l.maxPolled, l.maxPolledBy = off, i
					}
				}
			}
			polls = append(polls, p)
		case "commit_offsets":
			if op.Status == sim.Fail {
				continue
			}
			var offs map[string]int
			if err := field(op.Req, "offsets", &offs); err != nil {
				v.add("malformed-request", "%s: %v", describe(op), err)
				continue
			}
			for k, o := range offs {
				commitsInvoked[k] = append(commitsInvoked[k], stamped{op.Invoke, o})
				if op.Status == sim.OK {
					commitsAcked[k] = append(commitsAcked[k], stamped{op.Complete, o})
				}
			}
		case "list_committed_offsets":
			if op.Status != sim.OK {
				continue
			}
			l := kafkaList{idx: i}
			if v.decodeOp(op, "keys", &l.keys, "offsets", &l.offsets) {
				lists = append(lists, l)
			}
		}
	}
	for _, l := range logs {
		l.known = slices.Sorted(maps.Keys(l.atOffset))
	}
	keys := slices.Sorted(maps.Keys(logs))

	// One offset, one message; one message, one offset.
	for _, k := range keys {
		l := logs[k]
		for _, off := range l.known {
			if msgs := l.atOffset[off]; len(msgs) > 1 {
				v.add("inconsistent-offsets", "key %s offset %d holds messages %v", k, off, msgs)
			}
		}
		for _, msg := range slices.Sorted(maps.Keys(l.offsets)) {
			if offs := l.offsets[msg]; len(offs) > 1 {
				v.add("duplicate", "key %s message %d is at offsets %v", k, msg, offs)
			}
		}
	}

	// What polls returned must have been sent, by a send that did not fail.
	for _, p := range polls {
		for _, k := range slices.Sorted(maps.Keys(p.msgs)) {
			for _, pr := range p.msgs[k] {
				ws, ok := writers[k][pr[1]]
				if !ok {
					v.add("unexpected-message", "%s returned key %s offset %d message %d, never sent to that key", describe(h[p.idx]), k, pr[0], pr[1])
					continue
				}
				if !slices.ContainsFunc(ws, func(i int) bool { return h[i].Status != sim.Fail }) {
					v.add("aborted-read", "%s returned key %s message %d, whose send failed: %s", describe(h[p.idx]), k, pr[1], describe(h[ws[0]]))
				}
			}
		}
	}

	// Every acknowledged send must be polled by someone.
	lost, unseen, okSends := 0, 0, 0
	for _, s := range sends {
		if !s.hasOffset {
			continue
		}
		okSends++
		l := logs[s.key]
		if l.polled[s.msg] {
			continue
		}
		if s.offset <= l.maxPolled {
			lost++
			v.add("lost-write", "%s: key %s message %d acknowledged at offset %d, never polled, though %s returned offset %d",
				describe(h[s.idx]), s.key, s.msg, s.offset, describe(h[l.maxPolledBy]), l.maxPolled)
		} else {
			unseen++
			v.add("unseen", "%s: key %s message %d acknowledged at offset %d, never polled (highest offset polled: %d)",
				describe(h[s.idx]), s.key, s.msg, s.offset, l.maxPolled)
		}
	}

	// Each poll returns, per key, a run of increasing offsets that starts
	// at the asked offset or later and skips no message known to exist.
	for _, p := range polls {
		op := h[p.idx]
		for _, k := range slices.Sorted(maps.Keys(p.msgs)) {
			pairs, l := p.msgs[k], logs[k]
			if len(pairs) == 0 {
				continue
			}
			if asked, ok := p.asked[k]; ok {
				first := int(pairs[0][0])
				if first < asked {
					v.add("nonmonotonic-poll", "%s asked key %s from offset %d, got offset %d first", describe(op), k, asked, first)
				} else if x, ok := l.knownIn(asked-1, first); ok {
					v.add("poll-skip", "%s asked key %s from offset %d, started at %d, skipping offset %d", describe(op), k, asked, first, x)
				}
			}
			for i := 1; i < len(pairs); i++ {
				a, b := int(pairs[i-1][0]), int(pairs[i][0])
				if b <= a {
					v.add("nonmonotonic-poll", "%s returned key %s offset %d after offset %d", describe(op), k, b, a)
				} else if x, ok := l.knownIn(a, b); ok {
					v.add("poll-skip", "%s returned key %s offsets %d then %d, skipping offset %d", describe(op), k, a, b, x)
				}
			}
		}
	}

	// A client's successive sends to a key get increasing offsets.
	lastSend := map[int]map[string]kafkaSend{}
	for _, s := range sends {
		if !s.hasOffset {
			continue
		}
		p := h[s.idx].Process
		if lastSend[p] == nil {
			lastSend[p] = map[string]kafkaSend{}
		}
		if prev, ok := lastSend[p][s.key]; ok && s.offset <= prev.offset {
			v.add("nonmonotonic-send", "process %d sent key %s message %d at offset %d after message %d at offset %d",
				p, s.key, s.msg, s.offset, prev.msg, prev.offset)
		}
		lastSend[p][s.key] = s
	}

	// Committed offsets: never past what clients asked to commit (+1, the
	// next offset to read), never below a commit acknowledged before the
	// list began.
	for _, m := range []map[string][]stamped{commitsInvoked, commitsAcked} {
		for k, ts := range m {
			slices.SortStableFunc(ts, func(a, b stamped) int { return cmp.Compare(a.at, b.at) })
			for i := 1; i < len(ts); i++ {
				ts[i].off = max(ts[i].off, ts[i-1].off) // running maximum
			}
			m[k] = ts
		}
	}
	for _, l := range lists {
		op := h[l.idx]
		ks := slices.Clone(l.keys)
		for k := range l.offsets {
			if !slices.Contains(ks, k) {
				ks = append(ks, k)
			}
		}
		slices.Sort(ks)
		for _, k := range ks {
			o, listed := l.offsets[k]
			if asked := maxBefore(commitsInvoked[k], op.Complete, -1); listed && o > asked+1 {
				v.add("committed-offset-ahead", "%s listed key %s committed at %d, but no commit of an offset above %d had been sent", describe(op), k, o, asked)
			}
			floor := maxBefore(commitsAcked[k], op.Invoke, -1)
			switch {
			case !listed && floor >= 0:
				v.add("committed-offset-regression", "%s left out key %s, though a commit of offset %d was acknowledged before it began", describe(op), k, floor)
			case listed && o < floor:
				v.add("committed-offset-regression", "%s listed key %s committed at %d, though a commit of offset %d was acknowledged before it began", describe(op), k, o, floor)
			}
		}
	}

	v.stats["keys"] = len(keys)
	v.stats["send-ok-count"] = okSends
	v.stats["poll-ok-count"] = len(polls)
	v.stats["lost-count"] = lost
	v.stats["unseen-count"] = unseen
	return v.result()
}

// maxBefore is the running maximum of ts (sorted by time) over the entries
// strictly before t, or def when there are none.
func maxBefore(ts []stamped, t time.Duration, def int) int {
	i := sort.Search(len(ts), func(i int) bool { return ts[i].at >= t })
	if i == 0 {
		return def
	}
	return ts[i-1].off
}

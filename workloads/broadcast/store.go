package broadcast

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// Segment is a run of values from one origin with consecutive sequence
// numbers: Values[i] has sequence number Seq+i. It is the unit every gossip
// and repair message carries.
type Segment struct {
	Origin int     `json:"o"` // index in node_ids of the node that first took the values from a client
	Seq    int     `json:"s"` // sequence number of Values[0] at that origin
	Values []int64 `json:"v"`
}

// slot is one value held, with when this node learned it (Unix nanoseconds).
type slot struct {
	v  int64
	at int64
}

// originLog is what a node holds of one origin's values: the contiguous
// prefix 0..len(prefix)-1, and the values that arrived past a gap.
type originLog struct {
	prefix []slot
	after  map[int]slot // seq > len(prefix); nil while empty
}

// store holds every value a node knows, twice indexed: by (origin, seq) for
// anti-entropy, and as a set plus an append-only encoding for reads.
// Memory is a few words per value. Not safe for concurrent use, except that
// the slice returned by readSnapshot may be read while the store grows.
type store struct {
	logs []originLog
	seen map[int64]struct{}
	enc  []byte // the values seen, JSON-encoded and comma-separated, in arrival order
}

func newStore(nodes int) *store {
	return &store{logs: make([]originLog, nodes), seen: make(map[int64]struct{})}
}

// originate records v as the next value of origin self, unless v is
// already known, and returns its sequence number and whether it is new.
func (s *store) originate(self int, v int64, at int64) (seq int, fresh bool) {
	if _, ok := s.seen[v]; ok {
		return 0, false
	}
	seq = len(s.logs[self].prefix) // the engine never lets peers put values past it
	if _, err := s.add(self, seq, v, at); err != nil {
		panic(err) // unreachable: self is a valid origin and seq is the next one
	}
	return seq, true
}

// add records value v as sequence seq of origin o. It reports whether the
// (origin, seq) slot was new; a value already seen under another slot still
// fills the slot, so digests stay exact, but is listed only once by reads.
func (s *store) add(o, seq int, v int64, at int64) (fresh bool, err error) {
	if o < 0 || o >= len(s.logs) || seq < 0 {
		return false, fmt.Errorf("value %d: origin %d or sequence %d out of range", v, o, seq)
	}
	l := &s.logs[o]
	switch {
	case seq < len(l.prefix):
		return false, nil
	case seq == len(l.prefix):
		l.prefix = append(l.prefix, slot{v, at})
		for { // absorb values that were waiting for this gap to close
			next, ok := l.after[len(l.prefix)]
			if !ok {
				break
			}
			delete(l.after, len(l.prefix))
			l.prefix = append(l.prefix, next)
		}
	default:
		if _, ok := l.after[seq]; ok {
			return false, nil
		}
		if l.after == nil {
			l.after = make(map[int]slot)
		}
		l.after[seq] = slot{v, at}
	}
	if _, ok := s.seen[v]; !ok {
		s.seen[v] = struct{}{}
		if len(s.enc) > 0 {
			s.enc = append(s.enc, ',')
		}
		s.enc = strconv.AppendInt(s.enc, v, 10)
	}
	return true, nil
}

// size is the number of distinct values held.
func (s *store) size() int { return len(s.seen) }

// readSnapshot returns the comma-separated encoding of every value held. The
// store only ever appends past the returned length, so the caller may read
// the slice after releasing the lock that guards the store.
func (s *store) readSnapshot() []byte { return s.enc[:len(s.enc):len(s.enc)] }

// digest is the summary a node sends in anti-entropy: for each origin, the
// length of the contiguous prefix it holds. N integers, whatever the number
// of values.
func (s *store) digest() []int {
	d := make([]int, len(s.logs))
	for o := range s.logs {
		d[o] = len(s.logs[o].prefix)
	}
	return d
}

// lacks reports whether a peer with digest d holds a value this store does
// not: some origin's prefix there is longer than here.
func (s *store) lacks(d []int) bool {
	for o, n := range d {
		if n > len(s.logs[o].prefix) {
			return true
		}
	}
	return false
}

// missing lists the values a peer with digest d may lack (those past its
// prefixes), restricted to values learned at or before cutoff. Values
// learned later are likely still on their way to the peer by the normal
// path, so offering them would mostly duplicate traffic.
func (s *store) missing(d []int, cutoff int64) []Segment {
	var out []Segment
	for o := range s.logs {
		l := &s.logs[o]
		from := d[o]
		for seq := max(from, 0); seq < len(l.prefix); seq++ {
			if sl := l.prefix[seq]; sl.at <= cutoff {
				out = appendValue(out, o, seq, sl.v)
			}
		}
		for _, seq := range slices.Sorted(maps.Keys(l.after)) {
			if sl := l.after[seq]; seq >= from && sl.at <= cutoff {
				out = appendValue(out, o, seq, sl.v)
			}
		}
	}
	return out
}

// appendValue adds (o, seq, v) to segs, extending the last segment when the
// value continues it.
func appendValue(segs []Segment, o, seq int, v int64) []Segment {
	if k := len(segs) - 1; k >= 0 && segs[k].Origin == o && segs[k].Seq+len(segs[k].Values) == seq {
		segs[k].Values = append(segs[k].Values, v)
		return segs
	}
	return append(segs, Segment{Origin: o, Seq: seq, Values: []int64{v}})
}

package broadcast

import (
	"maps"
	"slices"
)

// maxValuesPerMessage bounds the values one gossip or repair message
// carries. A repair after a partition of minutes can owe a peer tens of
// thousands of values; one line of megabytes is legal in Maelstrom, but
// lines of a few tens of kilobytes keep every message cheap to parse, to
// journal and to show on Maelstrom's side, and let the receiver take the
// lock for a bounded time per message. All the chunks go out at once, so
// the bound costs no latency, and it costs an extra message only per 4096
// values, far beyond what a batch holds without faults.
const maxValuesPerMessage = 4096

// batcher holds the values waiting to go to each destination, so that one
// message carries every value queued for a peer since its last flush.
type batcher struct {
	queues map[int][]Segment // destination index → pending values
}

func newBatcher() *batcher { return &batcher{queues: make(map[int][]Segment)} }

// add queues value v (sequence seq of origin o) for dest.
func (b *batcher) add(dest, o, seq int, v int64) {
	b.queues[dest] = appendValue(b.queues[dest], o, seq, v)
}

// take removes and returns what is queued for dest.
func (b *batcher) take(dest int) []Segment {
	segs := b.queues[dest]
	delete(b.queues, dest)
	return segs
}

// pending lists the destinations with something queued, in order.
func (b *batcher) pending() []int {
	return slices.Sorted(maps.Keys(b.queues))
}

// chunk splits segs, in order, into groups of at most limit values each,
// cutting a segment in two where a group boundary falls inside it. The
// pieces share the backing arrays of segs.
func chunk(segs []Segment, limit int) [][]Segment {
	var (
		out  [][]Segment
		cur  []Segment
		room = limit
	)
	for _, sg := range segs {
		for len(sg.Values) > 0 {
			k := min(room, len(sg.Values))
			cur = append(cur, Segment{Origin: sg.Origin, Seq: sg.Seq, Values: sg.Values[:k:k]})
			sg.Seq, sg.Values, room = sg.Seq+k, sg.Values[k:], room-k
			if room == 0 {
				out, cur, room = append(out, cur), nil, limit
			}
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

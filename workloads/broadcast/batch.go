package broadcast

import (
	"maps"
	"slices"
)

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

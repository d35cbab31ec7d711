package sim

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"sync"
	"time"
)

// The loop is the run's one coordinator: it alone routes messages, keeps
// the timeline of future events, answers for the services and runs the
// interpreter. Everything else — in-process nodes, node processes' output
// readers, client threads — hands it work through post and waits on a
// channel. That is what makes a run reproducible from its seed: inside a
// synctest bubble the loop lets every other goroutine finish what the last
// event started (settle, which is synctest.Wait) before it looks at what
// they posted, and then takes it in a canonical order, so the order in
// which the Go scheduler happened to run them never shows.

// itemKind says what a posted item is.
type itemKind int

const (
	itemSend     itemKind = iota // a message written by a node
	itemCall                     // a client's request, to be sent and awaited
	itemComplete                 // a client thread finished an operation
	itemWake                     // nothing to do: look again (a phase ended)
)

// item is one piece of work posted to the loop.
type item struct {
	kind itemKind

	from *endpoint // itemSend: the sender
	dest string    // itemSend, itemCall: the destination
	line []byte    // itemSend: the whole line; itemCall: the body

	cl      *clientConn   // itemCall: the calling client
	timeout time.Duration // itemCall

	th *thread // itemComplete

	key []byte // itemSend: line without message ids, set by take for sorting
}

// sortKey orders items of one batch canonically: sends by sender,
// destination and content (message ids aside, since concurrent goroutines
// of one node draw them in any order), then calls and completions by
// client and thread.
func (it *item) less(o *item) int {
	if c := cmp.Compare(it.kind, o.kind); c != 0 {
		return c
	}
	switch it.kind {
	case itemSend:
		if c := cmp.Compare(it.from.id, o.from.id); c != 0 {
			return c
		}
		if c := cmp.Compare(it.dest, o.dest); c != 0 {
			return c
		}
		return bytes.Compare(it.key, o.key)
	case itemCall:
		return cmp.Compare(it.cl.order, o.cl.order)
	case itemComplete:
		return cmp.Compare(it.th.n, o.th.n)
	}
	return 0
}

// withoutIDs returns line with its "msg_id" and "in_reply_to" numbers
// blanked, for sorting.
func withoutIDs(line []byte) []byte {
	out := line
	for _, key := range [][]byte{[]byte(`"msg_id":`), []byte(`"in_reply_to":`)} {
		i := bytes.Index(out, key)
		if i < 0 {
			continue
		}
		j := i + len(key)
		for j < len(out) && (out[j] >= '0' && out[j] <= '9' || out[j] == '-') {
			j++
		}
		out = append(append(slices.Clip(out[:i:i]), key...), out[j:]...)
	}
	return out
}

// eventKind says what a timeline event does.
type eventKind int

const (
	evDeliver eventKind = iota // a message arrives
	evTimeout                  // a client gives up on a call
	evWake                     // a sleeping thread wakes
)

// event is one future happening on the timeline.
type event struct {
	at   time.Time
	seq  uint64 // order of scheduling, for ties
	kind eventKind
	m    *message    // evDeliver
	call *pendingRPC // evTimeout
	th   *thread     // evWake
}

// eventHeap is a min-heap of events by (at, seq).
type eventHeap []event

func (h eventHeap) less(i, j int) bool {
	if c := h[i].at.Compare(h[j].at); c != 0 {
		return c < 0
	}
	return h[i].seq < h[j].seq
}

func (h *eventHeap) push(e event) {
	*h = append(*h, e)
	q := *h
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if !q.less(i, p) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
}

func (h *eventHeap) pop() event {
	q := *h
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q[last] = event{}
	q = q[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(q) && q.less(l, m) {
			m = l
		}
		if r < len(q) && q.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	*h = q
	return top
}

// mailbox is where other goroutines post items for the loop.
type mailbox struct {
	mu    sync.Mutex
	items []item
	wake  chan struct{} // cap 1: items arrived
}

func newMailbox() *mailbox { return &mailbox{wake: make(chan struct{}, 1)} }

// post hands an item to the loop; it never blocks.
func (mb *mailbox) post(it item) {
	mb.mu.Lock()
	mb.items = append(mb.items, it)
	mb.mu.Unlock()
	select {
	case mb.wake <- struct{}{}:
	default:
	}
}

// take returns the posted items in canonical order.
func (mb *mailbox) take() []item {
	mb.mu.Lock()
	items := mb.items
	mb.items = nil
	mb.mu.Unlock()
	if len(items) > 1 {
		for i := range items {
			if items[i].kind == itemSend {
				items[i].key = withoutIDs(items[i].line)
			}
		}
		slices.SortStableFunc(items, func(a, b item) int { return a.less(&b) })
	}
	return items
}

// timeline is the loop's queue of future events.
type timeline struct {
	q   eventHeap
	seq uint64
}

func (t *timeline) at(e event) {
	t.seq++
	e.seq = t.seq
	t.q.push(e)
}

// due pops the next event at or before now.
func (t *timeline) due(now time.Time) (event, bool) {
	if len(t.q) == 0 || t.q[0].at.After(now) {
		return event{}, false
	}
	return t.q.pop(), true
}

// next is the time of the earliest event, if any.
func (t *timeline) next() (time.Time, bool) {
	if len(t.q) == 0 {
		return time.Time{}, false
	}
	return t.q[0].at, true
}

// sleeper waits for the loop: until a deadline, a posted item or the end
// of ctx, on one reusable timer.
type sleeper struct{ timer *time.Timer }

// wait blocks until t (zero: no deadline), a wake-up or ctx's end, and
// reports whether ctx is still alive.
func (s *sleeper) wait(ctx context.Context, wake <-chan struct{}, t time.Time) bool {
	var tick <-chan time.Time
	if !t.IsZero() {
		if s.timer == nil {
			s.timer = time.NewTimer(time.Until(t))
		} else {
			s.timer.Reset(time.Until(t))
		}
		tick = s.timer.C
		defer s.timer.Stop()
	}
	select {
	case <-tick:
	case <-wake:
	case <-ctx.Done():
		return false
	}
	return true
}

package sim

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/glomers/glomers/node"
)

// kind is what sits at the end of a link.
type kind int

const (
	server kind = iota
	client
	service
)

// receiver takes delivered messages. receive must not block: it runs on
// the sender's goroutine (zero latency) or on the scheduler's.
type receiver interface {
	receive(m *message)
}

// endpoint is one named party of the network.
type endpoint struct {
	id    string
	kind  kind
	index int // position among the servers; -1 for others
	recv  receiver
	rng   lockedRand // latency draws of messages this endpoint sends
}

// message is one line in flight. line is the whole JSON message with its
// trailing newline, owned by the message.
type message struct {
	from, to *endpoint
	line     []byte
}

// network routes messages between endpoints: it counts every message sent,
// delays node↔node and node↔service messages by the latency, and drops
// those a partition cuts when they arrive, as Maelstrom's network does.
// The endpoint table is fixed before any message flows, so routing reads it
// without a lock.
type network struct {
	endpoints map[string]*endpoint
	servers   []*endpoint
	lat       latency
	sched     *scheduler
	grudge    atomic.Pointer[grudge] // nil when healed
	bad       func(problem string)   // told of messages to no such endpoint

	nAll, nClients, nServers, nDropped, nUnroutable atomic.Int64
}

func newNetwork(lat latency, sched *scheduler, bad func(problem string)) *network {
	return &network{endpoints: make(map[string]*endpoint), lat: lat, sched: sched, bad: bad}
}

// add registers an endpoint; call before any message flows.
func (nw *network) add(id string, k kind, recv receiver, rng *rand.Rand) *endpoint {
	e := &endpoint{id: id, kind: k, index: -1, recv: recv}
	e.rng.r = rng
	if k == server {
		e.index = len(nw.servers)
		nw.servers = append(nw.servers, e)
	}
	nw.endpoints[id] = e
	return e
}

// send routes one line from an endpoint to dest. The line must end in a
// newline and is owned by the network from now on. A message to no such
// endpoint is refused and not counted as sent, as Maelstrom's network
// refuses it before journaling; it is reported to bad.
func (nw *network) send(from *endpoint, dest string, line []byte) {
	to := nw.endpoints[dest]
	if to == nil {
		nw.nUnroutable.Add(1)
		nw.bad(fmt.Sprintf("%s sent a message to %q, which is no node, client or service: %.120q", from.id, dest, line))
		return
	}
	nw.nAll.Add(1)
	if from.kind == client || to.kind == client {
		nw.nClients.Add(1)
	} else {
		nw.nServers.Add(1)
	}
	m := &message{from: from, to: to, line: line}
	var d time.Duration
	if from.kind != client && to.kind != client {
		d = from.rng.delay(nw.lat)
	}
	if d <= 0 {
		nw.deliver(m)
		return
	}
	nw.sched.at(time.Now().Add(d), m)
}

// deliver hands a message to its receiver unless a partition cuts it.
func (nw *network) deliver(m *message) {
	if g := nw.grudge.Load(); g != nil && m.from.kind == server && m.to.kind == server && g.drops(m.to.index, m.from.index) {
		nw.nDropped.Add(1)
		return
	}
	m.to.recv.receive(m)
}

// stats returns the message counts, per op over ops.
func (nw *network) stats(ops int) NetStats {
	per := func(n int64) MsgCount {
		c := MsgCount{Msgs: int(n)}
		if ops > 0 {
			c.MsgsPerOp = float64(n) / float64(ops)
		}
		return c
	}
	return NetStats{
		All:        per(nw.nAll.Load()),
		Clients:    per(nw.nClients.Load()),
		Servers:    per(nw.nServers.Load()),
		Dropped:    int(nw.nDropped.Load()),
		Unroutable: int(nw.nUnroutable.Load()),
	}
}

// envelope builds the line for a message the simulator itself sends (from
// a client or a service), laid out exactly as package node lays out its own.
func envelope(src, dest string, body []byte, key string, val int64) []byte {
	return node.AppendEnvelope(make([]byte, 0, len(body)+len(src)+len(dest)+48), src, dest, body, key, val)
}

// header reads src and dest of a line. Lines written by package node start
// exactly with {"src":"…","dest":"…" and are read without parsing the rest
// (the body may be large, and only its receiver needs it); anything else
// goes through node.ParseLine.
func header(line []byte) (src, dest string, ok bool) {
	const p1, p2 = `{"src":"`, `","dest":"`
	if rest, found := bytes.CutPrefix(line, []byte(p1)); found {
		if i := bytes.IndexAny(rest, `"\`); i >= 0 && rest[i] == '"' {
			if rest2, found := bytes.CutPrefix(rest[i:], []byte(p2)); found {
				if j := bytes.IndexAny(rest2, `"\`); j >= 0 && rest2[j] == '"' {
					return string(rest[:i]), string(rest2[:j]), true
				}
			}
		}
	}
	msg, _, err := node.ParseLine(line)
	if err != nil || msg.Dest == "" {
		return "", "", false
	}
	return msg.Src, msg.Dest, true
}

// scheduler delivers delayed messages at their time from one goroutine,
// in time order (ties in the order they were scheduled): a heap and one
// timer instead of a goroutine or timer per message.
type scheduler struct {
	nw   *network
	mu   sync.Mutex
	q    eventHeap
	seq  uint64
	wake chan struct{} // cap 1: the head of q changed
	done chan struct{} // closed by stop
}

type event struct {
	at  time.Time
	seq uint64
	m   *message
}

func newScheduler() *scheduler {
	return &scheduler{wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// at schedules m for delivery at t.
func (s *scheduler) at(t time.Time, m *message) {
	s.mu.Lock()
	s.seq++
	s.q.push(event{at: t, seq: s.seq, m: m})
	head := s.q[0].seq == s.seq
	s.mu.Unlock()
	if head {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// run delivers events until stop; messages still queued then are dropped.
func (s *scheduler) run() {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var due []*message
	for {
		s.mu.Lock()
		now := time.Now()
		wait := time.Duration(-1)
		for len(s.q) > 0 {
			if d := s.q[0].at.Sub(now); d > 0 {
				wait = d
				break
			}
			due = append(due, s.q.pop().m)
		}
		s.mu.Unlock()
		if len(due) > 0 {
			for i, m := range due {
				s.nw.deliver(m)
				due[i] = nil
			}
			due = due[:0]
			continue
		}
		var tick <-chan time.Time
		if wait >= 0 {
			timer.Reset(wait)
			tick = timer.C
		}
		select {
		case <-tick:
		case <-s.wake:
		case <-s.done:
			timer.Stop()
			return
		}
		timer.Stop()
	}
}

func (s *scheduler) stop() { close(s.done) }

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

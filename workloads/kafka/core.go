package kafka

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Result is how a waiting request ended: the offset of a send (zero for a
// commit) or an error.
type Result struct {
	Offset int64
	Err    error
}

// Ticket delivers the one Result of a request that waits for a chunk. It is
// buffered, so the core never blocks on a requester that gave up.
type Ticket chan Result

func newTicket() Ticket { return make(Ticket, 1) }

func (t Ticket) resolve(r Result) {
	if t != nil {
		t <- r
	}
}

// Core is a node's whole protocol state, without I/O and without locking:
// the replicated logs and committed offsets applied so far from every
// stream, and the node's own stream being written. The caller serialises
// calls (Broker holds a mutex around it).
//
// Lifecycle of the own stream: Send and Commit queue work; Take cuts the
// queue into the next chunk, assigning offsets to entries; the caller writes
// the chunk to lin-kv and calls Durable, which applies it and resolves the
// tickets it carries. At most one chunk is between Take and Durable.
type Core struct {
	self  string
	nodes []string
	peers []string // nodes without self

	logs      map[string][]json.RawMessage // key → message at each offset, from 0
	committed map[string]int64             // key → highest committed offset
	next      map[string]int64             // stream → seq of the next chunk to apply
	ahead     map[string]map[int64]*Chunk  // stream → chunks received before their turn

	seq       int64             // own stream: seq of the next chunk Take cuts
	offsets   map[string]int64  // owned key → next offset to assign
	queue     queue             // work for the next chunk
	flight    *flight           // chunk taken, not yet durable
	proposals map[int64]waiting // own proposal id → the send waiting for its entry
	awaiting  map[string]int    // owner → how many own proposals it has yet to answer
	lastID    int64             // last proposal id used
	closed    error             // set by Close: nothing more is accepted
}

// queue is the work waiting for the next own chunk.
type queue struct {
	sends     []queuedSend
	proposals []Proposal
	commits   map[string]int64
	waiters   []Ticket // commits waiting for durability
}

// queuedSend is a send to a key this node owns: received here (ticket set)
// or proposed by another node (from and id set).
type queuedSend struct {
	key    string
	msg    json.RawMessage
	from   string
	id     int64
	ticket Ticket
}

// waiting is a send to another owner's key, waiting for the owner's entry.
type waiting struct {
	owner  string
	ticket Ticket
}

// flight is the chunk between Take and Durable, with the tickets it
// resolves: one per entry (nil for proposals answered through the stream)
// and the commits' waiters.
type flight struct {
	seq     int64
	chunk   *Chunk
	sends   []Ticket
	waiters []Ticket
}

// NewCore returns the state of node self among nodes (init's node_ids).
func NewCore(self string, nodes []string) *Core {
	peers := make([]string, 0, len(nodes))
	for _, n := range nodes {
		if n != self {
			peers = append(peers, n)
		}
	}
	return &Core{
		self:      self,
		nodes:     nodes,
		peers:     peers,
		logs:      make(map[string][]json.RawMessage),
		committed: make(map[string]int64),
		next:      make(map[string]int64),
		ahead:     make(map[string]map[int64]*Chunk),
		offsets:   make(map[string]int64),
		proposals: make(map[int64]waiting),
		awaiting:  make(map[string]int),
		queue:     queue{commits: make(map[string]int64)},
	}
}

// Peers lists the other nodes, whose streams this node follows. Callers
// must not modify it.
func (c *Core) Peers() []string { return c.peers }

// Send queues msg for key. The ticket resolves with its offset once the
// entry is durable: after this node's chunk for an owned key, or after the
// owner's chunk answering this node's proposal otherwise.
func (c *Core) Send(key string, msg json.RawMessage) Ticket {
	t := newTicket()
	switch owner := Owner(key, c.nodes); {
	case c.closed != nil:
		t.resolve(Result{Err: c.closed})
	case owner == c.self:
		c.queue.sends = append(c.queue.sends, queuedSend{key: key, msg: msg, ticket: t})
	default:
		c.lastID++
		c.proposals[c.lastID] = waiting{owner: owner, ticket: t}
		c.awaiting[owner]++
		c.queue.proposals = append(c.queue.proposals, Proposal{ID: c.lastID, Key: key, Msg: msg})
	}
	return t
}

// Commit queues committed offsets. The ticket resolves once they are durable
// in this node's stream, where every node's list_committed_offsets finds
// them.
func (c *Core) Commit(offsets map[string]int64) Ticket {
	t := newTicket()
	switch {
	case c.closed != nil:
		t.resolve(Result{Err: c.closed})
	case len(offsets) == 0:
		t.resolve(Result{})
	default:
		for k, o := range offsets {
			if cur, ok := c.queue.commits[k]; !ok || o > cur {
				c.queue.commits[k] = o
			}
		}
		c.queue.waiters = append(c.queue.waiters, t)
	}
	return t
}

// Pending reports whether work waits for the next chunk.
func (c *Core) Pending() bool {
	q := &c.queue
	return len(q.sends) > 0 || len(q.proposals) > 0 || len(q.commits) > 0
}

// Take cuts the queued work into the next chunk of the own stream, assigning
// offsets to its entries, and returns the chunk's seq. It returns false when
// there is nothing to write, when the previous chunk is not durable yet, or
// after Close.
func (c *Core) Take() (int64, *Chunk, bool) {
	if c.flight != nil || c.closed != nil || !c.Pending() {
		return 0, nil, false
	}
	q := c.queue
	c.queue = queue{commits: make(map[string]int64)}
	f := &flight{seq: c.seq, chunk: &Chunk{Proposals: q.proposals}, waiters: q.waiters}
	if len(q.commits) > 0 {
		f.chunk.Commits = q.commits
	}
	for _, s := range q.sends {
		off := c.offsets[s.key]
		c.offsets[s.key] = off + 1
		f.chunk.Entries = append(f.chunk.Entries, Entry{Key: s.key, Offset: off, Msg: s.msg, From: s.from, ID: s.id})
		f.sends = append(f.sends, s.ticket)
	}
	c.flight = f
	c.seq++
	return f.seq, f.chunk, true
}

// Durable records that chunk seq, the one Take returned last, is in lin-kv:
// it is applied like a peer's chunk and its tickets resolve.
func (c *Core) Durable(seq int64) error {
	f := c.flight
	if f == nil || f.seq != seq {
		return fmt.Errorf("chunk %d is not the one in flight", seq)
	}
	c.flight = nil
	c.next[c.self] = seq + 1
	err := c.apply(c.self, f.chunk)
	for i, t := range f.sends {
		t.resolve(Result{Offset: f.chunk.Entries[i].Offset})
	}
	for _, t := range f.waiters {
		t.resolve(Result{})
	}
	return err
}

// Receive takes chunk seq of a peer's stream, pushed by the peer or read
// from lin-kv. Chunks apply in seq order, each once: an old one is ignored,
// one ahead of its turn waits for the gap to fill. An error means a chunk
// did not fit the logs (a bug or a foreign writer); its entries that did fit
// are applied.
func (c *Core) Receive(stream string, seq int64, chunk *Chunk) error {
	if stream == c.self {
		return nil // own chunks apply through Durable
	}
	next := c.next[stream]
	switch {
	case seq < next:
		return nil
	case seq > next:
		if c.ahead[stream] == nil {
			c.ahead[stream] = make(map[int64]*Chunk)
		}
		c.ahead[stream][seq] = chunk
		return nil
	}
	var errs []error
	for chunk != nil {
		errs = append(errs, c.apply(stream, chunk))
		next++
		chunk = c.ahead[stream][next]
		delete(c.ahead[stream], next)
	}
	c.next[stream] = next
	return errors.Join(errs...)
}

// apply folds one chunk of stream into the state.
func (c *Core) apply(stream string, chunk *Chunk) error {
	var errs []error
	for _, e := range chunk.Entries {
		log := c.logs[e.Key]
		switch {
		case Owner(e.Key, c.nodes) != stream:
			errs = append(errs, fmt.Errorf("stream %s: entry for key %q, which it does not own", stream, e.Key))
			continue
		case e.Offset == int64(len(log)):
			c.logs[e.Key] = append(log, e.Msg)
		case e.Offset < int64(len(log)):
			errs = append(errs, fmt.Errorf("stream %s: key %q offset %d already applied", stream, e.Key, e.Offset))
			continue
		default:
			errs = append(errs, fmt.Errorf("stream %s: key %q offset %d leaves a gap after %d", stream, e.Key, e.Offset, len(log)))
			continue
		}
		if e.From == c.self {
			if w, ok := c.proposals[e.ID]; ok {
				delete(c.proposals, e.ID)
				c.awaiting[w.owner]--
				w.ticket.resolve(Result{Offset: e.Offset})
			}
		}
	}
	if c.closed == nil {
		for _, p := range chunk.Proposals {
			if Owner(p.Key, c.nodes) == c.self {
				c.queue.sends = append(c.queue.sends, queuedSend{key: p.Key, msg: p.Msg, from: stream, id: p.ID})
			}
		}
	}
	for k, o := range chunk.Commits {
		if cur, ok := c.committed[k]; !ok || o > cur {
			c.committed[k] = o
		}
	}
	return errors.Join(errs...)
}

// Cursor is the seq of the next chunk of stream to apply.
func (c *Core) Cursor(stream string) int64 { return c.next[stream] }

// Gap reports whether chunks of stream wait for an earlier one to arrive.
func (c *Core) Gap(stream string) bool { return len(c.ahead[stream]) > 0 }

// Awaiting reports whether a send received here waits for an entry in
// owner's stream.
func (c *Core) Awaiting(owner string) bool { return c.awaiting[owner] > 0 }

// Poll returns, for each key, the applied messages from the asked offset
// on, at most limit of them (a shorter contiguous run is a valid answer, and
// the client polls on from where it ends); keys with none are left out. A
// negative offset reads from 0. Entries are immutable, so the pairs share
// their bytes with the log.
func (c *Core) Poll(from map[string]int64, limit int) map[string][]Pair {
	out := make(map[string][]Pair)
	for k, start := range from {
		log := c.logs[k]
		start = max(start, 0)
		if start >= int64(len(log)) {
			continue
		}
		end := min(int64(len(log)), start+int64(limit))
		pairs := make([]Pair, 0, end-start)
		for o := start; o < end; o++ {
			pairs = append(pairs, Pair{Offset: o, Msg: log[o]})
		}
		out[k] = pairs
	}
	return out
}

// Committed returns the highest applied committed offset of each key that
// has one.
func (c *Core) Committed(keys []string) map[string]int64 {
	out := make(map[string]int64)
	for _, k := range keys {
		if o, ok := c.committed[k]; ok {
			out[k] = o
		}
	}
	return out
}

// Close fails every waiting request with err and refuses new ones. A chunk
// in flight, a queued send and an unanswered proposal may all still take
// effect, so err should be an indefinite error.
func (c *Core) Close(err error) {
	if c.closed != nil {
		return
	}
	c.closed = err
	fail := Result{Err: err}
	for _, s := range c.queue.sends {
		s.ticket.resolve(fail)
	}
	for _, t := range c.queue.waiters {
		t.resolve(fail)
	}
	if f := c.flight; f != nil {
		for _, t := range f.sends {
			t.resolve(fail)
		}
		for _, t := range f.waiters {
			t.resolve(fail)
		}
		c.flight = nil
	}
	for _, w := range c.proposals {
		w.ticket.resolve(fail)
	}
	clear(c.proposals)
	clear(c.awaiting)
	c.queue = queue{commits: make(map[string]int64)}
}

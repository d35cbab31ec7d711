package counter

import (
	"fmt"
	"math"
	"time"
)

// Config tunes a counter node. Program.New declares one flag per field,
// with its default.
type Config struct {
	Batch       time.Duration // least time between the starts of two cas of the node's key; 0: back to back
	Refresh     time.Duration // a read is served from a cache younger than this
	KVTimeout   time.Duration // an add's seq-kv request unanswered after this is given up; a read's is sent again
	AddTimeout  time.Duration // an add not durable after this gets error 0 (indefinite)
	ReadTimeout time.Duration // a refresh not done after this fails its reads with error 11
}

// Validate reports a setting that cannot work, or that would let a read
// after Maelstrom's 10 s quiet period miss a write (see DESIGN.md).
func (c Config) Validate() error {
	if c.Batch < 0 || c.Refresh <= 0 || c.KVTimeout <= 0 || c.AddTimeout <= 0 || c.ReadTimeout <= 0 {
		return fmt.Errorf("counter: batch must not be negative, other durations must be positive: %+v", c)
	}
	if budget := 2*c.Refresh + c.Batch + c.AddTimeout + c.KVTimeout; budget > 8*time.Second {
		return fmt.Errorf("counter: 2·refresh + batch + add-timeout + kv-timeout = %s exceeds 8s; final reads after Maelstrom's 10 s quiet period could be stale", budget)
	}
	return nil
}

// Op is the type of a seq-kv request.
type Op string

// The seq-kv requests the core sends.
const (
	OpCAS   Op = "cas"   // From → To, with create_if_not_exists
	OpRead  Op = "read"  // answered with a Record
	OpWrite Op = "write" // Value, a freshness mark
)

// Request is one seq-kv request the core wants sent. Its answer goes back
// through Reply with the same ID. The core may ignore an answer that comes
// after Deadline, so a sender need not wait longer.
type Request struct {
	ID       int64
	Op       Op
	Key      string
	From, To Record // OpCAS
	Value    string // OpWrite
	Deadline time.Time
}

// String renders r for logs and tests: "cas counter/n0 +0-0@0→+1-0@7",
// "read counter/n1", "write fresh/n0 7/1".
func (r Request) String() string {
	switch r.Op {
	case OpCAS:
		return fmt.Sprintf("cas %s %v→%v", r.Key, r.From, r.To)
	case OpWrite:
		return fmt.Sprintf("write %s %s", r.Key, r.Value)
	}
	return fmt.Sprintf("%s %s", r.Op, r.Key)
}

// Reply is seq-kv's answer to request ID: Err is nil on success, else the
// service's error (a *node.Error, so errors.Is matches node.ErrKeyDoesNotExist
// and the like); Value is what a read returned. A request that got no
// answer (its deadline passed) is not replied: the core times it out itself
// on Tick.
type Reply struct {
	ID    int64
	Value Record
	Err   error
}

// Core is one counter node's protocol as a plain state machine: each method
// takes an event (an add, a read, a seq-kv reply, a tick) with its time and
// returns the seq-kv requests to send. It does no I/O, keeps no clock and
// is not safe for concurrent use. Its two halves are the owner (owner.go),
// which makes this node's deltas durable under its key by group commit, and
// the view (view.go), which answers reads from a cache of the other nodes'
// keys made fresh enough.
type Core struct {
	cfg    Config
	key    string   // this node's key
	fresh  string   // this node's private key for freshness writes
	peers  []string // the other nodes' keys, in init's order
	life   int64    // this process's tag on the records it writes
	lastID int64    // of the last request
	out    []Request

	// Owner. The key should hold base+mine: base is the total of another
	// life (a restart's predecessor) found in the key, mine sums this
	// life's deltas, and done is the part of mine known to be in the key.
	stored    Record    // the key's value as last confirmed by seq-kv
	base      Total     // the other life's total under this life's deltas
	mine      Total     // every delta this life received
	done      Total     // the part of mine confirmed durable
	flight    *flight   // the owner's request in flight, if any
	nextAt    time.Time // no flush begins before this
	wroteAt   time.Time // when the last acknowledged cas was sent
	waitUntil time.Time // an add may be waiting until then
	flushErr  error     // why the last flush failed; nil once one succeeds

	// View.
	seen      map[string]Total // per peer key: the newest Total observed
	syncedAt  time.Time        // start of the last complete refresh
	nonce     int64            // freshness writes so far
	ref       *refresh         // the refresh running, if any
	refreshes uint64           // refreshes begun; the last one's number
	ended     uint64           // the last refresh that ended
	succeeded uint64           // the last refresh that succeeded
	readErr   error            // why refresh `ended` failed, if it did
}

// NewCore returns the core of the node self among peers (the other nodes'
// ids); life tags this process's records and must differ from every other
// life's of self (a random draw; 0 is reserved for "no record").
func NewCore(cfg Config, self string, peers []string, life int64) (*Core, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if life == 0 {
		return nil, fmt.Errorf("counter: life 0 is reserved")
	}
	c := &Core{cfg: cfg, key: Key(self), fresh: freshKey(self), life: life, seen: make(map[string]Total, len(peers))}
	for _, p := range peers {
		c.peers = append(c.peers, Key(p))
	}
	return c, nil
}

// Key is the seq-kv key holding node id's share of the counter.
func Key(id string) string { return "counter/" + id }

// freshKey is node id's private key for freshness writes.
func freshKey(id string) string { return "fresh/" + id }

// Reply takes seq-kv's answer to one of the core's requests. Answers to
// requests the core no longer waits for (timed out, or a copy of one
// already answered) change nothing.
func (c *Core) Reply(r Reply, now time.Time) []Request {
	switch {
	case c.flight != nil && c.flight.req.ID == r.ID:
		c.ownerReply(r, now)
	case c.ref != nil:
		if _, ok := c.ref.attempts[r.ID]; ok {
			c.viewReply(r, now)
		}
	}
	return c.pump(now)
}

// Tick is the timer: it times out the owner's request, sends again the
// refresh's requests unanswered for KVTimeout, ends a refresh past its
// deadline and starts a flush that has become due. Call it at Wake.
func (c *Core) Tick(now time.Time) []Request {
	c.ownerTick(now)
	c.viewTick(now)
	return c.pump(now)
}

// Wake is when the core next needs a Tick: the earliest deadline or due
// time it waits for, or the zero time when it waits for nothing. After any
// event at now, Wake is zero or later than now.
func (c *Core) Wake() time.Time {
	var at time.Time
	earliest := func(t time.Time) {
		if at.IsZero() || t.Before(at) {
			at = t
		}
	}
	switch {
	case c.flight != nil:
		earliest(c.flight.req.Deadline)
	case c.done != c.mine:
		earliest(c.nextAt)
	}
	if r := c.ref; r != nil {
		earliest(r.deadline)
		for _, t := range r.resendAt {
			earliest(t)
		}
	}
	return at
}

// Value is the counter's value as this node knows it: its own confirmed
// total plus the cached peers'.
func (c *Core) Value() int64 {
	s := c.stored.Value()
	for _, t := range c.seen {
		s += t.Value()
	}
	return s
}

// pump starts a flush if one is due and returns what the event queued.
func (c *Core) pump(now time.Time) []Request {
	c.flushIfDue(now)
	out := c.out
	c.out = nil
	return out
}

// send queues a request with a fresh id and returns it.
func (c *Core) send(r Request) Request {
	c.lastID++
	r.ID = c.lastID
	c.out = append(c.out, r)
	return r
}

// maxHalf bounds each half of a node's Total, so that the shares of up to
// 1024 nodes sum without overflowing an int64.
const maxHalf = math.MaxInt64 / 1024

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

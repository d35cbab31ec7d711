package broadcast

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Config is the tuning of one node; DESIGN.md says what each setting
// trades. Program's flags fill it, and hold its defaults.
type Config struct {
	// Fanout shapes the dissemination tree: 0 for direct (the receiving
	// node sends to every peer), F ≥ 1 for the shared F-ary tree.
	Fanout int
	// Batch is how often a node flushes what it has queued for each peer
	// (0: send at once). A node with a single tree target (a leaf of the
	// shared tree) sends its own clients' values at once all the same.
	Batch time.Duration
	// AntiEntropy is the period of the digest exchange, and also the grace
	// period: a value is offered in a repair, and a peer's longer digest
	// triggers a pull, only once it is that old. Rounds have anti-entropy
	// of their own and ignore it.
	AntiEntropy time.Duration
	// Rounds makes every node batch, leaves included, in rounds of length
	// Batch aligned to the clock: leaves flush at multiples of Batch, the
	// other nodes RoundLag later, so that one round carries a leaf's values
	// to its parent and on to every other leaf of a star. Every message
	// then carries its sender's digest, and anti-entropy runs along the
	// tree inside the rounds instead of by a rotation of digests (see
	// rounds.go). Needs a shared tree (Fanout ≥ 1) and Batch > 0.
	Rounds bool
	// RoundLag is how long after the leaves the other nodes flush in a
	// round: at least the one-way network latency, and less than Batch.
	RoundLag time.Duration
}

// Validate reports a setting that cannot work.
func (c Config) Validate() error {
	errs := []error{checkFanout(c.Fanout), checkBatch(c.Batch), checkAntiEntropy(c.AntiEntropy), checkRoundLag(c.RoundLag)}
	if c.Rounds && (c.Fanout < 1 || c.Batch <= 0 || c.RoundLag >= c.Batch) {
		errs = append(errs, fmt.Errorf("rounds need a shared tree (fanout %d: want 1 or more), a batch period (%v: want more than 0) and a round lag below it (%v)",
			c.Fanout, c.Batch, c.RoundLag))
	}
	return errors.Join(errs...)
}

func checkRoundLag(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("round lag %v: want 0 or more", d)
	}
	return nil
}

func checkFanout(f int) error {
	if f < 0 {
		return fmt.Errorf("fanout %d: want 0 (direct) or more", f)
	}
	return nil
}

func checkBatch(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("batch %v: want 0 or more", d)
	}
	return nil
}

func checkAntiEntropy(d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("anti-entropy period %v: want more than 0 (it is what repairs partitions)", d)
	}
	return nil
}

// Message types between nodes. None carries a msg_id: nothing is acked.
const (
	typeGossip = "gossip" // fresh values, passed on along the tree
	typeRepair = "repair" // anti-entropy answer to a digest
	typeDigest = "digest" // anti-entropy summary; the receiver answers with a repair if the sender lacks values
)

// gossipBody carries values: typeGossip or typeRepair. With Config.Rounds
// a gossip also carries its sender's digest (see digestBody), which the
// receiver answers in its next round; otherwise Have is absent.
type gossipBody struct {
	Type string    `json:"type"`
	Segs []Segment `json:"segs"`
	Have []int     `json:"have,omitempty"`
}

// digestBody carries a store digest: Have[o] is the length of the
// contiguous prefix of origin o's values the sender holds.
type digestBody struct {
	Type string `json:"type"`
	Have []int  `json:"have"`
}

// Out is one message the engine wants sent.
type Out struct {
	Dest string
	Body any
}

// pullNote remembers a peer whose digest showed values this node lacks.
type pullNote struct {
	have []int
	at   int64 // when the digest arrived, Unix nanoseconds
}

// Engine is one node's broadcast protocol as a plain state machine: each
// method takes an event (a client value, a peer message, a timer tick) and
// its time, and returns the messages to send. It does no I/O and is not
// safe for concurrent use.
type Engine struct {
	cfg   Config
	ids   []string
	index map[string]int
	self  int
	tree  Tree
	st    *store
	q     *batcher

	round   int              // plain anti-entropy ticks so far
	offsets []int            // this cycle's order of the offsets 1..n-1
	pulls   map[int]pullNote // peers known to hold values this node lacks

	rs rounds // Config.Rounds' state
}

// NewEngine returns the engine of node self in the cluster ids (init's
// node_ids).
func NewEngine(cfg Config, self string, ids []string) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, ids: ids, index: make(map[string]int, len(ids)), self: -1, pulls: make(map[int]pullNote)}
	for i, id := range ids {
		if _, dup := e.index[id]; dup {
			return nil, fmt.Errorf("node id %s appears twice in node_ids", id)
		}
		e.index[id] = i
		if id == self {
			e.self = i
		}
	}
	if e.self < 0 {
		return nil, fmt.Errorf("node %s is not in node_ids %v", self, ids)
	}
	e.tree = NewTree(len(ids), e.self, cfg.Fanout)
	e.st = newStore(len(ids))
	e.q = newBatcher()
	e.rs = newRounds()
	return e, nil
}

// Broadcast takes a value from a client. It is stored before the client is
// answered, and sent to this node's tree targets: at once when batching is
// off or when there is a single target (a leaf of the shared tree: one
// message per value either way, so waiting would only add latency), and
// otherwise with the next flush; with Rounds, always with the next round.
func (e *Engine) Broadcast(v int64, now time.Time) []Out {
	seq, fresh := e.st.originate(e.self, v, now.UnixNano())
	if !fresh {
		return nil
	}
	targets := e.tree.Targets(-1)
	for _, t := range targets {
		e.q.add(t, e.self, seq, v)
	}
	if e.cfg.Batch > 0 && (len(targets) > 1 || e.cfg.Rounds) {
		return nil
	}
	return e.flush(targets)
}

// Gossip takes fresh values from peer from, stores the new ones and queues
// them for this node's tree targets, sending at once when batching is off.
// Values that are not valid are dropped and reported in the error; the valid
// ones are still taken.
func (e *Engine) Gossip(from string, segs []Segment, now time.Time) ([]Out, error) {
	return e.receive(typeGossip, from, segs, now.UnixNano())
}

// gossip takes a gossip message: its values as Gossip does, then, with
// Rounds, its sender's digest (see roundDigest).
func (e *Engine) gossip(from string, b gossipBody, now time.Time) ([]Out, error) {
	outs, err := e.Gossip(from, b.Segs, now)
	if b.Have != nil {
		n := 0
		for _, sg := range b.Segs {
			n += len(sg.Values)
		}
		err = errors.Join(err, e.roundDigest(from, b.Have, n))
	}
	return outs, err
}

// Repair takes values a peer sent because this node's digest lacked them,
// and passes the ones new here along the tree like gossip: in the shared
// tree, a repair reaching any node then reaches all of them in one flood
// instead of one anti-entropy round per node (in the direct shape nothing
// is relayed, and every node repairs itself). Repaired values are stored as
// learned long ago, so this node's own repairs may offer them at once: the
// sender had held them for a grace period already, so they are not in flight
// on the normal path, and holding them back would slow their spread by a
// round per hop.
func (e *Engine) Repair(from string, segs []Segment) ([]Out, error) {
	return e.receive(typeRepair, from, segs, math.MinInt64)
}

func (e *Engine) receive(typ, from string, segs []Segment, at int64) ([]Out, error) {
	f, ok := e.peer(from)
	if !ok {
		return nil, fmt.Errorf("%s from %q, which is not a peer", typ, from)
	}
	targets := e.tree.Targets(f)
	err := e.ingest(segs, at, func(o, seq int, v int64) {
		for _, t := range targets {
			e.q.add(t, o, seq, v)
		}
	})
	if e.cfg.Batch > 0 {
		return nil, err
	}
	return e.flush(e.q.pending()), err
}

// ingest stores segs as learned at time at (Unix nanoseconds) and calls
// fresh for each value new to this node.
func (e *Engine) ingest(segs []Segment, at int64, fresh func(o, seq int, v int64)) error {
	var errs []error
	mine := len(e.st.logs[e.self].prefix)
	for _, sg := range segs {
		for i, v := range sg.Values {
			seq := sg.Seq + i
			if sg.Origin == e.self && seq >= mine {
				errs = append(errs, fmt.Errorf("value %d claims sequence %d of this node, which has only %d", v, seq, mine))
				continue
			}
			isNew, err := e.st.add(sg.Origin, seq, v, at)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if isNew {
				fresh(sg.Origin, seq, v)
			}
		}
	}
	return errors.Join(errs...)
}

// Flush sends everything queued: the batch timer's tick.
func (e *Engine) Flush() []Out {
	return e.flush(e.q.pending())
}

func (e *Engine) flush(dests []int) []Out {
	var outs []Out
	for _, d := range dests {
		outs = appendMessages(outs, e.ids[d], typeGossip, e.q.take(d))
	}
	return outs
}

// appendMessages appends to outs the messages of type typ (gossip or
// repair) that carry segs to dest: none if segs is empty, and one per
// maxValuesPerMessage values otherwise.
func appendMessages(outs []Out, dest, typ string, segs []Segment) []Out {
	for _, c := range chunk(segs, maxValuesPerMessage) {
		outs = append(outs, Out{Dest: dest, Body: gossipBody{Type: typ, Segs: c}})
	}
	return outs
}

// Digest takes a peer's digest. If the peer lacks values this node has held
// for at least the grace period, they go back in a repair (one message per
// maxValuesPerMessage values, all sent at once). If the
// peer holds values this node lacks, it is noted, and the next anti-entropy
// tick pulls from that peer if they have not arrived by then (see Tick).
func (e *Engine) Digest(from string, have []int, now time.Time) ([]Out, error) {
	f, err := e.checkDigest(from, have)
	if err != nil {
		return nil, err
	}
	if e.st.lacks(have) {
		e.pulls[f] = pullNote{have: have, at: now.UnixNano()}
	}
	segs := e.st.missing(have, now.Add(-e.cfg.AntiEntropy).UnixNano())
	return appendMessages(nil, from, typeRepair, segs), nil
}

// checkDigest returns the index of peer from, or why its digest have cannot
// be used.
func (e *Engine) checkDigest(from string, have []int) (int, error) {
	f, ok := e.peer(from)
	if !ok {
		return -1, fmt.Errorf("digest from %q, which is not a peer", from)
	}
	if len(have) != len(e.ids) {
		return -1, fmt.Errorf("digest from %s has %d entries for %d nodes", from, len(have), len(e.ids))
	}
	return f, nil
}

// Tick is the anti-entropy timer: send this node's digest to one peer,
// which answers with the values this node lacks.
//
// The peer is one whose digest showed values still missing here half a
// period later, if any (values merely in flight on the normal path arrive
// well within that). Otherwise it is the next in a rotation: each cycle of
// n-1 plain ticks walks the offsets 1..n-1 in an order shuffled by the cycle
// number, the same order on every node, and node i asks node i+offset (mod
// n). So at every tick the nodes ask each other in a permutation (no node
// is asked twice), each node hears from every peer once per cycle, and,
// the order being shuffled, a partition of neighbouring ids is not crossed
// only by the last ticks of a cycle.
//
// With Rounds there is no rotation (anti-entropy runs inside the rounds),
// and Tick sends nothing.
func (e *Engine) Tick(now time.Time) []Out {
	n := len(e.ids)
	if n == 1 || e.cfg.Rounds {
		return nil
	}
	target := e.pullTarget(now.Add(-e.cfg.AntiEntropy / 2).UnixNano())
	if target < 0 {
		target = (e.self + e.nextOffset()) % n
	}
	return []Out{{Dest: e.ids[target], Body: digestBody{Type: typeDigest, Have: e.st.digest()}}}
}

// nextOffset returns the rotation offset of the next plain tick.
func (e *Engine) nextOffset() int {
	n := len(e.ids)
	k := e.round % (n - 1)
	if k == 0 {
		cycle := uint64(e.round / (n - 1))
		e.offsets = rand.New(rand.NewPCG(uint64(n), cycle)).Perm(n - 1)
	}
	e.round++
	return e.offsets[k] + 1
}

// pullTarget picks, and forgets, the peer noted longest ago (by cutoff)
// whose digest still shows values this node lacks; -1 if none. Notes that
// show nothing missing any more are dropped.
func (e *Engine) pullTarget(cutoff int64) int {
	best := -1
	for p, note := range e.pulls {
		switch {
		case !e.st.lacks(note.have):
			delete(e.pulls, p)
		case note.at <= cutoff && (best < 0 || note.at < e.pulls[best].at || note.at == e.pulls[best].at && p < best):
			best = p
		}
	}
	if best >= 0 {
		delete(e.pulls, best)
	}
	return best
}

// ReadSnapshot returns the values held, JSON-encoded and comma-separated;
// see store.readSnapshot.
func (e *Engine) ReadSnapshot() []byte { return e.st.readSnapshot() }

// Size is the number of distinct values held.
func (e *Engine) Size() int { return e.st.size() }

func (e *Engine) peer(id string) (int, bool) {
	i, ok := e.index[id]
	return i, ok && i != e.self
}

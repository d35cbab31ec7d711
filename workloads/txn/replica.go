package txn

import (
	"encoding/json"
	"fmt"
	"time"
)

// Version orders the transactions that write: a Lamport clock, ties broken
// by the index of the node that ran the transaction. Every writing
// transaction has a distinct version, and every node compares versions the
// same way, so "the highest version wins" picks the same value for a key on
// every node whatever order the transactions arrived in.
type Version struct {
	Clock uint64
	Node  int
}

// Less reports whether v orders before w.
func (v Version) Less(w Version) bool {
	if v.Clock != w.Clock {
		return v.Clock < w.Clock
	}
	return v.Node < w.Node
}

// Write is one key's final value in a transaction.
type Write struct {
	Key   string          // compact JSON text of the key
	Value json.RawMessage // compact JSON
}

// Entry is what a node replicates of one committed transaction: its clock
// and the last value it wrote to each key, never its reads or intermediate
// writes. The origin node and the per-origin sequence number travel beside
// it (see Run), so the version is Version{Clock, origin}.
type Entry struct {
	Clock  uint64
	Writes []Write
}

// Config tunes replication. Program declares a flag for each field, with
// its default (see `txn-rw-register -help`).
type Config struct {
	// Interval is how often the node calls Tick: at most one message per
	// peer per Interval, and MaxBatch/Interval transactions a second per
	// peer when a backlog is shipped.
	Interval time.Duration
	// ResendAfter is how long a peer may go without acknowledging more of
	// what was sent to it before the unacknowledged rest is sent again
	// (after a partition drops a batch, say). The resend starts with a
	// probe of at most ProbeBatch transactions; the rest follows once the
	// peer acknowledges something, so a peer cut off for minutes gets one
	// small message per ResendAfter, not the whole backlog again and again.
	ResendAfter time.Duration
	// RelayAfter is how long a transaction of a third node must have been
	// here, and still be missing at a peer, before this node relays it.
	// Relaying repairs non-transitive partitions; the delay keeps it from
	// duplicating the origin's own sends while the origin reaches the peer.
	RelayAfter time.Duration
	// AckAfter is how long this node may owe a peer an acknowledgement
	// before it sends one on its own; until then the acknowledgement waits
	// to ride on a batch of transactions. It must stay well below
	// ResendAfter, or the peer resends what this node has.
	AckAfter time.Duration
	// MaxBatch caps the transactions in one message.
	MaxBatch int
	// MaxBurst caps the messages to one peer per tick: a backlog (after a
	// partition) ships at up to MaxBurst×MaxBatch transactions a tick.
	MaxBurst int
	// ProbeBatch caps the transactions in a resend to a peer that has not
	// acknowledged anything for ResendAfter.
	ProbeBatch int
}

// validate reports settings replication cannot work with. The flags of
// Program fill a Config, so their names are in the message.
func (c Config) validate() error {
	if c.Interval <= 0 || c.ResendAfter <= 0 || c.RelayAfter < 0 || c.AckAfter < 0 || c.AckAfter >= c.ResendAfter ||
		c.MaxBatch < 1 || c.MaxBurst < 1 || c.ProbeBatch < 1 {
		return fmt.Errorf("config %+v: -interval, -resend-after, -max-batch, -max-burst and -probe-batch must be positive, "+
			"-relay-after and -ack-after not negative, -ack-after below -resend-after", c)
	}
	return nil
}

type cell struct {
	value   json.RawMessage
	version Version
}

type logged struct {
	Entry
	arrived time.Time
}

// originLog holds one origin's transactions: entries[i] has sequence number
// base+1+i. Those at or below base are known to every node and were dropped.
type originLog struct {
	base    uint64
	entries []logged
	pending map[uint64]Entry // arrived ahead of a gap, waiting for it
}

func (l *originLog) have() uint64 { return l.base + uint64(len(l.entries)) }

// peer is what this node knows about one other node.
type peer struct {
	acked    []uint64    // by origin: the peer's have vector, as last heard
	sent     []uint64    // by origin: highest sequence number sent to it
	progress []time.Time // by origin: when acked last advanced, or sending restarted
	probing  []bool      // by origin: a probe is out and acked has not advanced since
	heard    bool        // acked is real, not the initial zeros
	ackOwed  time.Time   // since when it has sent transactions not acknowledged; zero if none
}

// Replica is one node's copy of the store and its replication state. It
// does no I/O and is not safe for concurrent use: the caller serialises
// calls to Exec, Receive and Tick (the node holds one mutex around them,
// which is also what makes each transaction atomic).
type Replica struct {
	self  int
	cfg   Config
	clock uint64
	store map[string]cell
	logs  []originLog
	peers []peer // by node index; peers[self] is unused
}

// NewReplica returns the replica of node self (an index into the cluster's
// node list) in a cluster of n nodes. It refuses a Config it cannot work
// with (see Config.validate).
func NewReplica(self, n int, cfg Config) (*Replica, error) {
	if n < 1 || self < 0 || self >= n {
		return nil, fmt.Errorf("node index %d outside a cluster of %d", self, n)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	r := &Replica{self: self, cfg: cfg, store: make(map[string]cell), logs: make([]originLog, n), peers: make([]peer, n)}
	for i := range r.peers {
		r.peers[i] = peer{acked: make([]uint64, n), sent: make([]uint64, n), progress: make([]time.Time, n), probing: make([]bool, n)}
	}
	return r, nil
}

// Exec runs a transaction and returns its ops with every read's value
// filled in. Reads see the transaction's own earlier writes, then the
// store. A transaction that writes gets the next version, which is above
// every version this node has seen, so all its writes win here; its final
// writes are logged for replication.
func (r *Replica) Exec(ops []Op, now time.Time) []Op {
	out := make([]Op, len(ops))
	written := make(map[string]int) // key → index into writes
	var writes []Write
	for i, op := range ops {
		out[i] = op
		switch op.Func {
		case FuncWrite:
			if j, ok := written[op.Key]; ok {
				writes[j].Value = op.Value
			} else {
				written[op.Key] = len(writes)
				writes = append(writes, Write{Key: op.Key, Value: op.Value})
			}
		case FuncRead:
			switch j, ok := written[op.Key]; {
			case ok:
				out[i].Value = writes[j].Value
			case r.store[op.Key].value != nil:
				out[i].Value = r.store[op.Key].value
			default:
				out[i].Value = null
			}
		}
	}
	if len(writes) > 0 {
		r.clock++
		e := Entry{Clock: r.clock, Writes: writes}
		r.apply(r.self, e)
		l := &r.logs[r.self]
		l.entries = append(l.entries, logged{Entry: e, arrived: now})
	}
	return out
}

// apply installs the writes of origin's transaction e that beat what the
// store holds, and advances the clock past e.
func (r *Replica) apply(origin int, e Entry) {
	r.clock = max(r.clock, e.Clock)
	v := Version{Clock: e.Clock, Node: origin}
	for _, w := range e.Writes {
		if c, ok := r.store[w.Key]; !ok || c.version.Less(v) {
			r.store[w.Key] = cell{value: w.Value, version: v}
		}
	}
}

// Batch is the one message type nodes exchange: the sender's have vector
// (by origin, how many of that origin's transactions it holds without a
// gap), which acknowledges everything up to there, and runs of transactions
// the receiver is not known to have.
type Batch struct {
	Type string   `json:"type"`
	Have []uint64 `json:"have"`
	Runs []Run    `json:"runs,omitempty"`
}

// BatchType is the message type of Batch.
const BatchType = "txn_repl"

// Run is consecutive transactions of one origin, the first with sequence
// number From.
type Run struct {
	Origin int     `json:"o"`
	From   uint64  `json:"s"`
	Txns   []Entry `json:"t"`
}

// Outgoing is a batch to send to the node with index To.
type Outgoing struct {
	To    int
	Batch Batch
}

// Receive takes a batch from the node with index from: it records the
// sender's acknowledgements and applies, in each origin's order, the
// transactions that extend what this node has; ones ahead of a gap wait for
// it. It returns an error, having changed nothing, for a batch that does not
// fit the cluster.
func (r *Replica) Receive(from int, b Batch, now time.Time) error {
	if from < 0 || from >= len(r.peers) || from == r.self {
		return fmt.Errorf("batch from node index %d: not a peer", from)
	}
	if len(b.Have) != len(r.logs) {
		return fmt.Errorf("batch from node index %d: have vector of %d origins, cluster has %d", from, len(b.Have), len(r.logs))
	}
	for _, run := range b.Runs {
		if run.Origin < 0 || run.Origin >= len(r.logs) || run.From == 0 {
			return fmt.Errorf("batch from node index %d: run of origin %d from %d does not fit", from, run.Origin, run.From)
		}
	}
	p := &r.peers[from]
	p.heard = true
	for o, h := range b.Have {
		if h > p.acked[o] { // batches may be reordered: acks only grow
			p.acked[o] = h
			p.progress[o] = now
			p.probing[o] = false
		}
	}
	for _, run := range b.Runs {
		if p.ackOwed.IsZero() {
			p.ackOwed = now
		}
		if run.Origin == r.self {
			continue // this node's own transactions: it has them all
		}
		for i, e := range run.Txns {
			r.offer(run.Origin, run.From+uint64(i), e, now)
		}
	}
	return nil
}

// offer applies transaction seq of origin if it is the next one, then any
// that were waiting behind it; it keeps a later one until the gap fills and
// ignores one already held.
func (r *Replica) offer(origin int, seq uint64, e Entry, now time.Time) {
	l := &r.logs[origin]
	switch have := l.have(); {
	case seq <= have:
		return
	case seq > have+1:
		if l.pending == nil {
			l.pending = make(map[uint64]Entry)
		}
		l.pending[seq] = e
		return
	}
	for ok := true; ok; e, ok = l.pending[l.have()+1] {
		delete(l.pending, l.have()+1)
		r.apply(origin, e)
		l.entries = append(l.entries, logged{Entry: e, arrived: now})
	}
}

// Tick returns the batches to send now. To each peer go the transactions
// not yet sent to it (this node's own at once, a third node's after
// RelayAfter), or, when the peer has been silent about some for
// ResendAfter, a probe of what it has not acknowledged, then, once it
// answers, the rest: one batch, or up to MaxBurst full ones while a backlog
// lasts. Every batch acknowledges what this node holds. A peer with no
// transactions due gets a batch only when it has been owed an
// acknowledgement for AckAfter, so idle ticks cost nothing. Tick also drops
// transactions every node has.
func (r *Replica) Tick(now time.Time) []Outgoing {
	var out []Outgoing
	for to := range r.peers {
		if to == r.self {
			continue
		}
		p := &r.peers[to]
		for range r.cfg.MaxBurst {
			runs, full := r.runsFor(to, now)
			if len(runs) == 0 && (p.ackOwed.IsZero() || now.Sub(p.ackOwed) < r.cfg.AckAfter) {
				break
			}
			p.ackOwed = time.Time{}
			out = append(out, Outgoing{To: to, Batch: Batch{Type: BatchType, Have: r.haveVector(), Runs: runs}})
			if !full {
				break
			}
		}
	}
	r.compact()
	return out
}

// runsFor picks what to send to peer to, at most MaxBatch transactions,
// and marks it sent; full reports that it hit MaxBatch.
func (r *Replica) runsFor(to int, now time.Time) (runs []Run, full bool) {
	p := &r.peers[to]
	budget := r.cfg.MaxBatch
	for o := range r.logs {
		if o == to {
			continue
		}
		l := &r.logs[o]
		p.sent[o] = max(p.sent[o], p.acked[o], l.base)
		limit := budget
		switch {
		case p.acked[o] == p.sent[o]:
			p.progress[o] = now // nothing outstanding: the resend clock starts with the next send
			p.probing[o] = false
		case now.Sub(p.progress[o]) >= r.cfg.ResendAfter:
			// Go back to the first unacknowledged one, with a probe: the
			// peer may still be unreachable.
			p.sent[o], p.progress[o], p.probing[o] = p.acked[o], now, true
			limit = min(budget, r.cfg.ProbeBatch)
		case p.probing[o]:
			continue // the probe is unanswered: send nothing more for now
		}
		first := int(p.sent[o] - l.base) // index of the first entry to send
		end := len(l.entries)
		if o != r.self {
			for end > first && now.Sub(l.entries[end-1].arrived) < r.cfg.RelayAfter {
				end-- // arrival times grow along the log
			}
		}
		end = min(end, first+limit)
		if end <= first {
			continue
		}
		txns := make([]Entry, end-first)
		for i, e := range l.entries[first:end] {
			txns[i] = e.Entry
		}
		runs = append(runs, Run{Origin: o, From: p.sent[o] + 1, Txns: txns})
		p.sent[o] = l.base + uint64(end)
		budget -= end - first
		if budget == 0 {
			return runs, true
		}
	}
	return runs, false
}

func (r *Replica) haveVector() []uint64 {
	v := make([]uint64, len(r.logs))
	for o := range r.logs {
		v[o] = r.logs[o].have()
	}
	return v
}

// compact drops each origin's transactions that every other node has
// acknowledged (the origin itself has its own). Until a peer has been heard
// from, nothing is dropped.
func (r *Replica) compact() {
	for o := range r.logs {
		l := &r.logs[o]
		upTo := l.have()
		for i, p := range r.peers {
			if i == r.self || i == o {
				continue
			}
			if !p.heard {
				return
			}
			upTo = min(upTo, p.acked[o])
		}
		if upTo <= l.base {
			continue
		}
		n := int(upTo - l.base)
		clear(l.entries[:n])
		l.entries = l.entries[n:]
		l.base = upTo
	}
}

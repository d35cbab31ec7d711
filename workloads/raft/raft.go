package raft

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Config is one node's place in the cluster and the protocol's timing.
type Config struct {
	ID int // this node, 0..N-1
	N  int // nodes in the cluster

	// ElectionTimeout: a follower that hears nothing from a leader for a
	// random time in [ElectionTimeout, 2×ElectionTimeout) campaigns, a
	// voter that heard from a leader more recently than this refuses to
	// help depose it, and a leader that has not heard from a majority for
	// this long steps down.
	ElectionTimeout time.Duration
	// HeartbeatInterval is the longest a leader stays silent towards its
	// followers.
	HeartbeatInterval time.Duration
	// IsolateAfter is how long a campaign waits for a majority to answer
	// (grant or refuse) before the node calls itself isolated: a few
	// network round trips.
	IsolateAfter time.Duration
	// BatchInterval is the least time between two rounds of appends: work
	// that arrives sooner waits for the next round and shares it.
	BatchInterval time.Duration
	MaxBatch      int // most entries in one append
	MaxInflight   int // most appends with entries outstanding to one follower

	Rand *rand.Rand // the only source of randomness (election timeouts)
}

func (c Config) validate() error {
	switch {
	case c.N < 1 || c.ID < 0 || c.ID >= c.N:
		return fmt.Errorf("raft: node %d of %d", c.ID, c.N)
	case c.ElectionTimeout <= 0 || c.HeartbeatInterval <= 0 || c.HeartbeatInterval >= c.ElectionTimeout:
		return fmt.Errorf("raft: need 0 < heartbeat interval (%v) < election timeout (%v)", c.HeartbeatInterval, c.ElectionTimeout)
	case c.BatchInterval < 0 || c.IsolateAfter <= 0 || c.MaxBatch < 1 || c.MaxInflight < 1:
		return fmt.Errorf("raft: need batch interval ≥ 0, isolate after > 0, max batch ≥ 1, max inflight ≥ 1")
	case c.Rand == nil:
		return errors.New("raft: no random source")
	}
	return nil
}

// State is a node's role.
type State int

// The roles. A pre-candidate asks whether it could win before it raises
// its term, so a node that cannot reach a majority never disturbs one that
// can.
const (
	Follower State = iota
	PreCandidate
	Candidate
	Leader
)

func (s State) String() string {
	return [...]string{"follower", "pre-candidate", "candidate", "leader"}[s]
}

// Ready is what one call asks of the caller, in this order: send Messages
// (in any order: the protocol tolerates loss and reordering), apply
// Committed to the state machine in order, then serve Reads, each of which
// is a read request of this node that Committed has now made safe to
// answer from the state machine.
type Ready struct {
	Messages  []Message
	Committed []Entry
	Reads     []ReadState
}

// Status is a snapshot of a node's view.
type Status struct {
	State   State
	Term    uint64
	Leader  int // -1 when unknown
	Commit  uint64
	LastLog uint64
	// Isolated: the node campaigned and no majority answered within
	// Config.IsolateAfter, and no leader has been heard from since. Nothing
	// it proposes now can reach any log.
	Isolated bool
}

// ErrNoLeader is returned by Propose and ReadIndex when the node knows no
// leader to hand the request to; nothing was recorded.
var ErrNoLeader = errors.New("raft: no known leader")

// Raft is one node's protocol state. It is not safe for concurrent use:
// the caller serialises calls, and time moves only with Tick.
type Raft struct {
	cfg    Config
	quorum int

	state  State
	term   uint64
	vote   int // whom this node voted for in term, -1 for nobody
	leader int // -1 when unknown
	log    raftLog
	commit uint64
	apply  uint64 // last index handed out in Ready.Committed

	now              time.Time
	electionDeadline time.Time
	leaderContact    time.Time // follower: last append from the leader
	lastAckSent      time.Time // follower: last acknowledgement sent
	owed             *Message  // follower: an acknowledgement held back, sent within half a heartbeat

	// Campaign (pre-candidate, candidate).
	campaignStart time.Time
	answered      map[int]bool // peers that answered this campaign
	granted       map[int]bool // peers that granted it
	isolated      bool

	// Leader.
	prs       []progress
	round     uint64 // heartbeat rounds sent this term; acks echo them
	lastRound time.Time
	dirty     bool // something waits for the next round
	urgent    bool // a client waits on this leader for entries of the next round to commit
	elected   time.Time
	reads     []pendingRead // read requests not yet confirmed or delivered
	delivered [][]ReadState // confirmed reads of each follower, for its next append

	// Follower: proposals and read requests for the leader's next forward.
	fwdProps []json.RawMessage
	fwdReads []uint64

	ready []ReadState // this node's confirmed reads, waiting for apply to reach them
	out   Ready
}

// progress is the leader's view of one follower.
type progress struct {
	match, next uint64
	flights     []uint64  // last index of each append in flight, ascending
	waitSince   time.Time // when match last advanced or the pipeline last started
	lastAck     time.Time // any answer in this term
	ackRound    uint64    // highest round acknowledged
	lastSent    time.Time // last append sent
	sentCommit  uint64    // commit index last sent
	wants       bool      // it forwarded proposals: send it the entries in the next round
}

// pendingRead is a read request at the leader: from whom, its id, the
// index it must see, and the round whose acknowledgement by a majority
// confirms that this node was still the leader when it was recorded.
type pendingRead struct {
	from  int
	id    uint64
	index uint64
	round uint64
}

// New returns a follower at term 0 with an empty log. Its first Tick
// starts its election timer.
func New(cfg Config) (*Raft, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Raft{cfg: cfg, quorum: cfg.N/2 + 1, vote: -1, leader: -1, log: newLog(),
		delivered: make([][]ReadState, cfg.N)}, nil
}

// Status reports the node's view.
func (r *Raft) Status() Status {
	return Status{State: r.state, Term: r.term, Leader: r.leader, Commit: r.commit, LastLog: r.log.last(), Isolated: r.isolated}
}

// take hands out what the last call produced.
func (r *Raft) take() Ready {
	rd := r.out
	r.out = Ready{}
	return rd
}

func (r *Raft) send(m Message) {
	m.From, m.Term = r.cfg.ID, r.term
	r.out.Messages = append(r.out.Messages, m)
}

func (r *Raft) peers() func(func(int) bool) {
	return func(yield func(int) bool) {
		for p := range r.cfg.N {
			if p != r.cfg.ID && !yield(p) {
				return
			}
		}
	}
}

// Tick moves the node's clock to now and does what is due: a leader sends
// its next round (when work waits and BatchInterval has passed, or when
// HeartbeatInterval has) and steps down if no majority has answered for an
// election timeout; a follower forwards what it holds and campaigns when
// its election timer fires.
func (r *Raft) Tick(now time.Time) Ready {
	first := r.now.IsZero()
	r.now = now
	if first {
		r.resetElectionTimer()
	}
	switch r.state {
	case Leader:
		if !r.hasQuorumContact() {
			r.becomeFollower(r.term, -1)
			break
		}
		since := now.Sub(r.lastRound)
		if (r.dirty && since >= r.cfg.BatchInterval) || since >= r.cfg.HeartbeatInterval {
			r.broadcast()
		}
	default:
		r.flushForward()
		if r.owed != nil && now.Sub(r.lastAckSent) >= r.cfg.HeartbeatInterval/2 {
			r.ack(*r.owed)
		}
		if r.state != Follower && !r.isolated && now.Sub(r.campaignStart) >= r.cfg.IsolateAfter && len(r.answered)+1 < r.quorum {
			r.isolated = true
		}
		if !now.Before(r.electionDeadline) {
			r.campaign(true)
		}
	}
	return r.take()
}

// Propose asks for data to be appended to the log: at the leader at once,
// elsewhere forwarded to the leader with the next Tick. A proposal may be
// lost (a leader deposed before committing it, a forward lost in a
// partition) or, if the caller proposes it again, committed twice: callers
// that retry must make their entries idempotent.
func (r *Raft) Propose(data json.RawMessage) (Ready, error) {
	switch {
	case r.state == Leader:
		r.log.append(Entry{Term: r.term, Data: data})
		r.dirty, r.urgent = true, true
		if r.quorum == 1 {
			r.advanceCommit()
		}
	case r.leader >= 0:
		r.fwdProps = append(r.fwdProps, data)
	default:
		return r.take(), ErrNoLeader
	}
	return r.take(), nil
}

// ReadIndex asks for a linearizable read, id chosen by the caller and
// unique on this node. Once the leader has confirmed its leadership with a
// heartbeat round and this node has applied the leader's last index as of
// the request, a Ready carries ReadState{id, index}: the state machine may
// then answer the read. A request may be lost; the caller retries.
func (r *Raft) ReadIndex(id uint64) (Ready, error) {
	switch {
	case r.state == Leader:
		r.addRead(r.cfg.ID, id)
	case r.leader >= 0:
		r.fwdReads = append(r.fwdReads, id)
	default:
		return r.take(), ErrNoLeader
	}
	return r.take(), nil
}

// Step handles a message from a peer.
func (r *Raft) Step(m Message) Ready {
	if r.stepTerm(m) {
		switch m.Kind {
		case MsgApp:
			r.handleAppend(m)
		case MsgAppResp:
			r.handleAppendResp(m)
		case MsgPreVote, MsgVote:
			r.handleVote(m)
		case MsgPreVoteResp, MsgVoteResp:
			r.handleVoteResp(m)
		case MsgForward:
			r.handleForward(m)
		}
	}
	return r.take()
}

// stepTerm applies the term rules to m and reports whether to go on
// handling it. A higher term makes this node a follower in it, except for
// pre-votes (which change nobody's term) and for votes while this node
// hears from a working leader (leader stickiness: a node rejoining after a
// partition cannot depose it). A lower term is stale: a stale leader is
// told the current term so it steps down, a stale pre-vote is refused.
func (r *Raft) stepTerm(m Message) bool {
	switch {
	case m.Term > r.term:
		switch {
		case m.Kind == MsgPreVote, m.Kind == MsgPreVoteResp && m.Granted:
			return true
		case m.Kind == MsgVote && r.inLease():
			return false
		}
		leader := -1
		if m.Kind == MsgApp {
			leader = m.From
		}
		r.becomeFollower(m.Term, leader)
	case m.Term < r.term:
		switch m.Kind {
		case MsgApp:
			r.send(Message{Kind: MsgAppResp, To: m.From, Reject: true})
		case MsgPreVote:
			r.send(Message{Kind: MsgPreVoteResp, To: m.From})
		}
		return false
	}
	return true
}

// inLease reports whether this node is, or recently heard from, a leader.
func (r *Raft) inLease() bool {
	return r.state == Leader || (r.leader >= 0 && r.now.Sub(r.leaderContact) < r.cfg.ElectionTimeout)
}

func (r *Raft) resetElectionTimer() {
	e := r.cfg.ElectionTimeout
	r.electionDeadline = r.now.Add(e + time.Duration(r.cfg.Rand.Int64N(int64(e))))
}

// becomeFollower makes this node a follower in term of leader (-1:
// unknown). Read requests the leader held are dropped: their nodes ask the
// next leader.
func (r *Raft) becomeFollower(term uint64, leader int) {
	if term > r.term {
		r.term, r.vote = term, -1
	}
	r.state, r.leader = Follower, leader
	r.reads, r.owed = nil, nil
	for i := range r.delivered {
		r.delivered[i] = nil
	}
	r.resetElectionTimer()
}

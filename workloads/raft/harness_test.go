package raft

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"
)

// This file is the seeded harness the safety tests run on: a cluster of
// Raft cores joined by a network that delays (so reorders), drops and
// partitions messages, all in virtual time, with Raft's safety properties
// checked after every call.

// netConfig is how hostile the network is.
type netConfig struct {
	n        int
	maxDelay time.Duration // each message is delayed uniformly in [0, maxDelay]
	loss     float64       // probability a message is lost
	faults   bool          // partitions (symmetric, one-way and single cuts) come and go
	maxBatch int           // Config.MaxBatch; 0 for testConfig's
}

type flight struct {
	at time.Time
	m  Message
}

// cluster is the harness. Every check failure is a test failure naming
// the seed.
type cluster struct {
	t     *testing.T
	seed  uint64
	cfg   netConfig
	rng   *rand.Rand
	now   time.Time
	nodes []*Raft
	net   []flight
	cut   [][]bool           // cut[to][from]: messages from→to are lost
	drop  func(Message) bool // a scripted test's filter: messages it returns true for are lost

	committed  []Entry         // the committed log as nodes applied it; [0] unused
	commitTerm []uint64        // per index, the lowest term in which a node applied it
	leaders    map[uint64]int  // term → its leader
	readAt     map[string]int  // node/id of a read → committed entries when it was asked
	nextData   int             // proposals are numbered
	proposed   map[string]bool // data proposed (to tell committed data from garbage)
	wasLeader  []bool          // per node, whether it was leader after the last call
	stats      map[string]int  // what happened, for the failure message and the tests
}

func testConfig(id, n int, rng *rand.Rand) Config {
	return Config{ID: id, N: n, ElectionTimeout: 100 * time.Millisecond, HeartbeatInterval: 30 * time.Millisecond,
		IsolateAfter: 40 * time.Millisecond, BatchInterval: 5 * time.Millisecond, MaxBatch: 4, MaxInflight: 3, Rand: rng}
}

func newCluster(t *testing.T, seed uint64, cfg netConfig) *cluster {
	c := &cluster{t: t, seed: seed, cfg: cfg, rng: rand.New(rand.NewPCG(seed, 1)),
		now: time.Unix(1000, 0), committed: []Entry{{}}, commitTerm: []uint64{0},
		leaders: map[uint64]int{}, readAt: map[string]int{}, proposed: map[string]bool{},
		wasLeader: make([]bool, cfg.n), stats: map[string]int{}}
	c.cut = make([][]bool, cfg.n)
	for i := range cfg.n {
		c.cut[i] = make([]bool, cfg.n)
		rc := testConfig(i, cfg.n, rand.New(rand.NewPCG(seed, uint64(i)+2)))
		if cfg.maxBatch > 0 {
			rc.MaxBatch = cfg.maxBatch
		}
		r, err := New(rc)
		if err != nil {
			t.Fatal(err)
		}
		c.nodes = append(c.nodes, r)
	}
	return c
}

func (c *cluster) fatalf(format string, args ...any) {
	c.t.Helper()
	c.t.Fatalf("seed %d, %d nodes, t=%v: %s", c.seed, c.cfg.n, c.now.Sub(time.Unix(1000, 0)), fmt.Sprintf(format, args...))
}

// run advances virtual time by d, a millisecond at a time: messages due
// are delivered, nodes tick every 2 ms, clients propose and read at random,
// and partitions change every few hundred milliseconds.
func (c *cluster) run(d time.Duration, load bool) {
	end := c.now.Add(d)
	for c.now.Before(end) {
		c.now = c.now.Add(time.Millisecond)
		c.deliver()
		if c.now.UnixMilli()%2 == 0 {
			for i, r := range c.nodes {
				c.handle(i, r.Tick(c.now))
			}
		}
		if load && c.rng.Float64() < 0.2 {
			c.propose(c.rng.IntN(c.cfg.n))
		}
		if load && c.rng.Float64() < 0.1 {
			c.read(c.rng.IntN(c.cfg.n))
		}
		if c.cfg.faults && c.rng.Float64() < 1.0/300 {
			c.partition()
		}
	}
}

func (c *cluster) propose(i int) {
	c.nextData++
	data := json.RawMessage(strconv.Itoa(c.nextData))
	c.proposed[string(data)] = true
	rd, err := c.nodes[i].Propose(data)
	if err == nil {
		c.stats["proposed"]++
	}
	c.handle(i, rd)
}

func (c *cluster) read(i int) {
	c.nextData++
	id := uint64(c.nextData)
	rd, err := c.nodes[i].ReadIndex(id)
	if err == nil {
		c.readAt[fmt.Sprint(i, "/", id)] = len(c.committed) - 1
	}
	c.handle(i, rd)
}

// partition heals the network, or cuts it in one of three shapes.
func (c *cluster) partition() {
	n := c.cfg.n
	for i := range n {
		clear(c.cut[i])
	}
	switch c.rng.IntN(4) {
	case 0: // healed
	case 1: // random halves
		side := make([]bool, n)
		for _, i := range c.rng.Perm(n)[:n/2] {
			side[i] = true
		}
		for a := range n {
			for b := range n {
				c.cut[a][b] = side[a] != side[b]
			}
		}
	case 2: // one node alone
		x := c.rng.IntN(n)
		for a := range n {
			c.cut[a][x], c.cut[x][a] = a != x, a != x
		}
	case 3: // one-way cuts at random
		for a := range n {
			for b := range n {
				c.cut[a][b] = a != b && c.rng.Float64() < 0.3
			}
		}
	}
	c.stats["partitions"]++
}

// isolate cuts node x off from every other node, both ways: to the others
// it has crashed, keeping its state as a restarted Raft node would.
func (c *cluster) isolate(x int) {
	for p := range c.cfg.n {
		c.cut[x][p], c.cut[p][x] = p != x, p != x
	}
}

// rejoin connects node x to every other node again, both ways (so call it
// before isolating another node).
func (c *cluster) rejoin(x int) {
	for p := range c.cfg.n {
		c.cut[x][p], c.cut[p][x] = false, false
	}
}

func (c *cluster) heal() {
	for i := range c.cfg.n {
		clear(c.cut[i])
	}
}

// deliver steps every message due, in random order among them.
func (c *cluster) deliver() {
	var due []flight
	c.net = slices.DeleteFunc(c.net, func(f flight) bool {
		if !f.at.After(c.now) {
			due = append(due, f)
			return true
		}
		return false
	})
	c.rng.Shuffle(len(due), func(i, j int) { due[i], due[j] = due[j], due[i] })
	for _, f := range due {
		if c.cut[f.m.To][f.m.From] || (c.drop != nil && c.drop(f.m)) {
			c.stats["cut"]++
			continue
		}
		c.handle(f.m.To, c.nodes[f.m.To].Step(roundTrip(c, f.m)))
	}
}

// roundTrip passes a message through JSON, as the wire does.
func roundTrip(c *cluster, m Message) Message {
	b, err := json.Marshal(m)
	if err != nil {
		c.fatalf("encode %+v: %v", m, err)
	}
	var out Message
	if err := json.Unmarshal(b, &out); err != nil {
		c.fatalf("decode %s: %v", b, err)
	}
	return out
}

// handle takes what node i produced: its messages go on the network, its
// committed entries and reads are checked.
func (c *cluster) handle(i int, rd Ready) {
	c.t.Helper()
	for _, m := range rd.Messages {
		if m.From != i || m.To == i || m.To < 0 || m.To >= c.cfg.n {
			c.fatalf("node %d sent a message from %d to %d", i, m.From, m.To)
		}
		c.stats[string(m.Kind)]++
		if c.rng.Float64() < c.cfg.loss {
			c.stats["lost"]++
			continue
		}
		delay := time.Duration(c.rng.Int64N(int64(c.cfg.maxDelay) + 1))
		c.net = append(c.net, flight{at: c.now.Add(delay), m: m})
	}
	for _, e := range rd.Committed {
		c.checkApplied(i, e)
	}
	for _, rs := range rd.Reads {
		c.checkRead(i, rs)
	}
	c.checkElectionSafety(i)
}

// checkApplied is state machine safety: every node applies the same entry
// at each index, in order, and only entries that were proposed (or a
// leader's no-op).
func (c *cluster) checkApplied(i int, e Entry) {
	c.t.Helper()
	term := c.nodes[i].term
	switch {
	case e.Index < uint64(len(c.committed)):
		if want := c.committed[e.Index]; want.Term != e.Term || string(want.Data) != string(e.Data) {
			c.fatalf("state machine safety: node %d applied %d:%d:%s at index %d, another node %d:%s", i, e.Index, e.Term, e.Data, e.Index, want.Term, want.Data)
		}
		c.commitTerm[e.Index] = min(c.commitTerm[e.Index], term)
	case e.Index == uint64(len(c.committed)):
		if e.Data != nil && !c.proposed[string(e.Data)] {
			c.fatalf("node %d applied %s, which nobody proposed", i, e.Data)
		}
		c.committed = append(c.committed, e)
		c.commitTerm = append(c.commitTerm, term)
	default:
		c.fatalf("node %d applied index %d before %d", i, e.Index, len(c.committed))
	}
}

// checkRead is read safety (linearizable reads): a read is served at an
// index that covers every entry committed anywhere before it was asked.
func (c *cluster) checkRead(i int, rs ReadState) {
	c.t.Helper()
	key := fmt.Sprint(i, "/", rs.ID)
	at, ok := c.readAt[key]
	if !ok {
		c.fatalf("node %d got read %d it never asked for (or twice)", i, rs.ID)
	}
	delete(c.readAt, key)
	if rs.Index < uint64(at) || c.nodes[i].apply < rs.Index {
		c.fatalf("stale read at node %d: index %d (applied %d), but %d entries were committed when it was asked", i, rs.Index, c.nodes[i].apply, at)
	}
	c.stats["reads served"]++
}

// checkElectionSafety: at most one leader per term. When a node has just
// become leader it must also hold every entry committed in an earlier
// term (leader completeness).
func (c *cluster) checkElectionSafety(i int) {
	c.t.Helper()
	r := c.nodes[i]
	lead := r.state == Leader
	if lead && !c.wasLeader[i] {
		if l, ok := c.leaders[r.term]; ok && l != i {
			c.fatalf("election safety: nodes %d and %d both lead term %d", l, i, r.term)
		}
		c.leaders[r.term] = i
		c.stats["elections"]++
		for idx := 1; idx < len(c.committed); idx++ {
			if c.commitTerm[idx] >= r.term {
				continue
			}
			ok := uint64(idx) <= r.log.last()
			var e Entry
			if ok {
				e = r.log.entries[idx]
			}
			if want := c.committed[idx]; !ok || e.Term != want.Term || string(e.Data) != string(want.Data) {
				c.fatalf("leader completeness: node %d leads term %d without committed entry %d (%d:%s)", i, r.term, idx, want.Term, want.Data)
			}
		}
	}
	c.wasLeader[i] = lead
}

// checkLogMatching: if two logs hold an entry of the same term at the same
// index, they are identical up to it.
func (c *cluster) checkLogMatching() {
	c.t.Helper()
	for a := range c.nodes {
		for b := a + 1; b < len(c.nodes); b++ {
			la, lb := c.nodes[a].log.entries, c.nodes[b].log.entries
			agreed := false
			for idx := min(len(la), len(lb)) - 1; idx > 0; idx-- {
				if !agreed && la[idx].Term == lb[idx].Term {
					agreed = true
				}
				if agreed && (la[idx].Term != lb[idx].Term || string(la[idx].Data) != string(lb[idx].Data)) {
					c.fatalf("log matching: nodes %d and %d agree on a later term but differ at index %d", a, b, idx)
				}
			}
		}
	}
}

// leader returns the node that leads the highest term, or -1.
func (c *cluster) leader() int {
	best, term := -1, uint64(0)
	for i, r := range c.nodes {
		if r.state == Leader && r.term >= term {
			best, term = i, r.term
		}
	}
	return best
}

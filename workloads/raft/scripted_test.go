package raft

import (
	"slices"
	"testing"
	"time"
)

// Scripted tests: scenarios the random harness is unlikely to stumble on,
// played step by step on the same cluster (and its safety checks) by
// choosing who may campaign and which messages are lost.

// campaignsOnlyFrom is a drop filter under which only node x's campaign
// messages (pre-votes and votes) get through, so x is the only node that
// can be elected; answers to x still arrive.
func campaignsOnlyFrom(x int) func(Message) bool {
	return func(m Message) bool { return (m.Kind == MsgPreVote || m.Kind == MsgVote) && m.From != x }
}

// elect runs the cluster until node x leads, under drop, which should let
// only x win (campaignsOnlyFrom(x), perhaps with more), and returns its term.
func (c *cluster) elect(x int, drop func(Message) bool) uint64 {
	c.t.Helper()
	c.drop = drop
	for range 300 {
		if c.nodes[x].state == Leader {
			return c.nodes[x].term
		}
		c.run(10*time.Millisecond, false)
	}
	c.fatalf("node %d not elected in 3 s: %+v", x, c.nodes[x].Status())
	return 0
}

// TestFigure8 plays Figure 8 of the Raft paper on five nodes: an entry of
// an old term that a new leader copies onto a majority is not yet
// committed, since the leader that wrote a later entry at its index can
// still be elected and overwrite it. A leader that counted replicas of old
// entries (instead of committing them only under an entry of its own term)
// would commit and apply it here, and the harness's state machine safety
// check would catch the overwrite in step (d).
func TestFigure8(t *testing.T) {
	c := newCluster(t, 8, netConfig{n: 5, maxBatch: 1})

	// (a) Node 0 leads term a and commits its no-op (index 1) everywhere;
	// then entry 2, of term a, reaches node 1 only.
	a := c.elect(0, campaignsOnlyFrom(0))
	c.drop = nil
	c.run(100*time.Millisecond, false)
	for _, p := range []int{2, 3, 4} {
		c.cut[p][0] = true
	}
	c.propose(0)
	c.run(20*time.Millisecond, false)
	if !c.holds(2, a, 0, 1) || c.holds(2, a, 2, 3, 4) {
		c.fatalf("(a) want entry 2 of term %d on nodes 0 and 1 only: %s", a, c.logs())
	}

	// (b) Node 0 crashes; node 4 is elected by nodes 2 and 3 and writes its
	// no-op at index 2, in term b, which reaches nobody.
	c.isolate(0)
	b := c.elect(4, func(m Message) bool { return campaignsOnlyFrom(4)(m) || (m.Kind == MsgApp && m.From == 4) })
	if !c.holds(2, b, 4) {
		c.fatalf("(b) want node 4's entry 2 of term %d: %s", b, c.logs())
	}

	// (c) Node 4 crashes, node 0 is back and elected; it copies entry 2 of
	// term a to the others, so a majority holds it, but its own no-op of
	// term c, at index 3, reaches nobody (nor, when check quorum deposes
	// it for want of acknowledgements and it is elected again, later
	// ones): nothing may be committed past 1.
	c.rejoin(0)
	c.isolate(4)
	cTerm := c.elect(0, func(m Message) bool {
		return campaignsOnlyFrom(0)(m) || (m.Kind == MsgApp && m.From == 0 &&
			slices.ContainsFunc(m.Entries, func(e Entry) bool { return e.Term > a }))
	})
	for range 30 {
		c.run(10*time.Millisecond, false)
		for i, r := range c.nodes {
			if r.commit > 1 {
				c.fatalf("(c) node %d committed index %d: entry 2 of old term %d counted on a majority, before any entry of term ≥ %d: %s", i, r.commit, a, cTerm, c.logs())
			}
		}
	}
	if l := c.nodes[0].log; !c.holds(2, a, 0, 1, 2, 3) || l.term(l.last()) < cTerm {
		c.fatalf("(c) want entry 2 of term %d on a majority, and node 0's no-op of term %d or later: %s", a, cTerm, c.logs())
	}

	// (d) Node 0 crashes again; node 4, whose last entry has the later term
	// b, is elected and overwrites index 2 everywhere. Then all heal.
	c.rejoin(4)
	c.isolate(0)
	c.elect(4, campaignsOnlyFrom(4))
	c.drop = nil
	c.run(300*time.Millisecond, false)
	c.heal()
	c.run(time.Second, false)
	c.checkLogMatching()
	c.checkLiveness()
	if got := c.committed[2]; got.Term != b {
		c.fatalf("(d) committed entry 2 is %d:%s, want node 4's no-op of term %d", got.Term, got.Data, b)
	}
}

// holds reports whether every one of nodes has an entry of term at index.
func (c *cluster) holds(index, term uint64, nodes ...int) bool {
	for _, i := range nodes {
		if r := c.nodes[i]; r.log.last() < index || r.log.term(index) != term {
			return false
		}
	}
	return true
}

// logs renders every node's log as the terms of its entries, for failure
// messages.
func (c *cluster) logs() string {
	s := ""
	for i, r := range c.nodes {
		s += " n" + string(rune('0'+i)) + ":"
		for idx := uint64(1); idx <= r.log.last(); idx++ {
			s += " " + string(rune('0'+r.log.term(idx)%10))
		}
	}
	return s
}

// TestReadWaitsForALaterRound: a read is confirmed only by a majority
// acknowledging a heartbeat round the leader sent after the read was
// asked. Acknowledgements of an earlier round prove only that the leader
// led when that round was received, and by the time they arrive another
// leader may have been elected and have committed writes the read would
// miss. Here round R carries a first read; a second read is asked while
// R's acknowledgements are held back; when they arrive they serve the
// first read and not the second, which waits for round R+1.
func TestReadWaitsForALaterRound(t *testing.T) {
	for _, n := range []int{3, 5} {
		c := newCluster(t, uint64(n), netConfig{n: n})
		c.run(500*time.Millisecond, true)
		c.run(100*time.Millisecond, false)
		l := c.leader()
		if l < 0 {
			c.fatalf("no leader")
		}
		acks := func(m Message) bool { return m.Kind == MsgAppResp && m.To == l }
		var held []Message
		c.drop = func(m Message) bool {
			if acks(m) {
				held = append(held, m)
				return true
			}
			return false
		}
		served := c.stats["reads served"]
		c.read(l) // goes out with round R at the next tick
		c.run(10*time.Millisecond, false)
		if c.stats["reads served"] != served {
			c.fatalf("a read was served with no acknowledgement of a round sent after it")
		}
		if len(held) < n-1 {
			c.fatalf("%d acknowledgements of the round after the read held, want one per follower: the round must ask to be confirmed", len(held))
		}
		first := len(held)
		c.read(l) // asked after round R was sent
		for _, m := range held[:first] {
			c.handle(l, c.nodes[l].Step(m))
		}
		if got := c.stats["reads served"] - served; got != 1 {
			c.fatalf("round R's acknowledgements served %d reads, want the first only", got)
		}
		c.drop = nil
		c.run(100*time.Millisecond, false)
		if len(c.readAt) != 0 {
			c.fatalf("the second read was never served (%d waiting)", len(c.readAt))
		}
	}
}

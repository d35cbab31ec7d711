package raft

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"
)

// Scenario tests: each drives a small cluster of the harness through one
// story and checks what the protocol promises in it.

// stable returns a 3-node cluster on a clean network with a leader.
func stable(t *testing.T) (*cluster, int) {
	t.Helper()
	c := newCluster(t, 7, netConfig{n: 3})
	c.run(time.Second, false)
	l := c.leader()
	if l < 0 {
		t.Fatal("no leader on a clean network")
	}
	return c, l
}

// TestRejoiningNodeDoesNotDepose: a follower cut off for long enough to
// campaign many times learns it is isolated, and on its return the leader
// keeps its term and its place (pre-vote).
func TestRejoiningNodeDoesNotDepose(t *testing.T) {
	c, l := stable(t)
	term, x := c.nodes[l].term, (l+1)%3
	c.isolate(x)
	c.run(2*time.Second, false)
	if st := c.nodes[x].Status(); !st.Isolated || st.Term != term {
		t.Fatalf("cut-off node: %+v, want isolated at term %d", st, term)
	}
	c.heal()
	c.run(time.Second, false)
	if c.leader() != l || c.nodes[l].term != term {
		t.Fatalf("leader %d at term %d after the rejoin, want %d at %d", c.leader(), c.nodes[c.leader()].term, l, term)
	}
	if st := c.nodes[x].Status(); st.Isolated || st.Leader != l {
		t.Fatalf("rejoined node: %+v, want following %d", st, l)
	}
}

// TestCutOffLeaderStepsDown: a leader that no majority answers steps down
// within an election timeout and calls itself isolated; the others elect
// a leader of a higher term.
func TestCutOffLeaderStepsDown(t *testing.T) {
	c, l := stable(t)
	term := c.nodes[l].term
	c.isolate(l)
	c.run(time.Second, false)
	if st := c.nodes[l].Status(); st.State == Leader || !st.Isolated {
		t.Fatalf("cut-off leader: %+v", st)
	}
	if nl := c.leader(); nl < 0 || nl == l || c.nodes[nl].term <= term {
		t.Fatalf("no new leader in the majority (leader %d)", nl)
	}
	if _, err := c.nodes[l].Propose(json.RawMessage(`1`)); err != ErrNoLeader {
		t.Fatalf("the cut-off node took a proposal: %v", err)
	}
}

// TestReadsShareOneRound: reads requested together at the leader are
// confirmed by a single heartbeat round, one message to each follower and
// its acknowledgement, and none of them goes in the log.
func TestReadsShareOneRound(t *testing.T) {
	c, l := stable(t)
	c.run(200*time.Millisecond, false) // heartbeats due later than the reads' round
	clear(c.stats)
	last := c.nodes[l].log.last()
	for range 20 {
		c.read(l)
	}
	c.run(10*time.Millisecond, false)
	if c.stats["reads served"] != 20 || c.stats[string(MsgApp)] != 2 || c.stats[string(MsgAppResp)] != 2 {
		t.Fatalf("20 reads: %v, want all served by one round (2 appends, 2 acknowledgements)", c.stats)
	}
	if c.nodes[l].log.last() != last {
		t.Fatal("reads went into the log")
	}
}

// TestBatchingAndPipelining: proposals arriving within a batch interval go
// out in one round, split into appends of MaxBatch entries that are all
// sent before any is acknowledged (up to MaxInflight).
func TestBatchingAndPipelining(t *testing.T) {
	c := newCluster(t, 3, netConfig{n: 3})
	c.run(time.Second, false)
	l := c.leader()
	r := c.nodes[l]
	for i := range 10 {
		rd, err := r.Propose(json.RawMessage(`"p"`))
		if err != nil || len(rd.Messages) != 0 {
			t.Fatalf("proposal %d: %v, %d messages at once", i, err, len(rd.Messages))
		}
	}
	c.proposed[`"p"`] = true
	perPeer := map[int][]int{}
	for _, m := range r.Tick(c.now.Add(r.cfg.BatchInterval)).Messages {
		if m.Kind == MsgApp {
			perPeer[m.To] = append(perPeer[m.To], len(m.Entries))
		}
	}
	for p, sizes := range perPeer {
		if len(sizes) != 3 || sizes[0] != 4 || sizes[1] != 4 || sizes[2] != 2 {
			t.Fatalf("appends to %d carry %v entries, want [4 4 2] at once", p, sizes)
		}
	}
	if len(perPeer) != 2 {
		t.Fatalf("appends went to %v", perPeer)
	}
}

// TestFollowerCommitsItsForwardedEntry: with three nodes, a follower that
// accepts an entry of the leader's term knows it is on a majority (itself
// and the leader) and applies it before the leader hears of it.
func TestFollowerCommitsItsForwardedEntry(t *testing.T) {
	c, l := stable(t)
	f := (l + 1) % 3
	rd, err := c.nodes[f].Propose(json.RawMessage(`"mine"`))
	if err != nil {
		t.Fatal(err)
	}
	c.proposed[`"mine"`] = true
	c.handle(f, rd)
	// The forward goes at f's next tick, the append at the leader's.
	fwd := c.nodes[f].Tick(c.now)
	if len(fwd.Messages) != 1 || fwd.Messages[0].Kind != MsgForward {
		t.Fatalf("follower sent %+v, want one forward", fwd.Messages)
	}
	c.nodes[l].Step(fwd.Messages[0])
	apps := c.nodes[l].Tick(c.now.Add(c.nodes[l].cfg.BatchInterval)).Messages
	for _, m := range apps {
		if m.To != f || m.Kind != MsgApp {
			continue
		}
		got := c.nodes[f].Step(m)
		if n := len(got.Committed); n == 0 || string(got.Committed[n-1].Data) != `"mine"` {
			t.Fatalf("follower applied %+v on the append", got.Committed)
		}
		if c.nodes[l].commit >= got.Committed[len(got.Committed)-1].Index {
			t.Fatal("the leader knew already: the test shows nothing")
		}
		return
	}
	t.Fatalf("no append to the follower in %+v", apps)
}

// TestConfigRejectsNonsense: New refuses a configuration it cannot run.
func TestConfigRejectsNonsense(t *testing.T) {
	good := testConfig(0, 3, rand.New(rand.NewPCG(1, 1)))
	for name, mutate := range map[string]func(*Config){
		"id out of range":        func(c *Config) { c.ID = 3 },
		"heartbeat ≥ election":   func(c *Config) { c.HeartbeatInterval = c.ElectionTimeout },
		"no random source":       func(c *Config) { c.Rand = nil },
		"empty batches":          func(c *Config) { c.MaxBatch = 0 },
		"no isolation threshold": func(c *Config) { c.IsolateAfter = 0 },
	} {
		cfg := good
		mutate(&cfg)
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := New(good); err != nil {
		t.Fatal(err)
	}
}

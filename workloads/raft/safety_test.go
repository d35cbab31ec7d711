package raft

import (
	"encoding/json"
	"testing"
	"time"
)

// seeds is how many seeded runs TestSafety makes per cluster size.
const seeds = 60

// TestSafety runs clusters of 1 to 5 nodes under random loss, delays that
// reorder messages and partitions of every shape (symmetric halves, one
// node alone, random one-way cuts), with clients proposing and reading
// throughout, and checks Raft's safety properties after every call:
// election safety, leader completeness, state machine safety and read
// safety in handle, log matching every 50 ms. Then the network heals and
// the cluster must elect a leader and commit a new entry everywhere.
func TestSafety(t *testing.T) {
	t.Parallel()
	for n := 1; n <= 5; n++ {
		total := map[string]int{}
		for seed := range uint64(seeds) {
			c := newCluster(t, seed, netConfig{n: n, maxDelay: 15 * time.Millisecond, loss: 0.05, faults: true})
			for range 60 {
				c.run(50*time.Millisecond, true)
				c.checkLogMatching()
			}
			c.heal()
			c.cfg.loss, c.cfg.faults = 0, false
			c.run(time.Second, false)
			c.checkLiveness()
			for k, v := range c.stats {
				total[k] += v
			}
		}
		if total["reads served"] < seeds || total["proposed"] < seeds || total["elections"] < seeds || (n > 1 && total["cut"] == 0) {
			t.Fatalf("%d nodes: the runs tested little: %v", n, total)
		}
		t.Logf("%d nodes, %d seeds: %v", n, seeds, total)
	}
}

// checkLiveness: on a healed network a leader exists and an entry it is
// given is applied by every node.
func (c *cluster) checkLiveness() {
	c.t.Helper()
	l := c.leader()
	if l < 0 {
		c.fatalf("no leader a second after healing (%v)", c.stats)
	}
	for i, r := range c.nodes {
		if lead := c.nodes[l]; r.log.last() != lead.log.last() || r.apply != lead.commit {
			c.fatalf("node %d has %d entries and applied %d a second after healing, leader %d has %d and committed %d",
				i, r.log.last(), r.apply, l, lead.log.last(), lead.commit)
		}
	}
	c.nextData++
	data := json.RawMessage(`"marker"`)
	c.proposed[string(data)] = true
	rd, err := c.nodes[l].Propose(data)
	if err != nil {
		c.fatalf("leader %d refused a proposal: %v", l, err)
	}
	c.handle(l, rd)
	c.run(300*time.Millisecond, false)
	last := c.committed[len(c.committed)-1]
	if string(last.Data) != `"marker"` {
		c.fatalf("marker not committed: last committed %d:%s (%v)", last.Term, last.Data, c.stats)
	}
	for i, r := range c.nodes {
		if r.apply != last.Index {
			c.fatalf("node %d applied %d of %d after healing", i, r.apply, last.Index)
		}
	}
}

// TestSafetyWithoutFaults runs longer on a clean network, where
// pipelining and batching are busiest and every proposal must commit.
func TestSafetyWithoutFaults(t *testing.T) {
	t.Parallel()
	for seed := range uint64(10) {
		c := newCluster(t, seed, netConfig{n: 3, maxDelay: 3 * time.Millisecond})
		c.run(3*time.Second, true)
		c.checkLogMatching()
		c.run(200*time.Millisecond, false)
		// Every proposal after the first election reaches the log; the
		// only ones lost are those made while no leader was known.
		if got := len(c.committed) - 1 - c.stats["elections"]; got != c.stats["proposed"] {
			c.fatalf("%d proposals accepted, %d committed (%v)", c.stats["proposed"], got, c.stats)
		}
		if len(c.readAt) != 0 {
			c.fatalf("%d reads never served", len(c.readAt))
		}
	}
}

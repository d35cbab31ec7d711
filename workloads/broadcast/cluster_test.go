package broadcast

import (
	"container/heap"
	"fmt"
	"testing"
	"time"
)

// cluster runs engines on a discrete-event network with fixed latency and
// optional partitions, in virtual time: a network-free check of
// dissemination, batching and anti-entropy together.
type cluster struct {
	t       *testing.T
	cfg     Config
	ids     []string
	eng     []*Engine
	now     time.Time
	latency time.Duration
	events  eventQueue
	nextSeq int

	cut func(from, to int) bool // nil: every link up

	sent         map[string]int // messages sent, by type
	repairValues int            // values carried by repairs
	wasted       int            // repaired values the receiver already held
	maxRepair    int            // most values in one repair message
	nextValue    int64
}

type event struct {
	at  time.Time
	seq int
	fn  func()
}

type eventQueue []event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	return q[i].at.Before(q[j].at) || q[i].at.Equal(q[j].at) && q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

func newCluster(t *testing.T, n int, cfg Config, latency time.Duration) *cluster {
	t.Helper()
	c := &cluster{t: t, cfg: cfg, now: time.Unix(1_000_000, 0), latency: latency, sent: map[string]int{}}
	for i := range n {
		c.ids = append(c.ids, fmt.Sprintf("n%d", i))
	}
	for _, id := range c.ids {
		e, err := NewEngine(cfg, id, c.ids)
		if err != nil {
			t.Fatal(err)
		}
		c.eng = append(c.eng, e)
	}
	for i := range c.eng {
		if cfg.Rounds {
			var round func()
			round = func() {
				c.send(i, c.eng[i].Round(c.now))
				c.at(c.eng[i].NextRound(c.now).Sub(c.now), round)
			}
			c.at(c.eng[i].NextRound(c.now).Sub(c.now), round)
			continue
		}
		c.every(cfg.AntiEntropy, func() { c.send(i, c.eng[i].Tick(c.now)) })
		if cfg.Batch > 0 {
			c.every(cfg.Batch, func() { c.send(i, c.eng[i].Flush()) })
		}
	}
	return c
}

func (c *cluster) at(d time.Duration, fn func()) {
	c.nextSeq++
	heap.Push(&c.events, event{at: c.now.Add(d), seq: c.nextSeq, fn: fn})
}

func (c *cluster) every(d time.Duration, fn func()) {
	var tick func()
	tick = func() { fn(); c.at(d, tick) }
	c.at(d, tick)
}

// run processes events for d of virtual time.
func (c *cluster) run(d time.Duration) {
	end := c.now.Add(d)
	for len(c.events) > 0 && !c.events[0].at.After(end) {
		ev := heap.Pop(&c.events).(event)
		c.now = ev.at
		ev.fn()
	}
	c.now = end
}

func (c *cluster) send(from int, outs []Out) {
	for _, o := range outs {
		to := c.index(o.Dest)
		switch b := o.Body.(type) {
		case gossipBody:
			c.sent[b.Type]++
			if b.Type == typeRepair {
				k := 0
				for _, sg := range b.Segs {
					c.repairValues += len(sg.Values)
					k += len(sg.Values)
				}
				c.maxRepair = max(c.maxRepair, k)
			}
		case digestBody:
			c.sent[b.Type]++
		default:
			c.t.Fatalf("engine sent a %T", o.Body)
		}
		if c.cut != nil && c.cut(from, to) {
			continue
		}
		c.at(c.latency, func() { c.deliver(from, to, o.Body) })
	}
}

func (c *cluster) deliver(from, to int, body any) {
	e, src := c.eng[to], c.ids[from]
	var outs []Out
	var err error
	switch b := body.(type) {
	case gossipBody:
		if b.Type == typeGossip {
			outs, err = e.gossip(src, b, c.now)
			break
		}
		for _, sg := range b.Segs {
			for i := range sg.Values {
				if _, held := e.st.logs[sg.Origin].after[sg.Seq+i]; held || sg.Seq+i < len(e.st.logs[sg.Origin].prefix) {
					c.wasted++
				}
			}
		}
		outs, err = e.Repair(src, b.Segs)
	case digestBody:
		outs, err = e.Digest(src, b.Have, c.now)
	}
	if err != nil {
		c.t.Fatalf("%s from %s: %v", c.ids[to], src, err)
	}
	c.send(to, outs)
}

// load broadcasts one fresh value every interval for d, to nodes in turn.
func (c *cluster) load(interval, d time.Duration) {
	for k := 0; time.Duration(k)*interval < d; k++ {
		c.at(time.Duration(k)*interval, func() {
			node := int(c.nextValue) % len(c.eng)
			c.send(node, c.eng[node].Broadcast(c.nextValue, c.now))
			c.nextValue++
		})
	}
}

// missing is the number of (node, value) pairs not yet delivered.
func (c *cluster) missing() int {
	m := 0
	for _, e := range c.eng {
		m += int(c.nextValue) - e.Size()
	}
	return m
}

func (c *cluster) index(id string) int {
	for i, x := range c.ids {
		if x == id {
			return i
		}
	}
	c.t.Fatalf("unknown node %q", id)
	return -1
}

func halves(n int) func(from, to int) bool {
	return func(from, to int) bool { return (from < n/2) != (to < n/2) }
}

var configs = []struct {
	name string
	cfg  Config
}{
	{"default", defaultConfig},
	{"economy", economyConfig},
	// The grace period (the anti-entropy period) must cover the time a
	// value takes to cross the tree: here up to 8 hops of 100-200 ms.
	{"binary-tree", Config{Fanout: 2, Batch: 100 * time.Millisecond, AntiEntropy: 2 * time.Second}},
}

func TestClusterNoFaultsNeedsNoRepair(t *testing.T) {
	const n, values = 25, 400
	for _, tc := range configs {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, n, tc.cfg, 100*time.Millisecond)
			c.load(20*time.Millisecond, values*20*time.Millisecond) // 50 values/s, as challenge 3d
			c.run(20 * time.Second)
			if m := c.missing(); m != 0 {
				t.Fatalf("%d (node, value) pairs missing without faults", m)
			}
			if c.sent[typeRepair] != 0 {
				t.Errorf("%d repairs without faults, want 0: the grace period should cover values in flight", c.sent[typeRepair])
			}
			wantDigests := n * int(20*time.Second/tc.cfg.AntiEntropy)
			if c.sent[typeDigest] != wantDigests {
				t.Errorf("%d digests, want exactly one per node per period = %d", c.sent[typeDigest], wantDigests)
			}
			perValue := float64(c.sent[typeGossip]) / values
			t.Logf("%s: %.2f gossip messages per value, %d digests", tc.name, perValue, c.sent[typeDigest])
			switch tc.name {
			case "default":
				if c.sent[typeGossip] != values*(n-1) {
					t.Errorf("direct: %d gossip messages, want exactly %d", c.sent[typeGossip], values*(n-1))
				}
			case "economy":
				// Each leaf sends its own values one by one (at most 24 of 25
				// values); the centre sends at most 24 per 600 ms flush.
				limit := values + (n-1)*int(8*time.Second/tc.cfg.Batch+1)
				if c.sent[typeGossip] > limit {
					t.Errorf("economy: %d gossip messages, want at most %d", c.sent[typeGossip], limit)
				}
			}
		})
	}
}

// TestClusterHealsPartitionsWithoutResendingEverything cuts a cluster
// under load, heals it, and checks what Maelstrom's final reads need: every
// value everywhere within 10 s of the load's end, repairs that carry what
// was missing rather than everything, and repair messages of bounded size
// even after a minute of partition.
func TestClusterHealsPartitionsWithoutResendingEverything(t *testing.T) {
	type partition struct {
		name string
		cut  func(n int) func(from, to int) bool
	}
	var (
		half    = partition{"halves", halves}
		oneNode = partition{"one-node", func(int) func(from, to int) bool {
			return func(from, to int) bool { return (from == 7) != (to == 7) }
		}}
	)
	type scenario struct {
		n         int
		cut, tail time.Duration // partition length; load after the heal
		cfg       string
		part      partition
	}
	var scenarios []scenario
	for _, tc := range configs {
		for _, p := range []partition{half, oneNode} {
			scenarios = append(scenarios, scenario{25, 20 * time.Second, 5 * time.Second, tc.name, p})
		}
	}
	// Maelstrom's worst cases on a larger cluster, partitions healed as the
	// load ends: one node cut off for long (its values have one holder),
	// and a third of the nodes, the star's centre among them, cut off from
	// the rest (each of its leaves then holds its own values alone).
	third := partition{"third with the centre", func(n int) func(from, to int) bool {
		return func(from, to int) bool { return (from%3 == 0) != (to%3 == 0) }
	}}
	scenarios = append(scenarios,
		scenario{100, 45 * time.Second, 0, "default", oneNode},
		scenario{100, 12 * time.Second, 0, "default", third},
		scenario{100, 12 * time.Second, 0, "economy", third},
	)
	for _, sc := range scenarios {
		t.Run(fmt.Sprintf("%d nodes/%v/%s/%s", sc.n, sc.cut, sc.cfg, sc.part.name), func(t *testing.T) {
			c := newCluster(t, sc.n, configByName(t, sc.cfg), 100*time.Millisecond)
			c.load(20*time.Millisecond, 5*time.Second+sc.cut+sc.tail)
			c.run(5 * time.Second)
			c.cut = sc.part.cut(sc.n)
			c.run(sc.cut) // values keep coming, and keep being lost across the cut
			c.cut = nil
			atHeal := c.missing()
			if atHeal == 0 {
				t.Fatal("the partition lost nothing: the test proves nothing")
			}
			c.run(sc.tail)
			quiet := time.Duration(0)
			for c.missing() > 0 && quiet < 10*time.Second {
				c.run(100 * time.Millisecond)
				quiet += 100 * time.Millisecond
			}
			if m := c.missing(); m != 0 {
				t.Fatalf("%d (node, value) pairs still missing 10 s after the load ended (%d at the heal)", m, atHeal)
			}
			// Repairs carry what the receiver lacks, save values past a gap
			// in its prefix (a digest cannot show them) and values that were
			// on their way by another path: at most a third (splitting the
			// star leaves the most gaps), usually under a tenth.
			if c.wasted > c.repairValues/3 {
				t.Errorf("%d of %d repaired values were already held", c.wasted, c.repairValues)
			}
			if c.maxRepair > maxValuesPerMessage {
				t.Errorf("a repair message carried %d values, want at most %d", c.maxRepair, maxValuesPerMessage)
			}
			t.Logf("missing at heal %d, repaired values %d (wasted %d, largest message %d) in %d repairs; converged %v after the load",
				atHeal, c.repairValues, c.wasted, c.maxRepair, c.sent[typeRepair], quiet)
		})
	}
}

// configByName returns the entry of configs called name.
func configByName(t *testing.T, name string) Config {
	t.Helper()
	for _, tc := range configs {
		if tc.name == name {
			return tc.cfg
		}
	}
	t.Fatalf("no config %q", name)
	return Config{}
}

package broadcast

import (
	"math"
	"slices"
	"testing"
	"time"
)

// roundsConfig is a star in rounds of 1 s, the centre 100 ms after the
// leaves (g-set's economy setting has the same shape).
var roundsConfig = Config{Fanout: math.MaxInt, Batch: time.Second, AntiEntropy: time.Second, Rounds: true, RoundLag: 100 * time.Millisecond}

// roundStart is a round boundary: a multiple of the 1 s round.
var roundStart = time.Unix(1_000_000, 0)

// bodies returns the gossip bodies of outs by destination, checking each
// is a round message (a gossip carrying a digest).
func bodies(t *testing.T, outs []Out) map[string]gossipBody {
	t.Helper()
	got := map[string]gossipBody{}
	for _, o := range outs {
		b, ok := o.Body.(gossipBody)
		if !ok || b.Type != typeGossip || b.Have == nil {
			t.Fatalf("sent %+v to %s, want a gossip with a digest", o.Body, o.Dest)
		}
		if _, dup := got[o.Dest]; dup {
			t.Fatalf("two messages to %s in one round", o.Dest)
		}
		got[o.Dest] = b
	}
	return got
}

func values(segs []Segment) []int64 {
	var vs []int64
	for _, sg := range segs {
		vs = append(vs, sg.Values...)
	}
	slices.Sort(vs)
	return vs
}

func TestRoundsNeedATreeABatchAndALagBelowIt(t *testing.T) {
	for _, cfg := range []Config{
		{Fanout: 0, Batch: time.Second, AntiEntropy: time.Second, Rounds: true},
		{Fanout: 4, Batch: 0, AntiEntropy: time.Second, Rounds: true},
		{Fanout: 4, Batch: time.Second, AntiEntropy: time.Second, Rounds: true, RoundLag: time.Second},
		{Fanout: 4, Batch: time.Second, AntiEntropy: time.Second, RoundLag: -time.Millisecond},
	} {
		if _, err := NewEngine(cfg, "n0", ids(5)); err == nil {
			t.Errorf("NewEngine(%+v) succeeded", cfg)
		}
	}
	if _, err := NewEngine(roundsConfig, "n0", ids(5)); err != nil {
		t.Errorf("NewEngine(roundsConfig): %v", err)
	}
}

func TestNextRoundPutsTheCentreALagAfterTheLeaves(t *testing.T) {
	leaf, centre := engine(t, roundsConfig, "n3", 5), engine(t, roundsConfig, "n0", 5)
	for _, tc := range []struct {
		now          time.Duration // after roundStart
		leaf, centre time.Duration
	}{
		{0, time.Second, 100 * time.Millisecond},
		{50 * time.Millisecond, time.Second, 100 * time.Millisecond},
		{100 * time.Millisecond, time.Second, 1100 * time.Millisecond},
		{999 * time.Millisecond, time.Second, 1100 * time.Millisecond},
	} {
		now := roundStart.Add(tc.now)
		if got := leaf.NextRound(now).Sub(roundStart); got != tc.leaf {
			t.Errorf("leaf's next round at +%v: +%v, want +%v", tc.now, got, tc.leaf)
		}
		if got := centre.NextRound(now).Sub(roundStart); got != tc.centre {
			t.Errorf("centre's next round at +%v: +%v, want +%v", tc.now, got, tc.centre)
		}
	}
	if got := engine(t, economyConfig, "n0", 5).NextRound(roundStart); !got.IsZero() {
		t.Errorf("NextRound without rounds = %v, want the zero time", got)
	}
}

// TestRoundsBatchAtLeavesAndCrossTheStarInOneRound follows values through
// one round: a leaf sends nothing until its round, then one message; the
// centre sends each other leaf one message with everything new to it, and
// answers the leaf that sent values with its digest alone.
func TestRoundsBatchAtLeavesAndCrossTheStarInOneRound(t *testing.T) {
	leaf, centre := engine(t, roundsConfig, "n2", 5), engine(t, roundsConfig, "n0", 5)
	for _, v := range []int64{10, 11, 12} {
		if outs := leaf.Broadcast(v, roundStart.Add(200*time.Millisecond)); len(outs) != 0 {
			t.Fatalf("a leaf sent %v at once", outs)
		}
	}
	if outs := centre.Broadcast(99, roundStart.Add(300*time.Millisecond)); len(outs) != 0 {
		t.Fatalf("the centre sent %v at once", outs)
	}
	up := bodies(t, leaf.Round(roundStart.Add(time.Second)))
	if len(up) != 1 || !slices.Equal(values(up["n0"].Segs), []int64{10, 11, 12}) || !slices.Equal(up["n0"].Have, []int{0, 0, 3, 0, 0}) {
		t.Fatalf("leaf's round sent %+v, want its three values and digest to n0", up)
	}
	if _, err := centre.gossip("n2", up["n0"], roundStart.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	down := bodies(t, centre.Round(roundStart.Add(1100*time.Millisecond)))
	for _, d := range []string{"n1", "n3", "n4"} {
		if got := values(down[d].Segs); !slices.Equal(got, []int64{10, 11, 12, 99}) {
			t.Errorf("centre sent %v to %s, want 10 11 12 99", got, d)
		}
	}
	if got := values(down["n2"].Segs); !slices.Equal(got, []int64{99}) || !slices.Equal(down["n2"].Have, []int{1, 0, 3, 0, 0}) {
		t.Errorf("centre sent %+v to n2, want 99 and its digest (the answer to n2's values)", down["n2"])
	}
	// Nothing new, every digest up to date: the next rounds are silent.
	if _, err := leaf.gossip("n0", down["n2"], roundStart.Add(1100*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	ack := bodies(t, leaf.Round(roundStart.Add(2*time.Second)))
	if len(ack["n0"].Segs) != 0 || !slices.Equal(ack["n0"].Have, []int{1, 0, 3, 0, 0}) {
		t.Fatalf("leaf's answer to the centre's values: %+v, want its digest alone", ack)
	}
	if _, err := centre.gossip("n2", ack["n0"], roundStart.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if outs := leaf.Round(roundStart.Add(3 * time.Second)); len(outs) != 0 {
		t.Errorf("an idle leaf sent %+v", outs)
	}
}

// TestRoundsReofferLostValuesUntilADigestShowsThem: values a partition
// swallowed go again in every round once they are a round old (not
// before: younger ones may be in flight), until the peer's digest shows
// them.
func TestRoundsReofferLostValuesUntilADigestShowsThem(t *testing.T) {
	leaf := engine(t, roundsConfig, "n1", 3)
	leaf.Broadcast(7, roundStart.Add(500*time.Millisecond))
	if got := bodies(t, leaf.Round(roundStart.Add(time.Second))); !slices.Equal(values(got["n0"].Segs), []int64{7}) {
		t.Fatalf("first round: %+v", got)
	} // lost
	leaf.Broadcast(8, roundStart.Add(1500*time.Millisecond))
	got := bodies(t, leaf.Round(roundStart.Add(2*time.Second)))
	if vs := values(got["n0"].Segs); !slices.Equal(vs, []int64{7, 8}) {
		t.Fatalf("second round sent %v, want 7 again (a round old) and 8 (new)", vs)
	} // lost too
	got = bodies(t, leaf.Round(roundStart.Add(3*time.Second)))
	if vs := values(got["n0"].Segs); !slices.Equal(vs, []int64{7, 8}) {
		t.Fatalf("third round sent %v, want 7 and 8 again", vs)
	}
	// The centre's digest shows 7 arrived: only 8 is owed now.
	if _, err := leaf.gossip("n0", gossipBody{Type: typeGossip, Segs: []Segment{}, Have: []int{0, 1, 0}}, roundStart.Add(3100*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	got = bodies(t, leaf.Round(roundStart.Add(4*time.Second)))
	if vs := values(got["n0"].Segs); !slices.Equal(vs, []int64{8}) {
		t.Fatalf("after the digest, the round sent %v, want 8 alone", vs)
	}
	if _, err := leaf.gossip("n0", gossipBody{Type: typeGossip, Segs: []Segment{}, Have: []int{0, 2, 0}}, roundStart.Add(4100*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if outs := leaf.Round(roundStart.Add(5 * time.Second)); len(outs) != 0 {
		t.Errorf("the leaf sent %+v once the centre held everything", outs)
	}
	if outs := leaf.Tick(roundStart.Add(5 * time.Second)); len(outs) != 0 {
		t.Errorf("Tick sent %+v with rounds", outs)
	}
}

// TestClusterRounds runs a star in rounds under load: without faults every
// value arrives with at most 2(N-1) messages a round and none once idle;
// cut in halves (the centre on one side) or with one leaf cut off, and
// healed as the load ends, every value is everywhere within two rounds.
func TestClusterRounds(t *testing.T) {
	const n = 25
	c := newCluster(t, n, roundsConfig, 100*time.Millisecond)
	c.load(20*time.Millisecond, 10*time.Second)
	c.run(10 * time.Second)
	sent := c.sent[typeGossip]
	c.run(5 * time.Second)
	if m := c.missing(); m != 0 {
		t.Fatalf("%d (node, value) pairs missing without faults", m)
	}
	if limit := 2 * (n - 1) * 11; sent > limit {
		t.Errorf("%d messages in 10 rounds of load, want at most %d", sent, limit)
	}
	idle := c.sent[typeGossip]
	c.run(10 * time.Second)
	if c.sent[typeGossip] != idle {
		t.Errorf("%d messages once idle and converged, want 0", c.sent[typeGossip]-idle)
	}
	if len(c.sent) != 1 {
		t.Errorf("sent %v, want gossip alone", c.sent)
	}

	for _, cut := range []struct {
		name string
		cut  func(from, to int) bool
	}{
		{"halves", halves(n)},
		{"one leaf", func(from, to int) bool { return (from == 7) != (to == 7) }},
	} {
		t.Run(cut.name, func(t *testing.T) {
			c := newCluster(t, n, roundsConfig, 100*time.Millisecond)
			c.load(20*time.Millisecond, 20*time.Second)
			c.run(5 * time.Second)
			c.cut = cut.cut
			c.run(15 * time.Second)
			c.cut = nil
			if c.missing() == 0 {
				t.Fatal("the partition lost nothing: the test proves nothing")
			}
			c.run(2*roundsConfig.Batch + roundsConfig.RoundLag + 2*c.latency)
			if m := c.missing(); m != 0 {
				t.Fatalf("%d (node, value) pairs missing two rounds after the heal", m)
			}
		})
	}
}

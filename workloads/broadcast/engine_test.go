package broadcast

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Unix(1_000_000, 0)

func ids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("n%d", i)
	}
	return out
}

func engine(t *testing.T, cfg Config, self string, n int) *Engine {
	t.Helper()
	e, err := NewEngine(cfg, self, ids(n))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// dests lists the destinations of outs, checking each body is a message of
// type typ.
func dests(t *testing.T, outs []Out, typ string) []string {
	t.Helper()
	var ds []string
	for _, o := range outs {
		var got string
		switch b := o.Body.(type) {
		case gossipBody:
			got = b.Type
		case digestBody:
			got = b.Type
		}
		if got != typ {
			t.Fatalf("sent %s to %s, want %s", got, o.Dest, typ)
		}
		ds = append(ds, o.Dest)
	}
	return ds
}

func TestNewEngineRejectsBadClusters(t *testing.T) {
	for _, tc := range []struct {
		self string
		ids  []string
		cfg  Config
	}{
		{"n9", ids(3), defaultConfig},
		{"n0", []string{"n0", "n1", "n0"}, defaultConfig},
		{"n0", ids(3), Config{Fanout: -1, AntiEntropy: time.Second}},
		{"n0", ids(3), Config{AntiEntropy: 0}},
		{"n0", ids(3), Config{Batch: -time.Second, AntiEntropy: time.Second}},
	} {
		if _, err := NewEngine(tc.cfg, tc.self, tc.ids); err == nil {
			t.Errorf("NewEngine(%+v, %s, %v) succeeded", tc.cfg, tc.self, tc.ids)
		}
	}
}

func TestDirectSendsOwnValuesToEveryPeerOnce(t *testing.T) {
	e := engine(t, defaultConfig, "n2", 5)
	outs := e.Broadcast(42, t0)
	if got := dests(t, outs, typeGossip); !slices.Equal(got, []string{"n0", "n1", "n3", "n4"}) {
		t.Fatalf("broadcast went to %v", got)
	}
	if seg := outs[0].Body.(gossipBody).Segs; !segsEqual(seg, []Segment{{2, 0, []int64{42}}}) {
		t.Fatalf("gossip carries %v", seg)
	}
	if outs := e.Broadcast(42, t0); len(outs) != 0 {
		t.Fatalf("a repeated value was sent again: %v", outs)
	}
	peer := engine(t, defaultConfig, "n0", 5)
	outs, err := peer.Gossip("n2", []Segment{{2, 0, []int64{42}}}, t0)
	if err != nil || len(outs) != 0 || peer.Size() != 1 {
		t.Fatalf("receiver: outs %v, err %v, size %d; want it stored and not relayed", outs, err, peer.Size())
	}
}

func TestStarBatchesRelaysAndOwnValuesOfTheCentre(t *testing.T) {
	cfg := Config{Fanout: math.MaxInt, Batch: 500 * time.Millisecond, AntiEntropy: time.Second}
	leaf := engine(t, cfg, "n3", 5)
	if got := dests(t, leaf.Broadcast(1, t0), typeGossip); !slices.Equal(got, []string{"n0"}) {
		t.Fatalf("leaf sent its own value to %v, want [n0] at once", got)
	}
	centre := engine(t, cfg, "n0", 5)
	for i, step := range []func() ([]Out, error){
		func() ([]Out, error) { return centre.Gossip("n3", []Segment{{3, 0, []int64{1}}}, t0) },
		func() ([]Out, error) { return centre.Gossip("n4", []Segment{{4, 0, []int64{2}}}, t0) },
		func() ([]Out, error) { return centre.Broadcast(3, t0), nil },
	} {
		if outs, err := step(); err != nil || len(outs) != 0 {
			t.Fatalf("step %d: centre sent %v (err %v) before the flush", i, outs, err)
		}
	}
	outs := centre.Flush()
	if got := dests(t, outs, typeGossip); !slices.Equal(got, []string{"n1", "n2", "n3", "n4"}) {
		t.Fatalf("flush went to %v", got)
	}
	want := map[string][]Segment{
		"n1": {{3, 0, []int64{1}}, {4, 0, []int64{2}}, {0, 0, []int64{3}}},
		"n3": {{4, 0, []int64{2}}, {0, 0, []int64{3}}}, // not its own value back
		"n4": {{3, 0, []int64{1}}, {0, 0, []int64{3}}},
	}
	for _, o := range outs {
		if w, ok := want[o.Dest]; ok && !segsEqual(o.Body.(gossipBody).Segs, w) {
			t.Errorf("flush to %s carries %v, want %v", o.Dest, o.Body.(gossipBody).Segs, w)
		}
	}
	if outs := centre.Flush(); len(outs) != 0 {
		t.Errorf("second flush sent %v", outs)
	}
}

func TestDigestRepairsOnlyWhatThePeerLacksAfterGrace(t *testing.T) {
	cfg := defaultConfig
	e := engine(t, cfg, "n0", 3)
	e.Broadcast(10, t0)
	e.Broadcast(11, t0.Add(900*time.Millisecond))
	if _, err := e.Gossip("n1", []Segment{{1, 0, []int64{20}}}, t0); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(time.Second)
	for _, tc := range []struct {
		name string
		have []int
		want []Segment
	}{
		{"peer lacks everything", []int{0, 0, 0}, []Segment{{0, 0, []int64{10}}, {1, 0, []int64{20}}}},
		{"peer lacks one", []int{1, 0, 0}, []Segment{{1, 0, []int64{20}}}},
		{"peer lacks only a value in its grace period", []int{1, 1, 0}, nil},
	} {
		outs, err := e.Digest("n2", tc.have, now)
		if err != nil {
			t.Fatal(err)
		}
		if tc.want == nil {
			if len(outs) != 0 {
				t.Errorf("%s: sent %v", tc.name, outs)
			}
			continue
		}
		if got := dests(t, outs, typeRepair); !slices.Equal(got, []string{"n2"}) {
			t.Fatalf("%s: repair went to %v", tc.name, got)
		}
		if segs := outs[0].Body.(gossipBody).Segs; !segsEqual(segs, tc.want) {
			t.Errorf("%s: repair carries %v, want %v", tc.name, segs, tc.want)
		}
	}
}

func TestTickPullsFromAPeerThatStaysAhead(t *testing.T) {
	cfg := defaultConfig // period 1s: a pull waits half of it
	tickTarget := func(e *Engine, at time.Time) string {
		t.Helper()
		outs := e.Tick(at)
		if got := dests(t, outs, typeDigest); len(got) != 1 {
			t.Fatalf("tick sent %v", got)
		}
		return outs[0].Dest
	}

	// e.round counts plain rotation ticks, so it tells a pull from a
	// rotation that happens to pick n5.
	e := engine(t, cfg, "n0", 9)
	if _, err := e.Digest("n5", []int{0, 0, 0, 0, 0, 2, 0, 0, 0}, t0); err != nil {
		t.Fatal(err)
	}
	if tickTarget(e, t0.Add(100*time.Millisecond)); e.round != 1 {
		t.Errorf("pulled from n5 before its values could arrive by gossip")
	}
	if got := tickTarget(e, t0.Add(time.Second)); got != "n5" || e.round != 1 {
		t.Errorf("tick after the grace asked %s (round %d), want a pull from n5 (still ahead)", got, e.round)
	}
	if tickTarget(e, t0.Add(2*time.Second)); e.round != 2 {
		t.Errorf("pulled from n5 twice for one digest")
	}

	// A note whose values arrived meanwhile is dropped.
	e = engine(t, cfg, "n0", 9)
	if _, err := e.Digest("n5", []int{0, 0, 0, 0, 0, 1, 0, 0, 0}, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Gossip("n5", []Segment{{5, 0, []int64{50}}}, t0.Add(100*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if tickTarget(e, t0.Add(time.Second)); e.round != 1 {
		t.Errorf("pulled from n5 though its value arrived")
	}
	if len(e.pulls) != 0 {
		t.Errorf("stale pull notes kept: %v", e.pulls)
	}
}

func TestRotationIsAPermutationEveryTickAndCoversEveryPeer(t *testing.T) {
	for _, n := range []int{2, 3, 7, 25} {
		engines := make([]*Engine, n)
		for i := range engines {
			engines[i] = engine(t, defaultConfig, fmt.Sprintf("n%d", i), n)
		}
		asked := make([]map[string]bool, n)
		for i := range asked {
			asked[i] = map[string]bool{}
		}
		for tick := range 2 * (n - 1) {
			targets := map[string]bool{}
			for i, e := range engines {
				d := e.Tick(t0)[0].Dest
				if d == e.ids[i] || targets[d] {
					t.Fatalf("n=%d tick %d: n%d asked %s (self or asked twice)", n, tick, i, d)
				}
				targets[d] = true
				if tick < n-1 {
					asked[i][d] = true
				}
			}
		}
		for i := range asked {
			if len(asked[i]) != n-1 {
				t.Errorf("n=%d: n%d asked only %d peers in one cycle", n, i, len(asked[i]))
			}
		}
	}
	if outs := engine(t, defaultConfig, "n0", 1).Tick(t0); len(outs) != 0 {
		t.Errorf("a lone node sent %v", outs)
	}
}

func TestBadPeerInputIsReportedAndTheRestKept(t *testing.T) {
	e := engine(t, defaultConfig, "n0", 3)
	e.Broadcast(1, t0)
	for _, tc := range []struct {
		name string
		call func() error
		want string
	}{
		{"gossip from a client", func() error { _, err := e.Gossip("c1", nil, t0); return err }, "not a peer"},
		{"gossip from itself", func() error { _, err := e.Gossip("n0", nil, t0); return err }, "not a peer"},
		{"repair from a stranger", func() error { _, err := e.Repair("n7", nil); return err }, "not a peer"},
		{"digest of the wrong size", func() error { _, err := e.Digest("n1", []int{1}, t0); return err }, "1 entries for 3 nodes"},
		{"digest from a client", func() error { _, err := e.Digest("c1", []int{0, 0, 0}, t0); return err }, "not a peer"},
		{"values claimed for this node", func() error {
			_, err := e.Gossip("n1", []Segment{{0, 0, []int64{1}}, {0, 1, []int64{99}}, {1, 0, []int64{5}}}, t0)
			return err
		}, "claims sequence 1 of this node"},
		{"bad origin", func() error {
			_, err := e.Gossip("n1", []Segment{{7, 0, []int64{6}}, {2, -1, []int64{7}}}, t0)
			return err
		}, "out of range"},
	} {
		err := tc.call()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	// The valid value in the mixed message (5 from n1) was kept; the
	// forged and out-of-range ones were not.
	if got := readValues(t, e.ReadSnapshot()); !slices.Equal(got, []int64{1, 5}) {
		t.Errorf("values held = %v, want [1 5]", got)
	}
}

package counter

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/glomers/glomers/node"
	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/simtest"
)

// challenge is Gossip Glomers challenge 4's maelstrom test, for workload w.
func challenge(p node.Program, seed int64) sim.Config {
	return sim.Config{Workload: p.Name, NodeCount: 3, Rate: 100, TimeLimit: 20 * time.Second,
		Nemesis: []string{"partition"}, Program: p, Seed: seed}
}

// batched is c with four clients per node and adds group-committed at
// most every 100 ms.
func batched(c sim.Config) sim.Config {
	c.Concurrency, c.NodeArgs = 4*c.NodeCount, []string{"-batch", "100ms"}
	return c
}

func TestSimulatedChallenge(t *testing.T) {
	latency := func(c sim.Config) sim.Config { c.Latency = 100 * time.Millisecond; return c }
	tests := []struct {
		name string
		cfg  sim.Config
	}{
		{"g-counter", challenge(GCounter, 1)},
		{"g-counter latency 100", latency(challenge(GCounter, 2))},
		{"g-counter 4n batch 100ms", batched(challenge(GCounter, 3))},
		{"pn-counter", challenge(PNCounter, 3)},
		{"pn-counter latency 100", latency(challenge(PNCounter, 4))},
		{"pn-counter 4n batch 100ms", batched(challenge(PNCounter, 5))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := simtest.Run(t, tt.cfg)
			if !rep.Valid {
				t.Fatalf("invalid run: %+v", rep.Anomalies)
			}
			if len(rep.Warnings) > 0 {
				t.Errorf("nodes did not stop cleanly: %q", rep.Warnings)
			}
			if rep.Ops.Info > 0 {
				t.Errorf("%d operations indeterminate; seq-kv is always reachable", rep.Ops.Info)
			}
			// Reads during the load must lie between the negative and
			// positive deltas of the adds invoked before them.
			if n := rep.Stats["nonfinal-reads-out-of-bounds"]; n != 0 {
				t.Errorf("%v reads during the load out of bounds", n)
			}
		})
	}
}

// TestSimulatedGroupCommitSavesWrites: with four clients per node, adds
// overlap, and spacing the cas of a node's key lets more of them share one;
// the same load costs fewer server messages batched than not.
func TestSimulatedGroupCommitSavesWrites(t *testing.T) {
	spaced := simtest.Run(t, batched(challenge(GCounter, 1)))
	eager := batched(challenge(GCounter, 1))
	eager.NodeArgs = nil
	backToBack := simtest.Run(t, eager)
	if !spaced.Valid || !backToBack.Valid {
		t.Fatalf("invalid run: %+v %+v", spaced.Anomalies, backToBack.Anomalies)
	}
	if s, b := spaced.Net.Servers.MsgsPerOp, backToBack.Net.Servers.MsgsPerOp; s >= b {
		t.Errorf("servers msgs/op %.3f with -batch 100ms, %.3f without: batching saved nothing", s, b)
	}
}

// TestSimulatedSlowKVFinalReadsAnswered: at a mean latency of 300 ms,
// uniform over 0..600 ms, a seq-kv round trip (two uniform draws) outlasts
// the 1 s request timeout with probability 1/18, and a read's refresh
// sends 10 requests on 10 nodes: failing a refresh on its first timeout
// would lose many final reads. Resent requests answer all of them.
func TestSimulatedSlowKVFinalReadsAnswered(t *testing.T) {
	cfg := challenge(GCounter, 5)
	cfg.NodeCount, cfg.Latency, cfg.LatencyDist = 10, 300*time.Millisecond, "uniform"
	rep := simtest.Run(t, cfg)
	if !rep.Valid {
		t.Fatalf("invalid run: %+v", rep.Anomalies)
	}
	if got := rep.Stats["final-read-count"]; got != cfg.NodeCount {
		t.Errorf("%v final reads answered, want %d (one per client)", got, cfg.NodeCount)
	}
}

// naive is the counter everyone writes first: each add is a read-then-cas
// loop on the node's key, and a read sums plain reads of every node's key.
// Its adds are right, but its reads trust seq-kv's answers, which may come
// from any state since the node last wrote.
var naive = node.Program{Name: "g-counter", New: func(*flag.FlagSet) node.Builder {
	return func(n *node.Node, init node.Init) (node.Handlers, error) {
		kv := node.NewKV(n, node.SeqKV)
		var mu sync.Mutex // one add at a time per node
		add := func(ctx context.Context, _ node.Message, req struct{ Delta int64 }) (any, error) {
			mu.Lock()
			defer mu.Unlock()
			for {
				cur, err := kv.ReadInt(ctx, Key(init.ID))
				if err != nil && !errors.Is(err, node.ErrKeyDoesNotExist) {
					return nil, err
				}
				err = kv.CAS(ctx, Key(init.ID), cur, cur+req.Delta, true)
				if !errors.Is(err, node.ErrPreconditionFailed) {
					return addOK{Type: "add_ok"}, err
				}
			}
		}
		read := func(ctx context.Context, _ node.Message) (any, error) {
			var sum int64
			for _, id := range init.IDs {
				v, err := kv.ReadInt(ctx, Key(id))
				if err != nil && !errors.Is(err, node.ErrKeyDoesNotExist) {
					return nil, fmt.Errorf("naive read: %w", err)
				}
				sum += v
			}
			return readOK{Type: "read_ok", Value: sum}, nil
		}
		return node.Handlers{"add": node.Typed(add), "read": read}, nil
	}
}}

// Maelstrom's seq-kv serves a reader a state drawn between the last it
// saw and the newest, so a naive final read is stale only when the draw
// falls short: like the real Maelstrom, the checker catches the naive node
// on some seeds, not all.
func TestSimulatedNaiveReadsAreCaught(t *testing.T) {
	caught := 0
	for seed := int64(1); seed <= 10; seed++ {
		if rep := simtest.Run(t, challenge(naive, seed)); !rep.Valid {
			caught++
			t.Logf("seed %d: %+v", seed, rep.Anomalies)
		}
	}
	if caught == 0 {
		t.Fatal("the checker accepted a node that reads seq-kv without forcing freshness, on every seed")
	}
}

package spec_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glomers/glomers/node"
	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/simtest"
	"github.com/glomers/glomers/workloads"
)

// The checkers are proven against deliberately broken nodes: each one
// below has the one bug its checker exists to catch, and its run must be
// invalid with that kind of anomaly and no kind the bug cannot explain,
// while the real workload passes the same configuration. Kafka's broken
// nodes are in kafka_broken_test.go; the seq-kv counter that reads without
// forcing freshness and the txn node that exposes intermediate writes are
// tested next to their workloads (workloads/counter, workloads/txn), which
// they share code with.

// testProgram makes a node program of a broken node's Builder.
func testProgram(build node.Builder) node.Program {
	return node.Program{Name: "broken", New: func(*flag.FlagSet) node.Builder { return build }}
}

// reply is a body with a type and nothing else.
type reply struct {
	Type string `json:"type"`
}

// setupEchoQuoted answers echo with its payload's JSON text as a string
// (json.RawMessage converted with string()), the classic mix-up of raw and
// decoded JSON.
func setupEchoQuoted(n *node.Node, init node.Init) (node.Handlers, error) {
	hs := node.Handlers{}
	hs["echo"] = (node.Typed(func(_ context.Context, _ node.Message, req struct{ Echo json.RawMessage }) (any, error) {
		return struct {
			Type string `json:"type"`
			Echo string `json:"echo"`
		}{"echo_ok", string(req.Echo)}, nil
	}))
	return hs, nil
}

// setupIDsNoNodeID hands out ids from a per-node counter but forgets to
// qualify them with the node id, so every node issues 0, 1, 2, ...
func setupIDsNoNodeID(n *node.Node, init node.Init) (node.Handlers, error) {
	hs := node.Handlers{}
	var next atomic.Int64
	hs["generate"] = (func(context.Context, node.Message) (any, error) {
		return struct {
			Type string `json:"type"`
			ID   int64  `json:"id"`
		}{"generate_ok", next.Add(1)}, nil
	})
	return hs, nil
}

// setupBroadcastDeaf tells every peer about each value a client broadcasts
// to it, but drops the values its peers tell it: a node knows only the
// values broadcast to itself.
func setupBroadcastDeaf(n *node.Node, init node.Init) (node.Handlers, error) {
	hs := node.Handlers{}
	var (
		mu   sync.Mutex
		seen []int64
	)
	hs["topology"] = (func(context.Context, node.Message) (any, error) {
		return reply{"topology_ok"}, nil
	})
	hs["broadcast"] = (node.Typed(func(_ context.Context, _ node.Message, req struct{ Message int64 }) (any, error) {
		mu.Lock()
		seen = append(seen, req.Message)
		mu.Unlock()
		for _, peer := range init.IDs {
			if peer != n.ID() {
				if err := n.Send(peer, struct {
					Type    string `json:"type"`
					Message int64  `json:"message"`
				}{"gossip", req.Message}); err != nil {
					return nil, err
				}
			}
		}
		return reply{"broadcast_ok"}, nil
	}))
	hs["gossip"] = (func(context.Context, node.Message) (any, error) {
		return nil, nil // the bug: a peer's value is dropped
	})
	hs["read"] = (func(context.Context, node.Message) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		return struct {
			Type     string  `json:"type"`
			Messages []int64 `json:"messages"`
		}{"read_ok", slices.Clone(seen)}, nil
	})
	return hs, nil
}

// setupCounterLocal keeps the adds a node receives in its own memory and
// never shares them: each node's reads forget the adds made elsewhere.
func setupCounterLocal(n *node.Node, init node.Init) (node.Handlers, error) {
	hs := node.Handlers{}
	var sum atomic.Int64
	hs["add"] = (node.Typed(func(_ context.Context, _ node.Message, req struct{ Delta int64 }) (any, error) {
		sum.Add(req.Delta)
		return reply{"add_ok"}, nil
	}))
	hs["read"] = (func(context.Context, node.Message) (any, error) {
		return struct {
			Type  string `json:"type"`
			Value int64  `json:"value"`
		}{"read_ok", sum.Load()}, nil
	})
	return hs, nil
}

func TestBrokenNodesAreCaught(t *testing.T) {
	tests := []struct {
		name   string
		cfg    sim.Config // workload and load; the test sets Program
		broken node.Builder
		want   string   // the anomaly the bug must cause
		also   []string // other kinds the same bug may cause
	}{
		{"echo answers its payload quoted", sim.Config{Workload: "echo", NodeCount: 1, Rate: 20}, setupEchoQuoted, "wrong-echo", nil},
		{"unique-ids without node ids", sim.Config{Workload: "unique-ids", NodeCount: 3, Rate: 50}, setupIDsNoNodeID, "duplicate-id", nil},
		{"broadcast drops peers' values", sim.Config{Workload: "broadcast", NodeCount: 3, Rate: 20}, setupBroadcastDeaf, "lost", nil},
		{"g-counter forgets other nodes' adds", sim.Config{Workload: "g-counter", NodeCount: 2, Rate: 20}, setupCounterLocal, "wrong-final-read", nil},
	}
	healthy := map[string]bool{} // configurations the real node was run with
	for _, tt := range tests {
		cfg := tt.cfg
		cfg.TimeLimit = 5 * time.Second
		cfg.Quiet = 2 * time.Second
		cfg.Seed = 1
		t.Run(tt.name, func(t *testing.T) {
			broken := cfg
			broken.Program = testProgram(tt.broken)
			rep := simtest.Run(t, broken)
			allowed := append([]string{tt.want}, tt.also...)
			var got []string
			for _, a := range rep.Anomalies {
				if !slices.Contains(got, a.Kind) {
					got = append(got, a.Kind)
				}
				if !slices.Contains(allowed, a.Kind) {
					t.Errorf("anomaly of an unexpected kind: %s: %s", a.Kind, a.Detail)
				}
			}
			t.Logf("anomaly kinds: %v", got)
			if rep.Valid || !slices.Contains(got, tt.want) {
				t.Fatalf("valid=%v, kinds %v: want an invalid run with %q; anomalies %+v", rep.Valid, got, tt.want, rep.Anomalies)
			}
		})
		key := fmt.Sprintf("%+v", cfg)
		if healthy[key] {
			continue
		}
		healthy[key] = true
		t.Run(cfg.Workload+": the real node passes", func(t *testing.T) {
			prog, ok := workloads.Lookup(cfg.Workload)
			if !ok {
				t.Fatalf("no workload %q", cfg.Workload)
			}
			good := cfg
			good.Program = prog
			if rep := simtest.Run(t, good); !rep.Valid {
				t.Fatalf("invalid run of the real node: %+v", rep.Anomalies)
			}
		})
	}
}

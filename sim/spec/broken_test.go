package spec_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
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
// while the real workload passes the same configuration. The seq-kv counter that reads without forcing freshness
// and the txn node that exposes intermediate writes are tested next to
// their workloads (workloads/counter, workloads/txn), which they share
// code with.

// reply is a body with a type and nothing else.
type reply struct {
	Type string `json:"type"`
}

// setupEchoQuoted answers echo with its payload's JSON text as a string
// (json.RawMessage converted with string()), the classic mix-up of raw and
// decoded JSON.
func setupEchoQuoted(n *node.Node, _ []string) error {
	n.Handle("echo", node.Typed(func(_ context.Context, _ node.Message, req struct{ Echo json.RawMessage }) (any, error) {
		return struct {
			Type string `json:"type"`
			Echo string `json:"echo"`
		}{"echo_ok", string(req.Echo)}, nil
	}))
	return nil
}

// setupIDsNoNodeID hands out ids from a per-node counter but forgets to
// qualify them with the node id, so every node issues 0, 1, 2, ...
func setupIDsNoNodeID(n *node.Node, _ []string) error {
	var next atomic.Int64
	n.Handle("generate", func(context.Context, node.Message) (any, error) {
		return struct {
			Type string `json:"type"`
			ID   int64  `json:"id"`
		}{"generate_ok", next.Add(1)}, nil
	})
	return nil
}

// setupBroadcastDeaf tells every peer about each value a client broadcasts
// to it, but drops the values its peers tell it: a node knows only the
// values broadcast to itself.
func setupBroadcastDeaf(n *node.Node, _ []string) error {
	var (
		mu   sync.Mutex
		seen []int64
	)
	n.Handle("topology", func(context.Context, node.Message) (any, error) {
		return reply{"topology_ok"}, nil
	})
	n.Handle("broadcast", node.Typed(func(_ context.Context, _ node.Message, req struct{ Message int64 }) (any, error) {
		mu.Lock()
		seen = append(seen, req.Message)
		mu.Unlock()
		for _, peer := range n.NodeIDs() {
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
	n.Handle("gossip", func(context.Context, node.Message) (any, error) {
		return nil, nil // the bug: a peer's value is dropped
	})
	n.Handle("read", func(context.Context, node.Message) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		return struct {
			Type     string  `json:"type"`
			Messages []int64 `json:"messages"`
		}{"read_ok", slices.Clone(seen)}, nil
	})
	return nil
}

// setupCounterLocal keeps the adds a node receives in its own memory and
// never shares them: each node's reads forget the adds made elsewhere.
func setupCounterLocal(n *node.Node, _ []string) error {
	var sum atomic.Int64
	n.Handle("add", node.Typed(func(_ context.Context, _ node.Message, req struct{ Delta int64 }) (any, error) {
		sum.Add(req.Delta)
		return reply{"add_ok"}, nil
	}))
	n.Handle("read", func(context.Context, node.Message) (any, error) {
		return struct {
			Type  string `json:"type"`
			Value int64  `json:"value"`
		}{"read_ok", sum.Load()}, nil
	})
	return nil
}

// kafkaBug is the one thing memKafka gets wrong.
type kafkaBug int

const (
	reuseOffset  kafkaBug = iota // every third send to a key overwrites the previous send's offset
	loseSend                     // every fifth send to a key is acknowledged, its offset used up, its message dropped
	localCommits                 // committed offsets stay on the node that got the commit
)

// memKafka is a kafka in memory with one bug, shared by all the nodes of a
// run as a stand-in for a perfectly replicated log: logs are maps from
// offset to message, polled in offset order a few at a time, and committed
// offsets max registers.
type memKafka struct {
	bug kafkaBug

	mu        sync.Mutex
	logs      map[string]map[int]json.RawMessage
	next      map[string]int            // next offset per key
	sends     map[string]int            // sends per key
	committed map[string]map[string]int // holder → key → offset; one holder, "", unless the bug is localCommits
}

// kafkaPollMax caps the messages a poll returns per key, so that clients
// lag behind each other.
const kafkaPollMax = 3

// setupKafka returns the setup of the nodes of one run, sharing a fresh
// memKafka with bug.
func setupKafka(bug kafkaBug) node.SetupFunc {
	k := &memKafka{bug: bug, logs: map[string]map[int]json.RawMessage{}, next: map[string]int{}, sends: map[string]int{}, committed: map[string]map[string]int{}}
	return func(n *node.Node, _ []string) error {
		n.Handle("send", node.Typed(func(_ context.Context, _ node.Message, req struct {
			Key string
			Msg json.RawMessage
		}) (any, error) {
			return struct {
				Type   string `json:"type"`
				Offset int    `json:"offset"`
			}{"send_ok", k.send(req.Key, req.Msg)}, nil
		}))
		n.Handle("poll", node.Typed(func(_ context.Context, _ node.Message, req struct{ Offsets map[string]int }) (any, error) {
			return struct {
				Type string           `json:"type"`
				Msgs map[string][]any `json:"msgs"`
			}{"poll_ok", k.poll(req.Offsets)}, nil
		}))
		n.Handle("commit_offsets", node.Typed(func(_ context.Context, _ node.Message, req struct{ Offsets map[string]int }) (any, error) {
			k.commit(n.ID(), req.Offsets)
			return reply{"commit_offsets_ok"}, nil
		}))
		n.Handle("list_committed_offsets", node.Typed(func(_ context.Context, _ node.Message, req struct{ Keys []string }) (any, error) {
			return struct {
				Type    string         `json:"type"`
				Offsets map[string]int `json:"offsets"`
			}{"list_committed_offsets_ok", k.list(n.ID(), req.Keys)}, nil
		}))
		return nil
	}
}

func (k *memKafka) send(key string, msg json.RawMessage) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.logs[key] == nil {
		k.logs[key] = map[int]json.RawMessage{}
	}
	k.sends[key]++
	off := k.next[key]
	switch {
	case k.bug == reuseOffset && k.sends[key]%3 == 0:
		off-- // overwrites the previous message
	case k.bug == loseSend && k.sends[key]%5 == 0:
		k.next[key]++
		return off
	default:
		k.next[key]++
	}
	k.logs[key][off] = msg
	return off
}

func (k *memKafka) poll(from map[string]int) map[string][]any {
	k.mu.Lock()
	defer k.mu.Unlock()
	msgs := map[string][]any{}
	for key, start := range from {
		log := k.logs[key]
		for _, off := range slices.Sorted(maps.Keys(log)) {
			if off >= start && len(msgs[key]) < kafkaPollMax {
				msgs[key] = append(msgs[key], []any{off, log[off]})
			}
		}
	}
	return msgs
}

// holder is whose committed offsets a node reads and writes.
func (k *memKafka) holder(node string) map[string]int {
	if k.bug != localCommits {
		node = ""
	}
	if k.committed[node] == nil {
		k.committed[node] = map[string]int{}
	}
	return k.committed[node]
}

func (k *memKafka) commit(node string, offs map[string]int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	c := k.holder(node)
	for key, o := range offs {
		if cur, ok := c[key]; !ok || o > cur {
			c[key] = o
		}
	}
}

func (k *memKafka) list(node string, keys []string) map[string]int {
	k.mu.Lock()
	defer k.mu.Unlock()
	c := k.holder(node)
	offs := map[string]int{}
	for _, key := range keys {
		if o, ok := c[key]; ok {
			offs[key] = o
		}
	}
	return offs
}

func TestBrokenNodesAreCaught(t *testing.T) {
	kafka := sim.Config{Workload: "kafka", NodeCount: 2, Concurrency: 4, Rate: 200}
	tests := []struct {
		name   string
		cfg    sim.Config // workload and load; the test sets Setup
		broken node.SetupFunc
		want   string   // the anomaly the bug must cause
		also   []string // other kinds the same bug may cause
	}{
		{"echo answers its payload quoted", sim.Config{Workload: "echo", NodeCount: 1, Rate: 20}, setupEchoQuoted, "wrong-echo", nil},
		{"unique-ids without node ids", sim.Config{Workload: "unique-ids", NodeCount: 3, Rate: 50}, setupIDsNoNodeID, "duplicate-id", nil},
		{"broadcast drops peers' values", sim.Config{Workload: "broadcast", NodeCount: 3, Rate: 20}, setupBroadcastDeaf, "lost", nil},
		{"g-counter forgets other nodes' adds", sim.Config{Workload: "g-counter", NodeCount: 2, Rate: 20}, setupCounterLocal, "wrong-final-read", nil},
		{"kafka reuses an offset", kafka, setupKafka(reuseOffset), "inconsistent-offsets", []string{"lost-write", "nonmonotonic-send"}},
		{"kafka loses acknowledged sends", kafka, setupKafka(loseSend), "lost-write", []string{"poll-skip", "unseen"}},
		{"kafka keeps commits on the node that got them", kafka, setupKafka(localCommits), "committed-offset-regression", nil},
	}
	healthy := map[string]bool{} // configurations the real node was run with
	for _, tt := range tests {
		cfg := tt.cfg
		cfg.TimeLimit = 5 * time.Second
		cfg.Quiet = 2 * time.Second
		cfg.Seed = 1
		t.Run(tt.name, func(t *testing.T) {
			broken := cfg
			broken.Setup = tt.broken
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
			setup, ok := workloads.Lookup(cfg.Workload)
			if !ok {
				t.Fatalf("no workload %q", cfg.Workload)
			}
			good := cfg
			good.Setup = setup
			if rep := simtest.Run(t, good); !rep.Valid {
				t.Fatalf("invalid run of the real node: %+v", rep.Anomalies)
			}
		})
	}
}

package spec_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/glomers/glomers/node"
	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/simtest"
	"github.com/glomers/glomers/sim/spec"
)

// The lin-kv checker against broken lin-kv nodes. Each is a front for
// Maelstrom's lin-kv service (linearizable, and never cut off by the
// partitions, which only separate the nodes) with one bug; the bare proxy
// is correct and must pass.

// linKVBug is the one thing a linKVFront gets wrong.
type linKVBug int

const (
	linKVNoBug      linKVBug = iota
	linKVLocalReads          // reads answered from the node's own copy, kept up to date by messages from the others
	linKVEarlyAck            // writes acknowledged at once and committed later by n0, if the message gets there
	linKVCASTwice            // each successful cas applied again 200 ms later, like a log entry applied twice
)

// linKVFront is the state of one node of a run.
type linKVFront struct {
	bug linKVBug
	n   *node.Node

	mu    sync.Mutex
	cache map[string]json.RawMessage // linKVLocalReads: key (as JSON text) → value
	again []linKVAgain               // linKVCASTwice: cas to apply again
}

type linKVAgain struct {
	due           time.Time
	key, from, to json.RawMessage
}

type linKVReq struct {
	Key   json.RawMessage
	Value json.RawMessage `json:"value,omitempty"`
	From  json.RawMessage `json:"from,omitempty"`
	To    json.RawMessage `json:"to,omitempty"`
}

// service sends one request to the lin-kv service.
func (f *linKVFront) service(ctx context.Context, body map[string]any, resp any) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	return f.n.RPC(ctx, node.LinKV, body, resp)
}

// learn records key = value in the node's copy and, when tell, sends it
// to every other node.
func (f *linKVFront) learn(init node.Init, key, value json.RawMessage, tell bool) {
	f.mu.Lock()
	f.cache[string(key)] = value
	f.mu.Unlock()
	if tell {
		for _, p := range init.Peers() {
			_ = f.n.Send(p, map[string]any{"type": "learn", "key": key, "value": value})
		}
	}
}

func setupLinKVFront(bug linKVBug) node.Program {
	return testProgram(func(n *node.Node, init node.Init) (node.Handlers, error) {
		f := &linKVFront{bug: bug, n: n, cache: map[string]json.RawMessage{}}
		hs := node.Handlers{}
		hs["read"] = node.Typed(func(ctx context.Context, _ node.Message, req linKVReq) (any, error) {
			if bug == linKVLocalReads {
				f.mu.Lock()
				v, ok := f.cache[string(req.Key)]
				f.mu.Unlock()
				if ok {
					return map[string]any{"type": "read_ok", "value": v}, nil
				}
			}
			var resp struct{ Value json.RawMessage }
			if err := f.service(ctx, map[string]any{"type": "read", "key": req.Key}, &resp); err != nil {
				return nil, err
			}
			if bug == linKVLocalReads {
				f.learn(init, req.Key, resp.Value, false)
			}
			return map[string]any{"type": "read_ok", "value": resp.Value}, nil
		})
		hs["write"] = node.Typed(func(ctx context.Context, _ node.Message, req linKVReq) (any, error) {
			if bug == linKVEarlyAck && init.ID != "n0" {
				_ = n.Send("n0", map[string]any{"type": "commit", "key": req.Key, "value": req.Value})
				return map[string]any{"type": "write_ok"}, nil
			}
			if err := f.service(ctx, map[string]any{"type": "write", "key": req.Key, "value": req.Value}, nil); err != nil {
				return nil, err
			}
			if bug == linKVLocalReads {
				f.learn(init, req.Key, req.Value, true)
			}
			return map[string]any{"type": "write_ok"}, nil
		})
		hs["cas"] = node.Typed(func(ctx context.Context, _ node.Message, req linKVReq) (any, error) {
			if err := f.service(ctx, map[string]any{"type": "cas", "key": req.Key, "from": req.From, "to": req.To}, nil); err != nil {
				return nil, err
			}
			switch bug {
			case linKVLocalReads:
				f.learn(init, req.Key, req.To, true)
			case linKVCASTwice:
				f.mu.Lock()
				f.again = append(f.again, linKVAgain{time.Now().Add(200 * time.Millisecond), req.Key, req.From, req.To})
				f.mu.Unlock()
			}
			return map[string]any{"type": "cas_ok"}, nil
		})
		hs["learn"] = node.Typed(func(_ context.Context, _ node.Message, req linKVReq) (any, error) {
			f.learn(init, req.Key, req.Value, false)
			return nil, nil
		})
		hs["commit"] = node.Typed(func(ctx context.Context, _ node.Message, req linKVReq) (any, error) {
			_ = f.service(ctx, map[string]any{"type": "write", "key": req.Key, "value": req.Value}, nil)
			return nil, nil
		})
		if bug == linKVCASTwice {
			n.Every(50*time.Millisecond, func(ctx context.Context) {
				f.mu.Lock()
				var due []linKVAgain
				for len(f.again) > 0 && !f.again[0].due.After(time.Now()) {
					due, f.again = append(due, f.again[0]), f.again[1:]
				}
				f.mu.Unlock()
				for _, a := range due {
					_ = f.service(ctx, map[string]any{"type": "cas", "key": a.key, "from": a.from, "to": a.to}, nil)
				}
			})
		}
		return hs, nil
	})
}

func TestLinKVBrokenNodesAreCaught(t *testing.T) {
	cfg := sim.Config{Workload: "lin-kv", NodeCount: 3, Concurrency: 12, Rate: 50,
		TimeLimit: 20 * time.Second, Nemesis: []string{"partition"}, NemesisInterval: 3 * time.Second, Seed: 1}
	for _, tt := range []struct {
		name string
		bug  linKVBug
	}{
		{"the lin-kv service behind a proxy is correct", linKVNoBug},
		{"reads from its own copy: stale after a partition", linKVLocalReads},
		{"acknowledges writes before they are committed: lost", linKVEarlyAck},
		{"applies a cas twice", linKVCASTwice},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := cfg
			c.Program, c.LogDir = setupLinKVFront(tt.bug), t.TempDir()
			s, err := spec.NewLinKVSpec(c.WithDefaults())
			if err != nil {
				t.Fatal(err)
			}
			c.Spec = s
			rep := simtest.Run(t, c)
			if tt.bug == linKVNoBug {
				if !rep.Valid || len(rep.Strict) > 0 || rep.Ops.OK < 500 {
					t.Fatalf("the correct node fails: %s\n%+v\nstrict %+v", rep.Summary(), rep.Anomalies, rep.Strict)
				}
				return
			}
			if rep.Valid || rep.Unknown {
				t.Fatalf("valid %v unknown %v, want invalid: %s", rep.Valid, rep.Unknown, rep.Summary())
			}
			for _, a := range rep.Anomalies {
				if a.Kind != "nonlinearizable" {
					t.Fatalf("anomaly of kind %s: %s", a.Kind, a.Detail)
				}
				if len(a.Ops) == 0 {
					t.Errorf("the anomaly lists none of the operations no linearization reaches: %s", a.Detail)
				}
				path := a.Detail[strings.LastIndex(a.Detail, " ")+1:]
				if !strings.HasPrefix(path, c.LogDir) {
					t.Fatalf("visualisation %s not in the log directory %s", path, c.LogDir)
				}
				if _, err := os.Stat(path); err != nil {
					t.Fatal(err)
				}
			}
			t.Logf("%d anomalies; keys %v, not linearizable %v", len(rep.Anomalies), rep.Stats["keys"], rep.Stats["nonlinearizable-keys"])
		})
	}
}

package spec_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/glomers/glomers/node"
	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/simtest"
	"github.com/glomers/glomers/workloads"
)

// The kafka checker is proven against deliberately broken kafkas: each has
// one bug, and its run must end with the anomaly that bug exists to show
// and no kind the bug cannot explain, while the real node passes the same
// configuration, strict checks included.

// kafkaMemBug is the one thing kafkaMem gets wrong.
type kafkaMemBug int

const (
	kafkaReuseOffset  kafkaMemBug = iota // every third send to a key overwrites the previous send's offset
	kafkaLoseSend                        // every fifth send to a key is acknowledged, its offset used up, its message dropped
	kafkaLocalCommits                    // committed offsets stay on the node that got the commit
	kafkaStoreTwice                      // every fifth send to a key is stored at two offsets
	kafkaFromZero                        // polls ignore the asked offsets and read from 0
	kafkaGuessFirst                      // a poll of a key with no message yet returns [0, 1], the message its first send will carry
	kafkaInvent                          // a poll of a key with no message yet returns [0, 99], a message no one sends
)

// kafkaMem is a kafka in memory with one bug, shared by all the nodes of a
// run as a stand-in for a perfectly replicated log: logs are maps from
// offset to message, polled in offset order a few at a time, and committed
// offsets max registers.
type kafkaMem struct {
	bug kafkaMemBug

	mu        sync.Mutex
	logs      map[string]map[int]json.RawMessage
	next      map[string]int            // next offset per key
	sends     map[string]int            // sends per key
	committed map[string]map[string]int // holder → key → offset; one holder, "", unless the bug is kafkaLocalCommits
}

// kafkaMemPollMax caps the messages a poll returns per key, so that
// clients lag behind each other.
const kafkaMemPollMax = 3

type kafkaReply struct {
	Type string `json:"type"`
}

// setupKafkaMem returns the setup of the nodes of one run, sharing a fresh
// kafkaMem with bug.
func setupKafkaMem(bug kafkaMemBug) node.Program {
	k := &kafkaMem{bug: bug, logs: map[string]map[int]json.RawMessage{}, next: map[string]int{}, sends: map[string]int{}, committed: map[string]map[string]int{}}
	return testProgram(func(n *node.Node, _ node.Init) (node.Handlers, error) {
		hs := node.Handlers{}
		hs["send"] = (node.Typed(func(_ context.Context, _ node.Message, req struct {
			Key string
			Msg json.RawMessage
		}) (any, error) {
			return struct {
				Type   string `json:"type"`
				Offset int    `json:"offset"`
			}{"send_ok", k.send(req.Key, req.Msg)}, nil
		}))
		hs["poll"] = (node.Typed(func(_ context.Context, _ node.Message, req struct{ Offsets map[string]int }) (any, error) {
			return struct {
				Type string           `json:"type"`
				Msgs map[string][]any `json:"msgs"`
			}{"poll_ok", k.poll(req.Offsets)}, nil
		}))
		hs["commit_offsets"] = (node.Typed(func(_ context.Context, _ node.Message, req struct{ Offsets map[string]int }) (any, error) {
			k.commit(n.ID(), req.Offsets)
			return kafkaReply{"commit_offsets_ok"}, nil
		}))
		hs["list_committed_offsets"] = (node.Typed(func(_ context.Context, _ node.Message, req struct{ Keys []string }) (any, error) {
			return struct {
				Type    string         `json:"type"`
				Offsets map[string]int `json:"offsets"`
			}{"list_committed_offsets_ok", k.list(n.ID(), req.Keys)}, nil
		}))
		return hs, nil
	})
}

func (k *kafkaMem) send(key string, msg json.RawMessage) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.logs[key] == nil {
		k.logs[key] = map[int]json.RawMessage{}
	}
	k.sends[key]++
	off := k.next[key]
	switch {
	case k.bug == kafkaReuseOffset && k.sends[key]%3 == 0:
		off-- // overwrites the previous message
	case k.bug == kafkaLoseSend && k.sends[key]%5 == 0:
		k.next[key]++
		return off
	case k.bug == kafkaStoreTwice && k.sends[key]%5 == 0:
		k.logs[key][off] = msg
		off++
		k.next[key] += 2
	default:
		k.next[key]++
	}
	k.logs[key][off] = msg
	return off
}

func (k *kafkaMem) poll(from map[string]int) map[string][]any {
	k.mu.Lock()
	defer k.mu.Unlock()
	msgs := map[string][]any{}
	for key, start := range from {
		log := k.logs[key]
		if k.bug == kafkaFromZero {
			start = 0
		}
		if k.bug == kafkaGuessFirst && len(log) == 0 && start == 0 {
			msgs[key] = []any{[]any{0, 1}}
			continue
		}
		if k.bug == kafkaInvent && len(log) == 0 && start == 0 {
			msgs[key] = []any{[]any{0, 99}}
			continue
		}
		for _, off := range slices.Sorted(maps.Keys(log)) {
			if off >= start && len(msgs[key]) < kafkaMemPollMax {
				msgs[key] = append(msgs[key], []any{off, log[off]})
			}
		}
	}
	return msgs
}

// holder is whose committed offsets a node reads and writes.
func (k *kafkaMem) holder(node string) map[string]int {
	if k.bug != kafkaLocalCommits {
		node = ""
	}
	if k.committed[node] == nil {
		k.committed[node] = map[string]int{}
	}
	return k.committed[node]
}

func (k *kafkaMem) commit(node string, offs map[string]int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	c := k.holder(node)
	for key, o := range offs {
		if cur, ok := c[key]; !ok || o > cur {
			c[key] = o
		}
	}
}

func (k *kafkaMem) list(node string, keys []string) map[string]int {
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

func TestKafkaBrokenNodesAreCaught(t *testing.T) {
	cfg := sim.Config{Workload: "kafka", NodeCount: 2, Concurrency: 4, Rate: 200,
		TimeLimit: 5 * time.Second, Quiet: 2 * time.Second, Seed: 1}
	tests := []struct {
		name    string
		bug     kafkaMemBug
		want    string   // the anomaly the bug must cause ("": none of Maelstrom's)
		also    []string // other kinds the same bug may cause
		strict  string   // the strict anomaly the bug must cause, if any
		unknown bool     // Maelstrom's checker may not be able to decide
	}{
		{"reuses an offset", kafkaReuseOffset, "inconsistent-offsets", []string{"lost-write", "unseen", "nonmonotonic-send"}, "", false},
		{"loses acknowledged sends", kafkaLoseSend, "lost-write", []string{"poll-skip", "int-poll-skip", "unseen"}, "poll-start-skip", false},
		{"stores a message twice", kafkaStoreTwice, "duplicate", []string{"int-poll-skip", "int-nonmonotonic-poll", "poll-skip", "nonmonotonic-poll"}, "", false},
		{"polls from 0", kafkaFromZero, "nonmonotonic-poll", []string{"unseen", "int-poll-skip"}, "poll-before-offset", false},
		{"returns a message before it is sent", kafkaGuessFirst, "G1c-realtime", []string{"checker-error"}, "", true},
		{"returns a message no one sent", kafkaInvent, "checker-error", []string{"inconsistent-offsets", "lost-write", "unseen", "poll-skip", "nonmonotonic-poll"}, "", true},
		{"keeps commits on the node that got them", kafkaLocalCommits, "", nil, "committed-offset-regression", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			broken := cfg
			broken.Program = setupKafkaMem(tt.bug)
			rep := simtest.Run(t, broken)
			allowed := append([]string{tt.want}, tt.also...)
			var got, strict []string
			for _, a := range rep.Anomalies {
				if !slices.Contains(got, a.Kind) {
					got = append(got, a.Kind)
				}
				if !slices.Contains(allowed, a.Kind) {
					t.Errorf("anomaly of an unexpected kind: %s: %s", a.Kind, a.Detail)
				}
			}
			for _, a := range rep.Strict {
				if !slices.Contains(strict, a.Kind) {
					strict = append(strict, a.Kind)
				}
			}
			for _, a := range append(slices.Clone(rep.Anomalies), rep.Strict...) {
				checkKafkaOps(t, a)
			}
			t.Logf("anomaly kinds: %v; strict: %v", got, strict)
			if tt.want == "" {
				if !rep.Valid {
					t.Fatalf("invalid run, Maelstrom would pass it: %+v", rep.Anomalies)
				}
			} else if rep.Valid || !slices.Contains(got, tt.want) || (rep.Unknown && !tt.unknown) ||
				(tt.want == "checker-error" && !rep.Unknown) {
				t.Fatalf("valid=%v unknown=%v, kinds %v: want an invalid run with %q (unknown %v); anomalies %+v",
					rep.Valid, rep.Unknown, got, tt.want, tt.unknown, rep.Anomalies)
			}
			if tt.strict != "" && !slices.Contains(strict, tt.strict) {
				t.Fatalf("strict kinds %v, want %q", strict, tt.strict)
			}
			if tt.strict != "" && tt.want == "" {
				// --strict makes the stricter checks count.
				broken.Program, broken.Strict = setupKafkaMem(tt.bug), true
				if rep := simtest.Run(t, broken); rep.Valid {
					t.Fatalf("valid under --strict with %v", rep.Strict)
				}
			}
		})
	}
	t.Run("the real node passes, strictly", func(t *testing.T) {
		setup, ok := workloads.Lookup("kafka")
		if !ok {
			t.Fatal("no kafka workload")
		}
		good := cfg
		good.Program, good.Strict = setup, true
		if rep := simtest.Run(t, good); !rep.Valid || len(rep.Strict) > 0 {
			t.Fatalf("invalid run of the real node: %+v; strict %+v", rep.Anomalies, rep.Strict)
		}
	})
}

// kafkaOpName is how a kafka anomaly's detail names an op: "op 12
// (p3→n1 poll ok 10.0..11.5ms", then its value.
var kafkaOpName = regexp.MustCompile(`op \d+ \(p\d+→\S+ \S+ \S+ \d+\.\d\.\.\d+\.\dms`)

// checkKafkaOps fails unless kafka anomaly a lists the ops its detail
// names, each once, in the order first named: the first 20 of them, as
// many as an anomaly lists.
func checkKafkaOps(t *testing.T, a sim.Anomaly) {
	t.Helper()
	var named, listed []string
	for _, n := range kafkaOpName.FindAllString(a.Detail, -1) {
		if !slices.Contains(named, n) {
			named = append(named, n)
		}
	}
	named = named[:min(len(named), 20)]
	for _, o := range a.Ops {
		listed = append(listed, fmt.Sprintf("op %d (p%d→%s %s %s %.1f..%.1fms", o.Index, o.Process, o.Node, o.F, o.Type, o.InvokeMS, o.CompleteMS))
	}
	if !slices.Equal(listed, named) {
		t.Errorf("%s lists ops %q, not the ops its detail names, %q: %s", a.Kind, listed, named, a.Detail)
	}
}

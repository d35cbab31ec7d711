package appendtxn_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/glomers/glomers/node"
	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/simtest"
	"github.com/glomers/glomers/sim/spec/appendtxn"
)

// The checker is proven against in-memory list-append stores shared by
// every node of a run: a correct one (one global lock) must pass, and
// each broken one must fail with the anomalies its one bug explains, each
// listing the operations its detail names (the readers of the two lists,
// for incompatible-order).

// bug is the one thing a store gets wrong.
type bug int

const (
	correct     bug = iota
	noIsolation     // each micro-op locks alone, and others run between them
	staleReads      // read-only transactions read a snapshot taken every tenth commit
	loseAppends     // every fifth append is acknowledged and dropped
)

// store is the lists, keyed by the key's JSON text.
type store struct {
	bug  bug
	mu   sync.Mutex
	data map[string][]json.RawMessage
	snap map[string][]json.RawMessage // what stale reads see
	// commits and appends count for the bugs.
	commits, appends int
}

type mop = [3]json.RawMessage

var nullJSON = json.RawMessage("null")

// do runs one micro-op on lists, the lock held.
func (s *store) do(lists map[string][]json.RawMessage, m mop) mop {
	var f string
	_ = json.Unmarshal(m[0], &f)
	k := string(m[1])
	if f == "r" {
		v, ok := lists[k]
		if !ok {
			return mop{m[0], m[1], nullJSON}
		}
		b, _ := json.Marshal(v)
		return mop{m[0], m[1], b}
	}
	s.appends++
	if s.bug != loseAppends || s.appends%5 != 0 {
		lists[k] = append(slices.Clip(lists[k]), m[2])
	}
	return m
}

func (s *store) txn(txn []mop) []mop {
	out := make([]mop, len(txn))
	if s.bug == noIsolation {
		for i, m := range txn {
			s.mu.Lock()
			out[i] = s.do(s.data, m)
			s.mu.Unlock()
			time.Sleep(3 * time.Millisecond)
		}
		return out
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	lists := s.data
	if s.bug == staleReads && !slices.ContainsFunc(txn, func(m mop) bool { return string(m[0]) == `"append"` }) {
		lists = s.snap
	}
	for i, m := range txn {
		out[i] = s.do(lists, m)
	}
	if s.commits++; s.commits%10 == 0 {
		s.snap = maps.Clone(s.data) // the lists are never appended to in place
	}
	return out
}

// program is a node program serving txn from a fresh store with bug.
func program(b bug) node.Program {
	s := &store{bug: b, data: map[string][]json.RawMessage{}, snap: map[string][]json.RawMessage{}}
	build := func(*node.Node, node.Init) (node.Handlers, error) {
		return node.Handlers{"txn": node.Typed(func(_ context.Context, _ node.Message, req struct{ Txn []mop }) (any, error) {
			return struct {
				Type string `json:"type"`
				Txn  []mop  `json:"txn"`
			}{"txn_ok", s.txn(req.Txn)}, nil
		})}, nil
	}
	return node.Program{Name: "list-append-mem", New: func(*flag.FlagSet) node.Builder { return build }}
}

func run(t *testing.T, b bug, model string) *sim.Report {
	cfg := sim.Config{Workload: "txn-list-append", NodeCount: 2, Concurrency: 6, Rate: 200, TimeLimit: 5 * time.Second, Seed: 1,
		Consistency: []string{model}, Program: program(b)}
	s, err := appendtxn.New(cfg.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Spec = s
	return simtest.Run(t, cfg)
}

func TestStores(t *testing.T) {
	cycles := []string{"G0", "G1c", "G-single", "G-nonadjacent", "G2-item"}
	realtime := []string{"G0-realtime", "G1c-realtime", "G-single-realtime", "G-nonadjacent-realtime", "G2-item-realtime"}
	tests := []struct {
		name  string
		bug   bug
		model string
		want  []string // one of these must be found; nil: valid
		also  []string // other kinds the bug may cause
	}{
		{"correct", correct, "strict-serializable", nil, nil},
		{"no isolation", noIsolation, "serializable", []string{"G-single", "G2-item"}, append(slices.Clone(cycles), "G1b", "internal", "lost-update")},
		{"no isolation, read committed", noIsolation, "read-committed", []string{"G0", "G1b", "G1c"}, []string{"incompatible-order"}},
		{"stale reads", staleReads, "strict-serializable", []string{"G-single-realtime", "G-nonadjacent-realtime", "G2-item-realtime"}, realtime},
		{"stale reads", staleReads, "serializable", nil, nil},
		{"loses appends", loseAppends, "strict-serializable", []string{"G-single-realtime", "G-single"}, append(slices.Clone(cycles), append(realtime, "G1b", "internal", "lost-update")...)},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.model, func(t *testing.T) {
			rep := run(t, tt.bug, tt.model)
			var kinds []string
			for _, a := range rep.Anomalies {
				kinds = append(kinds, a.Kind)
				if !slices.Contains(tt.want, a.Kind) && !slices.Contains(tt.also, a.Kind) {
					t.Errorf("anomaly of an unexpected kind: %s: %s", a.Kind, a.Detail)
				}
				if len(a.Ops) == 0 {
					t.Errorf("%s lists no operations: %s", a.Kind, a.Detail)
				}
				for _, o := range a.Ops {
					if a.Kind != "incompatible-order" && !strings.Contains(a.Detail, fmt.Sprintf(":index %d,", o.Index)) {
						t.Errorf("%s lists operation %d, which its detail does not name: %s", a.Kind, o.Index, a.Detail)
					}
				}
			}
			t.Logf("%d ok of %d; anomaly kinds: %v", rep.Ops.OK, rep.Ops.Invoked, kinds)
			if tt.want == nil {
				if !rep.Valid {
					t.Fatalf("invalid run, Maelstrom would pass it: %+v", rep.Anomalies)
				}
				return
			}
			if rep.Valid || rep.Unknown || !slices.ContainsFunc(kinds, func(k string) bool { return slices.Contains(tt.want, k) }) {
				t.Fatalf("valid=%v unknown=%v kinds %v: want an invalid run with one of %v", rep.Valid, rep.Unknown, kinds, tt.want)
			}
		})
	}
}

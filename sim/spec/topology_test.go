package spec

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/glomers/glomers/sim"
)

func nodeIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("n%d", i)
	}
	return ids
}

func TestTopologiesMatchMaelstrom(t *testing.T) {
	tests := []struct {
		name string
		n    int
		want map[string][]string
	}{
		{"grid", 5, map[string][]string{
			"n0": {"n3", "n1"}, "n1": {"n4", "n2", "n0"}, "n2": {"n1"}, "n3": {"n0", "n4"}, "n4": {"n1", "n3"},
		}},
		{"grid", 1, map[string][]string{"n0": {}}},
		{"line", 1, map[string][]string{}},
		{"line", 3, map[string][]string{"n0": {"n1"}, "n1": {"n0", "n2"}, "n2": {"n1"}}},
		{"tree2", 7, map[string][]string{
			"n0": {"n1", "n2"}, "n1": {"n0", "n3", "n4"}, "n2": {"n0", "n5", "n6"},
			"n3": {"n1"}, "n4": {"n1"}, "n5": {"n2"}, "n6": {"n2"},
		}},
		{"tree3", 5, map[string][]string{"n0": {"n1", "n2", "n3"}, "n1": {"n0", "n4"}, "n2": {"n0"}, "n3": {"n0"}, "n4": {"n1"}}},
		{"total", 3, map[string][]string{"n0": {"n1", "n2"}, "n1": {"n0", "n2"}, "n2": {"n0", "n1"}}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s-%d", tt.name, tt.n), func(t *testing.T) {
			f, err := topologyFunc(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if got := f(nodeIDs(tt.n)); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// Every topology is symmetric and connects all nodes, for any node count.
func TestTopologiesAreSymmetricAndConnected(t *testing.T) {
	for name, f := range topologies {
		for n := 2; n <= 30; n++ {
			topo := f(nodeIDs(n))
			for me, nbs := range topo {
				for _, o := range nbs {
					if o == me || !slices.Contains(topo[o], me) {
						t.Fatalf("%s/%d: %s lists %s but not the reverse", name, n, me, o)
					}
				}
			}
			seen := map[string]bool{"n0": true}
			queue := []string{"n0"}
			for len(queue) > 0 {
				me := queue[0]
				queue = queue[1:]
				for _, o := range topo[me] {
					if !seen[o] {
						seen[o] = true
						queue = append(queue, o)
					}
				}
			}
			if len(seen) != n {
				t.Fatalf("%s/%d: only %d nodes reachable from n0", name, n, len(seen))
			}
		}
	}
}

func TestBroadcastPreambleSendsTopologyToEveryNode(t *testing.T) {
	s, err := New("broadcast", sim.Config{Topology: "line"})
	if err != nil {
		t.Fatal(err)
	}
	pre := s.Preamble(nodeIDs(3))
	if len(pre) != 3 {
		t.Fatalf("preamble for %d nodes", len(pre))
	}
	raw, err := json.Marshal(pre["n2"])
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != `{"type":"topology","topology":{"n0":["n1"],"n1":["n0","n2"],"n2":["n1"]}}` {
		t.Fatalf("n2 gets %s", raw)
	}
	g, _ := New("g-set", sim.Config{})
	if g.Preamble(nodeIDs(3)) != nil {
		t.Fatal("g-set has no preamble")
	}
}

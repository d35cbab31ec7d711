package uniqueids

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/glomers/glomers/node"
)

// fakeClock is a manual clock; Next may sleep when a millisecond is full,
// so the clock also advances whenever it is read after that.
type fakeClock struct {
	mu  sync.Mutex
	t   time.Time
	inc time.Duration // added after each read
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.t
	c.t = c.t.Add(c.inc)
	return t
}

func TestLayout(t *testing.T) {
	at := Epoch.Add(123456789 * time.Millisecond)
	cases := []struct {
		index int
		n     int // ids generated at the same instant
	}{{0, 1}, {7, 3}, {MaxNodes - 1, 4096}}
	for _, tc := range cases {
		clock := &fakeClock{t: at}
		g, err := NewGenerator(tc.index, clock.now)
		if err != nil {
			t.Fatal(err)
		}
		for i := range tc.n {
			id := g.Next()
			if id <= 0 {
				t.Fatalf("id %d is not positive", id)
			}
			ts, idx, seq := Parts(id)
			if !ts.Equal(at) || idx != tc.index || seq != i {
				t.Fatalf("Parts(%d) = %v, %d, %d; want %v, %d, %d", id, ts, idx, seq, at, tc.index, i)
			}
		}
	}
}

func TestBadIndex(t *testing.T) {
	for _, idx := range []int{-1, MaxNodes} {
		if _, err := NewGenerator(idx, nil); err == nil {
			t.Errorf("index %d accepted", idx)
		}
	}
}

// TestFullMillisecondWaits exhausts a millisecond's sequence numbers and
// checks the next id waits for the next millisecond instead of borrowing.
func TestFullMillisecondWaits(t *testing.T) {
	clock := &fakeClock{t: Epoch.Add(time.Hour)}
	g, _ := NewGenerator(1, clock.now)
	for range maxSeq + 1 {
		g.Next()
	}
	clock.mu.Lock()
	clock.inc = 100 * time.Microsecond // time moves only as the generator waits
	clock.mu.Unlock()
	ts, _, seq := Parts(g.Next())
	if want := Epoch.Add(time.Hour + time.Millisecond); !ts.Equal(want) || seq != 0 {
		t.Fatalf("after a full millisecond got %v seq %d, want %v seq 0", ts, seq, want)
	}
}

// TestClockStepsBack keeps ids increasing when the clock goes backwards.
func TestClockStepsBack(t *testing.T) {
	clock := &fakeClock{t: Epoch.Add(time.Hour)}
	g, _ := NewGenerator(2, clock.now)
	a := g.Next()
	clock.mu.Lock()
	clock.t = clock.t.Add(-time.Minute)
	clock.mu.Unlock()
	if b := g.Next(); b <= a {
		t.Fatalf("id went from %d to %d when the clock stepped back", a, b)
	}
}

// TestRestart models a node that hands out ids, restarts a moment later and
// hands out more: no id repeats.
func TestRestart(t *testing.T) {
	clock := &fakeClock{t: Epoch.Add(time.Hour), inc: time.Microsecond}
	first, _ := NewGenerator(3, clock.now)
	seen := map[int64]bool{}
	for range 5000 { // more than one millisecond's worth of sequence numbers
		seen[first.Next()] = true
	}
	clock.mu.Lock()
	clock.t = clock.t.Add(time.Millisecond) // the restart takes at least a millisecond
	clock.mu.Unlock()
	second, _ := NewGenerator(3, clock.now)
	for range 5000 {
		if id := second.Next(); seen[id] {
			t.Fatalf("restarted node repeated id %d", id)
		}
	}
}

// TestMillionsUnique generates millions of ids on several nodes, each from
// several goroutines at once, with the real clock, and finds no duplicate.
func TestMillionsUnique(t *testing.T) {
	const nodes, workers, each = 4, 2, 500_000
	if testing.Short() {
		t.Skip("generates 4M ids")
	}
	all := make([][]int64, nodes*workers)
	var wg sync.WaitGroup
	for nd := range nodes {
		g, _ := NewGenerator(nd, nil)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ids := make([]int64, each)
				for i := range ids {
					ids[i] = g.Next()
				}
				all[nd*workers+w] = ids
			}()
		}
	}
	wg.Wait()
	merged := slices.Concat(all...)
	slices.Sort(merged)
	for i := 1; i < len(merged); i++ {
		if merged[i] == merged[i-1] {
			t.Fatalf("duplicate id %d", merged[i])
		}
	}
	if len(merged) != nodes*workers*each {
		t.Fatalf("%d ids", len(merged))
	}
}

// TestProgramUsesTheIndexInNodeIDs builds the workload as init would and
// checks that generate answers with fresh ids carrying this node's index.
func TestProgramUsesTheIndexInNodeIDs(t *testing.T) {
	if _, err := Program.Builder([]string{"--fanout", "2"}); err == nil {
		t.Error("unique-ids accepted a flag")
	}
	build, err := Program.Builder(nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := build(nil, node.Init{ID: "n2", IDs: []string{"n5", "n0", "n2"}})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for range 100 {
		reply, err := h["generate"](context.Background(), node.Message{Src: "c1", Dest: "n2", Body: json.RawMessage(`{"type":"generate","msg_id":1}`)})
		ok, _ := reply.(generateOK)
		if _, idx, _ := Parts(ok.ID); err != nil || ok.Type != "generate_ok" || idx != 2 || seen[ok.ID] {
			t.Fatalf("generate: %+v, %v; want generate_ok with a fresh id of node index 2", reply, err)
		}
		seen[ok.ID] = true
	}
}

// BenchmarkNext reports ids per second for one node generating from all
// cores at once.
func BenchmarkNext(b *testing.B) {
	g, _ := NewGenerator(0, nil)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			g.Next()
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ids/s")
}

package txn

import (
	"encoding/json"
	"math/rand/v2"
	"regexp"
	"slices"
	"sync"
	"testing"

	"github.com/glomers/glomers/sim"
)

func TestGeneratorRequests(t *testing.T) {
	const (
		keyCount  = 3
		maxLen    = 5
		maxWrites = 4
		clients   = 4
		perClient = 500
	)
	s, err := New(sim.Config{KeyCount: keyCount, MaxTxnLength: maxLen, MaxWritesPerKey: maxWrites})
	if err != nil {
		t.Fatal(err)
	}
	shape := regexp.MustCompile(`^\{"type":"txn","txn":\[(\["r",\d+,null\]|\["w",\d+,\d+\])(,(\["r",\d+,null\]|\["w",\d+,\d+\]))*\]\}$`)

	// Clients run concurrently, as in the simulator, sharing the key pool.
	bodies := make([][][]byte, clients)
	cs := make([]sim.Client, clients)
	var wg sync.WaitGroup
	for p := range clients {
		cs[p] = s.NewClient(p, "n0", rand.New(rand.NewPCG(7, uint64(p))))
		wg.Go(func() {
			for range perClient {
				b, err := json.Marshal(cs[p].Next())
				if err != nil {
					t.Error(err)
					return
				}
				bodies[p] = append(bodies[p], b)
			}
		})
	}
	wg.Wait()

	written := map[int64][]int64{} // key → values written
	used := map[int64]bool{}
	lengths := map[int]int{}
	for _, bs := range bodies {
		for _, b := range bs {
			if !shape.Match(b) {
				t.Fatalf("request %s does not have the txn shape", b)
			}
			mops, err := parseTxn(b)
			if err != nil {
				t.Fatal(err)
			}
			lengths[len(mops)]++
			for _, m := range mops {
				used[m.key] = true
				if m.write {
					written[m.key] = append(written[m.key], m.val)
				}
			}
		}
	}
	for n := 1; n <= maxLen; n++ {
		if lengths[n] == 0 {
			t.Errorf("no txn of length %d in %v", n, lengths)
		}
	}
	if len(lengths) != maxLen {
		t.Errorf("txn lengths %v, want 1..%d", lengths, maxLen)
	}
	for k, vs := range written {
		slices.Sort(vs)
		if len(slices.Compact(slices.Clone(vs))) != len(vs) {
			t.Errorf("key %d has a value written twice: %v", k, vs)
		}
		if vs[0] < 1 || vs[len(vs)-1] > maxWrites {
			t.Errorf("key %d has values %v, want within 1..%d", k, vs, maxWrites)
		}
	}
	// 2000 txns write about 2500 values, 4 per key: keys must have been
	// retired and replaced, and only keyCount are ever in rotation.
	if len(used) < 100 {
		t.Errorf("only %d keys used: keys are not retired", len(used))
	}

	// Every client's final reads cover every used key once, in chunks.
	for p, c := range cs {
		seen := map[int64]int{}
		for _, body := range c.Final() {
			mops := body.(request).Txn
			if len(mops) == 0 || len(mops) > finalChunk {
				t.Fatalf("client %d: final txn of %d micro-ops", p, len(mops))
			}
			for _, m := range mops {
				if m.write || !m.null {
					t.Fatalf("client %d: final micro-op %v is not a read", p, m)
				}
				seen[m.key]++
			}
		}
		if len(seen) != len(used) {
			t.Errorf("client %d: final reads cover %d keys, %d used", p, len(seen), len(used))
		}
		for k, n := range seen {
			if !used[k] || n != 1 {
				t.Errorf("client %d: final reads read key %d %d times (used: %v)", p, k, n, used[k])
			}
		}
	}
}

func TestPickExponential(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n, draws = 4, 150000
	counts := make([]int, n)
	for range draws {
		counts[pickExponential(r, n)]++
	}
	// Weights 1, 2, 4, 8 out of 15.
	for i, c := range counts {
		want := float64(draws) * float64(int(1)<<i) / 15
		if d := float64(c) - want; d > want*0.05 || d < -want*0.05 {
			t.Errorf("index %d drawn %d times, want about %.0f", i, c, want)
		}
	}
}

func TestGeneratorRetiresKeysInPlace(t *testing.T) {
	p := newKeyPool(2, 1, 1)
	r := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		p.txn(r)
	}
	if len(p.active) != 2 {
		t.Fatalf("%d keys in rotation, want 2", len(p.active))
	}
	for _, k := range p.active {
		if p.nextVal[k] > 2 {
			t.Errorf("active key %d has had %d writes, max 1", k, p.nextVal[k]-1)
		}
	}
	if p.nextKey < 20 {
		t.Errorf("only %d keys ever made after ~100 single-write txns", p.nextKey)
	}
}

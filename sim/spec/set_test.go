package spec

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/glomers/glomers/sim"
)

// bcast is an ok or indeterminate broadcast of value x.
func bcast(p, x int, st sim.Status, invoke, complete int) sim.Op {
	resp := ""
	if st == sim.OK {
		resp = `{"type":"broadcast_ok"}`
	}
	return op(p, "broadcast", fmt.Sprintf(`{"type":"broadcast","message":%d}`, x), resp, st, invoke, complete)
}

// bread is an ok read returning messages.
func bread(p int, messages string, invoke, complete int) sim.Op {
	return op(p, "read", `{"type":"read"}`, `{"type":"read_ok","messages":`+messages+`}`, sim.OK, invoke, complete)
}

func TestBroadcastCheck(t *testing.T) {
	tests := []struct {
		name string
		h    sim.History
		want []string
	}{
		{"clean", sim.History{
			bcast(0, 0, sim.OK, 0, 10),
			bread(1, `[0]`, 20, 30),
			final(bread(0, `[0]`, 100, 101)),
			final(bread(1, `[0]`, 100, 101)),
		}, nil},
		{"indeterminate broadcast seen later", sim.History{
			bcast(0, 1, sim.Info, 0, 5000),
			bcast(1, 0, sim.OK, 1, 2),
			final(bread(0, `[0,1]`, 6000, 6001)),
			final(bread(1, `[1,0]`, 6000, 6001)),
		}, nil},
		{"absent only from a read concurrent with the ack: never-read, not lost", sim.History{
			bcast(0, 0, sim.OK, 0, 10),
			bcast(0, 1, sim.OK, 20, 100),
			final(bread(1, `[0]`, 50, 150)),
		}, nil},
		{"lost: last read lacks an acknowledged value", sim.History{
			bcast(0, 0, sim.OK, 0, 10),
			bread(1, `[0]`, 20, 30),
			final(bread(0, `[]`, 100, 101)),
		}, []string{"lost"}},
		{"lost: one final read lacks it, a later one has it", sim.History{
			bcast(0, 0, sim.OK, 0, 10),
			final(bread(0, `[]`, 100, 101)),
			final(bread(1, `[0]`, 102, 103)),
		}, []string{"lost"}},
		{"unexpected value", sim.History{
			bcast(0, 0, sim.OK, 0, 10),
			final(bread(0, `[0,99]`, 100, 101)),
		}, []string{"unexpected"}},
		{"nothing ever stable", sim.History{
			bcast(0, 0, sim.Info, 0, 5000),
			final(bread(0, `[]`, 6000, 6001)),
		}, []string{"nothing-stable"}},
		{"malformed read", sim.History{
			bcast(0, 0, sim.OK, 0, 10),
			bread(1, `"zero"`, 20, 30),
			final(bread(0, `[0]`, 100, 101)),
		}, []string{"malformed-reply"}},
	}
	s, err := New("broadcast", sim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantKinds(t, s.Check(tt.h), tt.want...) })
	}
}

func TestBroadcastStableLatency(t *testing.T) {
	// Value 0 is acknowledged at 10 ms; reads invoked at 5 and 50 ms miss
	// it, every read from 100 ms on has it: stable 40 ms after the ack.
	// Value 1 is in every read after its ack: latency 0.
	h := sim.History{
		bread(1, `[]`, 5, 15),
		bcast(0, 0, sim.OK, 0, 10),
		bcast(0, 1, sim.OK, 11, 12),
		bread(1, `[1]`, 50, 60),
		bread(1, `[0,1]`, 100, 110),
		final(bread(0, `[0,1]`, 200, 201)),
	}
	s, _ := New("broadcast", sim.Config{})
	r := s.Check(h)
	wantKinds(t, r)
	if r.StableLatencies["0"] != 0 || r.StableLatencies["1"] != 40 || r.StableLatencies["0.5"] != 40 {
		t.Fatalf("stable latencies %v, want 0 and 40 ms", r.StableLatencies)
	}
	if r.Stats["stable-count"] != 2 || r.Stats["lost-count"] != 0 || r.Stats["never-read-count"] != 0 {
		t.Fatalf("stats %v", r.Stats)
	}
}

func TestGSetCheck(t *testing.T) {
	add := func(x int, st sim.Status) sim.Op {
		return op(0, "add", fmt.Sprintf(`{"type":"add","element":%d}`, x), `{"type":"add_ok"}`, st, 0, 10)
	}
	read := func(v string) sim.Op {
		return final(op(1, "read", `{"type":"read"}`, `{"type":"read_ok","value":`+v+`}`, sim.OK, 100, 101))
	}
	s, _ := New("g-set", sim.Config{})
	wantKinds(t, s.Check(sim.History{add(0, sim.OK), add(1, sim.OK), read(`[1,0]`)}))
	wantKinds(t, s.Check(sim.History{add(0, sim.OK), add(1, sim.OK), read(`[1]`)}), "lost")
}

func TestSetClientsShareUniqueValues(t *testing.T) {
	for _, w := range []string{"broadcast", "g-set"} {
		s, _ := New(w, sim.Config{})
		seen := map[int64]bool{}
		adds, reads := 0, 0
		for p := range 3 {
			c := s.NewClient(p, "n0", rand.New(rand.NewPCG(uint64(p), 9)))
			for range 200 {
				raw := encode(t, c.Next())
				if bodyType(t, raw) == "read" {
					reads++
					continue
				}
				adds++
				var x int64
				name := map[string]string{"broadcast": "message", "g-set": "element"}[w]
				if err := field(raw, name, &x); err != nil || seen[x] {
					t.Fatalf("%s: body %s repeats or lacks a value", w, raw)
				}
				seen[x] = true
			}
			if f := c.Final(); len(f) != 1 || bodyType(t, encode(t, f[0])) != "read" {
				t.Fatalf("%s final %v", w, f)
			}
		}
		if adds < 200 || reads < 200 {
			t.Fatalf("%s: %d adds, %d reads: not about half each", w, adds, reads)
		}
	}
}

package spec

import (
	"fmt"
	"slices"
	"testing"

	"github.com/glomers/glomers/sim"
)

// bcast is an ok or indeterminate broadcast of value x.
func bcast(p int, x int64, st sim.Status, invoke, complete int) sim.Op {
	return op(p, "broadcast", x, x, st, invoke, complete)
}

// bread is an ok read returning messages.
func bread(p int, messages []int64, invoke, complete int) sim.Op {
	return op(p, "read", nil, messages, sim.OK, invoke, complete)
}

// vals is shorthand for a read's values.
func vals(xs ...int64) []int64 { return xs }

func TestBroadcastCheck(t *testing.T) {
	tests := []struct {
		name   string
		h      sim.History
		want   []string // Maelstrom's anomalies
		strict []string // the simulator's stricter ones
	}{
		{"clean", sim.History{
			bcast(0, 0, sim.OK, 0, 10),
			bread(1, vals(0), 20, 30),
			final(bread(0, vals(0), 100, 101)),
			final(bread(1, vals(0), 100, 101)),
		}, nil, nil},
		{"indeterminate broadcast seen later", sim.History{
			bcast(0, 1, sim.Info, 0, 5000),
			bcast(1, 0, sim.OK, 1, 2),
			final(bread(0, vals(0, 1), 6000, 6001)),
			final(bread(1, vals(1, 0), 6000, 6001)),
		}, nil, nil},
		{"absent only from a read concurrent with the ack: never-read, not lost", sim.History{
			bcast(0, 0, sim.OK, 0, 10),
			bcast(0, 1, sim.OK, 20, 100),
			final(bread(1, vals(0), 50, 150)),
		}, nil, nil},
		{"lost: last read lacks an acknowledged value", sim.History{
			bcast(0, 0, sim.OK, 0, 10),
			bread(1, vals(0), 20, 30),
			final(bread(0, vals(), 100, 101)),
		}, []string{"lost"}, []string{"missing-from-final"}},
		// set-full judges by the last-invoked read only: a final read
		// lacking the value is missed when a later one has it.
		{"one final read lacks it, a later one has it", sim.History{
			bcast(0, 0, sim.OK, 0, 10),
			final(bread(0, vals(), 100, 101)),
			final(bread(1, vals(0), 102, 103)),
		}, nil, []string{"missing-from-final"}},
		{"unexpected value", sim.History{
			bcast(0, 0, sim.OK, 0, 10),
			final(bread(0, vals(0, 99), 100, 101)),
		}, nil, []string{"unexpected"}},
	}
	s, err := New("broadcast", sim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sim.Check(s.Checker(), history(tt.h...))
			wantKinds(t, r, tt.want...)
			if got := r.StrictKinds(); !slices.Equal(got, tt.strict) {
				t.Errorf("strict kinds %v, want %v", got, tt.strict)
			}
		})
	}
	// Nothing stable and nothing lost: Jepsen's :unknown, not valid.
	r := sim.Check(s.Checker(), history(bcast(0, 0, sim.Info, 0, 5000), final(bread(0, vals(), 6000, 6001))))
	if r.Valid || !r.Unknown {
		t.Errorf("nothing ever stable: valid=%v unknown=%v, want unknown", r.Valid, r.Unknown)
	}
}

func TestBroadcastStableLatency(t *testing.T) {
	// Value 0 is acknowledged at 10 ms; reads invoked at 5 and 50 ms miss
	// it, every read from 100 ms on has it: stable 40 ms after the ack.
	// Value 1 is in every read after its ack: latency 0.
	h := history(
		bread(1, vals(), 5, 15),
		bcast(0, 0, sim.OK, 0, 10),
		bcast(0, 1, sim.OK, 11, 12),
		bread(1, vals(1), 50, 60),
		bread(1, vals(0, 1), 100, 110),
		final(bread(0, vals(0, 1), 200, 201)),
	)
	s, _ := New("broadcast", sim.Config{})
	r := sim.Check(s.Checker(), h)
	wantKinds(t, r)
	if r.StableLatencies["0"] != 0 || r.StableLatencies["1"] != 40 || r.StableLatencies["0.5"] != 40 {
		t.Fatalf("stable latencies %v, want 0 and 40 ms", r.StableLatencies)
	}
	if r.Stats["stable-count"] != 2 || r.Stats["lost-count"] != 0 || r.Stats["never-read-count"] != 0 {
		t.Fatalf("stats %v", r.Stats)
	}
}

func TestGSetCheck(t *testing.T) {
	add := func(x int64, st sim.Status) sim.Op { return op(0, "add", x, x, st, 0, 10) }
	read := func(v []int64) sim.Op { return op(1, "read", nil, v, sim.OK, 100, 101) }
	s, _ := New("g-set", sim.Config{})
	wantKinds(t, sim.Check(s.Checker(), history(add(0, sim.OK), add(1, sim.OK), read(vals(1, 0)))))
	r := sim.Check(s.Checker(), history(add(0, sim.OK), add(1, sim.OK), read(vals(1))))
	wantKinds(t, r, "lost")
	// The anomaly names its operations: the add of 0 (history index 0) and
	// the read that lacks it (2); no read ever showed it.
	var got []string
	for _, o := range r.Anomalies[0].Ops {
		got = append(got, fmt.Sprintf("%d %s %s", o.Index, o.F, o.Type))
	}
	if want := []string{"0 add ok", "2 read ok"}; !slices.Equal(got, want) {
		t.Errorf("lost anomaly's ops %v, want %v (%s)", got, want, r.Anomalies[0].Detail)
	}
}

// Maelstrom's set generators: a uniform mix of adds of 0, 1, 2, … (one
// sequence for every thread) and reads; one read per thread at the end.
func TestSetGenerators(t *testing.T) {
	for _, w := range []string{"broadcast", "g-set"} {
		s, _ := New(w, sim.Config{})
		load, final := s.Generators(nil)
		ops := drawOps(t, load, 3, 2000)
		var adds []int64
		for _, o := range ops {
			if o.F != "read" {
				adds = append(adds, o.Value.(int64))
			}
		}
		for i, x := range adds {
			if x != int64(i) {
				t.Fatalf("%s: add %d has value %d: values must run 0, 1, 2, …", w, i, x)
			}
		}
		if share := float64(len(adds)) / float64(len(ops)); share < 0.47 || share > 0.53 {
			t.Errorf("%s: adds are %.3f of the ops, want half", w, share)
		}
		finals := drawOps(t, final, 3, 100)
		if len(finals) != 3 || finals[0].F != "read" || finals[0].Final != (w == "broadcast") {
			t.Errorf("%s final ops %+v: one read per thread, marked final for broadcast only", w, finals)
		}
	}
}

package broadcast

import (
	"slices"
	"testing"
	"time"
)

// seq returns n consecutive values starting at first.
func seq(first int64, n int) []int64 {
	vs := make([]int64, n)
	for i := range vs {
		vs[i] = first + int64(i)
	}
	return vs
}

func TestChunkBoundsValuesPerMessageAndKeepsOrder(t *testing.T) {
	for _, tc := range []struct {
		name  string
		segs  []Segment
		limit int
		want  [][]Segment
	}{
		{"nothing", nil, 3, nil},
		{"fits", []Segment{{0, 0, seq(1, 2)}, {1, 5, seq(9, 1)}}, 3,
			[][]Segment{{{0, 0, seq(1, 2)}, {1, 5, seq(9, 1)}}}},
		{"exactly full", []Segment{{0, 0, seq(1, 3)}}, 3,
			[][]Segment{{{0, 0, seq(1, 3)}}}},
		{"segment cut across messages", []Segment{{2, 10, seq(1, 7)}}, 3,
			[][]Segment{{{2, 10, seq(1, 3)}}, {{2, 13, seq(4, 3)}}, {{2, 16, seq(7, 1)}}}},
		{"boundary inside the second segment", []Segment{{0, 0, seq(1, 2)}, {1, 4, seq(5, 3)}}, 3,
			[][]Segment{{{0, 0, seq(1, 2)}, {1, 4, seq(5, 1)}}, {{1, 5, seq(6, 2)}}}},
	} {
		got := chunk(tc.segs, tc.limit)
		if len(got) != len(tc.want) {
			t.Fatalf("%s: %d messages %v, want %d %v", tc.name, len(got), got, len(tc.want), tc.want)
		}
		for i := range got {
			if !segsEqual(got[i], tc.want[i]) {
				t.Errorf("%s: message %d = %v, want %v", tc.name, i, got[i], tc.want[i])
			}
		}
	}
}

// TestLargeRepairIsChunked checks that a digest owed more values than one
// message may carry is answered with several repairs that together carry
// each missing value once.
func TestLargeRepairIsChunked(t *testing.T) {
	e := engine(t, defaultConfig, "n0", 2)
	const values = 2*maxValuesPerMessage + 10
	for v := range int64(values) {
		e.Broadcast(v, t0)
	}
	outs, err := e.Digest("n1", []int{0, 0}, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got := dests(t, outs, typeRepair); !slices.Equal(got, []string{"n1", "n1", "n1"}) {
		t.Fatalf("repairs went to %v, want three messages to n1", got)
	}
	var carried []int64
	for _, o := range outs {
		n := 0
		for _, sg := range o.Body.(gossipBody).Segs {
			n += len(sg.Values)
			carried = append(carried, sg.Values...)
		}
		if n > maxValuesPerMessage {
			t.Errorf("a repair carries %d values, want at most %d", n, maxValuesPerMessage)
		}
	}
	if !slices.Equal(carried, seq(0, values)) {
		t.Errorf("repairs carry %d values, want 0..%d once each, in order", len(carried), values-1)
	}
}

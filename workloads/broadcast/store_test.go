package broadcast

import (
	"encoding/json"
	"slices"
	"testing"
)

func readValues(t *testing.T, snap []byte) []int64 {
	t.Helper()
	var vs []int64
	if err := json.Unmarshal(append(append([]byte{'['}, snap...), ']'), &vs); err != nil {
		t.Fatalf("read encoding %q: %v", snap, err)
	}
	return vs
}

func TestStoreAddOutOfOrderClosesGaps(t *testing.T) {
	s := newStore(3)
	steps := []struct {
		o, seq    int
		v         int64
		fresh     bool
		wantPrefx int
	}{
		{1, 2, 12, true, 0},
		{1, 0, 10, true, 1},
		{1, 2, 12, false, 1}, // duplicate past the gap
		{1, 1, 11, true, 3},  // closes the gap, absorbs seq 2
		{1, 0, 10, false, 3}, // duplicate in the prefix
		{2, 0, 10, true, 3},  // same value, other slot: fills the slot only
	}
	for i, st := range steps {
		fresh, err := s.add(st.o, st.seq, st.v, int64(i))
		if err != nil || fresh != st.fresh {
			t.Fatalf("step %d: add = %v, %v; want fresh %v", i, fresh, err, st.fresh)
		}
		if got := len(s.logs[1].prefix); got != st.wantPrefx {
			t.Fatalf("step %d: prefix of origin 1 = %d, want %d", i, got, st.wantPrefx)
		}
	}
	if got := readValues(t, s.readSnapshot()); !slices.Equal(got, []int64{12, 10, 11}) {
		t.Errorf("read = %v, want [12 10 11] (arrival order, no duplicate)", got)
	}
	if s.size() != 3 || !slices.Equal(s.digest(), []int{0, 3, 1}) {
		t.Errorf("size %d digest %v, want 3 and [0 3 1]", s.size(), s.digest())
	}
}

func TestStoreRejectsBadSlots(t *testing.T) {
	s := newStore(2)
	for _, bad := range [][2]int{{-1, 0}, {2, 0}, {0, -1}} {
		if _, err := s.add(bad[0], bad[1], 1, 0); err == nil {
			t.Errorf("add(origin %d, seq %d) succeeded", bad[0], bad[1])
		}
	}
	if s.size() != 0 {
		t.Errorf("rejected values were stored")
	}
}

func TestStoreOriginateSkipsKnownValues(t *testing.T) {
	s := newStore(2)
	if seq, fresh := s.originate(0, 7, 0); !fresh || seq != 0 {
		t.Fatalf("first originate = %d, %v", seq, fresh)
	}
	if _, fresh := s.originate(0, 7, 0); fresh {
		t.Fatalf("a known value was originated again")
	}
	if _, err := s.add(1, 0, 8, 0); err != nil {
		t.Fatal(err)
	}
	if _, fresh := s.originate(0, 8, 0); fresh {
		t.Fatalf("a value known from a peer was originated again")
	}
	if seq, _ := s.originate(0, 9, 0); seq != 1 {
		t.Fatalf("next sequence = %d, want 1", seq)
	}
}

func TestStoreMissingAndLacks(t *testing.T) {
	s := newStore(3)
	// origin 0: seqs 0..3 learned at times 0..3; origin 2: seq 0 at 0 and seq 5 at 1.
	for seq := range 4 {
		if _, err := s.add(0, seq, int64(100+seq), int64(seq)); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range [][3]int64{{0, 200, 0}, {5, 205, 1}} {
		if _, err := s.add(2, int(a[0]), a[1], a[2]); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name   string
		d      []int
		cutoff int64
		want   []Segment
	}{
		{"in sync", []int{4, 0, 6}, 10, nil},
		{"values past a gap are offered", []int{4, 0, 1}, 10, []Segment{{2, 5, []int64{205}}}},
		{"peer lacks a tail", []int{1, 0, 1}, 10, []Segment{{0, 1, []int64{101, 102, 103}}, {2, 5, []int64{205}}}},
		{"grace holds back recent values", []int{1, 0, 1}, 1, []Segment{{0, 1, []int64{101}}, {2, 5, []int64{205}}}},
		{"peer lacks all", []int{0, 0, 0}, 10, []Segment{{0, 0, []int64{100, 101, 102, 103}}, {2, 0, []int64{200}}, {2, 5, []int64{205}}}},
		{"peer ahead", []int{9, 3, 6}, 10, nil},
	} {
		if got := s.missing(tc.d, tc.cutoff); !segsEqual(got, tc.want) {
			t.Errorf("%s: missing = %v, want %v", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct {
		d    []int
		want bool
	}{{[]int{4, 0, 1}, false}, {[]int{3, 0, 0}, false}, {[]int{5, 0, 0}, true}, {[]int{0, 1, 0}, true}, {[]int{0, 0, 2}, true}} {
		if got := s.lacks(tc.d); got != tc.want {
			t.Errorf("lacks(%v) = %v, want %v", tc.d, got, tc.want)
		}
	}
}

func segsEqual(a, b []Segment) bool {
	return slices.EqualFunc(a, b, func(x, y Segment) bool {
		return x.Origin == y.Origin && x.Seq == y.Seq && slices.Equal(x.Values, y.Values)
	})
}

func TestReadSnapshotIsStableWhileTheStoreGrows(t *testing.T) {
	s := newStore(1)
	for v := range int64(5) {
		s.originate(0, v, 0)
	}
	snap := s.readSnapshot()
	before := string(snap)
	for v := int64(5); v < 1000; v++ {
		s.originate(0, v, 0)
	}
	if string(snap) != before {
		t.Fatalf("snapshot changed from %q to %q", before, snap)
	}
	if got := readValues(t, s.readSnapshot()); len(got) != 1000 || got[999] != 999 {
		t.Fatalf("read after growth has %d values", len(got))
	}
}

func TestAppendValueMergesRuns(t *testing.T) {
	var segs []Segment
	for _, a := range [][3]int{{0, 0, 1}, {0, 1, 2}, {0, 3, 4}, {1, 4, 5}, {1, 5, 6}} {
		segs = appendValue(segs, a[0], a[1], int64(a[2]))
	}
	want := []Segment{{0, 0, []int64{1, 2}}, {0, 3, []int64{4}}, {1, 4, []int64{5, 6}}}
	if !segsEqual(segs, want) {
		t.Errorf("segments = %v, want %v", segs, want)
	}
	b := newBatcher()
	b.add(3, 0, 0, 1)
	b.add(1, 0, 0, 1)
	b.add(3, 0, 1, 2)
	if got := b.pending(); !slices.Equal(got, []int{1, 3}) {
		t.Errorf("pending = %v", got)
	}
	if got := b.take(3); !segsEqual(got, []Segment{{0, 0, []int64{1, 2}}}) {
		t.Errorf("take(3) = %v", got)
	}
	if got := b.pending(); !slices.Equal(got, []int{1}) {
		t.Errorf("pending after take = %v", got)
	}
}

package services

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestSeqKVServed: the state Maelstrom's 32-slot ring buffer returns for an
// index: the index itself while kept, else the kept state congruent to it
// modulo 32 — a newer one.
func TestSeqKVServed(t *testing.T) {
	tests := []struct{ newest, index, want uint64 }{
		{0, 0, 0},
		{5, 0, 0},
		{5, 5, 5},
		{31, 0, 0}, // 32 states 0..31: all kept
		{32, 0, 32},
		{32, 1, 1},
		{40, 0, 32},
		{40, 7, 39},
		{40, 8, 40},
		{40, 9, 9},
		{40, 40, 40},
		{100, 68, 100},
		{100, 69, 69},
		{100, 4, 100},
		{100, 5, 69},
	}
	for _, tc := range tests {
		if got := served(tc.newest, tc.index); got != tc.want {
			t.Errorf("served(newest %d, index %d) = %d, want %d", tc.newest, tc.index, got, tc.want)
		}
	}
}

// TestSeqKVReaderReachesNewest: the index a request runs on is drawn from
// the caller's to the newest, newest included, so a caller that only reads
// reaches the newest state within a few reads (here all states are kept, so
// the index is the state served), and then stays on it.
func TestSeqKVReaderReachesNewest(t *testing.T) {
	const states, limit = 20, 15
	worst := 0
	for seed := range uint64(30) {
		s := newSeqKV(newRand(seed))
		for i := 1; i <= states; i++ {
			write(t, s, "n0", "x", i)
		}
		reads := 1
		for ; readInt(t, s, "n1", "x") != states; reads++ {
			if reads == limit {
				t.Fatalf("seed %d: a pure reader did not see the newest state in %d reads", seed, limit)
			}
		}
		worst = max(worst, reads)
		for range 10 {
			if got := readInt(t, s, "n1", "x"); got != states {
				t.Fatalf("seed %d: reader on the newest state read %d", seed, got)
			}
		}
	}
	t.Logf("worst: %d reads to reach the newest state", worst)
}

// TestSeqKVFarBehindWraps: state k holds x=k. A caller that never made a
// request stands at index 0, 40 states behind: it is served only kept
// states (9..40), but the index it is recorded at stays old, so a later
// read can return an older state than an earlier one.
func TestSeqKVFarBehindWraps(t *testing.T) {
	backwards := 0
	for seed := range uint64(40) {
		s := newSeqKV(newRand(seed))
		for i := 1; i <= 40; i++ {
			write(t, s, "n0", "x", i)
		}
		last := 0
		for reads := 0; last != 40; reads++ {
			if reads == 100 {
				t.Fatalf("seed %d: no newest state in 100 reads", seed)
			}
			got := readInt(t, s, "n1", "x")
			if got < 40-seqWindow+1 || got > 40 {
				t.Fatalf("seed %d: read x=%d, outside the kept states 9..40", seed, got)
			}
			if got < last {
				backwards++
			}
			last = got
		}
	}
	if backwards == 0 {
		t.Error("a caller 40 states behind never saw an older state after a newer one")
	}
}

// TestSeqKVStaleEqualWrite: a write that leaves the state it speculated on
// unchanged is answered write_ok and dropped, and its caller is left at
// that (stale) index; otherwise it lands on the newest state as a new one.
func TestSeqKVStaleEqualWrite(t *testing.T) {
	dropped, applied := 0, 0
	for seed := range uint64(30) {
		s := newSeqKV(newRand(seed))
		write(t, s, "n0", "x", 1) // state 1
		write(t, s, "n0", "x", 2) // state 2
		write(t, s, "n1", "x", 1)
		switch s.newest {
		case 2:
			dropped++
			if s.seen["n1"] != 1 {
				t.Fatalf("seed %d: dropped write left n1 at %d, want 1", seed, s.seen["n1"])
			}
			if got := readInt(t, s, "n0", "x"); got != 2 {
				t.Fatalf("seed %d: dropped write; newest x=%d, want 2", seed, got)
			}
		case 3:
			applied++
			if s.seen["n1"] != 3 {
				t.Fatalf("seed %d: applied write left n1 at %d, want 3", seed, s.seen["n1"])
			}
			if got := readInt(t, s, "n1", "x"); got != 1 {
				t.Fatalf("seed %d: applied write; n1 read x=%d, want 1", seed, got)
			}
		default:
			t.Fatalf("seed %d: %d states after one write", seed, s.newest)
		}
	}
	if dropped == 0 || applied == 0 {
		t.Errorf("equal write on a stale state: dropped %d times, applied %d; want both", dropped, applied)
	}
}

// TestSeqKVStale: while n0 writes 1..100, n1's reads are sometimes stale,
// sometimes the newest, and always from the kept states.
func TestSeqKVStale(t *testing.T) {
	for seed := range uint64(5) {
		s := newSeqKV(newRand(seed))
		lagged, fresh := 0, 0
		for i := 1; i <= 100; i++ {
			write(t, s, "n0", "x", i)
			got := readInt(t, s, "n1", "x")
			if got > i || got < i-seqWindow+1 && !(i < seqWindow && got == -1) {
				t.Fatalf("seed %d: n1 read %d, newest %d", seed, got, i)
			}
			if got == i {
				fresh++
			} else {
				lagged++
			}
		}
		if lagged == 0 || fresh == 0 {
			t.Errorf("seed %d: %d stale reads, %d fresh; want both", seed, lagged, fresh)
		}
		write(t, s, "n1", "fresh", 1)
		if got := readInt(t, s, "n1", "x"); got != 100 {
			t.Fatalf("seed %d: after its own write n1 read x=%d, want 100", seed, got)
		}
	}
}

// TestSeqKVReadYourWrites: callers interleave writes of fresh values; each
// reads back its own last write and nothing older than what others had
// written before it.
func TestSeqKVReadYourWrites(t *testing.T) {
	rng := newRand(7)
	s := newSeqKV(newRand(8))
	callers := []string{"n0", "n1", "n2", "c1"}
	written := map[string]int{}
	for i := 1; i <= 300; i++ {
		c := callers[rng.IntN(len(callers))]
		write(t, s, c, c, i)
		written[c] = i
		for _, other := range callers {
			got := readInt(t, s, c, other)
			want, ok := written[other]
			if !ok {
				want = -1
			}
			if other == c && got != want || got < want {
				t.Fatalf("%s read %s=%d after its write %d, want ≥ %d (exactly, for its own key)", c, other, got, i, want)
			}
		}
	}
}

// TestSeqKVCas: a cas first runs on a stale state, so from the newest value
// it may fail citing an old one, or succeed; a cas that succeeds only on an
// old state fails on the newest and still adds a state.
func TestSeqKVCas(t *testing.T) {
	staleFail, ok, appended := 0, 0, 0
	for seed := range uint64(40) {
		s := newSeqKV(newRand(seed))
		for i := 1; i <= 10; i++ {
			write(t, s, "n0", "x", i)
		}
		m := decode(t, call(t, s, "n1", `{"type":"cas","key":"x","from":10,"to":11}`))
		switch {
		case m["type"] == "cas_ok":
			ok++
			if got := readInt(t, s, "n1", "x"); got != 11 {
				t.Fatalf("seed %d: cas_ok but n1 then read x=%d", seed, got)
			}
			continue
		case m["code"] == json.Number("20"):
			staleFail++ // state 0: x missing
		case m["code"] == json.Number("22"):
			staleFail++
			if text := m["text"].(string); !strings.HasSuffix(text, " is not 10") || text == "current value 10 is not 10" {
				t.Fatalf("seed %d: stale failure text %q", seed, text)
			}
		default:
			t.Fatalf("seed %d: cas from the newest value: %v", seed, m)
		}
		// from 3 holds at state 3 only: tried there, it changes the state,
		// so it runs again on the newest, fails there, and still appends a
		// state (identical to the newest).
		for range 20 {
			before := s.newest
			reply := call(t, s, "n1", `{"type":"cas","key":"x","from":3,"to":99}`)
			switch s.newest - before {
			case 0:
				expect(t, s, "n0", `{"type":"read","key":"x"}`, `{"type":"read_ok","value":10}`)
			case 1:
				appended++
				if reply != `{"type":"error","code":22,"text":"current value 10 is not 3"}` {
					t.Fatalf("seed %d: cas retried on the newest state: %s", seed, reply)
				}
			default:
				t.Fatalf("seed %d: one cas added %d states", seed, s.newest-before)
			}
			if decode(t, reply)["type"] != "error" {
				t.Fatalf("seed %d: cas from an old value: %s", seed, reply)
			}
		}
		if got := readInt(t, s, "n0", "x"); got != 10 {
			t.Fatalf("seed %d: failing cas changed x to %d", seed, got)
		}
		expect(t, s, "n0", `{"type":"cas","key":"x","from":10,"to":11}`, casOK)
	}
	if staleFail == 0 || ok == 0 {
		t.Errorf("cas from the newest value by a stale caller: %d stale failures, %d successes; want both", staleFail, ok)
	}
	if appended == 0 {
		t.Error("a cas that held only on an old state never appended a state")
	}
}

// TestSeqKVWindow: a caller far behind is served from the 32 kept states,
// and old versions are pruned.
func TestSeqKVWindow(t *testing.T) {
	s := newSeqKV(newRand(3))
	for i := 1; i <= 1000; i++ {
		write(t, s, "n0", "x", i)
	}
	for c := range 50 {
		if got := readInt(t, s, fmt.Sprintf("c%d", c), "x"); got < 1000-seqWindow+1 || got > 1000 {
			t.Fatalf("far-behind caller read %d, want one of the last %d states", got, seqWindow)
		}
	}
	if n := len(s.keys[`"x"`]); n > seqWindow+1 {
		t.Fatalf("x keeps %d versions", n)
	}
}

// BenchmarkSeqKV measures a write plus a stale read by another caller.
func BenchmarkSeqKV(b *testing.B) {
	s := newSeqKV(newRand(1))
	w := json.RawMessage(`{"type":"write","key":"x","value":4611686018427387904}`)
	r := json.RawMessage(`{"type":"read","key":"x"}`)
	for b.Loop() {
		s.Handle("n0", w)
		s.Handle("n1", r)
	}
}

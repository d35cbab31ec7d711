package services

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0)) }

// call sends body from src and returns the encoded reply.
func call(t *testing.T, s Service, src, body string) string {
	t.Helper()
	b, err := json.Marshal(s.Handle(src, json.RawMessage(body)))
	if err != nil {
		t.Fatalf("encode reply to %s: %v", body, err)
	}
	return string(b)
}

// decode parses a JSON object keeping numbers exact.
func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return m
}

// expect checks that the reply to body equals want as JSON values; when want
// has no "text", the reply's text is not compared.
func expect(t *testing.T, s Service, src, body, want string) {
	t.Helper()
	got := call(t, s, src, body)
	g, w := decode(t, got), decode(t, want)
	if _, ok := w["text"]; !ok {
		delete(g, "text")
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s → %s, want %s", body, got, want)
	}
}

// step is one request of a scripted conversation and its expected reply.
type step struct{ req, want string }

const (
	errMissing = `{"type":"error","code":20}`
	errPrecond = `{"type":"error","code":22}`
	errUnknown = `{"type":"error","code":10}`
	errBad     = `{"type":"error","code":12}`
)

// kvScript exercises every KV op and error; lwwCreate is the reply to a cas
// with create_if_not_exists on a missing key.
func kvScript(lwwCreate string) []step {
	created := `{"type":"read_ok","value":7}`
	if lwwCreate != `{"type":"cas_ok"}` {
		created = errMissing
	}
	return []step{
		{`{"type":"read","msg_id":1,"key":"a"}`, errMissing},
		{`{"type":"cas","key":"a","from":1,"to":2}`, errMissing},
		{`{"type":"cas","key":"a","from":1,"to":7,"create_if_not_exists":true}`, lwwCreate},
		{`{"type":"read","key":"a"}`, created},
		{`{"type":"write","key":"a","value":1}`, `{"type":"write_ok"}`},
		{`{"type":"read","key":"a"}`, `{"type":"read_ok","value":1}`},
		{`{"type":"cas","key":"a","from":1,"to":7,"create_if_not_exists":true}`, `{"type":"cas_ok"}`},
		{`{"type":"cas","key":"a","from":1,"to":2}`, `{"type":"error","code":22,"text":"current value 7 is not 1"}`},
		{`{"type":"read","key":"a"}`, `{"type":"read_ok","value":7}`},
		{`{"type":"cas","key":"a","from":7,"to":{"n":[1,"x"]}}`, `{"type":"cas_ok"}`},
		{`{"type":"cas","key":"a","from":{ "n" : [1,"x"] },"to":null}`, `{"type":"cas_ok"}`},
		{`{"type":"read","key":"a"}`, `{"type":"read_ok","value":null}`},
		{`{"type":"cas","key":"a","from":0,"to":1}`, errPrecond},
		// Keys are JSON values: 1 and "1" differ, objects compare by value.
		{`{"type":"write","key":1,"value":"one"}`, `{"type":"write_ok"}`},
		{`{"type":"read","key":"1"}`, errMissing},
		{`{"type":"read","key":1}`, `{"type":"read_ok","value":"one"}`},
		{`{"type":"write","key":{"x":1,"y":[2]},"value":[true]}`, `{"type":"write_ok"}`},
		{`{"type":"read","key":{"y":[2],"x":1}}`, `{"type":"read_ok","value":[true]}`},
		{`{"type":"write","key":null,"value":"nil"}`, `{"type":"write_ok"}`},
		{`{"type":"read","key":null}`, `{"type":"read_ok","value":"nil"}`},
		// 2^62 and 2^62+1 are one float64: they must stay distinct.
		{`{"type":"write","key":"big","value":4611686018427387904}`, `{"type":"write_ok"}`},
		{`{"type":"read","key":"big"}`, `{"type":"read_ok","value":4611686018427387904}`},
		{`{"type":"cas","key":"big","from":4611686018427387905,"to":0}`, errPrecond},
		{`{"type":"cas","key":"big","from":4611686018427387904,"to":9223372036854775807}`, `{"type":"cas_ok"}`},
		{`{"type":"read","key":"big"}`, `{"type":"read_ok","value":9223372036854775807}`},
		{`{"type":"write","key":"f","value":1.0}`, `{"type":"write_ok"}`},
		{`{"type":"cas","key":"f","from":1,"to":2}`, errPrecond},
		// Unknown and malformed requests.
		{`{"type":"delete","key":"a"}`, errUnknown},
		{`{"type":"ts"}`, errUnknown},
		{`not json`, errBad},
		{`[1,2]`, errBad},
		{`null`, errBad},
		{`{"key":"a"}`, errBad},
		{`{"type":5,"key":"a"}`, errBad},
		{`{"type":"read"}`, errBad},
		{`{"type":"write","key":"a"}`, errBad},
		{`{"type":"cas","key":"a","from":1}`, errBad},
		{`{"type":"cas","key":"a","to":1}`, errBad},
		{`{"type":"cas","key":"a","from":1,"to":2,"create_if_not_exists":"yes"}`, errBad},
		{`{"type":"read","key":"big"}`, `{"type":"read_ok","value":9223372036854775807}`},
	}
}

// TestKVOps runs the script against each KV service with a single caller,
// for which all three behave like one linearizable map (lww-kv with one
// replica), except that lww-kv ignores create_if_not_exists.
func TestKVOps(t *testing.T) {
	tests := []struct {
		name   string
		svc    Service
		create string
	}{
		{"lin-kv", newLinKV(), `{"type":"cas_ok"}`},
		{"seq-kv", newSeqKV(newRand(1)), `{"type":"cas_ok"}`},
		{"lww-kv/1-replica", newLWWKV(1, newRand(1)), errMissing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, st := range kvScript(tc.create) {
				expect(t, tc.svc, "n0", st.req, st.want)
			}
		})
	}
}

func TestLinTSO(t *testing.T) {
	s, err := New("lin-tso", newRand(1))
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []step{
		{`{"type":"ts","msg_id":1}`, `{"type":"ts_ok","ts":0}`},
		{`{"type":"ts","msg_id":2}`, `{"type":"ts_ok","ts":1}`},
		{`{"type":"read","key":"a"}`, errUnknown},
		{`{"msg_id":3}`, errBad},
		{`"ts"`, errBad},
		{`{"type":"ts"}`, `{"type":"ts_ok","ts":2}`},
	} {
		expect(t, s, "n1", st.req, st.want)
	}
}

// TestLinTSOConcurrent: each caller sees strictly increasing timestamps and
// no timestamp is handed out twice.
func TestLinTSOConcurrent(t *testing.T) {
	s, err := New("lin-tso", newRand(1))
	if err != nil {
		t.Fatal(err)
	}
	const callers, calls = 8, 300
	got := make([][]int64, callers)
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for range calls {
				got[c] = append(got[c], s.Handle(fmt.Sprintf("n%d", c), json.RawMessage(`{"type":"ts"}`)).(tsReply).TS)
			}
		})
	}
	wg.Wait()
	seen := map[int64]bool{}
	for c, tss := range got {
		for i, ts := range tss {
			if i > 0 && ts <= tss[i-1] {
				t.Fatalf("caller %d: ts %d after %d", c, ts, tss[i-1])
			}
			if seen[ts] || ts < 0 || ts >= callers*calls {
				t.Fatalf("ts %d duplicated or out of range", ts)
			}
			seen[ts] = true
		}
	}
}

// readInt reads key from src in s: the value, or -1 when missing.
func readInt(t *testing.T, s Service, src, key string) int {
	t.Helper()
	m := decode(t, call(t, s, src, fmt.Sprintf(`{"type":"read","key":%q}`, key)))
	if m["type"] == "error" && m["code"] == json.Number("20") {
		return -1
	}
	n, err := m["value"].(json.Number).Int64()
	if m["type"] != "read_ok" || err != nil {
		t.Fatalf("read %s from %s: %v", key, src, m)
	}
	return int(n)
}

func write(t *testing.T, s Service, src, key string, v int) {
	t.Helper()
	expect(t, s, src, fmt.Sprintf(`{"type":"write","key":%q,"value":%d}`, key, v), `{"type":"write_ok"}`)
}

// TestSeqKVStale: while n0 writes 1..100, n1's reads lag, sometimes by more
// than one write, and never go backwards; reading alone never reaches the
// newest state, and one fresh write brings n1 onto it.
func TestSeqKVStale(t *testing.T) {
	for seed := range uint64(5) {
		s := newSeqKV(newRand(seed))
		last, lagged := -1, 0
		for i := 1; i <= 100; i++ {
			write(t, s, "n0", "x", i)
			got := readInt(t, s, "n1", "x")
			if got < last || got > i {
				t.Fatalf("seed %d: n1 read %d after reading %d, newest %d", seed, got, last, i)
			}
			if got < i-1 {
				lagged++
			}
			last = got
		}
		if lagged == 0 {
			t.Errorf("seed %d: n1's reads never lagged more than one write", seed)
		}
		for range 200 {
			if got := readInt(t, s, "n1", "x"); got < last || got >= 100 {
				t.Fatalf("seed %d: pure reader read %d (previous %d); Maelstrom never serves it the newest state", seed, got, last)
			} else {
				last = got
			}
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

// TestSeqKVCas: a cas is evaluated on a stale state first, so it can fail
// against an old value; a failing cas never changes the newest state; a cas
// that holds on the newest state succeeds.
func TestSeqKVCas(t *testing.T) {
	for seed := range uint64(20) {
		s := newSeqKV(newRand(seed))
		for i := 1; i <= 10; i++ {
			write(t, s, "n0", "x", i)
		}
		// n1 stands at state 0: the cas meets x missing or older than 10.
		m := decode(t, call(t, s, "n1", `{"type":"cas","key":"x","from":10,"to":11}`))
		if m["type"] != "error" || (m["code"] != json.Number("20") && m["code"] != json.Number("22")) {
			t.Fatalf("seed %d: cas from the newest value by a stale caller: %v, want a stale failure", seed, m)
		}
		// from 3 holds at state 3 only: it may succeed there speculatively,
		// then fails on the newest; either way nothing changes.
		for range 20 {
			m := decode(t, call(t, s, "n1", `{"type":"cas","key":"x","from":3,"to":99}`))
			if m["type"] != "error" {
				t.Fatalf("seed %d: cas from an old value: %v", seed, m)
			}
		}
		if got := readInt(t, s, "n0", "x"); got != 10 {
			t.Fatalf("seed %d: failing cas changed x to %d", seed, got)
		}
		expect(t, s, "n0", `{"type":"cas","key":"x","from":10,"to":11}`, `{"type":"cas_ok"}`)
		if got := readInt(t, s, "n0", "x"); got != 11 {
			t.Fatalf("seed %d: after cas x=%d, want 11", seed, got)
		}
	}
}

// TestSeqKVWindow: a caller far behind is served from the 32 kept states,
// and old versions are pruned.
func TestSeqKVWindow(t *testing.T) {
	s := newSeqKV(newRand(3))
	for i := 1; i <= 1000; i++ {
		write(t, s, "n0", "x", i)
	}
	if got := readInt(t, s, "n1", "x"); got < 1000-seqWindow+1 || got >= 1000 {
		t.Fatalf("far-behind caller read %d, want one of the last %d states but not the newest", got, seqWindow)
	}
	if n := len(s.keys["\"x\""]); n > seqWindow+1 {
		t.Fatalf("x keeps %d versions", n)
	}
}

// TestLWWKV: reads are stale and replicas converge once requests keep
// flowing; with equal timestamps the higher replica's write wins.
func TestLWWKV(t *testing.T) {
	svc, err := New("lww-kv", newRand(11))
	if err != nil {
		t.Fatal(err)
	}
	s := svc.(*lwwKV)
	stale := 0
	for i := 1; i <= 100; i++ {
		write(t, s, "n0", "x", i)
		if readInt(t, s, "n1", "x") != i {
			stale++
		}
	}
	if stale == 0 {
		t.Error("lww-kv never served a stale read")
	}
	for range 100 {
		readInt(t, s, "n1", "x")
	}
	first := s.replicas[0].m[`"x"`]
	for i, r := range s.replicas {
		if e := r.m[`"x"`]; e.ts != first.ts || e.origin != first.origin || string(e.value) != string(first.value) {
			t.Fatalf("replica %d holds %+v, replica 0 %+v: not converged", i, e, first)
		}
	}

	a := lwwReplica{m: map[string]lwwEntry{"k": {value: []byte("1"), ts: 5, origin: 0}}}
	b := lwwReplica{clock: 9, m: map[string]lwwEntry{"k": {value: []byte("2"), ts: 5, origin: 1}}}
	a.mergeFrom(&b)
	if v := string(a.m["k"].value); v != "2" || a.clock != 9 {
		t.Fatalf("merge: k=%s clock=%d, want the tie to go to replica 1 and clock 9", v, a.clock)
	}
}

func TestNew(t *testing.T) {
	for _, name := range Names() {
		if _, err := New(name, newRand(1)); err != nil {
			t.Errorf("New(%q): %v", name, err)
		}
	}
	if _, err := New("kv", newRand(1)); err == nil {
		t.Error("New of an unknown service succeeded")
	}
	if _, err := New("seq-kv", nil); err == nil {
		t.Error("New with a nil rng succeeded")
	}
}

// TestConcurrentCallers drives every KV service from several goroutines (run
// with -race); in lin-kv and seq-kv each caller reads back its own writes.
func TestConcurrentCallers(t *testing.T) {
	for _, name := range []string{"lin-kv", "seq-kv", "lww-kv"} {
		t.Run(name, func(t *testing.T) {
			s, err := New(name, newRand(5))
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for c := range 4 {
				src := fmt.Sprintf("n%d", c)
				wg.Go(func() {
					for i := range 100 {
						s.Handle(src, json.RawMessage(fmt.Sprintf(`{"type":"write","key":%q,"value":%d}`, src, i)))
						r := s.Handle(src, json.RawMessage(fmt.Sprintf(`{"type":"read","key":%q}`, src)))
						if rr, ok := r.(readReply); name != "lww-kv" && (!ok || string(rr.Value) != fmt.Sprint(i)) {
							t.Errorf("%s read back %+v after writing %d", src, r, i)
							return
						}
					}
				})
			}
			wg.Wait()
		})
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

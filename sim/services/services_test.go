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

// decode parses a JSON object keeping numbers as their literals.
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

// expect checks that the reply to body equals want as JSON values (numbers
// compared by literal, so 1.0 ≠ 1); when want has no "text", the reply's
// text is not compared.
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

const (
	casOK      = `{"type":"cas_ok"}`
	writeOK    = `{"type":"write_ok"}`
	errMissing = `{"type":"error","code":20,"text":"key does not exist"}`
	errPrecond = `{"type":"error","code":22}`
	errUnknown = `{"type":"error","code":10}`
	errBad     = `{"type":"error","code":12}`
)

// kvStep is one request of a scripted conversation and its expected reply;
// lww, when set, is lww-kv's reply instead.
type kvStep struct{ req, want, lww string }

// kvScript exercises every KV op and error against one caller.
var kvScript = []kvStep{
	{req: `{"type":"read","msg_id":1,"key":"a"}`, want: errMissing},
	{req: `{"type":"cas","key":"a","from":1,"to":2}`, want: errMissing},
	// PersistentKV creates a missing key on cas with the flag; LWWKV never.
	{req: `{"type":"cas","key":"a","from":1,"to":7,"create_if_not_exists":true}`, want: casOK, lww: errMissing},
	{req: `{"type":"read","key":"a"}`, want: `{"type":"read_ok","value":7}`, lww: errMissing},
	{req: `{"type":"write","key":"a","value":1}`, want: writeOK},
	{req: `{"type":"read","key":"a"}`, want: `{"type":"read_ok","value":1}`},
	// On a present key the flag changes nothing.
	{req: `{"type":"cas","key":"a","from":1,"to":7,"create_if_not_exists":true}`, want: casOK},
	{req: `{"type":"cas","key":"a","from":1,"to":2}`, want: `{"type":"error","code":22,"text":"current value 7 is not 1"}`},
	{req: `{"type":"read","key":"a"}`, want: `{"type":"read_ok","value":7}`},
	{req: `{"type":"cas","key":"a","from":7,"to":{"n":[1,"x"]}}`, want: casOK},
	{req: `{"type":"cas","key":"a","from":{ "n" : [1.0,"x"] },"to":0}`, want: `{"type":"error","code":22,"text":"current value {\"n\" [1 \"x\"]} is not {\"n\" [1.0 \"x\"]}"}`},
	{req: `{"type":"cas","key":"a","from":{ "n" : [1,"x"] },"to":null}`, want: casOK},
	{req: `{"type":"read","key":"a"}`, want: `{"type":"read_ok","value":null}`},
	{req: `{"type":"cas","key":"a","from":0,"to":1}`, want: `{"type":"error","code":22,"text":"current value nil is not 0"}`},
	// Keys are JSON values: 1 and "1" differ, objects compare by value.
	{req: `{"type":"write","key":1,"value":"one"}`, want: writeOK},
	{req: `{"type":"read","key":"1"}`, want: errMissing},
	{req: `{"type":"read","key":1}`, want: `{"type":"read_ok","value":"one"}`},
	{req: `{"type":"read","key":1.0}`, want: errMissing},
	{req: `{"type":"write","key":{"x":1,"y":[2]},"value":[true]}`, want: writeOK},
	{req: `{"type":"read","key":{"y":[2],"x":1}}`, want: `{"type":"read_ok","value":[true]}`},
	// Integers stay exact beyond 2^53 (2^62 and 2^62+1 are one float64)
	// and beyond 64 bits.
	{req: `{"type":"write","key":"big","value":4611686018427387904}`, want: writeOK},
	{req: `{"type":"read","key":"big"}`, want: `{"type":"read_ok","value":4611686018427387904}`},
	{req: `{"type":"cas","key":"big","from":4611686018427387905,"to":0}`, want: errPrecond},
	{req: `{"type":"cas","key":"big","from":4611686018427387904,"to":123456789012345678901234567890}`, want: casOK},
	{req: `{"type":"read","key":"big"}`, want: `{"type":"read_ok","value":123456789012345678901234567890}`},
	// Doubles come back in Java's notation and compare by value, never
	// equal to an integer.
	{req: `{"type":"write","key":"f","value":1e2}`, want: writeOK},
	{req: `{"type":"read","key":"f"}`, want: `{"type":"read_ok","value":100.0}`},
	{req: `{"type":"cas","key":"f","from":100,"to":2}`, want: `{"type":"error","code":22,"text":"current value 100.0 is not 100"}`},
	{req: `{"type":"cas","key":"f","from":100.000,"to":2.50}`, want: casOK},
	{req: `{"type":"read","key":"f"}`, want: `{"type":"read_ok","value":2.5}`},
	// Strings: pr-str quotes both values, str (lww-kv's from) does not.
	{req: `{"type":"write","key":"s","value":"b"}`, want: writeOK},
	{req: `{"type":"cas","key":"s","from":"a","to":"c"}`,
		want: `{"type":"error","code":22,"text":"current value \"b\" is not \"a\""}`,
		lww:  `{"type":"error","code":22,"text":"current value \"b\" is not a"}`},
	{req: `{"type":"cas","key":"s","to":"c"}`,
		want: `{"type":"error","code":22,"text":"current value \"b\" is not nil"}`,
		lww:  `{"type":"error","code":22,"text":"current value \"b\" is not "}`},
	// Absent fields are null, as in Maelstrom.
	{req: `{"type":"read"}`, want: errMissing},
	{req: `{"type":"write","value":"nil"}`, want: writeOK},
	{req: `{"type":"read","key":null}`, want: `{"type":"read_ok","value":"nil"}`},
	{req: `{"type":"write","key":"n"}`, want: writeOK},
	{req: `{"type":"read","key":"n"}`, want: `{"type":"read_ok","value":null}`},
	{req: `{"type":"cas","key":"n","to":3}`, want: casOK},
	{req: `{"type":"cas","key":"n","from":3}`, want: casOK},
	{req: `{"type":"read","key":"n"}`, want: `{"type":"read_ok","value":null}`},
	// Requests Maelstrom would not answer at all (see the package comment).
	{req: `{"type":"delete","key":"a"}`, want: errUnknown},
	{req: `{"type":"ts"}`, want: errUnknown},
	{req: `not json`, want: errBad},
	{req: `[1,2]`, want: errBad},
	{req: `null`, want: errBad},
	{req: `{"key":"a"}`, want: errBad},
	{req: `{"type":5,"key":"a"}`, want: errBad},
	{req: `{"type":null,"key":"a"}`, want: errBad},
	{req: `{"type":"read","key":"big"}`, want: `{"type":"read_ok","value":123456789012345678901234567890}`},
}

// TestKVOps runs the script against each KV service with a single caller,
// for which seq-kv behaves like lin-kv, and against an lww-kv with one
// replica, which differs only in create_if_not_exists and error texts.
func TestKVOps(t *testing.T) {
	tests := []struct {
		name string
		svc  Service
		lww  bool
	}{
		{"lin-kv", newLinKV(), false},
		{"seq-kv", newSeqKV(newRand(1)), false},
		{"lww-kv/1-replica", newLWWKV(1, newRand(1)), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, st := range kvScript {
				want := st.want
				if tc.lww && st.lww != "" {
					want = st.lww
				}
				expect(t, tc.svc, "n0", st.req, want)
			}
		})
	}
}

// TestCreateIfNotExistsTruthiness: Maelstrom tests the flag for Clojure
// truth, so anything but an absent field, null and false creates the key.
func TestCreateIfNotExistsTruthiness(t *testing.T) {
	tests := []struct {
		flag string // JSON, "" for absent
		want string
	}{
		{"", errMissing},
		{"null", errMissing},
		{"false", errMissing},
		{"true", casOK},
		{"0", casOK},
		{`""`, casOK},
		{`"no"`, casOK},
		{"[]", casOK},
		{"{}", casOK},
	}
	for _, tc := range tests {
		t.Run("flag="+tc.flag, func(t *testing.T) {
			for _, name := range []string{"lin-kv", "seq-kv", "lww-kv"} {
				s, err := New(name, newRand(1))
				if err != nil {
					t.Fatal(err)
				}
				req := `{"type":"cas","key":"k","from":1,"to":2}`
				if tc.flag != "" {
					req = `{"type":"cas","key":"k","from":1,"to":2,"create_if_not_exists":` + tc.flag + `}`
				}
				want := tc.want
				if name == "lww-kv" {
					want = errMissing // LWWKV's cas never creates
				}
				expect(t, s, "n0", req, want)
			}
		})
	}
}

func TestLinTSO(t *testing.T) {
	s, err := New("lin-tso", newRand(1))
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []struct{ req, want string }{
		{`{"type":"ts","msg_id":1}`, `{"type":"ts_ok","ts":0}`},
		{`{"type":"ts","msg_id":2,"key":"ignored"}`, `{"type":"ts_ok","ts":1}`},
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

// TestDeterministic: two instances with the same seed give the same answers
// to the same requests.
func TestDeterministic(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			run := func() []string {
				s, err := New(name, newRand(42))
				if err != nil {
					t.Fatal(err)
				}
				ops := newRand(7)
				var out []string
				for i := range 500 {
					src := fmt.Sprintf("n%d", ops.IntN(3))
					key := fmt.Sprintf("k%d", ops.IntN(3))
					var req string
					switch ops.IntN(4) {
					case 0:
						req = fmt.Sprintf(`{"type":"write","key":%q,"value":%d}`, key, i)
					case 1:
						req = fmt.Sprintf(`{"type":"cas","key":%q,"from":%d,"to":%d}`, key, i-ops.IntN(20), i)
					case 2:
						req = `{"type":"ts"}`
					default:
						req = fmt.Sprintf(`{"type":"read","key":%q}`, key)
					}
					out = append(out, call(t, s, src, req))
				}
				return out
			}
			if a, b := run(), run(); !reflect.DeepEqual(a, b) {
				t.Fatal("same seed, different answers")
			}
		})
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

// TestEqualValueRepresentation: values that are = but written differently
// (-0.0 and 0.0, maps in another key order). lin-kv's write replaces the
// stored value whatever it was; seq-kv finds that the write changes no
// state, so it keeps the old representation; both treat them as one key
// and as matching a cas's from.
func TestEqualValueRepresentation(t *testing.T) {
	tests := []struct {
		name, svc, afterEqualWrite string
	}{
		{"lin-kv replaces", "lin-kv", `{"type":"read_ok","value":{"b":-0.0,"a":1}}`},
		{"seq-kv keeps", "seq-kv", `{"type":"read_ok","value":{"a":1,"b":0.0}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(tc.svc, newRand(1))
			if err != nil {
				t.Fatal(err)
			}
			expect(t, s, "n0", `{"type":"write","key":-0.0,"value":{"a":1,"b":0.0}}`, writeOK)
			expect(t, s, "n0", `{"type":"write","key":0.0,"value":{"b":-0.0,"a":1}}`, writeOK)
			expect(t, s, "n0", `{"type":"read","key":0.00}`, tc.afterEqualWrite)
			expect(t, s, "n0", `{"type":"cas","key":0.0,"from":{"a":1.0,"b":0.0},"to":1}`, `{"type":"error","code":22}`)
			expect(t, s, "n0", `{"type":"cas","key":0.0,"from":{"a":1,"b":0.0},"to":{"x":[]}}`, casOK)
			expect(t, s, "n0", `{"type":"read","key":-0.0}`, `{"type":"read_ok","value":{"x":[]}}`)
		})
	}
}

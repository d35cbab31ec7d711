package spec

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/gen"
)

func mustLinKV(t *testing.T, cfg sim.Config) *linKVSpec {
	t.Helper()
	s, err := newLinKVSpec(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s.(*linKVSpec)
}

func TestLinKVRefusesWhatMaelstromCannotRun(t *testing.T) {
	for _, tt := range []struct {
		nodes, concurrency int
		ok                 bool
	}{
		{3, 0, false},   // Maelstrom's default 1n: fewer threads than one key needs
		{3, 3, false},   // 1n
		{3, 9, false},   // 3n: not a multiple of 2n
		{3, 6, true},    // 2n
		{3, 12, true},   // 4n, the tutorial's
		{5, 50, true},   // 10n
		{10, 20, true},  // 20 threads a key: the process limit exactly
		{11, 22, false}, // 22 threads a key: past the process limit at once
	} {
		_, err := newLinKVSpec(sim.Config{NodeCount: tt.nodes, Concurrency: tt.concurrency})
		if (err == nil) != tt.ok {
			t.Errorf("%d nodes, concurrency %d: err %v, want ok %v", tt.nodes, tt.concurrency, err, tt.ok)
		}
	}
}

// linKVDrive runs the spec's generator on concurrency client threads, one
// operation at a time, each completing at once as outcome says (an Info
// completion crashes the process, as in the interpreter), and returns the
// invocations.
func linKVDrive(t *testing.T, s *linKVSpec, concurrency, n int, outcome gen.Type) []gen.Op {
	t.Helper()
	test := &gen.Test{Rand: rand.New(rand.NewPCG(5, 7)), Concurrency: concurrency}
	g, final := s.Generators(test)
	if final != nil {
		t.Fatal("lin-kv has a final generator")
	}
	ctx := gen.NewContext(concurrency)
	var ops []gen.Op
	for len(ops) < n {
		o, g2, ok := gen.Next(g, test, ctx)
		if !ok || o.Type != gen.Invoke {
			t.Fatalf("after %d ops: ok %v, op %+v", len(ops), ok, o)
		}
		th := ctx.Thread(o.Process)
		ctx = ctx.Busy(o.Time, th)
		g = gen.Update(g2, test, ctx, o)
		ops = append(ops, o)
		done := o
		done.Type = outcome
		ctx = ctx.Free(o.Time, th)
		g = gen.Update(g, test, ctx, done)
		if outcome == gen.Info {
			ctx = ctx.NextProcess(th)
		}
	}
	return ops
}

// TestLinKVGeneratorShape: with no crash no key is retired, so group i of
// 2n threads stays on key i; gen/reserve counts its n readers from thread 0
// of the run, so only the first group has readers, and every other thread
// writes and cas-es one to two, values in [0, 5).
func TestLinKVGeneratorShape(t *testing.T) {
	const nodes, concurrency = 3, 12
	s := mustLinKV(t, sim.Config{NodeCount: nodes, Concurrency: concurrency})
	ops := linKVDrive(t, s, concurrency, 6000, gen.OK)
	var writes, cas int
	perThread := map[int]map[string]int{}
	vals := map[int64]bool{}
	for _, o := range ops {
		v, ok := o.Value.(linKV)
		if !ok {
			t.Fatalf("value %#v is not a linKV", o.Value)
		}
		th := o.Process % concurrency
		if want := int64(th / (2 * nodes)); v.Key != want {
			t.Fatalf("thread %d worked on key %d, want %d (no key is retired without crashes)", th, v.Key, want)
		}
		if perThread[th] == nil {
			perThread[th] = map[string]int{}
		}
		perThread[th][o.F]++
		switch o.F {
		case "read":
			if th >= nodes {
				t.Fatalf("thread %d read; only threads 0..%d do", th, nodes-1)
			}
		case "write":
			writes++
			vals[v.Value] = true
		case "cas":
			cas++
			vals[v.From], vals[v.To] = true, true
		default:
			t.Fatalf("unexpected :f %q", o.F)
		}
		if o.F != "read" && th < nodes {
			t.Fatalf("thread %d, a reader, did a %s", th, o.F)
		}
	}
	if len(perThread) != concurrency {
		t.Fatalf("threads used: %v, want all %d", perThread, concurrency)
	}
	if frac := float64(writes) / float64(writes+cas); frac < 0.29 || frac > 0.38 {
		t.Errorf("writes are %.3f of writes and cas (%d, %d), want 1/3", frac, writes, cas)
	}
	if want := map[int64]bool{0: true, 1: true, 2: true, 3: true, 4: true}; len(vals) != len(want) || !vals[0] || !vals[4] {
		t.Errorf("values drawn %v, want exactly 0..4", vals)
	}
}

// TestLinKVKeyRetirement: process-limit counts the processes of the
// group's threads whenever it emits; with 2n threads and every operation
// crashing its process, the k-th operation of a key sees 2n + k - 1 of
// them, so a key gets 20 - 2n + 1 operations, and the next key goes to the
// group that retired one.
func TestLinKVKeyRetirement(t *testing.T) {
	for _, nodes := range []int{1, 3, 5} {
		group := 2 * nodes
		concurrency := 2 * group
		s := mustLinKV(t, sim.Config{NodeCount: nodes, Concurrency: concurrency})
		ops := linKVDrive(t, s, concurrency, 2000, gen.Info)
		perKey := map[int64][]gen.Op{}
		for _, o := range ops {
			k := o.Value.(linKV).Key
			perKey[k] = append(perKey[k], o)
		}
		last := int64(len(perKey)) - 1
		current := map[int]int64{} // group → its key at the end
		for k := range last + 1 {
			kops, ok := perKey[k]
			if !ok {
				t.Fatalf("%d nodes: keys are not 0..%d: no key %d", nodes, last, k)
			}
			g := (kops[0].Process % concurrency) / group
			current[g] = k
			for _, o := range kops {
				if (o.Process%concurrency)/group != g {
					t.Fatalf("%d nodes: key %d ran on two groups", nodes, k)
				}
			}
		}
		for k := range last + 1 {
			kops := perKey[k]
			if k == current[(kops[0].Process%concurrency)/group] {
				continue // unfinished
			}
			procs := map[int]bool{}
			for _, o := range kops {
				procs[o.Process] = true
			}
			if want := linKVProcessLimit - group + 1; len(kops) != want || len(procs) != want {
				t.Fatalf("%d nodes: key %d got %d ops from %d processes, want %d", nodes, k, len(kops), len(procs), want)
			}
		}
		if last < 10 {
			t.Fatalf("%d nodes: only keys 0..%d in %d crashing ops", nodes, last, len(ops))
		}
	}
}

// linKVReplies returns a connection answering each request with the next
// of replies ("timeout" for ErrTimeout), recording requests and timeouts.
func linKVReplies(t *testing.T, reqs *[]string, timeouts *[]time.Duration, replies ...string) *sim.Conn {
	return sim.NewConn("c1", func(dest string, body []byte, timeout time.Duration) (json.RawMessage, error) {
		*reqs = append(*reqs, string(body))
		*timeouts = append(*timeouts, timeout)
		if len(replies) == 0 {
			t.Fatalf("unexpected request %s", body)
		}
		r := replies[0]
		replies = replies[1:]
		if r == "timeout" {
			return nil, sim.ErrTimeout
		}
		return json.RawMessage(r), nil
	})
}

func TestLinKVClient(t *testing.T) {
	read := gen.Op{Type: gen.Invoke, F: "read", Value: linKV{Key: 3}}
	write := gen.Op{Type: gen.Invoke, F: "write", Value: linKV{Key: 3, Value: 4}}
	cas := gen.Op{Type: gen.Invoke, F: "cas", Value: linKV{Key: 3, From: 1, To: 2}}
	errBody := func(code int) string { return `{"type":"error","code":` + strconv.Itoa(code) + `,"text":"no"}` }
	tests := []struct {
		name  string
		op    gen.Op
		reply string
		req   string
		want  gen.Type // Invoke: the client crashes
		out   any
		code  int
	}{
		{"read ok", read, `{"type":"read_ok","value":3,"in_reply_to":1}`, `{"key":3,"type":"read"}`, gen.OK, linKV{Key: 3, Read: "3"}, 0},
		{"read of null", read, `{"type":"read_ok","value":null}`, "", gen.OK, linKV{Key: 3, Read: "null"}, 0},
		{"read of 3.0 stays 3.0", read, `{"type":"read_ok","value":3.0}`, "", gen.OK, linKV{Key: 3, Read: "3.0"}, 0},
		{"read of an object", read, `{"type":"read_ok","value":{"b":1, "a":[2]}}`, "", gen.OK, linKV{Key: 3, Read: `{"a":[2],"b":1}`}, 0},
		{"read times out: fails (idempotent)", read, "timeout", "", gen.Fail, read.Value, 0},
		{"read error 20 fails", read, errBody(20), "", gen.Fail, read.Value, 20},
		{"read error 13 (indefinite) still fails", read, errBody(13), "", gen.Fail, read.Value, 13},
		{"read_ok without value crashes", read, `{"type":"read_ok"}`, "", gen.Invoke, nil, 0},
		{"read_ok with an extra field crashes", read, `{"type":"read_ok","value":1,"extra":2}`, "", gen.Invoke, nil, 0},
		{"write_ok to a read crashes", read, `{"type":"write_ok"}`, "", gen.Invoke, nil, 0},
		{"write ok", write, `{"type":"write_ok","msg_id":9,"in_reply_to":1}`, `{"key":3,"type":"write","value":4}`, gen.OK, write.Value, 0},
		{"write times out: indeterminate", write, "timeout", "", gen.Info, write.Value, 0},
		{"write error 11 fails", write, errBody(11), "", gen.Fail, write.Value, 11},
		{"write error 13 is indeterminate", write, errBody(13), "", gen.Info, write.Value, 13},
		{"write_ok with a value crashes", write, `{"type":"write_ok","value":4}`, "", gen.Invoke, nil, 0},
		{"cas ok", cas, `{"type":"cas_ok"}`, `{"from":1,"key":3,"to":2,"type":"cas"}`, gen.OK, cas.Value, 0},
		{"cas error 22 fails", cas, errBody(22), "", gen.Fail, cas.Value, 22},
		{"cas error 20 fails", cas, errBody(20), "", gen.Fail, cas.Value, 20},
		{"cas times out: indeterminate", cas, "timeout", "", gen.Info, cas.Value, 0},
		{"cas error 14 (abort) fails", cas, errBody(14), "", gen.Fail, cas.Value, 14},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustLinKV(t, sim.Config{NodeCount: 1, Concurrency: 2})
			var reqs []string
			var timeouts []time.Duration
			done, err := s.Invoke(linKVReplies(t, &reqs, &timeouts, tt.reply), "n0", tt.op)
			if tt.want == gen.Invoke {
				if err == nil {
					t.Fatalf("client survived a malformed reply: %+v", done)
				}
				return
			}
			if err != nil {
				t.Fatalf("client crashed: %v", err)
			}
			if done.Type != tt.want || done.Value != tt.out || done.Code != tt.code {
				t.Fatalf("got %v %#v code %d (%s), want %v %#v code %d", done.Type, done.Value, done.Code, done.Error, tt.want, tt.out, tt.code)
			}
			if tt.req != "" && reqs[0] != tt.req {
				t.Fatalf("request %s, want %s", reqs[0], tt.req)
			}
			if timeouts[0] != time.Second {
				t.Fatalf("timeout %v, want 1s at latency 0", timeouts[0])
			}
		})
	}
	t.Run("timeout is ten times the mean latency", func(t *testing.T) {
		s := mustLinKV(t, sim.Config{NodeCount: 1, Concurrency: 2, Latency: 150 * time.Millisecond})
		var reqs []string
		var timeouts []time.Duration
		if _, err := s.Invoke(linKVReplies(t, &reqs, &timeouts, `{"type":"write_ok"}`), "n0", write); err != nil || timeouts[0] != 1500*time.Millisecond {
			t.Fatalf("err %v, timeout %v, want 1.5s", err, timeouts)
		}
	})
	if !mustLinKV(t, sim.Config{NodeCount: 1, Concurrency: 2}).Reusable() {
		t.Fatal("Maelstrom's lin-kv client is reusable")
	}
}

// Hand-made histories for the checker. All on key 0 unless said.
func kvW(p int, v int64, st sim.Status, from, to int) sim.Op {
	return op(p, "write", linKV{Value: v}, linKV{Value: v}, st, from, to)
}

func kvCAS(p int, a, b int64, st sim.Status, from, to int) sim.Op {
	return op(p, "cas", linKV{From: a, To: b}, linKV{From: a, To: b}, st, from, to)
}

func kvR(p int, read string, st sim.Status, from, to int) sim.Op {
	out := linKV{Read: read}
	if st != sim.OK {
		out = linKV{}
	}
	return op(p, "read", linKV{}, out, st, from, to)
}

func onKey(k int64, o sim.Op) sim.Op {
	v := o.Value.(linKV)
	out := o.Out.(linKV)
	v.Key, out.Key = k, k
	o.Value, o.Out = v, out
	return o
}

func TestLinKVCheck(t *testing.T) {
	ok, fail, info := sim.OK, sim.Fail, sim.Info
	tests := []struct {
		name   string
		h      sim.History
		want   []string // anomaly kinds; none: valid
		strict []string
		// ops are the Index of each operation the anomalies list,
		// Maelstrom's then the strict ones: for nonlinearizable, the
		// first few that no linearization reaches.
		ops []int
	}{
		{"linearizable, with overlaps", history(
			kvW(0, 1, ok, 0, 10), kvR(1, "1", ok, 5, 15), kvR(2, "null", ok, 1, 3),
			kvCAS(0, 1, 2, ok, 20, 30), kvR(1, "2", ok, 40, 50),
			kvW(0, 3, ok, 60, 80), kvR(1, "2", ok, 65, 70), kvR(2, "3", ok, 75, 90), kvR(1, "3", ok, 85, 95),
		), nil, nil, nil},
		{"stale read", history(
			kvW(0, 1, ok, 0, 10), kvW(0, 2, ok, 20, 30), kvR(1, "2", ok, 40, 50), kvR(2, "1", ok, 60, 70),
		), []string{"nonlinearizable"}, nil, []int{3}},
		{"lost write", history(
			kvW(0, 1, ok, 0, 10), kvW(1, 2, ok, 20, 30), kvR(2, "1", ok, 40, 50),
		), []string{"nonlinearizable"}, nil, []int{2}},
		{"cas applied twice", history(
			kvW(0, 1, ok, 0, 10), kvCAS(1, 1, 2, ok, 20, 30), kvW(0, 1, ok, 40, 50), kvR(2, "2", ok, 60, 70),
		), []string{"nonlinearizable"}, nil, []int{3}},
		{"cas against the wrong value", history(
			kvW(0, 1, ok, 0, 10), kvCAS(1, 3, 2, ok, 20, 30),
		), []string{"nonlinearizable"}, nil, []int{1}},
		{"read of a value never written", history(
			kvW(0, 1, ok, 0, 10), kvR(2, "4", ok, 5, 15),
		), []string{"nonlinearizable"}, nil, []int{1}},
		{"read of 1.0 is not 1", history(
			kvW(0, 1, ok, 0, 10), kvR(2, "1.0", ok, 20, 30),
		), []string{"nonlinearizable"}, nil, []int{1}},
		{"indeterminate cas taken", history(
			kvW(0, 1, ok, 0, 10), kvCAS(1, 1, 2, info, 20, 30), kvR(2, "2", ok, 40, 50),
		), nil, nil, nil},
		{"indeterminate write taken long after it timed out", history(
			kvW(0, 1, ok, 0, 10), kvW(1, 3, info, 20, 30), kvR(2, "1", ok, 40, 50), kvR(2, "3", ok, 90, 95),
		), nil, nil, nil},
		{"indeterminate write not taken", history(
			kvW(0, 1, ok, 0, 10), kvW(1, 3, info, 20, 30), kvR(2, "1", ok, 40, 50), kvR(2, "1", ok, 60, 70),
		), nil, nil, nil},
		{"indeterminate cas that cannot match changes nothing", history(
			kvW(0, 1, ok, 0, 10), kvCAS(1, 4, 2, info, 20, 30), kvR(2, "1", ok, 40, 50),
		), nil, nil, nil},
		{"indeterminate cas that cannot match cannot be read", history(
			kvW(0, 1, ok, 0, 10), kvCAS(1, 4, 2, info, 20, 30), kvR(2, "2", ok, 40, 50),
		), []string{"nonlinearizable"}, nil, []int{2}},
		{"an indeterminate write takes effect only after it began", history(
			kvW(0, 1, ok, 0, 10), kvR(2, "3", ok, 20, 30), kvW(1, 3, info, 40, 50),
		), []string{"nonlinearizable"}, nil, []int{1, 2}},
		{"a failed cas did not happen", history(
			kvW(0, 1, ok, 0, 10), kvCAS(1, 1, 2, fail, 20, 30), kvR(2, "2", ok, 40, 50),
		), []string{"nonlinearizable"}, nil, []int{2}},
		{"a failed write did not happen", history(
			kvW(0, 1, ok, 0, 10), kvW(1, 2, fail, 20, 30), kvR(2, "2", ok, 40, 50),
		), []string{"nonlinearizable"}, nil, []int{2}},
		{"failed and indeterminate reads say nothing", history(
			kvW(0, 1, ok, 0, 10), kvR(1, "", fail, 20, 30), kvR(2, "", info, 40, 50),
		), nil, nil, nil},
		{"a null read matches anything, as in Knossos; strictly, not after a write", history(
			kvR(1, "null", ok, 0, 5), kvW(0, 1, ok, 10, 20), kvR(1, "null", ok, 15, 25), kvR(2, "null", ok, 30, 40),
		), nil, []string{"null-read"}, []int{3}},
		{"keys are independent", history(
			kvW(0, 1, ok, 0, 10), kvR(1, "1", ok, 20, 30),
			onKey(1, kvW(2, 1, ok, 0, 10)), onKey(1, kvR(3, "1", ok, 20, 30)), onKey(1, kvR(3, "null", ok, 40, 50)),
			onKey(2, kvW(4, 1, ok, 0, 10)), onKey(2, kvR(5, "2", ok, 20, 30)),
		), []string{"nonlinearizable"}, []string{"null-read"}, []int{5, 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustLinKV(t, sim.Config{NodeCount: 1, Concurrency: 2, LogDir: t.TempDir()})
			r := sim.Check(s.Checker(), tt.h)
			wantKinds(t, r, tt.want...)
			if got := r.StrictKinds(); !slices.Equal(got, tt.strict) {
				t.Fatalf("strict kinds %v, want %v:\n%s", got, tt.strict, dump(r))
			}
			for _, a := range r.Anomalies {
				path := a.Detail[strings.LastIndex(a.Detail, " ")+1:]
				if filepath.Dir(path) != s.dir {
					t.Fatalf("visualisation not in the log directory %s: %s", s.dir, a.Detail)
				}
				if b, err := os.ReadFile(path); err != nil || !strings.Contains(string(b), "<html") {
					t.Fatalf("visualisation %s: %v, %.100s", path, err, b)
				}
			}
			var ops []int
			for _, a := range append(r.Anomalies, r.Strict...) {
				for _, o := range a.Ops {
					ops = append(ops, o.Index)
				}
			}
			if !slices.Equal(ops, tt.ops) {
				t.Fatalf("anomalies list ops %v, want %v:\n%s", ops, tt.ops, dump(r))
			}
			t.Logf("%s", dump(r))
		})
	}
}

func TestLinKVCheckNamesKeyAndOps(t *testing.T) {
	s := mustLinKV(t, sim.Config{NodeCount: 1, Concurrency: 2, LogDir: t.TempDir()})
	r := sim.Check(s.Checker(), history(
		kvW(0, 1, sim.OK, 0, 10), kvR(1, "1", sim.OK, 20, 30),
		onKey(7, kvW(2, 1, sim.OK, 0, 10)), onKey(7, kvR(3, "2", sim.OK, 20, 30)),
	))
	wantKinds(t, r, "nonlinearizable")
	d := r.Anomalies[0].Detail
	for _, want := range []string{"key 7:", "read", "[7 2]", filepath.Join(s.dir, "lin-kv-key-7.html")} {
		if !strings.Contains(d, want) {
			t.Fatalf("detail %q lacks %q", d, want)
		}
	}
	if got := r.Stats["nonlinearizable-keys"]; !slices.Equal(got.([]int64), []int64{7}) {
		t.Fatalf("nonlinearizable-keys %v", got)
	}
}

// Without a log directory the visualisation goes to a fresh file in the
// system's temporary directory, a new one each run.
func TestLinKVVisualisationInTempDir(t *testing.T) {
	s := mustLinKV(t, sim.Config{NodeCount: 1, Concurrency: 2})
	h := history(kvW(0, 1, sim.OK, 0, 10), kvR(1, "2", sim.OK, 20, 30))
	var paths []string
	for range 2 {
		r := sim.Check(s.Checker(), h)
		wantKinds(t, r, "nonlinearizable")
		d := r.Anomalies[0].Detail
		path := d[strings.LastIndex(d, " ")+1:]
		t.Cleanup(func() { os.Remove(path) })
		if filepath.Dir(path) != filepath.Clean(os.TempDir()) {
			t.Fatalf("visualisation %s not in %s", path, os.TempDir())
		}
		if _, err := os.Stat(path); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	if paths[0] == paths[1] {
		t.Fatalf("two runs wrote the same file %s", paths[0])
	}
}

// A key whose search runs out of time makes the run unknown, not valid:
// 24 overlapping writes and a read of a value none wrote leave porcupine
// every order of the writes to try.
func TestLinKVCheckTimeoutIsUnknown(t *testing.T) {
	s := mustLinKV(t, sim.Config{NodeCount: 1, Concurrency: 2})
	s.keyTimeout = 20 * time.Millisecond
	var ops []sim.Op
	for i := range 24 {
		ops = append(ops, kvW(i, int64(i%5), sim.OK, i, 100+i))
	}
	ops = append(ops, kvR(99, "7", sim.OK, 30, 200), onKey(1, kvW(0, 1, sim.OK, 0, 10)))
	r := sim.Check(s.Checker(), history(ops...))
	if r.Valid || !r.Unknown || len(r.Anomalies) > 0 {
		t.Fatalf("valid %v unknown %v, want unknown:\n%s", r.Valid, r.Unknown, dump(r))
	}
	if got := r.Stats["unknown-keys"]; !slices.Equal(got.([]int64), []int64{0}) {
		t.Fatalf("unknown-keys %v, want [0]", got)
	}
}

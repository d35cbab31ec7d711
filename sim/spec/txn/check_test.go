package txn

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/glomers/glomers/sim"
)

// parseShort reads the short form of a completed txn used by these tests:
// "r1=2 w1=3 r2=nil" (key 1 read as 2, key 1 set to 3, key 2 read as null).
func parseShort(t testing.TB, s string) []mop {
	t.Helper()
	var mops []mop
	for _, f := range strings.Fields(s) {
		k, v, ok := strings.Cut(f[1:], "=")
		key, err := strconv.ParseInt(k, 10, 64)
		if !ok || err != nil || (f[0] != 'r' && f[0] != 'w') {
			t.Fatalf("bad micro-op %q", f)
		}
		m := mop{write: f[0] == 'w', key: key, null: v == "nil"}
		if !m.null {
			if m.val, err = strconv.ParseInt(v, 10, 64); err != nil {
				t.Fatalf("bad micro-op %q", f)
			}
		}
		mops = append(mops, m)
	}
	return mops
}

// mustJSON encodes v or fails the test.
func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// txnOp builds the history entry of a txn that ended with status on node:
// the request has the reads nulled, an ok reply carries done, a failed one
// an error body, an indeterminate one nothing.
func txnOp(t testing.TB, status sim.Status, node string, done []mop) sim.Op {
	t.Helper()
	req := slices.Clone(done)
	for i := range req {
		if !req[i].write {
			req[i].null, req[i].val = true, 0
		}
	}
	op := sim.Op{Node: node, Type: "txn", Status: status, Req: mustJSON(t, request{Type: "txn", Txn: req})}
	switch status {
	case sim.OK:
		op.Resp = mustJSON(t, map[string]any{"type": "txn_ok", "txn": done})
	case sim.Fail:
		op.ErrCode = 30
		op.Resp = []byte(`{"type":"error","code":30,"text":"txn conflict"}`)
	}
	return op
}

// hist builds a history from lines "status node txn", where status is ok,
// fail, info or final (an ok final read).
func hist(t testing.TB, lines ...string) sim.History {
	t.Helper()
	var h sim.History
	for i, l := range lines {
		status, rest, _ := strings.Cut(l, " ")
		node, short, _ := strings.Cut(rest, " ")
		var op sim.Op
		switch status {
		case "ok", "final":
			op = txnOp(t, sim.OK, node, parseShort(t, short))
			op.Final = status == "final"
		case "fail":
			op = txnOp(t, sim.Fail, node, parseShort(t, short))
		case "info":
			op = txnOp(t, sim.Info, node, parseShort(t, short))
		default:
			t.Fatalf("bad status in %q", l)
		}
		op.Process = i
		op.Invoke = time.Duration(i) * time.Millisecond
		op.Complete = op.Invoke + time.Millisecond
		h = append(h, op)
	}
	return h
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		h    []string
		// Anomaly kinds expected under read-uncommitted and read-committed.
		ru, rc []string
	}{
		{
			name: "clean",
			h: []string{
				"ok n0 w1=1 w2=1",
				"ok n1 r1=1 w1=2",
				"ok n0 r1=2 r2=1 r3=nil",
				"info n1 w3=1",
				"fail n0 w3=2",
				"ok n1 r3=1 w3=3",
				"final n0 r1=2 r2=1 r3=3",
				"final n1 r1=2 r2=1 r3=3",
			},
		},
		{
			name: "G0 through writes-follow-reads",
			h: []string{
				"ok n0 r1=nil w1=1 r2=2 w2=1",
				"ok n1 r1=1 w1=2 w2=2",
			},
			ru: []string{"G0"},
			rc: []string{"G0", "G1c"},
		},
		{
			name: "G0 through final reads",
			h: []string{
				"ok n0 w1=1 w2=1",
				"ok n1 w1=2 w2=2",
				"final n0 r1=2 r2=1",
				"final n1 r1=2 r2=1",
			},
			ru: []string{"G0"},
			rc: []string{"G0"},
		},
		{
			name: "G1a",
			h: []string{
				"fail n0 w1=1",
				"ok n1 r1=1",
			},
			rc: []string{"G1a"},
		},
		{
			name: "indeterminate writer is no G1a",
			h: []string{
				"info n0 w1=1",
				"ok n1 r1=1",
			},
		},
		{
			name: "G1b",
			h: []string{
				"ok n0 w1=1 w1=2",
				"ok n1 r1=1",
			},
			rc: []string{"G1b"},
		},
		{
			name: "own intermediate write is no G1b",
			h: []string{
				"ok n0 w1=1 r1=1 w1=2",
			},
		},
		{
			name: "G1c",
			h: []string{
				"ok n0 w1=1 r2=1",
				"ok n1 w2=1 r1=1",
			},
			rc: []string{"G1c"},
		},
		{
			name: "G1c through an indeterminate txn",
			h: []string{
				"info n0 w1=1 w2=1",
				"ok n1 r1=1 w2=2",
				"final n0 r1=1 r2=1",
			},
			rc: []string{"G1c"},
		},
		{
			name: "future read",
			h: []string{
				"ok n0 r1=1 w1=1",
			},
			rc: []string{"G1c"},
		},
		{
			name: "divergence",
			h: []string{
				"ok n0 w1=1",
				"ok n1 w1=2",
				"final n0 r1=1",
				"final n1 r1=2",
			},
			ru: []string{"divergence"},
			rc: []string{"divergence"},
		},
		{
			name: "garbage read",
			h: []string{
				"ok n0 r1=7",
			},
			ru: []string{"garbage-read"},
			rc: []string{"garbage-read"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, m := range []model{readUncommitted, readCommitted} {
				want := tt.ru
				if m == readCommitted {
					want = tt.rc
				}
				r := check(m, hist(t, tt.h...))
				if got := r.Kinds(); !slices.Equal(got, want) {
					t.Errorf("%v: anomalies %v, want %v: %+v", m, got, want, r.Anomalies)
				}
				if r.Valid != (len(want) == 0) {
					t.Errorf("%v: valid = %v with anomalies %v", m, r.Valid, r.Anomalies)
				}
			}
		})
	}
}

func TestCheckCycleDetail(t *testing.T) {
	r := check(readUncommitted, hist(t,
		"ok n0 w1=1 w2=1",
		"ok n1 w1=2 w2=2",
		"final n0 r1=2 r2=1",
	))
	if len(r.Anomalies) != 1 {
		t.Fatalf("anomalies %+v, want one G0", r.Anomalies)
	}
	d := r.Anomalies[0].Detail
	t.Log(d)
	for _, want := range []string{"op 0 ", "op 1 ", "-ww on key 1->", "-ww on key 2->"} {
		if !strings.Contains(d, want) {
			t.Errorf("G0 detail %q lacks %q", d, want)
		}
	}
}

func TestCheckMalformedReply(t *testing.T) {
	h := hist(t, "ok n0 w1=1", "ok n1 r1=1")
	h[0].Resp = []byte(`{"type":"txn_ok","txn":[["w",2,1]]}`)
	r := check(readCommitted, h)
	if got := r.Kinds(); !slices.Equal(got, []string{"malformed-reply"}) {
		t.Fatalf("anomalies %+v, want malformed-reply only (the writer then counts as indeterminate)", r.Anomalies)
	}
}

func TestCheckReportCap(t *testing.T) {
	var lines []string
	for k := range 3 * maxReported {
		lines = append(lines, fmt.Sprintf("ok n0 r%d=5", k))
	}
	r := check(readCommitted, hist(t, lines...))
	if len(r.Anomalies) != maxReported+1 {
		t.Errorf("%d anomalies listed, want %d", len(r.Anomalies), maxReported+1)
	}
	if n := r.Stats["anomalies"].(map[string]int)["garbage-read"]; n != 3*maxReported {
		t.Errorf("stats count %d garbage reads, want %d", n, 3*maxReported)
	}
}

func TestNewModels(t *testing.T) {
	tests := []struct {
		models  []string
		want    model
		wantErr bool
	}{
		{nil, readCommitted, false},
		{[]string{"read-uncommitted"}, readUncommitted, false},
		{[]string{"read-committed"}, readCommitted, false},
		{[]string{"read-uncommitted", "read-committed"}, readCommitted, false},
		{[]string{"serializable"}, 0, true},
		{[]string{"read-committed", "strict-serializable"}, 0, true},
	}
	for _, tt := range tests {
		s, err := New(sim.Config{Consistency: tt.models})
		if (err != nil) != tt.wantErr {
			t.Errorf("New(%v): error %v, want error %v", tt.models, err, tt.wantErr)
			continue
		}
		if err == nil && s.(*spec).model != tt.want {
			t.Errorf("New(%v): model %v, want %v", tt.models, s.(*spec).model, tt.want)
		}
	}
	if _, err := New(sim.Config{MaxTxnLength: -1}); err == nil {
		t.Error("New accepted a negative max txn length")
	}
}

// serialStore runs a generated workload against a correct serial database
// (one register map) and returns the history, with every fifth txn failed
// before it ran and every seventh run but left indeterminate.
func serialStore(t testing.TB, s sim.Spec, nodes []string, txns int) sim.History {
	t.Helper()
	db := map[int64]int64{}
	run := func(body sim.Body) []mop {
		mops := slices.Clone(body.(request).Txn)
		for i, m := range mops {
			if m.write {
				db[m.key] = m.val
				continue
			}
			v, ok := db[m.key]
			mops[i].val, mops[i].null = v, !ok
		}
		return mops
	}
	var clients []sim.Client
	for p, n := range nodes {
		clients = append(clients, s.NewClient(p, n, rand.New(rand.NewPCG(1, uint64(p)))))
	}
	var h sim.History
	for i := range txns {
		p := i % len(clients)
		body := clients[p].Next()
		var op sim.Op
		switch {
		case i%5 == 0:
			op = txnOp(t, sim.Fail, nodes[p], body.(request).Txn)
		case i%7 == 0:
			run(body)
			op = txnOp(t, sim.Info, nodes[p], body.(request).Txn)
		default:
			op = txnOp(t, sim.OK, nodes[p], run(body))
		}
		op.Process = p
		h = append(h, op)
	}
	for p, c := range clients {
		for _, body := range c.Final() {
			op := txnOp(t, sim.OK, nodes[p], run(body))
			op.Process, op.Final = p, true
			h = append(h, op)
		}
	}
	return h
}

func TestCheckSerialStoreIsValid(t *testing.T) {
	s, err := New(sim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	h := serialStore(t, s, []string{"n0", "n1", "n0", "n1"}, 3000)
	r := s.Check(h)
	if !r.Valid {
		t.Fatalf("a serial store's history is invalid: %+v", r.Anomalies)
	}
	if r.Stats["ww_edges"].(int) == 0 || r.Stats["wr_edges"].(int) == 0 {
		t.Errorf("no dependencies inferred: %v", r.Stats)
	}
}

// BenchmarkCheck measures checking a 20,000-txn history, the size of
// challenge 6a's run (rate 1000 for 20 s).
func BenchmarkCheck(b *testing.B) {
	s, err := New(sim.Config{})
	if err != nil {
		b.Fatal(err)
	}
	h := serialStore(b, s, []string{"n0", "n1", "n0", "n1"}, 20000)
	b.ResetTimer()
	for b.Loop() {
		if r := s.Check(h); !r.Valid {
			b.Fatalf("invalid: %+v", r.Anomalies)
		}
	}
}

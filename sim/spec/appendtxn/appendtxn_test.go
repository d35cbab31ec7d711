package appendtxn

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/elle"
	"github.com/glomers/glomers/sim/gen"
)

func TestNew(t *testing.T) {
	s, err := New(sim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sp := s.(*spec)
	if want := (elle.WrTxnsOptions{MinTxnLength: 1, MaxTxnLength: 4, MaxWritesPerKey: 16}); sp.gen != want {
		t.Errorf("generator options %+v, want %+v (key count 0: Elle's default)", sp.gen, want)
	}
	if !slices.Equal(sp.checker.expect.Models, []string{"strict-serializable"}) {
		t.Errorf("models %v", sp.checker.expect.Models)
	}
	if !s.Reusable() || s.Preamble([]string{"n0"}) != nil {
		t.Error("the client must be reusable, with no preamble")
	}
	s, _ = New(sim.Config{KeyCount: 3, MaxTxnLength: 2, MaxWritesPerKey: 5, Concurrency: 4, Consistency: []string{"serializable"}})
	if sp := s.(*spec); sp.gen.KeyCount != 3 || sp.gen.MaxTxnLength != 2 || sp.gen.MaxWritesPerKey != 5 || sp.checker.concurrency != 4 ||
		!slices.Equal(sp.checker.expect.Models, []string{"serializable"}) {
		t.Errorf("knobs not passed on: %+v, %+v", sp.gen, sp.checker)
	}
	if _, err := New(sim.Config{Consistency: []string{"linearizable-ish"}}); err == nil {
		t.Error("an unknown model was accepted")
	}
	if _, err := New(sim.Config{KeyCount: -1}); err == nil {
		t.Error("a negative key count was accepted")
	}
}

// TestGenerator: the load is append-txns as txn invocations, asking twice
// yields the same transaction, an operation waits for a free thread, and
// there is no final generator.
func TestGenerator(t *testing.T) {
	s, _ := New(sim.Config{})
	test := &gen.Test{Rand: rand.New(rand.NewPCG(7, 7)), Concurrency: 2}
	load, final := s.Generators(test)
	if final != nil {
		t.Fatal("a final generator: Maelstrom has none for this workload")
	}
	ref := elle.NewAppendTxns(s.(*spec).gen)
	refRand := rand.New(rand.NewPCG(7, 7))
	ctx := gen.NewContext(2)
	g := load
	appends := 0
	for i := range 300 {
		op, next, ok := g.Op(test, ctx)
		if !ok || op.Type != gen.Invoke || op.F != "txn" {
			t.Fatalf("op %d: %+v %v", i, op, ok)
		}
		again, _, _ := g.Op(test, ctx)
		if !slices.Equal(op.Value.(Txn), again.Value.(Txn)) {
			t.Fatalf("op %d: asked twice, got %v then %v", i, op.Value, again.Value)
		}
		if want := Txn(ref.Next(refRand)); !slices.Equal(op.Value.(Txn), want) {
			t.Fatalf("op %d: %v, want append-txns' %v", i, op.Value, want)
		}
		for _, m := range op.Value.(Txn) {
			if m.F == "append" {
				appends++
			} else if m.F != "r" || m.Value != elle.Nil {
				t.Fatalf("op %d: micro-op %v", i, m)
			}
		}
		g = next
	}
	if appends == 0 {
		t.Fatal("no appends")
	}
	op, same, ok := g.Op(test, ctx.Busy(0, 0).Busy(0, 1).Busy(0, 2))
	if !ok || op.Type != gen.Pending {
		t.Fatalf("no free thread: %+v", op)
	}
	op1, _, _ := same.Op(test, ctx)
	op2, _, _ := g.Op(test, ctx)
	if !slices.Equal(op1.Value.(Txn), op2.Value.(Txn)) {
		t.Fatal("a pending operation changed")
	}
}

func TestDecodeReply(t *testing.T) {
	b, err := json.Marshal(Txn{{F: "r", Key: "1", Value: elle.Nil}, {F: "append", Key: "1", Value: "2"}})
	if err != nil || string(b) != `[["r",1,null],["append",1,2]]` {
		t.Fatalf("%s %v", b, err)
	}
	tests := []struct {
		reply string
		want  Txn // nil: malformed
	}{
		{`{"type":"txn_ok","in_reply_to":1,"txn":[["r",1,[1, 2]],["append",1, 3],["r",2,null]]}`,
			Txn{{F: "r", Key: "1", Value: "[1,2]"}, {F: "append", Key: "1", Value: "3"}, {F: "r", Key: "2", Value: elle.Nil}}},
		{`{"type":"txn_ok","in_reply_to":1,"msg_id":5,"txn":[["r","k",[]]]}`, Txn{{F: "r", Key: `"k"`, Value: "[]"}}},
		{`{"type":"txn_ok","in_reply_to":1,"txn":[]}`, Txn{}},
		{`{"type":"txn_ok","in_reply_to":1,"txn":null}`, Txn{}}, // Maelstrom's schema lets nil be a list
		{`{"type":"txn_ok","in_reply_to":1,"txn":[["r",1,3]]}`, nil},
		{`{"type":"txn_ok","in_reply_to":1,"txn":[["w",1,3]]}`, nil},
		{`{"type":"txn_ok","in_reply_to":1,"txn":[["r",1]]}`, nil},
		{`{"type":"txn_ok","in_reply_to":1,"txn":[["append",1,2,3]]}`, nil},
		{`{"type":"txn_ok","in_reply_to":1,"txn":[null]}`, nil},
		{`{"type":"txn_ok","in_reply_to":1,"txn":[],"extra":1}`, nil},
		{`{"type":"txn_ok","in_reply_to":"1","txn":[]}`, nil},
		{`{"type":"ok","in_reply_to":1,"txn":[]}`, nil},
		{`{"type":"txn_ok","in_reply_to":1}`, nil},
	}
	for _, tt := range tests {
		got, err := decodeReply(json.RawMessage(tt.reply))
		if (err == nil) != (tt.want != nil) || !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v %v, want %v", tt.reply, got, err, tt.want)
		}
	}
}

// TestInvoke drives the client through a fake connection: the request,
// the completion, and with-errors with nothing idempotent.
func TestInvoke(t *testing.T) {
	s, _ := New(sim.Config{})
	op := gen.Op{Type: gen.Invoke, F: "txn", Value: Txn{{F: "r", Key: "1", Value: elle.Nil}, {F: "append", Key: "1", Value: "1"}}}
	tests := []struct {
		reply   string
		err     error
		want    gen.Type
		crashed bool
	}{
		{reply: `{"type":"txn_ok","in_reply_to":1,"txn":[["r",1,null],["append",1,1]]}`, want: gen.OK},
		{err: sim.ErrTimeout, want: gen.Info},
		{err: &sim.RPCError{Code: 30, Text: "conflict"}, want: gen.Fail},
		{err: &sim.RPCError{Code: 13, Text: "crashed"}, want: gen.Info},
		{reply: `{"type":"txn_ok","in_reply_to":1,"txn":[["r",1,7]]}`, crashed: true},
		{err: errors.New("boom"), crashed: true},
	}
	for _, tt := range tests {
		var sent string
		c := sim.NewConn("c1", func(dest string, body []byte, _ time.Duration) (json.RawMessage, error) {
			sent = dest + " " + string(body)
			return json.RawMessage(tt.reply), tt.err
		})
		got, err := s.Invoke(c, "n1", op)
		if sent != `n1 {"type":"txn","txn":[["r",1,null],["append",1,1]]}` {
			t.Errorf("sent %s", sent)
		}
		if (err != nil) != tt.crashed || (!tt.crashed && got.Type != tt.want) {
			t.Errorf("%s %v: got %v %v, want %v (crash %v)", tt.reply, tt.err, got.Type, err, tt.want, tt.crashed)
		}
		if tt.want == gen.OK && !tt.crashed && !slices.Equal(got.Value.(Txn), Txn{{F: "r", Key: "1", Value: elle.Nil}, {F: "append", Key: "1", Value: "1"}}) {
			t.Errorf("completion %v", got.Value)
		}
	}
}

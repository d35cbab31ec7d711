package txn

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/elle"
	"github.com/glomers/glomers/sim/gen"
)

func TestNewDefaults(t *testing.T) {
	s, err := New(sim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sp := s.(*spec)
	want := elle.WrTxnsOptions{MinTxnLength: 1, MaxTxnLength: 4, MaxWritesPerKey: 16}
	if sp.gen != want {
		t.Errorf("generator options %+v, want %+v (key count 0: Elle's default)", sp.gen, want)
	}
	if !slices.Equal(sp.checker.expect.Models, []string{"strict-serializable"}) {
		t.Errorf("models %v", sp.checker.expect.Models)
	}
	if !s.Reusable() || s.Preamble([]string{"n0"}) != nil {
		t.Error("the client must be reusable, with no preamble")
	}
	s, _ = New(sim.Config{KeyCount: 3, MaxTxnLength: 2, MaxWritesPerKey: 5, Concurrency: 4})
	if sp := s.(*spec); sp.gen.KeyCount != 3 || sp.gen.MaxTxnLength != 2 || sp.gen.MaxWritesPerKey != 5 || sp.checker.concurrency != 4 {
		t.Errorf("knobs not passed on: %+v, concurrency %d", sp.gen, sp.checker.concurrency)
	}
}

// TestGenerator: the generator yields Elle's wr-txns sequence as txn
// invocations, asking twice yields the same transaction, an operation
// waits for a free thread, and there is no final generator.
func TestGenerator(t *testing.T) {
	s, _ := New(sim.Config{})
	test := &gen.Test{Rand: rand.New(rand.NewPCG(7, 7)), Concurrency: 2}
	load, final := s.Generators(test)
	if final != nil {
		t.Fatal("a final generator: Maelstrom has none for this workload")
	}
	ref := elle.NewWrTxns(s.(*spec).gen)
	refRand := rand.New(rand.NewPCG(7, 7))
	ctx := gen.NewContext(2)
	g := load
	for i := range 200 {
		op, next, ok := g.Op(test, ctx)
		if !ok || op.Type != gen.Invoke || op.F != "txn" {
			t.Fatalf("op %d: %+v %v", i, op, ok)
		}
		again, _, _ := g.Op(test, ctx)
		if !slices.Equal(op.Value.(Txn), again.Value.(Txn)) {
			t.Fatalf("op %d: asked twice, got %v then %v", i, op.Value, again.Value)
		}
		if want := Txn(ref.Next(refRand)); !slices.Equal(op.Value.(Txn), want) {
			t.Fatalf("op %d: %v, want wr-txns' %v", i, op.Value, want)
		}
		g = next
	}
	busy := ctx.Busy(0, 0).Busy(0, 1).Busy(0, 2)
	op, same, ok := g.Op(test, busy)
	if !ok || op.Type != gen.Pending {
		t.Fatalf("no free thread: %+v", op)
	}
	op1, _, _ := same.Op(test, ctx)
	op2, _, _ := g.Op(test, ctx)
	if !slices.Equal(op1.Value.(Txn), op2.Value.(Txn)) {
		t.Fatal("a pending operation changed")
	}
}

func TestTxnJSON(t *testing.T) {
	txn := Txn{{F: "r", Key: "1", Value: elle.Nil}, {F: "w", Key: "1", Value: "2"}}
	b, err := json.Marshal(txnReq{Type: "txn", Txn: txn})
	if err != nil || string(b) != `{"type":"txn","txn":[["r",1,null],["w",1,2]]}` {
		t.Fatalf("%s %v", b, err)
	}
	tests := []struct {
		reply string
		ok    bool
		want  Txn
	}{
		{`{"type":"txn_ok","in_reply_to":1,"txn":[["r",1,3],["w",1, 2]]}`, true, Txn{{F: "r", Key: "1", Value: "3"}, {F: "w", Key: "1", Value: "2"}}},
		{`{"type":"txn_ok","in_reply_to":1,"msg_id":5,"txn":[["r","k",[1, 2]]]}`, true, Txn{{F: "r", Key: `"k"`, Value: "[1,2]"}}},
		{`{"type":"txn_ok","in_reply_to":1,"txn":[]}`, true, Txn{}},
		{`{"type":"txn_ok","in_reply_to":1,"txn":[["r",1,null]],"extra":1}`, false, nil},
		{`{"type":"ok","in_reply_to":1,"txn":[]}`, false, nil},
		{`{"type":"txn_ok","in_reply_to":1}`, false, nil},
		{`{"type":"txn_ok","in_reply_to":1,"txn":[["x",1,null]]}`, false, nil},
		{`{"type":"txn_ok","in_reply_to":1,"txn":[["r",1]]}`, false, nil},
		{`{"type":"txn_ok","in_reply_to":1,"txn":null}`, false, nil},
	}
	for _, tt := range tests {
		got, err := parseReply(json.RawMessage(tt.reply))
		if (err == nil) != tt.ok || (tt.ok && !slices.Equal(got, tt.want)) {
			t.Errorf("%s: %v %v, want %v (ok %v)", tt.reply, got, err, tt.want, tt.ok)
		}
	}
}

package txn

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestOpJSON(t *testing.T) {
	tests := []struct {
		in   string
		want Op
		out  string
	}{
		{`["r", 1, null]`, Op{FuncRead, "1", null}, `["r",1,null]`},
		{`["w",1,5]`, Op{FuncWrite, "1", json.RawMessage("5")}, `["w",1,5]`},
		{`["w", "k" , "v 1"]`, Op{FuncWrite, `"k"`, json.RawMessage(`"v 1"`)}, `["w","k","v 1"]`},
		{`["w",9223372036854775807,-9223372036854775808]`, Op{FuncWrite, "9223372036854775807", json.RawMessage("-9223372036854775808")}, `["w",9223372036854775807,-9223372036854775808]`},
	}
	for _, tt := range tests {
		var op Op
		if err := json.Unmarshal([]byte(tt.in), &op); err != nil {
			t.Fatalf("decode %s: %v", tt.in, err)
		}
		if op.Func != tt.want.Func || op.Key != tt.want.Key || string(op.Value) != string(tt.want.Value) {
			t.Errorf("decode %s = %+v, want %+v", tt.in, op, tt.want)
		}
		b, err := json.Marshal(op)
		if err != nil || string(b) != tt.out {
			t.Errorf("encode %+v = %s, %v; want %s", op, b, err, tt.out)
		}
	}
}

func TestOpJSONRejectsMalformed(t *testing.T) {
	for _, in := range []string{
		`{"f":"r"}`,
		`["r",1]`,
		`["r",1,null,2]`,
		`["append",1,2]`,
		`[1,1,null]`,
		`["r",null,null]`,
		`["r",[1],null]`,
		`["r",{"k":1},null]`,
		`["w",true,1]`,
		`["r",1,5]`,
		`["w",1,null]`,
		`["w",1,{"a":1}]`,
		`["w",1,[1]]`,
		`["w",1,false]`,
	} {
		var op Op
		if err := json.Unmarshal([]byte(in), &op); err == nil {
			t.Errorf("decode %s = %+v, want an error", in, op)
		}
	}
}

func TestBatchJSONRoundTrip(t *testing.T) {
	b := Batch{Type: BatchType, Have: []uint64{3, 0, 1 << 63}, Runs: []Run{{
		Origin: 2, From: 7,
		Txns: []Entry{
			{Clock: 12, Writes: []Write{{Key: "1", Value: json.RawMessage("5")}, {Key: `"x"`, Value: json.RawMessage(`[1,2]`)}}},
			{Clock: 1<<64 - 1, Writes: []Write{{Key: "2", Value: null}}},
		},
	}}}
	enc, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"txn_repl","have":[3,0,9223372036854775808],"runs":[{"o":2,"s":7,"t":[[12,[[1,5],["x",[1,2]]]],[18446744073709551615,[[2,null]]]]}]}`
	if string(enc) != want {
		t.Fatalf("encoded\n%s\nwant\n%s", enc, want)
	}
	var got Batch
	if err := json.Unmarshal(enc, &got); err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(got)
	if string(again) != want {
		t.Fatalf("round trip gave\n%s", again)
	}
}

func TestBatchJSONRejectsMalformed(t *testing.T) {
	for _, in := range []string{
		`{"have":[1],"runs":[{"o":0,"s":1,"t":[[1]]}]}`,
		`{"have":[1],"runs":[{"o":0,"s":1,"t":[[-1,[]]]}]}`,
		`{"have":[1],"runs":[{"o":0,"s":1,"t":[[1,[[1]]]]}]}`,
		`{"have":[1],"runs":[{"o":0,"s":1,"t":[[1,[[[1],2]]]]}]}`,
	} {
		var b Batch
		err := json.Unmarshal([]byte(in), &b)
		if err == nil {
			t.Errorf("decode %s = %+v, want an error", in, b)
		} else if !strings.Contains(err.Error(), "entry") && !strings.Contains(err.Error(), "write") {
			t.Errorf("decode %s: error %v does not say what is wrong", in, err)
		}
	}
}

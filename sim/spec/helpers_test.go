package spec

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/glomers/glomers/sim"
)

// op builds one operation; times are in milliseconds.
func op(p int, typ, req, resp string, st sim.Status, invoke, complete int) sim.Op {
	o := sim.Op{
		Process: p, Node: "n0", Type: typ, Req: json.RawMessage(req), Status: st,
		Invoke: time.Duration(invoke) * time.Millisecond, Complete: time.Duration(complete) * time.Millisecond,
	}
	if resp != "" {
		o.Resp = json.RawMessage(resp)
	}
	return o
}

// final marks an operation as one of the final requests.
func final(o sim.Op) sim.Op {
	o.Final = true
	return o
}

// wantKinds fails the test unless the result is valid exactly when no
// kinds are wanted, and its anomaly kinds are the wanted ones.
func wantKinds(t *testing.T, r sim.Result, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := r.Kinds(); !slices.Equal(got, want) || r.Valid != (len(want) == 0) {
		t.Fatalf("valid=%v kinds=%v, want kinds %v; anomalies:\n%s", r.Valid, got, want, dump(r))
	}
}

func dump(r sim.Result) string {
	var b strings.Builder
	for _, a := range r.Anomalies {
		b.WriteString(a.Kind + ": " + a.Detail + "\n")
	}
	return b.String()
}

// encode marshals a client's body as the core would.
func encode(t *testing.T, b sim.Body) json.RawMessage {
	t.Helper()
	raw, err := json.Marshal(b)
	if err != nil {
		t.Fatalf("encode %v: %v", b, err)
	}
	return raw
}

// bodyType is the "type" of an encoded body.
func bodyType(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var typ string
	if err := field(raw, "type", &typ); err != nil {
		t.Fatal(err)
	}
	return typ
}

package spec

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/glomers/glomers/sim"
)

func TestUniqueIDsCheck(t *testing.T) {
	gen := func(p int, id string, st sim.Status) sim.Op {
		var out any
		if st == sim.OK {
			c, err := canonical(json.RawMessage(id))
			if err != nil {
				t.Fatal(err)
			}
			out = c
		}
		return op(p, "generate", nil, out, st, p, p+1)
	}
	tests := []struct {
		name string
		h    sim.History
		want []string
	}{
		{"clean mixed types", sim.History{gen(0, `1`, sim.OK), gen(1, `"1"`, sim.OK), gen(2, `1.0`, sim.OK), gen(3, `{"a":1}`, sim.OK)}, nil},
		{"big integers stay apart", sim.History{gen(0, `4611686018427387904`, sim.OK), gen(1, `4611686018427387905`, sim.OK)}, nil},
		{"duplicate int", sim.History{gen(0, `42`, sim.OK), gen(1, `7`, sim.OK), gen(2, `42`, sim.OK)}, []string{"duplicate-id"}},
		{"duplicate big int", sim.History{gen(0, `9007199254740993`, sim.OK), gen(1, `9007199254740993`, sim.OK)}, []string{"duplicate-id"}},
		{"duplicate object, keys reordered", sim.History{gen(0, `{"n":"n1","c":3}`, sim.OK), gen(1, `{"c":3, "n":"n1"}`, sim.OK)}, []string{"duplicate-id"}},
		{"failed ops ignored", sim.History{gen(0, `5`, sim.OK), gen(1, ``, sim.Fail), gen(2, ``, sim.Info)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantKinds(t, sim.Check(uniqueIDsSpec{}.Checker(), tt.h), tt.want...) })
	}
}

func TestUniqueIDsNamesTheDuplicate(t *testing.T) {
	h := sim.History{
		op(0, "generate", nil, `"n1-5"`, sim.OK, 0, 1),
		op(3, "generate", nil, `"n1-5"`, sim.OK, 2, 3),
	}
	r := sim.Check(uniqueIDsSpec{}.Checker(), h)
	if len(r.Anomalies) != 1 || !strings.Contains(r.Anomalies[0].Detail, `"n1-5"`) || !strings.Contains(r.Anomalies[0].Detail, "p3") {
		t.Fatalf("anomalies %+v", r.Anomalies)
	}
	if r.Stats["duplicated-count"] != 1 {
		t.Fatalf("stats %v", r.Stats)
	}
}

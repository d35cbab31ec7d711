package spec

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/glomers/glomers/sim"
)

func TestEchoGeneratorAsksLikeMaelstrom(t *testing.T) {
	load, final := echoSpec{}.Generators(nil)
	if final != nil {
		t.Error("echo has no final generator")
	}
	procs := map[int]int{}
	for _, o := range drawOps(t, load, 3, 60) {
		if e, ok := o.Value.(string); o.F != "echo" || !ok || !strings.HasPrefix(e, "Please echo ") {
			t.Fatalf("op %+v", o)
		}
		procs[o.Process]++
	}
	if len(procs) != 3 {
		t.Errorf("ops per process %v: every thread echoes", procs)
	}
}

func TestEchoCheck(t *testing.T) {
	echo := func(out string, st sim.Status) sim.Op {
		var raw any = "Please echo 7"
		if out != "" {
			raw = json.RawMessage(out)
		}
		return op(0, "echo", "Please echo 7", raw, st, 0, 1)
	}
	tests := []struct {
		name string
		h    sim.History
		want []string
	}{
		{"clean", sim.History{echo(`"Please echo 7"`, sim.OK)}, nil},
		{"wrong payload", sim.History{echo(`"Please echo 8"`, sim.OK)}, []string{"wrong-echo"}},
		{"no payload", sim.History{echo(`null`, sim.OK)}, []string{"wrong-echo"}},
		{"timed out", sim.History{echo("", sim.Info)}, []string{"unanswered"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantKinds(t, sim.Check(echoSpec{}.Checker(), tt.h), tt.want...) })
	}
}

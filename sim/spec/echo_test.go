package spec

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/glomers/glomers/sim"
)

func TestEchoClientAsksLikeMaelstrom(t *testing.T) {
	c := echoSpec{}.NewClient(0, "n0", rand.New(rand.NewPCG(1, 2)))
	for range 50 {
		var e string
		raw := encode(t, c.Next())
		if err := field(raw, "echo", &e); err != nil || !strings.HasPrefix(e, "Please echo ") || bodyType(t, raw) != "echo" {
			t.Fatalf("body %s", raw)
		}
	}
}

func TestEchoCheck(t *testing.T) {
	req := `{"type":"echo","echo":"Please echo 7"}`
	tests := []struct {
		name string
		h    sim.History
		want []string
	}{
		{"clean", sim.History{op(0, "echo", req, `{"type":"echo_ok","echo":"Please echo 7","in_reply_to":1}`, sim.OK, 0, 1)}, nil},
		{"wrong payload", sim.History{op(0, "echo", req, `{"type":"echo_ok","echo":"Please echo 8"}`, sim.OK, 0, 1)}, []string{"wrong-echo"}},
		{"no payload", sim.History{op(0, "echo", req, `{"type":"echo_ok"}`, sim.OK, 0, 1)}, []string{"wrong-echo"}},
		{"timed out", sim.History{op(0, "echo", req, "", sim.Info, 0, 5000)}, []string{"unanswered"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantKinds(t, echoSpec{}.Check(tt.h), tt.want...) })
	}
}

package spec

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/gen"
)

// Each workload's client turns replies into completions as Maelstrom's
// does: broadcast and echo through with-errors (reads idempotent), g-set
// and the counters with no error translation at all, so any error, a
// definite code included, crashes the client (the interpreter records the
// operation :info).
func TestClientsTranslateErrorsLikeMaelstrom(t *testing.T) {
	const (
		ok      = "ok"
		fail    = "fail"
		info    = "info"
		crashed = "crash"
	)
	replies := map[string]func(typ, value string) (json.RawMessage, error){
		"ok": func(typ, value string) (json.RawMessage, error) {
			return json.RawMessage(`{"type":"` + typ + `_ok","messages":[],"value":` + value + `,"echo":"x"}`), nil
		},
		"definite": func(string, string) (json.RawMessage, error) {
			return json.RawMessage(`{"type":"error","code":20,"text":"no"}`), nil
		},
		"indefinite": func(string, string) (json.RawMessage, error) {
			return json.RawMessage(`{"type":"error","code":13,"text":"crash"}`), nil
		},
		"timeout": func(string, string) (json.RawMessage, error) { return nil, sim.ErrTimeout },
	}
	tests := []struct {
		workload, f string
		want        map[string]string // reply kind → outcome
	}{
		{"broadcast", "broadcast", map[string]string{"ok": ok, "definite": fail, "indefinite": info, "timeout": info}},
		{"broadcast", "read", map[string]string{"ok": ok, "definite": fail, "indefinite": fail, "timeout": fail}},
		{"g-set", "add", map[string]string{"ok": ok, "definite": crashed, "indefinite": crashed, "timeout": crashed}},
		{"g-set", "read", map[string]string{"ok": ok, "definite": crashed, "indefinite": crashed, "timeout": crashed}},
		{"g-counter", "add", map[string]string{"ok": ok, "definite": crashed, "indefinite": crashed, "timeout": crashed}},
		{"pn-counter", "read", map[string]string{"ok": ok, "definite": crashed, "indefinite": crashed, "timeout": crashed}},
		{"echo", "echo", map[string]string{"ok": ok, "definite": fail, "indefinite": info, "timeout": info}},
	}
	for _, tc := range tests {
		s, err := New(tc.workload, sim.Config{})
		if err != nil {
			t.Fatal(err)
		}
		for kind, want := range tc.want {
			c := sim.NewConn("c1", func(_ string, body []byte, _ time.Duration) (json.RawMessage, error) {
				var req struct{ Type string }
				_ = json.Unmarshal(body, &req)
				value := "0" // a counter's read
				if tc.workload == "g-set" {
					value = "[]"
				}
				return replies[kind](req.Type, value)
			})
			var value any = int64(1)
			if tc.f == "echo" {
				value = "x"
			}
			done, err := s.Invoke(c, "n0", gen.Op{F: tc.f, Value: value})
			got := crashed
			if err == nil {
				got = done.Type.String()
			}
			if got != want {
				t.Errorf("%s %s answered %s: %s, want %s", tc.workload, tc.f, kind, got, want)
			}
		}
	}
}

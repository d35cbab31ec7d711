package counter

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/glomers/glomers/node"
	"github.com/rs/zerolog"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		args []string
		want Config
		bad  bool
	}{
		{args: nil, want: DefaultConfig()},
		{args: []string{"-batch", "100ms", "-refresh=1s"},
			want: Config{Batch: 100 * time.Millisecond, Refresh: time.Second, KVTimeout: time.Second, AddTimeout: 2 * time.Second, ReadTimeout: 4 * time.Second}},
		{args: []string{"-kv-timeout", "300ms", "-add-timeout", "1s", "-read-timeout", "3s"},
			want: Config{Refresh: 2 * time.Second, KVTimeout: 300 * time.Millisecond, AddTimeout: time.Second, ReadTimeout: 3 * time.Second}},
		{args: []string{"-read-timeout", "0s"}, bad: true},
		{args: []string{"-batch", "-1ms"}, bad: true},
		{args: []string{"-refresh", "-1s"}, bad: true},
		{args: []string{"-refresh", "3s"}, bad: true}, // final reads could be stale
		{args: []string{"-batch", "soon"}, bad: true},
		{args: []string{"-nope"}, bad: true},
		{args: []string{"extra"}, bad: true},
	}
	for _, tt := range tests {
		got, err := ParseConfig("g-counter", tt.args)
		switch {
		case tt.bad && err == nil:
			t.Errorf("ParseConfig(%q) = %+v, want an error", tt.args, got)
		case !tt.bad && err != nil:
			t.Errorf("ParseConfig(%q): %v", tt.args, err)
		case !tt.bad && got != tt.want:
			t.Errorf("ParseConfig(%q) = %+v, want %+v", tt.args, got, tt.want)
		}
	}
}

// TestAddRejectsBadDeltas feeds requests to a node over its pipes: bad
// deltas are refused with malformed-request (12), which is definite, before
// anything reaches seq-kv.
func TestAddRejectsBadDeltas(t *testing.T) {
	tests := []struct {
		setup node.SetupFunc
		body  string
	}{
		{SetupGrowOnly, `{"type":"add","msg_id":2,"delta":-1}`},
		{SetupGrowOnly, `{"type":"add","msg_id":2}`},
		{SetupPN, `{"type":"add","msg_id":2,"delta":1.5}`},
		{SetupPN, `{"type":"add","msg_id":2,"delta":"3"}`},
	}
	for _, tt := range tests {
		in := `{"src":"c0","dest":"n0","body":{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0","n1"]}}` + "\n" +
			`{"src":"c1","dest":"n0","body":` + tt.body + "}\n"
		var out bytes.Buffer
		n := node.New(node.WithIO(strings.NewReader(in), &out), node.WithLogger(zerolog.Nop()))
		if err := tt.setup(n, nil); err != nil {
			t.Fatal(err)
		}
		if err := n.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		var reply struct {
			Dest string
			Body struct {
				Type      string
				Code      int
				InReplyTo int `json:"in_reply_to"`
			}
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != 2 {
			t.Fatalf("%s: %d messages out, want init_ok and one reply:\n%s", tt.body, len(lines), out.String())
		}
		if err := json.Unmarshal([]byte(lines[1]), &reply); err != nil {
			t.Fatal(err)
		}
		if reply.Dest != "c1" || reply.Body.Type != "error" || reply.Body.Code != node.CodeMalformedRequest || reply.Body.InReplyTo != 2 {
			t.Errorf("%s: reply %s, want error 12 to c1", tt.body, lines[1])
		}
	}
}

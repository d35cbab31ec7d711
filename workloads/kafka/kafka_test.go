package kafka

import (
	"context"
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/glomers/glomers/node"
	"github.com/rs/zerolog"
)

// build parses args with Program's flags and builds node n0 of a two-node
// cluster, returning its handlers. The node never runs: its background
// work is registered, not started, and its lin-kv requests go nowhere.
func build(args []string) (node.Handlers, error) {
	b, err := Program.Builder(args)
	if err != nil {
		return nil, err
	}
	n := node.New(b, node.WithIO(strings.NewReader(""), io.Discard))
	return b(n, node.Init{ID: "n0", IDs: []string{"n0", "n1"}})
}

func TestFlags(t *testing.T) {
	defaults := Config{Flush: 5 * time.Millisecond, Tail: 250 * time.Millisecond, MaxTail: time.Second,
		Wait: 10 * time.Second, RPC: time.Second, MaxPoll: 1000}
	tests := []struct {
		name string
		args []string
		want func(*Config) // applied to defaults; nil: Program refuses args
	}{
		{"defaults", nil, func(*Config) {}},
		{"every flag", []string{"-flush", "1ms", "-tail", "100ms", "-max-tail", "3s", "-wait", "4s", "-rpc", "2s", "-max-poll", "50"},
			func(c *Config) {
				*c = Config{Flush: time.Millisecond, Tail: 100 * time.Millisecond, MaxTail: 3 * time.Second,
					Wait: 4 * time.Second, RPC: 2 * time.Second, MaxPoll: 50}
			}},
		{"zero flush is allowed", []string{"-flush", "0"}, func(c *Config) { c.Flush = 0 }},
		{"max-tail below tail", []string{"-tail", "2s", "-max-tail", "1s"}, nil},
		{"zero max-poll", []string{"-max-poll", "0"}, nil},
		{"negative wait", []string{"-wait", "-1s"}, nil},
		{"zero rpc", []string{"-rpc", "0s"}, nil},
		{"unknown flag", []string{"-nope"}, nil},
		{"stray argument", []string{"extra"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := build(tc.args)
			if tc.want == nil {
				if err == nil {
					t.Fatalf("Program accepted %q", tc.args)
				}
				return
			}
			if err != nil {
				t.Fatalf("Program refused %q: %v", tc.args, err)
			}
			fs := flag.NewFlagSet("kafka", flag.ContinueOnError)
			got := configFlags(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			want := defaults
			tc.want(&want)
			if *got != want {
				t.Fatalf("flags %q give %+v, want %+v", tc.args, *got, want)
			}
		})
	}
}

func TestNewBrokerRejectsANodeOutsideTheCluster(t *testing.T) {
	log := zerolog.Nop()
	if _, err := NewBroker(testCfg, "n2", []string{"n0", "n1"}, newFakeKV(), func(string, Push) {}, &log); err == nil {
		t.Fatal("accepted")
	}
}

// TestRequestValidation sends each handler bodies that do not match its
// message's schema: every one must be refused with malformed-request (12)
// naming the member, before the broker sees it.
func TestRequestValidation(t *testing.T) {
	tests := []struct {
		body   string
		member string // "" for a body that must be accepted
	}{
		{`{"type":"send","msg_id":1,"msg":1}`, "key"},
		{`{"type":"send","msg_id":1,"key":"k"}`, "msg"},
		{`{"type":"send","msg_id":1,"key":null,"msg":1}`, "key"},
		{`{"type":"send","msg_id":1,"key":7,"msg":1}`, "key"},
		{`{"type":"poll","msg_id":1}`, "offsets"},
		{`{"type":"poll","msg_id":1,"offsets":null}`, "offsets"},
		{`{"type":"poll","msg_id":1,"offsets":[0]}`, "offsets"},
		{`{"type":"poll","msg_id":1,"offsets":{"k":"0"}}`, "offsets"},
		{`{"type":"poll","msg_id":1,"offsets":{"k":0}}`, ""},
		{`{"type":"commit_offsets","msg_id":1}`, "offsets"},
		{`{"type":"commit_offsets","msg_id":1,"offsets":{"k":1.5}}`, "offsets"},
		{`{"type":"commit_offsets","msg_id":1,"offsets":null}`, "offsets"},
		{`{"type":"list_committed_offsets","msg_id":1}`, "keys"},
		{`{"type":"list_committed_offsets","msg_id":1,"keys":[1]}`, "keys"},
		{`{"type":"list_committed_offsets","msg_id":1,"keys":null}`, "keys"},
		{`{"type":"kafka_chunk","stream":"n1","seq":0}`, "chunk"},
		{`{"type":"kafka_chunk","stream":"n1","seq":"0","chunk":{}}`, "seq"},
	}
	h, err := build(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.body, func(t *testing.T) {
			typ, _, _ := strings.Cut(strings.TrimPrefix(tc.body, `{"type":"`), `"`)
			reply, err := h[typ](context.Background(), node.Message{Src: "c1", Dest: "n0", Body: []byte(tc.body)})
			if tc.member == "" {
				if err != nil || reply == nil {
					t.Fatalf("refused: %v, %v", reply, err)
				}
				return
			}
			e := node.ErrorFor(err)
			if err == nil || e.Code != node.CodeMalformedRequest || !strings.Contains(e.Text, tc.member) {
				t.Fatalf("answered %v, %v; want error 12 naming %q", reply, err, tc.member)
			}
			t.Logf("%s", e.Text)
		})
	}
}

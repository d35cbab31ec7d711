package counter

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/glomers/glomers/node"
	"github.com/rs/zerolog"
)

// config returns the Config the flags args give, as a node would parse
// them, or the error Program.Builder or Validate reports.
func config(args ...string) (Config, error) {
	if _, err := GCounter.Builder(args); err != nil {
		return Config{}, err
	}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	cfg := declare(fs)
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	return *cfg, cfg.Validate()
}

func TestFlags(t *testing.T) {
	defaults := Config{Refresh: 2 * time.Second, KVTimeout: time.Second, AddTimeout: 2 * time.Second, ReadTimeout: 4 * time.Second}
	tests := []struct {
		args []string
		want Config
		bad  bool
	}{
		{args: nil, want: defaults},
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
		got, err := config(tt.args...)
		switch {
		case tt.bad && err == nil:
			t.Errorf("flags %q = %+v, want an error", tt.args, got)
		case !tt.bad && err != nil:
			t.Errorf("flags %q: %v", tt.args, err)
		case !tt.bad && got != tt.want:
			t.Errorf("flags %q = %+v, want %+v", tt.args, got, tt.want)
		}
	}
}

// TestUsage: -help names the workload, says what it is and lists every
// flag with its default.
func TestUsage(t *testing.T) {
	for _, p := range []node.Program{GCounter, PNCounter} {
		u := p.Usage()
		for _, want := range []string{p.Name, p.Doc, "-batch", "-refresh", "(default 2s)", "-kv-timeout", "-add-timeout", "-read-timeout"} {
			if !strings.Contains(u, want) {
				t.Errorf("%s usage lacks %q:\n%s", p.Name, want, u)
			}
		}
	}
}

// message is the part of a message the node sent that the tests look at.
type message struct {
	Dest string
	Body struct {
		Type      string
		Code      int
		Text      string
		InReplyTo int `json:"in_reply_to"`
	}
}

// serve runs a node of p with args over pipes: init as n0 of n0 and n1,
// then each body as a request from c1; it returns every message the node
// sent, once the input has ended.
func serve(t *testing.T, p node.Program, args []string, bodies ...string) []message {
	t.Helper()
	in := `{"src":"c0","dest":"n0","body":{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0","n1"]}}` + "\n"
	for _, b := range bodies {
		in += `{"src":"c1","dest":"n0","body":` + b + "}\n"
	}
	build, err := p.Builder(args)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	n := node.New(build, node.WithIO(strings.NewReader(in), &out), node.WithLogger(zerolog.Nop()))
	if err := n.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var replies []message
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r message
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("output %q: %v", line, err)
		}
		replies = append(replies, r)
	}
	return replies
}

// TestAddRejectsBadRequests: an add the node does not understand or take
// is answered with malformed-request (12) naming the field, and nothing
// reaches seq-kv.
func TestAddRejectsBadRequests(t *testing.T) {
	tests := []struct {
		p    node.Program
		body string
	}{
		{GCounter, `{"type":"add","msg_id":2}`},
		{PNCounter, `{"type":"add","msg_id":2}`},
		{GCounter, `{"type":"add","msg_id":2,"delta":null}`},
		{GCounter, `{"type":"add","msg_id":2,"delta":-1}`},
		{PNCounter, `{"type":"add","msg_id":2,"delta":1.5}`},
		{PNCounter, `{"type":"add","msg_id":2,"delta":"3"}`},
		{GCounter, `{"type":"add","msg_id":2,"delta":[1]}`},
		{PNCounter, `{"type":"add","msg_id":2,"delta":99999999999999999999}`},
		{PNCounter, `{"type":"add","msg_id":2,"delta":4611686018427387904}`}, // 2⁶², past this node's bound
	}
	for _, tt := range tests {
		t.Run(tt.p.Name+" "+tt.body, func(t *testing.T) {
			out := serve(t, tt.p, nil, tt.body)
			if len(out) != 2 || out[0].Body.Type != "init_ok" {
				t.Fatalf("%d messages out, want init_ok and one reply: %+v", len(out), out)
			}
			r := out[1]
			if r.Dest != "c1" || r.Body.Type != "error" || r.Body.Code != node.CodeMalformedRequest || r.Body.InReplyTo != 2 {
				t.Errorf("reply %+v, want error 12 to c1", r)
			}
			if !strings.Contains(r.Body.Text, "delta") {
				t.Errorf("error text %q does not name the field delta", r.Body.Text)
			}
		})
	}
}

// TestInitRejectsBadFlags: flags that parse but cannot work together fail
// the init, whose error says why.
func TestInitRejectsBadFlags(t *testing.T) {
	out := serve(t, GCounter, []string{"-refresh", "3s"})
	if len(out) != 1 || out[0].Body.Type != "error" || !strings.Contains(out[0].Body.Text, "refresh") {
		t.Errorf("init with -refresh 3s answered %+v, want an error naming refresh", out)
	}
}

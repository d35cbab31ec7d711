package txn

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/glomers/glomers/node"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want func(*Config) // applied to DefaultConfig; nil: an error
	}{
		{"defaults", nil, func(*Config) {}},
		{"every flag", []string{"-interval", "50ms", "-resend-after", "2s", "-relay-after", "0s", "-ack-after", "1s", "-max-batch", "9", "-probe-batch", "3"},
			func(c *Config) {
				*c = Config{Interval: 50 * time.Millisecond, ResendAfter: 2 * time.Second, AckAfter: time.Second, MaxBatch: 9, MaxBurst: c.MaxBurst, ProbeBatch: 3}
			}},
		{"zero interval", []string{"-interval", "0s"}, nil},
		{"ack-after not below resend-after", []string{"-ack-after", "1s", "-resend-after", "1s"}, nil},
		{"zero max batch", []string{"-max-batch", "0"}, nil},
		{"zero probe batch", []string{"-probe-batch", "0"}, nil},
		{"unknown flag", []string{"-nope"}, nil},
		{"stray argument", []string{"extra"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFlags(tt.args)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("ParseFlags(%q) = %+v, want an error", tt.args, got)
				}
				if Setup(node.New(node.WithIO(strings.NewReader(""), io.Discard)), tt.args) == nil {
					t.Fatalf("Setup(%q) accepted", tt.args)
				}
				return
			}
			want := DefaultConfig
			tt.want(&want)
			if err != nil || got != want {
				t.Fatalf("ParseFlags(%q) = %+v, %v; want %+v", tt.args, got, err, want)
			}
		})
	}
}

func TestNewReplicaRejectsBadClusters(t *testing.T) {
	tests := []struct {
		name    string
		self, n int
		cfg     Config
	}{
		{"no nodes", 0, 0, DefaultConfig},
		{"index past the end", 2, 2, DefaultConfig},
		{"negative index", -1, 2, DefaultConfig},
		{"zero max batch", 0, 1, Config{MaxBatch: 0, ProbeBatch: 1}},
	}
	for _, tt := range tests {
		if _, err := NewReplica(tt.self, tt.n, tt.cfg); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// take returns the bodies written so far, by destination, and forgets them.
func (l *lockedBuffer) take(t *testing.T) map[string][]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		if line == "" {
			continue
		}
		var msg node.Message
		if err := json.Unmarshal([]byte(line), &msg); err != nil {
			t.Fatalf("bad output line %s: %v", line, err)
		}
		m[msg.Dest] = append(m[msg.Dest], string(msg.Body))
	}
	l.b.Reset()
	return m
}

// TestNodeEndToEnd drives one node through its wire protocol in virtual
// time: transactions are answered at once, replicated in a batch on the next
// tick, and a peer's batch becomes visible to later transactions.
func TestNodeEndToEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pr, pw := io.Pipe()
		out := &lockedBuffer{}
		n := node.New(node.WithIO(pr, out))
		if err := Setup(n, []string{"-interval", "50ms"}); err != nil {
			t.Fatal(err)
		}
		done := make(chan error)
		go func() { done <- n.Run(context.Background()) }()
		send := func(src, body string) {
			fmt.Fprintf(pw, `{"src":%q,"dest":"n0","body":%s}`+"\n", src, body)
			synctest.Wait()
		}
		send("c0", `{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0","n1"]}`)
		send("c1", `{"type":"txn","msg_id":2,"txn":[["w",1,5],["r",1,null],["r",2,null],["w",1,6]]}`)
		send("c1", `{"type":"txn","msg_id":3,"txn":[["w",1]]}`)
		got := out.take(t)
		want := []string{
			`{"in_reply_to":1,"type":"init_ok"}`,
			`{"in_reply_to":2,"type":"txn_ok","txn":[["w",1,5],["r",1,5],["r",2,null],["w",1,6]]}`,
		}
		if len(got["c0"]) != 1 || got["c0"][0] != want[0] || len(got["c1"]) != 2 || got["c1"][0] != want[1] || !strings.Contains(got["c1"][1], `"code":12`) {
			t.Fatalf("replies %v, want %v then a malformed-request error", got, want)
		}
		time.Sleep(60 * time.Millisecond)
		synctest.Wait()
		got = out.take(t)
		if b := `{"type":"txn_repl","have":[1,0],"runs":[{"o":0,"s":1,"t":[[1,[[1,6]]]]}]}`; len(got["n1"]) != 1 || got["n1"][0] != b {
			t.Fatalf("replication %v, want %s", got, b)
		}
		send("n1", `{"type":"txn_repl","have":[1,1],"runs":[{"o":1,"s":1,"t":[[7,[[2,9],[1,8]]]]}]}`)
		send("c1", `{"type":"txn","msg_id":4,"txn":[["r",1,null],["r",2,null]]}`)
		if got := out.take(t)["c1"]; len(got) != 1 || got[0] != `{"in_reply_to":4,"type":"txn_ok","txn":[["r",1,8],["r",2,9]]}` {
			t.Fatalf("after n1's batch, read %v", got)
		}
		pw.Close()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

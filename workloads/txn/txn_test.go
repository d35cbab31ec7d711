package txn

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/glomers/glomers/node"
	"github.com/rs/zerolog"
)

// defaults parses no flags: the Config the binary runs with.
func defaults(t *testing.T) Config {
	t.Helper()
	cfg, err := parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// parse is the Config that Program's flags select from args.
func parse(args []string) (Config, error) {
	fs := flag.NewFlagSet("txn", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg := configFlags(fs)
	err := fs.Parse(args)
	return *cfg, err
}

// TestFlags checks what each flag sets, and that Program refuses bad
// arguments: ones the flags do not parse at once, settings the replica
// cannot work with when the node is built.
func TestFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want *Config // nil: refused
	}{
		{"defaults", nil, &Config{Interval: 250 * time.Millisecond, ResendAfter: time.Second, RelayAfter: time.Second,
			AckAfter: 300 * time.Millisecond, MaxBatch: 4096, MaxBurst: 4, ProbeBatch: 64}},
		{"every flag", []string{"-interval", "50ms", "-resend-after", "2s", "-relay-after", "0s", "-ack-after", "1s", "-max-batch", "9", "-max-burst", "2", "-probe-batch", "3"},
			&Config{Interval: 50 * time.Millisecond, ResendAfter: 2 * time.Second, AckAfter: time.Second, MaxBatch: 9, MaxBurst: 2, ProbeBatch: 3}},
		{"zero interval", []string{"-interval", "0s"}, nil},
		{"ack-after not below resend-after", []string{"-ack-after", "1s", "-resend-after", "1s"}, nil},
		{"negative relay-after", []string{"-relay-after", "-1s"}, nil},
		{"zero max batch", []string{"-max-batch", "0"}, nil},
		{"zero max burst", []string{"-max-burst", "0"}, nil},
		{"zero probe batch", []string{"-probe-batch", "0"}, nil},
		{"unknown flag", []string{"-nope"}, nil},
		{"stray argument", []string{"extra"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			build, err := Program.Builder(tt.args)
			if err == nil {
				n := node.New(build, node.WithIO(strings.NewReader(""), io.Discard))
				_, err = build(n, node.Init{ID: "n1", IDs: []string{"n0", "n1"}})
			}
			if tt.want == nil {
				if err == nil {
					t.Fatalf("Program accepted %q", tt.args)
				}
				return
			}
			if got, perr := parse(tt.args); err != nil || perr != nil || got != *tt.want {
				t.Fatalf("flags %q give %+v, %v, %v; want %+v", tt.args, got, err, perr, *tt.want)
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
		{"no nodes", 0, 0, defaults(t)},
		{"index past the end", 2, 2, defaults(t)},
		{"negative index", -1, 2, defaults(t)},
		{"zero max batch", 0, 1, Config{MaxBatch: 0, MaxBurst: 1, ProbeBatch: 1}},
		{"zero max burst", 0, 1, Config{MaxBatch: 1, MaxBurst: 0, ProbeBatch: 1}},
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

// wireNode is node n0 of a two-node cluster, initialised and running in a
// synctest bubble, driven through its wire protocol.
type wireNode struct {
	t    *testing.T
	in   *io.PipeWriter
	out  *lockedBuffer
	done chan error
}

// startNode runs Program with args as n0 and initialises it. Call it in a
// synctest bubble and stop the node with stop.
func startNode(t *testing.T, args ...string) *wireNode {
	build, err := Program.Builder(args)
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	w := &wireNode{t: t, in: pw, out: &lockedBuffer{}, done: make(chan error)}
	n := node.New(build, node.WithIO(pr, w.out), node.WithLogger(zerolog.Nop()))
	go func() { w.done <- n.Run(context.Background()) }()
	w.send("c0", `{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0","n1"]}`)
	if got := w.out.take(t)["c0"]; len(got) != 1 || got[0] != `{"in_reply_to":1,"type":"init_ok"}` {
		t.Fatalf("init answered %v", got)
	}
	return w
}

// send writes a message from src to the node and waits until the node is
// idle again.
func (w *wireNode) send(src, body string) {
	fmt.Fprintf(w.in, `{"src":%q,"dest":"n0","body":%s}`+"\n", src, body)
	synctest.Wait()
}

func (w *wireNode) stop() {
	w.in.Close()
	if err := <-w.done; err != nil {
		w.t.Fatal(err)
	}
}

// TestRequestValidation sends txn requests whose body does not match the
// schema: each must be answered with malformed-request (12) saying what is
// wrong, and nothing of it may run.
func TestRequestValidation(t *testing.T) {
	tests := []struct {
		txn  string // the txn member, or "" for none
		want string // in the error text; "" for a request that must succeed
	}{
		{"", `missing \"txn\"`},
		{`null`, "want an array of micro-ops"},
		{`{"r":1}`, "want an array of micro-ops"},
		{`[["w",1,2],["r",1]]`, "txn[1]"},
		{`[["x",1,null]]`, "txn[0]"},
		{`[["r",1,5]]`, "read's value must be null"},
		{`[["w",1,null]]`, "value written"},
		{`[["w",1,[2]]]`, "value written"},
		{`[["w",true,2]]`, "key"},
		{`[["r",{"k":1},null]]`, "key"},
		{`[]`, ""},
		{`[["w",1,2],["r","k",null]]`, ""},
	}
	synctest.Test(t, func(t *testing.T) {
		w := startNode(t)
		defer w.stop()
		for i, tt := range tests {
			body := fmt.Sprintf(`{"type":"txn","msg_id":%d}`, i+2)
			if tt.txn != "" {
				body = fmt.Sprintf(`{"type":"txn","msg_id":%d,"txn":%s}`, i+2, tt.txn)
			}
			w.send("c1", body)
			got := w.out.take(t)["c1"]
			switch {
			case len(got) != 1:
				t.Errorf("%s: replies %v", body, got)
			case tt.want == "" && !strings.Contains(got[0], `"type":"txn_ok"`):
				t.Errorf("%s: refused: %s", body, got[0])
			case tt.want != "" && (!strings.Contains(got[0], `"code":12`) || !strings.Contains(got[0], tt.want)):
				t.Errorf("%s: answered %s, want error 12 saying %s", body, got[0], tt.want)
			}
		}
		// Nothing refused ran: key 1 holds the one accepted write.
		w.send("c1", `{"type":"txn","msg_id":99,"txn":[["r",1,null]]}`)
		if got := w.out.take(t)["c1"]; len(got) != 1 || got[0] != `{"in_reply_to":99,"type":"txn_ok","txn":[["r",1,2]]}` {
			t.Fatalf("read after the refused requests: %v", got)
		}
	})
}

// TestNodeEndToEnd drives one node through its wire protocol in virtual
// time: transactions are answered at once, replicated in a batch on the next
// tick, and a peer's batch becomes visible to later transactions.
func TestNodeEndToEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := startNode(t, "-interval", "50ms")
		w.send("c1", `{"type":"txn","msg_id":2,"txn":[["w",1,5],["r",1,null],["r",2,null],["w",1,6]]}`)
		if got, want := w.out.take(t)["c1"], `{"in_reply_to":2,"type":"txn_ok","txn":[["w",1,5],["r",1,5],["r",2,null],["w",1,6]]}`; len(got) != 1 || got[0] != want {
			t.Fatalf("replies %v, want %s", got, want)
		}
		time.Sleep(60 * time.Millisecond)
		synctest.Wait()
		got := w.out.take(t)
		if b := `{"type":"txn_repl","have":[1,0],"runs":[{"o":0,"s":1,"t":[[1,[[1,6]]]]}]}`; len(got["n1"]) != 1 || got["n1"][0] != b {
			t.Fatalf("replication %v, want %s", got, b)
		}
		w.send("n1", `{"type":"txn_repl","have":[1,1],"runs":[{"o":1,"s":1,"t":[[7,[[2,9],[1,8]]]]}]}`)
		w.send("c1", `{"type":"txn","msg_id":4,"txn":[["r",1,null],["r",2,null]]}`)
		if got := w.out.take(t)["c1"]; len(got) != 1 || got[0] != `{"in_reply_to":4,"type":"txn_ok","txn":[["r",1,8],["r",2,9]]}` {
			t.Fatalf("after n1's batch, read %v", got)
		}
		w.stop()
	})
}

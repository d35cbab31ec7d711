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

func TestSetupRejectsBadArgs(t *testing.T) {
	for _, args := range [][]string{{"-interval", "0s"}, {"-nope"}, {"extra"}} {
		if err := Setup(node.New(node.WithIO(strings.NewReader(""), io.Discard)), args); err == nil {
			t.Errorf("Setup(%q) accepted", args)
		}
	}
	// A bad replication setting is caught when init builds the replica.
	var out bytes.Buffer
	n := node.New(node.WithIO(strings.NewReader(`{"src":"c0","dest":"n0","body":{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0"]}}`+"\n"), &out))
	if err := Setup(n, []string{"-max-batch", "0"}); err != nil {
		t.Fatal(err)
	}
	if err := n.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"type":"error"`) || !strings.Contains(out.String(), "max batch") {
		t.Errorf("init with -max-batch 0 answered %s", out.String())
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

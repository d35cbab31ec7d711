package linkv

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/glomers/glomers/node"
	"github.com/rs/zerolog"
)

// This file is a small in-process Maelstrom for the node's own tests:
// nodes of Program joined by a router that can cut links, and clients that
// call them, all in a synctest bubble so that timeouts are virtual.

// inbox is a node's input: lines pushed without blocking, read as a stream.
type inbox struct {
	ch  chan []byte
	buf []byte
}

func (b *inbox) Read(p []byte) (int, error) {
	if len(b.buf) == 0 {
		line, ok := <-b.ch
		if !ok {
			return 0, io.EOF
		}
		b.buf = line
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	return n, nil
}

type cluster struct {
	t     *testing.T
	ids   []string
	in    map[string]*inbox
	mu    sync.Mutex
	cut   map[[2]string]bool          // {from, to} links that drop
	calls map[int64]chan node.Message // client calls waiting, by msg_id
	next  int64
	sent  map[string]int // messages between nodes, by type
	done  sync.WaitGroup
}

// outbox routes what one node writes.
type outbox struct{ c *cluster }

func (o outbox) Write(p []byte) (int, error) {
	var env struct {
		Src, Dest string
		Body      json.RawMessage
	}
	if err := json.Unmarshal(p, &env); err != nil {
		o.c.t.Errorf("node wrote %q: %v", p, err)
		return len(p), nil
	}
	o.c.route(env.Src, env.Dest, env.Body, append([]byte(nil), p...))
	return len(p), nil
}

func (c *cluster) route(src, dest string, body json.RawMessage, line []byte) {
	var hdr struct {
		Type      string `json:"type"`
		InReplyTo int64  `json:"in_reply_to"`
	}
	_ = json.Unmarshal(body, &hdr)
	c.mu.Lock()
	defer c.mu.Unlock()
	if in, ok := c.in[dest]; ok {
		c.sent[hdr.Type]++
		if !c.cut[[2]string{src, dest}] {
			in.ch <- line
		}
		return
	}
	if ch, ok := c.calls[hdr.InReplyTo]; ok {
		delete(c.calls, hdr.InReplyTo)
		ch <- node.Message{Src: src, Dest: dest, Body: body}
	}
}

// startCluster runs n nodes of Program with args; call it in a bubble and
// stop the cluster before the bubble ends.
func startCluster(t *testing.T, n int, args ...string) *cluster {
	c := &cluster{t: t, in: map[string]*inbox{}, cut: map[[2]string]bool{}, calls: map[int64]chan node.Message{}, sent: map[string]int{}}
	for i := range n {
		c.ids = append(c.ids, fmt.Sprintf("n%d", i))
	}
	build, err := Program.Builder(args)
	if err != nil {
		t.Fatal(err)
	}
	ids, _ := json.Marshal(c.ids)
	for i, id := range c.ids {
		in := &inbox{ch: make(chan []byte, 1<<16)}
		c.in[id] = in
		nd := node.New(build, node.WithIO(in, outbox{c}), node.WithLogger(zerolog.Nop()), node.WithSeed(uint64(i)+1))
		c.done.Add(1)
		go func() {
			defer c.done.Done()
			if err := nd.Run(context.Background()); err != nil {
				t.Errorf("%s: %v", id, err)
			}
		}()
		c.call(id, fmt.Sprintf(`{"type":"init","node_id":%q,"node_ids":%s}`, id, ids), time.Second)
	}
	return c
}

func (c *cluster) stop() {
	for _, in := range c.in {
		close(in.ch)
	}
	c.done.Wait()
}

// call sends body to a node from client c1 and returns the reply body, or
// nil if none came within timeout.
func (c *cluster) call(dest, body string, timeout time.Duration) map[string]any {
	c.mu.Lock()
	c.next++
	id := c.next
	ch := make(chan node.Message, 1)
	c.calls[id] = ch
	var b map[string]any
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		c.t.Fatal(err)
	}
	b["msg_id"] = id
	line, _ := json.Marshal(map[string]any{"src": "c1", "dest": dest, "body": b})
	c.in[dest].ch <- append(line, '\n')
	c.mu.Unlock()
	select {
	case m := <-ch:
		var out map[string]any
		_ = json.Unmarshal(m.Body, &out)
		return out
	case <-time.After(timeout):
		c.mu.Lock()
		delete(c.calls, id)
		c.mu.Unlock()
		return nil
	}
}

// isolate cuts node x off from every other node, both ways; heal undoes
// every cut.
func (c *cluster) isolate(x string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range c.ids {
		if id != x {
			c.cut[[2]string{x, id}], c.cut[[2]string{id, x}] = true, true
		}
	}
}

func (c *cluster) heal() {
	c.mu.Lock()
	clear(c.cut)
	c.mu.Unlock()
}

// inBubble runs f on a fresh cluster of n nodes in a synctest bubble.
func inBubble(t *testing.T, n int, f func(c *cluster)) {
	synctest.Test(t, func(t *testing.T) {
		c := startCluster(t, n)
		defer c.stop()
		time.Sleep(2 * time.Second) // an election
		f(c)
	})
}

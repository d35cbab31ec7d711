package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// harness runs a Node over in-memory pipes: the test writes input lines and
// reads the node's output one message at a time.
type harness struct {
	t    *testing.T
	n    *Node
	in   *io.PipeWriter
	out  *lineSink
	done chan error
}

// lineSink collects written lines; it also records whether every Write was
// exactly one whole line.
type lineSink struct {
	mu      sync.Mutex
	lines   chan []byte
	partial bool
}

func (s *lineSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if bytes.Count(p, []byte("\n")) != 1 || p[len(p)-1] != '\n' {
		s.partial = true
	}
	s.lines <- bytes.Clone(p)
	return len(p), nil
}

// newHarness starts a node that builds its workload with build; a nil
// build serves nothing but init.
func newHarness(t *testing.T, build Builder) *harness {
	t.Helper()
	pr, pw := io.Pipe()
	sink := &lineSink{lines: make(chan []byte, 100000)}
	n := New(build, WithIO(pr, sink), WithLogger(zerolog.Nop()))
	h := &harness{t: t, n: n, in: pw, out: sink, done: make(chan error, 1)}
	go func() { h.done <- n.Run(context.Background()) }()
	t.Cleanup(func() { pw.Close() })
	return h
}

// pendingCount is how many RPCs wait for a reply.
func (n *Node) pendingCount() int {
	n.pendingMu.Lock()
	defer n.pendingMu.Unlock()
	return len(n.pending)
}

// send writes one raw input line.
func (h *harness) send(line string) {
	h.t.Helper()
	if _, err := io.WriteString(h.in, line+"\n"); err != nil {
		h.t.Fatalf("write input: %v", err)
	}
}

// msg writes a message from src with the given body.
func (h *harness) msg(src, body string) {
	h.send(`{"src":"` + src + `","dest":"n1","body":` + body + `}`)
}

// init initialises the node as n1 of n1, n2 and n3.
func (h *harness) init() {
	h.t.Helper()
	h.msg("c0", `{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1","n2","n3"]}`)
	if got := h.next(); got.Body["type"] != "init_ok" {
		h.t.Fatalf("want init_ok, got %v", got.Body)
	}
}

// wantError reads the next output message and fails unless it is an error
// with code in reply to msgID, from n1, whose text holds every one of texts.
func (h *harness) wantError(code int, msgID int64, texts ...string) outMsg {
	h.t.Helper()
	got := h.next()
	if got.Body["type"] != "error" || got.Body["code"] != json.Number(fmt.Sprint(code)) ||
		got.Body["in_reply_to"] != json.Number(fmt.Sprint(msgID)) || got.Src != "n1" {
		h.t.Fatalf("want error %d from n1 in reply to %d, got %s", code, msgID, got.Raw)
	}
	for _, s := range texts {
		if !strings.Contains(fmt.Sprint(got.Body["text"]), s) {
			h.t.Fatalf("error text %q does not mention %q", got.Body["text"], s)
		}
	}
	return got
}

// wantEcho sends an echo request and fails unless it is answered: the node
// is still serving.
func (h *harness) wantEcho() {
	h.t.Helper()
	h.msg("c1", `{"type":"echo","msg_id":100,"echo":"alive"}`)
	if got := h.next(); got.Body["echo"] != "alive" || got.Body["in_reply_to"] != json.Number("100") {
		h.t.Fatalf("node not serving echo: %s", got.Raw)
	}
}

type outMsg struct {
	Src, Dest string
	Body      map[string]any
	Raw       string
}

// next returns the next output message, failing after ten seconds.
func (h *harness) next() outMsg {
	h.t.Helper()
	select {
	case line := <-h.out.lines:
		var m struct {
			Src  string         `json:"src"`
			Dest string         `json:"dest"`
			Body map[string]any `json:"body"`
		}
		if err := Decode(line, &m); err != nil {
			h.t.Fatalf("output line %q is not a message: %v", line, err)
		}
		return outMsg{Src: m.Src, Dest: m.Dest, Body: m.Body, Raw: strings.TrimSpace(string(line))}
	case <-time.After(10 * time.Second):
		h.t.Fatal("no output within 10s")
		return outMsg{}
	}
}

// noOutput asserts nothing is written within a short while.
func (h *harness) noOutput() {
	h.t.Helper()
	select {
	case line := <-h.out.lines:
		h.t.Fatalf("unexpected output %s", line)
	case <-time.After(50 * time.Millisecond):
	}
}

// close ends the input and waits for Run to return.
func (h *harness) close() error {
	h.t.Helper()
	h.in.Close()
	select {
	case err := <-h.done:
		return err
	case <-time.After(5 * time.Second):
		h.t.Fatal("Run did not return after end of input")
		return nil
	}
}

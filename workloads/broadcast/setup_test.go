package broadcast

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"testing"

	"github.com/glomers/glomers/node"
	"github.com/rs/zerolog"
)

// wire drives one node through its stdin and stdout, one request at a time.
type wire struct {
	t       *testing.T
	in      *io.PipeWriter
	out     *bufio.Reader
	gossips int // gossip messages the node sent to peers
}

type wireMsg struct {
	Dest string         `json:"dest"`
	Body map[string]any `json:"body"`
}

// call sends a request line with msg_id id (0: none expected back) and
// returns the reply body.
func (w *wire) call(id int, body string) map[string]any {
	w.t.Helper()
	if _, err := fmt.Fprintf(w.in, `{"src":"c1","dest":"n0","body":%s}`+"\n", body); err != nil {
		w.t.Fatal(err)
	}
	for id != 0 {
		line, err := w.out.ReadBytes('\n')
		if err != nil {
			w.t.Fatalf("waiting for the reply to %d: %v", id, err)
		}
		var m wireMsg
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			w.t.Fatalf("output line %q: %v", line, err)
		}
		if m.Body["in_reply_to"] == json.Number(fmt.Sprint(id)) {
			return m.Body
		}
		if m.Dest == "n1" && m.Body["type"] == typeGossip {
			w.gossips++
		}
	}
	return nil
}

// TestSetupServesClientsAndRejectsBadInput checks the handlers on the wire:
// replies, error codes for bad input, exact 64-bit values, and a peer's
// gossip showing up in reads.
func TestSetupServesClientsAndRejectsBadInput(t *testing.T) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	n := node.New(node.WithIO(inR, outW), node.WithLogger(zerolog.Nop()))
	if err := Setup(n, nil); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- n.Run(context.Background()); outW.Close() }()
	w := &wire{t: t, in: inW, out: bufio.NewReader(outR)}

	for _, tc := range []struct {
		id         int
		body, want string
	}{
		{1, `{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0","n1"]}`, "init_ok"},
		{2, `{"type":"topology","msg_id":2,"topology":{"n0":["n1"]}}`, "topology_ok"},
		{3, `{"type":"broadcast","msg_id":3,"message":4611686018427387904}`, "broadcast_ok"},
		{4, `{"type":"broadcast","msg_id":4,"message":"seven"}`, "error"},
		{5, `{"type":"broadcast","msg_id":5}`, "error"},
		{6, `{"type":"gossip","msg_id":6,"segs":[]}`, "error"}, // from a client
	} {
		got := w.call(tc.id, tc.body)
		if got["type"] != tc.want {
			t.Errorf("reply to %s: %v, want %s", tc.body, got, tc.want)
		}
		if tc.want == "error" && got["code"] != json.Number("12") {
			t.Errorf("reply to %s has code %v, want 12 (malformed-request)", tc.body, got["code"])
		}
	}
	if _, err := fmt.Fprintln(inW, `{"src":"n1","dest":"n0","body":{"type":"gossip","segs":[{"o":1,"s":0,"v":[-5]}]}}`); err != nil {
		t.Fatal(err)
	}
	// The gossip is handled concurrently with what follows: read until it shows.
	for i := 0; ; i++ {
		msgs, _ := json.Marshal(w.call(100+i, fmt.Sprintf(`{"type":"read","msg_id":%d}`, 100+i))["messages"])
		if string(msgs) == `[4611686018427387904,-5]` {
			break
		}
		if i == 1000 || string(msgs) != `[4611686018427387904]` {
			t.Fatalf("read returned %s, want [4611686018427387904,-5]", msgs)
		}
	}
	inW.Close()
	if _, err := io.Copy(io.Discard, outR); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if w.gossips != 1 {
		t.Errorf("%d gossip messages to n1, want 1 (the broadcast value, at once)", w.gossips)
	}
}

package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/glomers/glomers/node"
	"github.com/glomers/glomers/sim/services"
)

// replyHeader is what the simulator reads of a reply body to judge it.
type replyHeader struct {
	Type string `json:"type"`
	Code int    `json:"code"`
}

// serviceEnd puts one of Maelstrom's services on the network. It answers
// on the goroutine that delivers the request (the scheduler's, or the
// sender's when there is no latency); the reply takes the latency again.
type serviceEnd struct {
	nw   *network
	self *endpoint
	svc  services.Service
	bad  func(problem string)
}

func (s *serviceEnd) receive(m *message) {
	msg, hdr, err := node.ParseLine(m.line)
	switch {
	case err != nil:
		s.bad(fmt.Sprintf("%s sent %s a message that does not decode: %v", m.from.id, s.self.id, err))
		return
	case hdr.InReplyTo != 0 || hdr.MsgID == 0:
		// A reply (services ask nothing) or a request expecting no reply.
		return
	}
	reply, err := json.Marshal(s.svc.Handle(m.from.id, msg.Body))
	if err != nil || len(reply) < 2 || reply[0] != '{' {
		s.bad(fmt.Sprintf("%s: reply to %s does not encode as an object: %v", s.self.id, m.from.id, err))
		return
	}
	s.nw.send(s.self, m.from.id, envelope(s.self.id, m.from.id, reply, "in_reply_to", hdr.MsgID))
}

// errTimeout is returned by conn.call when no reply came in time.
var errTimeout = errors.New("no reply in time")

// conn is a client's connection: it sends requests with fresh msg_ids and
// routes replies to the calls waiting for them. Replies to calls that gave
// up are dropped.
type conn struct {
	nw   *network
	self *endpoint

	mu      sync.Mutex
	last    int64                          // last msg_id used
	pending map[int64]chan json.RawMessage // waiting calls by msg_id
}

func (c *conn) receive(m *message) {
	msg, hdr, err := node.ParseLine(m.line)
	if err != nil {
		return
	}
	c.mu.Lock()
	ch := c.pending[hdr.InReplyTo]
	delete(c.pending, hdr.InReplyTo)
	c.mu.Unlock()
	if ch != nil {
		ch <- msg.Body // one-slot buffer, one sender: never blocks
	}
}

// call sends body (a JSON object without msg_id) to dest and waits for the
// reply body, errTimeout, or the end of ctx.
func (c *conn) call(ctx context.Context, dest string, body []byte, timeout time.Duration) (json.RawMessage, error) {
	ch := make(chan json.RawMessage, 1)
	c.mu.Lock()
	c.last++
	id := c.last
	if c.pending == nil {
		c.pending = make(map[int64]chan json.RawMessage)
	}
	c.pending[id] = ch
	c.mu.Unlock()

	c.nw.send(c.self, dest, envelope(c.self.id, dest, body, "msg_id", id))
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r, nil
	case <-t.C:
		c.forget(id)
		return nil, errTimeout
	case <-ctx.Done():
		c.forget(id)
		return nil, ctx.Err()
	}
}

func (c *conn) forget(id int64) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

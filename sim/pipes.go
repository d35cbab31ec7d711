package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// inbox is a node's input: an unbounded queue of lines that the network
// pushes without ever blocking, read back as one byte stream. The reader
// waits on a channel, which inside a synctest bubble counts as durably
// blocked, so virtual time moves on while nodes are idle.
type inbox struct {
	mu     sync.Mutex
	q      [][]byte // unread lines; q[0][off:] is what is left of the first
	off    int
	closed bool
	ready  chan struct{} // cap 1: lines arrived or the inbox closed
}

func newInbox() *inbox { return &inbox{ready: make(chan struct{}, 1)} }

// receive queues a delivered message's line; after close it is dropped.
func (b *inbox) receive(m *message) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.q = append(b.q, m.line)
	first := len(b.q) == 1
	b.mu.Unlock()
	if first {
		b.signal()
	}
}

func (b *inbox) signal() {
	select {
	case b.ready <- struct{}{}:
	default:
	}
}

// close ends the stream: the reader gets io.EOF once the queue is drained.
func (b *inbox) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.signal()
}

// Read implements io.Reader, copying as many queued lines as fit in p.
// It has a single reader.
func (b *inbox) Read(p []byte) (int, error) {
	for {
		b.mu.Lock()
		n := 0
		for len(b.q) > 0 && n < len(p) {
			c := copy(p[n:], b.q[0][b.off:])
			n += c
			b.off += c
			if b.off == len(b.q[0]) {
				b.q[0] = nil
				b.q = b.q[1:]
				b.off = 0
			}
		}
		closed := b.closed
		b.mu.Unlock()
		switch {
		case n > 0:
			return n, nil
		case closed:
			return 0, io.EOF
		}
		<-b.ready
	}
}

// outbox is a node's output: it splits what the node writes into lines,
// reads each line's destination and posts it to the loop. A line that
// is not a message from this node is reported to bad and dropped; strict
// outboxes (real processes) also check that the whole line is valid JSON,
// while in-process nodes, whose lines package node writes, are trusted.
type outbox struct {
	mail   *mailbox
	self   *endpoint
	strict bool
	bad    func(problem string)

	mu      sync.Mutex
	partial []byte // an unfinished line
}

// Write implements io.Writer. It never fails: the network never blocks.
func (o *outbox) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			o.partial = append(o.partial, p...)
			break
		}
		var line []byte
		if len(o.partial) > 0 {
			line = append(o.partial, p[:i+1]...)
			o.partial = nil
		} else {
			line = bytes.Clone(p[:i+1])
		}
		p = p[i+1:]
		o.route(line)
	}
	return n, nil
}

// flush reports an unfinished last line, once the output has ended.
func (o *outbox) flush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(bytes.TrimSpace(o.partial)) > 0 {
		o.bad(fmt.Sprintf("%s: output ended inside a line: %.80q", o.self.id, o.partial))
	}
	o.partial = nil
}

func (o *outbox) route(line []byte) {
	if len(bytes.TrimSpace(line)) == 0 {
		return
	}
	src, dest, ok := header(line)
	switch {
	case !ok || (o.strict && !json.Valid(line)):
		o.bad(fmt.Sprintf("%s wrote a line that is not a message: %.120q", o.self.id, line))
		return
	case src != o.self.id:
		o.bad(fmt.Sprintf("%s wrote a message with src %q: %.120q", o.self.id, src, line))
		return
	}
	o.mail.post(item{kind: itemSend, from: o.self, dest: dest, line: line})
}

package node

import (
	"encoding/json"
	"fmt"
	"github.com/glomers/glomers/internal/wire"
	"sync"
)

// This file is the output side of the runtime: encoding bodies and writing
// each message as one line with a single Write.

// linePool recycles output line buffers: io.Writer must not keep the slice
// after Write returns, so a buffer is free again as soon as it is written.
// Buffers grown past maxPooledLine by a large message are left to the GC.
const maxPooledLine = 64 << 10

var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// send writes one message. key/val, when key is not empty, is spliced in as
// the body's first member, so the caller's body is never re-decoded.
func (n *Node) send(dest string, body any, key string, val int64) error {
	b, err := encodeBody(body)
	if err != nil {
		return fmt.Errorf("send to %s: %w", dest, err)
	}
	return n.write(n.ID(), dest, b, key, val)
}

// encodeBody encodes a message body, which must be a JSON object.
func encodeBody(body any) ([]byte, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode body: %w", err)
	}
	if len(b) < 2 || b[0] != '{' {
		return nil, fmt.Errorf("body is not a JSON object: %.40s", b)
	}
	return b, nil
}

// write sends an encoded body from src. Copies of the runtime's own keys in
// the body (a forwarded request still holding its msg_id, say) are removed,
// so a receiver never sees two and picks the wrong one.
func (n *Node) write(src, dest string, body []byte, key string, val int64) error {
	if key != "" {
		body = wire.WithoutKeys(body, "msg_id", "in_reply_to")
	}
	buf := linePool.Get().(*[]byte)
	line := wire.AppendEnvelope((*buf)[:0], src, dest, body, key, val)
	n.outMu.Lock()
	_, err := n.out.Write(line)
	n.outMu.Unlock()
	if cap(line) <= maxPooledLine {
		*buf = line
		linePool.Put(buf)
	}
	if err != nil {
		return fmt.Errorf("send to %s: %w", dest, err)
	}
	return nil
}

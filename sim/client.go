package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/glomers/glomers/node"
)

// limiter spaces the requests of all clients: gaps uniform in
// [0, 2/rate), like Jepsen's stagger, so the total rate is at most rate.
// A client that is late (busy waiting for a reply) takes the next slot at
// once; missed slots are not made up.
type limiter struct {
	mu   sync.Mutex
	next time.Time
	gap  time.Duration // mean gap: 1/rate
	r    *rand.Rand
}

// take returns the time of the next request, or false if it falls at or
// after end.
func (l *limiter) take(end time.Time) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	slot := l.next
	if now := time.Now(); slot.Before(now) {
		slot = now
	}
	if !slot.Before(end) {
		return time.Time{}, false
	}
	l.next = slot.Add(time.Duration(l.r.Float64() * 2 * float64(l.gap)))
	return slot, true
}

// proc is one client thread: it sends its generator's requests to its
// node, one at a time, and records them in the history.
type proc struct {
	r       *run
	conn    *conn
	gen     Client
	process int
	node    string
}

// load runs the thread's share of the load until end.
func (p *proc) load(ctx context.Context, lim *limiter, end time.Time) error {
	for {
		slot, ok := lim.take(end)
		if !ok || !sleepUntil(ctx, slot) {
			return nil
		}
		if err := p.do(ctx, p.gen.Next(), false); err != nil {
			return err
		}
	}
}

// final sends the thread's final requests, in order.
func (p *proc) final(ctx context.Context, reqs []Body) error {
	for _, b := range reqs {
		if err := p.do(ctx, b, true); err != nil {
			return err
		}
	}
	return nil
}

// do performs one operation. It fails only on a request that is not a
// JSON object with a type (a spec's bug) or when ctx ends.
func (p *proc) do(ctx context.Context, body Body, final bool) error {
	req, typ, err := encodeRequest(body)
	if err != nil {
		return fmt.Errorf("client %s: %w", p.conn.self.id, err)
	}
	i := p.r.hist.invoke(Op{Process: p.process, Node: p.node, Type: typ, Req: req, Invoke: p.r.since(), Final: final})
	resp, err := p.conn.call(ctx, p.node, req, p.r.cfg.ClientTimeout)
	if err != nil && !errors.Is(err, errTimeout) {
		return err
	}
	status, code := outcome(typ, resp)
	op := p.r.hist.complete(i, resp, status, code, p.r.since())
	if status == Info {
		p.process += p.r.cfg.Concurrency
	}
	p.gen.Observe(op)
	return nil
}

// encodeRequest marshals a request body and reads its type.
func encodeRequest(body Body) (json.RawMessage, string, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, "", fmt.Errorf("encode request: %w", err)
	}
	var hdr struct {
		Type  string `json:"type"`
		MsgID *int64 `json:"msg_id"`
	}
	if len(b) == 0 || b[0] != '{' || json.Unmarshal(b, &hdr) != nil || hdr.Type == "" || hdr.MsgID != nil {
		return nil, "", fmt.Errorf("request %.80s is not a JSON object with a type and without msg_id", b)
	}
	return b, hdr.Type, nil
}

// outcome judges the reply to a request of type typ; a nil reply means none
// came in time. As in Maelstrom's clients, a timeout or an indefinite error
// leaves the operation indeterminate (Info), except for reads: they change
// nothing, so they simply fail.
func outcome(typ string, resp json.RawMessage) (Status, int) {
	status, code := Info, 0
	if resp != nil {
		var hdr replyHeader
		if json.Unmarshal(resp, &hdr) != nil || hdr.Type != "error" {
			return OK, 0
		}
		code = hdr.Code
		if (&node.Error{Code: code}).Definite() {
			status = Fail
		}
	}
	if typ == idempotentType {
		status = Fail
	}
	return status, code
}

// idempotentType is the request type whose timeouts and indefinite errors
// count as failures: every Maelstrom workload that reads calls it "read".
const idempotentType = "read"

// recorder keeps the history in invocation order.
type recorder struct {
	mu sync.Mutex
	h  History
}

func (r *recorder) invoke(op Op) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.h = append(r.h, op)
	return len(r.h) - 1
}

func (r *recorder) complete(i int, resp json.RawMessage, s Status, code int, at time.Duration) Op {
	r.mu.Lock()
	defer r.mu.Unlock()
	op := &r.h[i]
	op.Resp, op.Status, op.ErrCode, op.Complete = resp, s, code, at
	return *op
}

func (r *recorder) history() History {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.h
}

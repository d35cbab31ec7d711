package sim

import (
	"encoding/json"
	"fmt"
	"github.com/glomers/glomers/internal/wire"
	"runtime/debug"
	"time"

	"github.com/glomers/glomers/sim/gen"
)

// clientConn is one Maelstrom client on the network (maelstrom.client): an
// endpoint c<N>, its message ids, and the one call it may have in flight.
// The loop owns everything but reply, which the calling goroutine reads.
type clientConn struct {
	ep      *endpoint
	order   int // creation order, for a canonical order of calls
	lastID  int64
	waiting *pendingRPC
	reply   chan callResult // cap 1: the answer to the call in flight
	conn    *Conn           // what the workload's client code holds
}

// pendingRPC is a call waiting for its reply.
type pendingRPC struct {
	cl   *clientConn
	id   int64
	done bool // answered or timed out
}

// callResult is what a waiting call gets: the reply body or an error.
type callResult struct {
	body json.RawMessage
	err  error
}

// openClient registers a fresh client endpoint. Only the loop calls it.
func (r *run) openClient() *clientConn {
	id := "c" + fmt.Sprint(r.nextClient)
	r.nextClient++
	cl := &clientConn{order: r.nextClient, reply: make(chan callResult, 1)}
	cl.ep = r.nw.add(id, client, cl, nil)
	cl.conn = &Conn{id: id, timeout: r.cfg.ClientTimeout, call: func(dest string, body []byte, timeout time.Duration) (json.RawMessage, error) {
		r.mail.post(item{kind: itemCall, cl: cl, dest: dest, line: body, timeout: timeout})
		res := <-cl.reply
		return res.body, res.err
	}}
	return cl
}

// close retires a client: replies still on their way to it are counted
// and dropped, as Maelstrom's network refuses them.
func (cl *clientConn) close() { cl.ep.closed = true }

// call sends a posted request and schedules its timeout. Loop only.
func (r *run) call(it item) {
	cl := it.cl
	cl.lastID++
	p := &pendingRPC{cl: cl, id: cl.lastID}
	cl.waiting = p
	r.send(cl.ep, it.dest, envelope(cl.ep.id, it.dest, it.line, "msg_id", p.id))
	r.tl.at(event{at: time.Now().Add(it.timeout), kind: evTimeout, call: p})
}

// receive takes a reply for the client, on the loop: the answer to the
// call in flight goes to the waiting goroutine; any other message (a late
// reply to a call given up on) is dropped, as Maelstrom's client skips it.
func (cl *clientConn) receive(m *message) {
	p := cl.waiting
	if p == nil || p.done {
		return
	}
	msg, hdr, err := wire.ParseLine(m.line)
	if err != nil || hdr.InReplyTo != p.id {
		return
	}
	p.done = true
	cl.waiting = nil
	cl.reply <- callResult{body: msg.Body}
}

// timeout gives up on a call that has had no reply.
func (p *pendingRPC) timeout() {
	if p.done {
		return
	}
	p.done = true
	p.cl.waiting = nil
	p.cl.reply <- callResult{err: ErrTimeout}
}

// thread is one of Jepsen's worker threads: a client thread runs the
// workload's client on its own goroutine, one operation at a time; the
// nemesis thread's operations the loop performs itself.
type thread struct {
	n       int    // thread number
	node    string // the server a client thread talks to ("" for the nemesis)
	process int    // the process whose operation is in flight
	cl      *clientConn
	jobs    chan gen.Op // cap 1: the next operation
	out     gen.Op      // the completion, set before it is posted
	hist    int         // history index of the operation in flight; -1 for none
}

// work runs the thread's operations until jobs is closed.
func (th *thread) work(r *run, jobs <-chan gen.Op) {
	for op := range jobs {
		th.out = invoke(r.cfg.Spec, th.cl.conn, th.node, op)
		r.mail.post(item{kind: itemComplete, th: th})
	}
}

// invoke performs op with the workload's client and returns its completion.
// A client that returns an error or panics has crashed: the operation is
// indeterminate, as Jepsen's interpreter records it.
func invoke(s Spec, c *Conn, node string, op gen.Op) (out gen.Op) {
	defer func() {
		if p := recover(); p != nil {
			out = crashed(op, fmt.Errorf("panic: %v\n%s", p, debug.Stack()))
		}
	}()
	done, err := s.Invoke(c, node, op)
	if err != nil {
		return crashed(op, err)
	}
	switch done.Type {
	case gen.OK, gen.Fail, gen.Info:
	default:
		return crashed(op, fmt.Errorf("client completed %s with type %s", op.F, done.Type))
	}
	done.Process, done.F = op.Process, op.F
	return done
}

// crashed is the completion of an operation whose client crashed.
func crashed(op gen.Op, err error) gen.Op {
	op.Type, op.Error = gen.Info, "indeterminate: "+err.Error()
	return op
}

// Package node is the runtime every glomers binary is built on: it speaks
// Maelstrom's protocol (one JSON message per line on stdin and stdout),
// dispatches requests to handlers, and gives handlers request/response calls
// to peers and to Maelstrom's services.
//
// This file is the whole contract; the machinery behind it is in
// dispatch.go (input), out.go (output), wire.go (the line format) and
// workers.go (handler goroutines). A workload creates a Node, registers
// handlers with Handle (or the typed adapter Typed), optionally hooks OnInit
// and Every, and calls Run:
//
//	n := node.New()
//	n.Handle("echo", node.Typed(func(ctx context.Context, m node.Message, req echoReq) (any, error) {
//		return echoOK{Type: "echo_ok", Echo: req.Echo}, nil
//	}))
//	err := n.Run(context.Background())
//
// Design choices, each one the fix for a trap of Maelstrom's own Go helper:
//
//   - Input is read with a bufio.Reader and long lines are assembled, so a
//     line of any size is served (the helper's Scanner dies on lines over
//     64 KiB). Envelopes and body headers are parsed without reflection.
//   - Bodies stay json.RawMessage until a handler decodes them into its own
//     type; the runtime adds msg_id and in_reply_to by splicing bytes, never by
//     a map round trip, so integers stay exact (2^62 survives).
//   - RPC waits on a one-slot channel and removes its own callback when its
//     context ends, so a timed-out call leaves nothing behind and a late reply
//     is dropped with a debug log line.
//   - Unknown types, malformed JSON, stray replies and messages before init are
//     logged and, where the sender expects an answer, answered with an error;
//     they never stop the node.
//   - Each message is written with a single Write call under one mutex, so
//     lines from concurrent goroutines never interleave; nothing is logged
//     under that mutex.
//
// Concurrency: every request runs in its own goroutine, so handlers must
// guard shared state themselves. Replies to RPCs are routed inline by the
// read loop. On end of input the node fails the RPCs still waiting (no reply
// can arrive any more), cancels the context handlers and tasks were given,
// waits for them to return, and Run returns nil.
package node

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	maelstrom "github.com/jepsen-io/maelstrom/demo/go"
	"github.com/rs/zerolog"
)

// Message is one envelope on the wire: source, destination and a raw body.
// It is the official Maelstrom package's type.
type Message = maelstrom.Message

// HandlerFunc serves one request. A non-nil reply is sent back to the
// sender with in_reply_to set by the runtime; an error becomes an error
// reply (see ErrorFor). A handler that has nothing to answer (a gossip
// message with no msg_id, say) returns nil, nil.
type HandlerFunc func(ctx context.Context, msg Message) (reply any, err error)

// Typed adapts a handler that wants its request body decoded into Req.
// A body that does not decode is answered with malformed-request (12).
// Numbers decoded into interface values are json.Number, so they stay exact.
func Typed[Req any](h func(ctx context.Context, msg Message, req Req) (any, error)) HandlerFunc {
	return func(ctx context.Context, msg Message) (any, error) {
		var req Req
		if err := Decode(msg.Body, &req); err != nil {
			return nil, NewError(CodeMalformedRequest, "decode %s body: %v", bodyType(msg.Body), err)
		}
		return h(ctx, msg, req)
	}
}

// Decode decodes a JSON body into v, keeping numbers in interface values as
// json.Number rather than float64. Types with no interface inside them take
// the faster json.Unmarshal path, which is exact for them already. Anything
// after the value is an error on both paths.
func Decode(body []byte, v any) error {
	if !holdsInterface(reflect.TypeOf(v), nil) {
		return json.Unmarshal(body, v)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("invalid JSON: data after the value")
	}
	return nil
}

// Option configures a Node.
type Option func(*Node)

// WithIO makes the node read messages from r and write them to w instead
// of stdin and stdout.
func WithIO(r io.Reader, w io.Writer) Option {
	return func(n *Node) { n.in, n.out = r, w }
}

// WithLogger replaces the default logger (stderr, level from GLOMERS_LOG).
func WithLogger(l zerolog.Logger) Option {
	return func(n *Node) { n.log = l }
}

// WithSeed makes the node's random source (Rand) start from seed, so that
// a simulated run is reproducible; without it the source is seeded at
// random.
func WithSeed(seed uint64) Option {
	return func(n *Node) { n.rand = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }
}

// Node is one Maelstrom node. Create it with New, register handlers and
// hooks, then call Run once.
type Node struct {
	in   io.Reader
	out  io.Writer
	log  zerolog.Logger
	rand *rand.Rand // guarded by randMu
	// randMu guards rand, which handlers may use concurrently.
	randMu sync.Mutex

	handlers map[string]HandlerFunc // written before Run only
	onInit   []func(ctx context.Context) error
	tasks    []task

	ident atomic.Pointer[identity] // nil until init

	nextID atomic.Int64 // last msg_id used by this node

	pendingMu sync.Mutex
	pending   map[int64]chan inbound // RPCs waiting for a reply, by msg_id
	closed    bool                   // input ended: no reply can arrive

	outMu sync.Mutex // one Write per message, never interleaved

	handlersWG sync.WaitGroup // requests being handled
	workers    *workers
}

// inbound is a message with its header, as the read loop parsed them.
type inbound struct {
	msg Message
	hdr Header
}

type identity struct {
	id  string
	ids []string
}

type task struct {
	every time.Duration
	fn    func(ctx context.Context)
}

// New returns a node that reads stdin and writes stdout, logging to stderr
// at the level named by the GLOMERS_LOG environment variable.
func New(opts ...Option) *Node {
	n := &Node{
		in:       os.Stdin,
		out:      os.Stdout,
		log:      DefaultLogger(),
		handlers: make(map[string]HandlerFunc),
		pending:  make(map[int64]chan inbound),
		workers:  newWorkers(),
		rand:     rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
	}
	for _, o := range opts {
		o(n)
	}
	return n
}

// Rand returns a random 63-bit integer from the node's source: a workload
// that needs randomness takes it here, so that the simulator, which seeds
// each node (WithSeed), replays the same run from the same seed.
func (n *Node) Rand() int64 {
	n.randMu.Lock()
	defer n.randMu.Unlock()
	return n.rand.Int64()
}

// Handle registers the handler for requests of type typ. It panics on a
// duplicate or on "init", which the runtime answers itself (use OnInit).
// Call it before Run.
func (n *Node) Handle(typ string, h HandlerFunc) {
	if typ == "init" {
		panic("node: init is handled by the runtime; use OnInit")
	}
	if _, dup := n.handlers[typ]; dup {
		panic(fmt.Sprintf("node: duplicate handler for %q", typ))
	}
	n.handlers[typ] = h
}

// OnInit registers a hook run when init arrives, after ID and NodeIDs are
// set and before init_ok is sent. Hooks run on the read loop, so they must
// not wait for messages (no RPC): start such work from a goroutine or Every.
// A hook's error is sent back as the init error and the node stays
// uninitialised.
func (n *Node) OnInit(fn func(ctx context.Context) error) {
	n.onInit = append(n.onInit, fn)
}

// Every registers fn to run every interval, starting after init and ending
// when input ends or Run's context is cancelled. Calls of one task never
// overlap; a panic in one is logged and the task goes on. Call it before Run.
func (n *Node) Every(interval time.Duration, fn func(ctx context.Context)) {
	if interval <= 0 {
		panic("node: Every needs a positive interval")
	}
	n.tasks = append(n.tasks, task{every: interval, fn: fn})
}

// ID is this node's id ("n3"), or "" before init.
func (n *Node) ID() string {
	if id := n.ident.Load(); id != nil {
		return id.id
	}
	return ""
}

// NodeIDs lists every server node, this one included, in the same order on
// every node; nil before init. Callers must not modify it.
func (n *Node) NodeIDs() []string {
	if id := n.ident.Load(); id != nil {
		return id.ids
	}
	return nil
}

// Log is the node's logger, for workloads to log through.
func (n *Node) Log() *zerolog.Logger { return &n.log }

// Send sends body to dest without waiting for anything. The body must be a
// JSON object and must not set msg_id or in_reply_to.
func (n *Node) Send(dest string, body any) error {
	return n.send(dest, body, "", 0)
}

// Reply answers the request req with body, which must not set msg_id or
// in_reply_to (the runtime does). It is an error to reply to a message that
// has no msg_id.
func (n *Node) Reply(req Message, body any) error {
	hdr, err := parseHeader(req.Body)
	if err != nil {
		return fmt.Errorf("reply to %s: %w", req.Src, err)
	}
	if hdr.MsgID == 0 {
		return fmt.Errorf("reply to %s: the %q message has no msg_id to answer", req.Src, hdr.Type)
	}
	return n.send(req.Src, body, "in_reply_to", hdr.MsgID)
}

// RPC sends body to dest with a fresh msg_id and waits for the reply or for
// ctx to end. body must not set msg_id or in_reply_to (the runtime sets
// msg_id, replacing any copy). An error reply is returned as *Error; otherwise, if resp is
// non-nil, the reply body is decoded into it (a *json.RawMessage takes it
// whole). When ctx ends first, RPC returns ctx.Err() wrapped and forgets the
// call: a reply arriving later is dropped. Give ctx a deadline: a request or
// reply lost to a partition is otherwise waited for until the input ends.
func (n *Node) RPC(ctx context.Context, dest string, body any, resp any) error {
	id := n.nextID.Add(1)
	ch := make(chan inbound, 1)
	n.pendingMu.Lock()
	if n.closed {
		n.pendingMu.Unlock()
		return fmt.Errorf("rpc to %s: %w", dest, ErrInputClosed)
	}
	n.pending[id] = ch
	n.pendingMu.Unlock()

	if err := n.send(dest, body, "msg_id", id); err != nil {
		n.forget(id)
		return err
	}
	select {
	case in, ok := <-ch:
		if !ok {
			return fmt.Errorf("rpc to %s: %w", dest, ErrInputClosed)
		}
		m, hdr := in.msg, in.hdr // parsed once, by the read loop
		if hdr.Type == "error" {
			var e struct {
				Code int    `json:"code"`
				Text string `json:"text"`
			}
			if err := json.Unmarshal(m.Body, &e); err != nil {
				return fmt.Errorf("rpc to %s: decode error reply: %w", dest, err)
			}
			return &Error{Code: e.Code, Text: e.Text}
		}
		if resp == nil {
			return nil
		}
		if err := Decode(m.Body, resp); err != nil {
			return fmt.Errorf("rpc to %s: decode %s: %w", dest, hdr.Type, err)
		}
		return nil
	case <-ctx.Done():
		n.forget(id)
		return fmt.Errorf("rpc to %s: %w", dest, ctx.Err())
	}
}

// ErrInputClosed is returned by RPCs that cannot get a reply because the
// node's input has ended.
var ErrInputClosed = errors.New("node input closed")

func (n *Node) forget(id int64) {
	n.pendingMu.Lock()
	delete(n.pending, id)
	n.pendingMu.Unlock()
}

// Pending reports how many RPCs are waiting for a reply; for tests and
// diagnostics.
func (n *Node) Pending() int {
	n.pendingMu.Lock()
	defer n.pendingMu.Unlock()
	return len(n.pending)
}

// Run serves messages until the input ends, and returns nil then or a
// wrapped error if reading fails. At end of input it fails the RPCs still
// waiting, cancels the context of handlers and tasks, and returns once every
// handler and task has. Cancelling ctx cancels that context at once and stops
// Run at the next input line.
func (n *Node) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var tasksWG sync.WaitGroup
	defer func() {
		n.shutdown()
		cancel()
		n.handlersWG.Wait()
		n.workers.close()
		tasksWG.Wait()
	}()

	r := bufio.NewReaderSize(n.in, 64<<10)
	var long []byte // a line longer than the reader's buffer, assembled
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, line...)
			continue
		}
		if long != nil {
			line, long = append(long, line...), nil
		}
		// dispatch copies what it keeps, so line may alias the reader's buffer.
		if len(bytes.TrimSpace(line)) > 0 {
			n.dispatch(ctx, line, func() { n.startTasks(ctx, &tasksWG) })
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read input: %w", err)
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

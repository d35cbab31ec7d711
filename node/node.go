// Package node is the runtime every glomers binary is built on: it speaks
// Maelstrom's protocol (one JSON message per line on stdin and stdout),
// builds the workload when init arrives, dispatches requests to its
// handlers, and gives handlers request/response calls to peers and to
// Maelstrom's services.
//
// A workload is a Builder: given the node and what init said (this node's
// id and every node's), it builds its state and returns its Handlers, one
// per message type; it may start background work with Every and Go, which
// Run waits for. Nothing exists before init, so there is no half-built
// state to guard. A Program adds a name, a description and flags, and Main
// runs it as a binary:
//
//	func main() {
//		node.Main(node.Program{Name: "echo", Doc: "Answers echo with its payload.",
//			New: func(*flag.FlagSet) node.Builder {
//				return func(n *node.Node, init node.Init) (node.Handlers, error) {
//					return node.Handlers{"echo": node.Typed(func(ctx context.Context, m node.Message, req echoReq) (any, error) {
//						return echoOK{Type: "echo_ok", Echo: req.Echo}, nil
//					})}, nil
//				}
//			}})
//	}
//
// This file is the contract; program.go holds Program and Main, errors.go
// the error codes, kv.go the service clients, and dispatch.go, out.go and
// workers.go the machinery. Its design in brief, each choice the fix for a
// trap of Maelstrom's own Go helper: a line of any size is read whole;
// bodies stay raw until a handler decodes them, and the runtime splices
// msg_id and in_reply_to into bytes, so integers stay exact; an RPC forgets
// itself when its context ends; bad input of every kind is answered with an
// error or logged, never a crash; each message is one Write under one
// mutex. Every request runs on its own goroutine, so handlers guard shared
// state themselves. On end of input the node fails the RPCs still waiting,
// cancels the context handlers and tasks were given, waits for them, and
// Run returns nil.
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
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/glomers/glomers/internal/wire"
	"github.com/rs/zerolog"
)

// Message is one envelope: source, destination and the raw body.
type Message struct {
	Src, Dest string
	Body      json.RawMessage
}

// HandlerFunc serves one request. A non-nil reply is sent back to the
// sender with in_reply_to set by the runtime; an error becomes an error
// reply (see ErrorFor). A handler that has nothing to answer (a gossip
// message with no msg_id, say) returns nil, nil.
type HandlerFunc func(ctx context.Context, msg Message) (reply any, err error)

// Handlers maps message types to their handlers.
type Handlers map[string]HandlerFunc

// Init is what the init message says: this node's id and every node's.
type Init struct {
	ID  string   // this node, "n3"
	IDs []string // every node, this one included, in the same order on every node
}

// Peers lists every node but this one, in IDs' order.
func (i Init) Peers() []string {
	return slices.DeleteFunc(slices.Clone(i.IDs), func(id string) bool { return id == i.ID })
}

// Index is this node's position in IDs.
func (i Init) Index() int { return slices.Index(i.IDs, i.ID) }

// Builder builds a workload once init has arrived (the node's ID is set)
// and before init_ok is sent and any other message is
// handled; it returns the workload's handlers. It runs on the read loop, so
// it must not wait for messages (no RPC); it may register background work
// with Every and Go. An error is the init's error reply, and the node stays
// uninitialised.
type Builder func(n *Node, init Init) (Handlers, error)

// Typed adapts a handler that wants its request body decoded into Req, a
// struct. A body that does not match is answered with malformed-request
// (12) naming the field: a member of the wrong type, or a missing one
// (every field is required unless its json tag says omitempty). Numbers
// decoded into interface values are json.Number, so they stay exact.
func Typed[Req any](h func(ctx context.Context, msg Message, req Req) (any, error)) HandlerFunc {
	required := requiredFields(reflect.TypeFor[Req]())
	return func(ctx context.Context, msg Message) (any, error) {
		var req Req
		if err := Decode(msg.Body, &req); err != nil {
			return nil, NewError(CodeMalformedRequest, "%s: %v", bodyType(msg.Body), err)
		}
		if err := hasFields(msg.Body, required); err != nil {
			return nil, NewError(CodeMalformedRequest, "%s: %v", bodyType(msg.Body), err)
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

// Node is one Maelstrom node. Create it with New and call Run once.
type Node struct {
	in    io.Reader
	out   io.Writer
	log   zerolog.Logger
	build Builder

	randMu sync.Mutex // guards rand: handlers draw concurrently
	rand   *rand.Rand

	handlers atomic.Pointer[Handlers] // nil until init
	ident    atomic.Pointer[Init]     // nil until init
	tasks    []task                   // registered by the Builder, started after it

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
	hdr wire.Header
}

// task is background work: fn every interval, or once when every is 0.
type task struct {
	every time.Duration
	fn    func(ctx context.Context)
}

// New returns a node that builds its workload with build when init
// arrives. By default it reads stdin and writes stdout, logging to stderr
// at the level named by the GLOMERS_LOG environment variable.
func New(build Builder, opts ...Option) *Node {
	n := &Node{
		in:      os.Stdin,
		out:     os.Stdout,
		log:     DefaultLogger(),
		build:   build,
		pending: make(map[int64]chan inbound),
		workers: newWorkers(),
		rand:    rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
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

// Every runs fn every interval from init until the input ends or Run's
// context is cancelled; calls never overlap, and a panic in one is logged
// and the task goes on. Call it from the Builder: it panics afterwards.
func (n *Node) Every(interval time.Duration, fn func(ctx context.Context)) {
	if interval <= 0 {
		panic("node: Every needs a positive interval")
	}
	n.addTask(task{every: interval, fn: fn})
}

// Go runs fn once on a goroutine of its own from init on; its context ends
// with the input or Run's, and Run returns only once fn has. Call it from
// the Builder: it panics afterwards.
func (n *Node) Go(fn func(ctx context.Context)) {
	n.addTask(task{fn: fn})
}

func (n *Node) addTask(t task) {
	if n.handlers.Load() != nil {
		panic("node: Every and Go must be called from the Builder, before init completes")
	}
	n.tasks = append(n.tasks, t)
}

// ID is this node's id ("n3"), or "" before init.
func (n *Node) ID() string {
	if id := n.ident.Load(); id != nil {
		return id.ID
	}
	return ""
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
	hdr, err := wire.ParseHeader(req.Body)
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
			n.dispatch(ctx, line, &tasksWG)
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

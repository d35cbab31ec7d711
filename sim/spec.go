package sim

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/glomers/glomers/node"
	"github.com/glomers/glomers/sim/gen"
)

// This file is the contract between the simulator's core (network,
// interpreter, nemesis, statistics) and what it must know of each
// workload: Maelstrom's generators for it, its client, and its checker.
// Specs live in package sim/spec.

// Spec is one Maelstrom workload as the simulator sees it, made fresh for
// each run. The interpreter uses its generators from one goroutine; Invoke
// runs on the client threads' goroutines, one operation per thread at a
// time, so state a Spec shares between clients must be guarded.
type Spec interface {
	// Preamble returns the requests each node gets after init and before
	// the load starts (broadcast's topology, which Maelstrom's client sends
	// in setup!), keyed by node id; nil for none.
	Preamble(nodes []string) map[string]Body

	// Generators returns the workload's generator (Maelstrom's
	// :generator) and its final generator (:final-generator; nil when the
	// workload has none, so the run ends with the load, without a heal,
	// quiet period or final operations).
	Generators(t *gen.Test) (load, final gen.Gen)

	// Invoke performs one client operation against node through c, as the
	// workload's client/invoke! does, and returns its completion: op with
	// Type OK, Fail or Info and the value the client records. An error
	// means the client crashed (Jepsen records the operation as Info and
	// the thread goes on as a fresh process).
	Invoke(c *Conn, node string, op gen.Op) (gen.Op, error)

	// Reusable reports whether a client survives a crash of its process
	// (Jepsen's client/Reusable); when false, the thread opens a fresh
	// client (a new c… id) before its next operation.
	Reusable() bool

	// Checker returns a fresh checker for one run's history.
	Checker() Checker
}

// Checker judges a run's history as it happens. A run makes one with
// Spec.Checker, tells it of every client operation's invocation and
// completion in history order (Op.InvokeEvent, Op.CompleteEvent) from the
// loop's goroutine, and asks for its verdict once the run is over.
//
// h is the history so far, in invocation order: at Invoked(h, i), h[i] is
// the last operation and only its invocation is set; at Completed, its
// completion too. The run keeps the history but not the completion values:
// once Completed returns, h[i].Out is dropped, so that a long run's reads
// do not pile up in memory (the run store has streamed them to disk). A
// checker keeps what it needs of them as it goes; WholeHistory keeps them
// all, for checkers that need the whole history at once. A checker must not
// hold on to h itself, which the run reallocates as it grows; indices into
// it stay valid.
type Checker interface {
	// Invoked is told that h[i] was invoked.
	Invoked(h History, i int)
	// Completed is told that h[i] completed.
	Completed(h History, i int)
	// Result judges the finished history h (without completion values).
	Result(h History) Result
}

// WholeHistory is a Checker for check, a function that judges a complete
// history at once (Elle's, porcupine's, Jepsen's kafka analysis): it keeps
// every completion value until the run is over and then gives check the
// history with them.
func WholeHistory(check func(History) Result) Checker {
	return &wholeHistory{check: check}
}

type wholeHistory struct {
	check func(History) Result
	outs  []any // completion values by history index
}

// Invoked implements Checker: an invocation has nothing to keep.
func (w *wholeHistory) Invoked(History, int) {}

// Completed implements Checker: it keeps the completion value.
func (w *wholeHistory) Completed(h History, i int) {
	if i >= len(w.outs) {
		w.outs = append(w.outs, make([]any, i+1-len(w.outs))...)
	}
	w.outs[i] = h[i].Out
}

// Result implements Checker: check judges h with its values restored.
func (w *wholeHistory) Result(h History) Result {
	full := slices.Clone(h)
	for i := range min(len(full), len(w.outs)) {
		full[i].Out = w.outs[i]
	}
	return w.check(full)
}

// Check replays a finished history h (in invocation order) to c as a run
// would, event by event, and returns its verdict: at each invocation the
// checker sees the history up to that operation, without its completion,
// and each completion value is dropped once the checker has seen it. h is
// not modified. Tests and tools judge histories with it.
func Check(c Checker, h History) Result {
	type event struct {
		at, op int
		done   bool
	}
	evs := make([]event, 0, 2*len(h))
	for i, op := range h {
		evs = append(evs, event{2 * op.InvokeEvent, i, false}, event{2*max(op.CompleteEvent, op.InvokeEvent) + 1, i, true})
	}
	slices.SortStableFunc(evs, func(a, b event) int { return cmp.Compare(a.at, b.at) })
	w := make(History, 0, len(h))
	for _, e := range evs {
		if !e.done {
			if e.op != len(w) {
				panic(fmt.Sprintf("sim.Check: operation %d is not in invocation order", e.op))
			}
			op := h[e.op]
			op.Out, op.Status, op.Error, op.ErrCode, op.Complete, op.CompleteEvent = nil, OK, "", 0, 0, 0
			w = append(w, op)
			c.Invoked(w, len(w)-1)
			continue
		}
		w[e.op] = h[e.op]
		c.Completed(w, e.op)
		w[e.op].Out = nil
	}
	return c.Result(w)
}

// Body is a request body: any value that encodes to a JSON object.
type Body = any

// Conn is a Maelstrom client connection (maelstrom.client): it sends one
// request at a time and waits for the reply.
type Conn struct {
	id      string
	timeout time.Duration // when RPC is given none
	call    func(dest string, body []byte, timeout time.Duration) (json.RawMessage, error)
}

// NewConn returns a connection whose requests go to call, which gets the
// destination, the encoded body (without msg_id) and the timeout, and
// returns the reply body or an error (ErrTimeout, say). It lets a test drive
// a Spec's client without a network; runs make their own connections.
func NewConn(id string, call func(dest string, body []byte, timeout time.Duration) (json.RawMessage, error)) *Conn {
	return &Conn{id: id, timeout: 5 * time.Second, call: call}
}

// ID is the client's node id (c0, c1, ...); a thread gets a fresh client,
// with a fresh id, after each crash unless the Spec's client is reusable.
func (c *Conn) ID() string { return c.id }

// RPC sends body (any value that encodes to a JSON object with a type) to
// dest and decodes the reply body into out (nil: discard), waiting at most
// timeout (0: the run's ClientTimeout, Maelstrom's 5 s by default). It returns ErrTimeout when no reply came in
// time and an *RPCError when the reply is an error body.
func (c *Conn) RPC(dest string, body any, timeout time.Duration, out any) error {
	b, err := json.Marshal(body)
	if err != nil || len(b) == 0 || b[0] != '{' {
		return fmt.Errorf("client %s: request %.80s is not a JSON object: %v", c.id, b, err)
	}
	if timeout <= 0 {
		timeout = c.timeout
	}
	resp, err := c.call(dest, b, timeout)
	if err != nil {
		return err
	}
	var hdr struct {
		Type string `json:"type"`
		Code int    `json:"code"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(resp, &hdr); err != nil {
		return fmt.Errorf("malformed reply from %s: %.200s: %w", dest, resp, err)
	}
	if hdr.Type == "error" {
		return &RPCError{Code: hdr.Code, Text: hdr.Text}
	}
	if out == nil {
		return nil
	}
	if err := node.Decode(resp, out); err != nil {
		return fmt.Errorf("malformed reply from %s: %.200s: %w", dest, resp, err)
	}
	return nil
}

// ErrTimeout is what Conn.RPC returns when no reply came in time.
var ErrTimeout = errors.New("client read timeout")

// RPCError is an error reply.
type RPCError struct {
	Code int
	Text string
}

// Error implements error.
func (e *RPCError) Error() string { return fmt.Sprintf("error %d: %s", e.Code, e.Text) }

// Definite reports whether the code means the request certainly did not
// happen, by Maelstrom's error registry.
func (e *RPCError) Definite() bool { return (&node.Error{Code: e.Code}).Definite() }

// WithErrors completes op from the error of the RPCs that performed it, as
// Maelstrom's with-errors does: a timeout makes it Fail when idempotent
// (it changed nothing, so it certainly did not happen) and Info otherwise;
// an error reply makes it Fail when its code is definite or op is
// idempotent, Info otherwise. Any other error is returned: the client
// crashed. With a nil err, op is returned as it is.
func WithErrors(op gen.Op, idempotent bool, err error) (gen.Op, error) {
	var rpc *RPCError
	switch {
	case err == nil:
		return op, nil
	case errors.Is(err, ErrTimeout):
		op.Type, op.Error = gen.Info, "net-timeout"
		if idempotent {
			op.Type = gen.Fail
		}
	case errors.As(err, &rpc):
		op.Type, op.Error, op.Code = gen.Info, rpc.Error(), rpc.Code
		if idempotent || rpc.Definite() {
			op.Type = gen.Fail
		}
	default:
		return op, err
	}
	return op, nil
}

// Status is how an operation ended, in Jepsen's terms.
type Status int

// Operation outcomes.
const (
	OK   Status = iota // it happened
	Fail               // it certainly did not happen
	Info               // it may or may not have happened: a timeout, an indefinite error, a crash
)

// String implements fmt.Stringer.
func (s Status) String() string {
	switch s {
	case OK:
		return "ok"
	case Fail:
		return "fail"
	default:
		return "info"
	}
}

// Op is one client operation of the history: its invocation and its
// completion together.
type Op struct {
	Index    int           // position in invocation order, from 0
	Process  int           // Jepsen's process: the thread, plus Concurrency for each crash before
	Node     string        // the server the client talks to
	F        string        // Jepsen's :f ("add", "read", "send", "txn", ...)
	Value    any           // the invocation's value
	Out      any           // the completion's value (for ok reads, what was read)
	Status   Status        // ok, fail or info
	Error    string        // why it failed or is indeterminate; "" for ok
	ErrCode  int           // the code of the error reply that ended it, if any
	Invoke   time.Duration // when it was invoked, since the run began
	Complete time.Duration // when it completed
	// InvokeEvent and CompleteEvent order the invocations and completions
	// of all client operations as they happened (Jepsen's history index):
	// events of one virtual instant have different numbers.
	InvokeEvent, CompleteEvent int
	Final                      bool // invoked by the final generator (Maelstrom's :final?)
	// Majority says the node could reach a majority of the servers, itself
	// included, both ways, when the operation was invoked.
	Majority bool
	Ext      map[string]any
}

// History is every client operation of a run, in invocation order.
type History []Op

// Refs names the operations of h whose Index is among indices, in the
// order of indices, skipping any h lacks, at most limit of them. h is in
// invocation order, so sorted by Index.
func (h History) Refs(indices []int, limit int) []OpRef {
	var out []OpRef
	for _, id := range indices[:min(len(indices), limit)] {
		if i, ok := slices.BinarySearchFunc(h, id, func(op Op, id int) int { return cmp.Compare(op.Index, id) }); ok {
			out = append(out, h[i].Ref())
		}
	}
	return out
}

// Anomaly is one reason a history is invalid.
type Anomaly struct {
	Kind   string  `json:"kind"`          // short name: "lost", "duplicate-id", "G1c", ...
	Detail string  `json:"detail"`        // what was seen, for a person
	Ops    []OpRef `json:"ops,omitempty"` // the operations involved, in the order Detail names them
}

// OpRef names one operation of a history where an anomaly involves it:
// its index, who performed it, where, and when.
type OpRef struct {
	Index      int     `json:"index"` // in the history (Op.Index)
	Process    int     `json:"process"`
	Node       string  `json:"node"`
	F          string  `json:"f"`
	Type       string  `json:"type"` // ok, fail or info
	InvokeMS   float64 `json:"invoke_ms"`
	CompleteMS float64 `json:"complete_ms"`
	Error      string  `json:"error,omitempty"`
}

// Ref names op for an anomaly.
func (op Op) Ref() OpRef {
	return OpRef{Index: op.Index, Process: op.Process, Node: op.Node, F: op.F, Type: op.Status.String(),
		InvokeMS: durationMS(op.Invoke), CompleteMS: durationMS(op.Complete), Error: op.Error}
}

func durationMS(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// String names the operation for a person: process, node, :f, outcome,
// times and error, e.g. "p3→n1 read ok [12.0ms..15.5ms]".
func (r OpRef) String() string {
	s := fmt.Sprintf("p%d→%s %s %s [%.1fms..%.1fms]", r.Process, r.Node, r.F, r.Type, r.InvokeMS, r.CompleteMS)
	if r.Error != "" {
		s += " (" + r.Error + ")"
	}
	return s
}

// Result is a checker's verdict.
type Result struct {
	// Valid is Maelstrom's verdict; Unknown says the checker could not
	// decide (Jepsen's :unknown), in which case Valid is false.
	Valid     bool      `json:"valid"`
	Unknown   bool      `json:"unknown,omitempty"`
	Anomalies []Anomaly `json:"anomalies"`

	// Strict lists what the simulator's own checks, stricter than
	// Maelstrom's, found; they change the verdict only under --strict.
	Strict []Anomaly `json:"strict,omitempty"`

	// StableLatencies holds, for broadcast and g-set, the quantiles "0",
	// "0.5", "0.95", "0.99" and "1" of the time in milliseconds from a
	// value's acknowledgement until every later read included it; nil
	// otherwise.
	StableLatencies map[string]float64 `json:"stable_latencies_ms"`

	// Stats holds the workload's own figures (lost and stable counts, ...).
	Stats map[string]any `json:"stats,omitempty"`
}

// Kinds lists the distinct kinds of the result's anomalies, sorted.
func (r Result) Kinds() []string { return kinds(r.Anomalies) }

// StrictKinds lists the distinct kinds of the result's strict anomalies,
// sorted.
func (r Result) StrictKinds() []string { return kinds(r.Strict) }

func kinds(as []Anomaly) []string {
	var ks []string
	for _, a := range as {
		if !slices.Contains(ks, a.Kind) {
			ks = append(ks, a.Kind)
		}
	}
	slices.Sort(ks)
	return ks
}

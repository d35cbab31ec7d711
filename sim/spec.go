package sim

import (
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

	// Check judges a finished history.
	Check(h History) Result
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

// Anomaly is one reason a history is invalid.
type Anomaly struct {
	Kind   string `json:"kind"`   // short name: "lost", "duplicate-id", "G1c", ...
	Detail string `json:"detail"` // what was seen, for a person
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

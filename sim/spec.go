package sim

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"time"
)

// This file is the contract between the simulator's core (network, clients,
// nemesis, statistics) and the per-workload knowledge it needs: what clients
// send, and how a history is judged. Specs live in package sim/spec.

// Spec is one workload as the simulator sees it, made fresh for each run (a
// Spec may keep state shared by all clients of the run, such as the next
// unique value to broadcast; it must guard that state, since clients run
// concurrently).
type Spec interface {
	// Preamble returns the requests each node gets after init and before
	// the load starts (broadcast's topology), keyed by node id; nil for
	// none. The core sends them from a client and waits for the replies.
	Preamble(nodes []string) map[string]Body

	// NewClient returns the generator of client process p, which sends all
	// its requests to the server node.
	NewClient(p int, node string, r *rand.Rand) Client

	// Check judges a finished history.
	Check(h History) Result
}

// Client generates the requests of one client process. The core calls its
// methods from one goroutine at a time.
type Client interface {
	// Next returns the next request body during the load. The body must
	// be a JSON object with "type" and without msg_id (the core adds it).
	Next() Body

	// Observe is told how each of this client's requests ended, load and
	// final ones alike, before the next request is generated.
	Observe(op Op)

	// Final returns the requests this client makes after the heal and the
	// quiet period (final reads), in order; nil for none. The core calls
	// it once, when every client's load has ended, and sends the requests
	// after the quiet period; when no client has any, the run ends
	// without one, as Maelstrom's runs of workloads without final reads do.
	Final() []Body
}

// Body is a request body: any value that encodes to a JSON object.
type Body = any

// Status is how an operation ended, in Jepsen's terms.
type Status int

// Operation outcomes.
const (
	OK   Status = iota // the reply was not an error
	Fail               // a definite error: the operation did not happen
	Info               // no reply within the client timeout, or an indefinite error
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

// Op is one client operation: a request and how it ended.
type Op struct {
	// Process is the client process number, from 0. As in Jepsen, a
	// process whose operation ended Info may still have it in flight, so
	// its thread goes on as a fresh process: Process+Concurrency. The
	// thread keeps its Client generator (told of the Info by Observe).
	Process  int
	Node     string          // server the request went to
	Type     string          // request type ("broadcast", "read", "send", ...)
	Req      json.RawMessage // request body as sent, without msg_id
	Resp     json.RawMessage // reply body, nil when none arrived in time
	Status   Status          // ok, fail or info
	ErrCode  int             // the error code when Resp is an error body
	Invoke   time.Duration   // when the request was sent, since the run began
	Complete time.Duration   // when the reply arrived or the client gave up
	Final    bool            // one of the final requests after the quiet period
}

// History is every operation of a run, in the order they were invoked.
type History []Op

// Anomaly is one reason a history is invalid.
type Anomaly struct {
	Kind   string `json:"kind"`   // short name: "lost", "duplicate-id", "G1c", ...
	Detail string `json:"detail"` // what was seen, for a person
}

// Result is a checker's verdict.
type Result struct {
	Valid     bool      `json:"valid"`
	Anomalies []Anomaly `json:"anomalies"`

	// StableLatencies holds, for broadcast and g-set, the quantiles "0",
	// "0.5", "0.95", "0.99" and "1" of the time in milliseconds from a
	// value's acknowledgement until every later read included it; nil
	// otherwise.
	StableLatencies map[string]float64 `json:"stable_latencies_ms"`

	// Stats holds the workload's own figures (lost and stable counts, ...).
	Stats map[string]any `json:"stats,omitempty"`
}

// Kinds lists the distinct kinds of the result's anomalies, sorted.
func (r Result) Kinds() []string {
	var ks []string
	for _, a := range r.Anomalies {
		if !slices.Contains(ks, a.Kind) {
			ks = append(ks, a.Kind)
		}
	}
	slices.Sort(ks)
	return ks
}

// The kafka workload, as Maelstrom 0.2.3 runs it: maelstrom.workload.kafka
// over Jepsen 0.3.1's jepsen.tests.kafka workload with :txn? false,
// :crash-clients? true and :sub-via #{:assign}, itself over Elle 0.1.6's
// list-append generator with :max-txn-length 1.
//
// See the package comment (doc.go) for what the simulator does of it.

package spec

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/glomers/glomers/sim"
)

// Kafka workload defaults, as Maelstrom passes its options down.
const (
	// kafkaKeyCount is Elle's wr-txns default for the exponential key
	// distribution when Maelstrom gets no --key-count.
	kafkaKeyCount = 10
	// kafkaWritesPerKey is Maelstrom's --max-writes-per-key default.
	kafkaWritesPerKey = 16
)

// How kafka operations look in the history (sim.Op and gen.Op):
//
//	F         Value (invocation)           Out (completion)
//	"send"    []kafkaMop{{F: "send",       ok: []kafkaMop{{F: "send", Key, Msg,
//	            Key, Msg}}                      Offset, Acked: true}}
//	"poll"    []kafkaMop{{F: "poll"}}      ok: []kafkaMop{{F: "poll", Msgs,
//	                                            From, Commit}}
//	"assign"  []string keys (Ext           ok: kafkaAssigned{Keys, Committed}
//	          "seek-to-beginning?": true
//	          in the final phase)
//	"crash"   nil                          nil (always Info)
//
// A completion that is not ok carries its invocation's value, as Jepsen's
// with-errors leaves it. Jepsen's values are vectors of micro-ops,
// [[:send k v]] → [[:send k [offset v]]] and [[:poll]] → [[:poll {k
// [[offset msg] ...]}]]; kafkaMop is one micro-op (there is always exactly
// one, since Maelstrom sets :txn? false).

// kafkaMop is one micro-operation of a send or poll.
type kafkaMop struct {
	F string `json:"f"` // "send" or "poll"

	// send
	Key    string `json:"key,omitempty"`
	Msg    int64  `json:"msg,omitempty"`
	Offset int64  `json:"offset,omitempty"` // the offset the server assigned, when Acked
	Acked  bool   `json:"acked,omitempty"`  // completed with an offset: [:send k [offset msg]]

	// poll, once completed ok
	Msgs map[string][]kafkaPair `json:"msgs,omitempty"` // what the server returned, per key (non-nil)
	// From and Commit are what the client did around the poll, kept for
	// the simulator's strict checks (Jepsen's history has neither): the
	// offsets the poll asked for, and the offsets committed after it (nil
	// when it returned no message, so that nothing was committed).
	From   map[string]int64 `json:"from,omitempty"`
	Commit map[string]int64 `json:"commit,omitempty"`
}

// kafkaPair is one [offset msg] pair a poll returned.
type kafkaPair struct {
	Offset int64 `json:"offset"`
	Msg    int64 `json:"msg"`
	// Raw is the message's JSON text when it is not an integer (Maelstrom
	// accepts any JSON value); "" otherwise.
	Raw string `json:"raw,omitempty"`
}

// val is the pair's message as a comparable value.
func (p kafkaPair) val() kafkaVal { return kafkaVal{p.Msg, p.Raw} }

// kafkaVal is a message: an integer, or the JSON text of anything else.
type kafkaVal struct {
	N   int64
	Raw string
}

func (v kafkaVal) String() string {
	if v.Raw != "" {
		return v.Raw
	}
	return strconv.FormatInt(v.N, 10)
}

func (v kafkaVal) less(w kafkaVal) bool {
	if v.Raw != w.Raw {
		return v.Raw < w.Raw
	}
	return v.N < w.N
}

// kafkaAssigned is the completion value of an ok assign: the keys (the
// invocation's value, which is Jepsen's completion value) and, for the
// simulator's strict checks, the committed offsets list_committed_offsets
// returned (nil for seek-to-beginning, which asks nothing).
type kafkaAssigned struct {
	Keys      []string         `json:"keys"`
	Committed map[string]int64 `json:"committed,omitempty"`
}

func (m kafkaMop) String() string {
	switch m.F {
	case "send":
		if m.Acked {
			return fmt.Sprintf("[:send %q [%d %d]]", m.Key, m.Offset, m.Msg)
		}
		return fmt.Sprintf("[:send %q %d]", m.Key, m.Msg)
	case "poll":
		if m.Msgs == nil {
			return "[:poll]"
		}
		var b strings.Builder
		b.WriteString("[:poll {")
		for i, k := range kafkaSortKeys(slices.Collect(maps.Keys(m.Msgs))) {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q [", k)
			for j, p := range m.Msgs[k] {
				if j > 0 {
					b.WriteString(" ")
				}
				fmt.Fprintf(&b, "[%d %s]", p.Offset, p.val())
			}
			b.WriteString("]")
		}
		b.WriteString("}]")
		return b.String()
	}
	return "[" + m.F + "]"
}

// kafkaKeyLess orders keys as Jepsen's sorted maps of integer keys do:
// numerically; keys that are not integers (which only a server could
// invent) after them, in text order.
func kafkaKeyLess(a, b string) bool {
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	switch {
	case errA == nil && errB == nil:
		if x != y {
			return x < y
		}
		return a < b
	case errA == nil:
		return true
	case errB == nil:
		return false
	}
	return a < b
}

// kafkaSortKeys sorts keys in place with kafkaKeyLess and returns them.
func kafkaSortKeys(ks []string) []string {
	slices.SortFunc(ks, func(a, b string) int {
		switch {
		case kafkaKeyLess(a, b):
			return -1
		case kafkaKeyLess(b, a):
			return 1
		}
		return 0
	})
	return ks
}

// kafkaSpec is the kafka workload for one run.
type kafkaSpec struct {
	keyCount, writesPerKey int

	// offsets is Jepsen's max-offsets atom: the highest offset any ok op
	// touched per key, filled by the load generator's track-key-offsets
	// and read by the final polls.
	offsets *kafkaOffsets

	mu      sync.Mutex
	clients map[string]*kafkaClient // by connection id: each client's poll offsets
}

func newKafkaSpec(cfg sim.Config) *kafkaSpec {
	s := &kafkaSpec{keyCount: cfg.KeyCount, writesPerKey: cfg.MaxWritesPerKey,
		offsets: &kafkaOffsets{m: map[string]int64{}}, clients: map[string]*kafkaClient{}}
	if s.keyCount <= 0 {
		s.keyCount = kafkaKeyCount
	}
	if s.writesPerKey <= 0 {
		s.writesPerKey = kafkaWritesPerKey
	}
	return s
}

// Preamble implements sim.Spec: kafka has none.
func (*kafkaSpec) Preamble([]string) map[string]sim.Body { return nil }

// Reusable implements sim.Spec: Maelstrom's kafka client is torn down
// after a crash (client/Reusable false), so a fresh one starts with no
// offsets.
func (*kafkaSpec) Reusable() bool { return false }

// kafkaOffsets is a map of keys to the highest offset seen, shared by the
// load generator (which writes it) and the final generator (which reads it
// once); both run on the interpreter's goroutine, the mutex is for safety.
type kafkaOffsets struct {
	mu sync.Mutex
	m  map[string]int64
}

func (o *kafkaOffsets) merge(offs map[string]int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for k, v := range offs {
		if cur, ok := o.m[k]; !ok || v > cur {
			o.m[k] = v
		}
	}
}

func (o *kafkaOffsets) snapshot() map[string]int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return maps.Clone(o.m)
}

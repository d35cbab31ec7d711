// The kafka workload, as Maelstrom 0.2.3 runs it: maelstrom.workload.kafka
// over Jepsen 0.3.1's jepsen.tests.kafka workload with :txn? false,
// :crash-clients? true and :sub-via #{:assign}, itself over Elle 0.1.6's
// list-append generator with :max-txn-length 1.
//
// See the package comment (doc.go) for what the simulator does of it.

package spec

import (
	"cmp"
	"encoding/json"
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
//	"poll"    []kafkaMop{{F: "poll"}}      ok: []kafkaMop{{F: "poll", Polled:
//	                                            {Msgs, From, Commit}}}
//	"assign"  []string keys (Ext           ok: kafkaAssigned{Keys, Committed}
//	          "seek-to-beginning?": true
//	          in the final phase)
//	"crash"   nil                          nil (always Info)
//
// A completion that is not ok carries its invocation's value, as Jepsen's
// with-errors leaves it. Jepsen's values are vectors of micro-ops,
// [[:send k v]] → [[:send k [offset msg]]] and [[:poll]] → [[:poll {k
// [[offset msg] ...]}]]; kafkaMop is one micro-op (there is always exactly
// one, since Maelstrom sets :txn? false).
//
// The run keeps every invocation's value until it is over, so these values
// are small (polls share one, kafkaPollValue), and so are completion
// values, which the checker turns into compact records (kafkaChecker):
// offsets per key are sorted slices rather than maps, and a poll's
// messages integers, with a side table for any other JSON value. In the
// run store they are the JSON objects they have always been (MarshalJSON).

// kafkaMop is one micro-operation of a send or poll.
type kafkaMop struct {
	F string // "send" or "poll"

	// send
	Key    string
	Msg    int64
	Offset int64 // the offset the server assigned, when Acked
	Acked  bool  // completed with an offset: [:send k [offset msg]]

	// Polled is what a poll returned and did, once completed ok; nil
	// before, and for sends.
	Polled *kafkaPolled
}

// kafkaPolled is the outcome of an ok poll.
type kafkaPolled struct {
	Msgs kafkaMsgs // what the server returned, per key
	// From and Commit are what the client did around the poll, kept for
	// the simulator's strict checks (Jepsen's history has neither): the
	// offsets the poll asked for, and the offsets committed after it (nil
	// when it returned no message, so that nothing was committed).
	From, Commit kafkaKeyOffsets
}

// MarshalJSON writes the micro-op as one JSON object: f, the send's key,
// msg, offset and acked, the poll's msgs, from and commit, each left out
// when empty.
func (m kafkaMop) MarshalJSON() ([]byte, error) {
	w := struct {
		F      string          `json:"f"`
		Key    string          `json:"key,omitempty"`
		Msg    int64           `json:"msg,omitempty"`
		Offset int64           `json:"offset,omitempty"`
		Acked  bool            `json:"acked,omitempty"`
		Msgs   kafkaMsgs       `json:"msgs,omitempty"`
		From   kafkaKeyOffsets `json:"from,omitempty"`
		Commit kafkaKeyOffsets `json:"commit,omitempty"`
	}{F: m.F, Key: m.Key, Msg: m.Msg, Offset: m.Offset, Acked: m.Acked}
	if p := m.Polled; p != nil {
		w.Msgs, w.From, w.Commit = p.Msgs, p.From, p.Commit
	}
	return json.Marshal(w)
}

// kafkaMsgs is what a poll returned: each key's messages, keys in
// kafkaKeyLess order, each once.
type kafkaMsgs []kafkaKeyMsgs

// kafkaKeyMsgs is one key's messages in a poll's reply.
type kafkaKeyMsgs struct {
	Key   string
	Pairs []kafkaPair
	// Raw holds, by index in Pairs, the JSON text of each message that is
	// not an integer (Maelstrom accepts any JSON value; the pair's Msg is
	// then 0): nil when every message is an integer, as they all are
	// unless a server makes them up.
	Raw map[int]string
}

// kafkaPair is one [offset msg] pair a poll returned.
type kafkaPair struct {
	Offset, Msg int64
}

// val is the key's message j as a comparable value.
func (km kafkaKeyMsgs) val(j int) kafkaVal { return kafkaVal{km.Pairs[j].Msg, km.Raw[j]} }

// kafkaSortMsgs sorts ms in place by key, with kafkaKeyLess.
func kafkaSortMsgs(ms kafkaMsgs) {
	slices.SortFunc(ms, func(a, b kafkaKeyMsgs) int { return kafkaKeyCmp(a.Key, b.Key) })
}

// MarshalJSON writes the messages as a JSON object of keys to lists of
// {offset, msg, raw} objects (raw only for a message that is not an
// integer), as encoding/json writes a map: null for nil.
func (ms kafkaMsgs) MarshalJSON() ([]byte, error) {
	type pair struct {
		Offset int64  `json:"offset"`
		Msg    int64  `json:"msg"`
		Raw    string `json:"raw,omitempty"`
	}
	var m map[string][]pair
	if ms != nil {
		m = make(map[string][]pair, len(ms))
	}
	for _, km := range ms {
		ps := make([]pair, len(km.Pairs))
		for j, p := range km.Pairs {
			ps[j] = pair{p.Offset, p.Msg, km.Raw[j]}
		}
		m[km.Key] = ps
	}
	return json.Marshal(m)
}

// kafkaKeyOffsets is offsets by key (a poll's, a commit's or
// list_committed_offsets'), sorted by key, each once.
type kafkaKeyOffsets []kafkaKeyOffset

// kafkaKeyOffset is one key's offset.
type kafkaKeyOffset struct {
	Key    string
	Offset int64
}

// kafkaKeyOffsetsOf returns the offsets of m, never nil.
func kafkaKeyOffsetsOf(m map[string]int64) kafkaKeyOffsets {
	o := make(kafkaKeyOffsets, 0, len(m))
	for k, v := range m {
		o = append(o, kafkaKeyOffset{k, v})
	}
	slices.SortFunc(o, func(a, b kafkaKeyOffset) int { return strings.Compare(a.Key, b.Key) })
	return o
}

// get returns key k's offset and whether it has one.
func (o kafkaKeyOffsets) get(k string) (int64, bool) {
	i, ok := slices.BinarySearchFunc(o, k, func(e kafkaKeyOffset, k string) int { return strings.Compare(e.Key, k) })
	if !ok {
		return 0, false
	}
	return o[i].Offset, true
}

// MarshalJSON writes the offsets as a JSON object of keys to offsets, as
// encoding/json writes a map: null for nil.
func (o kafkaKeyOffsets) MarshalJSON() ([]byte, error) {
	var m map[string]int64
	if o != nil {
		m = make(map[string]int64, len(o))
	}
	for _, e := range o {
		m[e.Key] = e.Offset
	}
	return json.Marshal(m)
}

// kafkaVal is a message: an integer, or the JSON text of anything else.
type kafkaVal struct {
	N   int64
	Raw string
}

// String is the message as Jepsen prints it: the integer, or the JSON text.
func (v kafkaVal) String() string {
	if v.Raw != "" {
		return v.Raw
	}
	return strconv.FormatInt(v.N, 10)
}

// kafkaValCmp orders messages: integers first, by value, then the others
// by their JSON text.
func kafkaValCmp(x, y kafkaVal) int {
	if c := strings.Compare(x.Raw, y.Raw); c != 0 {
		return c
	}
	return cmp.Compare(x.N, y.N)
}

// kafkaAssigned is the completion value of an ok assign: the keys (the
// invocation's value, which is Jepsen's completion value) and, for the
// simulator's strict checks, the committed offsets list_committed_offsets
// returned (nil for seek-to-beginning, which asks nothing; never nil
// otherwise, even when empty).
type kafkaAssigned struct {
	Keys      []string        `json:"keys"`
	Committed kafkaKeyOffsets `json:"committed,omitempty"`
}

// String is the micro-op as Jepsen prints it: [:send "k" v], [:send "k"
// [offset v]], [:poll], [:poll {"k" [[offset v] ...] ...}].
func (m kafkaMop) String() string {
	switch m.F {
	case "send":
		if m.Acked {
			return fmt.Sprintf("[:send %q [%d %d]]", m.Key, m.Offset, m.Msg)
		}
		return fmt.Sprintf("[:send %q %d]", m.Key, m.Msg)
	case "poll":
		if m.Polled == nil {
			return "[:poll]"
		}
		var b strings.Builder
		b.WriteString("[:poll {")
		for i, km := range m.Polled.Msgs {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q [", km.Key)
			for j, p := range km.Pairs {
				if j > 0 {
					b.WriteString(" ")
				}
				fmt.Fprintf(&b, "[%d %s]", p.Offset, km.val(j))
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

// kafkaKeyCmp compares keys as kafkaKeyLess orders them.
func kafkaKeyCmp(a, b string) int {
	switch {
	case kafkaKeyLess(a, b):
		return -1
	case kafkaKeyLess(b, a):
		return 1
	}
	return 0
}

// kafkaSortKeys sorts keys in place with kafkaKeyLess and returns them.
func kafkaSortKeys(ks []string) []string {
	slices.SortFunc(ks, kafkaKeyCmp)
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

// newKafkaSpec returns the kafka workload for a run of cfg.
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

// merge raises each key's offset to its offset in offs, where higher.
func (o *kafkaOffsets) merge(offs map[string]int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for k, v := range offs {
		if cur, ok := o.m[k]; !ok || v > cur {
			o.m[k] = v
		}
	}
}

// snapshot returns a copy of the offsets.
func (o *kafkaOffsets) snapshot() map[string]int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return maps.Clone(o.m)
}

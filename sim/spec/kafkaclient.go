package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/gen"
)

// kafkaClient is one Maelstrom kafka client's state: the offset it will
// poll next per assigned key (the Client record's offsets atom).
type kafkaClient struct {
	offsets map[string]int64
}

// client returns the state of the client on connection id, fresh (no
// offsets) the first time.
func (s *kafkaSpec) client(id string) *kafkaClient {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.clients[id]
	if c == nil {
		c = &kafkaClient{offsets: map[string]int64{}}
		s.clients[id] = c
	}
	return c
}

// closeClient forgets the client on connection id: it crashed, and the
// thread's next operation opens a fresh one.
func (s *kafkaSpec) closeClient(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.clients, id)
}

// Invoke implements sim.Spec with maelstrom.workload.kafka's Client.
func (s *kafkaSpec) Invoke(c *sim.Conn, node string, op gen.Op) (gen.Op, error) {
	return s.invoke(c, node, op)
}

// invoke is Invoke over any connection (tests give a fake one).
func (s *kafkaSpec) invoke(c rpcConn, node string, op gen.Op) (gen.Op, error) {
	cl := s.client(c.ID())
	done, err := cl.apply(c, node, op)
	if err != nil {
		done, err = sim.WithErrors(op, op.F == "assign", err)
	}
	if err != nil || done.Type == gen.Info {
		s.closeClient(c.ID())
	}
	return done, err
}

// apply performs op (invoke! inside with-errors): on success it returns the
// completion, otherwise the error of the RPC that failed.
func (cl *kafkaClient) apply(c rpcConn, node string, op gen.Op) (gen.Op, error) {
	done := op
	switch op.F {
	case "assign":
		keys, _ := op.Value.([]string)
		out := kafkaAssigned{Keys: keys}
		if seek, _ := op.Ext["seek-to-beginning?"].(bool); seek {
			cl.offsets = make(map[string]int64, len(keys))
			for _, k := range keys {
				cl.offsets[k] = 0
			}
		} else {
			reply, err := typedRPC(c, node, map[string]any{"type": "list_committed_offsets", "keys": kafkaNonNil(keys)},
				"list_committed_offsets_ok", rpcField{"offsets", kafkaOffsetsField})
			if err != nil {
				return op, err
			}
			committed := reply["offsets"].(kafkaKeyOffsets)
			out.Committed = committed
			offsets := make(map[string]int64, len(keys))
			for _, k := range keys {
				if o, ok := cl.offsets[k]; ok {
					offsets[k] = o
				} else {
					offsets[k], _ = committed.get(k) // 0 when absent
				}
			}
			cl.offsets = offsets
		}
		done.Type, done.Value = gen.OK, out
	case "crash":
		done.Type = gen.Info
	case "poll", "send":
		mops := kafkaMops(op.Value)
		if len(mops) != 1 {
			return op, fmt.Errorf("kafka client: %s op with %d micro-ops, want 1", op.F, len(mops))
		}
		mop, err := cl.applyMop(c, node, mops[0])
		if err != nil {
			return op, err
		}
		if mop.F == "poll" {
			// txn-offsets: commit the highest offset polled per key.
			var commit kafkaKeyOffsets
			for _, km := range mop.Polled.Msgs {
				if len(km.Pairs) == 0 {
					continue
				}
				top := int64(0)
				for _, p := range km.Pairs {
					top = max(top, p.Offset)
				}
				commit = append(commit, kafkaKeyOffset{km.Key, top})
			}
			if len(commit) > 0 {
				slices.SortFunc(commit, func(a, b kafkaKeyOffset) int { return strings.Compare(a.Key, b.Key) })
				if _, err := typedRPC(c, node, map[string]any{"type": "commit_offsets", "offsets": commit},
					"commit_offsets_ok"); err != nil {
					return op, err
				}
				mop.Polled.Commit = commit
			}
		}
		done.Type, done.Value = gen.OK, []kafkaMop{mop}
	default:
		return op, fmt.Errorf("kafka client: unknown op %q", op.F)
	}
	return done, nil
}

// applyMop is Maelstrom's apply-mop!: one poll or send, the client's
// offsets advanced past what a poll returned.
func (cl *kafkaClient) applyMop(c rpcConn, node string, m kafkaMop) (kafkaMop, error) {
	switch m.F {
	case "poll":
		from := kafkaKeyOffsetsOf(cl.offsets)
		reply, err := typedRPC(c, node, map[string]any{"type": "poll", "offsets": from},
			"poll_ok", rpcField{"msgs", kafkaMsgsField})
		if err != nil {
			return m, err
		}
		msgs := reply["msgs"].(kafkaMsgs)
		for _, km := range msgs {
			next := int64(-1)
			for _, p := range km.Pairs {
				next = max(next, p.Offset)
			}
			next++
			if cur, ok := cl.offsets[km.Key]; !ok || next > cur {
				cl.offsets[km.Key] = next
			}
		}
		return kafkaMop{F: "poll", Polled: &kafkaPolled{Msgs: msgs, From: from}}, nil
	case "send":
		reply, err := typedRPC(c, node, map[string]any{"type": "send", "key": m.Key, "msg": m.Msg},
			"send_ok", rpcField{"offset", kafkaIntField})
		if err != nil {
			return m, err
		}
		m.Offset, m.Acked = reply["offset"].(int64), true
		return m, nil
	}
	return m, fmt.Errorf("kafka client: unknown micro-op %q", m.F)
}

// kafkaNonNil returns keys, or no keys for nil (which would encode as
// null).
func kafkaNonNil(keys []string) []string {
	if keys == nil {
		return []string{}
	}
	return keys
}

// kafkaDecode decodes JSON with exact numbers.
func kafkaDecode(raw json.RawMessage, v any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return err
	}
	return nil
}

// kafkaIntField checks a schema integer (s/Int): a JSON number without
// fraction or exponent.
func kafkaIntField(raw json.RawMessage) (any, error) {
	var n json.Number
	if t := bytes.TrimSpace(raw); len(t) == 0 || (t[0] != '-' && (t[0] < '0' || t[0] > '9')) {
		return nil, fmt.Errorf("%.40s is not an integer", raw)
	}
	if err := kafkaDecode(raw, &n); err != nil {
		return nil, fmt.Errorf("%.40s is not an integer", raw)
	}
	i, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%s is not an integer", n)
	}
	return i, nil
}

// kafkaOffsetsField checks {Key Offset}.
func kafkaOffsetsField(raw json.RawMessage) (any, error) {
	var obj map[string]json.RawMessage
	if err := kafkaDecode(raw, &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("%.80s is not a map of keys to offsets", raw)
	}
	out := make(kafkaKeyOffsets, 0, len(obj))
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		o, err := kafkaIntField(obj[k])
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k, err)
		}
		out = append(out, kafkaKeyOffset{k, o.(int64)})
	}
	return out, nil
}

// kafkaMsgsField checks {Key [[Offset Message]]}.
func kafkaMsgsField(raw json.RawMessage) (any, error) {
	ms, ok := kafkaScanMsgs(raw)
	if ok {
		return ms, nil
	}
	ms, err := kafkaDecodeMsgs(raw)
	if err != nil {
		return nil, err
	}
	return ms, nil
}

// kafkaDecodeMsgs checks {Key [[Offset Message]]} in any JSON form.
func kafkaDecodeMsgs(raw json.RawMessage) (kafkaMsgs, error) {
	var obj map[string][]json.RawMessage
	if err := kafkaDecode(raw, &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("%.80s is not a map of keys to [offset msg] pairs", raw)
	}
	out := make(kafkaMsgs, 0, len(obj))
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		km := kafkaKeyMsgs{Key: k, Pairs: make([]kafkaPair, 0, len(obj[k]))}
		for j, rp := range obj[k] {
			var pr []json.RawMessage
			if err := kafkaDecode(rp, &pr); err != nil || len(pr) != 2 {
				return nil, fmt.Errorf("key %q: %.80s is not an [offset msg] pair", k, rp)
			}
			o, err := kafkaIntField(pr[0])
			if err != nil {
				return nil, fmt.Errorf("key %q: offset: %w", k, err)
			}
			p := kafkaPair{Offset: o.(int64)}
			if n, err := kafkaIntField(pr[1]); err == nil {
				p.Msg = n.(int64)
			} else {
				var v any
				if err := kafkaDecode(pr[1], &v); err != nil {
					return nil, fmt.Errorf("key %q: msg: %w", k, err)
				}
				b, _ := json.Marshal(v)
				if km.Raw == nil {
					km.Raw = map[int]string{}
				}
				km.Raw[j] = string(b)
			}
			km.Pairs = append(km.Pairs, p)
		}
		out = append(out, km)
	}
	kafkaSortMsgs(out)
	return out, nil
}

// kafkaScanMsgs reads msgs in their usual form straight into kafkaMsgs:
// an object whose keys are plain printable ASCII, each once, and whose
// values are lists of [offset msg] pairs of integers. It reports false for
// anything else, which kafkaDecodeMsgs reads instead (to the same result
// where both can). A poll of every key returns every message: read this
// way, the reply takes little more memory than its result.
func kafkaScanMsgs(raw []byte) (kafkaMsgs, bool) {
	s := kafkaScanner{b: raw}
	pairs := make([]kafkaPair, 0, bytes.Count(raw, []byte{'['})) // every key's, in one array
	out := kafkaMsgs{}
	if !s.eat('{') {
		return nil, false
	}
	for first := true; !s.eat('}'); first = false {
		if !first && !s.eat(',') {
			return nil, false
		}
		key, ok := s.key()
		if !ok || !s.eat(':') {
			return nil, false
		}
		start := len(pairs)
		if pairs, ok = s.pairs(pairs); !ok {
			return nil, false
		}
		out = append(out, kafkaKeyMsgs{Key: key, Pairs: pairs[start:len(pairs):len(pairs)]})
	}
	if !s.end() {
		return nil, false
	}
	kafkaSortMsgs(out)
	for j := 1; j < len(out); j++ {
		if out[j-1].Key == out[j].Key {
			return nil, false
		}
	}
	return out, true
}

// kafkaScanner reads JSON text b from position i.
type kafkaScanner struct {
	b []byte
	i int
}

// space skips whitespace.
func (s *kafkaScanner) space() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

// eat skips whitespace, then c if it comes next, and reports whether it
// did.
func (s *kafkaScanner) eat(c byte) bool {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// key reads a string of printable ASCII without escapes.
func (s *kafkaScanner) key() (string, bool) {
	if !s.eat('"') {
		return "", false
	}
	start := s.i
	for ; s.i < len(s.b) && s.b[s.i] != '"'; s.i++ {
		if c := s.b[s.i]; c < 0x20 || c > 0x7e || c == '\\' {
			return "", false
		}
	}
	if s.i == len(s.b) {
		return "", false
	}
	s.i++
	return string(s.b[start : s.i-1]), true
}

// int reads an integer: a JSON number without fraction or exponent that
// fits in 64 bits.
func (s *kafkaScanner) int() (int64, bool) {
	s.space()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	digits := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
	}
	if s.i == digits || (s.b[digits] == '0' && s.i-digits > 1) ||
		(s.i < len(s.b) && (s.b[s.i] == '.' || s.b[s.i] == 'e' || s.b[s.i] == 'E')) {
		return 0, false
	}
	n, err := strconv.ParseInt(string(s.b[start:s.i]), 10, 64)
	return n, err == nil
}

// pairs reads a list of [offset msg] pairs of integers, appending them to
// ps.
func (s *kafkaScanner) pairs(ps []kafkaPair) ([]kafkaPair, bool) {
	if !s.eat('[') {
		return ps, false
	}
	if s.eat(']') {
		return ps, true
	}
	for {
		p, ok := s.pair()
		if !ok {
			return ps, false
		}
		ps = append(ps, p)
		if s.eat(']') {
			return ps, true
		}
		if !s.eat(',') {
			return ps, false
		}
	}
}

// pair reads an [offset msg] pair of integers.
func (s *kafkaScanner) pair() (p kafkaPair, ok bool) {
	if !s.eat('[') {
		return p, false
	}
	if p.Offset, ok = s.int(); !ok || !s.eat(',') {
		return p, false
	}
	if p.Msg, ok = s.int(); !ok || !s.eat(']') {
		return p, false
	}
	return p, true
}

// end skips whitespace and reports whether nothing follows.
func (s *kafkaScanner) end() bool {
	s.space()
	return s.i == len(s.b)
}

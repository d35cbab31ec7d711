package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/gen"
)

// kafkaConn is what the client needs of a connection (*sim.Conn); tests
// give a fake.
type kafkaConn interface {
	ID() string
	RPC(dest string, body any, timeout time.Duration, out any) error
}

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

func (s *kafkaSpec) invoke(c kafkaConn, node string, op gen.Op) (gen.Op, error) {
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
func (cl *kafkaClient) apply(c kafkaConn, node string, op gen.Op) (gen.Op, error) {
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
			reply, err := kafkaRPC(c, node, map[string]any{"type": "list_committed_offsets", "keys": kafkaNonNil(keys)},
				"list_committed_offsets_ok", kafkaField{"offsets", kafkaOffsetMap})
			if err != nil {
				return op, err
			}
			committed := reply["offsets"].(map[string]int64)
			out.Committed = committed
			offsets := make(map[string]int64, len(keys))
			for _, k := range keys {
				if o, ok := cl.offsets[k]; ok {
					offsets[k] = o
				} else {
					offsets[k] = committed[k] // 0 when absent
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
			commit := map[string]int64{}
			for k, pairs := range mop.Msgs {
				for _, p := range pairs {
					commit[k] = max(commit[k], p.Offset)
				}
			}
			if len(commit) > 0 {
				if _, err := kafkaRPC(c, node, map[string]any{"type": "commit_offsets", "offsets": commit},
					"commit_offsets_ok"); err != nil {
					return op, err
				}
				mop.Commit = commit
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
func (cl *kafkaClient) applyMop(c kafkaConn, node string, m kafkaMop) (kafkaMop, error) {
	switch m.F {
	case "poll":
		from := maps.Clone(cl.offsets)
		if from == nil {
			from = map[string]int64{}
		}
		reply, err := kafkaRPC(c, node, map[string]any{"type": "poll", "offsets": from},
			"poll_ok", kafkaField{"msgs", kafkaMsgsField})
		if err != nil {
			return m, err
		}
		msgs := reply["msgs"].(map[string][]kafkaPair)
		for k, pairs := range msgs {
			next := int64(-1)
			for _, p := range pairs {
				next = max(next, p.Offset)
			}
			next++
			if cur, ok := cl.offsets[k]; !ok || next > cur {
				cl.offsets[k] = next
			}
		}
		return kafkaMop{F: "poll", Msgs: msgs, From: from}, nil
	case "send":
		reply, err := kafkaRPC(c, node, map[string]any{"type": "send", "key": m.Key, "msg": m.Msg},
			"send_ok", kafkaField{"offset", kafkaIntField})
		if err != nil {
			return m, err
		}
		m.Offset, m.Acked = reply["offset"].(int64), true
		return m, nil
	}
	return m, fmt.Errorf("kafka client: unknown micro-op %q", m.F)
}

func kafkaNonNil(keys []string) []string {
	if keys == nil {
		return []string{}
	}
	return keys
}

// kafkaField is one required field of a reply and how to check and decode
// it into the reply struct.
type kafkaField struct {
	name   string
	decode func(raw json.RawMessage) (any, error)
}

// kafkaRPC makes one of Maelstrom's typed RPCs (defrpc): it sends body,
// and checks that the reply conforms to the RPC's schema (its type is
// want, its fields exactly the given ones plus msg_id and in_reply_to,
// each of its schema). A reply that does not is not an error reply but a
// malformed one: Maelstrom throws, the client crashes, which is what the
// returned plain error means to the interpreter. It returns the decoded
// fields by name.
func kafkaRPC(c kafkaConn, node string, body map[string]any, want string, fields ...kafkaField) (map[string]any, error) {
	var raw json.RawMessage
	if err := c.RPC(node, body, 0, &raw); err != nil {
		return nil, err
	}
	obj := map[string]json.RawMessage{}
	if err := kafkaDecode(raw, &obj); err != nil {
		return nil, fmt.Errorf("malformed RPC response from %s to %s: %w", node, body["type"], err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("malformed RPC response from %s to %s: %.300s: %s", node, body["type"], raw, fmt.Sprintf(format, args...))
	}
	var typ string
	if err := json.Unmarshal(obj["type"], &typ); err != nil || typ != want {
		return nil, bad("type is not %q", want)
	}
	allowed := map[string]bool{"type": true, "msg_id": true, "in_reply_to": true}
	for _, f := range fields {
		allowed[f.name] = true
	}
	for k := range obj {
		if !allowed[k] {
			return nil, bad("unexpected field %q", k)
		}
	}
	for _, k := range []string{"msg_id", "in_reply_to"} {
		if v, ok := obj[k]; ok {
			if _, err := kafkaIntField(v); err != nil {
				return nil, bad("%s: %v", k, err)
			}
		}
	}
	vals := map[string]any{}
	for _, f := range fields {
		v, ok := obj[f.name]
		if !ok {
			return nil, bad("missing field %q", f.name)
		}
		d, err := f.decode(v)
		if err != nil {
			return nil, bad("%s: %v", f.name, err)
		}
		vals[f.name] = d
	}
	return vals, nil
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

// kafkaOffsetMap checks {Key Offset}.
func kafkaOffsetMap(raw json.RawMessage) (any, error) {
	var obj map[string]json.RawMessage
	if err := kafkaDecode(raw, &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("%.80s is not a map of keys to offsets", raw)
	}
	out := make(map[string]int64, len(obj))
	for k, v := range obj {
		o, err := kafkaIntField(v)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k, err)
		}
		out[k] = o.(int64)
	}
	return out, nil
}

// kafkaMsgsField checks {Key [[Offset Message]]}.
func kafkaMsgsField(raw json.RawMessage) (any, error) {
	var obj map[string][]json.RawMessage
	if err := kafkaDecode(raw, &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("%.80s is not a map of keys to [offset msg] pairs", raw)
	}
	out := make(map[string][]kafkaPair, len(obj))
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		pairs := make([]kafkaPair, 0, len(obj[k]))
		for _, rp := range obj[k] {
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
				p.Raw = string(b)
			}
			pairs = append(pairs, p)
		}
		out[k] = pairs
	}
	return out, nil
}

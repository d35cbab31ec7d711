package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

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
				"list_committed_offsets_ok", rpcField{"offsets", kafkaOffsetMap})
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
				if _, err := typedRPC(c, node, map[string]any{"type": "commit_offsets", "offsets": commit},
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
func (cl *kafkaClient) applyMop(c rpcConn, node string, m kafkaMop) (kafkaMop, error) {
	switch m.F {
	case "poll":
		from := maps.Clone(cl.offsets)
		if from == nil {
			from = map[string]int64{}
		}
		reply, err := typedRPC(c, node, map[string]any{"type": "poll", "offsets": from},
			"poll_ok", rpcField{"msgs", kafkaMsgsField})
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

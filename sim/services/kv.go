package services

import (
	"bytes"
	"encoding/json"
	"sync"

	"github.com/glomers/glomers/node"
)

// kvOp is a parsed KV request; key, value, from and to hold canonical JSON.
type kvOp struct {
	typ             string // "read", "write" or "cas"
	key             string
	value, from, to []byte
	create          bool // cas's create_if_not_exists
}

// parseKV decodes and canonicalizes a KV request, or returns the error reply
// (12 malformed, 10 unknown type).
func parseKV(body json.RawMessage) (kvOp, *errorReply) {
	typ, bad := requestType(body)
	if bad != nil {
		return kvOp{}, bad
	}
	var need []string
	switch typ {
	case "read":
		need = []string{"key"}
	case "write":
		need = []string{"key", "value"}
	case "cas":
		need = []string{"key", "from", "to"}
	default:
		e := errReply(node.CodeNotSupported, "unsupported request type %q", typ)
		return kvOp{}, &e
	}
	var r struct {
		Key    json.RawMessage `json:"key"`
		Value  json.RawMessage `json:"value"`
		From   json.RawMessage `json:"from"`
		To     json.RawMessage `json:"to"`
		Create bool            `json:"create_if_not_exists"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		e := errReply(node.CodeMalformedRequest, "malformed %s request: %v", typ, err)
		return kvOp{}, &e
	}
	fields := map[string]json.RawMessage{"key": r.Key, "value": r.Value, "from": r.From, "to": r.To}
	canon := map[string][]byte{}
	for _, f := range need {
		if fields[f] == nil {
			e := errReply(node.CodeMalformedRequest, "malformed %s request: no %s", typ, f)
			return kvOp{}, &e
		}
		c, err := canonical(fields[f])
		if err != nil {
			e := errReply(node.CodeMalformedRequest, "malformed %s request: %s: %v", typ, f, err)
			return kvOp{}, &e
		}
		canon[f] = c
	}
	return kvOp{typ: typ, key: string(canon["key"]), value: canon["value"],
		from: canon["from"], to: canon["to"], create: r.Create}, nil
}

// eval runs op against the key's current value (cur, if present). It returns
// the reply and, when the op stores a value (a write, a successful cas),
// store is true and next is that value.
func (op kvOp) eval(cur []byte, present bool) (reply any, next []byte, store bool) {
	switch op.typ {
	case "read":
		if !present {
			return errMissingKey(), nil, false
		}
		return readReply{Type: "read_ok", Value: cur}, nil, false
	case "write":
		return okReply{Type: "write_ok"}, op.value, true
	}
	// cas
	if !present {
		if op.create {
			return okReply{Type: "cas_ok"}, op.to, true
		}
		return errMissingKey(), nil, false
	}
	if !bytes.Equal(cur, op.from) {
		return errReply(node.CodePreconditionFailed, "current value %s is not %s", cur, op.from), nil, false
	}
	return okReply{Type: "cas_ok"}, op.to, true
}

// changes reports whether an eval result alters a key that held cur.
func changes(cur []byte, present bool, next []byte, store bool) bool {
	return store && (!present || !bytes.Equal(cur, next))
}

// linKV is lin-kv: one map, one mutex.
type linKV struct {
	mu sync.Mutex
	m  map[string][]byte
}

func newLinKV() *linKV { return &linKV{m: map[string][]byte{}} }

// Handle implements Service.
func (s *linKV) Handle(_ string, body json.RawMessage) any {
	op, bad := parseKV(body)
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, present := s.m[op.key]
	reply, next, store := op.eval(cur, present)
	if store {
		s.m[op.key] = next
	}
	return reply
}

package services

import (
	"encoding/json"
	"sync"

	"github.com/glomers/glomers/node"
)

// kvOp is a parsed KV request. As in Maelstrom, an absent key, value, from
// or to is null, and create_if_not_exists counts when it is present and
// neither null nor false.
type kvOp struct {
	typ                  string // "read", "write" or "cas"
	key, value, from, to value
	create               bool
}

// parseKV decodes a KV request, or returns the error reply: 12 for a body
// that is not an object or has no string type, 10 for a type other than
// read, write and cas.
func parseKV(body json.RawMessage) (kvOp, *errorReply) {
	typ, bad := requestType(body)
	if bad != nil {
		return kvOp{}, bad
	}
	switch typ {
	case "read", "write", "cas":
	default:
		e := errReply(node.CodeNotSupported, "unsupported request type %q", typ)
		return kvOp{}, &e
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		e := errReply(node.CodeMalformedRequest, "malformed %s request: %v", typ, err)
		return kvOp{}, &e
	}
	op := kvOp{typ: typ}
	for _, f := range []struct {
		name string
		dst  *value
	}{{"key", &op.key}, {"value", &op.value}, {"from", &op.from}, {"to", &op.to}} {
		name, dst := f.name, f.dst
		*dst = null
		if raw, ok := fields[name]; ok {
			v, err := parseValue(raw)
			if err != nil {
				e := errReply(node.CodeMalformedRequest, "malformed %s request: %s: %v", typ, name, err)
				return kvOp{}, &e
			}
			*dst = v
		}
	}
	if raw, ok := fields["create_if_not_exists"]; ok {
		v, err := parseValue(raw)
		if err != nil {
			e := errReply(node.CodeMalformedRequest, "malformed %s request: create_if_not_exists: %v", typ, err)
			return kvOp{}, &e
		}
		op.create = v.truthy()
	}
	return op, nil
}

// flavor selects between service.clj's two key/value models.
type flavor int

const (
	// persistentKV is PersistentKV (lin-kv, seq-kv): cas honours
	// create_if_not_exists; error 22 prints both values with pr-str.
	persistentKV flavor = iota
	// lwwKVModel is LWWKV (each lww-kv replica): cas of a missing key is
	// error 20 whatever the flag; error 22 prints from with str.
	lwwKVModel
)

// eval runs op against the key's current value (cur, if present). It returns
// the reply and, when the op stores a value (a write, a successful cas),
// store is true and next is that value.
func (op kvOp) eval(fl flavor, cur value, present bool) (reply any, next value, store bool) {
	switch op.typ {
	case "read":
		if !present {
			return errMissingKey(), value{}, false
		}
		return readReply{Type: "read_ok", Value: cur.json()}, value{}, false
	case "write":
		return okReply{Type: "write_ok"}, op.value, true
	}
	// cas
	if !present {
		if op.create && fl == persistentKV {
			return okReply{Type: "cas_ok"}, op.to, true
		}
		return errMissingKey(), value{}, false
	}
	if cur.key() != op.from.key() {
		from := op.from.pr()
		if fl == lwwKVModel {
			from = op.from.str()
		}
		return errReply(node.CodePreconditionFailed, "current value %s is not %s", cur.pr(), from), value{}, false
	}
	return okReply{Type: "cas_ok"}, op.to, true
}

// changes reports whether an eval result makes a state that is not = to the
// one holding cur (Clojure equality: storing an equal value changes
// nothing, even in another representation such as 1.00 for 1.0).
func changes(cur value, present bool, next value, store bool) bool {
	return store && (!present || cur.key() != next.key())
}

// linKV is lin-kv: one map, one mutex.
type linKV struct {
	mu sync.Mutex
	m  map[string]value // by the key's eq
}

func newLinKV() *linKV { return &linKV{m: map[string]value{}} }

// Handle implements Service.
func (s *linKV) Handle(_ string, body json.RawMessage) any {
	op, bad := parseKV(body)
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, present := s.m[op.key.eq]
	reply, next, store := op.eval(persistentKV, cur, present)
	if store {
		s.m[op.key.eq] = next.stored()
	}
	return reply
}

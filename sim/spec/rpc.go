package spec

import (
	"encoding/json"
	"fmt"
	"time"
)

// rpcConn is what the client needs of a connection (*sim.Conn); tests
// give a fake.
type rpcConn interface {
	ID() string
	RPC(dest string, body any, timeout time.Duration, out any) error
}

// rpcField is one required field of a reply and how to check and decode
// it into the reply struct.
type rpcField struct {
	name   string
	decode func(raw json.RawMessage) (any, error)
}

// typedRPC makes one of Maelstrom's typed RPCs (defrpc): it sends body,
// and checks that the reply conforms to the RPC's schema (its type is
// want, its fields exactly the given ones plus msg_id and in_reply_to,
// each of its schema). A reply that does not is not an error reply but a
// malformed one: Maelstrom throws, the client crashes, which is what the
// returned plain error means to the interpreter. It returns the decoded
// fields by name.
func typedRPC(c rpcConn, node string, body map[string]any, want string, fields ...rpcField) (map[string]any, error) {
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

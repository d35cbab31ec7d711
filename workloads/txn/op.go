package txn

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Micro-operation functions of txn-rw-register.
const (
	FuncRead  = "r"
	FuncWrite = "w"
)

// Op is one micro-operation of a transaction, on the wire the array
// ["r", key, null] or ["w", key, value]. Key is the key's compact JSON text
// (so 1 and "1" are different keys and integers of any size stay exact);
// Value is compact raw JSON: the written value, or the value a read saw once
// the transaction ran (null for a missing key).
type Op struct {
	Func  string
	Key   string
	Value json.RawMessage
}

var null = json.RawMessage("null")

// UnmarshalJSON decodes ["r"|"w", key, value]. The key must be a number or
// a string; anything else is an error, so a malformed transaction is
// refused before any of it runs.
func (o *Op) UnmarshalJSON(b []byte) error {
	var parts []json.RawMessage
	if err := json.Unmarshal(b, &parts); err != nil || len(parts) != 3 {
		return fmt.Errorf("micro-op %.60s: want [f, key, value]", b)
	}
	var op Op
	if err := json.Unmarshal(parts[0], &op.Func); err != nil || (op.Func != FuncRead && op.Func != FuncWrite) {
		return fmt.Errorf("micro-op %.60s: function must be %q or %q", b, FuncRead, FuncWrite)
	}
	if err := op.decodeArgs(parts[1], parts[2]); err != nil {
		return fmt.Errorf("micro-op %.60s: %w", b, err)
	}
	*o = op
	return nil
}

// decodeArgs sets Key and Value from raw JSON, checking the key's type.
func (o *Op) decodeArgs(key, value json.RawMessage) error {
	k, err := compact(key)
	if err != nil {
		return fmt.Errorf("key: %w", err)
	}
	if c := k[0]; c != '"' && c != '-' && (c < '0' || c > '9') {
		return fmt.Errorf("key %s: must be a number or a string", k)
	}
	v, err := compact(value)
	if err != nil {
		return fmt.Errorf("value: %w", err)
	}
	o.Key, o.Value = string(k), v
	return nil
}

// MarshalJSON encodes the op as [f, key, value]; a missing value is null.
func (o Op) MarshalJSON() ([]byte, error) {
	f, err := json.Marshal(o.Func)
	if err != nil {
		return nil, err
	}
	args := o.marshalArgs()
	b := make([]byte, 0, len(f)+len(args)+1)
	b = append(b, '[')
	b = append(b, f...)
	b = append(b, ',')
	return append(b, args[1:]...), nil
}

// marshalArgs encodes [key, value].
func (o Op) marshalArgs() []byte {
	v := o.Value
	if v == nil {
		v = null
	}
	b := make([]byte, 0, len(o.Key)+len(v)+3)
	b = append(b, '[')
	b = append(b, o.Key...)
	b = append(b, ',')
	b = append(b, v...)
	return append(b, ']')
}

// compact returns raw JSON without insignificant white space, in a fresh
// slice (raw may alias a decoder's buffer).
func compact(raw json.RawMessage) (json.RawMessage, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, err
	}
	if buf.Len() == 0 {
		return nil, fmt.Errorf("empty JSON value")
	}
	return buf.Bytes(), nil
}

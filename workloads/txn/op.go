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

// UnmarshalJSON decodes a micro-op as a request holds it: ["r", key, null]
// or ["w", key, value], where key and a written value are each a number or
// a string. Anything else is an error, so a malformed transaction is
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
	switch {
	case op.Func == FuncRead && string(op.Value) != "null":
		return fmt.Errorf("micro-op %.60s: a read's value must be null", b)
	case op.Func == FuncWrite && !scalar(op.Value):
		return fmt.Errorf("micro-op %.60s: the value written must be a number or a string", b)
	}
	*o = op
	return nil
}

// microOps is a transaction's micro-ops as a request holds them: an array, never
// null. Decoding names the index of the first micro-op that is malformed.
type microOps []Op

// UnmarshalJSON decodes the array of micro-ops.
func (t *microOps) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || raw == nil {
		return fmt.Errorf("txn %.60s: want an array of micro-ops", b)
	}
	out := make([]Op, len(raw))
	for i, r := range raw {
		if err := out[i].UnmarshalJSON(r); err != nil {
			return fmt.Errorf("txn[%d]: %w", i, err)
		}
	}
	*t = out
	return nil
}

// decodeArgs sets Key and Value from raw JSON, checking the key's type.
func (o *Op) decodeArgs(key, value json.RawMessage) error {
	k, err := compact(key)
	if err != nil {
		return fmt.Errorf("key: %w", err)
	}
	if !scalar(k) {
		return fmt.Errorf("key %s: must be a number or a string", k)
	}
	v, err := compact(value)
	if err != nil {
		return fmt.Errorf("value: %w", err)
	}
	o.Key, o.Value = string(k), v
	return nil
}

// scalar reports whether compact JSON is a number or a string.
func scalar(v json.RawMessage) bool {
	c := v[0]
	return c == '"' || c == '-' || (c >= '0' && c <= '9')
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

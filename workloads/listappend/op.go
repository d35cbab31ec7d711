package listappend

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Micro-op functions of txn-list-append.
const (
	Read   = "r"
	Append = "append"
)

// Op is one micro-op, on the wire the array [f, key, value]. Key and Elem
// are compact raw JSON (keys and elements may be any JSON value; 1 and "1"
// are different keys). A request's read carries no value; once the
// transaction has run, List holds what the read saw, nil for a key that was
// never appended to (null on the wire).
type Op struct {
	F    string
	Key  json.RawMessage
	Elem json.RawMessage   // Append only: the element appended
	List []json.RawMessage // Read only, once run
}

// MarshalJSON encodes the op as Maelstrom's [f, key, value].
func (o Op) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`["`)
	b.WriteString(o.F)
	b.WriteString(`",`)
	b.Write(o.Key)
	b.WriteByte(',')
	switch {
	case o.F == Append:
		b.Write(o.Elem)
	case o.List == nil:
		b.WriteString("null")
	default:
		b.WriteByte('[')
		for i, e := range o.List {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(e)
		}
		b.WriteByte(']')
	}
	b.WriteByte(']')
	return b.Bytes(), nil
}

// UnmarshalJSON decodes a micro-op as a request holds it: ["r", key, null]
// or ["append", key, element]. Anything else is an error, so that a
// malformed transaction is refused before any of it runs.
func (o *Op) UnmarshalJSON(b []byte) error {
	var parts []json.RawMessage
	if err := json.Unmarshal(b, &parts); err != nil || len(parts) != 3 {
		return fmt.Errorf("%.60s is not [f, key, value]", b)
	}
	var f string
	if err := json.Unmarshal(parts[0], &f); err != nil || (f != Read && f != Append) {
		return fmt.Errorf("function %.30s is neither %q nor %q", parts[0], Read, Append)
	}
	key, err := compactJSON(parts[1])
	if err != nil {
		return fmt.Errorf("key: %w", err)
	}
	op := Op{F: f, Key: key}
	if f == Read {
		if string(bytes.TrimSpace(parts[2])) != "null" {
			return fmt.Errorf("a read's value must be null, not %.30s", parts[2])
		}
	} else if op.Elem, err = compactJSON(parts[2]); err != nil {
		return fmt.Errorf("element: %w", err)
	}
	*o = op
	return nil
}

// Txn is a transaction's micro-ops, in order.
type Txn []Op

// UnmarshalJSON decodes a request's txn: an array (never null) of micro-ops,
// naming the index of the first malformed one.
func (t *Txn) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || raw == nil {
		return errors.New("txn must be an array of micro-ops")
	}
	ops := make(Txn, len(raw))
	for i := range raw {
		if err := ops[i].UnmarshalJSON(raw[i]); err != nil {
			return fmt.Errorf("txn[%d]: %w", i, err)
		}
	}
	*t = ops
	return nil
}

// writes reports whether t appends anything.
func (t Txn) writes() bool {
	for _, o := range t {
		if o.F == Append {
			return true
		}
	}
	return false
}

func compactJSON(raw json.RawMessage) (json.RawMessage, error) {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

package txn

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/glomers/glomers/sim/elle"
)

// Txn is a transaction as the history holds it: micro-ops [f k v] whose
// keys and values are canonical JSON texts (elle.Mop), so that whatever a
// node returns can be compared. An invocation's reads hold elle.Nil.
type Txn []elle.Mop

// MarshalJSON encodes the transaction as Maelstrom sends it:
// [["r",1,null],["w",1,2]].
func (t Txn) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, m := range t {
		if i > 0 {
			b.WriteByte(',')
		}
		f, _ := json.Marshal(m.F)
		b.WriteByte('[')
		b.Write(f)
		b.WriteByte(',')
		b.WriteString(m.Key)
		b.WriteByte(',')
		b.WriteString(m.Value)
		b.WriteByte(']')
	}
	b.WriteByte(']')
	return b.Bytes(), nil
}

// String renders the transaction as Elle prints one.
func (t Txn) String() string {
	s := "["
	for i, m := range t {
		if i > 0 {
			s += " "
		}
		s += m.String()
	}
	return s + "]"
}

// parseTxn decodes a reply's transaction as Maelstrom's schema for txn_ok
// accepts it: an array of three-element arrays whose first element is "r"
// or "w", with keys and values of any JSON type.
func parseTxn(raw json.RawMessage) (Txn, error) {
	var mops []json.RawMessage
	if err := json.Unmarshal(raw, &mops); err != nil || mops == nil {
		return nil, fmt.Errorf("txn %.100s is not an array", raw)
	}
	t := make(Txn, 0, len(mops))
	for _, r := range mops {
		var parts []json.RawMessage
		if err := json.Unmarshal(r, &parts); err != nil || len(parts) != 3 {
			return nil, fmt.Errorf("micro-op %.100s is not [f, k, v]", r)
		}
		var f string
		if err := json.Unmarshal(parts[0], &f); err != nil || (f != "r" && f != "w") {
			return nil, fmt.Errorf("micro-op %.100s: f is neither \"r\" nor \"w\"", r)
		}
		k, err := canonical(parts[1])
		if err != nil {
			return nil, err
		}
		v, err := canonical(parts[2])
		if err != nil {
			return nil, err
		}
		t = append(t, elle.Mop{F: f, Key: k, Value: v})
	}
	return t, nil
}

// canonical returns the compact text of a JSON value.
func canonical(raw json.RawMessage) (string, error) {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return "", fmt.Errorf("bad JSON %.100s: %w", raw, err)
	}
	return b.String(), nil
}

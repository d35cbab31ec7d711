package txn

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// On the wire an Entry is [clock, [[key, value], ...]] and a Write is
// [key, value]: arrays rather than objects, because a batch after a long
// partition carries thousands of them.

// MarshalJSON encodes the entry as [clock, writes].
func (e Entry) MarshalJSON() ([]byte, error) {
	ws, err := json.Marshal(e.Writes)
	if err != nil {
		return nil, err
	}
	b := append([]byte{'['}, strconv.FormatUint(e.Clock, 10)...)
	b = append(b, ',')
	b = append(b, ws...)
	return append(b, ']'), nil
}

// UnmarshalJSON decodes [clock, writes].
func (e *Entry) UnmarshalJSON(b []byte) error {
	var parts []json.RawMessage
	if err := json.Unmarshal(b, &parts); err != nil || len(parts) != 2 {
		return fmt.Errorf("entry %.60s: want [clock, writes]", b)
	}
	var d Entry
	if err := json.Unmarshal(parts[0], &d.Clock); err != nil {
		return fmt.Errorf("entry clock: %w", err)
	}
	if err := json.Unmarshal(parts[1], &d.Writes); err != nil {
		return fmt.Errorf("entry writes: %w", err)
	}
	*e = d
	return nil
}

// MarshalJSON encodes the write as [key, value].
func (w Write) MarshalJSON() ([]byte, error) {
	return Op{Key: w.Key, Value: w.Value}.marshalArgs(), nil
}

// UnmarshalJSON decodes [key, value] with the same checks as a client's
// micro-op.
func (w *Write) UnmarshalJSON(b []byte) error {
	var parts []json.RawMessage
	if err := json.Unmarshal(b, &parts); err != nil || len(parts) != 2 {
		return fmt.Errorf("write %.60s: want [key, value]", b)
	}
	var op Op
	if err := op.decodeArgs(parts[0], parts[1]); err != nil {
		return fmt.Errorf("write %.60s: %w", b, err)
	}
	*w = Write{Key: op.Key, Value: op.Value}
	return nil
}

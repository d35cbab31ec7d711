package txn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// mop is one micro-operation: ["r", key, value] or ["w", key, value]. A read
// that has not run yet, or that found the key missing, has null set.
type mop struct {
	write bool
	key   int64
	val   int64
	null  bool
}

// MarshalJSON encodes the micro-op as Maelstrom's 3-element array.
func (m mop) MarshalJSON() ([]byte, error) {
	f := "r"
	if m.write {
		f = "w"
	}
	if m.null {
		return fmt.Appendf(nil, `[%q,%d,null]`, f, m.key), nil
	}
	return fmt.Appendf(nil, `[%q,%d,%d]`, f, m.key, m.val), nil
}

// String renders the micro-op compactly for anomaly reports: "r 3 7",
// "w 3 8", "r 4 nil".
func (m mop) String() string {
	f := "r"
	if m.write {
		f = "w"
	}
	if m.null {
		return fmt.Sprintf("%s %d nil", f, m.key)
	}
	return fmt.Sprintf("%s %d %d", f, m.key, m.val)
}

// request is the body of a txn request.
type request struct {
	Type string `json:"type"`
	Txn  []mop  `json:"txn"`
}

// rawTxn is how a request or txn_ok body decodes before its micro-ops are
// parsed.
type rawTxn struct {
	Txn [][]json.RawMessage `json:"txn"`
}

// parseTxn decodes the micro-ops of a txn or txn_ok body.
func parseTxn(body []byte) ([]mop, error) {
	var raw rawTxn
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("decode txn body: %w", err)
	}
	if raw.Txn == nil {
		return nil, errors.New("no txn field")
	}
	mops := make([]mop, len(raw.Txn))
	for i, r := range raw.Txn {
		m, err := parseMop(r)
		if err != nil {
			return nil, fmt.Errorf("micro-op %d: %w", i, err)
		}
		mops[i] = m
	}
	return mops, nil
}

// parseMop decodes one [f, k, v] array; keys and values must be integers
// (or null values).
func parseMop(r []json.RawMessage) (mop, error) {
	if len(r) != 3 {
		return mop{}, fmt.Errorf("%d elements, want 3", len(r))
	}
	var m mop
	switch string(bytes.TrimSpace(r[0])) {
	case `"r"`:
	case `"w"`:
		m.write = true
	default:
		return mop{}, fmt.Errorf("function %s, want \"r\" or \"w\"", r[0])
	}
	k, err := parseInt(r[1])
	if err != nil {
		return mop{}, fmt.Errorf("key: %w", err)
	}
	m.key = k
	if string(bytes.TrimSpace(r[2])) == "null" {
		m.null = true
		return m, nil
	}
	if m.val, err = parseInt(r[2]); err != nil {
		return mop{}, fmt.Errorf("value: %w", err)
	}
	return m, nil
}

// parseInt reads a JSON number that holds an integer, accepting the float
// form (3.0) that some client libraries produce.
func parseInt(raw json.RawMessage) (int64, error) {
	s := strings.TrimSpace(string(raw))
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, fmt.Errorf("%s is not an integer", s)
	}
	return int64(f), nil
}

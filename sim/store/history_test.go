package store

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"
)

// TestWriteEDNOf: the direct path writes what the JSON path writes, for
// every shape it takes, and declines the others.
func TestWriteEDNOf(t *testing.T) {
	for _, v := range []any{nil, int64(-42), 7, "a \"quoted\"\n\\ text", "", []int64{}, []int64(nil), []int64{3, -1, 1 << 62}} {
		var direct, viaJSON bytes.Buffer
		w := bufio.NewWriter(&direct)
		if !writeEDNOf(w, v) {
			t.Errorf("%#v: not written directly", v)
			continue
		}
		w.Flush()
		js, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		w = bufio.NewWriter(&viaJSON)
		if err := ednValue(w, js); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		if direct.String() != viaJSON.String() {
			t.Errorf("%#v: direct %q, via JSON %q", v, direct.String(), viaJSON.String())
		}
	}
	for _, v := range []any{map[string]any{"a": 1}, []any{1, "x"}, 1.5, true} {
		if writeEDNOf(bufio.NewWriter(&bytes.Buffer{}), v) {
			t.Errorf("%#v written directly; it should go through JSON", v)
		}
	}
}

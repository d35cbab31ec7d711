package listappend

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/glomers/glomers/node"
)

// TestOpJSON checks the wire form of micro-ops both ways.
func TestOpJSON(t *testing.T) {
	var txn Txn
	in := `[["r", 1, null], ["append", "k", {"a": [1, 2]}], ["r", 2, null]]`
	if err := json.Unmarshal([]byte(in), &txn); err != nil {
		t.Fatal(err)
	}
	txn[0].List = []json.RawMessage{json.RawMessage("3"), json.RawMessage(`"x"`)}
	out, err := json.Marshal(txn)
	if err != nil {
		t.Fatal(err)
	}
	if want := `[["r",1,[3,"x"]],["append","k",{"a":[1,2]}],["r",2,null]]`; string(out) != want {
		t.Fatalf("encoded %s, want %s", out, want)
	}
}

// TestRequests runs the node on a script of requests and checks every
// reply: malformed transactions are refused with 12 naming what is wrong,
// before anything runs; an empty transaction is answered at once.
func TestRequests(t *testing.T) {
	reqs := []struct {
		body string
		want string // reply type, or the code and a piece of the text
	}{
		{`{"type":"txn","msg_id":1,"txn":[]}`, "txn_ok"},
		{`{"type":"txn","msg_id":2}`, `12 "txn"`},
		{`{"type":"txn","msg_id":3,"txn":null}`, "txn_ok"}, // the schema's empty transaction
		{`{"type":"txn","msg_id":4,"txn":[["w",1,2]]}`, `12 txn[0]: function "w"`},
		{`{"type":"txn","msg_id":5,"txn":[["r",1,null],["r",1,[1]]]}`, `12 txn[1]: a read's value must be null`},
		{`{"type":"txn","msg_id":6,"txn":[["append",1]]}`, `12 txn[0]`},
		{`{"type":"txn","msg_id":7,"txn":{"r":1}}`, `12 txn must be an array`},
	}
	var in strings.Builder
	in.WriteString(`{"src":"c0","dest":"n0","body":{"type":"init","msg_id":99,"node_id":"n0","node_ids":["n0"]}}` + "\n")
	for _, r := range reqs {
		fmt.Fprintf(&in, `{"src":"c1","dest":"n0","body":%s}`+"\n", r.body)
	}
	var out bytes.Buffer
	build, err := Program.Builder(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := node.New(build, node.WithIO(strings.NewReader(in.String()), &out)).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	replies := map[int]string{}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var m struct {
			Body struct {
				Type      string `json:"type"`
				InReplyTo int    `json:"in_reply_to"`
				Code      int    `json:"code"`
				Text      string `json:"text"`
			} `json:"body"`
		}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		b := m.Body
		replies[b.InReplyTo] = b.Type
		if b.Type == "error" {
			replies[b.InReplyTo] = fmt.Sprintf("%d %s", b.Code, b.Text)
		}
	}
	for i, r := range reqs {
		got := replies[i+1]
		code, piece, _ := strings.Cut(r.want, " ")
		if !strings.HasPrefix(got, code) || !strings.Contains(got, piece) {
			t.Errorf("%s: reply %q, want %q", r.body, got, r.want)
		}
	}
}

// TestFlags checks that Program refuses settings no node can use.
func TestFlags(t *testing.T) {
	if _, err := Program.Builder([]string{"-flush", "5ms", "-chunk", "8", "-rpc", "2s"}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []Config{{Flush: -1, Chunk: 1, RPC: 1}, {Chunk: 0, RPC: 1}, {Chunk: 1}} {
		if bad.Validate() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

package echo

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/glomers/glomers/node"
)

// TestEcho serves scripted requests and checks each payload comes back byte
// for byte, including one that is missing.
func TestEcho(t *testing.T) {
	cases := []struct{ req, want string }{
		{`{"type":"echo","msg_id":2,"echo":"Please echo 35"}`, `"Please echo 35"`},
		{`{"type":"echo","msg_id":3,"echo":9223372036854775807}`, `9223372036854775807`},
		{`{"type":"echo","msg_id":4,"echo":{"a":[1,null,"x"]}}`, `{"a":[1,null,"x"]}`},
		{`{"type":"echo","msg_id":5}`, `null`},
	}
	in := []string{`{"src":"c0","dest":"n0","body":{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0"]}}`}
	for _, tc := range cases {
		in = append(in, `{"src":"c1","dest":"n0","body":`+tc.req+`}`)
	}
	var out bytes.Buffer
	n := node.New(node.WithIO(strings.NewReader(strings.Join(in, "\n")), &out))
	if err := Setup(n, nil); err != nil {
		t.Fatal(err)
	}
	if err := n.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{} // in_reply_to → echo
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n")[1:] {
		var m struct {
			Body struct {
				Type      string          `json:"type"`
				InReplyTo json.Number     `json:"in_reply_to"`
				Echo      json.RawMessage `json:"echo"`
			} `json:"body"`
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil || m.Body.Type != "echo_ok" {
			t.Fatalf("reply %s: %v", line, err)
		}
		got[m.Body.InReplyTo.String()] = string(m.Body.Echo)
	}
	for i, tc := range cases {
		if id := string(rune('2' + i)); got[id] != tc.want {
			t.Errorf("echo of %s = %s, want %s", tc.req, got[id], tc.want)
		}
	}
}

func TestSetupRejectsArguments(t *testing.T) {
	if err := Setup(node.New(), []string{"-x"}); err == nil {
		t.Fatal("echo accepted an argument")
	}
}

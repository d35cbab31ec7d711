package echo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/glomers/glomers/node"
	"github.com/rs/zerolog"
)

// TestEcho serves scripted requests on the wire: each payload comes back
// byte for byte, and a body without a valid echo member is answered with
// malformed-request (12) naming the member.
func TestEcho(t *testing.T) {
	cases := []struct {
		body string // the request body after "msg_id":N,
		echo string // the payload of echo_ok, or "" when an error is due
		text string // what the error's text must name
	}{
		{body: `"echo":"Please echo 35"`, echo: `"Please echo 35"`},
		{body: `"echo":9223372036854775807`, echo: `9223372036854775807`},
		{body: `"echo":{"a":[1,null,"x"]}`, echo: `{"a":[1,null,"x"]}`},
		{body: `"echo":null`, echo: `null`},
		{body: `"payload":"x"`, text: `missing "echo"`},
	}
	in := []string{`{"src":"c0","dest":"n0","body":{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0"]}}`}
	for i, tc := range cases {
		in = append(in, fmt.Sprintf(`{"src":"c1","dest":"n0","body":{"type":"echo","msg_id":%d,%s}}`, i+2, tc.body))
	}
	build, err := Program.Builder(nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := node.New(build, node.WithIO(strings.NewReader(strings.Join(in, "\n")), &out), node.WithLogger(zerolog.Nop())).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	type reply struct {
		Type, Text string
		InReplyTo  int `json:"in_reply_to"`
		Code       int
		Echo       json.RawMessage
	}
	got := map[int]reply{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n")[1:] {
		var m struct{ Body reply }
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("reply %s: %v", line, err)
		}
		got[m.Body.InReplyTo-2] = m.Body
	}
	for i, tc := range cases {
		r := got[i]
		switch {
		case tc.echo != "" && (r.Type != "echo_ok" || string(r.Echo) != tc.echo):
			t.Errorf("{%s}: got %+v, want echo_ok with %s", tc.body, r, tc.echo)
		case tc.echo == "" && (r.Type != "error" || r.Code != node.CodeMalformedRequest || !strings.Contains(r.Text, tc.text)):
			t.Errorf("{%s}: got %+v, want error 12 saying %s", tc.body, r, tc.text)
		}
	}
}

func TestProgramTakesNoArguments(t *testing.T) {
	for _, args := range [][]string{{"-x"}, {"extra"}} {
		if _, err := Program.Builder(args); err == nil {
			t.Errorf("echo accepted %q", args)
		}
	}
}

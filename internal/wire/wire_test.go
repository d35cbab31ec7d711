package wire

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// reference decodes a line with encoding/json into maps (so keys match
// exactly, as Maelstrom writes them, and the last of duplicate keys wins),
// the behaviour ParseLine must match.
func reference(line []byte) (Envelope, Header, bool) {
	var env map[string]json.RawMessage
	if err := json.Unmarshal(line, &env); err != nil {
		return Envelope{}, Header{}, false
	}
	var msg Envelope
	var hdr Header
	body := env["body"]
	if json.Unmarshal(env["src"], &msg.Src) != nil && env["src"] != nil ||
		json.Unmarshal(env["dest"], &msg.Dest) != nil && env["dest"] != nil ||
		len(body) == 0 || body[0] != '{' {
		return msg, hdr, false
	}
	msg.Body = body
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return msg, hdr, false
	}
	for key, dst := range map[string]any{"type": &hdr.Type, "msg_id": &hdr.MsgID, "in_reply_to": &hdr.InReplyTo} {
		if raw, ok := fields[key]; ok && json.Unmarshal(raw, dst) != nil {
			return msg, hdr, false
		}
	}
	return msg, hdr, true
}

var wireCases = []string{
	`{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":1,"echo":"x"}}`,
	`{"id":7,"src":"c1","dest":"n1","body":{"echo":{"type":"nested","msg_id":9},"type":"echo","msg_id":4611686018427387904}}`,
	` { "body" : { "in_reply_to" : 12 , "type" : "read_ok", "value": [1, {"a": "}"}, "\"]"] } , "src" : "lin-kv" , "dest" : "n2" } `,
	`{"src":"c\u0031","dest":"n\"1","body":{"t\u0079pe":"e\\cho","msg_id":null}}`,
	`{"src":"c1","dest":"n1","body":{}}`,
	`{"src":"c1","dest":"n1","body":{"type":null,"x":true,"y":false,"z":-1.5e3}}`,
	`{"src":"c1","dest":"n1","body":[1,2]}`,
	`{"src":"c1","dest":"n1"}`,
	`{"src":1,"dest":"n1","body":{}}`,
	`{"src":"c1","dest":"n1","body":{"type":5}}`,
	`{"src":"c1","dest":"n1","body":{"msg_id":"7"}}`,
	`{"src":"c1","dest":"n1","body":{"msg_id":1.5}}`,
	`[]`,
	`{"src":"c1",`,
	`nonsense`,
	`{}`,
	`{"SRC":"c1","src":"c2","dest":null,"body":{"Type":"x","type":"y","type":"z"}}`,
	`{"src":1,"src":"c1","dest":"n1","body":{"type":"x"}}`,
	`{"src":"c1","dest":"n1","body":{"type":"x","msg_id":"a","msg_id":3}}`,
}

func TestParseLineMatchesEncodingJSON(t *testing.T) {
	for _, line := range wireCases {
		checkWire(t, []byte(line))
	}
}

func FuzzParseLine(f *testing.F) {
	for _, line := range wireCases {
		f.Add([]byte(line))
	}
	f.Fuzz(checkWire)
}

func checkWire(t *testing.T, line []byte) {
	wantMsg, wantHdr, ok := reference(line)
	msg, hdr, err := ParseLine(line)
	if ok != (err == nil) {
		t.Fatalf("%s: ParseLine error %v, encoding/json ok=%v", line, err, ok)
	}
	if !ok {
		return
	}
	if msg.Src != wantMsg.Src || msg.Dest != wantMsg.Dest || !bytes.Equal(msg.Body, wantMsg.Body) || hdr != wantHdr {
		t.Fatalf("%s:\n got %q %q %s %+v\nwant %q %q %s %+v", line, msg.Src, msg.Dest, msg.Body, hdr, wantMsg.Src, wantMsg.Dest, wantMsg.Body, wantHdr)
	}
}

// TestEnvelopeIsJSON checks that every line AppendEnvelope builds is valid
// JSON that decodes back to its parts, whatever the ids contain.
func TestEnvelopeIsJSON(t *testing.T) {
	for _, id := range []string{"n1", "c12", "lin-kv", `a"b`, `back\slash`, "tab\there", "nul\x00", "é", "\u2028", "bad\xffutf8"} {
		line := AppendEnvelope(nil, id, id, []byte(`{"type":"x"}`), "msg_id", 3)
		msg, hdr, err := ParseLine(line)
		if err != nil {
			t.Fatalf("%q: %s is not a message: %v", id, line, err)
		}
		want := strings.ToValidUTF8(id, "\uFFFD")
		if msg.Src != want || msg.Dest != want || hdr.Type != "x" || hdr.MsgID != 3 {
			t.Fatalf("%q: decoded %q %q %+v", id, msg.Src, msg.Dest, hdr)
		}
	}
}

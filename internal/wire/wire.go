// Package wire is Maelstrom's line format as the runtime (package node) and
// the simulator share it: ParseLine reads an envelope and its body header
// without reflection, AppendEnvelope writes one. It is internal: node and
// sim are its only users.
package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"
)

// This file is the wire format. AppendEnvelope writes a line; the rest
// reads the envelope and the body header of each input line without
// reflection. encoding/json decoded them at a third of the cost of
// serving a small request; here a line is validated once with json.Valid
// and then walked member by member, and only the members the runtime needs
// are converted: src, dest and body; then the body's type, msg_id and
// in_reply_to. The body itself stays raw for the handler.

// Envelope is one message: source, destination and the raw body (a JSON
// object).
type Envelope struct {
	Src, Dest string
	Body      json.RawMessage
}

// Header is what the runtime reads of a body: its type, msg_id and
// in_reply_to (0 when absent).
type Header struct {
	Type      string
	MsgID     int64
	InReplyTo int64
}

// ParseLine splits one line of the wire format into its message and body
// header. It validates the whole line, and reads only what it needs without
// reflection; the body is copied, so line may be reused.
func ParseLine(line []byte) (Envelope, Header, error) {
	var msg Envelope
	var hdr Header
	if !json.Valid(line) {
		return msg, hdr, errors.New("not valid JSON")
	}
	var src, dest, body []byte
	err := Members(line, func(key, val []byte) {
		switch string(key) {
		case "src":
			src = val
		case "dest":
			dest = val
		case "body":
			body = val
		}
	})
	if err != nil {
		return msg, hdr, err
	}
	if msg.Src, err = jsonString(src); err != nil {
		return msg, hdr, fmt.Errorf("src: %w", err)
	}
	if msg.Dest, err = jsonString(dest); err != nil {
		return msg, hdr, fmt.Errorf("dest: %w", err)
	}
	if len(body) == 0 || body[0] != '{' {
		return msg, hdr, errors.New("body is missing or not a JSON object")
	}
	msg.Body = bytes.Clone(body) // line may be the reader's buffer
	hdr, err = headerOf(msg.Body)
	return msg, hdr, err
}

// ParseHeader reads the runtime's fields of a body, which must be a JSON
// object.
func ParseHeader(body []byte) (Header, error) {
	if !json.Valid(body) {
		return Header{}, errors.New("body is not valid JSON")
	}
	return headerOf(body)
}

// headerOf is parseHeader for a body known to be valid JSON. The last of
// duplicate keys counts, as with encoding/json.
func headerOf(body []byte) (Header, error) {
	var hdr Header
	var typ, msgID, inReplyTo []byte
	err := Members(body, func(key, val []byte) {
		switch string(key) {
		case "type":
			typ = val
		case "msg_id":
			msgID = val
		case "in_reply_to":
			inReplyTo = val
		}
	})
	if err != nil {
		return hdr, err
	}
	if hdr.Type, err = jsonString(typ); err != nil {
		return hdr, fmt.Errorf("body type: %w", err)
	}
	if hdr.MsgID, err = jsonInt(msgID); err != nil {
		return hdr, fmt.Errorf("body msg_id: %w", err)
	}
	if hdr.InReplyTo, err = jsonInt(inReplyTo); err != nil {
		return hdr, fmt.Errorf("body in_reply_to: %w", err)
	}
	return hdr, nil
}

// WithoutKeys returns the JSON object body, which must be valid, without its
// top-level members named by keys; body itself when it has none of them.
func WithoutKeys(body []byte, keys ...string) []byte {
	found := false
	for _, k := range keys {
		if bytes.Contains(body, []byte(`"`+k+`"`)) {
			found = true
		}
	}
	if !found {
		return body // the fast path: nothing that could be such a member
	}
	out := make([]byte, 0, len(body))
	out = append(out, '{')
	_ = Members(body, func(key, val []byte) {
		if slices.Contains(keys, string(key)) {
			return
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		kb, _ := json.Marshal(string(key)) // a string always encodes
		out = append(out, kb...)
		out = append(out, ':')
		out = append(out, val...)
	})
	return append(out, '}')
}

// Members calls fn with the key and the raw value of each member of the JSON
// object data, which must be valid JSON. Keys with escapes are unescaped.
func Members(data []byte, fn func(key, val []byte)) error {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return errors.New("not a JSON object")
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return nil
	}
	for i < len(data) {
		end := skipValue(data, i) // the key, a string
		key := data[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 || !utf8.Valid(key) {
			var k string
			if err := json.Unmarshal(data[i:end], &k); err != nil {
				return err
			}
			key = []byte(k)
		}
		i = skipSpace(data, end)
		i = skipSpace(data, i+1) // past ':'
		end = skipValue(data, i)
		fn(key, data[i:end])
		i = skipSpace(data, end)
		if i >= len(data) || data[i] == '}' {
			return nil
		}
		i = skipSpace(data, i+1) // past ','
	}
	return nil
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just past the valid JSON value at data[i].
func skipValue(data []byte, i int) int {
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				i = skipString(data, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	default: // number, true, false, null
		for i < len(data) {
			switch data[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			}
			i++
		}
		return i
	}
}

// skipString returns the index just past the string starting at data[i].
func skipString(data []byte, i int) int {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// jsonString converts a raw JSON string value; null or absent is "".
func jsonString(val []byte) (string, error) {
	if val == nil || string(val) == "null" {
		return "", nil
	}
	if len(val) < 2 || val[0] != '"' {
		return "", fmt.Errorf("want a string, got %.20s", val)
	}
	if bytes.IndexByte(val, '\\') < 0 && utf8.Valid(val) {
		return string(val[1 : len(val)-1]), nil
	}
	var s string
	err := json.Unmarshal(val, &s)
	return s, err
}

// jsonInt converts a raw JSON integer value; null or absent is 0.
func jsonInt(val []byte) (int64, error) {
	if val == nil || string(val) == "null" {
		return 0, nil
	}
	return strconv.ParseInt(string(val), 10, 64)
}

// AppendEnvelope appends to dst the wire line of a message from src to dest
// with body, a compact JSON object as json.Marshal writes it, newline
// included. When key is not empty,
// "key":val is spliced in as the body's first member (how the runtime adds
// msg_id and in_reply_to without decoding the body). Every line starts
// exactly with {"src":"…","dest":"…", which the simulator relies on.
func AppendEnvelope(dst []byte, src, dest string, body []byte, key string, val int64) []byte {
	dst = append(dst, `{"src":`...)
	dst = appendString(dst, src)
	dst = append(dst, `,"dest":`...)
	dst = appendString(dst, dest)
	dst = append(dst, `,"body":{`...)
	if key != "" {
		dst = append(dst, '"')
		dst = append(dst, key...)
		dst = append(dst, `":`...)
		dst = strconv.AppendInt(dst, val, 10)
		if len(bytes.TrimSpace(body[1:len(body)-1])) > 0 {
			dst = append(dst, ',')
		}
	}
	dst = append(dst, body[1:]...)
	return append(dst, "}\n"...)
}

// appendString appends s as a JSON string. Node ids are plain ASCII and are
// copied as they are; anything else goes through encoding/json.
func appendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			b, _ := json.Marshal(s) // a string always encodes
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

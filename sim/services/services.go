package services

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/glomers/glomers/node"
)

// Service answers requests addressed to one of Maelstrom's services.
type Service interface {
	// Handle answers the request body (a JSON object with "type", "msg_id"
	// and the op's fields) sent by src. It returns the reply body without
	// in_reply_to (the caller adds it); the value encodes with
	// encoding/json, e.g. to {"type":"read_ok","value":5} or
	// {"type":"error","code":20,"text":"key does not exist"}.
	Handle(src string, body json.RawMessage) any
}

// Names lists the services New knows, sorted.
func Names() []string {
	return []string{node.LinKV, node.LinTSO, node.LWWKV, node.SeqKV}
}

// New returns a fresh instance of the named service. rng drives its random
// choices (seq-kv's stale states, lww-kv's replicas); the service uses it
// under its own mutex, so no one else may use rng concurrently.
func New(name string, rng *rand.Rand) (Service, error) {
	if rng == nil {
		return nil, errors.New("services: nil random source")
	}
	switch name {
	case node.LinKV:
		return newLinKV(), nil
	case node.SeqKV:
		return newSeqKV(rng), nil
	case node.LWWKV:
		return newLWWKV(lwwReplicas, rng), nil
	case node.LinTSO:
		return &linTSO{}, nil
	}
	return nil, fmt.Errorf("services: unknown service %q (known: %v)", name, Names())
}

// okReply is a reply with nothing but its type: write_ok, cas_ok.
type okReply struct {
	Type string `json:"type"`
}

// readReply is read_ok.
type readReply struct {
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

// tsReply is lin-tso's ts_ok.
type tsReply struct {
	Type string `json:"type"`
	TS   int64  `json:"ts"`
}

// errorReply is Maelstrom's error body.
type errorReply struct {
	Type string `json:"type"`
	Code int    `json:"code"`
	Text string `json:"text"`
}

func errReply(code int, format string, args ...any) errorReply {
	return errorReply{Type: "error", Code: code, Text: fmt.Sprintf(format, args...)}
}

func errMissingKey() errorReply {
	return errReply(node.CodeKeyDoesNotExist, "key does not exist")
}

// requestType decodes just the type of body, or returns the malformed-request
// reply.
func requestType(body json.RawMessage) (string, *errorReply) {
	var r struct {
		Type *string `json:"type"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		e := errReply(node.CodeMalformedRequest, "malformed request: %v", err)
		return "", &e
	}
	if r.Type == nil {
		e := errReply(node.CodeMalformedRequest, "malformed request: no type")
		return "", &e
	}
	return *r.Type, nil
}

package node

import (
	"context"
	"encoding/json"
	"fmt"
)

// Names of Maelstrom's built-in services.
const (
	SeqKV  = "seq-kv"  // sequentially consistent, serves stale reads
	LinKV  = "lin-kv"  // linearizable
	LWWKV  = "lww-kv"  // last-write-wins, eventually consistent
	LinTSO = "lin-tso" // strictly increasing timestamps
)

// KV is a client for one of Maelstrom's key/value services. Errors are
// *Error values: test them with errors.Is against ErrKeyDoesNotExist and
// ErrPreconditionFailed; a context that ends first gives a wrapped ctx.Err().
type KV struct {
	n       *Node
	service string
}

// NewKV returns a client for service (SeqKV, LinKV or LWWKV) that sends its
// requests from n.
func NewKV(n *Node, service string) *KV { return &KV{n: n, service: service} }

// Service names the service this client talks to.
func (kv *KV) Service() string { return kv.service }

// Read decodes the value stored at key into v.
func (kv *KV) Read(ctx context.Context, key string, v any) error {
	var resp struct {
		Value json.RawMessage `json:"value"`
	}
	req := struct {
		Type string `json:"type"`
		Key  string `json:"key"`
	}{"read", key}
	if err := kv.n.RPC(ctx, kv.service, req, &resp); err != nil {
		return fmt.Errorf("%s read %q: %w", kv.service, key, err)
	}
	if err := Decode(resp.Value, v); err != nil {
		return fmt.Errorf("%s read %q: decode value: %w", kv.service, key, err)
	}
	return nil
}

// ReadInt reads an integer value.
func (kv *KV) ReadInt(ctx context.Context, key string) (int64, error) {
	var v int64
	err := kv.Read(ctx, key, &v)
	return v, err
}

// Write stores value at key unconditionally.
func (kv *KV) Write(ctx context.Context, key string, value any) error {
	req := struct {
		Type  string `json:"type"`
		Key   string `json:"key"`
		Value any    `json:"value"`
	}{"write", key, value}
	if err := kv.n.RPC(ctx, kv.service, req, nil); err != nil {
		return fmt.Errorf("%s write %q: %w", kv.service, key, err)
	}
	return nil
}

// CAS sets key to to if it currently holds from. With create, a missing key
// is created with to. A mismatch is ErrPreconditionFailed; a missing key
// without create is ErrKeyDoesNotExist.
func (kv *KV) CAS(ctx context.Context, key string, from, to any, create bool) error {
	req := struct {
		Type   string `json:"type"`
		Key    string `json:"key"`
		From   any    `json:"from"`
		To     any    `json:"to"`
		Create bool   `json:"create_if_not_exists,omitempty"`
	}{"cas", key, from, to, create}
	if err := kv.n.RPC(ctx, kv.service, req, nil); err != nil {
		return fmt.Errorf("%s cas %q: %w", kv.service, key, err)
	}
	return nil
}

// TSO is a client for lin-tso, Maelstrom's timestamp oracle.
type TSO struct{ n *Node }

// NewTSO returns a lin-tso client that sends from n.
func NewTSO(n *Node) *TSO { return &TSO{n: n} }

// TS returns a timestamp greater than every one handed out before.
func (t *TSO) TS(ctx context.Context) (int64, error) {
	var resp struct {
		TS int64 `json:"ts"`
	}
	req := struct {
		Type string `json:"type"`
	}{"ts"}
	if err := t.n.RPC(ctx, LinTSO, req, &resp); err != nil {
		return 0, fmt.Errorf("%s ts: %w", LinTSO, err)
	}
	return resp.TS, nil
}

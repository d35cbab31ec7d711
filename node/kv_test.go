package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

// TestKVClient plays the service side of each KV and TSO call and checks
// the request the client sent, the value it decoded and the error mapping.
func TestKVClient(t *testing.T) {
	type call func(ctx context.Context, n *Node) (any, error)
	cases := []struct {
		name    string
		call    call
		wantReq string // expected request body without msg_id, as canonical JSON
		reply   string // reply body fields after in_reply_to
		want    any
		wantErr error
	}{
		{
			name:    "read int",
			call:    func(ctx context.Context, n *Node) (any, error) { return NewKV(n, SeqKV).ReadInt(ctx, "k") },
			wantReq: `{"key":"k","type":"read"}`,
			reply:   `"type":"read_ok","value":4611686018427387905`,
			want:    int64(4611686018427387905),
		},
		{
			name: "read into struct",
			call: func(ctx context.Context, n *Node) (any, error) {
				var v []int
				err := NewKV(n, LinKV).Read(ctx, "log", &v)
				return fmt.Sprint(v), err
			},
			wantReq: `{"key":"log","type":"read"}`,
			reply:   `"type":"read_ok","value":[1,2,3]`,
			want:    "[1 2 3]",
		},
		{
			name:    "read missing key",
			call:    func(ctx context.Context, n *Node) (any, error) { return NewKV(n, LinKV).ReadInt(ctx, "k") },
			wantReq: `{"key":"k","type":"read"}`,
			reply:   `"type":"error","code":20,"text":"not found"`,
			want:    int64(0),
			wantErr: ErrKeyDoesNotExist,
		},
		{
			name:    "write",
			call:    func(ctx context.Context, n *Node) (any, error) { return nil, NewKV(n, LWWKV).Write(ctx, "k", 7) },
			wantReq: `{"key":"k","type":"write","value":7}`,
			reply:   `"type":"write_ok"`,
		},
		{
			name:    "cas create",
			call:    func(ctx context.Context, n *Node) (any, error) { return nil, NewKV(n, LinKV).CAS(ctx, "k", 1, 2, true) },
			wantReq: `{"create_if_not_exists":true,"from":1,"key":"k","to":2,"type":"cas"}`,
			reply:   `"type":"cas_ok"`,
		},
		{
			name: "cas precondition failed",
			call: func(ctx context.Context, n *Node) (any, error) {
				return nil, NewKV(n, LinKV).CAS(ctx, "k", 1, 2, false)
			},
			wantReq: `{"from":1,"key":"k","to":2,"type":"cas"}`,
			reply:   `"type":"error","code":22,"text":"expected 1, had 3"`,
			wantErr: ErrPreconditionFailed,
		},
		{
			name:    "tso",
			call:    func(ctx context.Context, n *Node) (any, error) { return NewTSO(n).TS(ctx) },
			wantReq: `{"type":"ts"}`,
			reply:   `"type":"ts_ok","ts":12`,
			want:    int64(12),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.init()
			type result struct {
				v   any
				err error
			}
			res := make(chan result, 1)
			go func() {
				v, err := tc.call(context.Background(), h.n)
				res <- result{v, err}
			}()
			req := h.next()
			id := req.Body["msg_id"]
			delete(req.Body, "msg_id")
			if got, _ := json.Marshal(req.Body); string(got) != tc.wantReq {
				t.Fatalf("request %s, want %s", got, tc.wantReq)
			}
			h.send(fmt.Sprintf(`{"src":%q,"dest":"n1","body":{"in_reply_to":%s,%s}}`, req.Dest, id, tc.reply))
			r := <-res
			if tc.wantErr != nil {
				if !errors.Is(r.err, tc.wantErr) {
					t.Fatalf("error %v, want %v", r.err, tc.wantErr)
				}
				return
			}
			if r.err != nil || (tc.want != nil && r.v != tc.want) {
				t.Fatalf("got %v, %v; want %v", r.v, r.err, tc.want)
			}
		})
	}
}

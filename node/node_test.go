package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	maelstrom "github.com/jepsen-io/maelstrom/demo/go"
)

type echoReq struct {
	Echo json.RawMessage `json:"echo"`
}

// echo answers echo with its payload, exactly as it came.
var echo = Typed(func(_ context.Context, _ Message, req echoReq) (any, error) {
	return struct {
		Type string          `json:"type"`
		Echo json.RawMessage `json:"echo"`
	}{"echo_ok", req.Echo}, nil
})

// serve is a Builder whose workload answers echo and the extra handlers.
func serve(extra Handlers) Builder {
	return func(*Node, Init) (Handlers, error) {
		hs := Handlers{"echo": echo}
		maps.Copy(hs, extra)
		return hs, nil
	}
}

// typedN answers typed, whose body must hold an integer n.
var typedN = Typed(func(_ context.Context, _ Message, req struct {
	N int64 `json:"n"`
}) (any, error) {
	return map[string]any{"type": "typed_ok"}, nil
})

// TestBadInput feeds the node every kind of bad input and checks that each
// is answered where the sender expects an answer, and that the node keeps
// serving afterwards.
func TestBadInput(t *testing.T) {
	cases := []struct {
		name     string
		line     string
		wantCode int // -1: no reply expected
	}{
		{"not json", `this is not json`, -1},
		{"truncated json", `{"src":"c1","dest":"n1","body":{"type":"echo"`, -1},
		{"body not an object", `{"src":"c1","dest":"n1","body":[1,2]}`, -1},
		{"no type, with msg_id", `{"src":"c1","dest":"n1","body":{"msg_id":7}}`, CodeMalformedRequest},
		{"no type, no msg_id", `{"src":"c1","dest":"n1","body":{"x":1}}`, -1},
		{"unknown type", `{"src":"c1","dest":"n1","body":{"type":"frobnicate","msg_id":8}}`, CodeNotSupported},
		{"unknown type, no msg_id", `{"src":"n2","dest":"n1","body":{"type":"gossip"}}`, -1},
		{"reply to unknown rpc", `{"src":"n2","dest":"n1","body":{"type":"read_ok","in_reply_to":99}}`, -1},
		{"stray reply in_reply_to 0", `{"src":"n2","dest":"n1","body":{"type":"read_ok","in_reply_to":0}}`, -1},
		{"unknown field ignored", `{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":9,"echo":1,"x":"y"}}`, -2},
		{"malformed typed body", `{"src":"c1","dest":"n1","body":{"type":"typed","msg_id":10,"n":"not a number"}}`, CodeMalformedRequest},
		{"typed body missing a field", `{"src":"c1","dest":"n1","body":{"type":"typed","msg_id":10}}`, CodeMalformedRequest},
		{"second init", `{"src":"c0","dest":"n1","body":{"type":"init","msg_id":11,"node_id":"n9","node_ids":["n9"]}}`, CodeMalformedRequest},
		{"request for another node", `{"src":"c1","dest":"n2","body":{"type":"echo","msg_id":12,"echo":1}}`, CodeMalformedRequest},
		{"request for another node, no msg_id", `{"src":"c1","dest":"n2","body":{"type":"echo","echo":1}}`, -1},
		{"blank line", ``, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, serve(Handlers{"typed": typedN}))
			h.init()
			h.send(tc.line)
			switch tc.wantCode {
			case -1:
				h.noOutput()
			case -2:
				if got := h.next(); got.Body["type"] != "echo_ok" {
					t.Fatalf("want echo_ok, got %v", got.Body)
				}
			default:
				if got := h.next(); got.Body["type"] != "error" || got.Body["code"] != json.Number(fmt.Sprint(tc.wantCode)) || got.Src != "n1" || got.Dest == "" {
					t.Fatalf("want error %d from n1, got %s", tc.wantCode, got.Raw)
				}
			}
			h.wantEcho()
			if err := h.close(); err != nil {
				t.Fatalf("Run: %v", err)
			}
		})
	}
}

func TestMessageBeforeInit(t *testing.T) {
	h := newHarness(t, serve(nil))
	h.msg("c1", `{"type":"echo","msg_id":3,"echo":1}`)
	h.wantError(CodeTemporarilyUnavailable, 3, "before init")
	h.init()
	h.wantEcho()
}

// TestBuilderSeesInit: the Builder runs once init arrives, with the node's
// identity set, and not before.
func TestBuilderSeesInit(t *testing.T) {
	type seen struct {
		id   string
		init Init
	}
	built := make(chan seen, 2)
	h := newHarness(t, func(n *Node, init Init) (Handlers, error) {
		built <- seen{n.ID(), init}
		return nil, nil
	})
	if h.n.ID() != "" || len(built) != 0 {
		t.Fatal("built or identified before init")
	}
	h.init()
	got := <-built
	if got.id != "n1" || got.init.ID != "n1" || !slices.Equal(got.init.IDs, []string{"n1", "n2", "n3"}) {
		t.Fatalf("builder saw node %q and %+v", got.id, got.init)
	}
	if h.n.ID() != "n1" {
		t.Fatalf("ID() = %q after init", h.n.ID())
	}
	// A workload with no handlers answers everything but init with 10.
	h.msg("c1", `{"type":"echo","msg_id":2}`)
	h.wantError(CodeNotSupported, 2)
	if len(built) != 0 {
		t.Fatal("builder ran twice")
	}
}

func TestInitPeersAndIndex(t *testing.T) {
	ids := []string{"n1", "n2", "n3"}
	for i, id := range ids {
		in := Init{ID: id, IDs: ids}
		want := slices.Delete(slices.Clone(ids), i, i+1)
		if got := in.Peers(); !slices.Equal(got, want) {
			t.Errorf("%s: Peers() = %v, want %v", id, got, want)
		}
		if got := in.Index(); got != i {
			t.Errorf("%s: Index() = %d, want %d", id, got, i)
		}
	}
	in := Init{ID: "n1", IDs: ids}
	in.Peers()[0] = "changed"
	if !slices.Equal(in.IDs, []string{"n1", "n2", "n3"}) {
		t.Fatalf("Peers shares IDs' array: IDs became %v", in.IDs)
	}
	if got := (Init{ID: "n1", IDs: []string{"n1"}}).Peers(); len(got) != 0 {
		t.Fatalf("a lone node has peers %v", got)
	}
}

// TestBadInit: an init the runtime cannot accept is answered with 12, the
// node stays uninitialised, and a good init afterwards succeeds.
func TestBadInit(t *testing.T) {
	for name, body := range map[string]string{
		"node_id not in node_ids": `{"type":"init","msg_id":7,"node_id":"n1","node_ids":["n2","n3"]}`,
		"no node_ids":             `{"type":"init","msg_id":7,"node_id":"n1"}`,
		"no node_id":              `{"type":"init","msg_id":7,"node_ids":["n1"]}`,
		"node_ids not a list":     `{"type":"init","msg_id":7,"node_id":"n1","node_ids":"n1"}`,
	} {
		t.Run(name, func(t *testing.T) {
			builds := 0
			h := newHarness(t, func(*Node, Init) (Handlers, error) {
				builds++ // the read loop builds; the test reads it after Run returns
				return Handlers{"echo": echo}, nil
			})
			h.msg("c0", body)
			h.wantError(CodeMalformedRequest, 7, "init")
			wantUninitialised(t, h)
			h.init()
			h.wantEcho()
			if err := h.close(); err != nil || builds != 1 {
				t.Fatalf("Run = %v after %d builds, want nil after 1", err, builds)
			}
		})
	}
}

// wantUninitialised checks that h's node has no identity and answers a
// request with 11, as before init.
func wantUninitialised(t *testing.T, h *harness) {
	t.Helper()
	if id := h.n.ID(); id != "" {
		t.Fatalf("node has id %q after a failed init", id)
	}
	h.msg("c1", `{"type":"echo","msg_id":50,"echo":1}`)
	h.wantError(CodeTemporarilyUnavailable, 50)
}

// TestBuilderFails: a Builder that returns an error, panics or claims init
// has the init answered with an error; the node stays uninitialised, the
// failed build's tasks never run, and a later init builds again.
func TestBuilderFails(t *testing.T) {
	cases := []struct {
		name     string
		fail     func() (Handlers, error)
		wantCode int
		wantText string
	}{
		{"error", func() (Handlers, error) { return nil, errors.New("no disk") }, CodeCrash, "no disk"},
		{"error with code", func() (Handlers, error) {
			return nil, NewError(CodeMalformedRequest, "bad config")
		}, CodeMalformedRequest, "bad config"},
		{"panic", func() (Handlers, error) { panic("bug in builder") }, CodeCrash, "bug in builder"},
		{"init handler", func() (Handlers, error) {
			return Handlers{"init": func(context.Context, Message) (any, error) { return nil, nil }}, nil
		}, CodeCrash, "init"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var attempts int
			var failedTaskRan atomic.Bool
			h := newHarness(t, func(n *Node, _ Init) (Handlers, error) {
				attempts++ // read only by the read loop until Run returns
				if attempts == 1 {
					n.Go(func(context.Context) { failedTaskRan.Store(true) })
					n.Every(time.Millisecond, func(context.Context) { failedTaskRan.Store(true) })
					return tc.fail()
				}
				return Handlers{"echo": echo}, nil
			})
			h.msg("c0", `{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}`)
			h.wantError(tc.wantCode, 1, tc.wantText)
			wantUninitialised(t, h)
			h.init()
			h.wantEcho()
			if err := h.close(); err != nil {
				t.Fatal(err)
			}
			if failedTaskRan.Load() {
				t.Fatal("a task of the failed build ran")
			}
		})
	}
}

// TestLargeLine serves a 10 MB message (Maelstrom allows lines of megabytes;
// the official helper dies on 64 KiB).
func TestLargeLine(t *testing.T) {
	h := newHarness(t, serve(nil))
	h.init()
	big := strings.Repeat("x", 10<<20)
	h.msg("c1", `{"type":"echo","msg_id":2,"echo":"`+big+`"}`)
	got := h.next()
	if s, _ := got.Body["echo"].(string); len(s) != len(big) {
		t.Fatalf("echoed %d bytes, want %d", len(s), len(big))
	}
}

// TestIntegersExact round-trips 2^62 and other large integers through a
// raw handler, a typed handler and an interface-typed handler.
func TestIntegersExact(t *testing.T) {
	const big = int64(1) << 62
	h := newHarness(t, serve(Handlers{"typed": Typed(func(_ context.Context, _ Message, req struct {
		N int64 `json:"n"`
		A any   `json:"a"`
	}) (any, error) {
		return map[string]any{"type": "typed_ok", "n": req.N + 1, "a": req.A}, nil
	})}))
	h.init()
	for _, v := range []int64{big, big + 1, 1<<63 - 1, -(1 << 62), 9007199254740993} {
		h.msg("c1", fmt.Sprintf(`{"type":"echo","msg_id":2,"echo":%d}`, v))
		if got := h.next(); got.Body["echo"] != json.Number(fmt.Sprint(v)) {
			t.Fatalf("echo %d came back as %v", v, got.Body["echo"])
		}
	}
	h.msg("c1", fmt.Sprintf(`{"type":"typed","msg_id":3,"n":%d,"a":%d}`, big, big+7))
	got := h.next()
	if got.Body["n"] != json.Number(fmt.Sprint(big+1)) || got.Body["a"] != json.Number(fmt.Sprint(big+7)) {
		t.Fatalf("typed round trip lost precision: %s", got.Raw)
	}
}

func TestHandlerErrors(t *testing.T) {
	cases := []struct {
		name     string
		err      error
		wantCode int
	}{
		{"node error keeps code", NewError(CodeKeyDoesNotExist, "no key"), CodeKeyDoesNotExist},
		{"wrapped node error keeps code", fmt.Errorf("outer: %w", ErrPreconditionFailed), CodePreconditionFailed},
		{"official rpc error keeps code", maelstrom.NewRPCError(maelstrom.Abort, "abort"), CodeAbort},
		{"timeout code 0 kept", NewError(CodeTimeout, "slow"), CodeTimeout},
		{"deadline is timeout", fmt.Errorf("waiting: %w", context.DeadlineExceeded), CodeTimeout},
		{"plain error is crash", errors.New("boom"), CodeCrash},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, serve(Handlers{"op": func(context.Context, Message) (any, error) { return nil, tc.err }}))
			h.init()
			h.msg("c1", `{"type":"op","msg_id":5}`)
			got := h.next()
			// The code must be present even when it is 0.
			if !strings.Contains(got.Raw, fmt.Sprintf(`"code":%d`, tc.wantCode)) || got.Body["in_reply_to"] != json.Number("5") {
				t.Fatalf("want code %d in reply to 5, got %s", tc.wantCode, got.Raw)
			}
		})
	}
}

// TestHandlerPanic answers a panicking handler with crash and keeps serving.
func TestHandlerPanic(t *testing.T) {
	h := newHarness(t, serve(Handlers{"boom": func(context.Context, Message) (any, error) { panic("bug") }}))
	h.init()
	h.msg("c1", `{"type":"boom","msg_id":2}`)
	h.wantError(CodeCrash, 2, "bug")
	h.wantEcho()
	if err := h.close(); err != nil {
		t.Fatal(err)
	}
}

func TestErrorsIs(t *testing.T) {
	err := fmt.Errorf("lin-kv read: %w", &Error{Code: 20, Text: "not found"})
	if !errors.Is(err, ErrKeyDoesNotExist) || errors.Is(err, ErrPreconditionFailed) {
		t.Fatal("errors.Is does not match by code")
	}
	for code, want := range map[int]bool{0: false, 1: true, 2: false, 10: true, 11: true, 12: true, 13: false, 14: true, 15: false, 20: true, 21: true, 22: true, 23: false, 30: true, 999: false, 1000: false} {
		if got := (&Error{Code: code}).Definite(); got != want {
			t.Errorf("code %d definite=%v, want %v", code, got, want)
		}
	}
}

// TestRPC covers a successful call, an error reply and a typed decode.
func TestRPC(t *testing.T) {
	h := newHarness(t, nil)
	h.init()
	type result struct {
		v   int64
		err error
	}
	call := func() chan result {
		ch := make(chan result, 1)
		go func() {
			var resp struct {
				Value int64 `json:"value"`
			}
			err := h.n.RPC(context.Background(), "lin-kv", map[string]any{"type": "read", "key": "k"}, &resp)
			ch <- result{resp.Value, err}
		}()
		return ch
	}

	res := call()
	req := h.next()
	if req.Dest != "lin-kv" || req.Body["type"] != "read" || req.Body["msg_id"] == nil {
		t.Fatalf("bad request %s", req.Raw)
	}
	h.send(fmt.Sprintf(`{"src":"lin-kv","dest":"n1","body":{"type":"read_ok","in_reply_to":%s,"value":%d}}`, req.Body["msg_id"], int64(1)<<62))
	if r := <-res; r.err != nil || r.v != 1<<62 {
		t.Fatalf("rpc = %v, %v", r.v, r.err)
	}

	res = call()
	req = h.next()
	h.send(fmt.Sprintf(`{"src":"lin-kv","dest":"n1","body":{"type":"error","in_reply_to":%s,"code":20,"text":"nope"}}`, req.Body["msg_id"]))
	if r := <-res; !errors.Is(r.err, ErrKeyDoesNotExist) {
		t.Fatalf("want key-does-not-exist, got %v", r.err)
	}
	if p := h.n.pendingCount(); p != 0 {
		t.Fatalf("%d rpcs still pending", p)
	}
}

// TestRPCTimeoutLeavesNothingBehind times out many RPCs, then answers them
// late, and checks that no callback and no goroutine is left.
func TestRPCTimeoutLeavesNothingBehind(t *testing.T) {
	h := newHarness(t, nil)
	h.init()
	before := runtime.NumGoroutine()

	const calls = 200
	var wg sync.WaitGroup
	var timeouts atomic.Int64
	for range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			defer cancel()
			if err := h.n.RPC(ctx, "n2", map[string]any{"type": "ping"}, nil); errors.Is(err, context.DeadlineExceeded) {
				timeouts.Add(1)
			}
		}()
	}
	wg.Wait()
	if timeouts.Load() != calls {
		t.Fatalf("%d of %d calls timed out", timeouts.Load(), calls)
	}
	if p := h.n.pendingCount(); p != 0 {
		t.Fatalf("%d callbacks left after timeouts", p)
	}
	// Late replies are dropped quietly.
	for range calls {
		req := h.next()
		h.send(fmt.Sprintf(`{"src":"n2","dest":"n1","body":{"type":"pong","in_reply_to":%s}}`, req.Body["msg_id"]))
	}
	h.msg("c1", `{"type":"unknown","msg_id":1}`) // a marker: once answered, all late replies were read
	h.next()

	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		t.Fatalf("goroutines: %d before, %d after", before, after)
	}
}

// TestConcurrentSendsNeverInterleave sends from many goroutines and checks
// every Write is exactly one whole message.
func TestConcurrentSendsNeverInterleave(t *testing.T) {
	h := newHarness(t, nil)
	h.init()
	const senders, each = 16, 200
	var wg sync.WaitGroup
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				body := map[string]any{"type": "gossip", "s": s, "i": i, "pad": strings.Repeat("y", 100*s)}
				if err := h.n.Send("n2", body); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for range senders * each {
		m := h.next()
		key := fmt.Sprint(m.Body["s"], "/", m.Body["i"])
		if seen[key] {
			t.Fatalf("message %s twice", key)
		}
		seen[key] = true
	}
	if h.out.partial {
		t.Fatal("a Write carried other than exactly one line")
	}
}

// TestEndOfInput checks that Run finishes in-flight handlers, fails RPCs
// that can no longer get a reply, stops periodic tasks and returns nil.
func TestEndOfInput(t *testing.T) {
	var ticks atomic.Int64
	release := make(chan struct{})
	rpcErr := make(chan error, 1)
	h := newHarness(t, func(n *Node, _ Init) (Handlers, error) {
		n.Every(time.Millisecond, func(context.Context) { ticks.Add(1) })
		return Handlers{
			"slow": func(context.Context, Message) (any, error) {
				<-release
				return map[string]any{"type": "slow_ok"}, nil
			},
			"waits": func(ctx context.Context, _ Message) (any, error) {
				err := n.RPC(ctx, "n2", map[string]any{"type": "ping"}, nil)
				rpcErr <- err
				return nil, err
			},
		}, nil
	})
	h.init()
	h.msg("c1", `{"type":"slow","msg_id":2}`)
	h.msg("c1", `{"type":"waits","msg_id":3}`)
	if got := h.next(); got.Body["type"] != "ping" {
		t.Fatalf("want the handler's ping, got %s", got.Raw)
	}
	for ticks.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	done := make(chan error, 1)
	go func() { done <- h.close() }()
	if err := <-rpcErr; !errors.Is(err, ErrInputClosed) {
		t.Fatalf("rpc at end of input: %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v", err)
	}
	got := map[string]bool{}
	for range 2 {
		m := h.next()
		got[fmt.Sprint(m.Body["type"], m.Body["in_reply_to"])] = true
	}
	if !got["slow_ok2"] || !got["error3"] {
		t.Fatalf("in-flight handlers not finished: %v", got)
	}
	stopped := ticks.Load()
	time.Sleep(10 * time.Millisecond)
	if ticks.Load() != stopped {
		t.Fatal("periodic task still running after Run returned")
	}
}

func TestSendRejectsNonObjects(t *testing.T) {
	n := New(nil, WithIO(strings.NewReader(""), &lineSink{lines: make(chan []byte, 1)}))
	for _, body := range []any{42, "s", []int{1}, nil} {
		if err := n.Send("n2", body); err == nil {
			t.Errorf("Send(%v) succeeded", body)
		}
	}
	if err := n.Send("n2", struct{}{}); err != nil {
		t.Errorf("empty object: %v", err)
	}
}

func TestReply(t *testing.T) {
	h := newHarness(t, func(n *Node, _ Init) (Handlers, error) {
		return Handlers{"later": func(_ context.Context, m Message) (any, error) {
			go func() { _ = n.Reply(m, map[string]any{"type": "later_ok"}) }()
			return nil, nil
		}}, nil
	})
	h.init()
	h.msg("c1", `{"type":"later","msg_id":42}`)
	if got := h.next(); got.Body["in_reply_to"] != json.Number("42") || got.Dest != "c1" || got.Body["type"] != "later_ok" {
		t.Fatalf("reply %s", got.Raw)
	}
}

// TestForwardedBodyKeepsOneMsgID forwards a client's request body, msg_id
// and all, to a peer with RPC and returns the peer's reply body, in_reply_to
// and all: each line must carry exactly the runtime's own id.
func TestForwardedBodyKeepsOneMsgID(t *testing.T) {
	h := newHarness(t, func(n *Node, _ Init) (Handlers, error) {
		return Handlers{"read": func(ctx context.Context, m Message) (any, error) {
			var resp json.RawMessage
			err := n.RPC(ctx, "n2", m.Body, &resp)
			return resp, err
		}}, nil
	})
	h.init()
	h.msg("c1", `{"type":"read","msg_id":5}`)
	fwd := h.next()
	if strings.Count(fwd.Raw, `"msg_id"`) != 1 || fwd.Body["msg_id"] == json.Number("5") {
		t.Fatalf("forwarded request %s", fwd.Raw)
	}
	h.send(fmt.Sprintf(`{"src":"n2","dest":"n1","body":{"type":"read_ok","in_reply_to":%s,"value":1}}`, fwd.Body["msg_id"]))
	got := h.next()
	if strings.Count(got.Raw, `"in_reply_to"`) != 1 || got.Body["in_reply_to"] != json.Number("5") || got.Body["value"] != json.Number("1") {
		t.Fatalf("reply %s", got.Raw)
	}
}

// TestBadReplies covers handler outcomes that cannot be sent as they are:
// each is answered with crash (13), and the node goes on.
func TestBadReplies(t *testing.T) {
	cases := []struct {
		name string
		h    HandlerFunc
	}{
		{"typed nil error", func(context.Context, Message) (any, error) {
			var e *Error
			return nil, e
		}},
		{"not encodable", func(context.Context, Message) (any, error) { return map[string]any{"x": make(chan int)}, nil }},
		{"not an object", func(context.Context, Message) (any, error) { return []int{1}, nil }},
		{"panicking MarshalJSON", func(context.Context, Message) (any, error) { return panicky{}, nil }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, serve(Handlers{"op": tc.h}))
			h.init()
			h.msg("c1", `{"type":"op","msg_id":2}`)
			h.wantError(CodeCrash, 2)
			h.wantEcho()
		})
	}
}

type panicky struct{}

func (panicky) MarshalJSON() ([]byte, error) { panic("encoder bug") }

func TestReplyErrors(t *testing.T) {
	n := New(nil, WithIO(strings.NewReader(""), &lineSink{lines: make(chan []byte, 1)}))
	for _, body := range []string{`{"type":"x"}`, `{"a"`, `{,}`, ``} {
		if err := n.Reply(Message{Src: "c1", Body: json.RawMessage(body)}, map[string]any{"type": "x_ok"}); err == nil {
			t.Errorf("Reply to %q succeeded", body)
		}
	}
}

// TestEndOfInputCancelsHandlers: a handler that waits on its context alone
// ends when the input does.
func TestEndOfInputCancelsHandlers(t *testing.T) {
	h := newHarness(t, serve(Handlers{"wait": func(ctx context.Context, _ Message) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}}))
	h.init()
	h.msg("c1", `{"type":"wait","msg_id":2}`)
	if err := h.close(); err != nil {
		t.Fatal(err)
	}
}

func TestDecode(t *testing.T) {
	type rec struct {
		Next *rec `json:"next"`
		N    int64
	}
	type recAny struct {
		Next *recAny `json:"next"`
		X    any     `json:"x"`
	}
	var r rec
	if err := Decode([]byte(`{"next":{"N":4611686018427387905}}`), &r); err != nil || r.Next.N != 4611686018427387905 {
		t.Fatalf("rec: %+v %v", r, err)
	}
	var ra recAny
	if err := Decode([]byte(`{"next":{"x":4611686018427387905}}`), &ra); err != nil || ra.Next.X != json.Number("4611686018427387905") {
		t.Fatalf("recAny: %+v %v", ra.Next, err)
	}
	if holdsInterface(reflect.TypeOf(&r), nil) || !holdsInterface(reflect.TypeOf(&ra), nil) {
		t.Fatal("holdsInterface wrong for recursive types")
	}
	for _, body := range []string{`{"x":1} {}`, `{"x":1}}`, ``} {
		if err := Decode([]byte(body), &ra); err == nil {
			t.Errorf("Decode(%q) accepted", body)
		}
		if err := Decode([]byte(body), &r); err == nil {
			t.Errorf("Decode(%q) into a plain struct accepted", body)
		}
	}
}

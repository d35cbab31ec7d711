package counter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/glomers/glomers/node"
)

// fakeKV models seq-kv at its stalest: a request that would change nothing
// (a read, a failing cas) is answered from the oldest state the caller may
// still see, the last one it observed; a request that changes the state runs
// on the newest and moves the caller there. Faults queued with inject make
// chosen requests lose their reply, vanish, stall until their deadline, or
// wait to be released.
type fakeKV struct {
	t      *testing.T
	mu     sync.Mutex
	states []map[string][]byte // states[0] is empty; values are JSON
	seen   map[string]int      // caller → last state observed
	faults map[string][]fault  // per request type, consumed in order
	held   []func()            // requests held back, applied by release
	calls  map[string]int      // requests seen, per type
	delay  time.Duration       // every request takes this long before it is applied
	// noCreate makes cas ignore create_if_not_exists, as a seq-kv older
	// than the flag would.
	noCreate bool
}

// fault is what happens to one request.
type fault int

const (
	pass      fault = iota // served normally
	loseReply              // applied, but the caller times out
	drop                   // never applied; the caller times out
	hold                   // the caller times out; applied when released
	stall                  // never applied; the caller waits for its deadline
)

func newFakeKV(t *testing.T) *fakeKV {
	return &fakeKV{t: t, states: []map[string][]byte{{}}, seen: map[string]int{},
		faults: map[string][]fault{}, calls: map[string]int{}}
}

// client returns the KV that caller uses.
func (f *fakeKV) client(caller string) KV { return fakeClient{f, caller} }

// inject queues faults for the next requests of type typ.
func (f *fakeKV) inject(typ string, fs ...fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[typ] = append(f.faults[typ], fs...)
}

// release applies the held requests, oldest first.
func (f *fakeKV) release() {
	f.mu.Lock()
	held := f.held
	f.held = nil
	f.mu.Unlock()
	for _, apply := range held {
		apply()
	}
}

// count returns how many requests of type typ arrived.
func (f *fakeKV) count(typ string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[typ]
}

// set writes key directly into a new newest state, as another party would.
func (f *fakeKV) set(key string, value any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.push(key, f.encode(value))
}

// newest returns key's value in the newest state, decoded into v.
func (f *fakeKV) newest(key string, v any) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.states[len(f.states)-1][key]
	if ok {
		if err := json.Unmarshal(b, v); err != nil {
			f.t.Fatalf("decode %s: %v", b, err)
		}
	}
	return ok
}

func (f *fakeKV) encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		f.t.Fatalf("encode %v: %v", v, err)
	}
	return b
}

// push appends a state with key set to value; f.mu is held.
func (f *fakeKV) push(key string, value []byte) int {
	next := make(map[string][]byte, len(f.states[len(f.states)-1])+1)
	for k, v := range f.states[len(f.states)-1] {
		next[k] = v
	}
	next[key] = value
	f.states = append(f.states, next)
	return len(f.states) - 1
}

// op is one request: the value it stores when it changes the state (nil if
// it cannot), and its answer in a given state.
type op struct {
	typ, key string
	store    func(cur []byte, ok bool) ([]byte, error) // new value, or the error answer
}

func (f *fakeKV) do(ctx context.Context, caller string, o op) ([]byte, error) {
	time.Sleep(f.delay)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[o.typ]++
	var ft fault
	if q := f.faults[o.typ]; len(q) > 0 {
		ft, f.faults[o.typ] = q[0], q[1:]
	}
	timeout := fmt.Errorf("fake %s %q: %w", o.typ, o.key, context.DeadlineExceeded)
	switch ft {
	case stall:
		f.mu.Unlock()
		<-ctx.Done()
		f.mu.Lock()
		return nil, fmt.Errorf("fake %s %q: %w", o.typ, o.key, ctx.Err())
	case drop:
		return nil, timeout
	case hold:
		f.held = append(f.held, func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			_, _ = f.apply(caller, o)
		})
		return nil, timeout
	}
	v, err := f.apply(caller, o)
	if ft == loseReply {
		return nil, timeout
	}
	return v, err
}

// apply runs o for caller; f.mu is held.
func (f *fakeKV) apply(caller string, o op) ([]byte, error) {
	stale := f.states[f.seen[caller]]
	cur, ok := stale[o.key]
	next, err := o.store(cur, ok)
	if next == nil || (ok && bytes.Equal(next, cur)) {
		return cur, err // changes nothing: answered from the stale state
	}
	newest := f.states[len(f.states)-1]
	cur, ok = newest[o.key]
	if next, err = o.store(cur, ok); next == nil || err != nil {
		f.seen[caller] = len(f.states) - 1
		return cur, err
	}
	f.seen[caller] = f.push(o.key, next)
	return next, nil
}

func kvErr(typ, key string, code int) error {
	return fmt.Errorf("fake %s %q: %w", typ, key, node.NewError(code, "fake"))
}

type fakeClient struct {
	f      *fakeKV
	caller string
}

func (c fakeClient) Read(ctx context.Context, key string, v any) error {
	b, err := c.f.do(ctx, c.caller, op{typ: "read", key: key, store: func(cur []byte, ok bool) ([]byte, error) {
		if !ok {
			return nil, kvErr("read", key, node.CodeKeyDoesNotExist)
		}
		return nil, nil
	}})
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func (c fakeClient) Write(ctx context.Context, key string, value any) error {
	b := c.f.encode(value)
	_, err := c.f.do(ctx, c.caller, op{typ: "write", key: key, store: func([]byte, bool) ([]byte, error) { return b, nil }})
	return err
}

func (c fakeClient) CAS(ctx context.Context, key string, from, to any, create bool) error {
	fb, tb := c.f.encode(from), c.f.encode(to)
	_, err := c.f.do(ctx, c.caller, op{typ: "cas", key: key, store: func(cur []byte, ok bool) ([]byte, error) {
		switch {
		case !ok && create && !c.f.noCreate:
			return tb, nil
		case !ok:
			return nil, kvErr("cas", key, node.CodeKeyDoesNotExist)
		case !bytes.Equal(cur, fb):
			return nil, kvErr("cas", key, node.CodePreconditionFailed)
		}
		return tb, nil
	}})
	return err
}

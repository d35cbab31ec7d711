package node

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// TestGo: a task registered with Go starts after init, runs once, sees its
// context end with the input, and Run returns only once it has.
func TestGo(t *testing.T) {
	var runs atomic.Int64
	ctxErr := make(chan error, 1)
	release := make(chan struct{})
	h := newHarness(t, func(n *Node, _ Init) (Handlers, error) {
		n.Go(func(ctx context.Context) {
			runs.Add(1)
			<-ctx.Done()
			ctxErr <- ctx.Err()
			<-release // still running after its context ended
		})
		return Handlers{"echo": echo}, nil
	})
	time.Sleep(10 * time.Millisecond)
	if runs.Load() != 0 {
		t.Fatal("task ran before init")
	}
	h.init()
	h.wantEcho()
	waitFor(t, "the task to start", func() bool { return runs.Load() == 1 })

	go h.in.Close()
	if err := <-ctxErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("task's context ended with %v", err)
	}
	select {
	case err := <-h.done:
		t.Fatalf("Run returned %v while a task was running", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := h.close(); err != nil {
		t.Fatal(err)
	}
	if n := runs.Load(); n != 1 {
		t.Fatalf("task ran %d times", n)
	}
}

// TestGoTaskEndsOnItsOwn: a task that returns before the input ends does
// not hold up the node, and is not run again.
func TestGoTaskEndsOnItsOwn(t *testing.T) {
	var runs atomic.Int64
	h := newHarness(t, func(n *Node, _ Init) (Handlers, error) {
		n.Go(func(context.Context) { runs.Add(1) })
		n.Go(func(context.Context) { panic("task bug") }) // logged; the node goes on
		return Handlers{"echo": echo}, nil
	})
	h.init()
	waitFor(t, "the task to run", func() bool { return runs.Load() == 1 })
	h.wantEcho()
	if err := h.close(); err != nil {
		t.Fatal(err)
	}
	if n := runs.Load(); n != 1 {
		t.Fatalf("task ran %d times", n)
	}
}

// TestRunContextEndsTasks: cancelling Run's context ends the tasks'
// contexts at once, before any more input arrives.
func TestRunContextEndsTasks(t *testing.T) {
	ended := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	defer pw.Close()
	sink := &lineSink{lines: make(chan []byte, 10)}
	n := New(func(n *Node, _ Init) (Handlers, error) {
		n.Go(func(ctx context.Context) {
			<-ctx.Done()
			close(ended)
		})
		return nil, nil
	}, WithIO(pr, sink), WithLogger(zerolog.Nop()))
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	if _, err := io.WriteString(pw, `{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}}`+"\n"); err != nil {
		t.Fatal(err)
	}
	<-sink.lines // init_ok: the task has started
	cancel()
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("task's context did not end with Run's")
	}
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestEvery: a periodic task runs repeatedly from init, its calls never
// overlap, a panic in one call does not stop the next, and it stops when the
// input ends.
func TestEvery(t *testing.T) {
	var calls, running atomic.Int64
	var overlapped atomic.Bool
	h := newHarness(t, func(n *Node, _ Init) (Handlers, error) {
		n.Every(time.Millisecond, func(context.Context) {
			if running.Add(1) > 1 {
				overlapped.Store(true)
			}
			defer running.Add(-1)
			time.Sleep(2 * time.Millisecond) // longer than the interval
			if calls.Add(1) == 1 {
				panic("first call fails")
			}
		})
		return nil, nil
	})
	time.Sleep(10 * time.Millisecond)
	if calls.Load() != 0 {
		t.Fatal("periodic task ran before init")
	}
	h.init()
	waitFor(t, "five calls", func() bool { return calls.Load() >= 5 })
	if err := h.close(); err != nil {
		t.Fatal(err)
	}
	stopped := calls.Load()
	time.Sleep(10 * time.Millisecond)
	if calls.Load() != stopped {
		t.Fatal("periodic task still running after Run returned")
	}
	if overlapped.Load() {
		t.Fatal("calls overlapped")
	}
}

func TestEveryRejectsNonPositiveInterval(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Every(%v) did not panic", d)
				}
			}()
			New(nil).Every(d, func(context.Context) {})
		}()
	}
}

// waitFor polls cond for up to ten seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

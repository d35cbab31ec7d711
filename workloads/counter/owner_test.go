package counter

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/glomers/glomers/node"
)

const testLife = 7

func newTestOwner(f *fakeKV, spacing time.Duration) *owner {
	return newOwner(f.client("n0"), Key("n0"), testLife, time.Second, spacing)
}

// mustAdd adds delta and waits for it in the background; the channel
// yields the wait's result.
func mustAdd(t *testing.T, o *owner, delta int64) <-chan error {
	t.Helper()
	need, err := o.add(delta)
	if err != nil {
		t.Fatalf("add(%d): %v", delta, err)
	}
	ch := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ch <- o.wait(ctx, need)
	}()
	return ch
}

// addOnly adds delta without waiting for it.
func addOnly(t *testing.T, o *owner, delta int64) {
	t.Helper()
	if _, err := o.add(delta); err != nil {
		t.Fatalf("add(%d): %v", delta, err)
	}
}

// flushNow runs one flush, which must be due, and returns its error.
func flushNow(t *testing.T, o *owner) error {
	t.Helper()
	ran, delay, err := o.flushIfDue(context.Background())
	if !ran {
		t.Fatalf("flush not run (due in %s)", delay)
	}
	return err
}

// stored returns the Total under n0's key in the fake's newest state.
func stored(t *testing.T, f *fakeKV) Total {
	t.Helper()
	var r record
	if !f.newest(Key("n0"), &r) {
		t.Fatal("n0's key was never written")
	}
	return r.Total
}

func TestConcurrentAddsShareCAS(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeKV(t)
		f.delay = 10 * time.Millisecond
		o := newTestOwner(f, 0)
		var wg sync.WaitGroup
		want := Total{}
		for i := range 20 {
			d := int64(i%7 - 3)
			want = want.Add(d)
			wg.Go(func() {
				if err := <-mustAdd(t, o, d); err != nil {
					t.Errorf("add(%d): %v", d, err)
				}
			})
		}
		wg.Wait()
		// The first add's cas is in flight while the others arrive;
		// they all share the next one.
		if got := f.count("cas"); got > 2 {
			t.Errorf("20 concurrent adds took %d cas requests, want at most 2", got)
		}
		if got := stored(t, f); got != want {
			t.Errorf("seq-kv holds %v, want %v", got, want)
		}
	})
}

func TestAddOnIdleNodeWritesAtOnceAndBatchSpacesWrites(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const spacing = 100 * time.Millisecond
		f := newFakeKV(t)
		o := newTestOwner(f, spacing)
		start := time.Now()
		if err := <-mustAdd(t, o, 1); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("add on an idle node took %s, want no wait", d)
		}
		if err := <-mustAdd(t, o, 1); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != spacing {
			t.Errorf("second add done after %s, want the batch spacing %s", d, spacing)
		}
		if got := stored(t, f); got != (Total{P: 2}) {
			t.Errorf("seq-kv holds %v, want +2", got)
		}
	})
}

func TestZeroDeltaNeedsNoWrite(t *testing.T) {
	f := newFakeKV(t)
	o := newTestOwner(f, 0)
	if err := <-mustAdd(t, o, 0); err != nil {
		t.Fatalf("add 0: %v", err)
	}
	if ran, _, _ := o.flushIfDue(context.Background()); ran || f.count("cas") != 0 {
		t.Errorf("flush after add 0: ran %v, %d cas requests; want nothing", ran, f.count("cas"))
	}
}

// TestFlushRetries covers a cas whose outcome the node cannot know: the
// retry must neither lose nor double-count the deltas.
func TestFlushRetries(t *testing.T) {
	tests := []struct {
		name   string
		fault  fault
		before func(f *fakeKV) // between the failed flush and the retry
		after  func(f *fakeKV) // after the retry
		cas    int             // cas requests in all
		reads  int             // reads of the key, to resolve
	}{
		{name: "reply lost after applying", fault: loseReply, cas: 3, reads: 1},
		{name: "request lost", fault: drop, cas: 2},
		{name: "delayed past the retry", fault: hold, after: (*fakeKV).release, cas: 2},
		{name: "delayed, lands before the retry", fault: hold, before: (*fakeKV).release, cas: 3, reads: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFakeKV(t)
				o := newTestOwner(f, 0)
				addOnly(t, o, 5)
				f.inject("cas", tt.fault)
				if err := flushNow(t, o); !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("flush with a lost cas: err %v, want a timeout", err)
				}
				addOnly(t, o, -2)
				if tt.before != nil {
					tt.before(f)
				}
				time.Sleep(retryDelay)
				if err := flushNow(t, o); err != nil {
					t.Fatalf("retry: %v", err)
				}
				if tt.after != nil {
					tt.after(f)
				}
				if got, want := stored(t, f), (Total{P: 5, N: 2}); got != want {
					t.Errorf("seq-kv holds %v, want %v", got, want)
				}
				if got, _ := o.value(); got != (Total{P: 5, N: 2}) {
					t.Errorf("node believes %v is stored", got)
				}
				if f.count("cas") != tt.cas || f.count("read") != tt.reads {
					t.Errorf("requests: %d cas, %d reads; want %d and %d", f.count("cas"), f.count("read"), tt.cas, tt.reads)
				}
			})
		})
	}
}

func TestWaitRetriesFailedFlush(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeKV(t)
		o := newTestOwner(f, 0)
		f.inject("cas", loseReply, drop)
		if err := <-mustAdd(t, o, 4); err != nil {
			t.Fatalf("add: %v", err)
		}
		if got := stored(t, f); got != (Total{P: 4}) {
			t.Errorf("seq-kv holds %v, want +4", got)
		}
	})
}

func TestFlushAfterRestartKeepsOldTotal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeKV(t)
		f.set(Key("n0"), record{Total: Total{P: 10, N: 4}, Life: 99}) // a previous life's total
		o := newTestOwner(f, 0)
		need, err := o.add(5)
		if err != nil {
			t.Fatal(err)
		}
		// The first cas fails (the key is not empty), the read finds
		// the old total, and the cas on top of it is lost.
		f.inject("cas", pass, drop)
		if err := flushNow(t, o); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("flush: %v, want the lost cas's timeout", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		if err := o.wait(ctx, need); err == nil {
			t.Fatal("add released although only the old total is in seq-kv")
		}
		if err := o.wait(context.Background(), need); err != nil { // retries
			t.Fatalf("add: %v", err)
		}
		if got, want := stored(t, f), (Total{P: 15, N: 4}); got != want {
			t.Errorf("seq-kv holds %v, want the old total plus 5: %v", got, want)
		}
	})
}

func TestWaitGivesUpWhenSeqKVIsSilent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeKV(t)
		o := newTestOwner(f, 0)
		f.inject("cas", stall, stall, stall)
		need, err := o.add(1)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
		defer cancel()
		if err := o.wait(ctx, need); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("wait on a silent seq-kv: %v, want deadline exceeded", err)
		}
		if got := f.count("cas"); got != 3 {
			t.Errorf("%d cas attempts in 2.5 s with a 1 s kv timeout, want 3", got)
		}
	})
}

func TestAddRefusesOverflow(t *testing.T) {
	o := newTestOwner(newFakeKV(t), 0)
	for _, d := range []int64{maxHalf, -maxHalf} {
		if _, err := o.add(d); err != nil {
			t.Fatalf("add(%d): %v", d, err)
		}
	}
	for _, d := range []int64{1, -1, 1 << 62, -1 << 63} {
		if _, err := o.add(d); err == nil {
			t.Errorf("add(%d) past the bound was accepted", d)
		}
	}
	if got := o.mine; got != (Total{P: maxHalf, N: maxHalf}) {
		t.Errorf("refused adds changed the total: %v", got)
	}
}

// TestFlushWithoutCreateIfNotExistsFailsDefinitely covers a seq-kv that
// ignores create_if_not_exists: the flush fails with key-does-not-exist,
// which says why, writes nothing and keeps the delta pending.
func TestFlushWithoutCreateIfNotExistsFailsDefinitely(t *testing.T) {
	f := newFakeKV(t)
	f.noCreate = true
	o := newTestOwner(f, 0)
	addOnly(t, o, 3)
	err := flushNow(t, o)
	if !errors.Is(err, node.ErrKeyDoesNotExist) || !strings.Contains(err.Error(), "create_if_not_exists") {
		t.Errorf("flush error %v, want key-does-not-exist naming create_if_not_exists", err)
	}
	if f.newest(Key("n0"), &record{}) {
		t.Error("the key was written")
	}
	if o.done != (Total{}) || o.mine != (Total{P: 3}) {
		t.Errorf("done %v, mine %v; want the delta pending", o.done, o.mine)
	}
}

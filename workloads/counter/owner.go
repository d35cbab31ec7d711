package counter

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/glomers/glomers/node"
)

// KV is the part of a Maelstrom key/value service client the counter uses;
// *node.KV implements it. Errors are *node.Error values (wrapped) or a
// wrapped context error when a request gets no reply in time.
type KV interface {
	Read(ctx context.Context, key string, v any) error
	Write(ctx context.Context, key string, value any) error
	CAS(ctx context.Context, key string, from, to any, create bool) error
}

// owner makes this node's deltas durable under its own key, by group
// commit: an add updates the desired total in memory and then waits; if no
// flush is running (and the last began at least spacing ago) the waiter runs
// one itself, a single cas that writes everything received so far, else it
// waits for the running one to end. Adds that arrive while a cas is in
// flight thus share the next cas, and an add on an idle node pays one round
// trip, no window. Waiters are released when a cas covering their delta is
// acknowledged.
type owner struct {
	kv      KV
	key     string
	life    int64         // this process's tag on the records it writes
	timeout time.Duration // per kv request
	spacing time.Duration // least time between the starts of two flushes

	// The key should hold base+mine: base is the total of another life
	// (a restart's predecessor) found in the key, mine sums this life's
	// deltas, and done is the part of mine known to be in the key.
	mu       sync.Mutex
	stored   record        // the key's value as last confirmed by the kv
	base     Total         // the other life's total under this life's deltas
	mine     Total         // every delta this life received
	done     Total         // the part of mine confirmed durable
	changed  chan struct{} // closed and replaced when a flush ends
	flushing bool          // a flush is running; only it changes stored
	nextAt   time.Time     // no flush may begin before this
	wroteAt  time.Time     // when the last acknowledged cas was sent
}

// retryDelay spaces flushes after one that failed, so that an error
// answered at once does not turn waiters into a busy loop.
const retryDelay = 50 * time.Millisecond

func newOwner(kv KV, key string, life int64, timeout, spacing time.Duration) *owner {
	return &owner{kv: kv, key: key, life: life, timeout: timeout, spacing: spacing, changed: make(chan struct{})}
}

// maxHalf bounds each half of a node's Total, so that the shares of up to
// 1024 nodes sum without overflowing an int64.
const maxHalf = math.MaxInt64 / 1024

// add records delta and returns what must be durable for delta to be:
// pass it to wait. A delta that would take a half of this node's total past
// maxHalf is refused and changes nothing.
func (o *owner) add(delta int64) (Total, error) {
	if delta == 0 {
		return Total{}, nil // nothing to write: covered already
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	t := o.base.Plus(o.mine)
	if (delta > 0 && delta > maxHalf-t.P) || (delta < 0 && delta < -(maxHalf-t.N)) {
		return Total{}, fmt.Errorf("delta %d would take this node's total %v past ±%d", delta, t, int64(maxHalf))
	}
	o.mine = o.mine.Add(delta)
	return o.mine, nil
}

// wait blocks until the deltas need stands for are durable, or ctx ends,
// running flushes whenever one is due.
func (o *owner) wait(ctx context.Context, need Total) error {
	var last error // of the last flush this waiter ran
	for {
		o.mu.Lock()
		done, ch := o.done.Covers(need), o.changed
		o.mu.Unlock()
		if done {
			return nil
		}
		ran, delay, err := o.flushIfDue(ctx)
		if ran {
			last = err
			continue
		}
		if err := sleep(ctx, ch, delay); err != nil {
			return fmt.Errorf("waiting for %v to be durable: %w (last flush: %v)", need, err, last)
		}
	}
}

// flushIfDue runs one flush if there is something to write, no flush is
// running and the spacing since the last one has passed; otherwise it
// reports ran false and, when a flush is merely not due yet, how long until
// it is.
func (o *owner) flushIfDue(ctx context.Context) (ran bool, delay time.Duration, err error) {
	o.mu.Lock()
	if o.flushing || o.done == o.mine {
		o.mu.Unlock()
		return false, 0, nil
	}
	now := time.Now()
	if d := o.nextAt.Sub(now); d > 0 {
		o.mu.Unlock()
		return false, d, nil
	}
	o.flushing, o.nextAt = true, now.Add(o.spacing)
	o.mu.Unlock()

	err = o.flush(ctx)

	o.mu.Lock()
	defer o.mu.Unlock()
	if err != nil {
		o.nextAt = later(o.nextAt, time.Now().Add(retryDelay))
	}
	o.flushing = false
	close(o.changed)
	o.changed = make(chan struct{})
	return true, 0, err
}

// sleep waits until ch is closed, delay (if positive) has passed or ctx
// ends, and returns ctx's error in the last case.
func sleep(ctx context.Context, ch <-chan struct{}, delay time.Duration) error {
	var timeout <-chan time.Time
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-ch:
	case <-timeout:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// value returns the key's last confirmed Total and when the cas that wrote
// it was sent (zero if this life has written nothing).
func (o *owner) value() (Total, time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.stored.Total, o.wroteAt
}

// flush writes every delta received so far; only flushIfDue calls it,
// holding the flushing token. One cas from the confirmed value to base+mine
// does it; a precondition failure means the key moved on without our
// knowing (an earlier cas whose reply timed out landed, or the key holds a
// previous life's total), so flush reads the key, adopts what it holds and
// tries once more.
func (o *owner) flush(ctx context.Context) error {
	for range 2 {
		o.mu.Lock()
		from, mine := o.stored, o.mine
		to := record{Total: o.base.Plus(mine), Life: o.life}
		o.mu.Unlock()
		if from == to {
			return nil
		}
		sent := time.Now()
		err := within(ctx, o.timeout, func(ctx context.Context) error {
			return o.kv.CAS(ctx, o.key, from, to, true)
		})
		switch {
		case err == nil:
			o.mu.Lock()
			o.stored, o.done = to, mine
			o.wroteAt = later(o.wroteAt, sent)
			o.mu.Unlock()
			return nil
		case errors.Is(err, node.ErrKeyDoesNotExist):
			// Definite: nothing was written. Only a service that ignores
			// create_if_not_exists answers this (see the package comment).
			return fmt.Errorf("flush %v to %s: the kv did not create the key; it does not support cas with create_if_not_exists: %w", to.Total, o.key, err)
		case !errors.Is(err, node.ErrPreconditionFailed):
			// Timeout or any other failure: the cas may still land.
			// The next flush's cas from the same confirmed value
			// either applies everything or fails because this one
			// landed, which resolve then sees.
			return fmt.Errorf("flush %v to %s: %w", to.Total, o.key, err)
		}
		if err := o.resolve(ctx, from); err != nil {
			return err
		}
	}
	return nil // resolved twice in a row; the next flush carries on
}

// resolve reads the key after a cas from `from` failed its precondition and
// adopts what it holds. The failed cas was answered from a state at least as
// new as every earlier write of this node (seq-kv's per-caller monotonic
// view, and only this node writes its key), and a read answers from a state
// no older than that, so the read returns the key's current value.
// It runs under the flushing token.
func (o *owner) resolve(ctx context.Context, from record) error {
	var cur record
	err := within(ctx, o.timeout, func(ctx context.Context) error { return o.kv.Read(ctx, o.key, &cur) })
	if err != nil {
		return fmt.Errorf("resolve %s after failed cas from %v: %w", o.key, from.Total, err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.stored = cur
	if cur.Life == o.life {
		// One of this life's earlier targets, base plus part of mine.
		o.done = cur.Total.Minus(o.base)
	} else {
		// Not written in this life, so none of this life's deltas are
		// in it (once one lands, the key carries this life's tag and
		// no other life's cas can match it again): it is the base
		// under them, as when a restarted node finds its old total.
		o.base = cur.Total
	}
	return nil
}

// within runs one kv request under a timeout of its own.
func within(ctx context.Context, timeout time.Duration, req func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return req(ctx)
}

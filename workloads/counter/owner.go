package counter

import (
	"errors"
	"fmt"
	"time"

	"github.com/glomers/glomers/node"
)

// This file is the owner half of the Core: it makes this node's deltas
// durable under its own key by group commit. An add updates the desired
// total (base+mine) in memory; when no request of the key is in flight and
// the last flush began at least Batch ago, one cas from the key's confirmed
// value to the desired total covers every delta received so far, so adds
// that arrive while a cas is in flight share the next one. A cas answered
// precondition-failed means the key moved on without our knowing; a read of
// the key is then adopted and the cas sent again from it. DESIGN.md says why
// this never loses or double-counts a delta.

// flight is the owner's one request in flight: a cas, or the read that
// resolves a failed one.
type flight struct {
	req  Request
	mine Total     // for a cas: the part of mine it writes
	sent time.Time // when it was sent
}

// retryDelay spaces flushes after one that failed while an add waits, so
// that an error answered at once does not become a busy loop. With no add
// waiting, leftover deltas are retried every KVTimeout.
const retryDelay = 50 * time.Millisecond

// Add records delta and returns what must be durable for it to be (pass it
// to Durable) and the requests to send. A delta that would take a half of
// this node's total past maxHalf is refused with an error and changes
// nothing. A zero delta needs nothing.
func (c *Core) Add(delta int64, now time.Time) (need Total, reqs []Request, err error) {
	if delta == 0 {
		return Total{}, nil, nil
	}
	t := c.base.Plus(c.mine)
	if (delta > 0 && delta > maxHalf-t.P) || (delta < 0 && delta < -(maxHalf-t.N)) {
		return Total{}, nil, fmt.Errorf("delta %d would take this node's total %v past ±%d", delta, t, int64(maxHalf))
	}
	c.mine = c.mine.Add(delta)
	c.waitUntil = later(c.waitUntil, now.Add(c.cfg.AddTimeout))
	return c.mine, c.pump(now), nil
}

// Durable reports whether the deltas need stands for (from Add) are in
// seq-kv, and why the last flush failed if it did.
func (c *Core) Durable(need Total) (bool, error) {
	return c.done.Covers(need), c.flushErr
}

// flushIfDue sends a cas of everything received so far if there is
// something to write, no request of the key is in flight and the spacing
// since the last flush has passed.
func (c *Core) flushIfDue(now time.Time) {
	if c.flight != nil || c.done == c.mine || now.Before(c.nextAt) {
		return
	}
	c.nextAt = now.Add(c.cfg.Batch)
	c.cas(now)
}

// cas sends one cas from the confirmed value to base+mine, unless the key
// holds that already.
func (c *Core) cas(now time.Time) {
	to := Record{Total: c.base.Plus(c.mine), Life: c.life}
	if c.stored == to {
		c.done = c.mine
		return
	}
	r := c.send(Request{Op: OpCAS, Key: c.key, From: c.stored, To: to, Deadline: now.Add(c.cfg.KVTimeout)})
	c.flight = &flight{req: r, mine: c.mine, sent: now}
}

// ownerReply takes the answer to the owner's request in flight.
func (c *Core) ownerReply(r Reply, now time.Time) {
	f := c.flight
	c.flight = nil
	switch {
	case f.req.Op == OpRead && r.Err == nil:
		c.adopt(r.Value)
		c.cas(now) // at once: this flush is not over
	case r.Err == nil: // the cas
		c.stored, c.done, c.flushErr = f.req.To, f.mine, nil
		c.wroteAt = later(c.wroteAt, f.sent)
	case f.req.Op == OpCAS && errors.Is(r.Err, node.ErrPreconditionFailed):
		// The key moved on without our knowing: a cas whose reply timed
		// out landed, or it holds a previous life's total. Read it.
		rd := c.send(Request{Op: OpRead, Key: c.key, Deadline: now.Add(c.cfg.KVTimeout)})
		c.flight = &flight{req: rd, sent: now}
	case f.req.Op == OpCAS && errors.Is(r.Err, node.ErrKeyDoesNotExist):
		// Definite: nothing was written. Only a service that ignores
		// create_if_not_exists answers this (see DESIGN.md).
		c.fail(now, fmt.Errorf("flush %v to %s: seq-kv did not create the key; it does not support cas with create_if_not_exists: %w", f.req.To.Total, c.key, r.Err))
	default:
		// Any other answer leaves a cas's outcome unknown or its read
		// unusable; the next flush starts from the same confirmed value.
		c.fail(now, fmt.Errorf("%v: %w", f.req, r.Err))
	}
}

// ownerTick gives up the owner's request once its deadline has passed. A
// cas may still land: the next one, from the same confirmed value, either
// applies everything or fails because this one landed, and the read that
// follows shows which.
func (c *Core) ownerTick(now time.Time) {
	if f := c.flight; f != nil && !now.Before(f.req.Deadline) {
		c.flight = nil
		c.fail(now, fmt.Errorf("%v: unanswered after %s", f.req, c.cfg.KVTimeout))
	}
}

// fail ends a flush that failed: the next begins after retryDelay while an
// add may be waiting, else after KVTimeout.
func (c *Core) fail(now time.Time, err error) {
	c.flushErr = err
	retry := c.cfg.KVTimeout
	if now.Before(c.waitUntil) {
		retry = retryDelay
	}
	c.nextAt = later(c.nextAt, now.Add(retry))
}

// adopt takes the key's current value, read after a cas failed its
// precondition. The failed cas was answered from a state at least as new as
// every earlier write of this node, and a read answers from a state no older
// than that, so cur is the key's current value (see DESIGN.md).
func (c *Core) adopt(cur Record) {
	c.stored = cur
	if cur.Life == c.life {
		// One of this life's earlier targets: base plus part of mine.
		c.done = cur.Total.Minus(c.base)
		return
	}
	// Not written in this life, so none of this life's deltas are in it
	// (once one lands, the key carries this life's tag and no other life's
	// cas can match it again): it is the base under them, as when a
	// restarted node finds its old total.
	c.base = cur.Total
}

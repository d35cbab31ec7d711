package counter

import (
	"errors"
	"fmt"
	"time"

	"github.com/glomers/glomers/node"
)

// This file is the view half of the Core: it answers reads from this
// node's confirmed total plus a cache of the other nodes' totals. The cache
// is served while younger than Refresh; an older one is refreshed first:
// a freshness write to the node's private key (skipped when its own cas
// was sent less than Refresh ago), then a read of every peer's key, each
// answer merged by componentwise maximum. A request unanswered for
// KVTimeout is sent again while the first copy keeps waiting, and the first
// answer wins, until ReadTimeout. DESIGN.md says why a refreshed value
// includes every write applied before the refresh began.

// refresh is one refresh in progress.
type refresh struct {
	n        uint64
	start    time.Time
	deadline time.Time            // start + ReadTimeout
	resendAt map[string]time.Time // per target still unanswered: when to send a copy
	attempts map[int64]Request    // by id; Key is the target (the fresh key or a peer's)
}

// Read asks for the counter's value at now and returns the refresh whose
// outcome the read serves (pass it to Refreshed) with the requests to
// send. A cache younger than Refresh needs none: the ticket is the refresh
// that filled it, which has ended. Otherwise the ticket is the refresh
// running, which Read starts if there is none; concurrent reads share it.
func (c *Core) Read(now time.Time) (ticket uint64, reqs []Request) {
	if now.Sub(c.syncedAt) < c.cfg.Refresh {
		return c.succeeded, nil
	}
	if c.ref == nil {
		c.startRefresh(now)
	}
	return c.refreshes, c.pump(now)
}

// Refreshed reports whether refresh ticket has ended and, if so, the value
// to serve or why it failed. A later successful refresh serves too.
func (c *Core) Refreshed(ticket uint64) (v int64, done bool, err error) {
	switch {
	case c.succeeded >= ticket:
		return c.Value(), true, nil
	case c.ended >= ticket:
		return 0, true, c.readErr
	}
	return 0, false, nil
}

// startRefresh begins a refresh. A request that changes seq-kv's state runs
// on its newest state and moves the caller there, so unless this node's own
// cas did that less than Refresh ago, the refresh first writes a
// never-used value to the node's private key; the peers' keys are read
// once that write is answered.
func (c *Core) startRefresh(now time.Time) {
	c.refreshes++
	c.ref = &refresh{n: c.refreshes, start: now, deadline: now.Add(c.cfg.ReadTimeout),
		resendAt: make(map[string]time.Time), attempts: make(map[int64]Request)}
	if now.Sub(c.wroteAt) >= c.cfg.Refresh {
		c.ask(c.fresh, now)
		return
	}
	c.readPeers(now)
}

// readPeers sends a read of every peer's key.
func (c *Core) readPeers(now time.Time) {
	for _, k := range c.peers {
		c.ask(k, now)
	}
	c.endIfAnswered()
}

// ask sends (again) the refresh's request for target: a freshness write
// with a new value for the fresh key, a read for a peer's.
func (c *Core) ask(target string, now time.Time) {
	r := Request{Op: OpRead, Key: target, Deadline: c.ref.deadline}
	if target == c.fresh {
		c.nonce++
		r.Op, r.Value = OpWrite, fmt.Sprintf("%d/%d", c.life, c.nonce)
	}
	r = c.send(r)
	c.ref.attempts[r.ID] = r
	c.ref.resendAt[target] = now.Add(c.cfg.KVTimeout)
}

// viewReply takes the answer to one of the refresh's requests; the first
// answer for a target settles it and later copies' are ignored.
func (c *Core) viewReply(r Reply, now time.Time) {
	req := c.ref.attempts[r.ID]
	target := req.Key
	switch {
	case r.Err == nil && target == c.fresh:
		c.answered(target)
		c.readPeers(now)
		return
	case r.Err == nil:
		c.seen[target] = c.seen[target].Max(r.Value.Total)
	case target != c.fresh && errors.Is(r.Err, node.ErrKeyDoesNotExist):
		// That node has written nothing yet.
	default:
		c.endRefresh(fmt.Errorf("refresh: %v: %w", req, r.Err))
		return
	}
	c.answered(target)
	c.endIfAnswered()
}

// answered forgets target's requests: its later answers change nothing.
func (c *Core) answered(target string) {
	delete(c.ref.resendAt, target)
	for id, req := range c.ref.attempts {
		if req.Key == target {
			delete(c.ref.attempts, id)
		}
	}
}

// endIfAnswered ends the refresh once every target has answered: the cache
// then reflects every write seq-kv applied before the refresh began.
func (c *Core) endIfAnswered() {
	if r := c.ref; len(r.resendAt) == 0 {
		c.syncedAt = r.start
		c.ended, c.succeeded, c.readErr = r.n, r.n, nil
		c.ref = nil
	}
}

// endRefresh fails the refresh: its reads fail, and the next read starts
// another.
func (c *Core) endRefresh(err error) {
	c.ended, c.readErr = c.ref.n, err
	c.ref = nil
}

// viewTick fails the refresh at its deadline, and otherwise sends a copy of
// each of its requests unanswered for KVTimeout since its last copy.
func (c *Core) viewTick(now time.Time) {
	r := c.ref
	if r == nil {
		return
	}
	if !now.Before(r.deadline) {
		c.endRefresh(fmt.Errorf("refresh: seq-kv did not answer within %s", c.cfg.ReadTimeout))
		return
	}
	for _, target := range append([]string{c.fresh}, c.peers...) { // a fixed order: ids are deterministic
		if at, ok := r.resendAt[target]; ok && !now.Before(at) {
			c.ask(target, now)
		}
	}
}

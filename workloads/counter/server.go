package counter

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/glomers/glomers/node"
)

// server is the I/O around a Core: handlers run their events on it through
// step, one background loop sends the seq-kv requests the core returns,
// feeds their answers back and ticks the core when it asks.
type server struct {
	kv *node.KV

	mu      sync.Mutex // guards core, changed and outbox
	core    *Core
	changed chan struct{} // closed and replaced after every event, for await
	outbox  []Request     // returned by the core, not yet sent

	poke chan struct{} // one slot: the outbox or the core's Wake may have changed
}

func newServer(kv *node.KV, core *Core) *server {
	return &server{kv: kv, core: core, changed: make(chan struct{}), poke: make(chan struct{}, 1)}
}

// step runs one event on the core at the current time and queues the
// requests it returns for the loop.
func (s *server) step(event func(c *Core, now time.Time) []Request) {
	s.mu.Lock()
	s.outbox = append(s.outbox, event(s.core, time.Now())...)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
	select {
	case s.poke <- struct{}{}:
	default:
	}
}

// await calls done under the lock now and after every event until it
// reports true, or ctx ends.
func (s *server) await(ctx context.Context, done func(c *Core) bool) error {
	for {
		s.mu.Lock()
		ok, ch := done(s.core), s.changed
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// loop is the node's one background task: it sends what the core queues
// and ticks it at its Wake time, until ctx ends; it returns once every
// request it sent has been answered or given up.
func (s *server) loop(ctx context.Context) {
	var sends sync.WaitGroup
	defer sends.Wait()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.mu.Lock()
		out, wake := s.outbox, s.core.Wake()
		s.outbox = nil
		s.mu.Unlock()
		for _, r := range out {
			sends.Go(func() { s.do(ctx, r) })
		}
		if wake.IsZero() {
			timer.Stop()
		} else {
			timer.Reset(time.Until(wake))
		}
		select {
		case <-ctx.Done():
			return
		case <-s.poke:
		case <-timer.C:
			s.step((*Core).Tick)
		}
	}
}

// do sends one request and passes its answer to the core. A request that
// got none (its deadline passed, the input ended) is left to the core's
// Tick.
func (s *server) do(ctx context.Context, r Request) {
	ctx, cancel := context.WithDeadline(ctx, r.Deadline)
	defer cancel()
	rep := Reply{ID: r.ID}
	switch r.Op {
	case OpCAS:
		rep.Err = s.kv.CAS(ctx, r.Key, r.From, r.To, true)
	case OpWrite:
		rep.Err = s.kv.Write(ctx, r.Key, r.Value)
	case OpRead:
		rep.Err = s.kv.Read(ctx, r.Key, &rep.Value)
	}
	if errors.Is(rep.Err, context.DeadlineExceeded) || errors.Is(rep.Err, context.Canceled) || errors.Is(rep.Err, node.ErrInputClosed) {
		return
	}
	s.step(func(c *Core, now time.Time) []Request { return c.Reply(rep, now) })
}

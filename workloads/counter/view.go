package counter

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/glomers/glomers/node"
)

// view answers reads: this node's confirmed total plus a cache of the other
// nodes' totals, refreshed from the kv at most once per maxAge and only when
// a read finds the cache older than that.
type view struct {
	kv      KV
	own     *owner
	peers   []string // other nodes' keys
	fresh   string   // this node's private key for freshness writes
	life    int64
	maxAge  time.Duration
	timeout time.Duration // per kv request

	mu       sync.Mutex
	seen     map[string]Total // per peer key: the newest Total observed
	syncedAt time.Time        // start of the last complete refresh
	running  chan struct{}    // closed when the refresh in flight ends; nil if none
	err      error            // outcome of the last refresh
	nonce    int64            // freshness writes so far
}

func newView(kv KV, own *owner, peers []string, fresh string, life int64, maxAge, timeout time.Duration) *view {
	return &view{kv: kv, own: own, peers: peers, fresh: fresh, life: life,
		maxAge: maxAge, timeout: timeout, seen: make(map[string]Total, len(peers))}
}

// read returns the counter's value. A cache younger than maxAge is served
// as is; otherwise the caller runs a refresh, or waits for the one already
// running, and serves its result.
func (v *view) read(ctx context.Context) (int64, error) {
	v.mu.Lock()
	if time.Since(v.syncedAt) < v.maxAge {
		defer v.mu.Unlock()
		return v.sum(), nil
	}
	ch := v.running
	if ch == nil {
		ch = make(chan struct{})
		v.running = ch
		v.mu.Unlock()
		err := v.refresh(ctx)
		v.mu.Lock()
		v.err, v.running = err, nil
		close(ch)
		v.mu.Unlock()
	} else {
		v.mu.Unlock()
	}
	select {
	case <-ch:
	case <-ctx.Done():
		return 0, fmt.Errorf("read: %w", ctx.Err())
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.err != nil {
		return 0, v.err
	}
	return v.sum(), nil
}

// sum adds this node's confirmed total and the cached peers'; v.mu is held.
func (v *view) sum() int64 {
	own, _ := v.own.value()
	s := own.Value()
	for _, t := range v.seen {
		s += t.Value()
	}
	return s
}

// refresh brings the cache up to date with every write the kv applied
// before the refresh began, give or take maxAge:
//
//  1. Unless this node's own cas was sent less than maxAge ago, it writes a
//     never-used value to its private key. A write that changes the state
//     runs on seq-kv's newest state and moves this caller there, and every
//     later request of this caller is answered from that state or a newer
//     one. (A recent cas of the node's own key did the same when it landed.)
//  2. It then reads every peer's key; each answer therefore includes every
//     write applied before step 1's write.
//  3. Each answer is merged into the cache by componentwise maximum, so an
//     answer older than one seen before changes nothing.
//
// On success the cache reflects every write applied before
// start − maxAge, where start is when this refresh began.
func (v *view) refresh(ctx context.Context) error {
	start := time.Now()
	if _, wrote := v.own.value(); start.Sub(wrote) >= v.maxAge {
		v.mu.Lock()
		v.nonce++
		mark := fmt.Sprintf("%d/%d", v.life, v.nonce)
		v.mu.Unlock()
		if err := within(ctx, v.timeout, func(ctx context.Context) error { return v.kv.Write(ctx, v.fresh, mark) }); err != nil {
			return fmt.Errorf("refresh: %w", err)
		}
	}
	errs := make([]error, len(v.peers))
	var wg sync.WaitGroup
	for i, key := range v.peers {
		wg.Go(func() {
			var r record
			err := within(ctx, v.timeout, func(ctx context.Context) error { return v.kv.Read(ctx, key, &r) })
			switch {
			case errors.Is(err, node.ErrKeyDoesNotExist):
				return // that node has written nothing yet
			case err != nil:
				errs[i] = err
				return
			}
			v.mu.Lock()
			v.seen[key] = v.seen[key].Max(r.Total)
			v.mu.Unlock()
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("refresh: %w", err)
	}
	v.mu.Lock()
	v.syncedAt = start
	v.mu.Unlock()
	return nil
}

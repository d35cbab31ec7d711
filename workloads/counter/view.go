package counter

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/glomers/glomers/node"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"
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
	timeout time.Duration // a kv request unanswered for this long is sent again

	refreshes singleflight.Group // concurrent reads share one refresh

	mu       sync.Mutex
	seen     map[string]Total // per peer key: the newest Total observed
	syncedAt time.Time        // start of the last complete refresh
	nonce    int64            // freshness writes so far
}

func newView(kv KV, own *owner, peers []string, fresh string, life int64, maxAge, timeout time.Duration) *view {
	return &view{kv: kv, own: own, peers: peers, fresh: fresh, life: life,
		maxAge: maxAge, timeout: timeout, seen: make(map[string]Total, len(peers))}
}

// read returns the counter's value. A cache younger than maxAge is served
// as is; otherwise the caller runs a refresh, or waits for the one already
// running (singleflight), and serves its result.
func (v *view) read(ctx context.Context) (int64, error) {
	v.mu.Lock()
	if time.Since(v.syncedAt) < v.maxAge {
		defer v.mu.Unlock()
		return v.sum(), nil
	}
	v.mu.Unlock()
	// The first reader runs the refresh under its own context; readers that
	// come while it runs wait for its outcome. All reads have the same
	// deadline, so the first one's ends before theirs.
	if _, err, _ := v.refreshes.Do("refresh", func() (any, error) { return nil, v.refresh(ctx) }); err != nil {
		return 0, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
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
// A request unanswered after the per-request timeout is sent again (the
// freshness write with a new value) while the first keeps waiting, and so
// on until one answers or ctx ends: with a high or long-tailed latency a
// few of a refresh's N requests often outlast the timeout, and failing the
// whole read for one of them made most reads fail (at a mean latency of
// 300 ms, exponential, on 10 nodes, nearly every final read). A resent
// read is as fresh as the first, being sent after step 1 too.
//
// On success the cache reflects every write applied before
// start − maxAge, where start is when this refresh began.
func (v *view) refresh(ctx context.Context) error {
	start := time.Now()
	if _, wrote := v.own.value(); start.Sub(wrote) >= v.maxAge {
		_, err := hedged(ctx, v.timeout, func(ctx context.Context) (struct{}, error) {
			v.mu.Lock()
			v.nonce++
			mark := fmt.Sprintf("%d/%d", v.life, v.nonce)
			v.mu.Unlock()
			return struct{}{}, v.kv.Write(ctx, v.fresh, mark)
		})
		if err != nil {
			return fmt.Errorf("refresh: %w", err)
		}
	}
	var peers errgroup.Group
	for _, key := range v.peers {
		peers.Go(func() error {
			r, err := hedged(ctx, v.timeout, func(ctx context.Context) (r record, err error) {
				return r, v.kv.Read(ctx, key, &r)
			})
			switch {
			case errors.Is(err, node.ErrKeyDoesNotExist):
				return nil // that node has written nothing yet
			case err != nil:
				return err
			}
			v.mu.Lock()
			v.seen[key] = v.seen[key].Max(r.Total)
			v.mu.Unlock()
			return nil
		})
	}
	if err := peers.Wait(); err != nil {
		return fmt.Errorf("refresh: %w", err)
	}
	v.mu.Lock()
	v.syncedAt = start
	v.mu.Unlock()
	return nil
}

// hedged runs one kv request and sends it again every `every` while no
// attempt has answered, leaving the earlier attempts waiting: the first
// answer wins, and the others are abandoned (their replies are dropped).
// Unlike giving up an attempt at a timeout and starting over, a reply that
// is merely late still counts. It returns the first answer, an attempt's
// error other than a timeout (a definite answer such as key-does-not-exist),
// or ctx's error when ctx ends first.
func hedged[T any](ctx context.Context, every time.Duration, req func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // abandons the attempts still waiting
	type result struct {
		v   T
		err error
	}
	results := make(chan result)
	attempt := func() {
		go func() {
			v, err := req(ctx)
			select {
			case results <- result{v, err}:
			case <-ctx.Done():
			}
		}()
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	attempt()
	for {
		select {
		case r := <-results:
			if r.err == nil || (ctx.Err() == nil && !errors.Is(r.err, context.DeadlineExceeded)) {
				return r.v, r.err
			}
			// This attempt timed out on its own; the next tick sends another.
		case <-tick.C:
			attempt()
		case <-ctx.Done():
			var zero T
			return zero, fmt.Errorf("kv request unanswered: %w", ctx.Err())
		}
	}
}

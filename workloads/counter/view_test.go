package counter

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

const testMaxAge = time.Second

// cluster is three nodes' owners on one fake seq-kv and n0's view.
type cluster struct {
	f    *fakeKV
	own  map[string]*owner
	view *view
}

func newCluster(t *testing.T) *cluster {
	f := newFakeKV(t)
	c := &cluster{f: f, own: map[string]*owner{}}
	for i, id := range []string{"n0", "n1", "n2"} {
		c.own[id] = newOwner(f.client(id), Key(id), int64(i+1), time.Second, 0)
	}
	c.view = newView(f.client("n0"), c.own["n0"], []string{Key("n1"), Key("n2")}, freshKey("n0"), 1, testMaxAge, time.Second)
	return c
}

// add makes delta durable on node id.
func (c *cluster) add(t *testing.T, id string, delta int64) {
	t.Helper()
	if err := <-mustAdd(t, c.own[id], delta); err != nil {
		t.Fatalf("add on %s: %v", id, err)
	}
}

func (c *cluster) read(t *testing.T) int64 {
	t.Helper()
	v, err := c.view.read(context.Background())
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return v
}

func TestReadForcesFreshness(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t)
		c.add(t, "n0", 1)
		c.add(t, "n1", 10)
		c.add(t, "n2", 100)
		c.add(t, "n1", -20)
		time.Sleep(testMaxAge) // n0's own cas no longer counts as fresh

		// The fake is as stale as seq-kv allows: n0's last write came
		// before the others', so a plain read misses them.
		var naive record
		if err := c.f.client("n0").Read(context.Background(), Key("n1"), &naive); err == nil {
			t.Fatalf("sanity: plain read of n1's key saw %v; the fake is not stale", naive.Total)
		}

		if got := c.read(t); got != 91 {
			t.Errorf("read = %d, want 91", got)
		}
		if c.f.count("write") != 1 {
			t.Errorf("%d freshness writes, want 1", c.f.count("write"))
		}
	})
}

func TestReadServesCacheWithinMaxAge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t)
		c.add(t, "n1", 5)
		if got := c.read(t); got != 5 {
			t.Fatalf("read = %d, want 5", got)
		}
		requests := c.f.count("read") + c.f.count("write")
		c.add(t, "n2", 7)

		time.Sleep(testMaxAge / 2)
		if got := c.read(t); got != 5 {
			t.Errorf("read within max age = %d, want the cached 5", got)
		}
		if now := c.f.count("read") + c.f.count("write"); now != requests {
			t.Errorf("read within max age sent %d kv requests, want none", now-requests)
		}

		time.Sleep(testMaxAge / 2)
		if got := c.read(t); got != 12 {
			t.Errorf("read after max age = %d, want 12", got)
		}
	})
}

func TestRecentOwnWriteReplacesFreshnessWrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t)
		c.add(t, "n1", 5)
		c.add(t, "n0", 1) // moves n0 onto the newest state
		if got := c.read(t); got != 6 {
			t.Errorf("read = %d, want 6", got)
		}
		if w := c.f.count("write"); w != 0 {
			t.Errorf("%d freshness writes right after an own cas, want 0", w)
		}

		time.Sleep(testMaxAge)
		c.add(t, "n1", 5)
		if got := c.read(t); got != 11 {
			t.Errorf("read = %d, want 11", got)
		}
		if w := c.f.count("write"); w != 1 {
			t.Errorf("%d freshness writes once the own cas is old, want 1", w)
		}
	})
}

func TestStaleAnswerNeverMovesCacheBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t)
		c.add(t, "n1", 5)
		if got := c.read(t); got != 5 {
			t.Fatalf("read = %d, want 5", got)
		}
		// n1's key answers with an older total, as a stale state would.
		c.f.set(Key("n1"), record{Total: Total{P: 2}, Life: 2})
		time.Sleep(testMaxAge)
		if got := c.read(t); got != 5 {
			t.Errorf("read after a stale answer = %d, want 5", got)
		}
	})
}

// TestRefreshResendsTimedOutRequests: with a long-tailed latency some of a
// refresh's requests outlast their timeout; each is resent within the same
// client read (the freshness write with a new value) instead of failing it.
func TestRefreshResendsTimedOutRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t)
		c.add(t, "n1", 5)
		c.add(t, "n2", 3)
		time.Sleep(testMaxAge) // n0 needs a freshness write
		c.f.inject("write", loseReply, drop)
		c.f.inject("read", drop, stall, loseReply)
		if got := c.read(t); got != 8 {
			t.Errorf("read with timed-out kv requests = %d, want 8", got)
		}
		if w := c.f.count("write"); w != 3 {
			t.Errorf("%d freshness writes, want 3 (two timed out)", w)
		}
		if r := c.f.count("read"); r != 5 {
			t.Errorf("%d kv reads for 2 peers, want 5 (three timed out)", r)
		}
	})
}

// TestReadFailsAtItsDeadline: a kv that stays silent fails the read when
// the read's context ends, and the next read refreshes again.
func TestReadFailsAtItsDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t)
		c.add(t, "n1", 5)
		c.add(t, "n2", 3)
		c.f.inject("read", stall, stall, stall, stall, stall, stall) // 3 s per peer
		ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
		defer cancel()
		if _, err := c.view.read(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("read with a silent kv: %v, want a timeout", err)
		}
		if got := c.read(t); got != 8 {
			t.Errorf("next read = %d, want 8", got)
		}
	})
}

func TestConcurrentReadsShareOneRefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t)
		c.add(t, "n1", 5)
		c.f.inject("write", stall, stall) // the freshness write hangs past the read's deadline
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		defer cancel()
		var wg sync.WaitGroup
		got := make([]error, 10)
		for i := range got {
			wg.Go(func() { _, got[i] = c.view.read(ctx) })
		}
		synctest.Wait()
		if w := c.f.count("write"); w != 1 {
			t.Errorf("10 concurrent stale reads sent %d freshness writes, want 1", w)
		}
		wg.Wait() // the write is still stalled at the deadline: every read reports it
		for _, err := range got {
			if err == nil {
				t.Errorf("read succeeded although its refresh failed")
			}
		}
	})
}

// TestHedgedLateAnswerCounts: an attempt still waiting when the next is
// sent may answer first, and its answer is taken; a definite error is
// returned as is.
func TestHedgedLateAnswerCounts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		sent := 0
		start := time.Now()
		v, err := hedged(context.Background(), time.Second, func(ctx context.Context) (int, error) {
			mu.Lock()
			sent++
			n := sent
			mu.Unlock()
			if n == 1 {
				time.Sleep(1500 * time.Millisecond) // late, but first to answer
				return 1, nil
			}
			<-ctx.Done() // later copies never answer
			return 0, ctx.Err()
		})
		if v != 1 || err != nil {
			t.Errorf("hedged = %d, %v; want the late first answer 1", v, err)
		}
		if took := time.Since(start); took != 1500*time.Millisecond {
			t.Errorf("took %v, want 1.5s (when the first attempt answered)", took)
		}
		mu.Lock()
		if sent != 2 {
			t.Errorf("%d attempts, want 2 (one sent at 1s)", sent)
		}
		mu.Unlock()

		definite := errors.New("key does not exist")
		if _, err := hedged(context.Background(), time.Second, func(context.Context) (int, error) { return 0, definite }); err != definite {
			t.Errorf("hedged with a definite error = %v, want it as is", err)
		}
	})
}

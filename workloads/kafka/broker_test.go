package kafka

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/glomers/glomers/node"
	"github.com/rs/zerolog"
)

// fakeKV is an in-memory lin-kv with faults: a write can be refused (the
// request was lost) or applied with its reply lost, and any request can be
// slow. Values are stored as JSON, as the service does.
type fakeKV struct {
	mu       sync.Mutex
	data     map[string][]byte
	writes   map[string][][]byte // every write attempt's bytes, by key
	dropNext int                 // writes to refuse (not applied)
	loseNext int                 // writes to apply whose reply is lost
	delay    time.Duration       // before each request completes
	reads    int                 // read requests served
}

func newFakeKV() *fakeKV {
	return &fakeKV{data: make(map[string][]byte), writes: make(map[string][][]byte)}
}

var errLost = node.NewError(node.CodeTimeout, "fake: no reply")

func (f *fakeKV) setDelay(d time.Duration) {
	f.mu.Lock()
	f.delay = d
	f.mu.Unlock()
}

func (f *fakeKV) wait(ctx context.Context) error {
	f.mu.Lock()
	d := f.delay
	f.mu.Unlock()
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *fakeKV) Read(ctx context.Context, key string, v any) error {
	if err := f.wait(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	b, ok := f.data[key]
	f.reads++
	f.mu.Unlock()
	if !ok {
		return fmt.Errorf("fake read %q: %w", key, node.ErrKeyDoesNotExist)
	}
	return node.Decode(b, v)
}

func (f *fakeKV) Write(ctx context.Context, key string, value any) error {
	b, err := json.Marshal(value)
	if err != nil {
		return err
	}
	if err := f.wait(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes[key] = append(f.writes[key], b)
	switch {
	case f.dropNext > 0:
		f.dropNext--
		return errLost
	case f.loseNext > 0:
		f.loseNext--
		f.data[key] = b
		return errLost
	}
	f.data[key] = b
	return nil
}

// cluster is brokers wired to one fake lin-kv and to each other through
// pushes that can be cut, with their writers and tails running.
type cluster struct {
	kv      *fakeKV
	brokers map[string]*Broker

	mu  sync.Mutex
	cut bool // pushes are dropped, as under a partition
}

func newCluster(t *testing.T, ctx context.Context, cfg Config, nodes []string) *cluster {
	t.Helper()
	cl := &cluster{kv: newFakeKV(), brokers: make(map[string]*Broker)}
	log := zerolog.Nop()
	for _, id := range nodes {
		b, err := NewBroker(cfg, id, nodes, cl.kv, func(peer string, p Push) {
			cl.mu.Lock()
			cut := cl.cut
			cl.mu.Unlock()
			if !cut {
				// Round-trip through JSON, as the network would.
				var q Push
				raw, _ := json.Marshal(p)
				if err := node.Decode(raw, &q); err != nil {
					t.Errorf("push does not decode: %v", err)
				}
				go cl.brokers[peer].Receive(q)
			}
		}, &log)
		if err != nil {
			t.Fatal(err)
		}
		cl.brokers[id] = b
	}
	for _, b := range cl.brokers {
		go b.RunWriter(ctx)
		go func() {
			tick := time.NewTicker(cfg.TailTick())
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					b.Tail(ctx)
				}
			}
		}()
	}
	return cl
}

func (cl *cluster) setCut(cut bool) {
	cl.mu.Lock()
	cl.cut = cut
	cl.mu.Unlock()
}

var testCfg = Config{Flush: 5 * time.Millisecond, Tail: 20 * time.Millisecond, MaxTail: 80 * time.Millisecond,
	Wait: 5 * time.Second, RPC: 100 * time.Millisecond, MaxPoll: 1000}

// sendAll sends count messages per key from every node concurrently and
// returns, per key, the message at each acknowledged offset.
func sendAll(t *testing.T, cl *cluster, keys []string, count int) map[string]map[int64]string {
	t.Helper()
	var mu sync.Mutex
	acked := make(map[string]map[int64]string)
	var wg sync.WaitGroup
	for id, b := range cl.brokers {
		for _, k := range keys {
			wg.Go(func() {
				for i := range count {
					m := fmt.Sprintf(`"%s-%s-%d"`, id, k, i)
					off, err := b.Send(context.Background(), k, json.RawMessage(m))
					if err != nil {
						t.Errorf("send %s to %s: %v", m, id, err)
						return
					}
					mu.Lock()
					if acked[k] == nil {
						acked[k] = make(map[int64]string)
					}
					if prev, dup := acked[k][off]; dup {
						t.Errorf("key %s offset %d given to %s and %s", k, off, prev, m)
					}
					acked[k][off] = m
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	return acked
}

// checkLogs asserts every broker's log of each key is exactly the
// acknowledged messages at offsets 0..n-1.
func checkLogs(t *testing.T, cl *cluster, acked map[string]map[int64]string) {
	t.Helper()
	for id, b := range cl.brokers {
		for k, want := range acked {
			got := b.Poll(map[string]int64{k: 0})[k]
			if len(got) != len(want) {
				t.Fatalf("%s has %d entries of %s, want %d", id, len(got), k, len(want))
			}
			for i, p := range got {
				if p.Offset != int64(i) || string(p.Msg) != want[p.Offset] {
					t.Fatalf("%s key %s entry %d = %d:%s, want %s", id, k, i, p.Offset, p.Msg, want[int64(i)])
				}
			}
		}
	}
}

func TestBrokersAgree(t *testing.T) {
	tests := []struct {
		name  string
		nodes []string
		cut   bool
	}{
		{"one node", []string{"n0"}, false},
		{"two nodes", twoNodes, false},
		{"three nodes partitioned: only lin-kv carries chunks", []string{"n0", "n1", "n2"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				cl := newCluster(t, ctx, testCfg, tc.nodes)
				cl.setCut(tc.cut)
				acked := sendAll(t, cl, []string{"1", "2", "3", "4"}, 10)
				time.Sleep(10 * testCfg.Tail) // pushes or tail reads spread every chunk
				synctest.Wait()
				checkLogs(t, cl, acked)
			})
		})
	}
}

func TestWriteRetriesSameChunk(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cl := newCluster(t, ctx, testCfg, twoNodes)
		cl.kv.mu.Lock()
		cl.kv.dropNext, cl.kv.loseNext = 2, 2
		cl.kv.mu.Unlock()
		acked := sendAll(t, cl, []string{"1", "2"}, 5)
		time.Sleep(10 * testCfg.Tail)
		synctest.Wait()
		checkLogs(t, cl, acked)

		cl.kv.mu.Lock()
		defer cl.kv.mu.Unlock()
		retried := 0
		for key, attempts := range cl.kv.writes {
			for _, a := range attempts[1:] {
				if string(a) != string(attempts[0]) {
					t.Fatalf("retry of %s wrote different bytes:\n%s\n%s", key, attempts[0], a)
				}
			}
			retried += len(attempts) - 1
		}
		if retried != 4 {
			t.Fatalf("%d retries, want 4", retried)
		}
	})
}

// TestListSeesCommitsFromEveryNode: a commit acknowledged by one node is
// listed by another at once, pushes or no pushes, and never goes backwards.
func TestListSeesCommitsFromEveryNode(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		slow := testCfg
		slow.Tail, slow.MaxTail = time.Hour, time.Hour // no help from tail reads
		cl := newCluster(t, ctx, slow, twoNodes)
		cl.setCut(true)
		n0, n1 := cl.brokers["n0"], cl.brokers["n1"]
		steps := []struct {
			at     *Broker
			commit map[string]int64
			want   map[string]int64
		}{
			{n0, map[string]int64{"1": 4}, map[string]int64{"1": 4}},
			{n1, map[string]int64{"1": 2, "2": 9}, map[string]int64{"1": 4, "2": 9}},
			{n0, map[string]int64{"1": 7}, map[string]int64{"1": 7, "2": 9}},
		}
		for i, s := range steps {
			if err := s.at.Commit(ctx, s.commit); err != nil {
				t.Fatal(err)
			}
			for id, b := range cl.brokers {
				got, err := b.Committed(ctx, []string{"1", "2", "3"})
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, s.want) {
					t.Fatalf("step %d: %s lists %v, want %v", i, id, got, s.want)
				}
			}
		}
	})
}

func TestSlowStoreTimesOutIndefinitely(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cfg := testCfg
		cfg.Wait, cfg.RPC = 50*time.Millisecond, time.Second
		cl := newCluster(t, ctx, cfg, []string{"n0"})
		cl.kv.setDelay(200 * time.Millisecond)
		_, err := cl.brokers["n0"].Send(ctx, "1", msg(1))
		if e := node.ErrorFor(err); e.Definite() {
			t.Fatalf("a send that may still happen failed definitely: %v", err)
		}
		time.Sleep(time.Second)
		if got := cl.brokers["n0"].Poll(map[string]int64{"1": 0})["1"]; len(got) != 1 {
			t.Fatalf("the timed-out send was not applied later: %v", got)
		}
	})
}

// TestStoreSlowerThanRPC: a lin-kv whose every round trip outlasts
// Config.RPC (Maelstrom's latency has no bound) still serves sends, commits
// and lists, because the time limit of requests grows with the timeouts.
func TestStoreSlowerThanRPC(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cl := newCluster(t, ctx, testCfg, twoNodes)
		cl.kv.setDelay(3 * testCfg.RPC)
		n0, n1 := cl.brokers["n0"], cl.brokers["n1"]
		for i, key := range []string{keyOwnedBy(t, "n0", twoNodes), keyOwnedBy(t, "n1", twoNodes)} {
			if off, err := n0.Send(ctx, key, msg(i)); err != nil || off != 0 {
				t.Fatalf("send to %s: offset %d, %v", key, off, err)
			}
		}
		if err := n0.Commit(ctx, map[string]int64{"1": 3}); err != nil {
			t.Fatal(err)
		}
		got, err := n1.Committed(ctx, []string{"1"})
		if err != nil || got["1"] != 3 {
			t.Fatalf("list after a slow commit: %v, %v; want 1:3", got, err)
		}
	})
}

func TestStoppedWriterFailsWaiters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cl := newCluster(t, ctx, testCfg, twoNodes)
		cl.kv.setDelay(time.Second)
		errs := make(chan error, 2)
		go func() { _, err := cl.brokers["n0"].Send(context.Background(), "1", msg(1)); errs <- err }()
		go func() { errs <- cl.brokers["n0"].Commit(context.Background(), map[string]int64{"1": 0}) }()
		time.Sleep(10 * time.Millisecond)
		cancel()
		for range 2 {
			if e := node.ErrorFor(<-errs); e.Definite() {
				t.Fatalf("error on stop is definite: %v", e)
			}
		}
	})
}

// TestIdlePeersBackOff: tail reads of a stream that has nothing new grow
// apart up to MaxTail, and a send waiting for an owner that cannot push
// is still answered through lin-kv.
func TestIdlePeersBackOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cl := newCluster(t, ctx, testCfg, twoNodes)
		const idle = 2 * time.Second
		time.Sleep(idle)
		synctest.Wait()
		cl.kv.mu.Lock()
		reads := cl.kv.reads
		cl.kv.mu.Unlock()
		// Two nodes reading each other about every MaxTail make 50 reads;
		// without back-off each would read every Tail, 200 in all.
		if limit := 3 * int(idle/testCfg.MaxTail); reads > limit {
			t.Fatalf("%d tail reads in %v of idleness, want at most %d", reads, idle, limit)
		}

		cl.setCut(true)
		key := keyOwnedBy(t, "n1", twoNodes)
		off, err := cl.brokers["n0"].Send(ctx, key, msg(1))
		if err != nil || off != 0 {
			t.Fatalf("send across a cut after idleness: offset %d, %v", off, err)
		}
	})
}

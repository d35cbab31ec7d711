// Package counter is Gossip Glomers challenge 4, the grow-only counter
// (Maelstrom workload g-counter), and its sibling pn-counter, whose deltas
// may be negative. Nodes keep no authoritative state: the counter lives in
// Maelstrom's sequentially consistent seq-kv service.
//
// # Layout in seq-kv
//
// Node n writes only the key "counter/n", holding its share of the counter
// as {"p":P,"n":N,"life":L}: P sums its positive deltas, N the magnitudes of
// its negative ones (a PN counter is a pair of grow-only counters; a
// g-counter's N stays 0), L is a random tag of the process that wrote it.
// The counter's value is the sum of P − N over all nodes' keys. Because each
// key has one writer, that writer's compare-and-sets are never contended.
//
// # Adds: group commit, durable, never double-counted
//
// An add updates memory (the node's desired total) and waits. If no write of
// the node's key is in flight, the waiting add itself sends one: a cas from
// the key's last confirmed value to the desired total, covering every delta
// received so far. Adds that arrive while a cas is in flight wait for it to
// end and then share the next one. When seq-kv acknowledges a cas, every add
// it covered is answered add_ok: the delta is in seq-kv before the client
// hears of it, so a node that crashed right after would lose nothing. Only
// one cas of the key is in flight at a time, so concurrent adds never race
// each other. -batch sets a least time between two cas (default 0: back to
// back), trading add latency for fewer writes when adds are frequent.
//
// The cas writes an absolute total, which is what makes retries safe. If its
// reply times out the outcome is unknown: the deltas stay in the desired
// total and the next cas starts from the same confirmed value. Either it
// applies everything, and the lost one can no longer land (its `from` no
// longer matches), or it fails its precondition because the lost one
// landed; the node then reads its key, adopts what it holds, and goes on
// from there. A record is never written twice (totals grow within a life;
// lives have distinct tags), so a delayed cas cannot match a value it was
// not computed from, and a record read back tells whether this life wrote
// it; one from another life (the node restarted) becomes the base under this
// life's deltas. An add not confirmed within -add-timeout is answered with
// error 0 (timeout), which is indefinite: its delta stays in the desired
// total, a periodic sweep (every -kv-timeout) writes it if no later add
// does, and it is counted at most once.
//
// A cas of the node's own key cannot fail against a stale value, although
// seq-kv first tries every cas on a random state no older than the last one
// the caller saw, and answers a failing one from there. Every write of the
// key that seq-kv applied moved the caller to the state it created, whether
// or not its reply arrived, and nobody else writes the key: so every state
// the caller may still be answered from holds the key's current value.
//
// The first cas of a life creates the key with create_if_not_exists. Maelstrom
// 0.2.3's seq-kv supports it: lin-kv and seq-kv share one key/value model in
// src/maelstrom/service.clj, whose cas creates a missing key when the flag is
// set (the services doc says so for lin-kv, and seq-kv is "just like lin-kv";
// Maelstrom's own tutorials relied on it in 2021). On a seq-kv without it the
// cas would fail with key-does-not-exist, which flush reports as such: adds
// time out (indefinite) and nothing is counted wrongly.
//
// # Reads: a cache made fresh enough
//
// seq-kv serves a read from a random state between the last one the caller
// has seen and the newest one overall, so a node that only reads lags by a
// random amount (and a caller more than 32 states behind may even be served
// a state older than one it saw before). A request that changes the
// state is different: it runs on the newest state and moves the caller
// there. So a refresh first writes a never-used value (one that changes the
// state whatever state it is tried on) to the node's private key
// "fresh/n" (skipped when the node's own cas was sent less than -refresh
// ago, since that cas moved it just as well), then reads every other node's
// key: each answer includes every write applied before that freshness
// write. Answers merge into a cache by componentwise maximum per node key.
// Both halves of a node's share only grow (a restarted node writes its old
// total plus its new deltas), so the componentwise maximum of the records
// seen of one key is the newest of them: a stale answer never moves a
// cached share back (a g-counter's reads on one node never decrease), and
// every cached share is one its node really wrote, so a g-counter read
// never exceeds the sum of the adds invoked so far.
//
// A read is served from the cache while the cache is younger than -refresh;
// otherwise the read triggers a refresh (concurrent reads share one) and
// serves its result. A refresh sends each of its seq-kv requests again
// every -kv-timeout while no copy has been answered, and the first answer
// wins, until -read-timeout: a long-tailed latency delays reads instead of
// failing them. Between refreshes a node sends nothing for reads. A served
// value therefore includes every write applied before now − 2·refresh (or
// now − refresh − the refresh's own duration, when a slow seq-kv made a
// read wait longer than -refresh for it, at most -read-timeout): that is
// the staleness bound during the load.
//
// Why final reads are exact: Maelstrom reads after the load ends, the
// partitions heal and 10 s of quiet pass. Partitions cut only node↔node
// links, never the path to seq-kv, so the last write of any key is applied
// within -add-timeout (the last add's own attempts) plus -kv-timeout (the
// sweep) plus -batch after the last add, save for seq-kv requests that go
// unanswered for longer than -kv-timeout. A final read served from the
// cache reflects every write applied before now − 2·refresh, one that
// refreshes reflects every write before now − refresh. Setup rejects
// settings where 2·refresh + batch + add-timeout + kv-timeout exceeds 8 s,
// so that the final reads come at least 2 s after the freshness point they
// need.
//
// # Cost
//
// Adds: one cas (2 messages) per write of a node's key; zero deltas cost
// nothing. Reads: per node and refresh, one read per other node (2 messages
// each) plus, when the node's own cas is older than -refresh, one freshness
// write. Maelstrom's default concurrency is one client per node, and a
// client waits for each reply, so a node never holds two adds at once:
// every add needs a cas of its own and adds alone cost about 1 server
// message per operation (half the operations are adds). Batching only pays
// with more clients per node (--concurrency 4n and up). The read term grows
// with the square of the node count.
package counter

import (
	"context"
	"flag"
	"fmt"
	"math"
	"time"

	"github.com/glomers/glomers/node"
)

// Config tunes a counter node; the zero value is not valid, start from
// DefaultConfig.
type Config struct {
	Batch      time.Duration // least time between two cas of the node's key; 0: back to back
	Refresh    time.Duration // a read is served from a cache younger than this
	KVTimeout  time.Duration // an add's seq-kv request unanswered after this is given up; a read's is sent again
	AddTimeout time.Duration // an add not durable after this gets error 0 (indefinite)
	// ReadTimeout bounds a read that must refresh the cache; its seq-kv
	// requests are resent until then. Maelstrom's clients give up after 5 s.
	ReadTimeout time.Duration
}

// DefaultConfig is what the node binaries use without flags.
func DefaultConfig() Config {
	return Config{Batch: 0, Refresh: 2 * time.Second, KVTimeout: time.Second, AddTimeout: 2 * time.Second, ReadTimeout: 4 * time.Second}
}

// ParseConfig reads flags -batch, -refresh, -kv-timeout, -add-timeout and
// -read-timeout (durations such as 250ms) from args over DefaultConfig.
func ParseConfig(name string, args []string) (Config, error) {
	c := DefaultConfig()
	_, err := node.ParseFlags(name, args, func(fs *flag.FlagSet) {
		fs.DurationVar(&c.Batch, "batch", c.Batch, "least time between two seq-kv writes of the node's key (adds arriving meanwhile share one); 0: as soon as the previous one ends")
		fs.DurationVar(&c.Refresh, "refresh", c.Refresh, "reads are served from a cache younger than this")
		fs.DurationVar(&c.KVTimeout, "kv-timeout", c.KVTimeout, "give up on an add's seq-kv request after this; send a read's again after this")
		fs.DurationVar(&c.AddTimeout, "add-timeout", c.AddTimeout, "answer an add not yet durable after this with error 0")
		fs.DurationVar(&c.ReadTimeout, "read-timeout", c.ReadTimeout, "answer a read whose cache refresh is not done after this with error 11 (seq-kv requests are resent until then)")
	})
	if err != nil {
		return c, err
	}
	return c, c.validate()
}

func (c Config) validate() error {
	if c.Batch < 0 || c.Refresh <= 0 || c.KVTimeout <= 0 || c.AddTimeout <= 0 || c.ReadTimeout <= 0 {
		return fmt.Errorf("counter: batch must not be negative, other durations must be positive: %+v", c)
	}
	if budget := 2*c.Refresh + c.Batch + c.AddTimeout + c.KVTimeout; budget > 8*time.Second {
		return fmt.Errorf("counter: 2·refresh + batch + add-timeout + kv-timeout = %s exceeds 8s; final reads after Maelstrom's 10 s quiet period could be stale", budget)
	}
	return nil
}

// SetupGrowOnly registers the g-counter workload (non-negative deltas) on
// n, configured by ParseConfig's flags.
func SetupGrowOnly(n *node.Node, args []string) error {
	return setup(n, args, "g-counter", false)
}

// SetupPN registers the pn-counter workload (deltas of any sign) on n,
// configured by ParseConfig's flags.
func SetupPN(n *node.Node, args []string) error {
	return setup(n, args, "pn-counter", true)
}

// Key is the seq-kv key holding node id's share of the counter.
func Key(id string) string { return "counter/" + id }

// freshKey is node id's private key for freshness writes.
func freshKey(id string) string { return "fresh/" + id }

type addReq struct {
	Delta *int64 `json:"delta"`
}

type addOK struct {
	Type string `json:"type"`
}

type readOK struct {
	Type  string `json:"type"`
	Value int64  `json:"value"`
}

func setup(n *node.Node, args []string, name string, signed bool) error {
	cfg, err := ParseConfig(name, args)
	if err != nil {
		return err
	}
	// Set by the init hook, which runs before any handler or task.
	var (
		own *owner
		vw  *view
	)
	n.OnInit(func(context.Context) error {
		kv := node.NewKV(n, node.SeqKV)
		life := n.Rand()%math.MaxInt64 + 1 // 0 marks "no record"
		own = newOwner(kv, Key(n.ID()), life, cfg.KVTimeout, cfg.Batch)
		var peers []string
		for _, id := range n.NodeIDs() {
			if id != n.ID() {
				peers = append(peers, Key(id))
			}
		}
		vw = newView(kv, own, peers, freshKey(n.ID()), life, cfg.Refresh, cfg.KVTimeout)
		return nil
	})
	// Adds flush as they wait; this sweep finishes what adds that gave up
	// (timed out) left behind, so that the key and the node's belief
	// about it settle soon after the load.
	n.Every(cfg.KVTimeout, func(ctx context.Context) {
		if _, _, err := own.flushIfDue(ctx); err != nil {
			n.Log().Warn().Err(err).Msg("flush of leftover deltas failed; retrying")
		}
	})
	n.Handle("add", node.Typed(func(ctx context.Context, _ node.Message, req addReq) (any, error) {
		switch {
		case req.Delta == nil:
			return nil, node.NewError(node.CodeMalformedRequest, "add needs an integer delta")
		case *req.Delta < 0 && !signed:
			return nil, node.NewError(node.CodeMalformedRequest, "%s only grows: delta %d < 0", name, *req.Delta)
		}
		need, err := own.add(*req.Delta)
		if err != nil {
			return nil, node.NewError(node.CodeMalformedRequest, "add: %v", err)
		}
		ctx, cancel := context.WithTimeout(ctx, cfg.AddTimeout)
		defer cancel()
		if err := own.wait(ctx, need); err != nil {
			return nil, node.NewError(node.CodeTimeout, "add %d not confirmed by seq-kv yet; it may still apply: %v", *req.Delta, err)
		}
		return addOK{Type: "add_ok"}, nil
	}))
	n.Handle("read", func(ctx context.Context, _ node.Message) (any, error) {
		ctx, cancel := context.WithTimeout(ctx, cfg.ReadTimeout)
		defer cancel()
		v, err := vw.read(ctx)
		if err != nil {
			return nil, node.NewError(node.CodeTemporarilyUnavailable, "read: %v", err)
		}
		return readOK{Type: "read_ok", Value: v}, nil
	})
	return nil
}

// Package broadcast is Gossip Glomers challenge 3 (3a–3e): every value a
// client broadcasts to any node must reach every node, none may be lost
// whatever the partitions, and the cost is judged in messages per client
// operation and in how long a value takes to show up everywhere.
//
// # Design
//
// A node that takes a value from a client gives it the next sequence number
// of that node (the value's origin), stores it, acknowledges it, and sends
// it down a spanning tree (see Tree). Peers store what they receive and pass
// it on along the tree. Nothing is acknowledged between nodes: a message
// lost to a partition is repaired by anti-entropy, which every node runs
// against every other over time, so the tree can be as lean as the message
// budget wants. An acknowledged value is held by its origin, which takes
// part in anti-entropy for as long as it runs, so no partition can lose it.
//
// Dissemination (flag --fanout):
//
//   - Direct, the default (--fanout 0): the tree of a value is the star
//     rooted at its origin; the origin sends it straight to its N-1 peers.
//     This is the only shape with one hop (one network latency) to
//     everywhere, which challenge 3d's latency bars (median 400 ms, max
//     600 ms at 100 ms latency) leave room for, and N-1 messages per value
//     is the fewest any unbatched scheme can send: with 25 nodes, where
//     half the operations are broadcasts, 12 messages per operation. Nobody
//     relays, so no node's failure or partition delays anyone else's values.
//   - Shared tree (--fanout F ≥ 1): one F-ary tree over node_ids; a value
//     floods along it from where it entered. With F ≥ N-1 it is a star
//     centred on the first node: two hops leaf to leaf, and the centre
//     relays everything. A star has the fewest busy links of any tree, and
//     batching (--batch B) turns that into the fewest messages: every B the
//     centre sends one message per leaf carrying everything queued for it,
//     whatever the rate, while each leaf sends one message per value of its
//     own, at once. Batching a leaf's values would save little (a leaf takes
//     1/N of the client load, one link) and delay every value by up to B at
//     its first hop; the centre's own values, which have N-1 links to take,
//     wait for the flush like relayed ones. Latency is two hops plus up to
//     B. Deeper trees (small F) only add hops and relays.
//
// Why 600 ms batches in the economy setting: the cost of the centre's
// flushes is (N-1)/B messages a second whatever the load, and a value's
// worst latency is two hops plus B. At challenge 3e's load (25 nodes, rate
// 100, latency 100 ms) B = 600 ms gives about 1.07 messages per operation
// (24 leaf sends per 25 values, 40 flush messages a second, digests) and a
// worst latency near 800 ms, inside 3e's bars (median 1 s, max 2 s) with
// room for latency jitter; doubling B would save only about 0.2 messages
// per operation and push the worst case past a second.
//
// Anti-entropy (flag --anti-entropy, period P): per-origin sequence numbers
// make the whole state of a node summarisable in N integers, the digest:
// for each origin, the length of the contiguous prefix held. Every P each
// node sends its digest to one peer (never more), in a rotation that makes
// every round a permutation; the peer answers with a repair carrying
// exactly the values past the sender's prefixes, or with nothing when there
// is nothing to give. So after a partition heals, nodes exchange only what
// the other lacks, never the whole set (values held past a gap in the
// receiver's prefix are offered again until the gap closes: the digest
// cannot show them). A repair is cut into messages of at most
// maxValuesPerMessage values, all sent at once, so that a partition of
// minutes never makes a message of megabytes. A digest also tells its
// receiver what the sender holds; if the receiver still lacks some of that
// half a period later, its next digest goes to that sender instead of the
// rotation target, which pulls the values without any extra message. In
// the shared tree, repaired values also flood along the tree, so one repair
// reaching the centre reaches everyone.
//
// Why P = 500 ms by default: a value known to one node only (a node cut off
// from all the others takes values nobody else has) spreads by this
// push-pull epidemic in about log2(N)+2 rounds, and Maelstrom reads the
// final state 10 s after it heals the network. With P = 1 s a 100-node
// cluster needed 8 s after a heal and a 200-node one over 9 s; with 500 ms,
// 4–6 s for both, even at 300 ms latency. The price is N/P digests a
// second: 0.5 messages per operation at challenge 3d's load. The economy
// setting uses P = 1 s: its repairs flood along the star, but a leaf's own
// values, which no other leaf holds while the centre is cut off from it,
// reach the centre only when a peer pulls them, a round or two after the
// heal; with P = 2 s a third of 100 nodes cut off for 12 s took up to 10 s
// to converge, with 1 s at most 5.2 s, for 0.125 more messages per
// operation.
//
// The grace period (equal to P) is what keeps anti-entropy cheap without
// faults: a digest is a snapshot and values are always in flight, so a
// repair offers only values held for longer than P. P must therefore exceed
// the time a value takes to cross the tree (else repairs duplicate values
// in flight: harmless, but they cost messages). Without faults the cost is
// one digest per node per P and nothing else. The alternative,
// acknowledging every gossip message and resending until acknowledged,
// doubles the message count of the no-fault case, and retries to a node cut
// off for minutes pile up; digests cost the same whatever happens and repair
// any loss, including trailing losses that no sequence gap would reveal.
// The price is repair latency: a value lost to a partition arrives a few
// periods after the heal, not at once.
//
// # Settings
//
//	default     --fanout 0 --batch 0 --anti-entropy 500ms
//	--economy   star (fanout N-1) --batch 600ms --anti-entropy 1s
//
// Measured in the simulator on challenge 3d/3e's load (25 nodes, rate 100,
// latency 100 ms, 20 s), servers' messages per operation and stable latency:
// the default 12.4–12.7 msgs/op, median 88 ms, max 100 ms; the economy
// setting 1.2–1.3 msgs/op, median 465–485 ms, max 800 ms. Partitions add
// little and lose nothing. Flags given with --economy override its values.
//
// # Reads and memory
//
// Values are kept once as a set (for deduplication) and once as an
// append-only JSON encoding; a read takes a prefix of the encoding under
// the lock (a slice header: the store only appends past it) and copies it
// once, outside the lock, to add the brackets. That copy is the one O(n)
// step of a read besides the encoder's own pass over the reply; the set is
// never re-encoded. Memory is a few words per value held, plus, per origin,
// the values received past a gap until it closes.
//
// The suggested topology that Maelstrom sends is answered and ignored: the
// tree is computed from node_ids, identically on every node.
package broadcast

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/glomers/glomers/node"
)

// DefaultConfig is the setting that meets both challenge 3d's and 3e's
// targets with one-hop latency.
var DefaultConfig = Config{Fanout: 0, Batch: 0, AntiEntropy: 500 * time.Millisecond}

// EconomyConfig is the setting that minimises messages: a star with the
// first node at its centre relaying in 600 ms batches. Its Fanout is the
// largest int, which is a star for any cluster size.
var EconomyConfig = Config{Fanout: math.MaxInt, Batch: 600 * time.Millisecond, AntiEntropy: time.Second}

// ParseArgs reads the flags that follow `--` on Maelstrom's command line:
// --fanout N, --batch D, --anti-entropy D and --economy (which selects
// EconomyConfig; other flags then override its values).
func ParseArgs(args []string) (Config, error) {
	var (
		fanout  int
		batch   time.Duration
		ae      time.Duration
		economy bool
	)
	fs, err := node.ParseFlags("broadcast", args, func(fs *flag.FlagSet) {
		fs.IntVar(&fanout, "fanout", DefaultConfig.Fanout, "dissemination tree: 0 = each node sends its clients' values straight to every peer; F ≥ 1 = shared F-ary tree over node_ids (F ≥ N-1: star)")
		fs.DurationVar(&batch, "batch", DefaultConfig.Batch, "flush period of the per-peer queues (0: send at once; a leaf of the shared tree sends its own values at once anyway)")
		fs.DurationVar(&ae, "anti-entropy", DefaultConfig.AntiEntropy, "digest exchange period, also the grace before repairing")
		fs.BoolVar(&economy, "economy", false, "fewest messages: star, 600ms batches, 1s anti-entropy")
	})
	if err != nil {
		return Config{}, err
	}
	cfg := Config{Fanout: fanout, Batch: batch, AntiEntropy: ae}
	if economy {
		cfg = EconomyConfig
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "fanout":
				cfg.Fanout = fanout
			case "batch":
				cfg.Batch = batch
			case "anti-entropy":
				cfg.AntiEntropy = ae
			}
		})
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("broadcast flags: %w", err)
	}
	return cfg, nil
}

type broadcastReq struct {
	Message *int64 `json:"message"`
}

type readOK struct {
	Type     string          `json:"type"`
	Messages json.RawMessage `json:"messages"`
}

type typeOnly struct {
	Type string `json:"type"`
}

// Setup registers the broadcast workload on n; args are the flags of
// ParseArgs.
func Setup(n *node.Node, args []string) error {
	cfg, err := ParseArgs(args)
	if err != nil {
		return err
	}
	var (
		mu  sync.Mutex
		eng *Engine // set by the init hook, before any request is served
	)
	n.OnInit(func(context.Context) error {
		e, err := NewEngine(cfg, n.ID(), n.NodeIDs())
		if err != nil {
			return fmt.Errorf("broadcast engine: %w", err)
		}
		eng = e
		n.Log().Info().Int("fanout", cfg.Fanout).Dur("batch", cfg.Batch).Dur("anti_entropy", cfg.AntiEntropy).Msg("broadcast configured")
		return nil
	})
	send := func(outs []Out) {
		for _, o := range outs {
			if err := n.Send(o.Dest, o.Body); err != nil {
				n.Log().Warn().Err(err).Str("dest", o.Dest).Msg("gossip send failed")
			}
		}
	}
	// step runs one engine event under the lock and sends what it returns.
	// An error means the event carried bad input (the valid part of it was
	// still taken): it is logged, or answered if the sender expects a reply.
	step := func(ev func(e *Engine) ([]Out, error)) error {
		mu.Lock()
		outs, err := ev(eng)
		mu.Unlock()
		send(outs)
		if err != nil {
			return node.NewError(node.CodeMalformedRequest, "%v", err)
		}
		return nil
	}

	n.Handle("broadcast", node.Typed(func(_ context.Context, _ node.Message, req broadcastReq) (any, error) {
		if req.Message == nil {
			return nil, node.NewError(node.CodeMalformedRequest, "broadcast needs an integer message")
		}
		_ = step(func(e *Engine) ([]Out, error) { return e.Broadcast(*req.Message, time.Now()), nil })
		return typeOnly{"broadcast_ok"}, nil
	}))
	n.Handle("read", func(context.Context, node.Message) (any, error) {
		mu.Lock()
		snap := eng.ReadSnapshot()
		mu.Unlock()
		msgs := make([]byte, 0, len(snap)+2)
		msgs = append(append(append(msgs, '['), snap...), ']')
		return readOK{Type: "read_ok", Messages: msgs}, nil
	})
	n.Handle("topology", func(_ context.Context, m node.Message) (any, error) {
		n.Log().Debug().Str("src", m.Src).Msg("topology suggestion ignored: the tree is computed from node_ids")
		return typeOnly{"topology_ok"}, nil
	})
	n.Handle(typeGossip, node.Typed(func(_ context.Context, m node.Message, b gossipBody) (any, error) {
		return nil, step(func(e *Engine) ([]Out, error) { return e.Gossip(m.Src, b.Segs, time.Now()) })
	}))
	n.Handle(typeRepair, node.Typed(func(_ context.Context, m node.Message, b gossipBody) (any, error) {
		return nil, step(func(e *Engine) ([]Out, error) { return e.Repair(m.Src, b.Segs) })
	}))
	n.Handle(typeDigest, node.Typed(func(_ context.Context, m node.Message, b digestBody) (any, error) {
		return nil, step(func(e *Engine) ([]Out, error) { return e.Digest(m.Src, b.Have, time.Now()) })
	}))
	n.Every(cfg.AntiEntropy, func(context.Context) {
		_ = step(func(e *Engine) ([]Out, error) { return e.Tick(time.Now()), nil })
	})
	if cfg.Batch > 0 {
		n.Every(cfg.Batch, func(context.Context) {
			_ = step(func(e *Engine) ([]Out, error) { return e.Flush(), nil })
		})
	}
	return nil
}

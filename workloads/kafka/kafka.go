// Package kafka is Gossip Glomers challenge 5 (a, b and c): a Kafka-style
// replicated log on Maelstrom's linearizable lin-kv service.
//
// # Design
//
// Who assigns offsets. Every key has one owner, a hash of the key over
// init's node_ids (the same list on every node). Only the owner assigns
// offsets for its keys, in memory, densely from 0, so offsets need no cas and
// no shared counter: there is nothing to contend on.
//
// What lives in lin-kv. Each node appends to a stream of its own: chunks
// under keys "kafka/<node>/<seq>", seq = 0, 1, 2, ..., each written once
// with a plain write (no other node uses the key) and never changed. A chunk
// holds everything the node decided since its previous chunk:
//
//   - entries: messages appended to keys it owns, with their offsets;
//   - proposals: sends that arrived at it for keys other nodes own;
//   - commits: committed offsets clients gave it.
//
// A node writes its next chunk only after the previous one succeeded, so a
// stream in lin-kv is always a prefix 0..m: reading it until the first
// missing key yields all of it. Sends and commits that arrive while a write
// is in flight, or within Flush of the previous write's start, share one
// chunk (group commit): one lin-kv write serves many requests, and at low
// load a request does not wait at all.
//
// How data moves. After a chunk is durable, its writer applies it and pushes
// it to every peer in one one-way message. Every node applies every stream's
// chunks in seq order, each once; out-of-order pushes wait for the gap to
// fill. A node reads a peer's stream from lin-kv, from its cursor until a
// chunk is missing, when it has a gap in it or has heard nothing of it for a
// while: Tail when a send here waits for that peer's answer, otherwise the
// peer's patience, which doubles from Tail up to MaxTail with every read
// that finds nothing new and drops back to Tail when the peer shows life
// (pushes cannot tell an idle peer from a cut-off one, so idle peers are
// still read, but rarely). Services stay reachable when the network is
// partitioned, so everything keeps flowing through lin-kv while node↔node
// links are cut, for minutes if need be: the log stays available under
// partition, only slower (a send to another owner's key then waits for the
// owner to read this node's stream, within its patience, and for this node
// to read the owner's, within Tail).
//
// A send to a key this node owns waits for the chunk carrying its entry. A
// send to another owner's key becomes a proposal in this node's chunk; the
// owner, applying that chunk, assigns the offset in a chunk of its own,
// tagged with the proposer and proposal id, and the proposer answers the
// client when it applies that chunk. Nothing is forwarded node to node, and
// each proposal is assigned exactly once because every stream is applied
// exactly once.
//
// What is cached. Every node holds the applied logs of all keys in memory.
// They are immutable prefixes of the owners' logs (an offset's message never
// changes), so a poll is answered locally with no message at all: a
// contiguous run from the asked offset to what this node has applied, at
// most MaxPoll messages per key (a client polling from 0 after a crash, as
// Maelstrom's final polls do, gets the log in pieces rather than one reply
// of megabytes; Maelstrom accepts any contiguous run and polls on). Besides
// the logs a node keeps committed offsets (one per key), its own next
// offsets (one per owned key), sends waiting for an owner's answer, and
// chunks received ahead of a gap until it fills: nothing grows but the log.
// Committed offsets are the maximum over all commit records, so they never
// go backwards. list_committed_offsets first reads every peer's stream to
// its end, in rounds of concurrent reads that double in width (2, 4, 8) so
// that it cannot chase a busy writer for ever; it thereby sees every commit
// acknowledged anywhere before it began (a commit is acknowledged only once
// its chunk is durable).
//
// Guarantees. Offsets are unique, dense and increasing per key in real time
// (a later send is assigned after an earlier one was). Every node's log of a
// key is a prefix of the owner's, so polls never skip and never disagree.
// An acknowledged send is durable in lin-kv and reaches every node by push
// or by tail read. The only errors are malformed requests (definite),
// waits longer than Wait or a stopping node (indefinite: the write may still
// happen), and a list_committed_offsets that could not read lin-kv
// (temporarily unavailable, definite: a read changes nothing).
//
// Time limits. A lin-kv request is given up after a limit that follows
// the round trips the node measures (smoothed round trip plus four
// deviations, never below -rpc, doubled by each timeout), so a network
// slower than any fixed limit, or the long tail of exponential latency,
// costs retries rather than every request; list_committed_offsets retries
// its reads for up to Wait instead of failing on the first slow one.
//
// Cost. Per chunk, one lin-kv write (2 messages) and one push per peer;
// polls are free; list_committed_offsets costs two lin-kv reads per peer
// stream when this node is nearly up to date; an idle peer costs about one
// read per MaxTail, a peer cut off while active one per Tail. Batching
// trades at most Flush of latency for fewer chunks. Measured in the
// simulator (servers' messages per operation, rate 1000, 0 latency): 2
// nodes about 1.2, 5 nodes about 4.3; with 10 idle-ish nodes at rate 5 the
// tail reads dominate (about 24, against 94 without the back-off). A
// non-owner's send waits for two chunks instead of one. lin-kv is used with
// read and write only: no key has two writers, so no cas ever conflicts.
//
// Assumptions. Nodes keep their memory for the whole run (Maelstrom's kafka
// workload crashes clients, not nodes): a restarted node would rewrite its
// stream from seq 0.
package kafka

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"github.com/glomers/glomers/node"
)

type sendReq struct {
	Key *string         `json:"key"`
	Msg json.RawMessage `json:"msg"`
}

type sendOK struct {
	Type   string `json:"type"`
	Offset int64  `json:"offset"`
}

type offsetsReq struct {
	Offsets map[string]int64 `json:"offsets"`
}

type pollOK struct {
	Type string            `json:"type"`
	Msgs map[string][]Pair `json:"msgs"`
}

type listReq struct {
	Keys []string `json:"keys"`
}

type listOK struct {
	Type    string           `json:"type"`
	Offsets map[string]int64 `json:"offsets"`
}

type typeOnly struct {
	Type string `json:"type"`
}

// ParseFlags reads the broker's configuration from node arguments over
// DefaultConfig: -flush, -tail, -max-tail, -wait and -rpc, each a Go
// duration, and -max-poll, a count.
func ParseFlags(args []string) (Config, error) {
	cfg := DefaultConfig
	_, err := node.ParseFlags("kafka", args, func(fs *flag.FlagSet) {
		fs.DurationVar(&cfg.Flush, "flush", cfg.Flush, "least time between two chunk writes (batching window)")
		fs.DurationVar(&cfg.Tail, "tail", cfg.Tail, "silence after which a peer's stream is read from lin-kv")
		fs.DurationVar(&cfg.MaxTail, "max-tail", cfg.MaxTail, "longest silence allowed, after back-off, to an idle peer's stream")
		fs.IntVar(&cfg.MaxPoll, "max-poll", cfg.MaxPoll, "most messages per key in one poll reply")
		fs.DurationVar(&cfg.Wait, "wait", cfg.Wait, "longest a request waits for durability")
		fs.DurationVar(&cfg.RPC, "rpc", cfg.RPC, "least time limit of one lin-kv request (it adapts to the latency)")
	})
	if err != nil {
		return Config{}, err
	}
	if cfg.Flush < 0 || cfg.Tail <= 0 || cfg.MaxTail < cfg.Tail || cfg.Wait <= 0 || cfg.RPC <= 0 || cfg.MaxPoll <= 0 {
		return Config{}, fmt.Errorf("kafka flags: -tail, -wait, -rpc and -max-poll must be positive, -max-tail at least -tail and -flush not negative: %+v", cfg)
	}
	return cfg, nil
}

// Setup registers the kafka handlers on n. Arguments are the flags of
// ParseFlags.
func Setup(n *node.Node, args []string) error {
	cfg, err := ParseFlags(args)
	if err != nil {
		return err
	}
	var b *Broker // set by the init hook, before any request is served
	n.OnInit(func(ctx context.Context) error {
		push := func(peer string, p Push) {
			if err := n.Send(peer, p); err != nil {
				n.Log().Warn().Err(err).Str("peer", peer).Msg("push failed")
			}
		}
		b = NewBroker(cfg, n.ID(), n.NodeIDs(), node.NewKV(n, node.LinKV), push, n.Log())
		go b.RunWriter(ctx)
		return nil
	})
	n.Every(cfg.TailTick(), func(ctx context.Context) { b.Tail(ctx) })

	n.Handle("send", node.Typed(func(ctx context.Context, _ node.Message, req sendReq) (any, error) {
		if req.Key == nil {
			return nil, node.NewError(node.CodeMalformedRequest, "send needs a key")
		}
		if req.Msg == nil {
			req.Msg = json.RawMessage("null")
		}
		off, err := b.Send(ctx, *req.Key, req.Msg)
		if err != nil {
			return nil, err
		}
		return sendOK{Type: "send_ok", Offset: off}, nil
	}))
	n.Handle("poll", node.Typed(func(_ context.Context, _ node.Message, req offsetsReq) (any, error) {
		return pollOK{Type: "poll_ok", Msgs: b.Poll(req.Offsets)}, nil
	}))
	n.Handle("commit_offsets", node.Typed(func(ctx context.Context, _ node.Message, req offsetsReq) (any, error) {
		if err := b.Commit(ctx, req.Offsets); err != nil {
			return nil, err
		}
		return typeOnly{Type: "commit_offsets_ok"}, nil
	}))
	n.Handle("list_committed_offsets", node.Typed(func(ctx context.Context, _ node.Message, req listReq) (any, error) {
		offsets, err := b.Committed(ctx, req.Keys)
		if err != nil {
			// A read that did not complete changed nothing: definite.
			return nil, node.NewError(node.CodeTemporarilyUnavailable, "list committed offsets: %v", err)
		}
		return listOK{Type: "list_committed_offsets_ok", Offsets: offsets}, nil
	}))
	n.Handle(PushType, node.Typed(func(_ context.Context, _ node.Message, p Push) (any, error) {
		b.Receive(p)
		return nil, nil
	}))
	return nil
}

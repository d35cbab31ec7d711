// Package kafka is Gossip Glomers challenge 5 (a, b and c): a Kafka-style
// replicated log on Maelstrom's linearizable lin-kv service.
//
// Program is the workload: cmd/kafka runs it as a binary (`kafka -help`
// lists its flags), and the simulator runs it in process
// (sim.Config{Program: kafka.Program}). Core is the protocol with no I/O,
// and Broker runs a Core against a Store (lin-kv) for one node; both can be
// driven directly from a test.
//
// The design in brief: every key has one owner (a hash of the key over the
// node ids), which alone assigns its offsets, densely from 0. Each node
// writes what it decided (entries for its keys, proposals of sends for
// other owners' keys, commits) as write-once chunks of a stream of its own
// in lin-kv, batching whatever arrives during a write into the next chunk,
// and pushes each durable chunk to its peers. Every node applies every
// stream in order, reading a peer's stream from lin-kv when pushes stop
// coming, so the log stays available under partition. Polls are answered
// from memory with no message. DESIGN.md beside this file gives the
// reasoning, the guarantees and the costs.
package kafka

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"github.com/glomers/glomers/node"
)

// Program is the kafka workload, for node.Main and the simulator.
var Program = node.Program{
	Name: "kafka",
	Doc: "A Kafka-style replicated log (Gossip Glomers 5a-5c): each key's owner assigns dense offsets, " +
		"every node records its decisions as write-once chunks in lin-kv and pushes them to its peers, " +
		"and polls are served from memory. Node flags tune batching, tail reads and time limits.",
	New: newBuilder,
}

// configFlags declares the broker's flags on fs, with their defaults, and
// returns the Config that parsing fs fills.
func configFlags(fs *flag.FlagSet) *Config {
	cfg := new(Config)
	fs.DurationVar(&cfg.Flush, "flush", 5*time.Millisecond, "least time between two chunk writes (batching window)")
	fs.DurationVar(&cfg.Tail, "tail", 250*time.Millisecond, "silence after which a peer's stream is read from lin-kv")
	fs.DurationVar(&cfg.MaxTail, "max-tail", time.Second, "longest silence allowed, after back-off, to an idle peer's stream")
	fs.DurationVar(&cfg.Wait, "wait", 10*time.Second, "longest a request waits for durability")
	fs.DurationVar(&cfg.RPC, "rpc", time.Second, "least time limit of one lin-kv request (it adapts to the latency)")
	fs.IntVar(&cfg.MaxPoll, "max-poll", 1000, "most messages per key in one poll reply")
	return cfg
}

// newBuilder declares the flags on fs and returns the Builder that starts a
// Broker for the node once init names it: the writer and the tail reads
// run as the node's background work.
func newBuilder(fs *flag.FlagSet) node.Builder {
	cfg := configFlags(fs)
	return func(n *node.Node, init node.Init) (node.Handlers, error) {
		push := func(peer string, p Push) {
			if err := n.Send(peer, p); err != nil {
				n.Log().Warn().Err(err).Str("peer", peer).Msg("push failed")
			}
		}
		b, err := NewBroker(*cfg, init.ID, init.IDs, node.NewKV(n, node.LinKV), push, n.Log())
		if err != nil {
			return nil, fmt.Errorf("kafka: %w", err)
		}
		s := &server{b: b}
		n.Go(s.b.RunWriter)
		n.Every(cfg.TailTick(), s.b.Tail)
		return node.Handlers{
			"send":                   node.Typed(s.send),
			"poll":                   node.Typed(s.poll),
			"commit_offsets":         node.Typed(s.commit),
			"list_committed_offsets": node.Typed(s.list),
			PushType:                 node.Typed(s.receive),
		}, nil
	}
}

// server is one node's kafka: its broker, and the handlers around it.
type server struct {
	b *Broker // safe for concurrent use
}

// Requests and replies. node.Typed refuses a body that lacks a member or
// has one of the wrong type; the handlers refuse the nulls it lets pass.

type sendReq struct {
	Key *string         `json:"key"` // a pointer, to tell null from ""
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

// isNull is the malformed-request error for a member that is null where
// the schema wants a value.
func isNull(typ, member string) error {
	return node.NewError(node.CodeMalformedRequest, "%q: %q is null", typ, member)
}

func (s *server) send(ctx context.Context, _ node.Message, req sendReq) (any, error) {
	if req.Key == nil {
		return nil, isNull("send", "key")
	}
	off, err := s.b.Send(ctx, *req.Key, req.Msg)
	if err != nil {
		return nil, err
	}
	return sendOK{Type: "send_ok", Offset: off}, nil
}

func (s *server) poll(_ context.Context, _ node.Message, req offsetsReq) (any, error) {
	if req.Offsets == nil {
		return nil, isNull("poll", "offsets")
	}
	return pollOK{Type: "poll_ok", Msgs: s.b.Poll(req.Offsets)}, nil
}

func (s *server) commit(ctx context.Context, _ node.Message, req offsetsReq) (any, error) {
	if req.Offsets == nil {
		return nil, isNull("commit_offsets", "offsets")
	}
	if err := s.b.Commit(ctx, req.Offsets); err != nil {
		return nil, err
	}
	return typeOnly{Type: "commit_offsets_ok"}, nil
}

func (s *server) list(ctx context.Context, _ node.Message, req listReq) (any, error) {
	if req.Keys == nil {
		return nil, isNull("list_committed_offsets", "keys")
	}
	offsets, err := s.b.Committed(ctx, req.Keys)
	if err != nil {
		// A read that did not complete changed nothing: definite.
		return nil, node.NewError(node.CodeTemporarilyUnavailable, "list committed offsets: %v", err)
	}
	return listOK{Type: "list_committed_offsets_ok", Offsets: offsets}, nil
}

// receive applies a peer's push; it expects no reply.
func (s *server) receive(_ context.Context, _ node.Message, p Push) (any, error) {
	s.b.Receive(p)
	return nil, nil
}

// Package linkv is the node of Maelstrom's lin-kv workload: a
// linearizable key/value store (read, write, cas on integer keys) whose
// state lives in the nodes, replicated by package raft.
//
// Program is the workload: cmd/lin-kv runs it as a binary (`lin-kv -help`
// lists its flags) and the simulator runs it in process. Store is the
// state machine, which a test can drive directly.
//
// In brief: writes and cas requests are log entries, applied in log order
// by every node; reads are not logged but served by ReadIndex. Any node
// takes any request: it proposes it to Raft, which forwards it to the
// leader, and answers its client when its own replica applies the entry
// or serves the read, so no result travels back. A request carries an id,
// so a node may propose it again after a leader change and it still takes
// effect once. A node that knows it cannot reach a majority answers
// temporarily-unavailable (11) at once to any request it has not handed to
// Raft, and to every read; a write it did hand over may be in some log, so
// that client is left to time out. DESIGN.md beside this file gives the
// reasoning.
package linkv

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/glomers/glomers/node"
	"github.com/glomers/glomers/workloads/raft"
)

// Program is the lin-kv workload, for node.Main and the simulator.
var Program = node.Program{
	Name: "lin-kv",
	Doc: "A linearizable key/value store (read, write, cas) replicated by Raft with pre-vote, " +
		"batched and pipelined appends and ReadIndex reads. Any node serves any request; a node " +
		"cut off from a majority refuses with code 11 whatever it safely can. Node flags tune Raft.",
	New: newBuilder,
}

// config is the node's tuning, set by its flags.
type config struct {
	Batch       time.Duration // raft.Config.BatchInterval
	Heartbeat   time.Duration // raft.Config.HeartbeatInterval
	Election    time.Duration // raft.Config.ElectionTimeout
	Isolate     time.Duration // raft.Config.IsolateAfter
	Tick        time.Duration // how often Raft's clock moves (and followers forward)
	MaxBatch    int           // raft.Config.MaxBatch
	MaxInflight int           // raft.Config.MaxInflight
	OpTimeout   time.Duration // a request not answered by then gets an indefinite timeout
}

func declareFlags(fs *flag.FlagSet) *config {
	c := new(config)
	fs.DurationVar(&c.Batch, "batch", 25*time.Millisecond, "least time between two rounds of appends from the leader: requests arriving sooner share the next round")
	fs.DurationVar(&c.Heartbeat, "heartbeat", 100*time.Millisecond, "longest a leader stays silent")
	fs.DurationVar(&c.Election, "election-timeout", 300*time.Millisecond, "a follower that hears no leader for a random time in [t, 2t) campaigns")
	fs.DurationVar(&c.Isolate, "isolate-after", 200*time.Millisecond, "a campaign that no majority answers within this long makes the node refuse requests (code 11) until it hears a majority")
	fs.DurationVar(&c.Tick, "tick", 2*time.Millisecond, "how often Raft's timers are checked and followers forward requests")
	fs.IntVar(&c.MaxBatch, "max-batch", 512, "most entries in one append")
	fs.IntVar(&c.MaxInflight, "max-inflight", 4, "most appends with entries unacknowledged per follower")
	fs.DurationVar(&c.OpTimeout, "op-timeout", 3*time.Second, "give up on a request after this long (an indefinite timeout)")
	return c
}

func newBuilder(fs *flag.FlagSet) node.Builder {
	cfg := declareFlags(fs)
	return func(n *node.Node, init node.Init) (node.Handlers, error) {
		rng := rand.New(rand.NewPCG(uint64(n.Rand()), uint64(n.Rand())))
		r, err := raft.New(raft.Config{ID: init.Index(), N: len(init.IDs), ElectionTimeout: cfg.Election,
			HeartbeatInterval: cfg.Heartbeat, IsolateAfter: cfg.Isolate, BatchInterval: cfg.Batch, MaxBatch: cfg.MaxBatch,
			MaxInflight: cfg.MaxInflight, Rand: rng})
		if err != nil {
			return nil, fmt.Errorf("lin-kv: %w", err)
		}
		s := &server{n: n, ids: init.IDs, self: init.Index(), cfg: *cfg, raft: r, store: NewStore(),
			ops: map[uint64]*op{}, leader: -1}
		n.Every(cfg.Tick, s.tick)
		h := node.Handlers{
			"read":  node.Typed(s.read),
			"write": node.Typed(s.write),
			"cas":   node.Typed(s.cas),
		}
		for _, k := range []raft.Kind{raft.MsgApp, raft.MsgAppResp, raft.MsgPreVote, raft.MsgPreVoteResp,
			raft.MsgVote, raft.MsgVoteResp, raft.MsgForward} {
			h[string(k)] = s.peer
		}
		return h, nil
	}
}

type readReq struct {
	Key int64 `json:"key"`
}

type writeReq struct {
	Key   int64 `json:"key"`
	Value int64 `json:"value"`
}

type casReq struct {
	Key  int64 `json:"key"`
	From int64 `json:"from"`
	To   int64 `json:"to"`
}

type readOK struct {
	Type  string `json:"type"`
	Value int64  `json:"value"`
}

type okBody struct {
	Type string `json:"type"`
}

func (s *server) read(ctx context.Context, _ node.Message, req readReq) (any, error) {
	res, err := s.do(ctx, &op{read: true, key: req.Key})
	if err != nil {
		return nil, err
	}
	return readOK{Type: "read_ok", Value: res.Value}, nil
}

func (s *server) write(ctx context.Context, _ node.Message, req writeReq) (any, error) {
	if _, err := s.do(ctx, &op{cmd: command{F: "write", Key: req.Key, Value: req.Value}}); err != nil {
		return nil, err
	}
	return okBody{Type: "write_ok"}, nil
}

func (s *server) cas(ctx context.Context, _ node.Message, req casReq) (any, error) {
	if _, err := s.do(ctx, &op{cmd: command{F: "cas", Key: req.Key, From: req.From, To: req.To}}); err != nil {
		return nil, err
	}
	return okBody{Type: "cas_ok"}, nil
}

// peer hands a Raft message from another node to the core.
func (s *server) peer(_ context.Context, m node.Message) (any, error) {
	var rm raft.Message
	if err := json.Unmarshal(m.Body, &rm); err != nil || rm.To != s.self || rm.From < 0 || rm.From >= len(s.ids) || s.ids[rm.From] != m.Src {
		s.n.Log().Warn().Str("src", m.Src).Bytes("body", m.Body).Msg("dropping malformed raft message")
		return nil, nil
	}
	s.mu.Lock()
	msgs := s.handle(s.raft.Step(rm))
	s.mu.Unlock()
	s.send(msgs)
	return nil, nil
}

func (s *server) tick(context.Context) {
	now := time.Now()
	s.mu.Lock()
	msgs := s.handle(s.raft.Tick(now))
	s.expire(now)
	s.mu.Unlock()
	s.send(msgs)
}

func (s *server) send(msgs []raft.Message) {
	for _, m := range msgs {
		if err := s.n.Send(s.ids[m.To], m); err != nil {
			s.n.Log().Warn().Err(err).Str("dest", s.ids[m.To]).Msg("raft message not sent")
		}
	}
}

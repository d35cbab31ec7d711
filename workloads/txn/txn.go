// Package txn is Gossip Glomers challenges 6a–6c (Maelstrom workload
// txn-rw-register): a totally available, replicated, transactional key/value
// store giving read committed.
//
// Program is the workload: cmd/txn-rw-register runs it as a binary
// (`txn-rw-register -help` lists its flags), and the simulator runs it in
// process (sim.Config{Program: txn.Program}). Replica is one node's store
// and replication protocol with no I/O, which a test can drive directly.
//
// The design in brief: a transaction runs entirely on the node it was sent
// to, under one mutex, and is answered at once, so no partition can keep it
// from succeeding. A transaction that writes gets a version (Lamport clock,
// node index); each key holds its highest version's value, so replicas that
// hold the same transactions agree whatever the order they arrived in.
// Only a transaction's final writes are replicated, in batches sent every
// tick with a cumulative acknowledgement (go-back-N, with small probes to a
// silent peer and relays of third nodes' transactions to heal
// non-transitive partitions). That gives read committed, and read atomic
// besides, but not serializability, which no totally available store can.
// DESIGN.md beside this file gives the reasoning and the guarantees in
// full.
package txn

import (
	"context"
	"flag"
	"fmt"
	"sync"
	"time"

	"github.com/glomers/glomers/node"
)

// Program is the txn-rw-register workload, for node.Main and the simulator.
var Program = node.Program{
	Name: "txn-rw-register",
	Doc: "A totally available transactional key/value store giving read committed (Gossip Glomers 6a-6c): " +
		"each transaction runs on the node it reaches and is answered at once; its final writes are " +
		"replicated to every peer in batches, and the highest version of a key wins. Node flags tune replication.",
	New: newBuilder,
}

// configFlags declares the replication flags on fs, with their defaults,
// and returns the Config that parsing fs fills.
func configFlags(fs *flag.FlagSet) *Config {
	cfg := new(Config)
	fs.DurationVar(&cfg.Interval, "interval", 250*time.Millisecond, "how often replication batches go out")
	fs.DurationVar(&cfg.ResendAfter, "resend-after", time.Second, "resend what a peer has not acknowledged for this long")
	fs.DurationVar(&cfg.RelayAfter, "relay-after", time.Second, "relay a third node's transactions missing at a peer after this long")
	fs.DurationVar(&cfg.AckAfter, "ack-after", 300*time.Millisecond, "longest an acknowledgement waits to ride on a batch of transactions")
	fs.IntVar(&cfg.MaxBatch, "max-batch", 4096, "most transactions in one message")
	fs.IntVar(&cfg.MaxBurst, "max-burst", 4, "most messages to one peer per tick")
	fs.IntVar(&cfg.ProbeBatch, "probe-batch", 64, "most transactions in a resend to a silent peer")
	return cfg
}

// newBuilder declares the flags on fs and returns the Builder that makes
// the node's replica once init says where the node stands among its
// peers; replication ticks run as the node's background work.
func newBuilder(fs *flag.FlagSet) node.Builder {
	cfg := configFlags(fs)
	return func(n *node.Node, init node.Init) (node.Handlers, error) {
		r, err := NewReplica(init.Index(), len(init.IDs), *cfg)
		if err != nil {
			return nil, fmt.Errorf("txn-rw-register: node %s among %v: %w", init.ID, init.IDs, err)
		}
		s := &server{n: n, ids: init.IDs, index: make(map[string]int, len(init.IDs)), r: r}
		for i, id := range init.IDs {
			s.index[id] = i
		}
		n.Every(cfg.Interval, s.tick)
		return node.Handlers{"txn": node.Typed(s.txn), BatchType: node.Typed(s.batch)}, nil
	}
}

// txnReq is a client's transaction. node.Typed refuses a body without txn;
// decoding microOps refuses any micro-op that is not a read or a write of the
// right shape, and a null txn.
type txnReq struct {
	Txn microOps `json:"txn"`
}

type txnOK struct {
	Type string `json:"type"`
	Txn  []Op   `json:"txn"`
}

// server is the node's edge around the replica: the mutex that serialises
// it, the wall clock, and message I/O.
type server struct {
	n     *node.Node
	ids   []string       // every node, by index
	index map[string]int // node id → index in ids

	mu sync.Mutex // guards r: one transaction, batch or tick at a time
	r  *Replica
}

func (s *server) txn(_ context.Context, _ node.Message, req txnReq) (any, error) {
	s.mu.Lock()
	out := s.r.Exec(req.Txn, time.Now())
	s.mu.Unlock()
	return txnOK{Type: "txn_ok", Txn: out}, nil
}

func (s *server) batch(_ context.Context, m node.Message, b Batch) (any, error) {
	from, ok := s.index[m.Src]
	if !ok {
		s.n.Log().Warn().Str("src", m.Src).Msg("dropping replication batch from a node outside the cluster")
		return nil, nil
	}
	s.mu.Lock()
	err := s.r.Receive(from, b, time.Now())
	s.mu.Unlock()
	if err != nil {
		s.n.Log().Warn().Err(err).Str("src", m.Src).Msg("dropping replication batch")
	}
	return nil, nil
}

func (s *server) tick(context.Context) {
	s.mu.Lock()
	out := s.r.Tick(time.Now())
	s.mu.Unlock()
	for _, o := range out {
		if err := s.n.Send(s.ids[o.To], o.Batch); err != nil {
			s.n.Log().Warn().Err(err).Str("dest", s.ids[o.To]).Msg("replication batch not sent")
		}
	}
}

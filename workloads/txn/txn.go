// Package txn is Gossip Glomers challenges 6a–6c (Maelstrom workload
// txn-rw-register): a totally available, replicated, transactional key/value
// store giving read committed.
//
// # Design
//
// Every transaction runs entirely on the node it was sent to, under that
// node's one mutex, against the node's local store, and is answered at
// once: no other node is asked, so a partition can never keep a transaction
// from succeeding. Reads see the transaction's own earlier writes, then the
// store; a missing key reads null.
//
// A transaction that writes gets a version (Lamport clock, node index): the
// node's clock plus one, where the clock is at least every version the node
// has applied. It is applied to the local store at once, and its final
// writes, one value per key, never its reads nor its intermediate writes, are
// appended to the node's log with the next per-origin sequence number.
//
// A store holds, per key, the value of the highest version it has applied
// (last writer wins). Applying a transaction, local or remote, is one step
// under the mutex: each of its writes whose version beats the key's current
// one is installed, and the clock moves up to the transaction's version.
//
// Replication (Replica.Tick, every -interval, 250ms by default) sends each
// peer a Batch: the sender's have vector (per origin, how many of that
// origin's transactions it holds without a gap: a cumulative
// acknowledgement) and the transactions the peer is not known to have. Own
// transactions go out on the next tick; a third node's go out only when they
// have been here for -relay-after and the peer still has not acknowledged
// them, which heals non-transitive partitions (A↮B while both reach C)
// without doubling traffic when all is well. Sending is go-back-N: what
// was sent is not sent again unless the peer's acknowledgement stalls for
// -resend-after. Then a probe of at most -probe-batch unacknowledged
// transactions goes out, and nothing more until the peer acknowledges
// something, so a peer cut off for minutes costs one small message per
// -resend-after instead of the whole backlog again and again. Once it
// answers, the backlog ships at up to MaxBurst messages of -max-batch
// transactions per tick (16384 every 250ms: a minute-long partition at
// 1000 transactions a second is shipped in a few ticks, and a message stays
// near 100 KB). A receiver applies each origin's transactions in sequence
// order and keeps early arrivals until the gap before them fills.
// Transactions every node has acknowledged are dropped from the logs, so
// memory beyond the store grows only with what some peer still lacks. So
// after a partition heals, each peer gets exactly what it lacks within
// about -resend-after plus a few ticks, well inside Maelstrom's 10 s quiet
// period, and since the highest version wins whatever the order of arrival,
// all replicas converge to the same state once they hold the same
// transactions.
//
// Messages: a peer gets a batch on a tick only when there is something new
// for it, or when it has been owed an acknowledgement for -ack-after (an
// acknowledgement otherwise rides on the next batch of transactions), so
// idle ticks cost nothing. Measured in the simulator (servers' messages per
// operation): 2 nodes at 1000 transactions a second about 0.005; 5 nodes at
// 100 a second with 100 ms latency about 0.8 (each node sends each peer one
// batch per tick); at very low rates each writing transaction costs about
// one batch per peer plus its acknowledgement. A node learns what a peer
// holds of third nodes only from the peer's own batches; when traffic stops
// it may therefore relay a peer's last few transactions once more, which
// costs one batch and its acknowledgement per pair and lets the logs be
// dropped.
//
// # What it guarantees, and why
//
// Read uncommitted and read committed, as Elle checks them:
//
//   - No G1a (aborted read): no transaction ever aborts; all succeed.
//   - No G1b (intermediate read): only a transaction's final write to a key
//     ever leaves the transaction. Locally it runs under the mutex, and only
//     final writes are logged and replicated.
//   - Writes of one transaction become visible together: they are applied in
//     one step under the mutex, on every node. A write may be hidden at once
//     by a higher version applied earlier, which is what applying the two in
//     version order would give.
//   - No G0 (write cycles) and no G1c (cycles of write-write and write-read
//     dependencies): every such edge goes from a lower version to a higher
//     one, so there can be no cycle. A write-read edge T1→T2 means T2 read
//     T1's write on some node, which had therefore applied T1, so the clock
//     there was at least T1's version and T2 (if it writes) got a higher one;
//     a read-only T2 has no outgoing write-write or write-read edges at all.
//     A write-write edge T1→T2 on key k means T1's value for k came before
//     T2's in the key's version order; each node's value for a key only ever
//     moves to higher versions, and a transaction's version is above
//     everything its node had seen, so every order a checker can infer (a
//     transaction read k and then overwrote it; one client saw one value and
//     later another; the initial null first) agrees with version order, and
//     the final value is the highest version's on every node.
//
// It also gives more than read committed asks: each transaction reads one
// consistent state (the highest-version writes of a set of transactions)
// so reads are never fractured (read atomic), and a client that stays on one
// node, as Maelstrom's do, sees each key move only forward.
//
// # What it does not give
//
// Not snapshot isolation, repeatable read, serializability nor anything
// linearizable: two nodes may both read x and write it concurrently, and
// last writer wins (a lost update, G-single/G2); two partitioned sides can
// each read the other's old state (write skew, long fork). No totally
// available system can prevent those: during a partition each side must
// commit without hearing of the other, so neither can refuse a conflicting
// write, and a read cannot be guaranteed the latest value. Nor is it causal:
// a node may apply a transaction before one it depends on from another
// origin. Causal consistency is achievable with sticky availability (a
// client always returns to the same node, as here) by tracking and waiting
// for dependencies; read committed does not need it, so this store does not
// pay for it.
package txn

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/glomers/glomers/node"
)

type txnReq struct {
	Txn []Op `json:"txn"`
}

type txnOK struct {
	Type string `json:"type"`
	Txn  []Op   `json:"txn"`
}

// server is the node's edge around the replica: the mutex that serialises
// it, the wall clock, and message I/O.
type server struct {
	n *node.Node

	mu    sync.Mutex
	r     *Replica // nil until init
	index map[string]int
}

// ParseFlags reads the replication tuning from node arguments over
// DefaultConfig: -interval, -resend-after, -relay-after and -ack-after (Go
// durations), -max-batch and -probe-batch (counts); see Config.
func ParseFlags(args []string) (Config, error) {
	cfg := DefaultConfig
	_, err := node.ParseFlags("txn-rw-register", args, func(fs *flag.FlagSet) {
		fs.DurationVar(&cfg.Interval, "interval", cfg.Interval, "how often replication batches go out")
		fs.DurationVar(&cfg.ResendAfter, "resend-after", cfg.ResendAfter, "resend what a peer has not acknowledged for this long")
		fs.DurationVar(&cfg.RelayAfter, "relay-after", cfg.RelayAfter, "relay a third node's transactions missing at a peer after this long")
		fs.DurationVar(&cfg.AckAfter, "ack-after", cfg.AckAfter, "longest an acknowledgement waits to ride on a batch of transactions")
		fs.IntVar(&cfg.MaxBatch, "max-batch", cfg.MaxBatch, "most transactions in one message")
		fs.IntVar(&cfg.ProbeBatch, "probe-batch", cfg.ProbeBatch, "most transactions in a resend to a silent peer")
	})
	if err != nil {
		return Config{}, err
	}
	if cfg.Interval <= 0 || cfg.ResendAfter <= 0 || cfg.RelayAfter < 0 || cfg.AckAfter < 0 || cfg.AckAfter >= cfg.ResendAfter ||
		cfg.MaxBatch < 1 || cfg.ProbeBatch < 1 {
		return Config{}, fmt.Errorf("txn-rw-register flags: -interval, -resend-after, -max-batch and -probe-batch must be positive, -relay-after and -ack-after not negative, -ack-after below -resend-after: %+v", cfg)
	}
	return cfg, nil
}

// Setup registers the txn handler and replication on n; args are the flags
// of ParseFlags.
func Setup(n *node.Node, args []string) error {
	cfg, err := ParseFlags(args)
	if err != nil {
		return err
	}

	s := &server{n: n}
	n.OnInit(func(context.Context) error {
		ids := n.NodeIDs()
		self := slices.Index(ids, n.ID())
		r, err := NewReplica(self, len(ids), cfg)
		if err != nil {
			return fmt.Errorf("node %s among %v: %w", n.ID(), ids, err)
		}
		index := make(map[string]int, len(ids))
		for i, id := range ids {
			index[id] = i
		}
		s.mu.Lock()
		s.r, s.index = r, index
		s.mu.Unlock()
		return nil
	})
	n.Handle("txn", node.Typed(s.txn))
	n.Handle(BatchType, node.Typed(s.batch))
	n.Every(cfg.Interval, s.tick)
	return nil
}

func (s *server) txn(_ context.Context, _ node.Message, req txnReq) (any, error) {
	s.mu.Lock()
	out := s.r.Exec(req.Txn, time.Now())
	s.mu.Unlock()
	return txnOK{Type: "txn_ok", Txn: out}, nil
}

func (s *server) batch(_ context.Context, m node.Message, b Batch) (any, error) {
	s.mu.Lock()
	from, ok := s.index[m.Src]
	var err error
	if ok {
		err = s.r.Receive(from, b, time.Now())
	}
	s.mu.Unlock()
	switch {
	case !ok:
		s.n.Log().Warn().Str("src", m.Src).Msg("dropping replication batch from a node outside the cluster")
	case err != nil:
		s.n.Log().Warn().Err(err).Str("src", m.Src).Msg("dropping replication batch")
	}
	return nil, nil
}

func (s *server) tick(context.Context) {
	s.mu.Lock()
	out := s.r.Tick(time.Now())
	s.mu.Unlock()
	ids := s.n.NodeIDs()
	for _, o := range out {
		if err := s.n.Send(ids[o.To], o.Batch); err != nil {
			s.n.Log().Warn().Err(err).Str("dest", ids[o.To]).Msg("replication batch not sent")
		}
	}
}

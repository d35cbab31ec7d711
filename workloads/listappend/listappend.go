// Package listappend is Maelstrom's txn-list-append workload: transactions
// of reads and appends over lists, strict serializable, and answered
// whatever the partitions.
//
// Program is the workload: cmd/txn-list-append runs it as a binary
// (`txn-list-append -help` lists its flags), and the simulator runs it in
// process (sim.Config{Program: listappend.Program}). Core is the protocol
// with no I/O, which a test can drive directly.
//
// The design in brief: the database is a log of commits kept in Maelstrom's
// lin-kv. One key, the root, holds the log's newest entries inline and
// names the rest, which sit in immutable chunks beside it. A node runs a
// batch of transactions (all that arrived while its previous commit was
// out, or within -flush of its start) against the newest root it knows and
// commits the batch with one cas of the root; the cas is the batch's
// serialisation point. A refused cas carries the current root in its error
// text, so the node learns it, runs the batch again and retries at once: no
// conflict ever reaches a client. A batch that only reads takes one read
// of the root. Every node caches the state the log makes; a chunk is read
// at most once, and only when a node has fallen behind by more than the
// root holds inline. Nodes never talk to each other.
//
// Why lin-kv rather than Raft among the nodes: Maelstrom's services stay
// reachable when the nemesis partitions the nodes, so every node can
// commit and read at any time, and every transaction is answered; a
// consensus group of our own would refuse every transaction on a
// minority's side for as long as a partition lasts. lin-kv is also the
// fewer messages: a commit is one round trip whatever the cluster's size,
// where a Raft commit costs a round trip to a majority besides the
// forwarding to the leader. DESIGN.md beside this file gives the reasoning,
// the guarantees and the costs.
package listappend

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sync"
	"time"

	"github.com/glomers/glomers/node"
)

// Program is the txn-list-append workload, for node.Main and the simulator.
var Program = node.Program{
	Name: "txn-list-append",
	Doc: "A strict-serializable, always available list-append store over lin-kv: each node commits " +
		"batches of transactions with one cas of a root that holds the log's newest entries and names " +
		"immutable chunks of the rest, and caches the state. Node flags tune batching, chunks and time limits.",
	New: newBuilder,
}

// Config is one node's tuning; Program's flags fill it.
type Config struct {
	Flush time.Duration // longest a transaction waits for other clients' to share its commit
	Chunk int           // log entries per chunk (the root holds fewer than twice as many)
	RPC   time.Duration // first time limit of a lin-kv request
}

// Validate reports a setting no node could use.
func (c Config) Validate() error {
	switch {
	case c.Flush < 0:
		return fmt.Errorf("-flush %v: negative", c.Flush)
	case c.Chunk < 1:
		return fmt.Errorf("-chunk %d: want at least 1", c.Chunk)
	case c.RPC <= 0:
		return fmt.Errorf("-rpc %v: want a positive duration", c.RPC)
	}
	return nil
}

// maxBackoff bounds the doubling of the time limit: at most 2^maxBackoff × -rpc.
const maxBackoff = 5

func newBuilder(fs *flag.FlagSet) node.Builder {
	cfg := new(Config)
	fs.DurationVar(&cfg.Flush, "flush", 40*time.Millisecond, "longest a transaction waits for the other clients of its node to send theirs, to share one commit (0: never wait)")
	fs.IntVar(&cfg.Chunk, "chunk", 64, "log entries per immutable chunk; the root holds fewer than twice as many inline")
	fs.DurationVar(&cfg.RPC, "rpc", time.Second, "first time limit of a lin-kv request; each timeout doubles it (up to 32 times) until a request succeeds")
	return func(n *node.Node, init node.Init) (node.Handlers, error) {
		if err := cfg.Validate(); err != nil {
			return nil, fmt.Errorf("txn-list-append: %w", err)
		}
		core, err := NewCore(init.ID, cfg.Chunk)
		if err != nil {
			return nil, fmt.Errorf("txn-list-append: %w", err)
		}
		s := &server{
			n: n, kv: node.NewKV(n, node.LinKV), cfg: *cfg, core: core,
			wake: make(chan struct{}, 1), clients: map[string]time.Time{}, attempts: map[string]*sent{}, limit: cfg.RPC,
		}
		n.Go(s.commitLoop)
		return node.Handlers{"txn": node.Typed(s.txn)}, nil
	}
}

// txnReq is a client's transaction. Maelstrom's schema lets txn be null,
// an empty transaction; node.Typed refuses a body without it.
type txnReq struct {
	Txn *Txn `json:"txn"`
}

type txnOK struct {
	Type string `json:"type"`
	Txn  Txn    `json:"txn"`
}

// pending is a transaction waiting for its commit.
type pending struct {
	txn      Txn
	client   string    // who sent it
	arrived  time.Time // when
	done     chan Txn  // receives the transaction as it ran, once
	answered bool      // owned by the committer
}

// sent is an attempt the committer made and has not seen decided, with the
// transactions it carries.
type sent struct {
	txns    []*pending
	results []Txn
}

// server is the node's edge around the core: a queue the handlers fill,
// and one goroutine, the committer, that owns the core and does all I/O.
type server struct {
	n   *node.Node
	kv  *node.KV
	cfg Config

	mu      sync.Mutex // guards queue and clients
	queue   []*pending
	clients map[string]time.Time // client → when its last transaction arrived
	wake    chan struct{}        // a token when queue may have grown

	// Owned by the committer goroutine.
	core     *Core
	attempts map[string]*sent
	limit    time.Duration // time limit of the next lin-kv request
}

func (s *server) txn(ctx context.Context, m node.Message, req txnReq) (any, error) {
	if req.Txn == nil || len(*req.Txn) == 0 {
		return txnOK{Type: "txn_ok", Txn: Txn{}}, nil // nothing to order
	}
	p := &pending{txn: *req.Txn, client: m.Src, arrived: time.Now(), done: make(chan Txn, 1)}
	s.mu.Lock()
	s.queue = append(s.queue, p)
	s.clients[m.Src] = p.arrived
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	select {
	case r := <-p.done:
		return txnOK{Type: "txn_ok", Txn: r}, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("node stopping before the transaction was decided: %w", ctx.Err())
	}
}

func (s *server) take() []*pending {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue
	s.queue = nil
	return q
}

// commitLoop is the committer: it takes what is queued, lets a batch
// gather (see gather), and runs rounds until every transaction is
// answered. A batch whose commit lost a conflict goes again at once, with
// whatever arrived meanwhile.
func (s *server) commitLoop(ctx context.Context) {
	var waiting []*pending
	for ctx.Err() == nil {
		if len(waiting) == 0 {
			select {
			case <-s.wake:
			case <-ctx.Done():
				return
			}
			waiting = s.gather(ctx, s.take())
		}
		waiting = append(waiting, s.take()...)
		if len(waiting) == 0 {
			continue
		}
		waiting = s.round(ctx, waiting)
	}
}

// activeFor is how long a client counts as one of this node's after its
// last transaction.
const activeFor = time.Second

// gather holds a new batch until every client active at this node has a
// transaction in it, or until its oldest transaction has waited -flush. A
// Maelstrom client has one request out at a time, so once every client is
// waiting no other transaction can come: a node with a single client never
// waits, and one with many commits each round of their requests at once.
func (s *server) gather(ctx context.Context, batch []*pending) []*pending {
	if len(batch) == 0 {
		return batch
	}
	t := time.NewTimer(time.Until(batch[0].arrived.Add(s.cfg.Flush)))
	defer t.Stop()
	for !s.allWaiting(batch) {
		select {
		case <-s.wake:
			batch = append(batch, s.take()...)
		case <-t.C:
			return batch
		case <-ctx.Done():
			return batch
		}
	}
	return batch
}

// allWaiting reports whether every client active at this node has a
// transaction in batch.
func (s *server) allWaiting(batch []*pending) bool {
	in := make(map[string]bool, len(batch))
	for _, p := range batch {
		in[p.client] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for c, last := range s.clients {
		switch {
		case now.Sub(last) > activeFor:
			delete(s.clients, c)
		case !in[c]:
			return false
		}
	}
	return true
}

// round makes one attempt at the waiting transactions and returns those
// still unanswered.
func (s *server) round(ctx context.Context, waiting []*pending) []*pending {
	txns := make([]Txn, len(waiting))
	writes := false
	for i, p := range waiting {
		txns[i] = p.txn
		writes = writes || p.txn.writes()
	}
	if !writes {
		// The read starts after every one of these transactions arrived, so
		// the root it returns orders them after everything that completed
		// before any of them began.
		if v, ok := s.readRoot(ctx); ok && s.learn(ctx, v) == nil {
			results, _ := s.core.Run(txns)
			for i, p := range waiting {
				s.answer(p, results[i])
			}
		}
		return unanswered(waiting)
	}
	a := s.core.Propose(txns)
	s.attempts[a.ID] = &sent{txns: waiting, results: a.Results}
	if a.Chunk != nil {
		// Written before the cas that refers to it; the same entries make
		// the same chunk whoever writes it, so a repeat is harmless.
		if err := s.retry(ctx, func(c context.Context) error {
			return s.kv.Write(c, ChunkKey(a.Chunk.Index), a.Chunk.Entries)
		}); err != nil {
			s.settle(s.core.Fail(a)) // never sent
			return waiting
		}
	}
	err := s.try(ctx, func(c context.Context) error { return s.kv.CAS(c, RootKey, a.From, a.To, a.Create()) })
	var e *node.Error
	switch {
	case err == nil:
		out, cerr := s.core.Commit(a)
		if cerr != nil {
			s.n.Log().Error().Err(cerr).Msg("commit out of order") // a bug: the root moved under the cas
		}
		s.settle(out)
	case errors.As(err, &e) && e.Code == node.CodePreconditionFailed:
		s.settle(s.core.Fail(a))
		if v, ok := RootFromError(e.Text); !ok || s.learn(ctx, v) != nil {
			s.refresh(ctx)
		}
	default:
		// Timed out, or an error that says nothing definite: the cas may yet
		// apply. The attempt stays open until a root decides it.
		s.n.Log().Debug().Err(err).Str("attempt", a.ID).Msg("cas outcome unknown")
		s.refresh(ctx)
	}
	return unanswered(waiting)
}

func unanswered(ps []*pending) []*pending {
	out := ps[:0:0]
	for _, p := range ps {
		if !p.answered {
			out = append(out, p)
		}
	}
	return out
}

func (s *server) answer(p *pending, r Txn) {
	if !p.answered {
		p.answered = true
		p.done <- r
	}
}

// settle answers the transactions of attempts won and forgets attempts
// decided.
func (s *server) settle(out Outcome) {
	for _, id := range out.Won {
		if a := s.attempts[id]; a != nil {
			for i, p := range a.txns {
				s.answer(p, a.results[i])
			}
		}
		delete(s.attempts, id)
	}
	for _, id := range out.Lost {
		delete(s.attempts, id)
	}
}

// refresh reads the root and learns it.
func (s *server) refresh(ctx context.Context) {
	if v, ok := s.readRoot(ctx); ok {
		_ = s.learn(ctx, v)
	}
}

// readRoot reads the root, retrying until it succeeds or ctx ends. "" is
// no root yet.
func (s *server) readRoot(ctx context.Context) (string, bool) {
	var v string
	err := s.retry(ctx, func(c context.Context) error {
		err := s.kv.Read(c, RootKey, &v)
		if errors.Is(err, node.ErrKeyDoesNotExist) {
			v = ""
			return nil
		}
		return err
	})
	return v, err == nil
}

// learn brings the core up to root v, reading the chunks it lacks.
func (s *server) learn(ctx context.Context, v string) error {
	for {
		out, need, err := s.core.Learn(v)
		if err != nil {
			s.n.Log().Warn().Err(err).Msg("bad root")
			return err
		}
		s.settle(out)
		if len(need) == 0 {
			return nil
		}
		size, _ := ChunkSize(v) // Learn decoded v already
		for _, j := range need {
			var entries []Entry
			if err := s.retry(ctx, func(c context.Context) error { return s.kv.Read(c, ChunkKey(j), &entries) }); err != nil {
				return err
			}
			if err := s.core.AddChunk(j, entries, size); err != nil {
				s.n.Log().Warn().Err(err).Msg("bad chunk")
				return err
			}
		}
	}
}

// retry runs an idempotent lin-kv request until it succeeds, ctx ends, or
// lin-kv answers an error (returned).
func (s *server) retry(ctx context.Context, f func(context.Context) error) error {
	for {
		err := s.try(ctx, f)
		var e *node.Error
		if err == nil || errors.As(err, &e) || ctx.Err() != nil {
			return err
		}
	}
}

// try runs one lin-kv request under the current time limit: twice the
// last answered request's round trip, never below -rpc, doubled by each
// timeout (up to maxBackoff times), so that the node keeps up with any
// latency without a timeout per request.
func (s *server) try(ctx context.Context, f func(context.Context) error) error {
	limit := s.limit
	c, cancel := context.WithTimeout(ctx, limit)
	start := time.Now()
	err := f(c)
	cancel()
	switch {
	case err == nil || errors.As(err, new(*node.Error)):
		s.limit = max(s.cfg.RPC, 2*time.Since(start))
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil && s.limit < s.cfg.RPC<<maxBackoff:
		s.limit *= 2
	}
	return err
}

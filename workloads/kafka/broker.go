package kafka

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/glomers/glomers/node"
	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"
)

// Store is the part of lin-kv the broker uses: chunks are written once under
// keys only their writer uses, and read back by the other nodes. A missing
// key reads as an error matching node.ErrKeyDoesNotExist. *node.KV
// implements it.
type Store interface {
	Read(ctx context.Context, key string, v any) error
	Write(ctx context.Context, key string, value any) error
}

// Config holds the broker's timings and limits. Program declares a flag
// for each, with its default (see `kafka -help`).
type Config struct {
	// Flush is the least time between the starts of two chunk writes of
	// this node: the window in which sends and commits are batched.
	Flush time.Duration
	// Tail is how long a peer's stream may stay silent (no push, no read)
	// before this node reads lin-kv for its next chunk: the fallback when
	// pushes are lost, as under a partition.
	Tail time.Duration
	// MaxTail bounds the back-off for a peer whose stream has nothing new:
	// each read that finds nothing doubles the silence allowed before the
	// next one, from Tail up to MaxTail; anything new from the peer, or a
	// send waiting for its answer, brings it back to Tail.
	MaxTail time.Duration
	// Wait is how long a request waits for its chunk before the node
	// answers with an (indefinite) timeout.
	Wait time.Duration
	// RPC is the least time limit of one lin-kv request. The limit adapts
	// to the round trips the node measures and doubles with every timeout
	// (see rto), so this is the limit at low latency.
	RPC time.Duration
	// MaxPoll caps the messages a poll returns per key.
	MaxPoll int
}

// validate reports settings the broker cannot work with. The flags of
// Program fill a Config, so their names are in the message.
func (c Config) validate() error {
	if c.Flush < 0 || c.Tail <= 0 || c.MaxTail < c.Tail || c.Wait <= 0 || c.RPC <= 0 || c.MaxPoll <= 0 {
		return fmt.Errorf("config %+v: -tail, -wait, -rpc and -max-poll must be positive, -max-tail at least -tail and -flush not negative", c)
	}
	return nil
}

// Push is a chunk a node sends to its peers once it is durable, so they need
// not read it from lin-kv.
type Push struct {
	Type   string `json:"type"` // "kafka_chunk"
	Stream string `json:"stream"`
	Seq    int64  `json:"seq"`
	Chunk  *Chunk `json:"chunk"`
}

// PushType is the message type of Push.
const PushType = "kafka_chunk"

// Broker runs a Core for one node: it writes the own stream to lin-kv,
// pushes each chunk to the peers, reads peers' streams from lin-kv when
// pushes stop coming, and lets handlers wait for their tickets.
type Broker struct {
	cfg   Config
	self  string
	store Store
	push  func(peer string, p Push) // one-way, may be lost
	log   *zerolog.Logger
	kick  chan struct{} // one slot: work is queued for the writer
	rto   *rto          // time limit of lin-kv requests

	mu       sync.Mutex // guards core, heard and patience
	core     *Core
	heard    map[string]time.Time     // peer → when its stream was last pushed or read
	patience map[string]time.Duration // peer → silence allowed before a read (Tail…MaxTail)
}

// NewBroker returns a broker for node self among nodes that stores chunks in
// store and sends pushes with push. It refuses a Config it cannot work
// with (see Config.validate) and a self that is not among nodes.
func NewBroker(cfg Config, self string, nodes []string, store Store, push func(string, Push), log *zerolog.Logger) (*Broker, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if !slices.Contains(nodes, self) {
		return nil, fmt.Errorf("node %s is not among %v", self, nodes)
	}
	return &Broker{
		cfg:      cfg,
		self:     self,
		store:    store,
		push:     push,
		log:      log,
		kick:     make(chan struct{}, 1),
		rto:      newRTO(cfg.RPC),
		core:     NewCore(self, nodes),
		heard:    make(map[string]time.Time),
		patience: make(map[string]time.Duration),
	}, nil
}

func (b *Broker) wake() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// Send queues a message and waits for its offset.
func (b *Broker) Send(ctx context.Context, key string, msg json.RawMessage) (int64, error) {
	b.mu.Lock()
	t := b.core.Send(key, msg)
	b.mu.Unlock()
	b.wake()
	r, err := b.await(ctx, t)
	if err != nil {
		return 0, fmt.Errorf("send to %q: %w", key, err)
	}
	return r.Offset, nil
}

// Commit queues committed offsets and waits until they are durable.
func (b *Broker) Commit(ctx context.Context, offsets map[string]int64) error {
	b.mu.Lock()
	t := b.core.Commit(offsets)
	b.mu.Unlock()
	b.wake()
	if _, err := b.await(ctx, t); err != nil {
		return fmt.Errorf("commit offsets: %w", err)
	}
	return nil
}

// await waits for a ticket at most cfg.Wait. Giving up is a timeout: the
// request may still take effect.
func (b *Broker) await(ctx context.Context, t Ticket) (Result, error) {
	timer := time.NewTimer(b.cfg.Wait)
	defer timer.Stop()
	select {
	case r := <-t:
		return r, r.Err
	case <-timer.C:
		return Result{}, node.NewError(node.CodeTimeout, "not durable after %v; it may still be", b.cfg.Wait)
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

// Poll serves a poll from the applied logs, without any message, at most
// cfg.MaxPoll messages per key.
func (b *Broker) Poll(from map[string]int64) map[string][]Pair {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.core.Poll(from, b.cfg.MaxPoll)
}

// Committed reads every peer's stream to its end, so that every commit
// acknowledged anywhere before the call is applied, and returns the
// committed offsets of keys. A read that fails is tried again (the time
// limit grows with each timeout) for up to cfg.Wait: a slow lin-kv makes
// the list slow, not failed.
func (b *Broker) Committed(ctx context.Context, keys []string) (map[string]int64, error) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Wait)
	defer cancel()
	for {
		err := b.CatchUpAll(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil || errors.Is(err, node.ErrInputClosed) {
			return nil, err
		}
		// A failure other than a timeout (lin-kv answered with an
		// error) must not become a busy loop.
		pause := time.NewTimer(b.cfg.RPC / 10)
		select {
		case <-ctx.Done():
			pause.Stop()
			return nil, err
		case <-pause.C:
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.core.Committed(keys), nil
}

// Receive applies a pushed chunk.
func (b *Broker) Receive(p Push) {
	if p.Chunk == nil {
		b.log.Warn().Str("stream", p.Stream).Int64("seq", p.Seq).Msg("push without a chunk; ignored")
		return
	}
	b.mu.Lock()
	if !slices.Contains(b.core.Peers(), p.Stream) {
		b.mu.Unlock()
		b.log.Warn().Str("stream", p.Stream).Msg("push from a stream that is not a peer's; ignored")
		return
	}
	b.heard[p.Stream] = time.Now()
	delete(b.patience, p.Stream) // active again: if pushes stop, look soon
	err := b.core.Receive(p.Stream, p.Seq, p.Chunk)
	pending := b.core.Pending()
	b.mu.Unlock()
	b.report(err)
	if pending {
		b.wake()
	}
}

func (b *Broker) report(err error) {
	if err != nil {
		b.log.Error().Err(err).Msg("chunk does not fit the logs")
	}
}

// close fails every waiting request; called when lin-kv can no longer be
// reached (the node's input ended).
func (b *Broker) close(err error) {
	b.mu.Lock()
	b.core.Close(node.NewError(node.CodeCrash, "node stopping: %v", err))
	b.mu.Unlock()
}

// RunWriter writes the own stream until ctx ends or lin-kv is gone: it waits
// for queued work, lets Flush pass since the previous write began, cuts a
// chunk, writes it (retrying the same chunk until lin-kv takes it), applies
// it, resolves its tickets and pushes it to the peers.
func (b *Broker) RunWriter(ctx context.Context) {
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			b.close(ctx.Err())
			return
		case <-b.kick:
		}
		if wait := time.Until(last.Add(b.cfg.Flush)); wait > 0 {
			timer := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				timer.Stop()
				b.close(ctx.Err())
				return
			case <-timer.C:
			}
		}
		b.mu.Lock()
		seq, chunk, ok := b.core.Take()
		b.mu.Unlock()
		if !ok {
			continue
		}
		last = time.Now()
		if err := b.write(ctx, seq, chunk); err != nil {
			b.log.Warn().Err(err).Int64("seq", seq).Msg("writer stopped")
			b.close(err)
			return
		}
		b.mu.Lock()
		err := b.core.Durable(seq)
		peers := b.core.Peers()
		pending := b.core.Pending()
		b.mu.Unlock()
		b.report(err)
		for _, p := range peers {
			b.push(p, Push{Type: PushType, Stream: b.self, Seq: seq, Chunk: chunk})
		}
		if pending {
			b.wake()
		}
	}
}

// write stores a chunk, retrying until lin-kv answers. Every attempt writes
// the same bytes under the same key, so a retry after a lost reply is
// harmless. It fails only when ctx ends or the node's input is closed.
func (b *Broker) write(ctx context.Context, seq int64, chunk *Chunk) error {
	key := ChunkKey(b.self, seq)
	backoff := b.cfg.RPC / 10
	for {
		err := b.call(ctx, func(ctx context.Context) error { return b.store.Write(ctx, key, chunk) })
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, node.ErrInputClosed):
			return err
		}
		b.log.Warn().Err(err).Str("key", key).Msg("chunk write failed; retrying")
		timer := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
	}
}

// TailTick is how often the node checks, with Tail, whether a peer's
// stream needs reading: a fraction of Tail, so a gap is filled soon.
func (c Config) TailTick() time.Duration { return max(c.Tail/5, time.Millisecond) }

// Tail reads the stream of every peer that is due: one with a gap, one
// whose answer a send here waits for and that has been silent for
// cfg.Tail, and any other that has been silent for its patience, which
// grows while its reads find nothing (an idle peer costs little) and
// shrinks to cfg.Tail when it shows life. It is the node's periodic task.
func (b *Broker) Tail(ctx context.Context) {
	now := time.Now()
	b.mu.Lock()
	var due []string
	for _, p := range b.core.Peers() {
		wait := b.cfg.Tail
		if !b.core.Awaiting(p) {
			wait = max(wait, b.patience[p])
		}
		if b.core.Gap(p) || now.Sub(b.heard[p]) >= wait {
			due = append(due, p)
		}
	}
	b.mu.Unlock()
	if err := b.catchUp(ctx, due, 1); err != nil {
		b.log.Debug().Err(err).Msg("tail read failed")
		if errors.Is(err, node.ErrInputClosed) {
			b.close(err)
		}
	}
}

// maxReadWidth is how many chunks of one stream a reader reads at once at
// most. Reading one at a time, a reader whose read takes as long as the
// writer's write could chase the end of the stream for ever.
const maxReadWidth = 8

// CatchUpAll reads every peer's stream up to its end: afterwards every chunk
// that was durable when the call began is applied. Its first round reads
// two chunks per stream: a peer's newest chunk is often durable before its
// push arrives, and the second read then finds the end in the same round.
func (b *Broker) CatchUpAll(ctx context.Context) error {
	b.mu.Lock()
	peers := b.core.Peers()
	b.mu.Unlock()
	return b.catchUp(ctx, peers, 2)
}

// catchUp reads the streams of peers concurrently, each with readStream
// from a first round of width reads.
func (b *Broker) catchUp(ctx context.Context, peers []string, width int) error {
	var g errgroup.Group
	for _, p := range peers {
		g.Go(func() error { return b.readStream(ctx, p, width) })
	}
	return g.Wait()
}

// readStream reads a peer's stream from the cursor on, in rounds of
// concurrent reads of consecutive chunks, until a round finds a chunk
// missing. The first round reads width chunks (a tail read reads one: a
// reader that is up to date, the usual case, pays one read) and each further
// round twice as many as the last, up to maxReadWidth. Streams are prefixes, so that miss is the end of the
// stream as of some moment after readStream began: every chunk durable
// before then has a lower seq and has been read (or pushed) by the time it
// returns. The peer's patience doubles when nothing new was found, and
// returns to cfg.Tail otherwise.
func (b *Broker) readStream(ctx context.Context, peer string, width int) error {
	found := false
	for ; ; width = min(2*width, maxReadWidth) {
		b.mu.Lock()
		start := b.core.Cursor(peer)
		b.mu.Unlock()
		chunks := make([]*Chunk, width)
		errs := make([]error, width)
		var wg sync.WaitGroup
		for i := range width {
			wg.Go(func() { chunks[i], errs[i] = b.readChunk(ctx, peer, start+int64(i)) })
		}
		wg.Wait()

		b.mu.Lock()
		b.heard[peer] = time.Now()
		var applyErrs []error
		end := false
		for i, c := range chunks {
			if c == nil {
				end = errs[i] == nil
				break
			}
			found = true
			applyErrs = append(applyErrs, b.core.Receive(peer, start+int64(i), c))
		}
		if end {
			if found {
				delete(b.patience, peer)
			} else {
				b.patience[peer] = min(max(2*b.patience[peer], b.cfg.Tail), b.cfg.MaxTail)
			}
		}
		pending := b.core.Pending()
		b.mu.Unlock()
		b.report(errors.Join(applyErrs...))
		if pending {
			b.wake()
		}
		if end {
			return nil
		}
		if err := errors.Join(errs...); err != nil && chunks[0] == nil {
			return err
		}
	}
}

// readChunk reads one chunk; a missing one is (nil, nil).
func (b *Broker) readChunk(ctx context.Context, peer string, seq int64) (*Chunk, error) {
	var chunk Chunk
	err := b.call(ctx, func(ctx context.Context) error { return b.store.Read(ctx, ChunkKey(peer, seq), &chunk) })
	switch {
	case errors.Is(err, node.ErrKeyDoesNotExist):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read stream of %s at %d: %w", peer, seq, err)
	}
	return &chunk, nil
}

// call runs one lin-kv request f within the current time limit and tells
// the estimate how it went: an answer (an error reply, such as a missing
// key, is one) is a round-trip sample, no answer within the limit a
// timeout.
func (b *Broker) call(ctx context.Context, f func(ctx context.Context) error) error {
	limit := b.rto.limit()
	rctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	start := time.Now()
	err := f(rctx)
	var answer *node.Error
	switch {
	case err == nil || errors.As(err, &answer):
		b.rto.sample(time.Since(start))
	case ctx.Err() == nil && rctx.Err() != nil:
		b.rto.expired(limit)
	}
	return err
}

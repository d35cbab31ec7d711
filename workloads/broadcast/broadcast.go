// Package broadcast is Gossip Glomers challenge 3 (3a–3e): every value a
// client broadcasts to any node must reach every node, and none may be lost
// whatever the partitions, in few messages per operation and little time.
//
// Run it as a binary (cmd/broadcast is node.Main(broadcast.Program); its
// flags follow Maelstrom's `--`, and -help lists them) or in the simulator
// (sim.Config{Program: broadcast.Program, NodeArgs: []string{"--economy"}}).
// Engine is the protocol alone, a state machine without I/O: each method
// takes an event (a client's value, a peer's message, a timer) and its
// time, and returns the messages to send. Program's handlers only decode,
// step the engine under a lock, and send.
//
// # Design in brief
//
// The node that takes a value from a client numbers it in its own sequence,
// stores it, acknowledges it and sends it along a spanning tree (Tree).
// Nothing is acknowledged between nodes: anti-entropy repairs any loss.
//
//   - Topology. By default a value goes straight from its origin to every
//     peer: the only shape with one hop to everywhere, which challenge 3d's
//     latency bars need, and at N-1 messages per value the fewest of any
//     unbatched scheme. --economy, for the fewest messages, relays through
//     a star centred on the first node, in batches: the centre's cost is
//     one message per leaf per batch period whatever the load, for a
//     latency of two hops plus up to one period, inside 3e's latency bars.
//   - Anti-entropy. Every period each node sends one peer its digest (for
//     each origin, how many of its values it holds without a gap), in a
//     rotation that makes every round a permutation; the peer answers with
//     exactly the values the sender lacks. The default period, 500 ms, lets
//     a value held by one node reach all of them in well under the 10 s
//     Maelstrom waits after healing a partition, and exceeds a value's trip
//     along the tree, so a repair does not repeat values still in flight.
//
// DESIGN.md, beside this file, gives the reasoning in full: each shape's
// trade-offs, the choice of every period, reads and memory. Measured
// figures are in the README's generated tables (the 3d and 3e-econ rows,
// and the bench-broadcast table), never here.
package broadcast

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/glomers/glomers/node"
)

// Program is the broadcast workload. Its flags, declared with their
// defaults in declareFlags and listed by -help, select the Config: the
// default meets challenge 3d's and 3e's bars with one-hop latency;
// --economy selects the setting with the fewest messages, within 3e's bars.
var Program = node.Program{
	Name: "broadcast",
	Doc: "Spreads every value a client broadcasts to every node, in few messages, and repairs " +
		"what partitions lose by anti-entropy; read returns every value this node holds.",
	New: func(fs *flag.FlagSet) node.Builder {
		config := declareFlags(fs)
		return func(n *node.Node, init node.Init) (node.Handlers, error) {
			return newServer(n, init, config())
		}
	},
}

// economy is the setting --economy selects: a star (a fanout no cluster
// reaches) relaying in batches, with slower anti-entropy than the default;
// DESIGN.md says why these periods.
func economy() Config {
	return Config{Fanout: math.MaxInt, Batch: 600 * time.Millisecond, AntiEntropy: time.Second}
}

// declareFlags declares the workload's flags on fs, with their defaults,
// and returns the function that gives, once fs is parsed, the Config they
// select: with --economy, economy's values, each overridden by its flag
// when that is given too. A value no node could use fails the parse.
func declareFlags(fs *flag.FlagSet) func() Config {
	cfg := Config{Fanout: 0, Batch: 0, AntiEntropy: 500 * time.Millisecond}
	fs.Var(checkedFlag[int]{&cfg.Fanout, strconv.Atoi, checkFanout}, "fanout",
		"dissemination tree: `F` = 0 sends each value straight to every peer; F ≥ 1 relays along a shared F-ary tree over node_ids (F ≥ N-1: a star)")
	fs.Var(checkedFlag[time.Duration]{&cfg.Batch, time.ParseDuration, checkBatch}, "batch",
		"flush `period` of the per-peer queues (0: send at once; a leaf of the shared tree sends its own values at once anyway)")
	fs.Var(checkedFlag[time.Duration]{&cfg.AntiEntropy, time.ParseDuration, checkAntiEntropy}, "anti-entropy",
		"digest exchange `period`, also the grace before a value is repaired")
	e := economy()
	econ := fs.Bool("economy", false, fmt.Sprintf("fewest messages: a star, %v batches, %v anti-entropy (--fanout, --batch or --anti-entropy given too override these)", e.Batch, e.AntiEntropy))
	return func() Config {
		if !*econ {
			return cfg
		}
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "fanout":
				e.Fanout = cfg.Fanout
			case "batch":
				e.Batch = cfg.Batch
			case "anti-entropy":
				e.AntiEntropy = cfg.AntiEntropy
			}
		})
		return e
	}
}

// checkedFlag is a flag.Value that check vets as it is parsed, so that a
// setting no node could use stops the binary with its usage.
type checkedFlag[T any] struct {
	p     *T
	parse func(string) (T, error)
	check func(T) error
}

func (f checkedFlag[T]) String() string {
	if f.p == nil { // the zero value, which flag makes to print defaults
		return ""
	}
	return fmt.Sprint(*f.p)
}

func (f checkedFlag[T]) Set(s string) error {
	v, err := f.parse(s)
	if err == nil {
		err = f.check(v)
	}
	if err == nil {
		*f.p = v
	}
	return err
}

// server is one node's broadcast workload: its engine, and the node that
// carries the engine's messages. Its methods are the handlers and timers.
type server struct {
	n   *node.Node
	mu  sync.Mutex // guards eng: handlers and timers run concurrently
	eng *Engine
}

// newServer builds the workload when init arrives: the engine, its timers,
// and the handlers by message type.
func newServer(n *node.Node, init node.Init, cfg Config) (node.Handlers, error) {
	eng, err := NewEngine(cfg, init.ID, init.IDs)
	if err != nil {
		return nil, fmt.Errorf("broadcast engine: %w", err)
	}
	s := &server{n: n, eng: eng}
	n.Every(cfg.AntiEntropy, s.tick)
	if cfg.Batch > 0 {
		n.Every(cfg.Batch, s.flush)
	}
	n.Log().Info().Int("fanout", cfg.Fanout).Dur("batch", cfg.Batch).Dur("anti_entropy", cfg.AntiEntropy).Msg("broadcast configured")
	return node.Handlers{
		"broadcast": node.Typed(s.broadcast),
		"read":      node.Typed(s.read),
		"topology":  node.Typed(s.topology),
		typeGossip:  node.Typed(s.gossip),
		typeRepair:  node.Typed(s.repair),
		typeDigest:  node.Typed(s.digest),
	}, nil
}

// Client requests: Maelstrom's broadcast workload.
type (
	broadcastReq struct {
		Message int64 `json:"message"`
	}
	readReq     struct{}
	topologyReq struct {
		Topology map[string][]string `json:"topology"`
	}
)

type readOK struct {
	Type     string          `json:"type"`
	Messages json.RawMessage `json:"messages"`
}

type typeOnly struct {
	Type string `json:"type"`
}

// step runs one engine event under the lock and sends what it returns. An
// error means the event carried bad input (the valid part of it was still
// taken): it is logged, or answered if the sender expects a reply.
func (s *server) step(ev func(e *Engine) ([]Out, error)) error {
	s.mu.Lock()
	outs, err := ev(s.eng)
	s.mu.Unlock()
	for _, o := range outs {
		if err := s.n.Send(o.Dest, o.Body); err != nil {
			s.n.Log().Warn().Err(err).Str("dest", o.Dest).Msg("gossip send failed")
		}
	}
	if err != nil {
		return node.NewError(node.CodeMalformedRequest, "%v", err)
	}
	return nil
}

func (s *server) broadcast(_ context.Context, _ node.Message, req broadcastReq) (any, error) {
	_ = s.step(func(e *Engine) ([]Out, error) { return e.Broadcast(req.Message, time.Now()), nil })
	return typeOnly{"broadcast_ok"}, nil
}

func (s *server) read(context.Context, node.Message, readReq) (any, error) {
	s.mu.Lock()
	snap := s.eng.ReadSnapshot()
	s.mu.Unlock()
	msgs := make([]byte, 0, len(snap)+2)
	msgs = append(append(append(msgs, '['), snap...), ']')
	return readOK{Type: "read_ok", Messages: msgs}, nil
}

// topology acknowledges Maelstrom's suggested topology and ignores it: the
// tree is computed from node_ids, identically on every node.
func (s *server) topology(_ context.Context, m node.Message, _ topologyReq) (any, error) {
	s.n.Log().Debug().Str("src", m.Src).Msg("topology suggestion ignored: the tree is computed from node_ids")
	return typeOnly{"topology_ok"}, nil
}

func (s *server) gossip(_ context.Context, m node.Message, b gossipBody) (any, error) {
	return nil, s.step(func(e *Engine) ([]Out, error) { return e.Gossip(m.Src, b.Segs, time.Now()) })
}

func (s *server) repair(_ context.Context, m node.Message, b gossipBody) (any, error) {
	return nil, s.step(func(e *Engine) ([]Out, error) { return e.Repair(m.Src, b.Segs) })
}

func (s *server) digest(_ context.Context, m node.Message, b digestBody) (any, error) {
	return nil, s.step(func(e *Engine) ([]Out, error) { return e.Digest(m.Src, b.Have, time.Now()) })
}

func (s *server) tick(context.Context) {
	_ = s.step(func(e *Engine) ([]Out, error) { return e.Tick(time.Now()), nil })
}

func (s *server) flush(context.Context) {
	_ = s.step(func(e *Engine) ([]Out, error) { return e.Flush(), nil })
}

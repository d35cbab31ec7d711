package broadcast

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"sync"
	"time"

	"github.com/glomers/glomers/node"
)

// Server runs an Engine on a node: the lock around it, its timers, and the
// handlers of the messages engines exchange. A workload on the Engine
// (broadcast, g-set) adds its client handlers and calls Add and Read.
type Server struct {
	n   *node.Node
	mu  sync.Mutex // guards eng: handlers and timers run concurrently
	eng *Engine
}

// NewProgram returns a workload on the Engine: its flags are
// DeclareFlags' with the workload's defaults and economy setting, and at
// init it runs a Server, whose handlers clients completes with the
// workload's client requests.
func NewProgram(name, doc string, defaults, economy Config, clients func(n *node.Node, s *Server, hs node.Handlers)) node.Program {
	return node.Program{Name: name, Doc: doc, New: func(fs *flag.FlagSet) node.Builder {
		config := DeclareFlags(fs, defaults, economy)
		return func(n *node.Node, init node.Init) (node.Handlers, error) {
			s, hs, err := NewServer(n, init, config())
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			clients(n, s, hs)
			return hs, nil
		}
	}}
}

// NewServer builds the engine of the node init names with cfg, starts its
// timers, and returns the server with the handlers of the engine's own
// messages (gossip, repair, digest), to which the workload adds its
// client handlers.
func NewServer(n *node.Node, init node.Init, cfg Config) (*Server, node.Handlers, error) {
	eng, err := NewEngine(cfg, init.ID, init.IDs)
	if err != nil {
		return nil, nil, err
	}
	s := &Server{n: n, eng: eng}
	if cfg.Rounds {
		n.Go(s.rounds)
	} else {
		n.Every(cfg.AntiEntropy, s.tick)
		if cfg.Batch > 0 {
			n.Every(cfg.Batch, s.flush)
		}
	}
	n.Log().Info().Str("setting", cfg.Describe()).Msg("engine configured")
	return s, node.Handlers{
		typeGossip: node.Typed(s.gossip),
		typeRepair: node.Typed(s.repair),
		typeDigest: node.Typed(s.digest),
	}, nil
}

// Add takes value v from a client: once it returns, v is stored and may be
// acknowledged.
func (s *Server) Add(v int64) {
	_ = s.step(func(e *Engine) ([]Out, error) { return e.Broadcast(v, time.Now()), nil })
}

// Read returns every value held, as a JSON array.
func (s *Server) Read() json.RawMessage {
	s.mu.Lock()
	snap := s.eng.ReadSnapshot() // appended past only, so safe to read unlocked
	s.mu.Unlock()
	out := make([]byte, 0, len(snap)+2)
	return append(append(append(out, '['), snap...), ']')
}

// step runs one engine event under the lock and sends what it returns. An
// error means the event carried bad input (the valid part of it was still
// taken): it is logged, or answered if the sender expects a reply.
func (s *Server) step(ev func(e *Engine) ([]Out, error)) error {
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

func (s *Server) gossip(_ context.Context, m node.Message, b gossipBody) (any, error) {
	return nil, s.step(func(e *Engine) ([]Out, error) { return e.gossip(m.Src, b, time.Now()) })
}

func (s *Server) repair(_ context.Context, m node.Message, b gossipBody) (any, error) {
	return nil, s.step(func(e *Engine) ([]Out, error) { return e.Repair(m.Src, b.Segs) })
}

func (s *Server) digest(_ context.Context, m node.Message, b digestBody) (any, error) {
	return nil, s.step(func(e *Engine) ([]Out, error) { return e.Digest(m.Src, b.Have, time.Now()) })
}

func (s *Server) tick(context.Context) {
	_ = s.step(func(e *Engine) ([]Out, error) { return e.Tick(time.Now()), nil })
}

func (s *Server) flush(context.Context) {
	_ = s.step(func(e *Engine) ([]Out, error) { return e.Flush(), nil })
}

// rounds is Config.Rounds' timer: it runs the engine's Round at each time
// NextRound names, until the node stops.
func (s *Server) rounds(ctx context.Context) {
	for {
		s.mu.Lock()
		next := s.eng.NextRound(time.Now())
		s.mu.Unlock()
		t := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		_ = s.step(func(e *Engine) ([]Out, error) { return e.Round(time.Now()), nil })
	}
}

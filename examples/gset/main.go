// Command gset is the README's example of a node built on package node: a
// grow-only set for Maelstrom's g-set workload. Each node keeps the
// elements it has seen and, every second, sends all of them to every peer;
// a peer merges what it gets. It passes `maelstrom test -w g-set` with
// partitions (the simulator's run is in main_test.go), at the cost of
// resending the whole set each time: workloads/broadcast shows how to send
// only what is missing.
package main

import (
	"context"
	"flag"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/glomers/glomers/node"
)

// Program is the g-set node: no flags, and a set built at init.
var Program = node.Program{
	Name: "g-set",
	Doc:  "A grow-only set that gossips its whole state to every peer every second.",
	New: func(*flag.FlagSet) node.Builder {
		return func(n *node.Node, init node.Init) (node.Handlers, error) {
			s := &set{n: n, peers: init.Peers(), elems: map[int64]bool{}}
			n.Every(time.Second, s.gossip)
			return node.Handlers{
				"add":    node.Typed(s.add),
				"read":   s.read,
				"gossip": node.Typed(s.merge),
			}, nil
		}
	},
}

type set struct {
	n     *node.Node
	peers []string

	mu    sync.Mutex // guards elems
	elems map[int64]bool
}

type addReq struct {
	Element int64 `json:"element"`
}

type gossipMsg struct {
	Type     string  `json:"type"`
	Elements []int64 `json:"elements"`
}

func (s *set) add(_ context.Context, _ node.Message, req addReq) (any, error) {
	s.mu.Lock()
	s.elems[req.Element] = true
	s.mu.Unlock()
	return map[string]string{"type": "add_ok"}, nil
}

func (s *set) read(context.Context, node.Message) (any, error) {
	return map[string]any{"type": "read_ok", "value": s.all()}, nil
}

func (s *set) merge(_ context.Context, _ node.Message, g gossipMsg) (any, error) {
	s.mu.Lock()
	for _, e := range g.Elements {
		s.elems[e] = true
	}
	s.mu.Unlock()
	return nil, nil // gossip expects no reply
}

func (s *set) gossip(context.Context) {
	msg := gossipMsg{Type: "gossip", Elements: s.all()}
	for _, p := range s.peers {
		_ = s.n.Send(p, msg) // a lost gossip is resent next second
	}
}

func (s *set) all() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.elems))
}

func main() { node.Main(Program) }

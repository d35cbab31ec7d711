// Package gset is Maelstrom's g-set workload: a grow-only set in which
// every acknowledged element reaches every node, whatever the partitions.
//
// It is broadcast's problem behind another interface (add{element} for
// broadcast{message}, read_ok{value} for read_ok{messages}), so the
// protocol is broadcast's: Program runs a broadcast.Server and adds the
// client handlers, and its flags are broadcast.DeclareFlags'. Elements are
// integers, as Maelstrom's generator makes them, because the Engine carries
// int64 values; any other element is refused with malformed-request (12).
//
// Two settings (DESIGN.md says what each costs and what holds under
// partitions):
//
//   - the default, broadcast's: each element straight to every peer, for
//     the lowest latency;
//   - --economy (Economy): a star in synchronised 1.5 s rounds at every
//     node, leaves included, with anti-entropy inside the rounds, for issue
//     13's budget of 0.071 servers messages per operation with stable
//     latency p50 ≤ 1 s and max ≤ 2 s (without faults; partitions hold
//     elements back until they heal, in any setting).
//
// Measured figures: `./scripts/sim demo scripts/bench-gset.txt`.
//
// Program is the workload: cmd/g-set runs it as a binary (`g-set -help`
// lists its flags), and the simulator runs it in process
// (sim.Config{Workload: "g-set", Program: gset.Program}).
package gset

import (
	"context"
	"encoding/json"
	"math"
	"time"

	"github.com/glomers/glomers/node"
	"github.com/glomers/glomers/workloads/broadcast"
)

// Program is the g-set workload, for node.Main and the simulator. Its
// flags are broadcast's (broadcast.DeclareFlags) with broadcast's default,
// and --economy selects Economy.
var Program = broadcast.NewProgram("g-set",
	"A grow-only set on broadcast's engine: each element added reaches every node along a spanning "+
		"tree, and anti-entropy repairs what partitions lose; read returns every element this node holds. "+
		"Node flags select the engine's tuning.",
	broadcast.DefaultConfig(), Economy(), clients)

// Economy is the setting --economy selects, for the fewest messages: a
// star (a fanout no cluster reaches) in synchronised rounds of 1.5 s at
// every node, the centre 100 ms after the leaves, with anti-entropy inside
// the rounds (AntiEntropy, which rounds ignore, is broadcast's economy
// period, for -rounds=false). DESIGN.md says why these periods.
func Economy() broadcast.Config {
	return broadcast.Config{Fanout: math.MaxInt, Batch: 1500 * time.Millisecond, AntiEntropy: time.Second,
		Rounds: true, RoundLag: 100 * time.Millisecond}
}

// clients adds g-set's client requests to the engine's handlers.
func clients(_ *node.Node, s *broadcast.Server, hs node.Handlers) {
	hs["add"] = node.Typed(func(_ context.Context, _ node.Message, req addReq) (any, error) {
		s.Add(req.Element)
		return typeOnly{"add_ok"}, nil
	})
	hs["read"] = node.Typed(func(context.Context, node.Message, readReq) (any, error) {
		return readOK{Type: "read_ok", Value: s.Read()}, nil
	})
}

type addReq struct {
	Element int64 `json:"element"`
}

type readReq struct{}

type readOK struct {
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

type typeOnly struct {
	Type string `json:"type"`
}

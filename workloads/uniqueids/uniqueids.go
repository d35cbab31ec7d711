// Package uniqueids is Gossip Glomers challenge 2: hand out globally unique
// ids with total availability, that is with zero network messages. Run it
// as a binary (cmd/unique-ids: node.Main(uniqueids.Program)) or in the
// simulator (sim.Config{Program: uniqueids.Program}); Generator is the id
// scheme alone, usable without a node.
//
// An id is a positive int64 laid out like a Snowflake id:
//
//	| 41 bits: milliseconds since 2000-01-01 UTC | 10 bits: node index | 12 bits: sequence |
//
// The node index is this node's position in init's node_ids, which is the
// same list on every node, so two nodes never share the middle bits. Within
// a node, the (millisecond, sequence) pair only grows: when 4096 ids have been
// handed out in one millisecond the generator waits for the next one rather
// than borrowing from the future. So the ids a node hands out are always at
// or behind the wall clock, and a restarted node, which comes back at a later
// millisecond, cannot repeat an id of its previous life. The one assumption
// is that the wall clock does not step backwards across a restart by more
// than the restart took; within one life a backwards step is absorbed by
// staying on the last millisecond used.
//
// Why an integer and not a string such as "n1-42": it is 8 bytes in memory,
// at most 19 digits on the wire, sorts by creation time, and Maelstrom (on
// the JVM) carries 64-bit integers exactly. The layout lasts until 2069 and
// supports 1024 nodes at up to 4096 ids per millisecond each.
package uniqueids

import (
	"context"
	"flag"
	"fmt"
	"sync"
	"time"

	"github.com/glomers/glomers/node"
)

const (
	seqBits  = 12
	nodeBits = 10
	maxSeq   = 1<<seqBits - 1
	// MaxNodes is the largest cluster the id layout supports.
	MaxNodes = 1 << nodeBits
)

// Epoch is the zero of the id's time field.
var Epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Generator makes ids for one node. It is safe for concurrent use.
type Generator struct {
	node uint64
	now  func() time.Time

	mu     sync.Mutex
	lastMS int64 // millisecond of the last id handed out
	seq    int64 // sequence within lastMS
}

// NewGenerator returns a generator for the node at index (0 ≤ index <
// MaxNodes) that reads the time from now (time.Now when nil).
func NewGenerator(index int, now func() time.Time) (*Generator, error) {
	if index < 0 || index >= MaxNodes {
		return nil, fmt.Errorf("node index %d outside the id layout's 0..%d", index, MaxNodes-1)
	}
	if now == nil {
		now = time.Now
	}
	return &Generator{node: uint64(index), now: now, lastMS: -1}, nil
}

// Next returns a fresh id.
func (g *Generator) Next() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	for {
		ms := g.now().Sub(Epoch).Milliseconds()
		switch {
		case ms > g.lastMS:
			g.lastMS, g.seq = ms, 0
		case g.seq < maxSeq:
			g.seq++ // same millisecond, or the clock stepped back: stay on lastMS
		default:
			time.Sleep(time.Duration(g.lastMS+1-ms) * time.Millisecond)
			continue
		}
		return g.lastMS<<(nodeBits+seqBits) | int64(g.node)<<seqBits | g.seq
	}
}

// Parts splits an id into its time, node index and sequence, for tests and
// debugging.
func Parts(id int64) (t time.Time, index int, seq int) {
	ms := id >> (nodeBits + seqBits)
	return Epoch.Add(time.Duration(ms) * time.Millisecond), int(id>>seqBits) & (MaxNodes - 1), int(id & maxSeq)
}

// Program is the unique-ids workload. It takes no flags; each node's
// Generator is built from its index in init's node_ids.
var Program = node.Program{
	Name: "unique-ids",
	Doc: "Answers each generate request with a globally unique 64-bit id, made locally " +
		"from the time, this node's index in node_ids and a sequence number: no message between nodes.",
	New: func(*flag.FlagSet) node.Builder { return build },
}

func build(_ *node.Node, init node.Init) (node.Handlers, error) {
	g, err := NewGenerator(init.Index(), nil)
	if err != nil {
		return nil, err
	}
	return node.Handlers{"generate": node.Typed(g.generate)}, nil
}

type generateReq struct{} // generate carries nothing but its type

type generateOK struct {
	Type string `json:"type"`
	ID   int64  `json:"id"`
}

// generate answers a generate request with a fresh id.
func (g *Generator) generate(context.Context, node.Message, generateReq) (any, error) {
	return generateOK{Type: "generate_ok", ID: g.Next()}, nil
}

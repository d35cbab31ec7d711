// Package uniqueids is Gossip Glomers challenge 2: hand out globally unique
// ids with total availability, that is with zero network messages.
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
// supports 1024 nodes at up to 4,096,000 ids per second each.
package uniqueids

import (
	"context"
	"fmt"
	"slices"
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

type generateOK struct {
	Type string `json:"type"`
	ID   int64  `json:"id"`
}

// Setup registers the generate handler on n. It takes no arguments.
func Setup(n *node.Node, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unique-ids takes no arguments, got %q", args)
	}
	var gen *Generator // set by the init hook, before any request is served
	n.OnInit(func(context.Context) error {
		idx := slices.Index(n.NodeIDs(), n.ID())
		if idx < 0 {
			return fmt.Errorf("node %s is not in node_ids %v", n.ID(), n.NodeIDs())
		}
		g, err := NewGenerator(idx, nil)
		gen = g
		return err
	})
	n.Handle("generate", func(context.Context, node.Message) (any, error) {
		return generateOK{Type: "generate_ok", ID: gen.Next()}, nil
	})
	return nil
}

package kafka

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
)

// Chunk is one write of a node to its own stream in lin-kv: everything the
// node decided since its previous chunk. A chunk is written once, under a
// key no other node writes, and never changes, so every copy of it (read
// back from lin-kv or pushed by its writer) is the same.
type Chunk struct {
	// Entries are messages appended to keys this node owns, with the
	// offsets it assigned, in increasing offset order per key.
	Entries []Entry `json:"entries,omitempty"`
	// Proposals are sends that arrived here for keys other nodes own; each
	// owner turns the ones for its keys into entries.
	Proposals []Proposal `json:"proposals,omitempty"`
	// Commits are committed offsets acknowledged by this node, by key.
	Commits map[string]int64 `json:"commits,omitempty"`
}

// Entry is one message of a key's log at the offset its owner assigned.
type Entry struct {
	Key    string          `json:"key"`
	Offset int64           `json:"offset"`
	Msg    json.RawMessage `json:"msg"`
	// From and ID name the proposal this entry answers, when the send
	// arrived at another node; empty for sends the owner received itself.
	From string `json:"from,omitempty"`
	ID   int64  `json:"id,omitempty"`
}

// Proposal is a send received by a node that does not own its key. ID is
// unique within the proposing node's stream.
type Proposal struct {
	ID  int64           `json:"id"`
	Key string          `json:"key"`
	Msg json.RawMessage `json:"msg"`
}

// ChunkKey is the lin-kv key of chunk seq of stream (a node id).
func ChunkKey(stream string, seq int64) string {
	return fmt.Sprintf("kafka/%s/%d", stream, seq)
}

// Owner is the node that assigns the offsets of key: a hash of the key over
// nodes, which is the same list in the same order on every node.
func Owner(key string, nodes []string) string {
	h := fnv.New32a()
	h.Write([]byte(key))
	return nodes[h.Sum32()%uint32(len(nodes))]
}

// Pair is one [offset, message] pair of a poll reply.
type Pair struct {
	Offset int64
	Msg    json.RawMessage
}

// MarshalJSON encodes the pair as Maelstrom's two-element array.
func (p Pair) MarshalJSON() ([]byte, error) {
	msg := p.Msg
	if msg == nil {
		msg = json.RawMessage("null")
	}
	return json.Marshal([2]any{p.Offset, msg})
}

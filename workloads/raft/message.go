package raft

import "encoding/json"

// Kind names a message of the protocol. On the wire it is also the
// Maelstrom body type, so a node registers one handler per kind.
type Kind string

// The message kinds.
const (
	MsgApp         Kind = "raft_append"      // leader → follower: entries, commit, read states; also the heartbeat
	MsgAppResp     Kind = "raft_append_ok"   // follower → leader: match index or rejection hint
	MsgPreVote     Kind = "raft_pre_vote"    // would you vote for me at Term? (nobody's term changes)
	MsgPreVoteResp Kind = "raft_pre_vote_ok" // answer to MsgPreVote
	MsgVote        Kind = "raft_vote"        // vote for me at Term
	MsgVoteResp    Kind = "raft_vote_ok"     // answer to MsgVote
	MsgForward     Kind = "raft_forward"     // follower → leader: proposals and read requests
)

// Entry is one log entry. Data is opaque to Raft (raw JSON, so it reads
// well in logs); a leader's no-op at the start of its term has none.
type Entry struct {
	Index uint64          `json:"-"` // set in the log and in Ready.Committed; implied on the wire
	Term  uint64          `json:"term"`
	Data  json.RawMessage `json:"data,omitempty"`
}

// ReadState says that a read request (ID, from the node it is sent to) may
// be served once the state machine has applied Index.
type ReadState struct {
	ID    uint64 `json:"id"`
	Index uint64 `json:"index"`
}

// Message is everything the protocol sends. Nodes are numbered 0..N-1;
// fields a kind does not use stay zero and are omitted on the wire.
type Message struct {
	Kind Kind   `json:"type"`
	From int    `json:"from"`
	To   int    `json:"to"`
	Term uint64 `json:"term"`

	// MsgApp: the entries after (PrevIndex, PrevTerm), the leader's commit
	// index, its heartbeat round and the reads of To it has confirmed. A
	// follower acknowledges every append with entries, every rejection,
	// every append asking to Confirm its round, and otherwise one a
	// heartbeat interval, enough for the leader's check quorum.
	// MsgAppResp: Index is the follower's match index, or on Reject a hint
	// of where to retry; Round echoes the round.
	PrevIndex uint64      `json:"prev_index,omitempty"`
	PrevTerm  uint64      `json:"prev_term,omitempty"`
	Entries   []Entry     `json:"entries,omitempty"`
	Commit    uint64      `json:"commit,omitempty"`
	Round     uint64      `json:"round,omitempty"`
	Reads     []ReadState `json:"reads,omitempty"`
	Confirm   bool        `json:"confirm,omitempty"` // MsgApp: acknowledge even if empty, reads wait on this round
	Index     uint64      `json:"index,omitempty"`
	Reject    bool        `json:"reject,omitempty"`

	// MsgPreVote, MsgVote: the candidate's last log entry. Responses set
	// Granted.
	LastIndex uint64 `json:"last_index,omitempty"`
	LastTerm  uint64 `json:"last_term,omitempty"`
	Granted   bool   `json:"granted,omitempty"`

	// MsgForward: proposals' data and read request ids.
	Proposals []json.RawMessage `json:"proposals,omitempty"`
	ReadIDs   []uint64          `json:"read_ids,omitempty"`
}

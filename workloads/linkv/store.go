package linkv

import (
	"encoding/json"

	"github.com/glomers/glomers/node"
)

// command is a write or a cas as the log holds it. ID names the request
// (node and sequence number) so that a request proposed twice, after a
// leader change, takes effect once.
type command struct {
	ID    string `json:"id"`
	F     string `json:"f"` // "write" or "cas"
	Key   int64  `json:"key"`
	Value int64  `json:"value,omitempty"` // write
	From  int64  `json:"from,omitempty"`  // cas
	To    int64  `json:"to,omitempty"`    // cas
}

// result is what a request is answered: Err nil and Value for a read.
type result struct {
	Value int64
	Err   *node.Error
}

// Store is the replicated state machine: the key/value map, changed only
// by applying committed commands in log order, and the outcome of every
// command applied, so that a duplicate is answered as the first copy was
// and changes nothing.
type Store struct {
	kv   map[int64]int64
	done map[string]result
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{kv: map[int64]int64{}, done: map[string]result{}}
}

// Apply applies one committed log entry's data and returns the command's
// id and outcome. An entry that is not a command (a leader's no-op has no
// data) returns an empty id.
func (s *Store) Apply(data json.RawMessage) (string, result) {
	if len(data) == 0 {
		return "", result{}
	}
	var c command
	if err := json.Unmarshal(data, &c); err != nil {
		// Only this package writes commands: a bad one is a bug, and
		// every replica skips it alike.
		return "", result{Err: node.NewError(node.CodeCrash, "bad log entry %.80s: %v", data, err)}
	}
	if r, ok := s.done[c.ID]; ok {
		return c.ID, r
	}
	r := s.exec(c)
	s.done[c.ID] = r
	return c.ID, r
}

func (s *Store) exec(c command) result {
	switch c.F {
	case "write":
		s.kv[c.Key] = c.Value
		return result{}
	case "cas":
		cur, ok := s.kv[c.Key]
		switch {
		case !ok:
			return result{Err: node.NewError(node.CodeKeyDoesNotExist, "key %d does not exist", c.Key)}
		case cur != c.From:
			return result{Err: node.NewError(node.CodePreconditionFailed, "key %d holds %d, not %d", c.Key, cur, c.From)}
		}
		s.kv[c.Key] = c.To
		return result{}
	}
	return result{Err: node.NewError(node.CodeCrash, "unknown command %q", c.F)}
}

// Read answers a read of key from the applied state.
func (s *Store) Read(key int64) result {
	v, ok := s.kv[key]
	if !ok {
		return result{Err: node.NewError(node.CodeKeyDoesNotExist, "key %d does not exist", key)}
	}
	return result{Value: v}
}

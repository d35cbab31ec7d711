package services

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"sync"
)

// seqWindow is how many states seq-kv keeps, as in Maelstrom.
const seqWindow = 32

// version is a key's value from state number state on.
type version struct {
	state uint64
	value []byte
}

// seqKV is seq-kv: the last seqWindow states of the map, stored per key as
// versions, and the last state each caller observed.
type seqKV struct {
	mu     sync.Mutex
	rng    *rand.Rand
	newest uint64               // number of the newest state; 0 is the empty map
	keys   map[string][]version // ascending by state
	seen   map[string]uint64    // caller → last state it observed
}

func newSeqKV(rng *rand.Rand) *seqKV {
	return &seqKV{rng: rng, keys: map[string][]version{}, seen: map[string]uint64{}}
}

// oldest is the number of the oldest state kept.
func (s *seqKV) oldest() uint64 {
	if s.newest < seqWindow {
		return 0
	}
	return s.newest - (seqWindow - 1)
}

// at returns key's value in state number state.
func (s *seqKV) at(key string, state uint64) ([]byte, bool) {
	vs := s.keys[key]
	for i := len(vs) - 1; i >= 0; i-- {
		if vs[i].state <= state {
			return vs[i].value, true
		}
	}
	return nil, false
}

// Handle implements Service: speculate on a random state between the
// caller's last and the newest (exclusive); if that would change the state,
// run on the newest and append the result (see the package comment).
func (s *seqKV) Handle(src string, body json.RawMessage) any {
	op, bad := parseKV(body)
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()

	from := max(s.seen[src], s.oldest())
	state := from
	if s.newest > from {
		state = from + s.rng.Uint64N(s.newest-from)
	}
	cur, present := s.at(op.key, state)
	reply, next, store := op.eval(cur, present)
	if !changes(cur, present, next, store) {
		s.seen[src] = state
		return reply
	}

	cur, present = s.at(op.key, s.newest)
	reply, next, store = op.eval(cur, present)
	s.newest++
	s.seen[src] = s.newest
	if changes(cur, present, next, store) {
		s.record(op.key, next)
	}
	return reply
}

// record makes value key's value from the newest state on, dropping the
// key's versions that no kept state needs any more.
func (s *seqKV) record(key string, value []byte) {
	vs := append(s.keys[key], version{state: s.newest, value: value})
	keep := 0 // the last version in force at the oldest kept state
	for i, v := range vs {
		if v.state <= s.oldest() {
			keep = i
		}
	}
	s.keys[key] = slices.Delete(vs, 0, keep)
}

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
	value value
}

// seqKV is seq-kv: the last seqWindow states of the map, stored per key as
// versions, and the index each caller last stood at.
type seqKV struct {
	mu     sync.Mutex
	rng    *rand.Rand
	newest uint64               // number of the newest state; 0 is the empty map
	keys   map[string][]version // by the key's eq; ascending by state
	seen   map[string]uint64    // caller → index it last stood at (0 at first)
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

// served is the state Maelstrom's ring buffer hands out for index (at most
// newest): the kept state whose number is congruent to index modulo the
// window. That is index itself while index is still kept; an index that
// fell out of the window wraps to a newer state.
func served(newest, index uint64) uint64 {
	return newest - (newest-index)%seqWindow
}

// at returns key's value in state number state (a kept one).
func (s *seqKV) at(key string, state uint64) (value, bool) {
	vs := s.keys[key]
	for i := len(vs) - 1; i >= 0; i-- {
		if vs[i].state <= state {
			return vs[i].value, true
		}
	}
	return value{}, false
}

// Handle implements Service: speculate on the state served for a random
// index between the caller's and the newest (both included); if that would
// change the state, run on the newest and append the result (see the
// package comment).
func (s *seqKV) Handle(src string, body json.RawMessage) any {
	op, bad := parseKV(body)
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()

	from := s.seen[src]
	index := from + s.rng.Uint64N(s.newest-from+1)
	state := served(s.newest, index)
	cur, present := s.at(op.key.eq, state)
	reply, next, store := op.eval(persistentKV, cur, present)
	if !changes(cur, present, next, store) {
		s.seen[src] = index
		return reply
	}

	cur, present = s.at(op.key.eq, s.newest)
	reply, next, store = op.eval(persistentKV, cur, present)
	s.newest++
	s.seen[src] = s.newest
	if store {
		s.record(op.key.eq, next.stored())
	}
	return reply
}

// record makes v key's value from the newest state on, dropping the key's
// versions that no kept state needs any more.
func (s *seqKV) record(key string, v value) {
	vs := append(s.keys[key], version{state: s.newest, value: v})
	keep := 0 // the last version in force at the oldest kept state
	for i, ver := range vs {
		if ver.state <= s.oldest() {
			keep = i
		}
	}
	s.keys[key] = slices.Delete(vs, 0, keep)
}

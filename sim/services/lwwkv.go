package services

import (
	"encoding/json"
	"math/rand/v2"
	"sync"
)

// lwwReplicas is how many replicas lww-kv simulates (Maelstrom's default).
const lwwReplicas = 2

// lwwEntry is one replica's value of a key, stamped by the replica that
// wrote it.
type lwwEntry struct {
	value  []byte
	ts     uint64
	origin int // index of the replica that wrote it; breaks timestamp ties
}

// newer reports whether e wins over o under last-write-wins.
func (e lwwEntry) newer(o lwwEntry) bool {
	return e.ts > o.ts || e.ts == o.ts && e.origin > o.origin
}

// lwwReplica is one replica: its Lamport clock and its map.
type lwwReplica struct {
	clock uint64
	m     map[string]lwwEntry
}

// mergeFrom folds o's entries and clock into r.
func (r *lwwReplica) mergeFrom(o *lwwReplica) {
	for k, e := range o.m {
		if cur, ok := r.m[k]; !ok || e.newer(cur) {
			r.m[k] = e
		}
	}
	r.clock = max(r.clock, o.clock)
}

// lwwKV is lww-kv: independent replicas merged pairwise on each request.
type lwwKV struct {
	mu       sync.Mutex
	rng      *rand.Rand
	replicas []lwwReplica
}

func newLWWKV(n int, rng *rand.Rand) *lwwKV {
	s := &lwwKV{rng: rng, replicas: make([]lwwReplica, n)}
	for i := range s.replicas {
		s.replicas[i].m = map[string]lwwEntry{}
	}
	return s
}

// Handle implements Service: merge one random replica into another, then
// run the request on a random replica.
func (s *lwwKV) Handle(_ string, body json.RawMessage) any {
	op, bad := parseKV(body)
	if bad != nil {
		return *bad
	}
	op.create = false // Maelstrom's lww-kv ignores create_if_not_exists

	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.replicas)
	if src, dst := s.rng.IntN(n), s.rng.IntN(n); src != dst {
		s.replicas[dst].mergeFrom(&s.replicas[src])
	}
	i := s.rng.IntN(n)
	r := &s.replicas[i]
	e, present := r.m[op.key]
	reply, next, store := op.eval(e.value, present)
	if store {
		r.m[op.key] = lwwEntry{value: next, ts: r.clock, origin: i}
		r.clock++
	}
	return reply
}

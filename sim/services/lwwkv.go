package services

import (
	"encoding/json"
	"math/rand/v2"
	"sync"
)

// lwwReplicas is how many replicas lww-kv simulates (Maelstrom's default).
const lwwReplicas = 2

// lwwKV is lww-kv: independent replicas, each request served by one chosen
// at random. Maelstrom also merges a random pair of replicas on every
// request but throws the merged replica away, so nothing of the merge (nor
// of the Lamport timestamps it would compare) is observable, and none of it
// is simulated here; see the package comment.
type lwwKV struct {
	mu       sync.Mutex
	rng      *rand.Rand
	replicas []map[string]value // by the key's eq
}

func newLWWKV(n int, rng *rand.Rand) *lwwKV {
	s := &lwwKV{rng: rng, replicas: make([]map[string]value, n)}
	for i := range s.replicas {
		s.replicas[i] = map[string]value{}
	}
	return s
}

// Handle implements Service: run the request on a random replica.
func (s *lwwKV) Handle(_ string, body json.RawMessage) any {
	op, bad := parseKV(body)
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.replicas[s.rng.IntN(len(s.replicas))]
	cur, present := r[op.key.eq]
	reply, next, store := op.eval(lwwKVModel, cur, present)
	if store {
		r[op.key.eq] = next.stored()
	}
	return reply
}

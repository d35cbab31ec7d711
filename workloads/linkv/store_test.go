package linkv

import (
	"encoding/json"
	"testing"

	"github.com/glomers/glomers/node"
)

func apply(t *testing.T, s *Store, c command) result {
	t.Helper()
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	id, res := s.Apply(data)
	if id != c.ID {
		t.Fatalf("applied id %q, want %q", id, c.ID)
	}
	return res
}

func code(r result) int {
	if r.Err == nil {
		return 0
	}
	return r.Err.Code
}

func TestStoreAppliesInOrder(t *testing.T) {
	s := NewStore()
	if got := code(s.Read(1)); got != node.CodeKeyDoesNotExist {
		t.Fatalf("read of a missing key: code %d", got)
	}
	if got := code(apply(t, s, command{ID: "a", F: "cas", Key: 1, From: 0, To: 1})); got != node.CodeKeyDoesNotExist {
		t.Fatalf("cas of a missing key: code %d", got)
	}
	apply(t, s, command{ID: "b", F: "write", Key: 1, Value: 2})
	if got := code(apply(t, s, command{ID: "c", F: "cas", Key: 1, From: 3, To: 4})); got != node.CodePreconditionFailed {
		t.Fatalf("cas from the wrong value: code %d", got)
	}
	if got := code(apply(t, s, command{ID: "d", F: "cas", Key: 1, From: 2, To: 4})); got != 0 {
		t.Fatalf("cas: code %d", got)
	}
	if r := s.Read(1); r.Err != nil || r.Value != 4 {
		t.Fatalf("read = %+v, want 4", r)
	}
	if id, r := s.Apply(nil); id != "" || r.Err != nil {
		t.Fatalf("a no-op applied as %q, %+v", id, r)
	}
}

// TestStoreAppliesADuplicateOnce: a command committed twice (proposed
// again after a leader change) changes the state once and is answered as
// its first copy was, so a cas is never applied twice.
func TestStoreAppliesADuplicateOnce(t *testing.T) {
	s := NewStore()
	apply(t, s, command{ID: "w", F: "write", Key: 1, Value: 0})
	cas := command{ID: "n1/7", F: "cas", Key: 1, From: 0, To: 1}
	if got := code(apply(t, s, cas)); got != 0 {
		t.Fatalf("first cas: code %d", got)
	}
	apply(t, s, command{ID: "w2", F: "write", Key: 1, Value: 0})
	if got := code(apply(t, s, cas)); got != 0 {
		t.Fatalf("the duplicate was answered %d, not as the first copy", got)
	}
	if r := s.Read(1); r.Value != 0 {
		t.Fatalf("the duplicate cas took effect again: %+v", r)
	}
}

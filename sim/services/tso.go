package services

import (
	"encoding/json"
	"sync"

	"github.com/glomers/glomers/node"
)

// linTSO is lin-tso: a counter under a mutex.
type linTSO struct {
	mu   sync.Mutex
	next int64
}

// Handle implements Service: ts → ts_ok with the next integer.
func (s *linTSO) Handle(_ string, body json.RawMessage) any {
	typ, bad := requestType(body)
	if bad != nil {
		return *bad
	}
	if typ != "ts" {
		return errReply(node.CodeNotSupported, "unsupported request type %q", typ)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.next
	s.next++
	return tsReply{Type: "ts_ok", TS: ts}
}

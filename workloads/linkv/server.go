package linkv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/glomers/glomers/node"
	"github.com/glomers/glomers/workloads/raft"
)

// server is the node's edge around Raft: the mutex that serialises the
// core and the store, the wall clock, message I/O, and the requests
// waiting for their answer.
type server struct {
	n    *node.Node
	ids  []string // every node, by Raft index
	self int
	cfg  config

	mu     sync.Mutex // guards everything below
	raft   *raft.Raft
	store  *Store
	seq    uint64         // last request number used on this node
	ops    map[uint64]*op // requests waiting for an answer, by number
	leader int            // the leader ops were last handed to (-1: none)
	term   uint64         // and its term
}

// op is one client request waiting at this node.
type op struct {
	seq  uint64
	read bool
	key  int64   // read
	cmd  command // write, cas
	// submitted: handed to Raft at least once. A submitted write may be
	// in some log and take effect later, so it is never refused.
	submitted bool
	deadline  time.Time   // when the node gives up waiting (checked by tick)
	done      chan result // buffered: the answer, sent once
}

var errIsolated = node.NewError(node.CodeTemporarilyUnavailable, "this node cannot reach a majority of the cluster")

// do runs one request: it refuses it at once if this node is isolated,
// otherwise hands it to Raft and waits for its answer.
func (s *server) do(ctx context.Context, o *op) (result, error) {
	o.done = make(chan result, 1)
	s.mu.Lock()
	if s.raft.Status().Isolated {
		s.mu.Unlock()
		return result{}, errIsolated
	}
	s.seq++
	o.seq = s.seq
	o.cmd.ID = fmt.Sprintf("%s/%d", s.ids[s.self], o.seq)
	o.deadline = time.Now().Add(s.cfg.OpTimeout)
	s.ops[o.seq] = o
	msgs := s.submit(o, nil)
	s.mu.Unlock()
	s.send(msgs)

	// The wait ends with the answer, or when tick finds the deadline past
	// (a timer of the request's own could fire at the same instant as a
	// tick and race it, and the simulator could no longer replay a run).
	select {
	case res := <-o.done:
		if res.Err != nil {
			return result{}, res.Err
		}
		return res, nil
	case <-ctx.Done():
		s.mu.Lock()
		delete(s.ops, o.seq)
		s.mu.Unlock()
		return result{}, ctx.Err()
	}
}

// expire answers the waiting requests whose deadline has passed: a read
// certainly had no effect (11), a write or cas may yet take effect (0).
func (s *server) expire(now time.Time) {
	for _, o := range s.waiting() {
		switch {
		case now.Before(o.deadline):
		case o.read:
			s.answer(o, result{Err: node.NewError(node.CodeTemporarilyUnavailable, "read not confirmed in %v", s.cfg.OpTimeout)})
		default:
			s.answer(o, result{Err: node.NewError(node.CodeTimeout, "%s not known to be committed after %v; it may still be", o.cmd.F, s.cfg.OpTimeout)})
		}
	}
}

// submit hands o to Raft, appending what that produces to msgs. With no
// known leader o stays unsubmitted and waits for one (resubmit).
func (s *server) submit(o *op, msgs []raft.Message) []raft.Message {
	var (
		rd  raft.Ready
		err error
	)
	if o.read {
		rd, err = s.raft.ReadIndex(o.seq)
	} else {
		data, _ := json.Marshal(o.cmd) // ints and strings always encode
		rd, err = s.raft.Propose(data)
	}
	if err == nil {
		o.submitted = true
	} else if !errors.Is(err, raft.ErrNoLeader) {
		panic(err) // the core returns no other error
	}
	return append(msgs, s.handle(rd)...)
}

// handle applies what Raft produced, answers the requests it completes,
// and returns its messages for the caller to send once the mutex is
// released. Then it looks at where Raft stands: under a new leader every
// waiting request is handed over again (writes are idempotent by id, reads
// harmless), since the old leader may have lost them; once Isolated, every
// read and every write never handed over is refused.
func (s *server) handle(rd raft.Ready) []raft.Message {
	for _, e := range rd.Committed {
		id, res := s.store.Apply(e.Data)
		if o := s.opOf(id); o != nil {
			s.answer(o, res)
		}
	}
	for _, r := range rd.Reads {
		if o, ok := s.ops[r.ID]; ok && o.read {
			s.answer(o, s.store.Read(o.key))
		}
	}
	msgs := rd.Messages
	st := s.raft.Status()
	switch {
	case st.Leader >= 0 && (st.Leader != s.leader || st.Term != s.term):
		s.leader, s.term = st.Leader, st.Term
		for _, o := range s.waiting() {
			msgs = s.submit(o, msgs)
		}
	case st.Leader < 0:
		s.leader = -1
	}
	if st.Isolated {
		for _, o := range s.waiting() {
			if o.read || !o.submitted {
				s.answer(o, result{Err: errIsolated})
			}
		}
	}
	return msgs
}

// waiting lists the waiting requests in the order they arrived, so that a
// node resubmits them in the same order on every run with the same seed
// (a map's order would not be).
func (s *server) waiting() []*op {
	ops := make([]*op, 0, len(s.ops))
	for _, n := range slices.Sorted(maps.Keys(s.ops)) {
		ops = append(ops, s.ops[n])
	}
	return ops
}

// opOf is the waiting write of this node that a command id names, if any.
func (s *server) opOf(id string) *op {
	rest, ok := strings.CutPrefix(id, s.ids[s.self]+"/")
	if !ok {
		return nil
	}
	seq, err := strconv.ParseUint(rest, 10, 64)
	if o := s.ops[seq]; err == nil && o != nil && !o.read {
		return o
	}
	return nil
}

// answer completes o with res.
func (s *server) answer(o *op, res result) {
	delete(s.ops, o.seq)
	o.done <- res
}

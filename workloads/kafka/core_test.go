package kafka

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
)

var twoNodes = []string{"n0", "n1"}

// keyOwnedBy returns a key whose owner among nodes is owner.
func keyOwnedBy(t *testing.T, owner string, nodes []string) string {
	t.Helper()
	for i := range 1000 {
		if k := fmt.Sprint(i); Owner(k, nodes) == owner {
			return k
		}
	}
	t.Fatalf("no key owned by %s", owner)
	return ""
}

func msg(v int) json.RawMessage { return json.RawMessage(fmt.Sprint(v)) }

// resolved returns the ticket's result, failing if it has none yet.
func resolved(t *testing.T, tk Ticket) Result {
	t.Helper()
	select {
	case r := <-tk:
		return r
	default:
		t.Fatal("ticket not resolved")
		return Result{}
	}
}

func unresolved(t *testing.T, tk Ticket) {
	t.Helper()
	select {
	case r := <-tk:
		t.Fatalf("ticket resolved early with %+v", r)
	default:
	}
}

// flush cuts and makes durable the next chunk of c, returning it.
func flush(t *testing.T, c *Core) (int64, *Chunk) {
	t.Helper()
	seq, chunk, ok := c.Take()
	if !ok {
		t.Fatal("nothing to take")
	}
	if err := c.Durable(seq); err != nil {
		t.Fatal(err)
	}
	return seq, chunk
}

func TestOwnerCoversNodesDeterministically(t *testing.T) {
	nodes := []string{"n0", "n1", "n2"}
	seen := map[string]bool{}
	for i := range 100 {
		k := fmt.Sprint(i)
		o := Owner(k, nodes)
		if o != Owner(k, nodes) {
			t.Fatalf("owner of %q not stable", k)
		}
		seen[o] = true
	}
	if len(seen) != len(nodes) {
		t.Fatalf("100 keys spread over %v only", seen)
	}
}

func TestSingleNodeOffsetsAndPolls(t *testing.T) {
	c := NewCore("n0", []string{"n0"})
	a0, a1, b0 := c.Send("a", msg(10)), c.Send("a", msg(11)), c.Send("b", msg(20))
	unresolved(t, a0)
	_, chunk := flush(t, c)
	if len(chunk.Entries) != 3 || len(chunk.Proposals) != 0 {
		t.Fatalf("chunk = %+v", chunk)
	}
	a2 := c.Send("a", msg(12))
	if poll := c.Poll(map[string]int64{"a": 2}, 10); len(poll) != 0 {
		t.Fatalf("entry visible before durable: %v", poll)
	}
	flush(t, c)
	for _, tc := range []struct {
		tk   Ticket
		want int64
	}{{a0, 0}, {a1, 1}, {b0, 0}, {a2, 2}} {
		if r := resolved(t, tc.tk); r.Err != nil || r.Offset != tc.want {
			t.Fatalf("got %+v, want offset %d", r, tc.want)
		}
	}

	tests := []struct {
		name  string
		from  map[string]int64
		limit int
		want  map[string][]Pair
	}{
		{"from start", map[string]int64{"a": 0}, 10, map[string][]Pair{"a": {{0, msg(10)}, {1, msg(11)}, {2, msg(12)}}}},
		{"middle", map[string]int64{"a": 1, "b": 0}, 10, map[string][]Pair{"a": {{1, msg(11)}, {2, msg(12)}}, "b": {{0, msg(20)}}}},
		{"past end and unknown key omitted", map[string]int64{"a": 3, "zz": 0}, 10, map[string][]Pair{}},
		{"negative reads from 0", map[string]int64{"b": -4}, 10, map[string][]Pair{"b": {{0, msg(20)}}}},
		{"limit cuts each key's run", map[string]int64{"a": 0, "b": 0}, 2, map[string][]Pair{"a": {{0, msg(10)}, {1, msg(11)}}, "b": {{0, msg(20)}}}},
		{"limit from the middle", map[string]int64{"a": 1}, 1, map[string][]Pair{"a": {{1, msg(11)}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.Poll(tc.from, tc.limit); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Poll(%v) = %v, want %v", tc.from, got, tc.want)
			}
		})
	}
}

func TestOneChunkInFlight(t *testing.T) {
	c := NewCore("n0", []string{"n0"})
	if _, _, ok := c.Take(); ok {
		t.Fatal("took an empty chunk")
	}
	c.Send("a", msg(1))
	seq, _, _ := c.Take()
	c.Send("a", msg(2))
	if _, _, ok := c.Take(); ok {
		t.Fatal("took a second chunk while the first is in flight")
	}
	if err := c.Durable(seq + 1); err == nil {
		t.Fatal("Durable accepted a chunk that is not in flight")
	}
	if err := c.Durable(seq); err != nil {
		t.Fatal(err)
	}
	next, chunk, ok := c.Take()
	if !ok || next != seq+1 || chunk.Entries[0].Offset != 1 {
		t.Fatalf("second chunk: seq %d ok %v %+v", next, ok, chunk)
	}
}

// TestProposalRoundTrip follows a send to a key owned by the other node:
// proposal in the receiver's chunk, entry in the owner's, answer at the
// receiver, and the same log on both.
func TestProposalRoundTrip(t *testing.T) {
	n0, n1 := NewCore("n0", twoNodes), NewCore("n1", twoNodes)
	key := keyOwnedBy(t, "n1", twoNodes)

	early := n1.Send(key, msg(1)) // the owner's own send comes first
	tk := n0.Send(key, msg(2))
	seq0, prop := flush(t, n0)
	if len(prop.Proposals) != 1 || len(prop.Entries) != 0 {
		t.Fatalf("proposing chunk = %+v", prop)
	}
	unresolved(t, tk)
	if !n0.Awaiting("n1") || n1.Awaiting("n0") {
		t.Fatal("Awaiting: the proposer must wait for the owner, and only it")
	}

	if err := n1.Receive("n0", seq0, prop); err != nil {
		t.Fatal(err)
	}
	seq1, owned := flush(t, n1)
	want := []Entry{{Key: key, Offset: 0, Msg: msg(1)}, {Key: key, Offset: 1, Msg: msg(2), From: "n0", ID: 1}}
	if !reflect.DeepEqual(owned.Entries, want) {
		t.Fatalf("owner's entries = %+v, want %+v", owned.Entries, want)
	}
	if r := resolved(t, early); r.Offset != 0 {
		t.Fatalf("owner's send got %+v", r)
	}
	unresolved(t, tk)

	if err := n0.Receive("n1", seq1, owned); err != nil {
		t.Fatal(err)
	}
	if r := resolved(t, tk); r.Err != nil || r.Offset != 1 {
		t.Fatalf("proposed send got %+v, want offset 1", r)
	}
	if n0.Awaiting("n1") {
		t.Fatal("still awaiting the owner after its answer")
	}
	from := map[string]int64{key: 0}
	if p0, p1 := n0.Poll(from, 10), n1.Poll(from, 10); !reflect.DeepEqual(p0, p1) || len(p0[key]) != 2 {
		t.Fatalf("logs differ: n0 %v, n1 %v", p0, p1)
	}
	// The proposer applying its own chunk, or the owner seeing it again,
	// must not assign the proposal twice.
	if err := n1.Receive("n0", seq0, prop); err != nil {
		t.Fatal(err)
	}
	if n1.Pending() {
		t.Fatal("a duplicate chunk queued its proposal again")
	}
}

func TestReceiveAppliesInOrderOnce(t *testing.T) {
	writer := NewCore("n1", twoNodes)
	key := keyOwnedBy(t, "n1", twoNodes)
	var chunks []*Chunk
	for i := range 4 {
		writer.Send(key, msg(i))
		_, c := flush(t, writer)
		chunks = append(chunks, c)
	}
	tests := []struct {
		name  string
		order []int64
		want  int // entries applied at the end
	}{
		{"in order", []int64{0, 1, 2, 3}, 4},
		{"reversed", []int64{3, 2, 1, 0}, 4},
		{"duplicates", []int64{0, 0, 2, 1, 2, 1, 3, 3}, 4},
		{"gap never filled", []int64{0, 2, 3}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewCore("n0", twoNodes)
			for _, seq := range tc.order {
				if err := r.Receive("n1", seq, chunks[seq]); err != nil {
					t.Fatal(err)
				}
			}
			got := r.Poll(map[string]int64{key: 0}, 10)[key]
			if len(got) != tc.want {
				t.Fatalf("applied %v, want %d entries", got, tc.want)
			}
			for i, p := range got {
				if p.Offset != int64(i) || string(p.Msg) != fmt.Sprint(i) {
					t.Fatalf("entry %d = %+v", i, p)
				}
			}
			if gap := r.Gap("n1"); gap != (tc.want < 4) {
				t.Fatalf("Gap = %v", gap)
			}
		})
	}
}

func TestReceiveReportsEntriesThatDoNotFit(t *testing.T) {
	k, foreign := keyOwnedBy(t, "n1", twoNodes), keyOwnedBy(t, "n0", twoNodes)
	tests := []struct {
		name    string
		entries []Entry
	}{
		{"gap", []Entry{{Key: k, Offset: 0, Msg: msg(1)}, {Key: k, Offset: 5, Msg: msg(2)}}},
		{"repeated offset", []Entry{{Key: k, Offset: 0, Msg: msg(1)}, {Key: k, Offset: 0, Msg: msg(3)}}},
		{"key of another owner", []Entry{{Key: k, Offset: 0, Msg: msg(1)}, {Key: foreign, Offset: 0, Msg: msg(4)}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewCore("n0", twoNodes)
			if err := r.Receive("n1", 0, &Chunk{Entries: tc.entries}); err == nil {
				t.Fatal("went unreported")
			}
			got := r.Poll(map[string]int64{k: 0, foreign: 0}, 10)
			if len(got) != 1 || len(got[k]) != 1 || string(got[k][0].Msg) != "1" {
				t.Fatalf("logs = %v, want only the entry that fits", got)
			}
		})
	}
}

func TestCommittedIsMaxOverStreams(t *testing.T) {
	n0, n1 := NewCore("n0", twoNodes), NewCore("n1", twoNodes)
	done := n0.Commit(map[string]int64{"a": 5, "b": 1})
	n0.Commit(map[string]int64{"a": 3}) // lower: must not win
	if got := n0.Committed([]string{"a"}); len(got) != 0 {
		t.Fatalf("commit visible before durable: %v", got)
	}
	seq, chunk := flush(t, n0)
	if r := resolved(t, done); r.Err != nil {
		t.Fatal(r.Err)
	}
	if !reflect.DeepEqual(chunk.Commits, map[string]int64{"a": 5, "b": 1}) {
		t.Fatalf("commits in chunk = %v", chunk.Commits)
	}
	n1.Commit(map[string]int64{"a": 4, "b": 7})
	seq1, chunk1 := flush(t, n1)
	n1.Receive("n0", seq, chunk)
	n0.Receive("n1", seq1, chunk1)
	want := map[string]int64{"a": 5, "b": 7}
	for _, c := range []*Core{n0, n1} {
		if got := c.Committed([]string{"a", "b", "c"}); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s committed = %v, want %v", c.self, got, want)
		}
	}
	if r := resolved(t, n0.Commit(nil)); r.Err != nil {
		t.Fatal("empty commit not acknowledged at once")
	}
}

func TestCloseFailsEveryWaiter(t *testing.T) {
	c := NewCore("n0", twoNodes)
	own, other := keyOwnedBy(t, "n0", twoNodes), keyOwnedBy(t, "n1", twoNodes)
	inflight := c.Send(own, msg(1))
	c.Take()
	queued, proposed, commit := c.Send(own, msg(2)), c.Send(other, msg(3)), c.Commit(map[string]int64{own: 0})
	stop := errors.New("stopping")
	c.Close(stop)
	for _, tk := range []Ticket{inflight, queued, proposed, commit, c.Send(own, msg(4)), c.Commit(map[string]int64{own: 1})} {
		if r := resolved(t, tk); !errors.Is(r.Err, stop) {
			t.Fatalf("got %+v, want the close error", r)
		}
	}
	if _, _, ok := c.Take(); ok {
		t.Fatal("took a chunk after Close")
	}
}

package listappend

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// fakeKV is lin-kv as the core sees it: the root and the chunks, with
// Maelstrom's cas semantics and error text.
type fakeKV struct {
	root   string
	exists bool
	chunks map[int][]byte
}

// cas returns nil, or the text of error 22.
func (kv *fakeKV) cas(from, to string, create bool) (ok bool, text string) {
	if !kv.exists {
		if !create {
			panic("cas of a missing root without create")
		}
		kv.root, kv.exists = to, true
		return true, ""
	}
	if kv.root != from {
		return false, fmt.Sprintf("current value %q is not %q", kv.root, from)
	}
	kv.root = to
	return true, ""
}

// cluster is n cores over one fakeKV, with what each attempt decided.
type cluster struct {
	t     *testing.T
	kv    fakeKV
	cores []*Core
	won   map[string][]Txn // attempt → results, answered
	lost  map[string]bool
	props map[string][]Txn // attempt → the transactions it carried
}

func newCluster(t *testing.T, n, chunk int) *cluster {
	c := &cluster{t: t, kv: fakeKV{chunks: map[int][]byte{}}, won: map[string][]Txn{}, lost: map[string]bool{}, props: map[string][]Txn{}}
	for i := range n {
		core, err := NewCore(fmt.Sprintf("n%d", i), chunk)
		if err != nil {
			t.Fatal(err)
		}
		c.cores = append(c.cores, core)
	}
	return c
}

// settle records an outcome; results come from the attempts made.
func (c *cluster) settle(out Outcome, made map[string]*Attempt) {
	for _, id := range out.Won {
		if _, dup := c.won[id]; dup || c.lost[id] {
			c.t.Fatalf("attempt %s decided twice", id)
		}
		c.won[id] = made[id].Results
	}
	for _, id := range out.Lost {
		if _, dup := c.won[id]; dup {
			c.t.Fatalf("attempt %s both won and lost", id)
		}
		c.lost[id] = true
	}
}

// learn brings core i up to the root in kv (or to v), reading chunks.
func (c *cluster) learn(i int, v string, made map[string]*Attempt) {
	for {
		out, need, err := c.cores[i].Learn(v)
		if err != nil {
			c.t.Fatal(err)
		}
		c.settle(out, made)
		if len(need) == 0 {
			return
		}
		size, _ := ChunkSize(v)
		for _, j := range need {
			raw, ok := c.kv.chunks[j]
			if !ok {
				c.t.Fatalf("chunk %d needed but never written", j)
			}
			var entries []Entry
			if err := json.Unmarshal(raw, &entries); err != nil {
				c.t.Fatal(err)
			}
			if err := c.cores[i].AddChunk(j, entries, size); err != nil {
				c.t.Fatal(err)
			}
		}
	}
}

// randomTxns makes a batch over a few keys; every element is unique.
func randomTxns(r *rand.Rand, next *int, readOnly bool) []Txn {
	txns := make([]Txn, 1+r.IntN(4))
	for i := range txns {
		t := make(Txn, 1+r.IntN(4))
		for j := range t {
			k := json.RawMessage(fmt.Sprint(r.IntN(5)))
			if readOnly || r.IntN(2) == 0 {
				t[j] = Op{F: Read, Key: k}
			} else {
				*next++
				t[j] = Op{F: Append, Key: k, Elem: json.RawMessage(fmt.Sprint(*next))}
			}
		}
		txns[i] = t
	}
	return txns
}

// TestCoreSerializable drives three cores against one lin-kv with random
// interleavings, conflicts, lost cas replies and lost cas requests, and
// checks that the log is a serial history: each attempt decided won is in
// the log exactly once and its transactions read exactly what running the
// log in order gives; each attempt decided lost is not in the log; and
// every core ends with the state the log makes.
func TestCoreSerializable(t *testing.T) {
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 1))
			c := newCluster(t, 3, 1+r.IntN(4))
			made := map[string]*Attempt{}
			next := 0
			for range 400 {
				i := r.IntN(len(c.cores))
				core := c.cores[i]
				if r.IntN(5) == 0 { // a read-only batch: read the root, learn it, run
					c.learn(i, c.kv.root, made)
					core.Run(randomTxns(r, &next, true))
					continue
				}
				txns := randomTxns(r, &next, false)
				a := core.Propose(txns)
				made[a.ID], c.props[a.ID] = a, txns
				if a.Chunk != nil {
					b, _ := json.Marshal(a.Chunk.Entries)
					c.kv.chunks[a.Chunk.Index] = b
				}
				switch r.IntN(10) {
				case 0: // the request is lost: the attempt stays open
					continue
				case 1: // applied, but the reply is lost: learnt later
					if ok, _ := c.kv.cas(a.From, a.To, a.Create()); ok {
						continue
					}
					c.settle(core.Fail(a), made)
					c.learn(i, c.kv.root, made)
					continue
				}
				ok, text := c.kv.cas(a.From, a.To, a.Create())
				if ok {
					out, err := core.Commit(a)
					if err != nil {
						t.Fatal(err)
					}
					c.settle(out, made)
					continue
				}
				c.settle(core.Fail(a), made)
				v, parsed := RootFromError(text)
				if !parsed || v != c.kv.root {
					t.Fatalf("root not recovered from %q", text)
				}
				c.learn(i, v, made)
			}
			for i := range c.cores {
				c.learn(i, c.kv.root, made)
			}
			c.check(made)
		})
	}
}

// check replays the log in lin-kv and compares.
func (c *cluster) check(made map[string]*Attempt) {
	t := c.t
	log := c.log()
	state := map[string][]json.RawMessage{}
	seen := map[string]bool{}
	for _, e := range log {
		if seen[e.ID] {
			t.Fatalf("attempt %s twice in the log", e.ID)
		}
		seen[e.ID] = true
		results, ok := c.won[e.ID]
		if !ok {
			t.Fatalf("attempt %s is in the log but was not decided won (lost: %v)", e.ID, c.lost[e.ID])
		}
		want := serialRun(state, c.props[e.ID])
		got, _ := json.Marshal(results)
		if w, _ := json.Marshal(want); string(got) != string(w) {
			t.Fatalf("attempt %s read %s, serially %s", e.ID, got, w)
		}
	}
	for id := range c.won {
		if !seen[id] {
			t.Fatalf("attempt %s decided won but not in the log", id)
		}
	}
	if len(c.won) < 100 {
		t.Fatalf("only %d attempts won", len(c.won))
	}
	for i, core := range c.cores {
		if core.Len() != len(log) {
			t.Fatalf("core %d at entry %d of %d", i, core.Len(), len(log))
		}
		for k, l := range state {
			if !slices.EqualFunc(core.lists[k], l, func(a, b json.RawMessage) bool { return string(a) == string(b) }) {
				t.Fatalf("core %d key %s: %s, log says %s", i, k, core.lists[k], l)
			}
		}
	}
}

// log is the whole log as lin-kv holds it.
func (c *cluster) log() []Entry {
	if !c.kv.exists {
		return nil
	}
	r, err := decodeRoot(c.kv.root)
	if err != nil {
		c.t.Fatal(err)
	}
	var out []Entry
	for j := range r.C {
		var es []Entry
		if err := json.Unmarshal(c.kv.chunks[j], &es); err != nil {
			c.t.Fatal(err)
		}
		out = append(out, es...)
	}
	return append(out, r.Tail...)
}

// serialRun runs txns against state (and updates it), independently of Core.
func serialRun(state map[string][]json.RawMessage, txns []Txn) []Txn {
	out := make([]Txn, len(txns))
	for i, t := range txns {
		out[i] = slices.Clone(t)
		for j, o := range t {
			k := string(o.Key)
			if o.F == Append {
				state[k] = append(state[k], o.Elem)
			} else if l := state[k]; len(l) > 0 {
				out[i][j].List = slices.Clone(l)
			}
		}
	}
	return out
}

func TestRootFromError(t *testing.T) {
	root := rootState{N: 1, S: 2, Tail: []Entry{{ID: "n0.1", Appends: []Element{{json.RawMessage(`"k\""`), json.RawMessage(`[1]`)}}}}}.encode()
	text := fmt.Sprintf("current value %q is not %q", root, "x")
	if v, ok := RootFromError(text); !ok || v != root {
		t.Fatalf("RootFromError(%q) = %q, %v", text, v, ok)
	}
	for _, bad := range []string{"", "key does not exist", `current value 3 is not "x"`, `current value "a b" is not "x"`, `current value "" is not "x"`} {
		if v, ok := RootFromError(bad); ok {
			t.Errorf("RootFromError(%q) = %q, want no root", bad, v)
		}
	}
}

// TestCoreChunks checks that the root keeps fewer than twice the chunk
// size inline and that a core far behind reads each chunk it lacks, once.
func TestCoreChunks(t *testing.T) {
	c := newCluster(t, 2, 3)
	made := map[string]*Attempt{}
	next := 0
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		a := c.cores[0].Propose(randomTxns(r, &next, false))
		made[a.ID], c.props[a.ID] = a, nil
		if a.Chunk != nil {
			b, _ := json.Marshal(a.Chunk.Entries)
			c.kv.chunks[a.Chunk.Index] = b
		}
		if ok, _ := c.kv.cas(a.From, a.To, a.Create()); !ok {
			t.Fatal("lone writer conflicted")
		}
		out, err := c.cores[0].Commit(a)
		if err != nil {
			t.Fatal(err)
		}
		c.settle(out, made)
		if st, _ := decodeRoot(a.To); len(st.Tail) >= 6 {
			t.Fatalf("tail of %d entries with chunk size 3", len(st.Tail))
		}
	}
	_, need, err := c.cores[1].Learn(c.kv.root)
	if err != nil || !slices.Equal(need, []int{0, 1, 2, 3, 4}) {
		t.Fatalf("need %v, %v; want chunks 0..4", need, err)
	}
	c.learn(1, c.kv.root, made)
	if c.cores[1].Len() != 20 {
		t.Fatalf("behind core at %d of 20", c.cores[1].Len())
	}
}

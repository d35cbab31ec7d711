package listappend

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Keys of the workload's state in lin-kv.
const RootKey = "root"

// ChunkKey is the lin-kv key of chunk j: log entries j·S+1 … (j+1)·S, where
// S is the root's chunk size.
func ChunkKey(j int) string { return fmt.Sprintf("chunk-%d", j) }

// Entry is one commit in the log: the appends of one batch of
// transactions, in the order they ran, tagged with the attempt that made
// it.
type Entry struct {
	ID      string    `json:"i"`
	Appends []Element `json:"a"`
}

// Element is one append: [key, element], both compact JSON.
type Element [2]json.RawMessage

// rootState is the decoded root: how long the log is, and where its
// entries are. Entries 1 … C·S live in chunks of S entries each; the rest,
// C·S+1 … N, are inline in Tail.
type rootState struct {
	N    int     `json:"n"`
	S    int     `json:"s"`
	C    int     `json:"c"`
	Tail []Entry `json:"t"`
}

// encode renders the root as lin-kv stores it: base64url of its JSON, an
// alphabet that Maelstrom's pr-str prints without escapes, so that the
// value can be read back out of a failed cas's error text.
func (r rootState) encode() string {
	b, err := json.Marshal(r)
	if err != nil {
		panic(fmt.Sprintf("listappend: encode root: %v", err)) // raw JSON and ints always encode
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeRoot(v string) (rootState, error) {
	var r rootState
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err == nil {
		err = json.Unmarshal(b, &r)
	}
	if err != nil {
		return r, fmt.Errorf("root %.40q: %w", v, err)
	}
	if r.S < 1 || r.C < 0 || r.N != r.C*r.S+len(r.Tail) {
		return r, fmt.Errorf("root %.40q: inconsistent (n %d, s %d, c %d, tail %d)", v, r.N, r.S, r.C, len(r.Tail))
	}
	return r, nil
}

// RootFromError extracts the current root from the text of a failed cas,
// which Maelstrom's lin-kv writes as `current value "<root>" is not
// "<from>"`. ok is false when the text does not have that shape; the
// caller then reads the root instead.
func RootFromError(text string) (root string, ok bool) {
	const prefix = `current value "`
	i := strings.Index(text, prefix)
	if i < 0 {
		return "", false
	}
	rest := text[i+len(prefix):]
	j := strings.IndexByte(rest, '"')
	if j <= 0 {
		return "", false
	}
	root = rest[:j]
	for _, c := range root {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return "", false
		}
	}
	return root, true
}

// Attempt is one proposed commit: a cas of the root from From to To,
// preceded, when Chunk is set, by the write of that chunk (which To refers
// to). Results are the batch's transactions as they ran, to answer if the
// attempt is decided won.
type Attempt struct {
	ID      string
	From    string // "" when no root exists yet: cas with create_if_not_exists
	To      string
	Chunk   *Chunk
	Results []Txn

	fromN int
	entry Entry
	next  rootState
}

// Create reports whether the cas must create the root.
func (a *Attempt) Create() bool { return a.From == "" }

// Chunk is a chunk to write before the cas: Entries under ChunkKey(Index).
type Chunk struct {
	Index   int
	Entries []Entry
}

// Outcome says which attempts were decided: Won ones are in the log (answer
// their transactions with their Results), Lost ones never will be.
type Outcome struct {
	Won, Lost []string
}

// Core is one node's view of the log and the state it makes, with no I/O
// and no locking: its owner serialises calls. It proposes commits of
// batches against the newest root it knows, and learns newer roots from
// lin-kv's answers, applying their entries once each, in order.
type Core struct {
	self string
	size int // chunk size of a root this node creates
	seq  int // attempts proposed

	root  string    // newest root known, "" for none
	st    rootState // root, decoded
	lists map[string][]json.RawMessage

	fetched map[int][]Entry // chunks read, not yet applied
	open    map[string]bool // attempts proposed and not yet decided
}

// NewCore returns the core of node self; chunkSize is the number of log
// entries per chunk should this node create the root (every node then
// follows the root's).
func NewCore(self string, chunkSize int) (*Core, error) {
	if chunkSize < 1 {
		return nil, fmt.Errorf("chunk size %d: want at least 1", chunkSize)
	}
	return &Core{
		self: self, size: chunkSize, st: rootState{S: chunkSize},
		lists: map[string][]json.RawMessage{}, fetched: map[int][]Entry{}, open: map[string]bool{},
	}, nil
}

// Len is the number of log entries applied.
func (c *Core) Len() int { return c.st.N }

// Run runs txns against the state, in order, each seeing the appends of
// those before it, and returns them with their reads filled, and the
// appends they made. It changes nothing.
func (c *Core) Run(txns []Txn) ([]Txn, []Element) {
	batch := map[string][]json.RawMessage{} // appends of this batch, by key
	var appends []Element
	out := make([]Txn, len(txns))
	for i, t := range txns {
		r := slices.Clone(t)
		for j, o := range r {
			k := string(o.Key)
			if o.F == Append {
				batch[k] = append(batch[k], o.Elem)
				appends = append(appends, Element{o.Key, o.Elem})
				continue
			}
			base, more := c.lists[k], batch[k]
			if len(base)+len(more) > 0 {
				// base is clipped: later appends to the key never touch what
				// this read saw.
				r[j].List = append(base[:len(base):len(base)], more...)
			}
		}
		out[i] = r
	}
	return out, appends
}

// Propose makes the attempt that commits txns (which must append
// something) right after the newest root known.
func (c *Core) Propose(txns []Txn) *Attempt {
	results, appends := c.Run(txns)
	c.seq++
	id := fmt.Sprintf("%s.%d", c.self, c.seq)
	e := Entry{ID: id, Appends: appends}
	next := c.st
	next.N++
	next.Tail = append(slices.Clip(c.st.Tail), e)
	var ch *Chunk
	if len(next.Tail) >= 2*next.S {
		ch = &Chunk{Index: next.C, Entries: next.Tail[:next.S]}
		next.Tail = next.Tail[next.S:]
		next.C++
	}
	c.open[id] = true
	return &Attempt{ID: id, From: c.root, To: next.encode(), Chunk: ch, Results: results, fromN: c.st.N, entry: e, next: next}
}

// Commit records that a's cas succeeded: its entry is applied, and every
// other attempt undecided is lost.
func (c *Core) Commit(a *Attempt) (Outcome, error) {
	if !c.open[a.ID] || a.fromN != c.st.N || a.From != c.root {
		return Outcome{}, fmt.Errorf("commit of %s from entry %d: the core is at entry %d or the attempt is decided", a.ID, a.fromN, c.st.N)
	}
	c.apply(a.entry)
	c.root, c.st = a.To, a.next
	delete(c.open, a.ID)
	return c.decide(Outcome{Won: []string{a.ID}}), nil
}

// Fail records that a's cas was refused: it is lost.
func (c *Core) Fail(a *Attempt) Outcome {
	if !c.open[a.ID] {
		return Outcome{}
	}
	delete(c.open, a.ID)
	return Outcome{Lost: []string{a.ID}}
}

// Learn takes a root value read from lin-kv (or from a failed cas). When
// it is newer than the core's, its new entries are applied in order and the
// attempts they decide are reported; when some of them are in chunks not
// yet read, nothing changes and need lists those chunks (read them, give
// them to AddChunk, and Learn again). A root no newer than the core's is
// ignored.
func (c *Core) Learn(value string) (out Outcome, need []int, err error) {
	if value == "" || value == c.root {
		return Outcome{}, nil, nil
	}
	r, err := decodeRoot(value)
	if err != nil {
		return Outcome{}, nil, err
	}
	if r.N <= c.st.N {
		return Outcome{}, nil, nil
	}
	if c.root != "" && r.S != c.st.S {
		return Outcome{}, nil, fmt.Errorf("root with chunk size %d after %d", r.S, c.st.S)
	}
	entries := make([]Entry, 0, r.N-c.st.N)
	for p := c.st.N + 1; p <= r.N; p++ {
		if inChunks := r.C * r.S; p > inChunks {
			entries = append(entries, r.Tail[p-inChunks-1])
			continue
		}
		j := (p - 1) / r.S
		ch, ok := c.fetched[j]
		if !ok {
			if !slices.Contains(need, j) {
				need = append(need, j)
			}
			continue
		}
		entries = append(entries, ch[(p-1)%r.S])
	}
	if len(need) > 0 {
		return Outcome{}, need, nil
	}
	for _, e := range entries {
		c.apply(e)
		if c.open[e.ID] {
			out.Won = append(out.Won, e.ID)
			delete(c.open, e.ID)
		}
	}
	c.root, c.st = value, r
	for j := range c.fetched {
		if (j+1)*r.S <= r.N {
			delete(c.fetched, j)
		}
	}
	return c.decide(out), nil, nil
}

// AddChunk takes chunk j as read from lin-kv, for the next Learn. size is
// the chunk size of the root that needed it.
func (c *Core) AddChunk(j int, entries []Entry, size int) error {
	if len(entries) != size {
		return fmt.Errorf("chunk %d holds %d entries, not %d", j, len(entries), size)
	}
	c.fetched[j] = entries
	return nil
}

// ChunkSize is the chunk size of root value v, for AddChunk.
func ChunkSize(v string) (int, error) {
	r, err := decodeRoot(v)
	return r.S, err
}

// decide closes every attempt still open once the log has moved past the
// root they were proposed against: each needed the root unchanged, so none
// can succeed any more.
func (c *Core) decide(out Outcome) Outcome {
	out.Lost = append(out.Lost, slices.Sorted(maps.Keys(c.open))...)
	clear(c.open)
	return out
}

func (c *Core) apply(e Entry) {
	for _, a := range e.Appends {
		k := string(a[0])
		c.lists[k] = append(c.lists[k], a[1])
	}
	c.st.N++
}

package spec

import (
	"encoding/json"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/glomers/glomers/sim"
)

// Kafka generator knobs. Maelstrom's come from Jepsen's kafka workload over
// Elle's list-append generator.
const (
	kafkaKeyCount     = 3                // keys in rotation (Elle's default)
	kafkaWritesPerKey = 16               // sends before a key is retired (Maelstrom's --max-writes-per-key default)
	kafkaAssignOdds   = 64               // 1 op in 64 re-assigns the client's keys (Jepsen's sub-p)
	kafkaCrashMean    = 10 * time.Second // mean time between a client's crashes
	kafkaFinalPolls   = 8                // final polls per client
)

// kafkaSpec is the kafka workload. It owns what Maelstrom's generator shares
// between clients: the rotation of keys, the next message, and the highest
// offset known per key (the target of the final polls).
type kafkaSpec struct {
	keyCount, writesPerKey int

	mu      sync.Mutex
	active  []int          // keys in rotation
	writes  map[int]int    // sends generated per active key
	nextKey int            // the next fresh key
	nextMsg int64          // the next message
	known   map[string]int // highest offset seen per key, from ok sends and polls
}

func newKafkaSpec(cfg sim.Config) *kafkaSpec {
	s := &kafkaSpec{keyCount: cfg.KeyCount, writesPerKey: cfg.MaxWritesPerKey, writes: map[int]int{}, known: map[string]int{}}
	if s.keyCount <= 0 {
		s.keyCount = kafkaKeyCount
	}
	if s.writesPerKey <= 0 {
		s.writesPerKey = kafkaWritesPerKey
	}
	for range s.keyCount {
		s.active = append(s.active, s.nextKey)
		s.nextKey++
	}
	return s
}

// Preamble implements sim.Spec: kafka has none.
func (*kafkaSpec) Preamble([]string) map[string]sim.Body { return nil }

// NewClient implements sim.Spec.
func (s *kafkaSpec) NewClient(_ int, _ string, r *rand.Rand) sim.Client {
	c := &kafkaClient{s: s, r: r, pos: map[string]int{}, sent: map[string]int{}, polled: map[string]int{}}
	c.nextCrash = crashGap(r)
	return c
}

// pickSlot chooses an index into the active keys: the first with odds 1/2,
// the next 1/4, and so on (Elle's exponential key distribution).
func pickSlot(r *rand.Rand, n int) int {
	i := 0
	for i < n-1 && r.IntN(2) == 1 {
		i++
	}
	return i
}

// key picks a key for an assignment.
func (s *kafkaSpec) key(r *rand.Rand) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strconv.Itoa(s.active[pickSlot(r, len(s.active))])
}

// send picks a key and a fresh message for a send, retiring the key once it
// has had its share of writes.
func (s *kafkaSpec) send(r *rand.Rand) (string, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := pickSlot(r, len(s.active))
	k := s.active[i]
	s.writes[k]++
	if s.writes[k] >= s.writesPerKey {
		delete(s.writes, k)
		s.active[i] = s.nextKey
		s.nextKey++
	}
	m := s.nextMsg
	s.nextMsg++
	return strconv.Itoa(k), m
}

// saw records that offset o of key k exists.
func (s *kafkaSpec) saw(k string, o int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.known[k]; !ok || o > cur {
		s.known[k] = o
	}
}

// targets is a copy of the highest offset known per key.
func (s *kafkaSpec) targets() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.known)
}

// crashGap draws the time to a client's next crash, uniform in
// [0, 2·kafkaCrashMean) like Jepsen's stagger.
func crashGap(r *rand.Rand) time.Duration {
	return time.Duration(r.Int64N(int64(2 * kafkaCrashMean)))
}

type sendBody struct {
	Type string `json:"type"`
	Key  string `json:"key"`
	Msg  int64  `json:"msg"`
}

type offsetsBody struct {
	Type    string         `json:"type"` // poll or commit_offsets
	Offsets map[string]int `json:"offsets"`
}

type keysBody struct {
	Type string   `json:"type"`
	Keys []string `json:"keys"`
}

// kafkaClient is one consumer-producer, like Maelstrom's: it polls the keys
// it is assigned from its own positions, commits what each poll returned,
// now and then reassigns itself (the new keys start from their committed
// offsets, kept keys keep their positions), and every so often "crashes":
// it forgets its positions and reassigns its keys from the committed
// offsets. The core calls it from one goroutine at a time, but the final
// polls' bodies are encoded from its state (see finalPoll), hence the mutex.
type kafkaClient struct {
	s *kafkaSpec
	r *rand.Rand

	mu        sync.Mutex
	pos       map[string]int // assigned keys → next offset to poll
	assigning []string       // keys of the list_committed_offsets in flight
	commit    map[string]int // offsets to commit next: the highest polled per key
	sent      map[string]int // highest offset this client sent per key, not yet polled past
	polled    map[string]int // highest offset this client polled per key
	now       time.Duration  // completion time of the last op observed
	nextCrash time.Duration
	targets   map[string]int // final phase: offsets the final polls must reach
}

func (c *kafkaClient) Next() sim.Body {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.commit) > 0 {
		b := offsetsBody{Type: "commit_offsets", Offsets: c.commit}
		c.commit = nil
		return b
	}
	if c.now >= c.nextCrash && len(c.pos) > 0 {
		// Crash: a fresh client knows no positions and resumes the same
		// keys from the committed offsets.
		c.nextCrash = c.now + crashGap(c.r)
		keys := slices.Sorted(maps.Keys(c.pos))
		c.pos = map[string]int{}
		return c.assign(keys)
	}
	if len(c.pos) == 0 || c.r.IntN(kafkaAssignOdds) == 0 {
		keys := []string{c.s.key(c.r)}
		if len(c.sent) > 0 && c.r.IntN(3) == 0 {
			// Like Jepsen's poll-unseen: catch up on keys this client
			// sent to but has not polled.
			for _, k := range slices.Sorted(maps.Keys(c.sent)) {
				if !slices.Contains(keys, k) {
					keys = append(keys, k)
				}
			}
		}
		return c.assign(keys)
	}
	if c.r.IntN(2) == 0 {
		k, m := c.s.send(c.r)
		return sendBody{Type: "send", Key: k, Msg: m}
	}
	return offsetsBody{Type: "poll", Offsets: maps.Clone(c.pos)}
}

func (c *kafkaClient) assign(keys []string) sim.Body {
	c.assigning = keys
	return keysBody{Type: "list_committed_offsets", Keys: keys}
}

func (c *kafkaClient) Observe(op sim.Op) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = op.Complete
	if op.Type == "list_committed_offsets" {
		keys := c.assigning
		c.assigning = nil
		var committed map[string]int
		if op.Status != sim.OK || field(op.Resp, "offsets", &committed) != nil {
			return // keep the old assignment; an empty one is retried next
		}
		pos := make(map[string]int, len(keys))
		for _, k := range keys {
			if p, ok := c.pos[k]; ok {
				pos[k] = p
			} else {
				pos[k] = committed[k] // 0 when nothing was committed
			}
		}
		c.pos = pos
		return
	}
	if op.Status != sim.OK {
		return
	}
	switch op.Type {
	case "send":
		var k string
		var o int
		if field(op.Req, "key", &k) == nil && field(op.Resp, "offset", &o) == nil {
			c.s.saw(k, o)
			if o > c.polledOr(k) {
				c.sent[k] = max(c.sent[k], o)
			}
		}
	case "poll":
		var msgs map[string][][]int64
		if field(op.Resp, "msgs", &msgs) != nil {
			return
		}
		for k, pairs := range msgs {
			top := -1
			for _, p := range pairs {
				if len(p) == 2 {
					top = max(top, int(p[0]))
				}
			}
			if top < 0 {
				continue
			}
			c.s.saw(k, top)
			c.pos[k] = max(c.pos[k], top+1)
			c.polled[k] = max(c.polledOr(k), top)
			if s, ok := c.sent[k]; ok && s <= top {
				delete(c.sent, k)
			}
			if !op.Final {
				if c.commit == nil {
					c.commit = map[string]int{}
				}
				c.commit[k] = max(c.commit[k], top)
			}
		}
	}
}

func (c *kafkaClient) polledOr(k string) int {
	if p, ok := c.polled[k]; ok {
		return p
	}
	return -1
}

// Final implements sim.Client like Maelstrom's final polls: the client
// crashes, assigns itself every key anyone has seen, seeks to offset 0, and
// polls until it has read up to the highest offset known for each key. The
// requests are encoded lazily (finalPoll) so that each one continues where
// the previous reply left off and drops the keys already caught up.
func (c *kafkaClient) Final() []sim.Body {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.targets = c.s.targets()
	c.pos = make(map[string]int, len(c.targets))
	for k := range c.targets {
		c.pos[k] = 0
	}
	c.commit = nil
	bodies := make([]sim.Body, kafkaFinalPolls)
	for i := range bodies {
		bodies[i] = finalPoll{c}
	}
	return bodies
}

// finalPoll is a final poll request whose offsets are read from the client
// when the core encodes it, after the previous final reply was observed.
type finalPoll struct{ c *kafkaClient }

// MarshalJSON implements json.Marshaler.
func (p finalPoll) MarshalJSON() ([]byte, error) {
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	offsets := map[string]int{}
	for k, o := range p.c.pos {
		if o <= p.c.targets[k] {
			offsets[k] = o
		}
	}
	return json.Marshal(offsetsBody{Type: "poll", Offsets: offsets})
}

package spec

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/glomers/glomers/sim"
)

// fakeKafka is a single-node log for driving the kafka clients: dense
// offsets from 0, at most pollLimit messages per key per poll.
type fakeKafka struct {
	logs      map[string][]int64
	committed map[string]int
	pollLimit int
	loseSend  int  // when > 0, the loseSend-th send is acknowledged but its message is never stored
	fromZero  bool // when set, polls ignore the asked offsets
	sends     int
}

func newFakeKafka() *fakeKafka {
	return &fakeKafka{logs: map[string][]int64{}, committed: map[string]int{}, pollLimit: 3}
}

func (f *fakeKafka) handle(t *testing.T, req json.RawMessage) json.RawMessage {
	t.Helper()
	var out any
	switch typ := bodyType(t, req); typ {
	case "send":
		var b sendBody
		if err := decode(req, &b); err != nil {
			t.Fatal(err)
		}
		f.sends++
		msg := b.Msg
		if f.sends == f.loseSend {
			msg = -1 // the slot is taken, the message is gone
		}
		f.logs[b.Key] = append(f.logs[b.Key], msg)
		out = map[string]any{"type": "send_ok", "offset": len(f.logs[b.Key]) - 1}
	case "poll":
		var b offsetsBody
		if err := decode(req, &b); err != nil {
			t.Fatal(err)
		}
		msgs := map[string][][2]int64{}
		for k, from := range b.Offsets {
			if f.fromZero {
				from = 0
			}
			for o := from; o < len(f.logs[k]) && o < from+f.pollLimit; o++ {
				if m := f.logs[k][o]; m >= 0 {
					msgs[k] = append(msgs[k], [2]int64{int64(o), m})
				}
			}
		}
		out = map[string]any{"type": "poll_ok", "msgs": msgs}
	case "commit_offsets":
		var b offsetsBody
		if err := decode(req, &b); err != nil {
			t.Fatal(err)
		}
		for k, o := range b.Offsets {
			f.committed[k] = max(f.committed[k], o)
		}
		out = map[string]any{"type": "commit_offsets_ok"}
	case "list_committed_offsets":
		var b keysBody
		if err := decode(req, &b); err != nil {
			t.Fatal(err)
		}
		offs := map[string]int{}
		for _, k := range b.Keys {
			if o, ok := f.committed[k]; ok {
				offs[k] = o
			}
		}
		out = map[string]any{"type": "list_committed_offsets_ok", "offsets": offs}
	default:
		t.Fatalf("unexpected request type %q", typ)
	}
	return encode(t, out)
}

// runKafka drives clients round-robin against the fake, one op every 10 ms
// of pretend time for the given load, then runs each client's final polls,
// encoding each body only when it is sent, as the core does.
func runKafka(t *testing.T, f *fakeKafka, clients int, load time.Duration) sim.History {
	t.Helper()
	s := newKafkaSpec(sim.Config{})
	cs := make([]sim.Client, clients)
	for p := range cs {
		cs[p] = s.NewClient(p, "n0", rand.New(rand.NewPCG(uint64(p), 42)))
	}
	var h sim.History
	now := time.Duration(0)
	do := func(p int, body sim.Body, final bool) {
		req := encode(t, body)
		o := sim.Op{Process: p, Node: "n0", Type: bodyType(t, req), Req: req, Resp: f.handle(t, req),
			Status: sim.OK, Invoke: now, Complete: now + time.Millisecond, Final: final}
		now += 10 * time.Millisecond
		cs[p].Observe(o)
		h = append(h, o)
	}
	for i := 0; now < load; i++ {
		do(i%clients, cs[i%clients].Next(), false)
	}
	for p, c := range cs {
		for _, b := range c.Final() {
			do(p, b, true)
		}
	}
	return h
}

func TestKafkaClientsAgainstAHealthyLog(t *testing.T) {
	h := runKafka(t, newFakeKafka(), 2, 60*time.Second)
	r := newKafkaSpec(sim.Config{}).Check(h)
	wantKinds(t, r)
	if r.Stats["unseen-count"] != 0 || r.Stats["keys"].(int) < 10 {
		t.Fatalf("stats %v", r.Stats)
	}

	count := map[string]int{}
	for _, o := range h {
		count[o.Type]++
	}
	if count["send"] < 500 || count["poll"] < 500 || count["commit_offsets"] < 100 || count["list_committed_offsets"] < 10 {
		t.Fatalf("op mix %v", count)
	}

	// Every poll that returned messages is followed, for that client, by
	// a commit of the highest offsets it returned.
	for i, o := range h {
		if o.Type != "poll" || o.Final {
			continue
		}
		var msgs map[string][][]int64
		if err := field(o.Resp, "msgs", &msgs); err != nil {
			t.Fatal(err)
		}
		want := map[string]int{}
		for k, pairs := range msgs {
			if len(pairs) > 0 {
				want[k] = int(pairs[len(pairs)-1][0])
			}
		}
		if len(want) == 0 {
			continue
		}
		j := slices.IndexFunc(h[i+1:], func(n sim.Op) bool { return n.Process == o.Process })
		var got map[string]int
		if j < 0 || h[i+1+j].Type != "commit_offsets" || field(h[i+1+j].Req, "offsets", &got) != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("poll %s not followed by a commit of %v", o.Resp, want)
		}
	}

	// Final polls start from offset 0 and continue where the last left off.
	var finals []map[string]int
	for _, o := range h {
		if o.Final && o.Process == 0 {
			var asked map[string]int
			if err := field(o.Req, "offsets", &asked); err != nil {
				t.Fatal(err)
			}
			finals = append(finals, asked)
		}
	}
	if len(finals) != kafkaFinalPolls || len(finals[0]) == 0 {
		t.Fatalf("final polls %v", finals)
	}
	for _, o := range finals[0] {
		if o != 0 {
			t.Fatalf("first final poll %v does not seek to 0", finals[0])
		}
	}
	if fmt.Sprint(finals[1]) == fmt.Sprint(finals[0]) {
		t.Fatalf("second final poll %v did not advance", finals[1])
	}
}

func TestKafkaClientsCatchBrokenLogs(t *testing.T) {
	lossy := newFakeKafka()
	lossy.loseSend = 5
	wantKinds(t, newKafkaSpec(sim.Config{}).Check(runKafka(t, lossy, 2, 10*time.Second)), "lost-write", "poll-skip")

	rewinding := newFakeKafka()
	rewinding.fromZero = true
	r := newKafkaSpec(sim.Config{}).Check(runKafka(t, rewinding, 2, 10*time.Second))
	if !slices.Contains(r.Kinds(), "nonmonotonic-poll") {
		t.Fatalf("a log that ignores poll offsets passed: %v", r.Kinds())
	}
}

func TestKafkaClientsAreDeterministic(t *testing.T) {
	a := runKafka(t, newFakeKafka(), 2, 5*time.Second)
	b := runKafka(t, newFakeKafka(), 2, 5*time.Second)
	if len(a) != len(b) {
		t.Fatalf("%d vs %d ops", len(a), len(b))
	}
	for i := range a {
		if string(a[i].Req) != string(b[i].Req) {
			t.Fatalf("op %d: %s vs %s", i, a[i].Req, b[i].Req)
		}
	}
}

func TestKafkaClientCrashResumesFromCommittedOffsets(t *testing.T) {
	c := newKafkaSpec(sim.Config{}).NewClient(0, "n0", rand.New(rand.NewPCG(1, 1))).(*kafkaClient)
	c.pos = map[string]int{"1": 7, "2": 3}
	c.now, c.nextCrash = time.Second, time.Second

	req := encode(t, c.Next())
	var keys []string
	if bodyType(t, req) != "list_committed_offsets" || field(req, "keys", &keys) != nil || fmt.Sprint(keys) != "[1 2]" {
		t.Fatalf("crash should reassign keys 1 and 2 from the committed offsets, sent %s", req)
	}
	c.Observe(sim.Op{Type: "list_committed_offsets", Req: req, Status: sim.OK,
		Resp: json.RawMessage(`{"type":"list_committed_offsets_ok","offsets":{"1":5}}`), Complete: time.Second})
	if fmt.Sprint(c.pos) != "map[1:5 2:0]" {
		t.Fatalf("positions after the crash %v, want committed ones", c.pos)
	}
	if c.nextCrash <= time.Second {
		t.Fatalf("next crash at %v", c.nextCrash)
	}

	// A poll is followed by the commit of what it returned.
	c.Observe(sim.Op{Type: "poll", Status: sim.OK, Req: json.RawMessage(`{"type":"poll","offsets":{"1":5,"2":0}}`),
		Resp: json.RawMessage(`{"type":"poll_ok","msgs":{"1":[[5,50],[6,60]]}}`), Complete: time.Second})
	if got := encode(t, c.Next()); string(got) != `{"type":"commit_offsets","offsets":{"1":6}}` {
		t.Fatalf("after a poll the client sent %s", got)
	}
	if fmt.Sprint(c.pos) != "map[1:7 2:0]" {
		t.Fatalf("positions after the poll %v", c.pos)
	}

	// A plain reassignment keeps the positions of the keys it keeps.
	c.assign([]string{"1", "3"})
	c.Observe(sim.Op{Type: "list_committed_offsets", Status: sim.OK,
		Resp: json.RawMessage(`{"type":"list_committed_offsets_ok","offsets":{"1":2,"3":4}}`), Complete: time.Second})
	if fmt.Sprint(c.pos) != "map[1:7 3:4]" {
		t.Fatalf("positions after reassigning %v", c.pos)
	}
}

package spec

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/gen"
)

// kafkaFake is an in-memory kafka server for driving the client: dense
// offsets from 0, at most pollMax messages per key per poll.
type kafkaFake struct {
	mu        sync.Mutex
	logs      map[string][]int64
	committed map[string]int64
	pollMax   int
	hide      string // polls never return this key (a server that loses it)
	// reply, when set, answers instead of the log (nil body: the log
	// answers after all).
	reply func(body map[string]any) (map[string]any, error)
	calls []string // request types, in order
}

func newKafkaFake() *kafkaFake {
	return &kafkaFake{logs: map[string][]int64{}, committed: map[string]int64{}, pollMax: 3}
}

func (f *kafkaFake) handle(req []byte) (json.RawMessage, error) {
	var body map[string]any
	if err := kafkaDecode(req, &body); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	typ := body["type"].(string)
	f.calls = append(f.calls, typ)
	if f.reply != nil {
		out, err := f.reply(body)
		if err != nil || out != nil {
			if err != nil {
				return nil, err
			}
			b, _ := json.Marshal(out)
			return b, nil
		}
	}
	num := func(v any) int64 {
		n, err := strconv.ParseInt(string(v.(json.Number)), 10, 64)
		if err != nil {
			panic(err)
		}
		return n
	}
	var out map[string]any
	switch typ {
	case "send":
		k := body["key"].(string)
		f.logs[k] = append(f.logs[k], num(body["msg"]))
		out = map[string]any{"type": "send_ok", "offset": len(f.logs[k]) - 1}
	case "poll":
		msgs := map[string][][2]int64{}
		for k, v := range body["offsets"].(map[string]any) {
			if k == f.hide {
				continue
			}
			from := num(v)
			for o := from; o < int64(len(f.logs[k])) && o < from+int64(f.pollMax); o++ {
				msgs[k] = append(msgs[k], [2]int64{o, f.logs[k][o]})
			}
		}
		out = map[string]any{"type": "poll_ok", "msgs": msgs}
	case "commit_offsets":
		for k, v := range body["offsets"].(map[string]any) {
			f.committed[k] = max(f.committed[k], num(v))
		}
		out = map[string]any{"type": "commit_offsets_ok"}
	case "list_committed_offsets":
		offs := map[string]int64{}
		for _, k := range body["keys"].([]any) {
			if o, ok := f.committed[k.(string)]; ok {
				offs[k.(string)] = o
			}
		}
		out = map[string]any{"type": "list_committed_offsets_ok", "offsets": offs}
	default:
		return nil, fmt.Errorf("unexpected request %q", typ)
	}
	out["in_reply_to"] = 1
	b, _ := json.Marshal(out)
	return b, nil
}

// kafkaFakeConn is a client connection to a kafkaFake.
type kafkaFakeConn struct {
	id string
	f  *kafkaFake
}

func (c *kafkaFakeConn) ID() string { return c.id }

func (c *kafkaFakeConn) RPC(_ string, body any, _ time.Duration, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	resp, err := c.f.handle(b)
	if err != nil {
		return err
	}
	var hdr struct{ Type, Text string }
	var code struct{ Code int }
	_ = json.Unmarshal(resp, &hdr)
	if hdr.Type == "error" {
		_ = json.Unmarshal(resp, &code)
		return &sim.RPCError{Code: code.Code, Text: hdr.Text}
	}
	return json.Unmarshal(resp, out)
}

// kafkaRun interprets generators as the simulator does, in pretend time,
// with the real client against a kafkaFake: every request takes latency.
type kafkaRun struct {
	t       *testing.T
	s       *kafkaSpec
	f       *kafkaFake
	test    *gen.Test
	ctx     gen.Context
	now     time.Duration
	latency time.Duration
	h       sim.History
	emitted []gen.Op // every operation the generator emitted, in order

	conns  []*kafkaFakeConn // by thread
	procs  []int            // by thread: the process its connection serves
	nconns int
	flight []kafkaFlight
}

type kafkaFlight struct {
	th   int
	at   time.Duration
	done gen.Op
	hist int // -1 for sleeps and logs
}

func newKafkaRun(t *testing.T, cfg sim.Config, conc int, seed uint64) *kafkaRun {
	r := &kafkaRun{t: t, s: newKafkaSpec(cfg), f: newKafkaFake(), latency: time.Millisecond,
		test: &gen.Test{Rand: rand.New(rand.NewPCG(seed, 7)), Concurrency: conc, Nodes: []string{"n0"}},
		ctx:  gen.NewContext(conc), conns: make([]*kafkaFakeConn, conc+1), procs: make([]int, conc+1)}
	for i := range r.procs {
		r.procs[i] = -1
	}
	return r
}

// maelstrom composes the spec's generators as maelstrom-test does (no
// nemesis), with a quiet period of quiet.
func (r *kafkaRun) maelstrom(rate float64, limit, quiet time.Duration) gen.Gen {
	load, final := r.s.Generators(r.test)
	g := gen.TimeLimit(limit, gen.Clients(gen.Stagger(time.Duration(float64(time.Second)/rate), load)))
	return gen.Phases(g, gen.SleepFor(quiet), gen.Clients(final))
}

// run interprets g to exhaustion and waits for what is in flight.
func (r *kafkaRun) run(g gen.Gen) {
	for steps := 0; ; steps++ {
		if steps > 10_000_000 {
			r.t.Fatal("kafkaRun: runaway generator")
		}
		ctx := r.ctx
		ctx.Time = r.now
		op, g2, ok := gen.Next(g, r.test, ctx)
		next := time.Duration(math.MaxInt64)
		first := -1
		for i, fl := range r.flight {
			if fl.at < next {
				next, first = fl.at, i
			}
		}
		switch {
		case !ok && first < 0:
			return
		case !ok || op.Type == gen.Pending || op.Time > r.now:
			if ok && op.Type != gen.Pending && op.Time < next {
				r.now = op.Time
				continue
			}
			if first < 0 {
				r.t.Fatalf("kafkaRun: stuck at %v with %+v", r.now, op)
			}
			g = r.complete(g, first)
			continue
		}
		th := ctx.Thread(op.Process)
		r.ctx = ctx.Busy(op.Time, th)
		g = gen.Update(g2, r.test, r.ctx, op)
		r.dispatch(th, op)
	}
}

func (r *kafkaRun) dispatch(th int, op gen.Op) {
	switch op.Type {
	case gen.Sleep:
		r.flight = append(r.flight, kafkaFlight{th: th, at: r.now + op.Value.(time.Duration), done: op, hist: -1})
		return
	case gen.Log:
		r.flight = append(r.flight, kafkaFlight{th: th, at: r.now, done: op, hist: -1})
		return
	}
	r.emitted = append(r.emitted, op)
	if r.procs[th] != op.Process {
		r.nconns++
		r.conns[th] = &kafkaFakeConn{id: "c" + strconv.Itoa(r.nconns), f: r.f}
		r.procs[th] = op.Process
	}
	done, err := r.s.invoke(r.conns[th], "n0", op)
	if err != nil {
		done = op
		done.Type, done.Error = gen.Info, err.Error()
	}
	r.h = append(r.h, sim.Op{Index: len(r.h), Process: op.Process, Node: "n0", F: op.F, Value: op.Value,
		Invoke: r.now, Final: op.Final, Ext: op.Ext})
	r.flight = append(r.flight, kafkaFlight{th: th, at: r.now + r.latency, done: done, hist: len(r.h) - 1})
}

func (r *kafkaRun) complete(g gen.Gen, i int) gen.Gen {
	fl := r.flight[i]
	r.flight = slices.Delete(r.flight, i, i+1)
	r.now = max(r.now, fl.at)
	done := fl.done
	done.Time = r.now
	r.ctx = r.ctx.Free(r.now, fl.th)
	g = gen.Update(g, r.test, r.ctx, done)
	if r.ctx.IsClient(fl.th) && done.Type == gen.Info {
		r.ctx = r.ctx.NextProcess(fl.th)
	}
	if fl.hist >= 0 {
		o := &r.h[fl.hist]
		o.Out, o.Error, o.Complete = done.Value, done.Error, r.now
		switch done.Type {
		case gen.OK:
			o.Status = sim.OK
		case gen.Fail:
			o.Status = sim.Fail
		default:
			o.Status = sim.Info
		}
	}
	return g
}

func TestKafkaLoadGeneratorMix(t *testing.T) {
	const conc, rate, limit = 5, 20.0, 600 * time.Second
	r := newKafkaRun(t, sim.Config{}, conc, 1)
	load, _ := r.s.Generators(r.test)
	r.run(gen.TimeLimit(limit, gen.Clients(gen.Stagger(time.Duration(float64(time.Second)/rate), load))))

	count := map[string]int{}
	for _, op := range r.emitted {
		count[op.F]++
	}
	client := count["assign"] + count["send"] + count["poll"]
	if client < 10000 {
		t.Fatalf("only %d client ops in %v at %v/s: %v", client, limit, rate, count)
	}
	// interleave-subscribes: an assign in place of 1 op in 8.
	if share := float64(count["assign"]) / float64(client); math.Abs(share-1.0/8) > 0.015 {
		t.Errorf("assign share %.4f, want 1/8 (%v)", share, count)
	}
	// Reads and appends with equal odds.
	if ratio := float64(count["send"]) / float64(count["poll"]); ratio < 0.9 || ratio > 1.1 {
		t.Errorf("send/poll %.3f, want 1 (%v)", ratio, count)
	}
	// crash-client-gen: concurrency/30 crashes per second.
	want := limit.Seconds() * conc / 30
	if c := float64(count["crash"]); c < want*0.75 || c > want*1.25 {
		t.Errorf("%v crashes in %v, want about %v", c, limit, want)
	}
	for _, op := range r.h {
		if op.F == "crash" && op.Status != sim.Info {
			t.Fatalf("crash completed %v", op.Status)
		}
	}

	// Messages per key are 1, 2, ... up to max-writes-per-key, in order;
	// the pool starts at keys 0..9; retired keys are replaced by fresh
	// ones, one above the highest.
	next := map[string]int64{}
	var keys []string
	for _, op := range r.emitted {
		if op.F != "send" {
			continue
		}
		m := kafkaMops(op.Value)
		if len(m) != 1 || m[0].F != "send" {
			t.Fatalf("send value %+v", op.Value)
		}
		k := m[0].Key
		if _, ok := next[k]; !ok {
			next[k] = 1
			keys = append(keys, k)
		}
		if m[0].Msg != next[k] || m[0].Msg > kafkaWritesPerKey {
			t.Fatalf("key %s got message %d, want %d", k, m[0].Msg, next[k])
		}
		next[k]++
	}
	full := 0
	for _, k := range keys {
		if next[k] == kafkaWritesPerKey+1 {
			full++
		}
	}
	if full < 100 {
		t.Errorf("only %d keys got all %d messages", full, kafkaWritesPerKey)
	}
	// Every retired key had all its messages; fresh keys count up.
	top := int64(-1)
	for _, k := range keys {
		n, err := strconv.ParseInt(k, 10, 64)
		if err != nil || n < 0 {
			t.Fatalf("key %q", k)
		}
		top = max(top, n)
	}
	if top > int64(9+full) || top < int64(9+full-10) {
		t.Errorf("highest key %d with %d keys full", top, full)
	}

	// The assign takes the next transaction's key: the op that follows
	// an assign from the same generator is an assign or that very
	// transaction (a send shows its key).
	multi := 0
	for i, op := range r.emitted {
		if op.F != "assign" {
			continue
		}
		ks := op.Value.([]string)
		if len(ks) > 1 {
			multi++
		}
		for _, nx := range r.emitted[i+1:] {
			if nx.F == "crash" {
				continue
			}
			if nx.F == "send" && !slices.Contains(ks, kafkaMops(nx.Value)[0].Key) {
				t.Fatalf("assign %v then send %v", ks, nx.Value)
			}
			break
		}
	}
	// poll-unseen adds keys sent but not polled to a third of assigns.
	if multi == 0 {
		t.Errorf("no assign of more than one key")
	}

	res := sim.Check(r.s.Checker(), r.h)
	if len(res.Strict) > 0 {
		t.Errorf("strict anomalies against a healthy log: %v", res.Strict)
	}
}

func TestKafkaKeyCountAndWritesFromConfig(t *testing.T) {
	r := newKafkaRun(t, sim.Config{KeyCount: 2, MaxWritesPerKey: 3}, 2, 5)
	load, _ := r.s.Generators(r.test)
	r.run(gen.Limit(400, gen.Clients(load)))
	seen := map[string]int64{}
	for _, op := range r.emitted {
		if op.F == "send" {
			m := kafkaMops(op.Value)[0]
			if m.Msg > 3 || m.Msg != seen[m.Key]+1 {
				t.Fatalf("key %s message %d after %d", m.Key, m.Msg, seen[m.Key])
			}
			seen[m.Key] = m.Msg
		}
	}
	if _, ok := seen["0"]; ok && len(seen) < 20 {
		t.Fatalf("keys %v", seen)
	}
	// Two keys in the pool: the first sends go to keys 0 and 1 only.
	for _, op := range r.emitted[:5] {
		if op.F == "send" {
			if k := kafkaMops(op.Value)[0].Key; k != "0" && k != "1" {
				t.Fatalf("first sends to key %s", k)
			}
		}
	}
}

func TestKafkaWholeRunAgainstAHealthyLog(t *testing.T) {
	const conc = 4
	r := newKafkaRun(t, sim.Config{}, conc, 2)
	r.f.pollMax = 1
	r.run(r.maelstrom(50, 60*time.Second, 10*time.Second))
	res := sim.Check(r.s.Checker(), r.h)
	if !res.Valid || res.Unknown || len(res.Anomalies) > 0 || len(res.Strict) > 0 {
		t.Fatalf("valid=%v unknown=%v anomalies %v strict %v", res.Valid, res.Unknown, res.Anomalies, res.Strict)
	}

	// The final phase: each thread crashes, assigns every key from offset
	// 0, then polls, 0–0.4 s apart, until it has read every key to the
	// highest offset; all within 10 s.
	var finals []sim.Op
	for _, op := range r.h {
		if op.Final {
			finals = append(finals, op)
		} else if len(finals) > 0 {
			t.Fatalf("a load op after a final one: %+v", op)
		}
	}
	if len(finals) == 0 {
		t.Fatal("no final ops")
	}
	start := finals[0].Invoke
	if last := finals[len(finals)-1]; last.Invoke-start >= kafkaFinalLimit {
		t.Fatalf("final ops over %v", last.Invoke-start)
	}
	var allKeys []string
	for k := range r.f.logs {
		allKeys = append(allKeys, k)
	}
	kafkaSortKeys(allKeys)
	byThread := map[int][]sim.Op{}
	for _, op := range finals {
		byThread[op.Process%conc] = append(byThread[op.Process%conc], op)
	}
	if len(byThread) != conc {
		t.Fatalf("final ops on %d threads", len(byThread))
	}
	var gaps []float64
	for th, ops := range byThread {
		if len(ops) < 3 || ops[0].F != "crash" || ops[1].F != "assign" || ops[2].F != "poll" {
			t.Fatalf("thread %d's final ops start %v", th, kafkaFs(ops))
		}
		if seek, _ := ops[1].Ext["seek-to-beginning?"].(bool); !seek || !slices.Equal(ops[1].Value.([]string), allKeys) {
			t.Fatalf("final assign %v %v, want seek to all of %v", ops[1].Value, ops[1].Ext, allKeys)
		}
		read := map[string]int64{}
		for i, op := range ops[2:] {
			if op.F != "poll" || op.Status != sim.OK {
				t.Fatalf("thread %d final op %v %v", th, op.F, op.Status)
			}
			if i > 0 {
				gaps = append(gaps, (op.Invoke - ops[2+i-1].Invoke).Seconds())
			}
			for _, km := range kafkaMops(op.Out)[0].Polled.Msgs {
				for _, p := range km.Pairs {
					read[km.Key] = max(read[km.Key], p.Offset+1)
				}
			}
			caught := true
			for k, log := range r.f.logs {
				if read[k] < int64(len(log)) {
					caught = false
				}
			}
			if caught != (i == len(ops)-3) {
				t.Fatalf("thread %d caught up=%v at final poll %d of %d", th, caught, i, len(ops)-2)
			}
		}
	}
	mean := 0.0
	for _, g := range gaps {
		mean += g
		if g < 0 || g >= 0.4+2*r.latency.Seconds() {
			t.Fatalf("final poll gap %.3f s", g)
		}
	}
	mean /= float64(len(gaps))
	if len(gaps) < 40 || mean < 0.15 || mean > 0.25 {
		t.Fatalf("%d final poll gaps, mean %.3f s, want about 0.2", len(gaps), mean)
	}
}

// kafkaKeyPairs returns key k's pairs in ms.
func kafkaKeyPairs(ms kafkaMsgs, k string) []kafkaPair {
	for _, km := range ms {
		if km.Key == k {
			return km.Pairs
		}
	}
	return nil
}

func kafkaFs(ops []sim.Op) []string {
	var fs []string
	for _, op := range ops {
		fs = append(fs, op.F)
	}
	return fs
}

func TestKafkaFinalPhaseIsClippedAt10s(t *testing.T) {
	r := newKafkaRun(t, sim.Config{}, 3, 3)
	r.f.hide = "9" // the likeliest key: polls never return it
	r.run(r.maelstrom(50, 20*time.Second, 10*time.Second))
	var first, last time.Duration = -1, 0
	for _, op := range r.h {
		if op.Final {
			if first < 0 {
				first = op.Invoke
			}
			last = op.Invoke
		}
	}
	if first < 0 || last-first > kafkaFinalLimit || last-first < kafkaFinalLimit-time.Second {
		t.Fatalf("final ops from %v to %v, want 10 s", first, last)
	}
	res := sim.Check(r.s.Checker(), r.h)
	if res.Valid || !slices.Contains(res.Kinds(), "unseen") {
		t.Fatalf("valid=%v kinds %v", res.Valid, res.Kinds())
	}
}

func TestKafkaFinalPollsWithNothingSeen(t *testing.T) {
	// No ok op: final-polls has no target and emits nothing.
	r := newKafkaRun(t, sim.Config{}, 2, 4)
	_, final := r.s.Generators(r.test)
	r.run(gen.Clients(final))
	if len(r.emitted) != 0 {
		t.Fatalf("final ops %v", r.emitted)
	}
}

func TestKafkaClient(t *testing.T) {
	s := newKafkaSpec(sim.Config{})
	f := newKafkaFake()
	c := &kafkaFakeConn{id: "c1", f: f}
	do := func(op gen.Op) gen.Op {
		t.Helper()
		done, err := s.invoke(c, "n0", op)
		if err != nil {
			t.Fatalf("%+v: %v", op, err)
		}
		return done
	}
	send := func(k string, v int64) gen.Op {
		return gen.Op{F: "send", Value: []kafkaMop{{F: "send", Key: k, Msg: v}}}
	}
	poll := gen.Op{F: "poll", Value: []kafkaMop{{F: "poll"}}}

	for i := range 5 {
		done := do(send("1", int64(i+1)))
		m := kafkaMops(done.Value)
		if done.Type != gen.OK || len(m) != 1 || !m[0].Acked || m[0].Offset != int64(i) || m[0].Msg != int64(i+1) {
			t.Fatalf("send completion %+v", done)
		}
	}
	f.committed["1"] = 1
	f.calls = nil
	// A poll before any assign asks nothing.
	if m := kafkaMops(do(poll).Value)[0].Polled; len(m.Msgs) != 0 || len(m.From) != 0 || m.Commit != nil {
		t.Fatalf("unassigned poll %+v", m)
	}
	// Assign starts at the committed offset (inclusive, as Maelstrom
	// does), 0 for keys with none.
	done := do(gen.Op{F: "assign", Value: []string{"1", "2"}})
	if done.Type != gen.OK || !slices.Equal(done.Value.(kafkaAssigned).Keys, []string{"1", "2"}) ||
		!slices.Equal(done.Value.(kafkaAssigned).Committed, kafkaKeyOffsetsOf(map[string]int64{"1": 1})) {
		t.Fatalf("assign completion %+v", done)
	}
	m := kafkaMops(do(poll).Value)[0].Polled
	if ps := kafkaKeyPairs(m.Msgs, "1"); !slices.Equal(m.From, kafkaKeyOffsetsOf(map[string]int64{"1": 1, "2": 0})) ||
		len(m.Msgs) != 1 || len(ps) != 3 || ps[0] != (kafkaPair{Offset: 1, Msg: 2}) {
		t.Fatalf("poll %+v", m)
	}
	if !slices.Equal(m.Commit, kafkaKeyOffsetsOf(map[string]int64{"1": 3})) || f.committed["1"] != 3 {
		t.Fatalf("commit %v, server has %v", m.Commit, f.committed)
	}
	if !slices.Equal(f.calls, []string{"poll", "list_committed_offsets", "poll", "commit_offsets"}) {
		t.Fatalf("calls %v", f.calls)
	}
	// Reassigning keeps the position of a kept key, drops the others.
	f.calls = nil
	do(gen.Op{F: "assign", Value: []string{"1"}})
	if m := kafkaMops(do(poll).Value)[0].Polled; !slices.Equal(m.From, kafkaKeyOffsetsOf(map[string]int64{"1": 4})) {
		t.Fatalf("poll after reassign asked %v", m.From)
	}
	// An empty poll commits nothing.
	if m := kafkaMops(do(poll).Value)[0].Polled; !slices.Equal(m.From, kafkaKeyOffsetsOf(map[string]int64{"1": 5})) || m.Commit != nil {
		t.Fatalf("empty poll %+v", m)
	}
	if !slices.Equal(f.calls, []string{"list_committed_offsets", "poll", "commit_offsets", "poll"}) {
		t.Fatalf("calls %v", f.calls)
	}
	// Seek to beginning asks nothing and starts every key at 0.
	f.calls = nil
	done = do(gen.Op{F: "assign", Value: []string{"1", "7"}, Ext: map[string]any{"seek-to-beginning?": true}})
	if done.Value.(kafkaAssigned).Committed != nil || len(f.calls) != 0 {
		t.Fatalf("seek assign %+v, calls %v", done, f.calls)
	}
	if m := kafkaMops(do(poll).Value)[0].Polled; !slices.Equal(m.From, kafkaKeyOffsetsOf(map[string]int64{"1": 0, "7": 0})) {
		t.Fatalf("poll after seek asked %v", m.From)
	}
	// Crash: info, and the client's state is gone.
	if done := do(gen.Op{F: "crash"}); done.Type != gen.Info {
		t.Fatalf("crash %+v", done)
	}
	if m := kafkaMops(do(poll).Value)[0].Polled; len(m.From) != 0 {
		t.Fatalf("a crashed client kept offsets %v", m.From)
	}
}

func TestKafkaClientErrors(t *testing.T) {
	s := newKafkaSpec(sim.Config{})
	f := newKafkaFake()
	c := &kafkaFakeConn{id: "c1", f: f}
	poll := gen.Op{F: "poll", Value: []kafkaMop{{F: "poll"}}}
	send := gen.Op{F: "send", Value: []kafkaMop{{F: "send", Key: "3", Msg: 1}}}
	assign := gen.Op{F: "assign", Value: []string{"3"}}
	fail := func(typ string, err error) {
		f.reply = func(body map[string]any) (map[string]any, error) {
			if body["type"] == typ {
				return nil, err
			}
			return nil, nil
		}
	}
	bad := func(typ string, reply map[string]any) {
		f.reply = func(body map[string]any) (map[string]any, error) {
			if body["type"] == typ {
				return reply, nil
			}
			return nil, nil
		}
	}
	check := func(op gen.Op, want gen.Type, wantErr string) {
		t.Helper()
		done, err := s.invoke(c, "n0", op)
		if err != nil {
			t.Fatalf("%s: %v", op.F, err)
		}
		if done.Type != want || done.Error != wantErr {
			t.Fatalf("%s completed %v %q, want %v %q", op.F, done.Type, done.Error, want, wantErr)
		}
		if want != gen.OK && !reflect.DeepEqual(done.Value, op.Value) && op.F != "assign" {
			t.Fatalf("%s failed with value %+v, want the invocation's", op.F, done.Value)
		}
	}
	// Timeouts: assign is idempotent (fail), poll and send not (info).
	fail("list_committed_offsets", sim.ErrTimeout)
	check(assign, gen.Fail, "net-timeout")
	fail("poll", sim.ErrTimeout)
	check(poll, gen.Info, "net-timeout")
	fail("send", sim.ErrTimeout)
	check(send, gen.Info, "net-timeout")
	// Error replies: definite codes fail, others are info.
	fail("send", &sim.RPCError{Code: 11, Text: "unavailable"})
	check(send, gen.Fail, "error 11: unavailable")
	fail("send", &sim.RPCError{Code: 13, Text: "crashed"})
	check(send, gen.Info, "error 13: crashed")
	fail("list_committed_offsets", &sim.RPCError{Code: 13, Text: "crashed"})
	check(assign, gen.Fail, "error 13: crashed")
	// A failed commit fails the poll, which keeps its invocation's value.
	f.reply = nil
	if _, err := s.invoke(c, "n0", send); err != nil {
		t.Fatal(err)
	}
	s.closeClient("c1")
	if _, err := s.invoke(c, "n0", gen.Op{F: "assign", Value: []string{"3"}, Ext: map[string]any{"seek-to-beginning?": true}}); err != nil {
		t.Fatal(err)
	}
	fail("commit_offsets", sim.ErrTimeout)
	check(poll, gen.Info, "net-timeout")

	// Malformed replies crash the client.
	for _, tc := range []struct {
		typ   string
		reply map[string]any
	}{
		{"send", map[string]any{"type": "send_ok"}},
		{"send", map[string]any{"type": "send_ok", "offset": 1.5}},
		{"send", map[string]any{"type": "send_ok", "offset": 1, "extra": true}},
		{"send", map[string]any{"type": "poll_ok", "offset": 1}},
		{"poll", map[string]any{"type": "poll_ok", "msgs": map[string]any{"3": []any{[]any{0}}}}},
		{"poll", map[string]any{"type": "poll_ok", "msgs": map[string]any{"3": []any{[]any{"0", 1}}}}},
		{"poll", map[string]any{"type": "poll_ok", "msgs": nil}},
		{"list_committed_offsets", map[string]any{"type": "list_committed_offsets_ok", "offsets": map[string]any{"3": "x"}}},
		{"commit_offsets", map[string]any{"type": "commit_offsets_ok", "offsets": map[string]any{}}},
	} {
		bad(tc.typ, tc.reply)
		op := map[string]gen.Op{"send": send, "poll": poll, "list_committed_offsets": assign, "commit_offsets": poll}[tc.typ]
		if tc.typ == "commit_offsets" {
			s.closeClient("c1")
			if _, err := s.invoke(c, "n0", gen.Op{F: "assign", Value: []string{"3"}, Ext: map[string]any{"seek-to-beginning?": true}}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.invoke(c, "n0", op); err == nil {
			t.Errorf("reply %v to %s: no crash", tc.reply, tc.typ)
		}
	}
	// Messages need not be integers.
	bad("poll", map[string]any{"type": "poll_ok", "msgs": map[string]any{"3": []any{[]any{0, "x"}}}})
	s.closeClient("c1")
	done, err := s.invoke(c, "n0", poll)
	if err != nil {
		t.Fatal(err)
	}
	if m := kafkaMops(done.Value)[0].Polled; len(m.Msgs) != 1 || m.Msgs[0].Key != "3" || m.Msgs[0].val(0) != (kafkaVal{Raw: `"x"`}) {
		t.Fatalf("poll of a string message %+v", m)
	}
}

func TestKafkaValuesJSON(t *testing.T) {
	// The run store keeps values as JSON: the compact forms write what
	// maps of keys would.
	polled := &kafkaPolled{
		Msgs: kafkaMsgs{{Key: "2", Pairs: []kafkaPair{{0, 5}}}, {Key: "10", Pairs: []kafkaPair{{1, 0}, {2, 7}}, Raw: map[int]string{0: `"x"`}}},
		From: kafkaKeyOffsetsOf(map[string]int64{"2": 0, "10": 1}), Commit: kafkaKeyOffsetsOf(map[string]int64{"2": 0, "10": 2})}
	for _, tc := range []struct {
		v    any
		want string
	}{
		{[]kafkaMop{{F: "send", Key: "3", Msg: 1}}, `[{"f":"send","key":"3","msg":1}]`},
		{[]kafkaMop{{F: "send", Key: "3", Msg: 1, Offset: 4, Acked: true}}, `[{"f":"send","key":"3","msg":1,"offset":4,"acked":true}]`},
		{kafkaPollValue, `[{"f":"poll"}]`},
		{[]kafkaMop{{F: "poll", Polled: &kafkaPolled{Msgs: kafkaMsgs{}, From: kafkaKeyOffsets{}}}}, `[{"f":"poll"}]`},
		{[]kafkaMop{{F: "poll", Polled: polled}}, `[{"f":"poll","msgs":{"10":[{"offset":1,"msg":0,"raw":"\"x\""},{"offset":2,"msg":7}],"2":[{"offset":0,"msg":5}]},` +
			`"from":{"10":1,"2":0},"commit":{"10":2,"2":0}}]`},
		{kafkaAssigned{Keys: []string{"1"}}, `{"keys":["1"]}`},
		{kafkaAssigned{Keys: []string{"1"}, Committed: kafkaKeyOffsets{}}, `{"keys":["1"]}`},
		{kafkaAssigned{Keys: []string{"1"}, Committed: kafkaKeyOffsetsOf(map[string]int64{"1": 2})}, `{"keys":["1"],"committed":{"1":2}}`},
		{map[string]any{"type": "poll", "offsets": kafkaKeyOffsetsOf(nil)}, `{"offsets":{},"type":"poll"}`},
		{kafkaKeyOffsets(nil), `null`},
		{kafkaMsgs{{Key: "<&>", Pairs: []kafkaPair{}}}, `{"\u003c\u0026\u003e":[]}`},
	} {
		if b, err := json.Marshal(tc.v); err != nil || string(b) != tc.want {
			t.Errorf("%+v: %s %v, want %s", tc.v, b, err, tc.want)
		}
	}
}

// kafkaScanCases are replies' msgs fields of every form; the scanner must
// read those it takes as kafkaDecodeMsgs does.
var kafkaScanCases = []struct {
	raw     string
	scanned bool // kafkaScanMsgs takes it
}{
	{`{}`, true},
	{` { } `, true},
	{`{"1":[]}`, true},
	{`{"10":[[0,1],[1,2]],"2":[[5,-3]],"9":[]}`, true},
	{"{\n\t\"1\" : [ [ 0 , 1 ] ,\r\n[1,2] ] }", true},
	{`{"a b":[[-0,0]]}`, true},
	{`{"1":[[9223372036854775807,-9223372036854775808]]}`, true},
	{`{"1":[[9223372036854775808,1]]}`, false}, // too big: an error
	{`{"1":[[0,1.5]]}`, false},                 // a message that is not an integer
	{`{"1":[[0,1e3]]}`, false},
	{`{"1":[[0,"x"]]}`, false},
	{`{"1":[[0,{"a":[1]}]]}`, false},
	{`{"1":[[0.5,1]]}`, false}, // an error
	{`{"1":[[0]]}`, false},     // an error
	{`{"1":[[0,1,2]]}`, false}, // an error
	{`{"1":[0]}`, false},       // an error
	{`{"1":{}}`, false},        // an error
	{`{"1":null}`, false},
	{`null`, false}, // an error
	{`[]`, false},   // an error
	{`{"1":[[0,1]],"1":[[2,3]]}`, false},
	{`{"\u0031":[[0,1]]}`, false},
	{`{"é":[[0,1]]}`, false},
}

func TestKafkaScanMsgs(t *testing.T) {
	for _, tc := range kafkaScanCases {
		got, ok := kafkaScanMsgs([]byte(tc.raw))
		if ok != tc.scanned {
			t.Errorf("%s: scanned %v, want %v", tc.raw, ok, tc.scanned)
		}
		want, err := kafkaDecodeMsgs(json.RawMessage(tc.raw))
		if ok && (err != nil || !reflect.DeepEqual(got, want)) {
			t.Errorf("%s: scanned %+v, decoded %+v %v", tc.raw, got, want, err)
		}
		field, ferr := kafkaMsgsField(json.RawMessage(tc.raw))
		if (ferr != nil) != (err != nil) || (err == nil && !reflect.DeepEqual(field, any(want))) {
			t.Errorf("%s: field %+v %v, decoded %+v %v", tc.raw, field, ferr, want, err)
		}
	}
}

func FuzzKafkaScanMsgs(f *testing.F) {
	for _, tc := range kafkaScanCases {
		f.Add(tc.raw)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if !json.Valid([]byte(raw)) {
			return // replies are valid JSON by the time their fields are read
		}
		got, ok := kafkaScanMsgs([]byte(raw))
		if !ok {
			return
		}
		if want, err := kafkaDecodeMsgs(json.RawMessage(raw)); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: scanned %+v, decoded %+v %v", raw, got, want, err)
		}
	})
}

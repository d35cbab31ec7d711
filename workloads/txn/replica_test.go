package txn

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// testConfig acknowledges at once (AckAfter 0) so that tests see acks on
// the next tick, and sends one batch per peer per tick.
var testConfig = Config{Interval: 250 * time.Millisecond, ResendAfter: time.Second, RelayAfter: time.Second, MaxBatch: 100, MaxBurst: 1, ProbeBatch: 10}

func newReplicas(t *testing.T, n int, cfg Config) []*Replica {
	t.Helper()
	rs := make([]*Replica, n)
	for i := range rs {
		r, err := NewReplica(i, n, cfg)
		if err != nil {
			t.Fatal(err)
		}
		rs[i] = r
	}
	return rs
}

// ops decodes a transaction written as JSON.
func ops(t *testing.T, s string) []Op {
	t.Helper()
	var o []Op
	if err := json.Unmarshal([]byte(s), &o); err != nil {
		t.Fatalf("ops %s: %v", s, err)
	}
	return o
}

func exec(t *testing.T, r *Replica, txn string, now time.Time) string {
	t.Helper()
	b, err := json.Marshal(r.Exec(ops(t, txn), now))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// state is a replica's store as key → value text.
func state(r *Replica) map[string]string {
	m := make(map[string]string, len(r.store))
	for k, c := range r.store {
		m[k] = string(c.value)
	}
	return m
}

func deliver(t *testing.T, rs []*Replica, from int, out []Outgoing, now time.Time) {
	t.Helper()
	for _, o := range out {
		if err := rs[o.To].Receive(from, o.Batch, now); err != nil {
			t.Fatalf("n%d receive from n%d: %v", o.To, from, err)
		}
	}
}

func TestExec(t *testing.T) {
	tests := []struct {
		name, txn, want string
		logged          []Write // the entry replicated, nil for none
	}{
		{"missing key reads null", `[["r",1,null]]`, `[["r",1,null]]`, nil},
		{"reads own write", `[["w",1,5],["r",1,null]]`, `[["w",1,5],["r",1,5]]`, []Write{{"1", json.RawMessage("5")}}},
		{"reads own latest write; only the final write is logged",
			`[["w",1,5],["w",2,7],["w",1,6],["r",1,null],["r",2,null]]`,
			`[["w",1,5],["w",2,7],["w",1,6],["r",1,6],["r",2,7]]`,
			[]Write{{"1", json.RawMessage("6")}, {"2", json.RawMessage("7")}}},
		{"read before write sees the store", `[["r",3,null],["w",3,1]]`, `[["r",3,null],["w",3,1]]`, []Write{{"3", json.RawMessage("1")}}},
		{"string and number keys differ", `[["w","1",2],["r",1,null]]`, `[["w","1",2],["r",1,null]]`, []Write{{`"1"`, json.RawMessage("2")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReplicas(t, 2, testConfig)[0]
			if got := exec(t, r, tt.txn, t0); got != tt.want {
				t.Errorf("Exec = %s, want %s", got, tt.want)
			}
			l := r.logs[0]
			switch {
			case tt.logged == nil && (len(l.entries) != 0 || r.clock != 0):
				t.Errorf("read-only txn logged %v, clock %d", l.entries, r.clock)
			case tt.logged != nil && (len(l.entries) != 1 || fmt.Sprint(l.entries[0].Writes) != fmt.Sprint(tt.logged) || l.entries[0].Clock != 1):
				t.Errorf("logged %+v, want one entry at clock 1 with %v", l.entries, tt.logged)
			}
		})
	}
}

func TestExecSeesCommittedStore(t *testing.T) {
	r := newReplicas(t, 1, testConfig)[0]
	exec(t, r, `[["w",1,1],["w",2,2]]`, t0)
	if got, want := exec(t, r, `[["r",1,null],["w",1,3],["r",2,null]]`, t0), `[["r",1,1],["w",1,3],["r",2,2]]`; got != want {
		t.Errorf("Exec = %s, want %s", got, want)
	}
	if got := state(r); got["1"] != "3" || got["2"] != "2" {
		t.Errorf("store = %v", got)
	}
}

func TestVersionLess(t *testing.T) {
	tests := []struct {
		a, b Version
		less bool
	}{
		{Version{1, 0}, Version{2, 0}, true},
		{Version{2, 0}, Version{1, 5}, false},
		{Version{3, 0}, Version{3, 1}, true},
		{Version{3, 1}, Version{3, 1}, false},
	}
	for _, tt := range tests {
		if got := tt.a.Less(tt.b); got != tt.less {
			t.Errorf("%v.Less(%v) = %v", tt.a, tt.b, got)
		}
	}
}

// Entries applied in any order leave the same store: the highest version
// of each key, ties broken by node index; each entry applies as a whole.
func TestApplyIsOrderIndependent(t *testing.T) {
	type origin struct {
		node int
		e    Entry
	}
	w := func(k, v string) Write { return Write{k, json.RawMessage(v)} }
	txns := []origin{
		{1, Entry{Clock: 5, Writes: []Write{w("x", "1"), w("y", "1")}}},
		{2, Entry{Clock: 5, Writes: []Write{w("x", "2")}}}, // same clock, higher node: beats node 1
		{1, Entry{Clock: 7, Writes: []Write{w("y", "3"), w("z", "3")}}},
		{2, Entry{Clock: 6, Writes: []Write{w("z", "4"), w("y", "4")}}},
	}
	want := map[string]string{"x": "2", "y": "3", "z": "3"}
	order := []int{0, 1, 2, 3}
	for range 24 {
		rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		r := newReplicas(t, 3, testConfig)[0]
		for _, i := range order {
			r.apply(txns[i].node, txns[i].e)
		}
		if got := state(r); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("order %v: store %v, want %v", order, got, want)
		}
		if r.clock != 7 {
			t.Fatalf("order %v: clock %d, want 7", order, r.clock)
		}
	}
}

// A local txn after applying a remote one gets a higher version, so it
// wins the key everywhere: write-read and write-write edges go forward.
func TestClockMovesPastAppliedVersions(t *testing.T) {
	rs := newReplicas(t, 2, testConfig)
	for range 10 {
		exec(t, rs[1], `[["w",1,10]]`, t0)
	}
	deliver(t, rs, 1, rs[1].Tick(t0), t0)
	if got := exec(t, rs[0], `[["r",1,null],["w",1,20]]`, t0); got != `[["r",1,10],["w",1,20]]` {
		t.Fatalf("n0 read %s", got)
	}
	if rs[0].clock != 11 {
		t.Fatalf("n0 clock %d, want 11", rs[0].clock)
	}
	deliver(t, rs, 0, rs[0].Tick(t0), t0)
	if got := state(rs[1])["1"]; got != "20" {
		t.Fatalf("n1 has %s for key 1, want n0's later write 20", got)
	}
}

func TestTickBatchesAndAcks(t *testing.T) {
	rs := newReplicas(t, 2, testConfig)
	if out := rs[0].Tick(t0); len(out) != 0 {
		t.Fatalf("idle node sent %+v", out)
	}
	for i := range 50 {
		exec(t, rs[0], fmt.Sprintf(`[["w",%d,1],["r",%d,null],["w",%d,2]]`, i%5, i, i%5), t0)
	}
	exec(t, rs[0], `[["r",1,null]]`, t0)
	out := rs[0].Tick(t0)
	if len(out) != 1 || out[0].To != 1 || len(out[0].Batch.Runs) != 1 || len(out[0].Batch.Runs[0].Txns) != 50 {
		t.Fatalf("want one batch of the 50 writing txns, got %+v", out)
	}
	deliver(t, rs, 0, out, t0)
	if got := state(rs[1]); len(got) != 5 || got["3"] != "2" {
		t.Fatalf("n1 store %v, want final writes of n0", got)
	}
	// The receiver owes an ack, and sends one even with nothing of its own.
	ack := rs[1].Tick(t0)
	if len(ack) != 1 || len(ack[0].Batch.Runs) != 0 || !slices.Equal(ack[0].Batch.Have, []uint64{50, 0}) {
		t.Fatalf("want an ack of 50 from n1, got %+v", ack)
	}
	if out := rs[1].Tick(t0); len(out) != 0 {
		t.Fatalf("ack sent twice: %+v", out)
	}
	// Nothing is resent before the ack arrives, nor after.
	if out := rs[0].Tick(t0.Add(500 * time.Millisecond)); len(out) != 0 {
		t.Fatalf("resent too early: %+v", out)
	}
	deliver(t, rs, 1, ack, t0)
	if out := rs[0].Tick(t0.Add(time.Hour)); len(out) != 0 {
		t.Fatalf("acknowledged txns resent: %+v", out)
	}
	if len(rs[0].logs[0].entries) != 0 || rs[0].logs[0].base != 50 {
		t.Fatalf("acknowledged entries not dropped: base %d, %d left", rs[0].logs[0].base, len(rs[0].logs[0].entries))
	}
}

func TestResendAfterLoss(t *testing.T) {
	rs := newReplicas(t, 2, testConfig)
	exec(t, rs[0], `[["w",1,1]]`, t0)
	_ = rs[0].Tick(t0) // lost
	exec(t, rs[0], `[["w",2,2]]`, t0)
	later := rs[0].Tick(t0.Add(100 * time.Millisecond))
	if len(later) != 1 || later[0].Batch.Runs[0].From != 2 || len(later[0].Batch.Runs[0].Txns) != 1 {
		t.Fatalf("want only the new txn 2 sent, got %+v", later)
	}
	deliver(t, rs, 0, later, t0)
	if len(rs[1].store) != 0 || rs[1].logs[0].have() != 0 {
		t.Fatalf("txn 2 applied before txn 1: %v", state(rs[1]))
	}
	deliver(t, rs, 1, rs[1].Tick(t0), t0) // ack of 0
	if out := rs[0].Tick(t0.Add(900 * time.Millisecond)); len(out) != 0 {
		t.Fatalf("resent before ResendAfter: %+v", out)
	}
	again := rs[0].Tick(t0.Add(time.Second))
	if len(again) != 1 || again[0].Batch.Runs[0].From != 1 || len(again[0].Batch.Runs[0].Txns) != 2 {
		t.Fatalf("want txns 1 and 2 resent, got %+v", again)
	}
	deliver(t, rs, 0, again, t0)
	if got := state(rs[1]); got["1"] != "1" || got["2"] != "2" {
		t.Fatalf("n1 store %v after resend", got)
	}
}

// Out-of-order batches are held until the gap fills, then applied in
// sequence order.
func TestReceiveBuffersOutOfOrder(t *testing.T) {
	rs := newReplicas(t, 2, testConfig)
	var batches [][]Outgoing
	for i := range 3 {
		exec(t, rs[0], fmt.Sprintf(`[["w",1,%d]]`, i), t0)
		batches = append(batches, rs[0].Tick(t0))
	}
	deliver(t, rs, 0, batches[2], t0)
	deliver(t, rs, 0, batches[1], t0)
	if len(rs[1].store) != 0 {
		t.Fatalf("applied ahead of a gap: %v", state(rs[1]))
	}
	deliver(t, rs, 0, batches[0], t0)
	deliver(t, rs, 0, batches[1], t0) // duplicate: ignored
	if got := state(rs[1])["1"]; got != "2" || rs[1].logs[0].have() != 3 || len(rs[1].logs[0].pending) != 0 {
		t.Fatalf("after the gap filled: key 1 = %s, have %d, pending %d", got, rs[1].logs[0].have(), len(rs[1].logs[0].pending))
	}
}

func TestMaxBatchSplits(t *testing.T) {
	tests := []struct {
		burst int
		want  [][]int // txns per batch, per tick
	}{
		{1, [][]int{{4}, {4}, {2}}},
		{2, [][]int{{4, 4}, {2}}},
		{5, [][]int{{4, 4, 2}}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint("burst", tt.burst), func(t *testing.T) {
			cfg := testConfig
			cfg.MaxBatch, cfg.MaxBurst = 4, tt.burst
			rs := newReplicas(t, 2, cfg)
			for i := range 10 {
				exec(t, rs[0], fmt.Sprintf(`[["w",%d,1]]`, i), t0)
			}
			var ticks [][]int
			for {
				out := rs[0].Tick(t0)
				if len(out) == 0 {
					break
				}
				var sizes []int
				for _, o := range out {
					sizes = append(sizes, len(o.Batch.Runs[0].Txns))
				}
				ticks = append(ticks, sizes)
				deliver(t, rs, 0, out, t0)
			}
			if fmt.Sprint(ticks) != fmt.Sprint(tt.want) || len(rs[1].store) != 10 {
				t.Fatalf("batch sizes by tick %v, want %v; n1 has %d keys", ticks, tt.want, len(rs[1].store))
			}
		})
	}
}

// n0 and n2 cannot talk; n1 relays n0's txns to n2 once they have waited
// RelayAfter, and not before.
func TestRelayHealsNonTransitivePartition(t *testing.T) {
	rs := newReplicas(t, 3, testConfig)
	exec(t, rs[0], `[["w",1,1]]`, t0)
	for _, o := range rs[0].Tick(t0) {
		if o.To == 1 {
			deliver(t, rs, 0, []Outgoing{o}, t0)
		}
	}
	for _, o := range rs[1].Tick(t0.Add(500 * time.Millisecond)) {
		if o.To == 2 {
			t.Fatalf("relayed before RelayAfter: %+v", o)
		}
	}
	var relayed bool
	for _, o := range rs[1].Tick(t0.Add(time.Second)) {
		if o.To == 2 {
			relayed = true
			deliver(t, rs, 1, []Outgoing{o}, t0)
		}
	}
	if !relayed || state(rs[2])["1"] != "1" {
		t.Fatalf("n2 did not get n0's txn through n1: %v", state(rs[2]))
	}
}

func TestReceiveRejectsBadBatches(t *testing.T) {
	r := newReplicas(t, 3, testConfig)[0]
	tests := []struct {
		name string
		from int
		b    Batch
	}{
		{"from itself", 0, Batch{Have: make([]uint64, 3)}},
		{"from outside", 3, Batch{Have: make([]uint64, 3)}},
		{"short have", 1, Batch{Have: make([]uint64, 2)}},
		{"bad origin", 1, Batch{Have: make([]uint64, 3), Runs: []Run{{Origin: 3, From: 1, Txns: []Entry{{Clock: 1}}}}}},
		{"sequence zero", 1, Batch{Have: make([]uint64, 3), Runs: []Run{{Origin: 2, From: 0, Txns: []Entry{{Clock: 1}}}}}},
	}
	for _, tt := range tests {
		if err := r.Receive(tt.from, tt.b, t0); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
	if r.peers[1].heard || r.clock != 0 {
		t.Errorf("a rejected batch changed state")
	}
}

// TestRandomPartitionsConverge runs replicas as a state machine under a
// random schedule: txns on random nodes, batches delayed, reordered and,
// during partitions, dropped. Throughout, every read of a value must come
// from a txn with a lower version than the reader's (no write-read edge
// backwards). After the heal, within a bounded time, every replica holds
// every txn and the same store.
func TestRandomPartitionsConverge(t *testing.T) {
	for seed := range uint64(5) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 1))
			const n = 4
			rs := newReplicas(t, n, testConfig)
			type flight struct {
				at       time.Duration
				from, to int
				b        Batch
			}
			var net []flight
			versionOf := map[string]Version{} // "key=value" → writer's version
			cut := func(a, b int, now time.Duration) bool {
				phase := int(now / (3 * time.Second))
				return now < 30*time.Second && phase%2 == 1 && (a+b+phase)%3 == 0
			}
			const tick = 100 * time.Millisecond
			var now time.Duration
			for ; now < 45*time.Second; now += 10 * time.Millisecond {
				at := t0.Add(now)
				if now < 30*time.Second {
					for range 3 {
						i := rng.IntN(n)
						var txn []Op
						for range 1 + rng.IntN(4) {
							k := fmt.Sprint(rng.IntN(6))
							if rng.IntN(2) == 0 {
								txn = append(txn, Op{Func: FuncRead, Key: k})
							} else {
								txn = append(txn, Op{Func: FuncWrite, Key: k, Value: json.RawMessage(fmt.Sprint(rng.Int64()))})
							}
						}
						res := rs[i].Exec(txn, at)
						mine := Version{rs[i].clock, i}
						wrote := slices.ContainsFunc(txn, func(o Op) bool { return o.Func == FuncWrite })
						for _, o := range res {
							if o.Func == FuncWrite {
								versionOf[o.Key+"="+string(o.Value)] = mine
							} else if v, ok := versionOf[o.Key+"="+string(o.Value)]; ok && wrote && !v.Less(mine) && v != mine {
								t.Fatalf("n%d txn version %v read a write of version %v", i, mine, v)
							}
						}
					}
				}
				if now%tick == 0 {
					for i, r := range rs {
						for _, o := range r.Tick(at) {
							if cut(i, o.To, now) {
								continue
							}
							net = append(net, flight{now + time.Duration(rng.IntN(300))*time.Millisecond, i, o.To, o.Batch})
						}
					}
				}
				rest := net[:0]
				for _, f := range net {
					if f.at > now {
						rest = append(rest, f)
					} else if err := rs[f.to].Receive(f.from, f.b, at); err != nil {
						t.Fatal(err)
					}
				}
				net = rest
			}
			want := state(rs[0])
			for i, r := range rs {
				if got := state(r); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("n%d store differs from n0's 15s after the heal:\n%v\n%v", i, got, want)
				}
				if !slices.Equal(r.haveVector(), rs[0].haveVector()) {
					t.Errorf("n%d has %v, n0 has %v", i, r.haveVector(), rs[0].haveVector())
				}
				for o, l := range r.logs {
					if len(l.entries) != 0 || len(l.pending) != 0 {
						t.Errorf("n%d still logs %d entries (%d pending) of n%d after everyone acknowledged", i, len(l.entries), len(l.pending), o)
					}
				}
			}
		})
	}
}

// An acknowledgement rides on the receiver's next batch of transactions,
// or goes alone once it has been owed for AckAfter.
func TestAckWaitsToRide(t *testing.T) {
	cfg := testConfig
	cfg.AckAfter = 300 * time.Millisecond
	tests := []struct {
		name    string
		own     bool          // the receiver runs a txn of its own meanwhile
		at      time.Duration // when the receiver's tick sends its first batch
		wantTxn int           // txns in that batch
	}{
		{"alone, after AckAfter", false, 300 * time.Millisecond, 0},
		{"riding on the receiver's own txn", true, 100 * time.Millisecond, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := newReplicas(t, 2, cfg)
			exec(t, rs[0], `[["w",1,1]]`, t0)
			deliver(t, rs, 0, rs[0].Tick(t0), t0)
			if tt.own {
				exec(t, rs[1], `[["w",2,2]]`, t0)
			}
			var out []Outgoing
			for d := 100 * time.Millisecond; len(out) == 0 && d <= time.Second; d += 100 * time.Millisecond {
				out = rs[1].Tick(t0.Add(d))
				if len(out) != 0 && d != tt.at {
					t.Fatalf("first batch at %v, want %v", d, tt.at)
				}
			}
			if len(out) != 1 || !slices.Equal(out[0].Batch.Have, []uint64{1, uint64(tt.wantTxn)}) || len(out[0].Batch.Runs) != min(tt.wantTxn, 1) {
				t.Fatalf("want one batch acknowledging n0's txn with %d txns, got %+v", tt.wantTxn, out)
			}
			if again := rs[1].Tick(t0.Add(900 * time.Millisecond)); len(again) != 0 {
				t.Fatalf("acknowledged twice: %+v", again)
			}
		})
	}
}

// TestLongPartitionCatchUp: while a peer is unreachable for minutes, a
// node sends it one small probe per ResendAfter, not its backlog over and
// over; after the heal the backlog arrives in batches of at most MaxBatch,
// MaxBurst of them per tick, and both sides converge well inside Maelstrom's 10 s
// quiet period.
func TestLongPartitionCatchUp(t *testing.T) {
	cfg := defaults(t)
	rs := newReplicas(t, 2, cfg)
	const (
		partition = time.Minute
		perTick   = 100 // writing txns per tick on each side: 400/s at 250ms ticks
	)
	var now time.Duration
	largest := 0 // bytes of the largest batch
	step := func(deliverAll bool) (txns, most int) {
		at := t0.Add(now)
		for i, r := range rs {
			for _, o := range r.Tick(at) {
				n := 0
				for _, run := range o.Batch.Runs {
					n += len(run.Txns)
				}
				txns, most = txns+n, max(most, n)
				b, err := json.Marshal(o.Batch)
				if err != nil {
					t.Fatal(err)
				}
				largest = max(largest, len(b))
				if deliverAll {
					deliver(t, rs, i, []Outgoing{o}, at)
				}
			}
		}
		now += cfg.Interval
		return txns, most
	}
	step(true) // both sides have heard each other
	var cutTxns int
	for now < partition {
		for i, r := range rs {
			for j := range perTick {
				exec(t, r, fmt.Sprintf(`[["w",%d,%d],["w",%d,%d]]`, j%7, now/cfg.Interval*perTick+time.Duration(j), 7+i, j), t0.Add(now))
			}
		}
		txns, _ := step(false)
		cutTxns += txns
	}
	backlog := 2 * int(partition/cfg.Interval) * perTick
	// New txns go out once each; resends are probes.
	if limit := backlog + 2*int(partition/cfg.ResendAfter)*cfg.ProbeBatch; cutTxns > limit {
		t.Fatalf("%d txns sent into the partition, want at most %d (each new one once, plus probes)", cutTxns, limit)
	}
	heal := now
	for rs[0].haveVector()[1] != rs[1].haveVector()[1] || rs[1].haveVector()[0] != rs[0].haveVector()[0] {
		if now-heal > 10*time.Second {
			t.Fatalf("not converged 10 s after the heal: %v %v", rs[0].haveVector(), rs[1].haveVector())
		}
		if _, most := step(true); most > cfg.MaxBatch {
			t.Fatalf("a batch of %d txns, more than MaxBatch %d", most, cfg.MaxBatch)
		}
	}
	if took, bound := now-heal, cfg.ResendAfter+time.Duration(backlog/2/(cfg.MaxBatch*cfg.MaxBurst)+3)*cfg.Interval; took > bound {
		t.Fatalf("converged %v after the heal, want within %v", took, bound)
	}
	if fmt.Sprint(state(rs[0])) != fmt.Sprint(state(rs[1])) {
		t.Fatal("stores differ after catch-up")
	}
	t.Logf("backlog %d txns, converged %v after the heal, largest batch %d bytes", backlog, now-heal, largest)
	if largest > 1<<20 {
		t.Fatalf("largest batch %d bytes, want under 1 MiB", largest)
	}
}

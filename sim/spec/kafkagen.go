package spec

import (
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/glomers/glomers/sim/elle"
	"github.com/glomers/glomers/sim/gen"
)

// The kafka generators, after Jepsen's jepsen.tests.kafka/workload as
// maelstrom.workload.kafka/workload configures it:
//
//	load  = string-keys (any (crash-client-gen)
//	                         (poll-unseen (interleave-subscribes
//	                           (track-key-offsets max-offsets
//	                             (tag-rw (txn-generator (la/gen ...)))))))
//	final = time-limit 10 (string-keys (filter (not debug-topic-partitions)
//	                         (each-thread (final-polls max-offsets))))
//
// Keys are strings from the start here (Maelstrom's StringKeys rewrites
// Jepsen's integer keys with str, and parses them back for updates; the
// generators only compare keys, and sort them numerically where Jepsen's
// sorted map would).

// Generator timings.
const (
	// kafkaCrashInterval is crash-client-gen's :crash-client-interval
	// default: each client crashes about this often.
	kafkaCrashInterval = 30 * time.Second
	// kafkaSubscribeRatio is Jepsen's subscribe-ratio, 1/8.
	kafkaSubscribeRatio = 1.0 / 8
	// kafkaFinalPollGap is final-polls' (gen/stagger 1/5).
	kafkaFinalPollGap = time.Second / 5
	// kafkaFinalRound is final-polls' (gen/time-limit 10000): seconds, so
	// a round never ends within the final generator's 10 s (the docstring
	// says rounds repeat every 10 seconds; the code says 10000).
	kafkaFinalRound = 10000 * time.Second
	// kafkaFinalLimit is maelstrom.workload.kafka's clip of the final
	// generator.
	kafkaFinalLimit = 10 * time.Second
)

// Generators implements sim.Spec.
func (s *kafkaSpec) Generators(t *gen.Test) (load, final gen.Gen) {
	conc := max(t.Concurrency, 1)
	crash := gen.Stagger(kafkaCrashInterval/time.Duration(conc),
		gen.Repeat(-1, gen.Once(gen.Op{Type: gen.Invoke, F: "crash"})))
	appends := elle.NewAppendTxns(elle.WrTxnsOptions{KeyCount: s.keyCount, MinTxnLength: 1, MaxTxnLength: 1,
		MaxWritesPerKey: s.writesPerKey})
	txns := gen.Map(kafkaTxn, elle.Gen(appends.Next, func(m []elle.Mop) any { return m }))
	load = gen.Any(crash,
		kafkaPollUnseen{g: kafkaInterleave{kafkaTrack{offsets: s.offsets, g: txns}}})
	final = gen.TimeLimit(kafkaFinalLimit,
		gen.Map(func(op gen.Op) gen.Op { op.Final = true; return op },
			gen.Filter(func(op gen.Op) bool { return op.F != "debug-topic-partitions" },
				gen.EachThread(kafkaFinalPollsGen(s.offsets)))))
	return load, final
}

// kafkaTxn is Jepsen's txn-generator and tag-rw on one of Elle's
// list-append transactions of one micro-op: a read becomes [:poll], an
// append [:send k v], the op's :f "poll" or "send", with Jepsen's :keys (the
// key the transaction touched, a read's too) in Ext["keys"].
func kafkaTxn(op gen.Op) gen.Op {
	m := op.Value.([]elle.Mop)[0]
	op.F, op.Value = "poll", kafkaPollValue
	if m.F == "append" {
		v, _ := strconv.ParseInt(m.Value, 10, 64) // Elle's appends are 1, 2, 3, ...
		op.F, op.Value = "send", []kafkaMop{{F: "send", Key: m.Key, Msg: v}}
	}
	op.Ext = map[string]any{"keys": []string{m.Key}}
	return op
}

// kafkaPollValue is the invocation value of every poll, [[:poll]]. The
// run keeps every invocation's value, so polls share this one; no one
// changes it.
var kafkaPollValue any = []kafkaMop{{F: "poll"}}

// kafkaTrack is Jepsen's track-key-offsets: every ok completion's highest
// offsets per key go into the shared max-offsets map.
type kafkaTrack struct {
	offsets *kafkaOffsets
	g       gen.Gen
}

// Op implements gen.Gen.
func (k kafkaTrack) Op(t *gen.Test, ctx gen.Context) (gen.Op, gen.Gen, bool) {
	op, g2, ok := gen.Next(k.g, t, ctx)
	if !ok {
		return op, nil, false
	}
	if op.Type == gen.Pending {
		return op, k, true
	}
	return op, kafkaTrack{k.offsets, g2}, true
}

// Update implements gen.Gen.
func (k kafkaTrack) Update(t *gen.Test, ctx gen.Context, e gen.Op) gen.Gen {
	if e.Type == gen.OK {
		if offs := kafkaMaxOffsets(e); len(offs) > 0 {
			k.offsets.merge(offs)
		}
	}
	return kafkaTrack{k.offsets, gen.Update(k.g, t, ctx, e)}
}

// kafkaInterleave is Jepsen's interleave-subscribes with :sub-via
// #{:assign}: one operation in 8 is replaced by an assign of the keys the
// transaction would have touched, and the transaction stays for the next
// ask (Jepsen returns the generator unadvanced). Transactions pass on
// without their :keys.
type kafkaInterleave struct{ g gen.Gen }

// Op implements gen.Gen.
func (s kafkaInterleave) Op(t *gen.Test, ctx gen.Context) (gen.Op, gen.Gen, bool) {
	op, g2, ok := gen.Next(s.g, t, ctx)
	if !ok {
		return op, nil, false
	}
	if op.Type == gen.Pending {
		return op, s, true
	}
	keys, _ := op.Ext["keys"].([]string)
	if t.Rand.Float64() < kafkaSubscribeRatio {
		p, ok := ctx.SomeFreeProcess()
		if !ok {
			return gen.Op{Type: gen.Pending}, s, true
		}
		return gen.Op{Type: gen.Invoke, Process: p, Time: ctx.Time, F: "assign", Value: slices.Clone(keys)}, s, true
	}
	if op.Ext != nil {
		ext := maps.Clone(op.Ext)
		delete(ext, "keys")
		if len(ext) == 0 {
			ext = nil
		}
		op.Ext = ext
	}
	return op, kafkaInterleave{g2}, true
}

// Update implements gen.Gen.
func (s kafkaInterleave) Update(t *gen.Test, ctx gen.Context, e gen.Op) gen.Gen {
	return kafkaInterleave{gen.Update(s.g, t, ctx, e)}
}

// kafkaPollUnseen is Jepsen's poll-unseen: it follows the highest offsets
// sent and polled per key by ok completions, forgetting keys once polled
// up to what was sent, and a third of the time adds the keys sent but not
// yet polled to an assign.
type kafkaPollUnseen struct {
	g            gen.Gen
	sent, polled map[string]int64
}

// Op implements gen.Gen.
func (p kafkaPollUnseen) Op(t *gen.Test, ctx gen.Context) (gen.Op, gen.Gen, bool) {
	op, g2, ok := gen.Next(p.g, t, ctx)
	if !ok {
		return op, nil, false
	}
	if op.Type == gen.Pending {
		return op, p, true
	}
	next := kafkaPollUnseen{g2, p.sent, p.polled}
	if t.Rand.Float64() < 1.0/3 && op.F == "assign" {
		// (->> value (concat (keys sent)) distinct vec): the unseen keys
		// first.
		value, _ := op.Value.([]string)
		var keys []string
		for _, k := range slices.Concat(kafkaSortKeys(slices.Collect(maps.Keys(p.sent))), value) {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
		op.Value = keys
	}
	return op, next, true
}

// Update implements gen.Gen.
func (p kafkaPollUnseen) Update(t *gen.Test, ctx gen.Context, e gen.Op) gen.Gen {
	if e.Type != gen.OK {
		return p
	}
	sent, polled := maps.Clone(p.sent), maps.Clone(p.polled)
	if sent == nil {
		sent = map[string]int64{}
	}
	if polled == nil {
		polled = map[string]int64{}
	}
	kafkaMergeMax(sent, kafkaMaxSendOffsets(e))
	kafkaMergeMax(polled, kafkaMaxPollOffsets(e))
	for _, k := range slices.Concat(slices.Collect(maps.Keys(sent)), slices.Collect(maps.Keys(polled))) {
		if !kafkaBehind(polled, sent, k) { // caught up
			delete(sent, k)
			delete(polled, k)
		}
	}
	return kafkaPollUnseen{gen.Update(p.g, t, ctx, e), sent, polled}
}

// kafkaBehind reports whether key k was polled less far than sent (absent
// counts as -1 in both).
func kafkaBehind(polled, sent map[string]int64, k string) bool {
	po, ok := polled[k]
	if !ok {
		po = -1
	}
	se, ok := sent[k]
	if !ok {
		se = -1
	}
	return po < se
}

// kafkaMergeMax raises each key's offset in dst to its offset in src, where
// higher or absent.
func kafkaMergeMax(dst, src map[string]int64) {
	for k, v := range src {
		if cur, ok := dst[k]; !ok || v > cur {
			dst[k] = v
		}
	}
}

// kafkaMops returns the micro-ops of an event or history value.
func kafkaMops(v any) []kafkaMop {
	m, _ := v.([]kafkaMop)
	return m
}

// kafkaMaxPollOffsets is Jepsen's op->max-poll-offsets: for an ok or info
// poll, the highest offset it polled per key (-1 for a key with no pairs).
func kafkaMaxPollOffsets(e gen.Op) map[string]int64 {
	if (e.Type != gen.OK && e.Type != gen.Info) || e.F != "poll" {
		return nil
	}
	out := map[string]int64{}
	for _, m := range kafkaMops(e.Value) {
		if m.F != "poll" || m.Polled == nil {
			continue
		}
		for _, km := range m.Polled.Msgs {
			top := int64(-1)
			for _, pr := range km.Pairs {
				top = max(top, pr.Offset)
			}
			if cur, ok := out[km.Key]; !ok || top > cur {
				out[km.Key] = top
			}
		}
	}
	return out
}

// kafkaMaxSendOffsets is Jepsen's op->max-send-offsets: for an ok or info
// send, the highest offset it sent per key (never below 0).
func kafkaMaxSendOffsets(e gen.Op) map[string]int64 {
	if (e.Type != gen.OK && e.Type != gen.Info) || e.F != "send" {
		return nil
	}
	out := map[string]int64{}
	for _, m := range kafkaMops(e.Value) {
		if m.F == "send" && m.Acked {
			out[m.Key] = max(out[m.Key], m.Offset)
		}
	}
	return out
}

// kafkaMaxOffsets is Jepsen's op->max-offsets.
func kafkaMaxOffsets(e gen.Op) map[string]int64 {
	out := kafkaMaxPollOffsets(e)
	if out == nil {
		out = map[string]int64{}
	}
	kafkaMergeMax(out, kafkaMaxSendOffsets(e))
	return out
}

// kafkaFinalPollsGen is Jepsen's final-polls, a delay: when first asked,
// it reads the offsets the load reached and becomes, for every thread that
// shares it (through each-thread), a loop of rounds (crash;
// debug-topic-partitions; assign every key with seek-to-beginning; polls
// staggered 0.2 s), each round limited to 10000 s, until the thread's
// polls have reached every key's offset.
func kafkaFinalPollsGen(offsets *kafkaOffsets) gen.Gen {
	return gen.Lazy(func() gen.Gen {
		targets := offsets.snapshot()
		keys := kafkaSortKeys(slices.Collect(maps.Keys(targets)))
		round := func(int) gen.Gen {
			return gen.TimeLimit(kafkaFinalRound, gen.Seq(
				gen.Once(gen.Op{Type: gen.Invoke, F: "crash"}),
				gen.Once(gen.Op{Type: gen.Invoke, F: "debug-topic-partitions", Value: slices.Clone(keys)}),
				gen.Once(gen.Op{Type: gen.Invoke, F: "assign", Value: slices.Clone(keys),
					Ext: map[string]any{"seek-to-beginning?": true}}),
				gen.Stagger(kafkaFinalPollGap, gen.Repeat(-1, gen.Once(gen.Op{Type: gen.Invoke, F: "poll",
					Value: kafkaPollValue, Ext: map[string]any{"poll-ms": 1000}})))))
		}
		return kafkaFinalPolls{targets: targets, g: gen.Iterate(round)}
	})
}

// kafkaFinalPolls is Jepsen's FinalPolls: it passes its generator's
// operations on while some key's target offset has not been polled, and
// crosses a key off when an ok poll reaches its target. Its generator
// gets no updates (Jepsen's does not pass them on).
type kafkaFinalPolls struct {
	targets map[string]int64
	g       gen.Gen
}

// Op implements gen.Gen.
func (f kafkaFinalPolls) Op(t *gen.Test, ctx gen.Context) (gen.Op, gen.Gen, bool) {
	if len(f.targets) == 0 {
		return gen.Op{}, nil, false
	}
	op, g2, ok := gen.Next(f.g, t, ctx)
	if !ok {
		return op, nil, false
	}
	return op, kafkaFinalPolls{f.targets, g2}, true
}

// Update implements gen.Gen.
func (f kafkaFinalPolls) Update(_ *gen.Test, _ gen.Context, e gen.Op) gen.Gen {
	if e.Type != gen.OK || e.F != "poll" {
		return f
	}
	var targets map[string]int64
	for k, seen := range kafkaMaxOffsets(e) {
		want, ok := f.targets[k]
		if !ok {
			want = -1
		}
		if ok && want <= seen {
			if targets == nil {
				targets = maps.Clone(f.targets)
			}
			delete(targets, k)
		}
	}
	if targets == nil {
		return f
	}
	return kafkaFinalPolls{targets, f.g}
}

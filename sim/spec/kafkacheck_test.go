package spec

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/glomers/glomers/sim"
)

// Builders of kafka history ops; times are in milliseconds.

func kms(ms int) time.Duration { return time.Duration(ms) * time.Millisecond }

// ksend is a send of msg to key; when ok, the server gave it offset.
func ksend(p int, key string, msg, offset int64, st sim.Status, invoke, complete int) sim.Op {
	inv := []kafkaMop{{F: "send", Key: key, Msg: msg}}
	op := sim.Op{Process: p, Node: "n0", F: "send", Value: inv, Out: inv, Status: st, Invoke: kms(invoke), Complete: kms(complete)}
	if st == sim.OK {
		op.Out = []kafkaMop{{F: "send", Key: key, Msg: msg, Offset: offset, Acked: true}}
	}
	return op
}

// kpoll is an ok poll: from are the offsets it asked for, msgs what it got
// ([offset msg] pairs per key); it commits the highest offsets it got.
func kpoll(p int, from map[string]int64, msgs map[string][][2]int64, invoke, complete int) sim.Op {
	polled := &kafkaPolled{From: kafkaKeyOffsetsOf(from)}
	commit := map[string]int64{}
	for k, ps := range msgs {
		km := kafkaKeyMsgs{Key: k, Pairs: []kafkaPair{}}
		for _, pr := range ps {
			km.Pairs = append(km.Pairs, kafkaPair{Offset: pr[0], Msg: pr[1]})
			commit[k] = max(commit[k], pr[0])
		}
		polled.Msgs = append(polled.Msgs, km)
	}
	kafkaSortMsgs(polled.Msgs)
	if len(commit) > 0 {
		polled.Commit = kafkaKeyOffsetsOf(commit)
	}
	return sim.Op{Process: p, Node: "n0", F: "poll", Value: []kafkaMop{{F: "poll"}}, Out: []kafkaMop{{F: "poll", Polled: polled}},
		Status: sim.OK, Invoke: kms(invoke), Complete: kms(complete)}
}

// kassign is an assign; committed is what list_committed_offsets returned
// (nil: seek to beginning).
func kassign(p int, keys []string, st sim.Status, committed map[string]int64, invoke, complete int) sim.Op {
	op := sim.Op{Process: p, Node: "n0", F: "assign", Value: keys, Out: keys, Status: st, Invoke: kms(invoke), Complete: kms(complete)}
	if st == sim.OK {
		out := kafkaAssigned{Keys: keys}
		if committed != nil {
			out.Committed = kafkaKeyOffsetsOf(committed)
		}
		op.Out = out
	}
	return op
}

// kcheck checks h, whose ops must be in invocation order, numbering them
// and their events as a run would (history).
func kcheck(t *testing.T, h ...sim.Op) sim.Result {
	t.Helper()
	numbered := history(h...)
	for i := range h {
		if numbered[i].Invoke != h[i].Invoke || numbered[i].F != h[i].F || numbered[i].Process != h[i].Process {
			t.Fatalf("op %d is not in invocation order", i)
		}
	}
	copy(h, numbered)
	return sim.Check(newKafkaSpec(sim.Config{}).Checker(), h)
}

// kwant fails unless the result has exactly the wanted kinds of
// Maelstrom's anomalies and of strict ones, and Maelstrom's verdict
// follows from them (unknown when the checker would have thrown).
func kwant(t *testing.T, r sim.Result, kinds []string, strict []string) {
	t.Helper()
	slices.Sort(kinds)
	sk := r.StrictKinds()
	slices.Sort(strict)
	unknown := slices.Contains(kinds, "checker-error")
	if got := r.Kinds(); !slices.Equal(got, kinds) || !slices.Equal(sk, strict) || r.Valid != (len(kinds) == 0) || r.Unknown != unknown {
		t.Fatalf("valid=%v unknown=%v kinds=%v strict=%v, want kinds %v strict %v:\n%s", r.Valid, r.Unknown, got, sk, kinds, strict, dump(r))
	}
}

type kmsgs = map[string][][2]int64
type koffs = map[string]int64

// kops is, by kind, the ops (history indices) each anomaly lists.
type kops = map[string][][]int

func TestKafkaCheckValid(t *testing.T) {
	r := kcheck(t,
		ksend(0, "1", 1, 0, sim.OK, 0, 1),
		ksend(1, "1", 2, 2, sim.OK, 0, 1), // offsets may be sparse
		ksend(2, "2", 1, 5, sim.Info, 0, 1),
		ksend(2+3, "2", 2, 0, sim.Fail, 2, 3),
		kassign(0, []string{"1", "2"}, sim.OK, koffs{}, 2, 3),
		kpoll(0, koffs{"1": 0, "2": 0}, kmsgs{"1": {{0, 1}}}, 4, 5),
		kpoll(0, koffs{"1": 1, "2": 0}, kmsgs{"1": {{2, 2}}, "2": {{5, 1}}}, 6, 7),
		kpoll(1, koffs{"1": 0}, kmsgs{"1": {{0, 1}, {2, 2}}}, 6, 8),
		kassign(1, []string{"1"}, sim.OK, koffs{"1": 2}, 9, 10),
		sim.Op{Process: 1, F: "crash", Status: sim.Info, Invoke: kms(11), Complete: kms(11)},
	)
	kwant(t, r, nil, nil)
	if r.Stats["unseen-count"] != 0 || r.Stats["keys"] != 2 {
		t.Fatalf("stats %v", r.Stats)
	}
}

func TestKafkaCheckAnomalies(t *testing.T) {
	tests := []struct {
		name   string
		h      []sim.Op
		kinds  []string
		strict []string
		ops    kops // the ops each anomaly lists, for the kinds given
	}{
		// Jepsen's worst-realtime-lag is 0 when no ok poll measured a lag,
		// and its checker then throws: unknown, whatever else it found.
		{"no poll measured a lag: only key-less polls by a crashed process's successor", []sim.Op{
			ksend(0, "1", 1, 0, sim.OK, 0, 1),
			kassign(1, []string{"1"}, sim.OK, koffs{}, 2, 3),
			{Process: 1, Node: "n0", F: "poll", Value: []kafkaMop{{F: "poll"}}, Status: sim.Info, Error: "net-timeout", Invoke: kms(4), Complete: kms(5)},
			kpoll(1+2, koffs{}, kmsgs{}, 6, 7),
		}, []string{"checker-error", "unseen"}, nil, nil},
		{"a lag: a poll returning nothing after its process assigned a key", []sim.Op{
			ksend(0, "1", 1, 0, sim.OK, 0, 1),
			kassign(1, []string{"1"}, sim.OK, koffs{}, 2, 3),
			kpoll(1, koffs{"1": 0}, kmsgs{}, 4, 5),
		}, []string{"unseen"}, nil, nil},
		{"no poll at all", []sim.Op{
			ksend(0, "1", 1, 0, sim.OK, 0, 1),
		}, []string{"checker-error", "unseen"}, nil, nil},
		{"two messages at one offset", []sim.Op{
			ksend(0, "1", 1, 0, sim.OK, 0, 1),
			ksend(1, "1", 2, 0, sim.OK, 0, 1),
			kpoll(2, koffs{"1": 0}, kmsgs{"1": {{0, 1}}}, 2, 3),
		}, []string{"inconsistent-offsets", "lost-write", "unseen"}, nil, kops{"inconsistent-offsets": {nil}, "lost-write": {{1, 2}}}},
		{"a message at two offsets", []sim.Op{
			ksend(0, "1", 1, 0, sim.OK, 0, 1),
			kpoll(2, koffs{"1": 0}, kmsgs{"1": {{0, 1}, {1, 1}}}, 2, 3),
		}, []string{"duplicate", "int-nonmonotonic-poll"}, nil, kops{"duplicate": {nil}, "int-nonmonotonic-poll": {{1}}}},
		{"an acknowledged message below one polled, never polled", []sim.Op{
			ksend(0, "1", 1, 0, sim.OK, 0, 1),
			ksend(0, "1", 2, 1, sim.OK, 1, 2),
			ksend(0, "1", 3, 2, sim.OK, 2, 3),
			kpoll(1, koffs{"1": 2}, kmsgs{"1": {{2, 3}}}, 4, 5),
			kpoll(2, koffs{"1": 0}, kmsgs{"1": {{0, 1}}}, 4, 5),
		}, []string{"lost-write", "unseen"}, nil, kops{"lost-write": {{1, 3}}, "unseen": {nil}}},
		{"an info send polled must be read below the highest read", []sim.Op{
			ksend(0, "1", 1, 0, sim.OK, 0, 1),
			ksend(0, "1", 2, 0, sim.Info, 1, 2),
			kpoll(1, koffs{"1": 0}, kmsgs{"1": {{0, 1}}}, 4, 5),
			kpoll(2, koffs{"1": 1}, kmsgs{"1": {{1, 2}}}, 4, 5),
		}, nil, nil, nil},
		{"acknowledged, never polled", []sim.Op{
			ksend(0, "1", 1, 0, sim.OK, 0, 1),
			ksend(0, "2", 1, 0, sim.OK, 0, 1),
			kpoll(2, koffs{"2": 0}, kmsgs{"2": {{0, 1}}}, 2, 3),
		}, []string{"unseen"}, nil, nil},
		{"a failed send polled", []sim.Op{
			ksend(0, "1", 1, 0, sim.Fail, 0, 1),
			kpoll(2, koffs{"1": 0}, kmsgs{"1": {{0, 1}}}, 2, 3),
			ksend(0, "2", 1, 0, sim.OK, 4, 5),
			kpoll(2, koffs{"2": 0}, kmsgs{"2": {{0, 1}}}, 6, 7),
		}, []string{"G1a"}, nil, kops{"G1a": {{1, 0}}}},
		{"unseen's quirk: the last ok op first polls a key no ok op sent to", []sim.Op{
			ksend(0, "1", 1, 0, sim.Info, 0, 1),
			kpoll(2, koffs{"1": 0}, kmsgs{"1": {{0, 1}}}, 2, 3),
		}, []string{"unseen"}, nil, nil},
		{"a process skips a message between polls", []sim.Op{
			ksend(0, "1", 1, 0, sim.OK, 0, 1),
			ksend(0, "1", 2, 1, sim.OK, 1, 2),
			ksend(0, "1", 3, 2, sim.OK, 2, 3),
			kpoll(1, koffs{"1": 0}, kmsgs{"1": {{0, 1}}}, 4, 5),
			kpoll(2, koffs{"1": 0}, kmsgs{"1": {{0, 1}, {1, 2}, {2, 3}}}, 4, 5),
			kpoll(1, koffs{"1": 1}, kmsgs{"1": {{2, 3}}}, 6, 7),
		}, []string{"poll-skip"}, []string{"poll-start-skip"}, kops{"poll-skip": {{3, 5}}, "poll-start-skip": {{5}}}},
		{"an ok assign dropping the key forgets the last poll", []sim.Op{
			ksend(0, "1", 1, 0, sim.OK, 0, 1),
			ksend(0, "1", 2, 1, sim.OK, 1, 2),
			ksend(0, "1", 3, 2, sim.OK, 2, 3),
			kpoll(1, koffs{"1": 0}, kmsgs{"1": {{0, 1}}}, 4, 5),
			kpoll(2, koffs{"1": 0}, kmsgs{"1": {{0, 1}, {1, 2}, {2, 3}}}, 4, 5),
			kassign(1, []string{"2"}, sim.OK, koffs{}, 5, 6),
			kassign(1, []string{"1"}, sim.Fail, nil, 6, 6),
			kpoll(1, koffs{}, kmsgs{"1": {{2, 3}}}, 6, 7),
		}, nil, nil, nil},
		{"a failed assign does not", []sim.Op{
			ksend(0, "1", 1, 0, sim.OK, 0, 1),
			ksend(0, "1", 2, 1, sim.OK, 1, 2),
			ksend(0, "1", 3, 2, sim.OK, 2, 3),
			kpoll(1, koffs{"1": 0}, kmsgs{"1": {{0, 1}}}, 4, 5),
			kpoll(2, koffs{"1": 0}, kmsgs{"1": {{0, 1}, {1, 2}, {2, 3}}}, 4, 5),
			kassign(1, []string{"2"}, sim.Fail, nil, 5, 6),
			kpoll(1, koffs{}, kmsgs{"1": {{2, 3}}}, 6, 7),
		}, []string{"poll-skip"}, nil, kops{"poll-skip": {{3, 6}}}},
		{"a process polls a message again", []sim.Op{
			ksend(0, "1", 1, 0, sim.OK, 0, 1),
			ksend(0, "1", 2, 1, sim.OK, 1, 2),
			kpoll(1, koffs{"1": 0}, kmsgs{"1": {{0, 1}, {1, 2}}}, 4, 5),
			kpoll(1, koffs{"1": 2}, kmsgs{"1": {{1, 2}}}, 6, 7),
		}, []string{"nonmonotonic-poll"}, []string{"poll-before-offset"}, kops{"nonmonotonic-poll": {{2, 3}}, "poll-before-offset": {{3}}}},
		{"a poll skips a message", []sim.Op{
			ksend(0, "1", 1, 0, sim.OK, 0, 1),
			ksend(0, "1", 2, 1, sim.OK, 1, 2),
			ksend(0, "1", 3, 2, sim.OK, 2, 3),
			kpoll(1, koffs{"1": 0}, kmsgs{"1": {{0, 1}, {2, 3}}}, 4, 5),
			kpoll(2, koffs{"1": 1}, kmsgs{"1": {{1, 2}}}, 4, 5),
		}, []string{"int-poll-skip"}, nil, kops{"int-poll-skip": {{3}}}},
		{"a poll goes back", []sim.Op{
			ksend(0, "1", 1, 0, sim.OK, 0, 1),
			ksend(0, "1", 2, 1, sim.OK, 1, 2),
			kpoll(1, koffs{"1": 0}, kmsgs{"1": {{1, 2}, {0, 1}}}, 4, 5),
		}, []string{"int-nonmonotonic-poll"}, []string{"poll-start-skip"}, kops{"int-nonmonotonic-poll": {{2}}, "poll-start-skip": {{2}}}},
		{"a process's sends go back", []sim.Op{
			ksend(0, "1", 2, 1, sim.OK, 0, 1),
			ksend(0, "1", 1, 0, sim.OK, 1, 2),
			kpoll(1, koffs{"1": 0}, kmsgs{"1": {{0, 1}, {1, 2}}}, 4, 5),
		}, []string{"nonmonotonic-send"}, nil, kops{"nonmonotonic-send": {{0, 1}}}},
		{"a poll reads a message sent after it ended", []sim.Op{
			kpoll(1, koffs{"1": 0}, kmsgs{"1": {{0, 5}}}, 0, 1),
			ksend(0, "1", 5, 0, sim.OK, 2, 3),
		}, []string{"G1c-realtime"}, nil, kops{"G1c-realtime": {{0, 1}}}},
		{"two polls read each other's future", []sim.Op{
			kpoll(1, koffs{"1": 0}, kmsgs{"1": {{0, 1}}}, 0, 1),
			kpoll(3, koffs{"2": 0}, kmsgs{"2": {{0, 1}}}, 0, 1),
			ksend(2, "2", 1, 0, sim.OK, 2, 3),
			ksend(4, "1", 1, 0, sim.Info, 2, 5),
		}, []string{"G1c-realtime"}, nil, kops{"G1c-realtime": {{0, 3}}}},
		// Real time is history order: of a completion and an invocation at
		// the same instant, the history has one first (kcheck: the
		// completion, as the interpreter takes completions first).
		{"at the same instant, after the completion in history order", []sim.Op{
			kpoll(1, koffs{"1": 0}, kmsgs{"1": {{0, 5}}}, 0, 1),
			ksend(0, "1", 5, 0, sim.OK, 1, 3),
		}, []string{"G1c-realtime"}, nil, kops{"G1c-realtime": {{0, 1}}}},
		{"a message no one sent", []sim.Op{
			ksend(0, "1", 1, 0, sim.OK, 0, 1),
			kpoll(1, koffs{"1": 0}, kmsgs{"1": {{0, 1}, {1, 99}}}, 2, 3),
		}, []string{"checker-error"}, nil, kops{"checker-error": {{1}}}},
		{"a key polled only empty", []sim.Op{
			ksend(0, "1", 1, 0, sim.OK, 0, 1),
			kpoll(1, koffs{"1": 0}, kmsgs{"1": {}}, 2, 3),
		}, []string{"checker-error", "unseen"}, nil, kops{"checker-error": {nil}}},
		{"a negative offset", []sim.Op{
			ksend(0, "1", 1, -1, sim.OK, 0, 1),
			kpoll(1, koffs{"1": 0}, kmsgs{"1": {{-1, 1}}}, 2, 3),
		}, []string{"checker-error"}, []string{"poll-before-offset"}, kops{"checker-error": {{0}, {1}, nil}, "poll-before-offset": {{1}}}},
		{"a list_committed_offsets below an acknowledged commit", []sim.Op{
			ksend(0, "1", 1, 0, sim.OK, 0, 1),
			ksend(0, "1", 2, 1, sim.OK, 1, 2),
			kpoll(1, koffs{"1": 0}, kmsgs{"1": {{0, 1}, {1, 2}}}, 2, 3),
			kassign(4, []string{"1"}, sim.OK, koffs{"1": 0}, 2, 5), // concurrent with the commit
			kassign(2, []string{"1"}, sim.OK, koffs{"1": 0}, 4, 5),
			kassign(3, []string{"1"}, sim.OK, koffs{}, 4, 5),
			kassign(4, []string{"1"}, sim.OK, nil, 6, 7), // seek to beginning
		}, nil, []string{"committed-offset-regression"}, kops{"committed-offset-regression": {{4}, {5}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := kcheck(t, tt.h...)
			kwant(t, r, tt.kinds, tt.strict)
			all := append(slices.Clone(r.Anomalies), r.Strict...)
			for kind, want := range tt.ops {
				if got := listedOps(all, kind); !slices.EqualFunc(got, want, slices.Equal) {
					t.Errorf("%s anomalies list ops %v, want %v:\n%s", kind, got, want, dump(r))
				}
			}
			for _, a := range all {
				for _, o := range a.Ops {
					if o != tt.h[o.Index].Ref() { // kcheck numbered tt.h
						t.Errorf("%s lists %+v, not op %d as it is", a.Kind, o, o.Index)
					}
				}
			}
		})
	}
}

func TestKafkaCheckCapsAnomaliesPerKind(t *testing.T) {
	// One poll reads the first message, so that a lag is measured
	// (without, Jepsen's checker throws).
	var h []sim.Op
	for i := range 25 {
		h = append(h, ksend(0, "1", int64(i+1), int64(i), sim.OK, i, i+1))
	}
	h = append(h, kpoll(1, koffs{"1": 0}, kmsgs{"1": {{0, 1}}}, 30, 31))
	r := kcheck(t, h...)
	kwant(t, r, []string{"unseen"}, nil)
	var many []sim.Op
	for i := range 25 {
		many = append(many, ksend(0, strings.Repeat("1", i+1), 1, 0, sim.OK, i, i+1))
	}
	many = append(many, kpoll(1, koffs{"1": 0}, kmsgs{"1": {{0, 1}}}, 30, 31))
	r = kcheck(t, many...)
	if len(r.Anomalies) != kafkaMaxPerKind+1 || !strings.Contains(r.Anomalies[kafkaMaxPerKind].Detail, "14 more") {
		t.Fatalf("anomalies %v", dump(r))
	}
}

func TestKafkaCheckSeveralMicroOps(t *testing.T) {
	// Maelstrom's ops have one micro-op each, but the checker reads any
	// number and names an op by all of them. (Jepsen's checks within one
	// op of several sends, int-send-skip and int-nonmonotonic-send, are
	// not ported: no client here builds such ops.)
	sends := []kafkaMop{{F: "send", Key: "2", Msg: 1}, {F: "send", Key: "1", Msg: 1}}
	send := sim.Op{Process: 0, Node: "n0", F: "send", Value: sends, Out: sends, Status: sim.Fail, Invoke: kms(0), Complete: kms(1)}
	poll := kpoll(1, koffs{"1": 0}, kmsgs{"1": {{0, 1}}}, 2, 3)
	second := kpoll(1, koffs{"1": 0, "2": 0}, kmsgs{"2": {{0, 1}}, "1": {}}, 2, 3)
	poll.Out = append(kafkaMops(poll.Out), kafkaMops(second.Out)...)
	r := kcheck(t, send, poll)
	kwant(t, r, []string{"G1a", "unseen"}, nil) // unseen: its quirk, keys polled before any ok send
	poll1, send1 := `[[:poll {"1" [[0 1]]}] [:poll {"1" [], "2" [[0 1]]}]]`, `[[:send "2" 1] [:send "1" 1]]`
	for i, k := range []string{"1", "2"} {
		if a := r.Anomalies[i]; a.Kind != "G1a" || !strings.Contains(a.Detail, poll1+") read key "+k) || !strings.Contains(a.Detail, send1) {
			t.Fatalf("anomalies %v, want G1a of keys 1 and 2 naming %s and %s", dump(r), poll1, send1)
		}
	}
}

// listedOps returns the history indices of the operations each anomaly
// of kind lists, one list per anomaly, in order.
func listedOps(as []sim.Anomaly, kind string) [][]int {
	var out [][]int
	for _, a := range as {
		if a.Kind != kind {
			continue
		}
		var ids []int
		for _, o := range a.Ops {
			ids = append(ids, o.Index)
		}
		out = append(out, ids)
	}
	return out
}

func TestKafkaOpsEachOnceCapped(t *testing.T) {
	named := func(ids ...int) kafkaNamed {
		n := kafkaNamed{text: "ops"}
		for _, id := range ids {
			n.ops = append(n.ops, sim.OpRef{Index: id})
		}
		return n
	}
	var many, want []int
	for i := range 30 {
		many = append(many, 5+i)
	}
	want = append([]int{3, 1, 0}, many[:kafkaMaxOps-3]...)
	var got []int
	for _, o := range kafkaOps([]any{named(3, 1), "text", 7, named(1, 3, 0), named(many...)}) {
		got = append(got, o.Index)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("ops %v, want %v", got, want)
	}
}

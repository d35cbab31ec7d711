package spec

import (
	"fmt"
	"testing"

	"github.com/glomers/glomers/sim"
)

func ksend(p int, key string, msg, offset int, st sim.Status, invoke, complete int) sim.Op {
	resp := ""
	if st == sim.OK {
		resp = fmt.Sprintf(`{"type":"send_ok","offset":%d}`, offset)
	}
	return op(p, "send", fmt.Sprintf(`{"type":"send","key":%q,"msg":%d}`, key, msg), resp, st, invoke, complete)
}

// kpoll is an ok poll: asked and msgs are the JSON of the request's offsets
// and of the reply's msgs.
func kpoll(p int, asked, msgs string, invoke, complete int) sim.Op {
	return op(p, "poll", `{"type":"poll","offsets":`+asked+`}`, `{"type":"poll_ok","msgs":`+msgs+`}`, sim.OK, invoke, complete)
}

func kcommit(p int, offsets string, st sim.Status, invoke, complete int) sim.Op {
	return op(p, "commit_offsets", `{"type":"commit_offsets","offsets":`+offsets+`}`, `{"type":"commit_offsets_ok"}`, st, invoke, complete)
}

func klist(p int, keys, offsets string, invoke, complete int) sim.Op {
	return op(p, "list_committed_offsets", `{"type":"list_committed_offsets","keys":`+keys+`}`,
		`{"type":"list_committed_offsets_ok","offsets":`+offsets+`}`, sim.OK, invoke, complete)
}

func TestKafkaCheck(t *testing.T) {
	// A clean base: two sends to key 1 at sparse offsets, one to key 2,
	// polled, committed and listed.
	base := sim.History{
		ksend(0, "1", 100, 0, sim.OK, 0, 1),
		ksend(1, "1", 101, 2, sim.OK, 0, 1),
		ksend(0, "2", 102, 5, sim.OK, 2, 3),
		kpoll(0, `{"1":0,"2":0}`, `{"1":[[0,100],[2,101]],"2":[[5,102]]}`, 4, 5),
		kcommit(0, `{"1":2,"2":5}`, sim.OK, 6, 7),
		klist(1, `["1","2"]`, `{"1":2,"2":5}`, 8, 9),
		kpoll(1, `{"1":2}`, `{"1":[[2,101]]}`, 10, 11),
	}
	with := func(ops ...sim.Op) sim.History { return append(append(sim.History{}, base...), ops...) }
	tests := []struct {
		name string
		h    sim.History
		want []string
	}{
		{"clean", base, nil},
		{"indeterminate and failed sends never polled are fine", with(
			ksend(0, "1", 200, 0, sim.Info, 20, 5020),
			ksend(0, "1", 201, 0, sim.Fail, 21, 22),
		), nil},
		{"indeterminate send polled later", with(
			ksend(0, "3", 200, 0, sim.Info, 20, 5020),
			kpoll(0, `{"3":0}`, `{"3":[[0,200]]}`, 6000, 6001),
		), nil},
		{"inconsistent offsets", with(
			ksend(1, "2", 300, 7, sim.OK, 20, 21),
			kpoll(0, `{"2":6}`, `{"2":[[7,301]]}`, 30, 31),
			ksend(1, "2", 301, 9, sim.Info, 20, 5020),
		), []string{"inconsistent-offsets", "lost-write"}},
		{"duplicate message", with(
			kpoll(0, `{"1":0}`, `{"1":[[0,100],[2,101],[3,100]]}`, 20, 21),
		), []string{"duplicate"}},
		{"unexpected message", with(
			kpoll(0, `{"2":0}`, `{"2":[[5,102],[6,100]]}`, 20, 21),
		), []string{"unexpected-message"}},
		{"aborted read", with(
			ksend(1, "2", 400, 0, sim.Fail, 20, 21),
			kpoll(0, `{"2":6}`, `{"2":[[6,400]]}`, 30, 31),
		), []string{"aborted-read"}},
		{"lost write", with(
			ksend(1, "2", 500, 6, sim.OK, 20, 21),
			ksend(1, "2", 501, 7, sim.OK, 22, 23),
			kpoll(0, `{"2":7}`, `{"2":[[7,501]]}`, 30, 31),
		), []string{"lost-write"}},
		{"unseen", with(
			ksend(1, "2", 500, 6, sim.OK, 20, 21),
		), []string{"unseen"}},
		{"poll starts before the asked offset", with(
			kpoll(0, `{"1":2}`, `{"1":[[0,100],[2,101]]}`, 20, 21),
		), []string{"nonmonotonic-poll"}},
		{"poll goes backwards", with(
			kpoll(0, `{"1":0}`, `{"1":[[2,101],[0,100]]}`, 20, 21),
		), []string{"nonmonotonic-poll", "poll-skip"}},
		{"poll skips a known offset at its start", with(
			kpoll(0, `{"1":0}`, `{"1":[[2,101]]}`, 20, 21),
		), []string{"poll-skip"}},
		{"poll skips a known offset inside", with(
			ksend(1, "1", 600, 3, sim.OK, 20, 21),
			kpoll(0, `{"1":0}`, `{"1":[[0,100],[3,600]]}`, 30, 31),
		), []string{"poll-skip"}},
		{"sends of one client go backwards", with(
			ksend(1, "3", 700, 4, sim.OK, 20, 21),
			ksend(1, "3", 701, 1, sim.OK, 22, 23),
			kpoll(2, `{"3":0}`, `{"3":[[1,701],[4,700]]}`, 30, 31),
		), []string{"nonmonotonic-send"}},
		{"committed offsets read while a commit is in flight", with(
			kcommit(0, `{"1":3,"2":6}`, sim.OK, 20, 30),
			klist(1, `["1","2"]`, `{"1":2,"2":6}`, 25, 26),
			klist(1, `["1"]`, `{"1":2}`, 30, 31),
		), nil},
		{"an unacknowledged commit sets no floor", with(
			kcommit(0, `{"1":7}`, sim.Info, 20, 5020),
			klist(1, `["1"]`, `{"1":2}`, 6000, 6001),
		), nil},
		{"committed offset goes back", with(
			kcommit(1, `{"1":0}`, sim.OK, 20, 21),
			klist(2, `["1","2"]`, `{"1":0,"2":5}`, 22, 23),
		), []string{"committed-offset-regression"}},
		{"committed key left out", with(
			klist(2, `["1","2"]`, `{"2":5}`, 20, 21),
		), []string{"committed-offset-regression"}},
		{"committed offset beyond any commit", with(
			klist(1, `["1","2"]`, `{"1":9,"2":5}`, 20, 21),
		), []string{"committed-offset-ahead"}},
		{"malformed poll entry", with(
			kpoll(0, `{"1":0}`, `{"1":[[0]]}`, 20, 21),
		), []string{"malformed-reply"}},
	}
	s := newKafkaSpec(sim.Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantKinds(t, s.Check(tt.h), tt.want...) })
	}
}

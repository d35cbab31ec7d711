package sim

import (
	"bytes"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/glomers/glomers/node"
)

// sink records the lines delivered to an endpoint.
type sink struct {
	mu    sync.Mutex
	lines []string
}

func (s *sink) receive(m *message) {
	s.mu.Lock()
	s.lines = append(s.lines, string(m.line))
	s.mu.Unlock()
}

func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.lines)
}

func TestPartitionCutsBothWaysAndHeals(t *testing.T) {
	nw := newNetwork(latency{dist: "constant", mean: 10 * time.Millisecond})
	sinks := make([]*sink, 3)
	eps := make([]*endpoint, 3)
	for i, id := range []string{"n0", "n1", "n2"} {
		sinks[i] = &sink{}
		eps[i] = nw.add(id, server, sinks[i], rand.New(rand.NewPCG(1, 2)))
	}
	cl := &sink{}
	c := nw.add("c1", client, cl, nil)
	svc := &sink{}
	nw.add(node.SeqKV, service, svc, rand.New(rand.NewPCG(1, 2)))

	var problems []string
	var inFlight []*message
	send := func(from *endpoint, dest string, wantDelay time.Duration) {
		m, d, err := nw.route(from, dest, envelope(from.id, dest, []byte(`{"type":"x"}`), "", 0))
		if err != nil {
			problems = append(problems, err.Error())
			return
		}
		if d != wantDelay {
			t.Errorf("%s→%s takes %v, want %v", from.id, dest, d, wantDelay)
		}
		inFlight = append(inFlight, m)
	}
	arrive := func() {
		for _, m := range inFlight {
			nw.deliver(m)
		}
		inFlight = nil
	}
	// n0 alone, n1 and n2 together.
	nw.grudge = components([]int{1, 0, 0})
	send(eps[0], "n1", 10*time.Millisecond)
	send(eps[1], "n0", 10*time.Millisecond)
	send(eps[1], "n2", 10*time.Millisecond)
	send(eps[0], node.SeqKV, 10*time.Millisecond)
	send(eps[0], "c1", 0)
	send(c, "n0", 0)
	arrive()
	want := []int{1, 0, 1} // n0 got c1's; n1 nothing; n2 got n1's
	for i, s := range sinks {
		if s.count() != want[i] {
			t.Errorf("during the partition n%d got %d messages, want %d", i, s.count(), want[i])
		}
	}
	if cl.count() != 1 || svc.count() != 1 {
		t.Errorf("clients and services must stay reachable: client got %d, service %d", cl.count(), svc.count())
	}
	// A message sent before the heal but arriving after it gets through,
	// as in Maelstrom, which checks partitions on receipt.
	send(eps[0], "n1", 10*time.Millisecond)
	nw.grudge = nil
	send(eps[1], "n0", 10*time.Millisecond)
	arrive()
	if sinks[0].count() != 2 || sinks[1].count() != 1 {
		t.Errorf("after the heal: n0 %d, n1 %d messages, want 2 and 1", sinks[0].count(), sinks[1].count())
	}
	// A message to a closed client counts and is dropped.
	c.closed = true
	send(eps[0], "c1", 0)
	arrive()
	if cl.count() != 1 {
		t.Errorf("a closed client got a message")
	}
	// A message to no such node is refused: reported, not counted.
	send(eps[0], "n9", 0)
	st := nw.stats(2)
	if st.All.Msgs != 9 || st.Dropped != 2 || st.Clients.Msgs != 3 || st.Servers.Msgs != 6 || st.All.MsgsPerOp != 4.5 || st.Unroutable != 1 {
		t.Errorf("stats %+v: want 9 messages, 2 dropped, 3 client ones, 6 server ones, 1 unroutable", st)
	}
	if len(problems) != 1 || !strings.Contains(problems[0], `"n9"`) {
		t.Errorf("problems %q: want the message to n9", problems)
	}
}

func TestLatencyDistributions(t *testing.T) {
	mean := 100 * time.Millisecond
	for _, dist := range []string{"constant", "uniform", "exponential"} {
		t.Run(dist, func(t *testing.T) {
			l, err := newLatency(dist, mean)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(7, 7))
			const n = 20000
			var sum, lo, hi float64 = 0, math.Inf(1), 0
			for range n {
				d := float64(l.draw(r))
				sum += d
				lo, hi = min(lo, d), max(hi, d)
			}
			got := sum / n / float64(mean)
			if math.Abs(got-1) > 0.03 {
				// Draws are whole milliseconds, so uniform and exponential
				// means fall half a millisecond short.
				t.Errorf("mean %.3f × the asked mean", got)
			}
			switch dist {
			case "constant":
				if lo != hi {
					t.Errorf("constant latency varies: %v..%v", lo, hi)
				}
			case "uniform":
				if lo < 0 || hi >= float64(2*mean) || hi < float64(mean)*1.9 {
					t.Errorf("uniform range %v..%v, want within 0..2×mean", lo, hi)
				}
			case "exponential":
				if hi < float64(3*mean) {
					t.Errorf("exponential max %v has no tail", hi)
				}
			}
		})
	}
	if _, err := newLatency("pareto", mean); err == nil {
		t.Error("an unknown distribution must be refused")
	}
}

func TestShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	// Links cut by each of Jepsen's shapes, by node count: its minority
	// third is the largest number under a third of the nodes (none of 3).
	cuts := map[string]map[int]int{
		"one":            {1: 0, 2: 2, 3: 4, 5: 8, 25: 48},
		"minority-third": {1: 0, 2: 0, 3: 0, 4: 6, 5: 8, 25: 2 * 8 * 17},
		"majority":       {1: 0, 2: 2, 3: 4, 5: 12, 25: 2 * 12 * 13},
	}
	for _, n := range []int{1, 2, 3, 4, 5, 25} {
		for _, s := range shapes {
			g := s.build(r, n)
			cut := 0
			for to := range n {
				sees := 0
				for from := range n {
					if g.drops(to, from) {
						cut++
					} else {
						sees++
					}
				}
				if g.drops(to, to) {
					t.Errorf("%s/%d: node %d drops its own messages", s.name, n, to)
				}
				if s.name == "majorities-ring" && sees != n/2+1 {
					t.Errorf("majorities-ring/%d: node %d sees %d nodes, want a bare majority", n, to, sees)
				}
			}
			if want, ok := cuts[s.name][n]; ok && cut != want {
				t.Errorf("%s/%d cuts %d links, want %d", s.name, n, cut, want)
			}
		}
	}
	// Three nodes on a ring each see a different two: the cut is one-way.
	g := majoritiesRing(r, 3)
	for to := range 3 {
		for from := range 3 {
			if g.drops(to, from) && g.drops(from, to) {
				t.Errorf("majorities-ring/3: %d and %d cut both ways", to, from)
			}
		}
	}
}

func TestHeader(t *testing.T) {
	tests := []struct {
		line, src, dest string
		ok              bool
	}{
		{`{"src":"n1","dest":"c2","body":{"type":"x"}}`, "n1", "c2", true},
		{`{"dest":"n2","src":"n1","body":{}}`, "n1", "n2", true},
		{`{"src":"n\"1","dest":"n2","body":{}}`, `n"1`, "n2", true},
		{`{ "src" : "n1", "dest": "n2", "body": {"a":[1]} }`, "n1", "n2", true},
		{`{"dest":"n2","src":"n1","body":[]}`, "", "", false},
		{`{"src":"n1","body":{}}`, "", "", false},
		{`hello`, "", "", false},
	}
	for _, tc := range tests {
		src, dest, ok := header([]byte(tc.line + "\n"))
		if src != tc.src || dest != tc.dest || ok != tc.ok {
			t.Errorf("header(%s) = %q, %q, %v; want %q, %q, %v", tc.line, src, dest, ok, tc.src, tc.dest, tc.ok)
		}
	}
}

func TestEnvelope(t *testing.T) {
	for _, tc := range []struct{ body, key, want string }{
		{`{"type":"a"}`, "msg_id", `{"src":"c1","dest":"n0","body":{"msg_id":7,"type":"a"}}`},
		{`{}`, "in_reply_to", `{"src":"c1","dest":"n0","body":{"in_reply_to":7}}`},
		{`{"type":"a"}`, "", `{"src":"c1","dest":"n0","body":{"type":"a"}}`},
	} {
		if got := string(envelope("c1", "n0", []byte(tc.body), tc.key, 7)); got != tc.want+"\n" {
			t.Errorf("envelope(%s, %s) = %s", tc.body, tc.key, got)
		}
	}
}

func TestPipes(t *testing.T) {
	bubble(t)(func() {
		nw := newNetwork(latency{dist: "constant"})
		in := newInbox()
		self := nw.add("n0", server, in, rand.New(rand.NewPCG(1, 1)))
		var problems []string
		mail := newMailbox()
		out := &outbox{mail: mail, self: self, strict: true, bad: func(p string) { problems = append(problems, p) }}

		// Lines split across writes, several in one write, junk, a lie
		// about src, and an unfinished line at the end.
		msg := `{"src":"n0","dest":"n0","body":{"type":"x","big":"` + strings.Repeat("y", 100000) + `"}}` + "\n"
		io.WriteString(out, msg[:10])
		io.WriteString(out, msg[10:]+msg+"junk\n"+`{"src":"n9","dest":"n0","body":{}}`+"\n{\"src\":\"n0\",")
		out.flush()
		for _, it := range mail.take() {
			m, _, err := nw.route(it.from, it.dest, it.line)
			if err != nil {
				t.Fatal(err)
			}
			nw.deliver(m)
		}
		in.close()
		got, err := io.ReadAll(in)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, []byte(msg+msg)) {
			t.Errorf("inbox read %d bytes, want the two messages (%d bytes)", len(got), 2*len(msg))
		}
		if len(problems) != 3 {
			t.Errorf("problems %q: want junk, wrong src and an unfinished line", problems)
		}
	})
}

package elle

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		kinds []Kind
		want  string
	}{
		{[]Kind{WW, WW}, "G0"},
		{[]Kind{WW, WR}, "G1c"},
		{[]Kind{WR, WR, WW}, "G1c"},
		{[]Kind{RW, WR}, "G-single"},
		{[]Kind{RW, WW, WR}, "G-single"},
		{[]Kind{RW, WR, RW, WR}, "G-nonadjacent"},
		{[]Kind{RW, RW}, "G2-item"},
		{[]Kind{RW, WR, RW}, "G2-item"}, // the last and first are adjacent
		{[]Kind{WW, Process}, "G0-process"},
		{[]Kind{WR, Process, Realtime}, "G1c-realtime"},
		{[]Kind{RW, Realtime}, "G-single-realtime"},
		{[]Kind{RW, Process, RW, Process}, "G-nonadjacent-process"},
		{[]Kind{RW, RW, Realtime}, "G2-item-realtime"},
		{[]Kind{Process, Realtime}, ""},
	}
	for _, tt := range tests {
		if got := Classify(tt.kinds); got != tt.want {
			t.Errorf("Classify(%v) = %q, want %q", tt.kinds, got, tt.want)
		}
	}
}

func TestProhibitedBy(t *testing.T) {
	exact := map[string][]string{
		"read-uncommitted": {"G0", "cyclic-versions", "duplicate-elements"},
		"read-committed":   {"G0", "G1", "G1a", "G1b", "G1c", "cyclic-versions", "dirty-update", "duplicate-elements", "incompatible-order"},
	}
	for m, want := range exact {
		got, err := ProhibitedBy([]string{m})
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: %v %v, want %v", m, got, err, want)
		}
	}
	contains := func(m string, yes, no []string) {
		t.Helper()
		got, err := ProhibitedBy([]string{m})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range yes {
			if !slices.Contains(got, a) {
				t.Errorf("%s does not prohibit %s", m, a)
			}
		}
		for _, a := range no {
			if slices.Contains(got, a) {
				t.Errorf("%s prohibits %s", m, a)
			}
		}
	}
	contains("strict-serializable", CycleTypes, nil)
	contains("serializable", []string{"G0", "G1c", "G-single", "G-nonadjacent", "G2-item", "internal", "lost-update"},
		[]string{"G0-realtime", "G-single-realtime", "G2-item-process"})
	contains("snapshot-isolation", []string{"G-single", "G-nonadjacent", "lost-update", "internal"}, []string{"G2-item"})
	contains("repeatable-read", []string{"G2-item", "lost-update"}, []string{"G-single", "G-nonadjacent", "internal"})
	contains("strong-session-serializable", []string{"G-single-process", "G2-item-process", "G2-item"}, []string{"G-single-realtime"})
	contains("PL-2", []string{"G1c"}, []string{"G2-item"})
	if _, err := ProhibitedBy([]string{"linearizable-ish"}); err == nil {
		t.Error("an unknown model passed")
	}
}

func TestExpectation(t *testing.T) {
	rt, pr, err := Expectation{}.Orders()
	if err != nil || !rt || pr {
		t.Errorf("default (strict-serializable) orders: realtime %v process %v %v", rt, pr, err)
	}
	rt, pr, _ = Expectation{Models: []string{"strong-session-serializable"}}.Orders()
	if rt || !pr {
		t.Errorf("strong-session-serializable orders: realtime %v process %v", rt, pr)
	}
	rt, pr, _ = Expectation{Models: []string{"serializable"}}.Orders()
	if rt || pr {
		t.Errorf("serializable orders: realtime %v process %v", rt, pr)
	}
	types, _ := Expectation{Models: []string{"linearizable"}}.CycleTypesToFind()
	if types == nil || len(types) != 0 {
		t.Errorf("linearizable (no transactional anomaly) looks for %#v", types)
	}
	types, _ = Expectation{Models: []string{"read-committed"}}.CycleTypesToFind()
	if !slices.Equal(types, []string{"G0", "G1c"}) {
		t.Errorf("read-committed looks for %v", types)
	}
	e := Expectation{Models: []string{"read-committed"}}
	r, _ := e.Evaluate(Anomalies{"G-single": {Text("x")}})
	if !r.Valid || r.Unknown {
		t.Errorf("an allowed anomaly: %+v", r)
	}
	r, _ = e.Evaluate(Anomalies{"G1c": {Text("x")}, "G-single": {Text("y")}})
	if r.Valid || r.Unknown || !slices.Equal(r.AnomalyTypes, []string{"G1c"}) || !slices.Equal(r.Not, []string{"read-committed"}) {
		t.Errorf("G1c under read-committed: %+v", r)
	}
	r, _ = e.Evaluate(Anomalies{CycleSearchTimeoutAnomaly: {Text("x")}})
	if r.Valid || !r.Unknown {
		t.Errorf("a timeout alone: %+v", r)
	}
}

// zero-duration operations at given times on given threads.
func instant(specs ...[3]int) History { // {thread, time ms, type}
	var h History
	for i, s := range specs {
		at := time.Duration(s[1]) * time.Millisecond
		h = append(h, Op{Index: i, Process: s[0], Thread: s[0], Type: Type(s[2]), Invoke: at, Complete: at})
	}
	return h
}

func TestRealtimeGraph(t *testing.T) {
	ms := time.Millisecond
	h := History{
		{Index: 0, Thread: 0, Type: OK, Invoke: 0, Complete: 1 * ms},
		{Index: 1, Thread: 1, Type: OK, Invoke: 2 * ms, Complete: 3 * ms},
		{Index: 2, Thread: 0, Type: OK, Invoke: 4 * ms, Complete: 5 * ms},
		{Index: 3, Thread: 2, Type: Info, Invoke: 2 * ms, Complete: 9 * ms}, // concurrent with 1 and 2
		{Index: 4, Thread: 1, Type: OK, Invoke: 10 * ms, Complete: 11 * ms},
	}
	g := NewGraph(len(h))
	LinkRealtime(g, h)
	want := map[[2]int]bool{{0, 1}: true, {0, 3}: true, {1, 2}: true, {2, 4}: true}
	for a := range h {
		for b := range h {
			if got := g.Edge(a, b).Has(Realtime); got != want[[2]int{a, b}] {
				t.Errorf("edge %d → %d: %v, want %v", a, b, got, want[[2]int{a, b}])
			}
		}
	}

	// Simultaneous zero-duration operations: of different threads,
	// concurrent; of one thread, in Index order.
	h = instant([3]int{0, 5, int(OK)}, [3]int{1, 5, int(OK)}, [3]int{0, 5, int(OK)})
	g = NewGraph(len(h))
	LinkRealtime(g, h)
	if g.Edge(0, 1) != 0 || g.Edge(1, 0) != 0 || !g.Edge(0, 2).Has(Realtime) || g.Edge(1, 2) != 0 {
		t.Errorf("ties: 0→1 %v, 1→0 %v, 0→2 %v, 1→2 %v", g.Edge(0, 1), g.Edge(1, 0), g.Edge(0, 2), g.Edge(1, 2))
	}

	// With the history's event order, ties are settled as they happened:
	// 0 completed before 1 was invoked, although at the same instant.
	for i, ev := range [][2]int{{0, 1}, {2, 3}, {4, 5}} {
		h[i].InvokeEvent, h[i].CompleteEvent = ev[0], ev[1]
	}
	g = NewGraph(len(h))
	LinkRealtime(g, h)
	if !g.Edge(0, 1).Has(Realtime) || !g.Edge(1, 2).Has(Realtime) || g.Edge(0, 2) != 0 {
		t.Errorf("event order: 0→1 %v, 1→2 %v, 0→2 %v (implied, so not linked)", g.Edge(0, 1), g.Edge(1, 2), g.Edge(0, 2))
	}
}

func TestProcessGraph(t *testing.T) {
	h := instant([3]int{0, 1, int(OK)}, [3]int{1, 2, int(OK)}, [3]int{0, 3, int(Fail)}, [3]int{0, 4, int(OK)})
	g := NewGraph(len(h))
	LinkProcess(g, h)
	if !g.Edge(0, 3).Has(Process) || g.EdgeCount() != 1 {
		t.Errorf("process edges: 0→3 %v, %d edges", g.Edge(0, 3), g.EdgeCount())
	}
}

// graphOf builds a graph from edges "a b kinds..." over n vertices.
func graphOf(n int, edges ...[]int) *Graph {
	g := NewGraph(n)
	for _, e := range edges {
		for _, k := range e[2:] {
			g.Link(e[0], e[1], Kind(k))
		}
	}
	return g
}

func typesOf(a Anomalies) []string {
	var ts []string
	for _, t := range a.Types() {
		if IsCycleType(t) {
			ts = append(ts, t)
		}
	}
	return ts
}

func TestFindCyclesHandMade(t *testing.T) {
	e := func(a, b int, ks ...Kind) []int {
		out := []int{a, b}
		for _, k := range ks {
			out = append(out, int(k))
		}
		return out
	}
	tests := []struct {
		name  string
		g     *Graph
		prio  Priority
		types []string
		want  []string
	}{
		{"G0", graphOf(3, e(0, 1, WW), e(1, 2, WW), e(2, 0, WW)), nil, nil, []string{"G0"}},
		{"G0 explained as wr first", graphOf(2, e(0, 1, WW, WR), e(1, 0, WW)), RWRegisterPriority, nil, []string{"G1c"}},
		{"G0 explained as ww first", graphOf(2, e(0, 1, WW, WR), e(1, 0, WW)), ListAppendPriority, nil, []string{"G0"}},
		{"G0-process", graphOf(2, e(0, 1, WW), e(1, 0, Process)), nil, nil, []string{"G0-process"}},
		{"G0-realtime", graphOf(3, e(0, 1, WW), e(1, 2, Realtime), e(2, 0, WW)), nil, nil, []string{"G0-realtime"}},
		{"G1c-process", graphOf(3, e(0, 1, WR), e(1, 2, Process), e(2, 0, WW)), nil, nil, []string{"G1c-process"}},
		{"G-single and G-nonadjacent", graphOf(2, e(0, 1, RW), e(1, 0, WR)), nil, nil, []string{"G-nonadjacent", "G-single"}},
		{"G-single-process", graphOf(2, e(0, 1, RW), e(1, 0, Process)), nil, nil, []string{"G-nonadjacent-process", "G-single-process"}},
		{"G2-item", graphOf(2, e(0, 1, RW), e(1, 0, RW)), nil, nil, []string{"G2-item"}},
		{"only the types asked for", graphOf(2, e(0, 1, RW), e(1, 0, WR)), nil, []string{"G0", "G1c"}, nil},
		{"acyclic", graphOf(3, e(0, 1, WW), e(1, 2, RW), e(0, 2, Realtime)), nil, nil, nil},
		{
			// Two components: the G1c one and a G2-item one.
			"components", graphOf(4, e(0, 1, WR), e(1, 0, WR), e(2, 3, RW), e(3, 2, RW), e(1, 2, Realtime)),
			nil, nil, []string{"G1c", "G2-item"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := make(History, tt.g.Len())
			for i := range h {
				h[i] = Op{Index: i, Type: OK}
			}
			got := typesOf(FindCycles(tt.g, h, SearchOptions{Priority: tt.prio, Types: tt.types}))
			if !slices.Equal(got, tt.want) {
				t.Errorf("found %v, want %v", got, tt.want)
			}
		})
	}
}

// oracleTypes returns the cycle types of every closed walk of g, by a
// search over (vertex, summary of the walk so far) that shares nothing
// with FindCycles.
func oracleTypes(g *Graph, prio Priority) []string {
	type st struct {
		v                     int
		rw                    int // capped at 2
		firstRW, lastRW, adj  bool
		wr, ww, process, real bool
		started               bool
	}
	found := map[string]bool{}
	for s := range g.Len() {
		start := st{v: s}
		seen := map[st]bool{start: true}
		queue := []st{start}
		for len(queue) > 0 {
			x := queue[0]
			queue = queue[1:]
			for _, w := range g.Out(x.v) {
				k := prio.Explain(g.Edge(x.v, int(w)))
				y := x
				y.v = int(w)
				if !x.started {
					y.started, y.firstRW = true, k == RW
				}
				if k == RW {
					if x.started && x.lastRW {
						y.adj = true
					}
					y.rw = min(2, y.rw+1)
				}
				y.lastRW = k == RW
				y.wr = y.wr || k == WR
				y.ww = y.ww || k == WW
				y.process = y.process || k == Process
				y.real = y.real || k == Realtime
				if y.v == s {
					var kinds []Kind // a stand-in walk with the same summary
					for range y.rw {
						kinds = append(kinds, RW)
					}
					adj := y.adj || (y.lastRW && y.firstRW && y.rw > 0)
					if y.rw == 2 && !adj {
						kinds = []Kind{RW, WW, RW, WW}
					}
					for _, c := range []struct {
						on bool
						k  Kind
					}{{y.wr, WR}, {y.ww, WW}, {y.process, Process}, {y.real, Realtime}} {
						if c.on {
							kinds = append(kinds, c.k)
						}
					}
					if y.rw == 2 && adj {
						kinds = append([]Kind{RW, RW}, kinds[2:]...)
					}
					if t := Classify(kinds); t != "" {
						found[t] = true
					}
				}
				if !seen[y] {
					seen[y] = true
					queue = append(queue, y)
				}
			}
		}
	}
	var out []string
	for _, t := range CycleTypes {
		if found[t] {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

// TestFindCyclesExact compares FindCycles with the oracle on random small
// graphs, and checks every reported cycle is a closed walk of the graph.
func TestFindCyclesExact(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		n := 2 + r.IntN(5)
		g := NewGraph(n)
		for range r.IntN(3 * n) {
			a, b := r.IntN(n), r.IntN(n)
			for k := range numKinds {
				if r.IntN(4) == 0 {
					g.Link(a, b, k)
				}
			}
		}
		h := make(History, n)
		for j := range h {
			h[j] = Op{Index: j, Type: OK}
		}
		prio := RWRegisterPriority
		if i%2 == 1 {
			prio = ListAppendPriority
		}
		found := FindCycles(g, h, SearchOptions{Priority: prio})
		got := typesOf(found)
		want := oracleTypes(g, prio)
		if !slices.Equal(got, want) {
			t.Fatalf("graph %d: found %v, want %v; edges %v", i, got, want, g.edges)
		}
		for typ, cs := range found {
			for _, c := range cs {
				cy := c.(Cycle)
				if cy.Type != typ || cy.Path[0] != cy.Path[len(cy.Path)-1] || len(cy.Steps) != len(cy.Path)-1 {
					t.Fatalf("graph %d: bad cycle %+v", i, cy)
				}
				for _, s := range cy.Steps {
					if g.Edge(s.From, s.To) == 0 {
						t.Fatalf("graph %d: cycle %v takes a missing edge %d → %d", i, cy.Path, s.From, s.To)
					}
				}
			}
		}
	}
}

func TestFindCyclesBudget(t *testing.T) {
	g := graphOf(3, []int{0, 1, int(RW)}, []int{1, 2, int(WR)}, []int{2, 0, int(WW)})
	h := History{{Index: 0}, {Index: 1}, {Index: 2}}
	found := FindCycles(g, h, SearchOptions{Steps: 1})
	if len(found[CycleSearchTimeoutAnomaly]) != 1 || len(found["G-single"]) != 1 {
		t.Fatalf("found %v", found)
	}
	to := found[CycleSearchTimeoutAnomaly][0].(CycleSearchTimeout)
	if to.SpecType != "G0" || to.SCCSize != 3 || len(to.DoesNotContain) != 0 {
		t.Errorf("timeout case %+v", to)
	}
}

func TestLostUpdate(t *testing.T) {
	w := func(f, k, v string) Mop { return Mop{F: f, Key: k, Value: v} }
	isW := func(f string) bool { return f == "w" }
	h := History{
		{Index: 0, Type: OK, Value: []Mop{w("r", "1", Nil), w("w", "1", "1")}},
		{Index: 1, Type: OK, Value: []Mop{w("r", "1", Nil), w("w", "1", "2")}},
		{Index: 2, Type: Info, Value: []Mop{w("r", "1", Nil), w("w", "1", "3")}},
		{Index: 3, Type: OK, Value: []Mop{w("w", "2", "1"), w("r", "2", "1"), w("w", "2", "2")}},
		{Index: 4, Type: OK, Value: []Mop{w("r", "2", "1"), w("w", "2", "3")}},
	}
	cases := LostUpdateCases(h, isW)
	if len(cases) != 2 || cases[0].Key != "1" || len(cases[0].Txns) != 2 || cases[1].Key != "2" || cases[1].Value != "1" {
		t.Fatalf("cases %v", cases)
	}
}

func TestWrTxns(t *testing.T) {
	w := NewWrTxns(WrTxnsOptions{MaxTxnLength: 4, MaxWritesPerKey: 16})
	if o := w.Options(); o.KeyCount != 10 || o.MinTxnLength != 1 || o.KeyDist != "exponential" {
		t.Fatalf("defaults %+v", o)
	}
	r := rand.New(rand.NewPCG(3, 4))
	next := map[string]int{}
	for range 20000 {
		txn := w.Next(r)
		if len(txn) < 1 || len(txn) > 4 {
			t.Fatalf("length %d", len(txn))
		}
		for _, m := range txn {
			if m.F == "w" {
				v, _ := strconv.Atoi(m.Value)
				if v != next[m.Key]+1 || v > 16 {
					t.Fatalf("key %s: wrote %d after %d", m.Key, v, next[m.Key])
				}
				next[m.Key] = v
			} else if m.Value != Nil {
				t.Fatalf("read %v", m)
			}
		}
	}
	if len(next) < 100 {
		t.Errorf("only %d keys used: keys are not retired", len(next))
	}
	// A fresh sequence's first key is at position i with probability
	// 2^(i+1)/2046: key 9 about half the time, key 0 about once in 1000.
	first := map[string]int{}
	for seed := range uint64(4000) {
		txn := NewWrTxns(WrTxnsOptions{}).Next(rand.New(rand.NewPCG(seed, 0)))
		first[txn[0].Key]++
	}
	if first["9"] < 1800 || first["9"] > 2200 || first["0"] > 20 || first["8"] < 800 {
		t.Errorf("first keys %v: not exponential", first)
	}
}

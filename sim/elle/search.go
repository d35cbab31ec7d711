package elle

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// DefaultSteps is the default search budget per strongly connected
// component: the number of edge visits the search of one component may
// make before it gives up and reports a cycle-search-timeout. Elle gives
// each component a wall-clock second; a budget counted in work instead
// makes the verdict the same on every machine and under the race
// detector. It pays for a few hundred sweeps of a million-edge component.
const DefaultSteps = 400_000_000

// SearchOptions configures FindCycles.
type SearchOptions struct {
	// Types are the cycle anomalies to look for (a subset of CycleTypes;
	// nil: all of them). They are searched in CycleTypes order.
	Types []string
	// Priority decides which relationship explains an edge; nil means
	// RWRegisterPriority.
	Priority Priority
	// Explain renders why b depends on a for a data relationship (ww, wr,
	// rw), for the cycle's report; nil renders the kind alone.
	// an and bn are the names the cycle gives them (T1, T2, ...).
	Explain func(a, b Op, k Kind, an, bn string) string
	// Steps is the search budget per component (0: DefaultSteps; negative:
	// unlimited); Timeout, when positive, also bounds each component's
	// search in wall-clock time, as Elle's :cycle-search-timeout does.
	Steps   int64
	Timeout time.Duration
}

// errBudget is a search that ran out of budget.
var errBudget = errors.New("cycle search budget exhausted")

// budget is what one component's search may still spend.
type budget struct {
	left     int64
	deadline time.Time
	calls    int
}

func (b *budget) spend(n int64) error {
	if b == nil {
		return nil
	}
	b.left -= n
	if b.left < 0 {
		return errBudget
	}
	if !b.deadline.IsZero() {
		if b.calls++; b.calls%256 == 0 && time.Now().After(b.deadline) {
			return errBudget
		}
	}
	return nil
}

// Step is one edge of a cycle: why To must follow From.
type Step struct {
	From, To int // positions in the History
	Kind     Kind
	Why      string // in words, naming the transactions T1, T2, ...

	fromName, toName string
}

// Cycle is one dependency cycle, explained as Elle explains it: the
// transactions in order (the first one again at the end of Path), the
// relationship that explains each step, and the cycle's anomaly type.
type Cycle struct {
	Type  string
	Path  []int // positions in the History; Path[0] == Path[len(Path)-1]
	Ops   []Op  // the distinct transactions of Path, named T1, T2, ... in order
	Steps []Step
}

// String renders the cycle as Elle's cycle explanation does: a binding of
// names to transactions, then why each precedes the next.
func (c Cycle) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s cycle of %d transactions. Let:\n", c.Type, len(c.Ops))
	for i, op := range c.Ops {
		fmt.Fprintf(&b, "  T%d = %s\n", i+1, op)
	}
	b.WriteString("Then:\n")
	for i, s := range c.Steps {
		if i == len(c.Steps)-1 {
			fmt.Fprintf(&b, "  - yet %s, so %s < %s: a contradiction!", s.Why, s.fromName, s.toName)
		} else {
			fmt.Fprintf(&b, "  - %s, so %s < %s.\n", s.Why, s.fromName, s.toName)
		}
	}
	return b.String()
}

// Involved implements Case: the cycle's transactions T1, T2, ...
func (c Cycle) Involved() []int { return indexes(c.Ops) }

// CycleSearchTimeout is Elle's :cycle-search-timeout case: the search of
// a component of SCCSize transactions ran out of budget while looking for
// SpecType, after it had looked for the types in DoesNotContain.
type CycleSearchTimeout struct {
	SpecType       string
	DoesNotContain []string
	SCCSize        int
}

// String implements Case.
func (t CycleSearchTimeout) String() string {
	return fmt.Sprintf("cycle search in a component of %d transactions ran out of budget looking for %s (done: %s)",
		t.SCCSize, t.SpecType, strings.Join(t.DoesNotContain, ", "))
}

// Involved implements Case: a timeout names no transaction.
func (t CycleSearchTimeout) Involved() []int { return nil }

// FindCycles looks in every strongly connected component of g for one
// cycle of each requested type (elle.txn/cycle-cases). g's vertices are
// h's operations. A component whose search runs out of budget yields a
// CycleSearchTimeout case, a fallback cycle found by depth-first search
// (classified like any other), and whatever cycles it had found before.
//
// Unlike Elle, which runs a breadth-first search per anomaly type from
// each vertex and keeps the first cycle it meets if its classification
// fits, the search here is exact: a type is reported for a component
// exactly when the component has a closed walk that Elle's explainer would
// classify as that type. Cycles are closed walks, as in Elle's search: a
// G-nonadjacent example may go round a G-single cycle twice, just as
// Elle's path search does.
func FindCycles(g *Graph, h History, opts SearchOptions) Anomalies {
	if opts.Priority == nil {
		opts.Priority = RWRegisterPriority
	}
	steps := opts.Steps
	if steps == 0 {
		steps = DefaultSteps
	}
	var specs []cycleSpec
	for _, t := range CycleTypes {
		if opts.Types == nil || slices.Contains(opts.Types, t) {
			s, _ := specOf(t)
			specs = append(specs, s)
		}
	}
	out := Anomalies{}
	if len(specs) == 0 {
		return out
	}
	for _, scc := range g.SCCs() {
		bud := &budget{left: steps}
		if steps < 0 {
			bud = nil
		} else if opts.Timeout > 0 {
			bud.deadline = time.Now().Add(opts.Timeout)
		}
		s := newSearcher(g, scc, opts.Priority, bud)
		var done []string
		for _, spec := range specs {
			walk, err := s.find(spec)
			if err != nil {
				out.Add(CycleSearchTimeoutAnomaly, CycleSearchTimeout{SpecType: spec.name, DoesNotContain: done, SCCSize: len(scc)})
				if c := s.explain(h, s.fallback(), opts); c.Type != "" {
					out.Add(c.Type, c)
				}
				break
			}
			done = append(done, spec.name)
			if walk == nil {
				continue
			}
			// The searches build only walks of their type (the tests check
			// this against an independent search); a mismatch would be a
			// bug, and is left out rather than misreported.
			if c := s.explain(h, walk, opts); c.Type == spec.name {
				out.Add(c.Type, c)
			}
		}
	}
	return out
}

// searcher looks for cycles in one component.
type searcher struct {
	g     *Graph
	verts []int // local vertex i is verts[i]
	prio  Priority
	bud   *budget
	full  *dg    // the component with every edge
	ex    []Kind // explained kind of each edge of full
}

func newSearcher(g *Graph, scc []int, prio Priority, bud *budget) *searcher {
	s := &searcher{g: g, verts: scc, prio: prio, bud: bud}
	s.full = g.sub(scc, func(Kinds) bool { return true })
	s.ex = make([]Kind, len(s.full.to))
	for i, l := range s.full.lab {
		s.ex[i] = prio.Explain(l)
	}
	return s
}

// kindOf returns the explained kind of the local edge a → b.
func (s *searcher) kindOf(a, b int32) Kind {
	return s.prio.Explain(s.g.Edge(s.verts[a], s.verts[b]))
}

// filtered returns the component with the edges whose explained kind is
// in allowed, each labelled with its explained kind alone.
func (s *searcher) filtered(allowed Kinds) *dg {
	d := &dg{start: make([]int32, s.full.n()+1)}
	for v := range s.full.n() {
		for e := s.full.start[v]; e < s.full.start[v+1]; e++ {
			if k := s.ex[e]; allowed.Has(k) {
				d.to = append(d.to, s.full.to[e])
				d.lab = append(d.lab, KindsOf(k))
			}
		}
		d.start[v+1] = int32(len(d.to))
	}
	return d
}

// product builds a graph over pairs (v, state), node 2v+state, from the
// edges of d: trans returns, for an edge's kind and the state before it,
// the state after it, or -1 when the edge may not be taken.
func product(d *dg, trans func(k Kind, st int) int) *dg {
	n := d.n()
	p := &dg{start: make([]int32, 2*n+1)}
	for node := range 2 * n {
		v, st := node/2, node%2
		for e := d.start[v]; e < d.start[v+1]; e++ {
			k := Priority(nil).Explain(d.lab[e])
			if st2 := trans(k, st); st2 >= 0 {
				p.to = append(p.to, 2*d.to[e]+int32(st2))
				p.lab = append(p.lab, d.lab[e])
			}
		}
		p.start[node+1] = int32(len(p.to))
	}
	return p
}

// witness is a short stretch of a cycle that must appear in it: one edge
// or two consecutive edges, as a list of vertices.
type witness []int32

// closedWalk joins the witnesses, all inside component c of d, into a
// closed walk by shortest paths inside c.
func (s *searcher) closedWalk(d *dg, comp []int32, c int32, ws []witness) ([]int32, error) {
	inside := func(v int32) bool { return comp[v] == c }
	walk := slices.Clone(ws[0])
	for i := 1; i <= len(ws); i++ {
		target := ws[0][0]
		if i < len(ws) {
			target = ws[i][0]
		}
		p, err := d.path(walk[len(walk)-1], target, inside, s.bud)
		if err != nil {
			return nil, err
		}
		if p == nil {
			panic("elle: no path inside a strongly connected component")
		}
		walk = append(walk, p[1:]...)
		if i < len(ws) {
			walk = append(walk, ws[i][1:]...)
		}
	}
	return walk, nil
}

// find returns a closed walk (local vertices) of the spec's type, nil when
// the component has none.
func (s *searcher) find(spec cycleSpec) ([]int32, error) {
	if err := s.bud.spend(int64(len(s.full.to)) + int64(s.full.n())); err != nil {
		return nil, err
	}
	switch spec.base {
	case GSingle:
		return s.findSingle(spec)
	case GNonadjacent:
		return s.findNonadjacent(spec)
	}
	return s.findClosed(spec)
}

// findClosed finds G0, G1c and G2-item cycles and their variants: each is
// any closed walk over its allowed kinds that contains certain edges (a ww
// edge for G0, a wr edge for G1c, two consecutive rw edges for G2-item, a
// process or realtime edge for the variants), so it exists exactly when one strongly
// connected component of the allowed edges holds all of them.
func (s *searcher) findClosed(spec cycleSpec) ([]int32, error) {
	allowed := spec.allowed
	if spec.base == G2Item {
		allowed |= KindsOf(RW)
	}
	d := s.filtered(allowed)
	comp, _ := tarjan(d)
	type found struct {
		data, order witness // the data edge (or rw pair) and the order edge
	}
	per := map[int32]*found{}
	var best int32 = -1
	inRW := make([]int32, d.n())
	for i := range inRW {
		inRW[i] = -1
	}
	if spec.base == G2Item {
		for v := range d.n() {
			for e := d.start[v]; e < d.start[v+1]; e++ {
				if w := d.to[e]; d.lab[e].Has(RW) && comp[w] == comp[v] && inRW[w] < 0 {
					inRW[w] = int32(v)
				}
			}
		}
	}
	for v := range d.n() {
		for e := d.start[v]; e < d.start[v+1]; e++ {
			w := d.to[e]
			c := comp[v]
			if comp[w] != c {
				continue
			}
			f := per[c]
			if f == nil {
				f = &found{}
				per[c] = f
			}
			k := Priority(nil).Explain(d.lab[e])
			switch spec.base {
			case G0:
				if k == WW && f.data == nil {
					f.data = witness{int32(v), w}
				}
			case G1c:
				if k == WR && f.data == nil {
					f.data = witness{int32(v), w}
				}
			case G2Item:
				if k == RW && f.data == nil && inRW[v] >= 0 {
					f.data = witness{inRW[v], int32(v), w}
				}
			}
			if spec.order != numKinds && k == spec.order && f.order == nil {
				f.order = witness{int32(v), w}
			}
			if f.data != nil && (spec.order == numKinds || f.order != nil) && best < 0 {
				best = c
			}
		}
		if best >= 0 {
			break
		}
	}
	if best < 0 {
		return nil, nil
	}
	ws := []witness{per[best].data}
	if spec.order != numKinds {
		ws = append(ws, per[best].order)
	}
	return s.closedWalk(d, comp, best, ws)
}

// findNonadjacent finds G-nonadjacent cycles: closed walks over rw and the
// allowed kinds where no rw edge follows another, counting round the end.
// Such walks are the cycles of the product of the component with a bit
// that says whether the last edge was rw; one through an rw edge (and an
// order edge, for the variants) exists exactly when some strongly
// connected component of the product holds such edges. A walk with a
// single rw edge goes round twice, which Elle's search does too.
func (s *searcher) findNonadjacent(spec cycleSpec) ([]int32, error) {
	d := s.filtered(spec.allowed | KindsOf(RW))
	p := product(d, func(k Kind, st int) int {
		if k == RW {
			if st == 1 {
				return -1
			}
			return 1
		}
		return 0
	})
	if err := s.bud.spend(int64(len(p.to))); err != nil {
		return nil, err
	}
	comp, _ := tarjan(p)
	var rwW, ordW = map[int32]witness{}, map[int32]witness{}
	best := int32(-1)
	for v := range p.n() {
		for e := p.start[v]; e < p.start[v+1]; e++ {
			w, c := p.to[e], comp[v]
			if comp[w] != c {
				continue
			}
			k := Priority(nil).Explain(p.lab[e])
			if _, ok := rwW[c]; k == RW && !ok {
				rwW[c] = witness{int32(v), w}
			}
			if _, ok := ordW[c]; spec.order != numKinds && k == spec.order && !ok {
				ordW[c] = witness{int32(v), w}
			}
			if _, ok := rwW[c]; ok && best < 0 {
				if _, ok := ordW[c]; ok || spec.order == numKinds {
					best = c
				}
			}
		}
		if best >= 0 {
			break
		}
	}
	if best < 0 {
		return nil, nil
	}
	ws := []witness{rwW[best]}
	if spec.order != numKinds {
		ws = append(ws, ordW[best])
	}
	pw, err := s.closedWalk(p, comp, best, ws)
	if err != nil {
		return nil, err
	}
	walk := make([]int32, len(pw))
	for i, x := range pw {
		walk[i] = x / 2
	}
	rws := 0
	for i := 1; i < len(walk); i++ {
		if s.kindOf(walk[i-1], walk[i]) == RW {
			rws++
		}
	}
	if rws == 1 {
		walk = append(walk, walk[1:]...)
	}
	return walk, nil
}

// findSingle finds G-single cycles: one rw edge u → v and a path back from
// v to u over the allowed kinds (taking at least one order edge, for the
// variants). That is a reachability question per rw edge, answered for all
// of them at once on the condensation of the allowed graph, 64 targets at
// a time.
func (s *searcher) findSingle(spec cycleSpec) ([]int32, error) {
	d := s.filtered(spec.allowed)
	layered := spec.order != numKinds
	l := d
	if layered {
		// Node 2v+1 has taken an order edge already.
		l = product(d, func(k Kind, st int) int {
			if k == spec.order {
				return 1
			}
			return st
		})
	}
	node := func(v int32, layer int32) int32 {
		if layered {
			return 2*v + layer
		}
		return v
	}
	type query struct{ u, v, src, dst int32 } // rw edge u → v; src ⇝ dst wanted
	var qs []query
	for v := range s.full.n() {
		for e := s.full.start[v]; e < s.full.start[v+1]; e++ {
			if s.ex[e] == RW {
				u, w := int32(v), s.full.to[e]
				qs = append(qs, query{u, w, node(w, 0), node(u, 1)})
			}
		}
	}
	if len(qs) == 0 {
		return nil, nil
	}
	if err := s.bud.spend(int64(len(l.to) + l.n())); err != nil {
		return nil, err
	}
	comp, ncomp := tarjan(l)
	hit := -1
	for i, q := range qs {
		if comp[q.src] == comp[q.dst] {
			hit = i
			break
		}
	}
	if hit < 0 {
		srcs, dsts := make([]int32, len(qs)), make([]int32, len(qs))
		for i, q := range qs {
			srcs[i], dsts[i] = q.src, q.dst
		}
		var err error
		if hit, err = s.reachAny(l, comp, ncomp, srcs, dsts); err != nil {
			return nil, err
		}
	}
	if hit < 0 {
		return nil, nil
	}
	q := qs[hit]
	p, err := l.path(q.src, q.dst, func(int32) bool { return true }, s.bud)
	if err != nil {
		return nil, err
	}
	walk := []int32{q.u}
	for _, x := range p {
		if layered {
			x /= 2
		}
		walk = append(walk, x)
	}
	return walk, nil
}

// reachAny answers reachability queries src ⇝ dst in l, whose components
// are comp (numbered in reverse topological order), and returns the first
// query (by its number) that holds, or -1.
func (s *searcher) reachAny(l *dg, comp []int32, ncomp int, srcs, dsts []int32) (int, error) {
	// Condensation edges, grouped by source component.
	cstart := make([]int32, ncomp+1)
	for v := range l.n() {
		for e := l.start[v]; e < l.start[v+1]; e++ {
			if comp[l.to[e]] != comp[v] {
				cstart[comp[v]+1]++
			}
		}
	}
	for c := range ncomp {
		cstart[c+1] += cstart[c]
	}
	cto := make([]int32, cstart[ncomp])
	fill := slices.Clone(cstart[:ncomp])
	for v := range l.n() {
		for e := l.start[v]; e < l.start[v+1]; e++ {
			if a, b := comp[v], comp[l.to[e]]; a != b {
				cto[fill[a]] = b
				fill[a]++
			}
		}
	}
	// Targets worth asking about: a component can reach only components
	// with lower numbers.
	targetIdx := map[int32]int{}
	var targets []int32
	for i, src := range srcs {
		if t := comp[dsts[i]]; comp[src] > t {
			if _, ok := targetIdx[t]; !ok {
				targetIdx[t] = len(targets)
				targets = append(targets, t)
			}
		}
	}
	mask := make([]uint64, ncomp)
	for lo := 0; lo < len(targets); lo += 64 {
		hi := min(lo+64, len(targets))
		if err := s.bud.spend(int64(ncomp) + int64(len(cto))); err != nil {
			return -1, err
		}
		clear(mask)
		for i, t := range targets[lo:hi] {
			mask[t] |= 1 << i
		}
		for c := range ncomp {
			m := mask[c]
			for _, x := range cto[cstart[c]:cstart[c+1]] {
				m |= mask[x]
			}
			mask[c] = m
		}
		for i, src := range srcs {
			t := comp[dsts[i]]
			if comp[src] <= t {
				continue
			}
			if j := targetIdx[t]; j >= lo && j < hi && mask[comp[src]]&(1<<(j-lo)) != 0 {
				return i, nil
			}
		}
	}
	return -1, nil
}

// fallback finds some cycle in the component by depth-first search, as
// Elle does when its search times out (cycle-cases-in-scc-fallback): in
// the first strongly connected subcomponent of the edges with ww, then
// ww and the orders, then ww and wr, ... (by their relationships, not
// their explanations), it follows the full graph from the subcomponent's
// first vertex until it comes back to a vertex of its path.
func (s *searcher) fallback() []int32 {
	projections := []Kinds{
		KindsOf(WW),
		KindsOf(WW, Realtime, Process),
		KindsOf(WW, WR),
		KindsOf(WW, WR, Realtime, Process),
		KindsOf(WW, WR, RW),
		KindsOf(WW, WR, RW, Realtime, Process),
	}
	var members []int32
	for _, rels := range projections {
		d := &dg{start: make([]int32, s.full.n()+1)}
		for v := range s.full.n() {
			for e := s.full.start[v]; e < s.full.start[v+1]; e++ {
				if s.full.lab[e]&rels != 0 {
					d.to = append(d.to, s.full.to[e])
					d.lab = append(d.lab, s.full.lab[e])
				}
			}
			d.start[v+1] = int32(len(d.to))
		}
		comp, _ := tarjan(d)
		size := map[int32]int{}
		for _, c := range comp {
			size[c]++
		}
		// The first vertex in a component of two or more names it.
		if v := slices.IndexFunc(comp, func(c int32) bool { return size[c] > 1 }); v >= 0 {
			for w, c := range comp {
				if c == comp[v] {
					members = append(members, int32(w))
				}
			}
		}
		if members != nil {
			break
		}
	}
	if members == nil {
		for v := range s.full.n() {
			members = append(members, int32(v))
		}
	}
	in := map[int32]bool{}
	for _, v := range members {
		in[v] = true
	}
	path := []int32{members[0]}
	seen := map[int32]int{members[0]: 0}
	for {
		v := path[len(path)-1]
		var next int32 = -1
		for e := s.full.start[v]; e < s.full.start[v+1]; e++ {
			w := s.full.to[e]
			if !in[w] {
				continue
			}
			if i, ok := seen[w]; ok {
				return append(slices.Clone(path[i:]), w)
			}
			if next < 0 {
				next = w
			}
		}
		if next < 0 {
			panic("elle: dead end inside a strongly connected component")
		}
		seen[next] = len(path)
		path = append(path, next)
	}
}

// explain turns a closed walk of local vertices into a Cycle.
func (s *searcher) explain(h History, walk []int32, opts SearchOptions) Cycle {
	c := Cycle{}
	name := map[int]string{}
	for _, x := range walk[:len(walk)-1] {
		v := s.verts[x]
		if _, ok := name[v]; !ok {
			name[v] = fmt.Sprintf("T%d", len(name)+1)
			c.Ops = append(c.Ops, h[v])
		}
	}
	kinds := make([]Kind, 0, len(walk)-1)
	for i, x := range walk {
		v := s.verts[x]
		c.Path = append(c.Path, v)
		if i == 0 {
			continue
		}
		a := s.verts[walk[i-1]]
		k := s.prio.Explain(s.g.Edge(a, v))
		kinds = append(kinds, k)
		c.Steps = append(c.Steps, Step{From: a, To: v, Kind: k, Why: why(h[a], h[v], k, name[a], name[v], opts.Explain),
			fromName: name[a], toName: name[v]})
	}
	c.Type = Classify(kinds)
	return c
}

// why renders one step of a cycle: why b (named bn) follows a (an).
func why(a, b Op, k Kind, an, bn string, explain func(a, b Op, k Kind, an, bn string) string) string {
	switch k {
	case Realtime:
		return fmt.Sprintf("%s completed at %.6fs, before %s was invoked at %.6fs",
			an, a.Complete.Seconds(), bn, b.Invoke.Seconds())
	case Process:
		return fmt.Sprintf("process %d ran %s before %s", a.Process, an, bn)
	}
	if explain != nil {
		return explain(a, b, k, an, bn)
	}
	return fmt.Sprintf("%s %s %s", an, k, bn)
}

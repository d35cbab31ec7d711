package txn

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/elle"
)

// checker is Elle's rw-register check with the options Maelstrom passes
// (jepsen.tests.cycle.wr with :wfr-keys? true) wrapped as Maelstrom wraps
// it (maelstrom.workload.txn-rw-register/checker).
type checker struct {
	expect      elle.Expectation
	concurrency int // client threads, to tell a history's threads apart
	search      elle.SearchOptions
}

func isWrite(f string) bool { return f == "w" }

// history converts the simulator's history to Elle's: one transaction per
// txn operation, its value the completion's (an ok transaction's reads
// filled in) or, for a failed or indeterminate one, the invocation's.
func (c *checker) history(h sim.History) elle.History {
	out := make(elle.History, 0, len(h))
	for _, op := range h {
		if op.F != "txn" {
			continue
		}
		e := elle.Op{Index: op.Index, Process: op.Process, Thread: op.Process, Invoke: op.Invoke, Complete: op.Complete,
			InvokeEvent: op.InvokeEvent, CompleteEvent: op.CompleteEvent}
		if c.concurrency > 0 && op.Process >= 0 {
			e.Thread = op.Process % c.concurrency
		}
		switch op.Status {
		case sim.OK:
			e.Type = elle.OK
		case sim.Fail:
			e.Type = elle.Fail
		default:
			e.Type = elle.Info
		}
		in, _ := op.Value.(Txn)
		e.Value = in
		if out, ok := op.Out.(Txn); ok && op.Status == sim.OK {
			e.Value = out
		}
		out = append(out, e)
	}
	return out
}

// check judges h as Maelstrom does: Elle's verdict, less the
// cycle-search-timeouts, which Maelstrom drops. Each anomaly describes
// its first case and lists that case's operations.
func (c *checker) check(h sim.History) sim.Result {
	eh := c.history(h)
	found, err := c.analyze(eh)
	if err != nil {
		// Elle threw; Jepsen's compose catches it as :valid? :unknown.
		return sim.Result{Unknown: true, Anomalies: []sim.Anomaly{{Kind: "checker-error", Detail: err.Error()}}}
	}
	er, err := c.expect.Evaluate(found)
	if err != nil {
		return sim.Result{Unknown: true, Anomalies: []sim.Anomaly{{Kind: "checker-error", Detail: err.Error()}}}
	}
	res := sim.Result{Valid: true, Stats: map[string]any{}}
	for _, t := range er.AnomalyTypes {
		if t == elle.CycleSearchTimeoutAnomaly {
			continue
		}
		res.Valid = false
		cs := er.Anomalies[t]
		res.Anomalies = append(res.Anomalies, sim.Anomaly{Kind: t, Detail: describe(cs), Ops: h.Refs(cs[0].Involved(), maxOps)})
	}
	counts := map[string]int{}
	for t, cs := range found {
		counts[t] = len(cs)
	}
	res.Stats["anomalies"] = counts
	if n := len(found[elle.CycleSearchTimeoutAnomaly]); n > 0 {
		res.Stats["cycle-search-timeouts"] = describe(found[elle.CycleSearchTimeoutAnomaly])
	}
	if len(er.Not) > 0 || len(er.AlsoNot) > 0 {
		res.Stats["not"], res.Stats["also-not"] = er.Not, er.AlsoNot
	}
	res.Strict = garbageReads(eh, h)
	return res
}

// maxOps caps the operations an anomaly lists.
const maxOps = 20

// describe summarises an anomaly's cases: how many, and the first.
func describe(cs []elle.Case) string {
	if len(cs) == 0 {
		return ""
	}
	s := cs[0].String()
	if len(cs) > 1 {
		s = fmt.Sprintf("%d cases; the first: %s", len(cs), s)
	}
	return s
}

// analyze finds every anomaly Elle's rw-register check looks for
// (elle.rw-register/check): internal, G1a, G1b, lost-update, the cycles
// of the dependency graph, cyclic-versions, empty-transaction-graph.
func (c *checker) analyze(h elle.History) (elle.Anomalies, error) {
	found := elle.Anomalies{}
	internalCases(h, found)
	readCases(h, found)
	for _, lu := range elle.LostUpdateCases(h, isWrite) {
		found.Add("lost-update", lu)
	}

	vg := versionGraphs(h, found)
	g, err := c.graph(h, vg)
	if err != nil {
		return nil, err
	}
	if g.Empty() {
		found.Add(elle.EmptyTransactionGraph, elle.Text("no dependency between transactions could be inferred"))
	}
	opts := c.search
	opts.Types, _ = c.expect.CycleTypesToFind()
	opts.Priority = elle.RWRegisterPriority
	opts.Explain = vg.explain
	found.Merge(elle.FindCycles(g, h, opts))
	return found, nil
}

// internalCases finds ok transactions whose read disagrees with their own
// earlier read or write of the key (op-internal-case). As in Elle, a read
// of nil leaves nothing to compare a later read with.
func internalCases(h elle.History, found elle.Anomalies) {
	for _, op := range h {
		if op.Type != elle.OK {
			continue
		}
		state := map[string]string{}
		for _, m := range op.Value {
			if m.F == "r" {
				if s, ok := state[m.Key]; ok && s != elle.Nil && s != m.Value {
					found.Add("internal", elle.InternalCase{Op: op, Mop: m, Expected: s})
					break
				}
			}
			state[m.Key] = m.Value
		}
	}
}

// readCases finds ok reads of a failed transaction's write (G1a) and of a
// value another transaction overwrote itself (G1b).
func readCases(h elle.History, found elle.Anomalies) {
	failed := elle.FailedWrites(h, isWrite)
	inter := elle.IntermediateWrites(h, isWrite)
	for i, op := range h {
		if op.Type != elle.OK {
			continue
		}
		for _, m := range op.Value {
			if m.F != "r" {
				continue
			}
			if w, ok := failed.Get(m.Key, m.Value); ok {
				found.Add("G1a", elle.ReadCase{Op: op, Mop: m, Writer: h[w]})
			}
			if w, ok := inter.Get(m.Key, m.Value); ok && w != i {
				found.Add("G1b", elle.ReadCase{Op: op, Mop: m, Writer: h[w]})
			}
		}
	}
}

// garbageReads is the simulator's own check: an ok read of a value that
// no transaction, of any outcome, ever wrote to that key. Elle ignores
// such reads (they make no edge). h is Elle's view of sh; the anomaly
// lists the first such read's operation.
func garbageReads(h elle.History, sh sim.History) []sim.Anomaly {
	written := map[elle.KV]bool{}
	for _, op := range h {
		for _, m := range op.Value {
			if m.F == "w" {
				written[elle.KV{Key: m.Key, Value: m.Value}] = true
			}
		}
	}
	var n, firstOp int
	var first string
	for _, op := range h {
		if op.Type != elle.OK {
			continue
		}
		for _, m := range op.Value {
			if m.F == "r" && m.Value != elle.Nil && !written[elle.KV{Key: m.Key, Value: m.Value}] {
				if n == 0 {
					first, firstOp = fmt.Sprintf("%s in %s", m, op), op.Index
				}
				n++
			}
		}
	}
	if n == 0 {
		return nil
	}
	return []sim.Anomaly{{Kind: "garbage-read", Detail: fmt.Sprintf("%d reads of values no transaction wrote, e.g. %s", n, first),
		Ops: sh.Refs([]int{firstOp}, maxOps)}}
}

// versions is the inferred version order: per key, each version's direct
// successors (nil is elle.Nil, the initial state).
type versions map[string]map[string][]string

func (v versions) link(k, a, b string) {
	if v[k] == nil {
		v[k] = map[string][]string{}
	}
	if !slices.Contains(v[k][a], b) {
		v[k][a] = append(v[k][a], b)
	}
}

func (v versions) union(w versions) versions {
	out := versions{}
	for _, src := range []versions{v, w} {
		for k, m := range src {
			for a, bs := range m {
				for _, b := range bs {
					out.link(k, a, b)
				}
			}
		}
	}
	return out
}

// versionGraph is the version order with what the explainer needs.
type versionGraph struct {
	order versions
}

// cyclicVersions is Elle's :cyclic-versions case; txns are the
// transactions (Index) whose writes following their reads order the
// versions in the cycle.
type cyclicVersions struct {
	key     string
	scc     []string
	sources []string
	txns    []int
}

func (c cyclicVersions) String() string {
	return fmt.Sprintf("key %s: versions %s are ordered in a cycle (sources: %s)",
		c.key, strings.Join(c.scc, ", "), strings.Join(c.sources, ", "))
}

// Involved implements elle.Case: the transactions that order the
// versions, in history order.
func (c cyclicVersions) Involved() []int { return c.txns }

// wfrLink is one transaction's read of key = from followed by its write
// of key = to.
type wfrLink struct {
	op            int // Index
	key, from, to string
}

// versionGraphs infers the version order as Elle does for Maelstrom's
// options (version-graphs): every version follows nil (initial-state);
// with writes following reads, an ok transaction's external read of k
// precedes its external write of k (wfr-keys). A source whose addition
// makes some key's order cyclic is dropped whole, and the cycles are
// reported as cyclic-versions.
func versionGraphs(h elle.History, found elle.Anomalies) versionGraph {
	initial := versions{}
	wfr := versions{}
	var links []wfrLink
	for _, op := range h {
		if op.Type == elle.Fail {
			continue
		}
		writes := elle.ExtWrites(op.Value)
		kvs := slices.Clone(writes)
		if op.Type == elle.OK {
			reads := elle.ExtReads(op.Value)
			kvs = append(kvs, reads...)
			for _, r := range reads {
				if r.Value == elle.Nil {
					continue
				}
				if w, ok := elle.Lookup(writes, r.Key); ok && w != elle.Nil {
					wfr.link(r.Key, r.Value, w)
					links = append(links, wfrLink{op.Index, r.Key, r.Value, w})
				}
			}
		}
		for _, kv := range kvs {
			if kv.Value != elle.Nil {
				initial.link(kv.Key, elle.Nil, kv.Value)
			}
		}
	}
	graphs := initial
	sources := []string{"initial-state"}
	merged := graphs.union(wfr)
	if cs := cyclicVersionCases(merged); len(cs) > 0 {
		for _, c := range cs {
			c.sources = append(slices.Clone(sources), "wfr-keys")
			for _, l := range links {
				if l.key == c.key && slices.Contains(c.scc, l.from) && slices.Contains(c.scc, l.to) {
					c.txns = append(c.txns, l.op)
				}
			}
			found.Add("cyclic-versions", c)
		}
	} else {
		graphs = merged
	}
	return versionGraph{order: graphs}
}

// cyclicVersionCases finds, per key, the strongly connected components of
// the version order (cyclic-version-cases).
func cyclicVersionCases(v versions) []cyclicVersions {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []cyclicVersions
	for _, k := range keys {
		id := map[string]int{}
		var names []string
		num := func(x string) int {
			if i, ok := id[x]; ok {
				return i
			}
			id[x] = len(names)
			names = append(names, x)
			return id[x]
		}
		type e struct{ a, b int }
		var es []e
		for a, bs := range v[k] {
			for _, b := range bs {
				es = append(es, e{num(a), num(b)})
			}
		}
		g := elle.NewGraph(len(names))
		for _, x := range es {
			g.Link(x.a, x.b, elle.WW)
		}
		for _, scc := range g.SCCs() {
			c := cyclicVersions{key: k}
			for _, i := range scc {
				c.scc = append(c.scc, names[i])
			}
			sort.Strings(c.scc)
			out = append(out, c)
		}
	}
	return out
}

// follows reports whether version b directly follows a for key k.
func (vg versionGraph) follows(k, a, b string) bool {
	return slices.Contains(vg.order[k][a], b)
}

// graph builds the dependency graph (elle.rw-register/graph): wr edges
// from each external write to the ok transactions that read it; ww and rw
// edges from the version order; and the real-time or process order when
// the models need them. Only ok transactions are indexed, as in Elle.
func (c *checker) graph(h elle.History, vg versionGraph) (*elle.Graph, error) {
	g := elle.NewGraph(len(h))
	type kv = elle.KV
	writers := map[kv][]int{}
	readers := map[kv][]int{}
	for i, op := range h {
		if op.Type != elle.OK {
			continue
		}
		for _, w := range elle.ExtWrites(op.Value) {
			writers[w] = append(writers[w], i)
		}
		for _, r := range elle.ExtReads(op.Value) {
			readers[r] = append(readers[r], i)
		}
	}
	// wr edges, in a fixed order so that an error names the same key.
	reads := make([]kv, 0, len(readers))
	for r := range readers {
		reads = append(reads, r)
	}
	slices.SortFunc(reads, func(a, b kv) int { return strings.Compare(a.Key+"\x00"+a.Value, b.Key+"\x00"+b.Value) })
	for _, r := range reads {
		ws := writers[r]
		switch len(ws) {
		case 0: // read of the initial state, or of nowhere: no edge
		case 1:
			for _, b := range readers[r] {
				g.Link(ws[0], b, elle.WR)
			}
		default:
			var ops []string
			for _, w := range ws {
				ops = append(ops, h[w].String())
			}
			return nil, fmt.Errorf("key %s had value %s written by more than one op: %s", r.Key, r.Value, strings.Join(ops, ", "))
		}
	}
	// ww and rw edges.
	for k, m := range vg.order {
		for a, bs := range m {
			for _, b := range bs {
				for _, w2 := range writers[kv{Key: k, Value: b}] {
					for _, w1 := range writers[kv{Key: k, Value: a}] {
						g.Link(w1, w2, elle.WW)
					}
					for _, r1 := range readers[kv{Key: k, Value: a}] {
						g.Link(r1, w2, elle.RW)
					}
				}
			}
		}
	}
	realtime, process, err := c.expect.Orders()
	if err != nil {
		return nil, err
	}
	if realtime {
		elle.LinkRealtime(g, h)
	}
	if process {
		elle.LinkProcess(g, h)
	}
	return g, nil
}

// explain renders why b depends on a (the WR, WW and RW explainers).
func (vg versionGraph) explain(a, b elle.Op, k elle.Kind, an, bn string) string {
	aw, ar := elle.ExtWrites(a.Value), elle.ExtReads(a.Value)
	bw, br := elle.ExtWrites(b.Value), elle.ExtReads(b.Value)
	switch k {
	case elle.WR:
		for _, w := range aw {
			if v, ok := elle.Lookup(br, w.Key); ok && v == w.Value {
				return fmt.Sprintf("%s read key %s = %s, which %s wrote", bn, w.Key, w.Value, an)
			}
		}
	case elle.WW:
		for _, w := range aw {
			if v, ok := elle.Lookup(bw, w.Key); ok && vg.follows(w.Key, w.Value, v) {
				return fmt.Sprintf("%s wrote key %s = %s and %s wrote %s, which follows it in the version order", an, w.Key, w.Value, bn, v)
			}
		}
	case elle.RW:
		for _, r := range ar {
			if v, ok := elle.Lookup(bw, r.Key); ok && vg.follows(r.Key, r.Value, v) {
				return fmt.Sprintf("%s read key %s = %s and %s wrote %s, which follows it in the version order", an, r.Key, nilName(r.Value), bn, v)
			}
		}
	}
	return fmt.Sprintf("%s %s %s", an, k, bn)
}

func nilName(v string) string {
	if v == elle.Nil {
		return "nil"
	}
	return v
}

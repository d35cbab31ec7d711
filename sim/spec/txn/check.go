package txn

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/glomers/glomers/sim"
)

// maxReported caps the anomalies of one kind listed in a result; Stats
// counts them all.
const maxReported = 10

// txn is one transaction of the history as the checker sees it.
type txn struct {
	op     *sim.Op
	index  int // position in the history
	status sim.Status
	mops   []mop // the completed txn when ok, else the request
}

// kv names one written version: values are unique per key.
type kv struct{ key, val int64 }

// writeRef is the transaction that wrote a version, and whether it was an
// intermediate write (overwritten later in the same transaction).
type writeRef struct {
	t            int32
	intermediate bool
}

// checker holds the state of one Check.
type checker struct {
	model     model
	txns      []txn
	writers   map[kv]writeRef
	extWrites map[int64][]int32 // key → ok and info txns whose final write of key
	g         *graph
	counts    map[string]int
	final     map[string]int // final read transactions by status
	anomalies []sim.Anomaly
}

func check(m model, h sim.History) sim.Result {
	c := &checker{model: m, writers: map[kv]writeRef{}, extWrites: map[int64][]int32{}, counts: map[string]int{}, final: map[string]int{}}
	c.parse(h)
	c.indexWrites()
	c.g = newGraph(len(c.txns))
	c.reads()
	c.finalReads()
	c.cycles()
	c.summarize()

	stats := map[string]any{
		"model":     m.String(),
		"txns":      len(c.txns),
		"ww_edges":  c.g.count(ww),
		"wr_edges":  c.g.count(wr),
		"anomalies": c.counts,
		"final":     c.final,
		"forbidden": m.forbidden(),
	}
	return sim.Result{Valid: len(c.anomalies) == 0, Anomalies: c.anomalies, Stats: stats}
}

// truncate shortens a message body for a report.
func truncate(b []byte) string {
	const limit = 200
	if len(b) > limit {
		return string(b[:limit]) + "..."
	}
	return string(b)
}

// report counts an anomaly of kind, and lists it (up to maxReported of a
// kind) when the model forbids that kind or it is one of the checks every
// model gets (garbage reads, malformed replies, divergence).
func (c *checker) report(kind string, format string, args ...any) {
	c.counts[kind]++
	if !c.model.forbids(kind) {
		return
	}
	if c.counts[kind] <= maxReported {
		c.anomalies = append(c.anomalies, sim.Anomaly{Kind: kind, Detail: fmt.Sprintf(format, args...)})
	}
}

// summarize closes the list of anomalies with one line per kind that had
// more than were listed.
func (c *checker) summarize() {
	for _, kind := range slices.Sorted(maps.Keys(c.counts)) {
		if n := c.counts[kind]; n > maxReported && c.model.forbids(kind) {
			c.anomalies = append(c.anomalies, sim.Anomaly{Kind: kind, Detail: fmt.Sprintf("... and %d more %s anomalies", n-maxReported, kind)})
		}
	}
}

// parse turns the txn operations of h into transactions. A reply whose txn
// does not match its request is reported and its transaction treated as
// indeterminate.
func (c *checker) parse(h sim.History) {
	for i := range h {
		op := &h[i]
		if op.Type != "txn" {
			continue
		}
		req, err := parseTxn(op.Req)
		if err != nil {
			c.report("malformed-request", "op %d: %v", i, err)
			continue
		}
		t := txn{op: op, index: i, status: op.Status, mops: req}
		if op.Status == sim.OK {
			resp, err := parseTxn(op.Resp)
			if err == nil {
				err = matches(req, resp)
			}
			if err != nil {
				c.report("malformed-reply", "op %d (p%d on %s): %v: %s", i, op.Process, op.Node, err, truncate(op.Resp))
				t.status = sim.Info
			} else {
				t.mops = resp
			}
		}
		c.txns = append(c.txns, t)
	}
}

// matches checks that a txn_ok echoes its request: same micro-ops, writes
// unchanged, reads filled in.
func matches(req, resp []mop) error {
	if len(req) != len(resp) {
		return fmt.Errorf("%d micro-ops in reply, %d requested", len(resp), len(req))
	}
	for i, q := range req {
		p := resp[i]
		if q.write != p.write || q.key != p.key || (q.write && p != q) {
			return fmt.Errorf("micro-op %d is [%v], requested [%v]", i, p, q)
		}
	}
	return nil
}

// indexWrites records the writer of every version, and for ok and info
// transactions their final write of each key.
func (c *checker) indexWrites() {
	last := map[int64]int{}
	for ti, t := range c.txns {
		clear(last)
		for i, m := range t.mops {
			if !m.write {
				continue
			}
			if prev, ok := last[m.key]; ok {
				c.writers[kv{m.key, t.mops[prev].val}] = writeRef{t: int32(ti), intermediate: true}
			}
			last[m.key] = i
			c.writers[kv{m.key, m.val}] = writeRef{t: int32(ti)}
		}
		if t.status == sim.Fail {
			continue
		}
		for k := range last {
			c.extWrites[k] = append(c.extWrites[k], int32(ti))
		}
	}
}

// reads checks every read of every ok transaction and adds the wr edges and
// the writes-follow-reads ww edges.
func (c *checker) reads() {
	state := map[int64]mop{} // this txn's view of each key it touched
	for ti, t := range c.txns {
		if t.status != sim.OK {
			continue
		}
		clear(state)
		for i, m := range t.mops {
			seen, touched := state[m.key]
			state[m.key] = m
			if m.write {
				continue
			}
			if touched && (seen.null != m.null || seen.val != m.val) {
				c.counts["internal"]++
			}
			if m.null {
				continue
			}
			w, ok := c.writers[kv{m.key, m.val}]
			switch {
			case !ok:
				c.report("garbage-read", "%s read a value nobody wrote: [%v]", c.describe(ti), m)
				continue
			case int(w.t) == ti:
				if !touched {
					c.report("G1c", "future read: %s read its own later write: [%v]", c.describe(ti), m)
				}
				continue
			}
			writer := c.txns[w.t]
			if writer.status == sim.Fail {
				c.report("G1a", "%s read [%v], written by failed %s", c.describe(ti), m, c.describe(int(w.t)))
				continue
			}
			if w.intermediate {
				c.report("G1b", "%s read [%v], an intermediate write of %s", c.describe(ti), m, c.describe(int(w.t)))
			}
			if touched {
				continue
			}
			c.g.link(w.t, int32(ti), wr, m.key)
			if slices.ContainsFunc(t.mops[i+1:], func(n mop) bool { return n.write && n.key == m.key }) {
				c.g.link(w.t, int32(ti), ww, m.key)
			}
		}
	}
}

// finalReads checks that the final reads agree on every key, and where they
// do, orders every other write of the key before the agreed value.
func (c *checker) finalReads() {
	type seen struct {
		val   mop
		nodes []string
	}
	byKey := map[int64][]seen{}
	for _, t := range c.txns {
		if !t.op.Final {
			continue
		}
		c.final[t.status.String()]++
		if t.status != sim.OK {
			continue
		}
		for _, m := range t.mops {
			if m.write {
				continue
			}
			vals := byKey[m.key]
			j := slices.IndexFunc(vals, func(s seen) bool { return s.val == m })
			if j < 0 {
				vals = append(vals, seen{val: m})
				j = len(vals) - 1
			}
			if !slices.Contains(vals[j].nodes, t.op.Node) {
				vals[j].nodes = append(vals[j].nodes, t.op.Node)
			}
			byKey[m.key] = vals
		}
	}
	for _, k := range slices.Sorted(maps.Keys(byKey)) {
		vals := byKey[k]
		if len(vals) > 1 {
			var parts []string
			for _, s := range vals {
				v := "nil"
				if !s.val.null {
					v = fmt.Sprint(s.val.val)
				}
				parts = append(parts, fmt.Sprintf("%s on %s", v, strings.Join(s.nodes, ",")))
			}
			c.report("divergence", "final reads of key %d differ: %s", k, strings.Join(parts, "; "))
			continue
		}
		if vals[0].val.null {
			continue
		}
		w, ok := c.writers[kv{k, vals[0].val.val}]
		if !ok || c.txns[w.t].status == sim.Fail {
			continue // reported as a garbage or aborted read
		}
		for _, t := range c.extWrites[k] {
			c.g.link(t, w.t, ww, k)
		}
	}
}

// cycles reports G0 (cycles of ww edges) and G1c (cycles of ww and wr
// edges with at least one wr edge), one per strongly connected component.
func (c *checker) cycles() {
	onlyWW := func(e edge) bool { return e.kind == ww }
	comps, comp := c.g.sccs(onlyWW)
	for ci, members := range comps {
		from, first := c.firstEdge(members, comp, int32(ci), onlyWW)
		c.report("G0", "%s (%d txns in the component)", c.describeCycle(c.g.cycleThrough(from, first, comp, int32(ci), onlyWW)), len(members))
	}
	all := func(edge) bool { return true }
	comps, comp = c.g.sccs(all)
	for ci, members := range comps {
		from, first := c.firstEdge(members, comp, int32(ci), func(e edge) bool { return e.kind == wr })
		if from < 0 {
			continue // only ww edges inside: a G0, reported above
		}
		c.report("G1c", "%s (%d txns in the component)", c.describeCycle(c.g.cycleThrough(from, first, comp, int32(ci), all)), len(members))
	}
}

// firstEdge returns an edge that keep accepts between two members of
// component ci, or from = -1 if there is none.
func (c *checker) firstEdge(members []int32, comp []int32, ci int32, keep func(edge) bool) (int32, edge) {
	for _, v := range members {
		for _, e := range c.g.out[v] {
			if keep(e) && comp[e.to] == ci {
				return v, e
			}
		}
	}
	return -1, edge{}
}

// describe names transaction ti for a person: history index, process,
// node, status, and its micro-ops when there are few.
func (c *checker) describe(ti int) string {
	t := c.txns[ti]
	var b strings.Builder
	fmt.Fprintf(&b, "op %d (p%d on %s, %v", t.index, t.op.Process, t.op.Node, t.status)
	if t.op.Final {
		b.WriteString(", final")
	}
	b.WriteString(") ")
	if len(t.mops) > 8 {
		fmt.Fprintf(&b, "[%d micro-ops]", len(t.mops))
		return b.String()
	}
	b.WriteString("[")
	for i, m := range t.mops {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "[%v]", m)
	}
	b.WriteString("]")
	return b.String()
}

// describeCycle renders a cycle as "T -ww k-> T' -wr k-> ... -> T".
func (c *checker) describeCycle(path []step) string {
	var b strings.Builder
	for i, s := range path {
		if i == 0 {
			b.WriteString(c.describe(int(s.from)))
		}
		fmt.Fprintf(&b, " -%v on key %d-> ", s.e.kind, s.e.key)
		if i == len(path)-1 {
			fmt.Fprintf(&b, "op %d", c.txns[s.e.to].index)
		} else {
			b.WriteString(c.describe(int(s.e.to)))
		}
	}
	return b.String()
}

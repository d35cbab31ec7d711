package spec

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/gen"
)

// setVariant is what tells broadcast and g-set apart: both are a grow-only
// set of unique integers, added one at a time and read whole.
type setVariant struct {
	addType   string // request type of an addition
	addField  string // its field holding the value
	readField string // the read_ok field holding every value
	topology  bool   // whether nodes get a topology preamble
}

var (
	broadcastSet = setVariant{addType: "broadcast", addField: "message", readField: "messages", topology: true}
	gSet         = setVariant{addType: "add", addField: "element", readField: "value"}
)

// setSpec is the broadcast or g-set workload.
type setSpec struct {
	v    setVariant
	topo func([]string) map[string][]string
}

func newSetSpec(v setVariant, cfg sim.Config) (*setSpec, error) {
	s := &setSpec{v: v}
	if v.topology {
		f, err := topologyFunc(cfg.Topology)
		if err != nil {
			return nil, err
		}
		s.topo = f
	}
	return s, nil
}

type topologyBody struct {
	Type     string              `json:"type"`
	Topology map[string][]string `json:"topology"`
}

// Preamble implements sim.Spec: for broadcast, every node gets the whole
// topology map (the client's setup! in broadcast.clj).
func (s *setSpec) Preamble(nodes []string) map[string]sim.Body {
	if s.topo == nil {
		return nil
	}
	body := topologyBody{Type: "topology", Topology: s.topo(nodes)}
	m := make(map[string]sim.Body, len(nodes))
	for _, n := range nodes {
		m[n] = body
	}
	return m
}

// Generators implements sim.Spec: a random mix of additions of 0, 1, 2,
// … (one sequence shared by every thread) and reads; finally one read per
// thread (marked final for broadcast; g_set.clj does not mark them).
func (s *setSpec) Generators(*gen.Test) (gen.Gen, gen.Gen) {
	adds := gen.Iterate(func(i int) gen.Gen { return gen.Once(gen.Op{F: s.v.addType, Value: int64(i)}) })
	reads := gen.Repeat(-1, gen.Once(gen.Op{F: "read"}))
	return gen.Mix(adds, reads), gen.EachThread(gen.Once(gen.Op{F: "read", Final: s.v.topology}))
}

// Invoke implements sim.Spec. An ok read's value is the []int64 it
// returned. Broadcast's client translates errors (reads fail, broadcasts
// are indeterminate); g-set's translates none, so every error crashes it.
func (s *setSpec) Invoke(c *sim.Conn, node string, op gen.Op) (gen.Op, error) {
	var err error
	switch op.F {
	case "read":
		var resp map[string]json.RawMessage
		if err = c.RPC(node, map[string]string{"type": "read"}, 0, &resp); err == nil {
			var values []int64
			if err := decode(resp[s.v.readField], &values); err != nil {
				return op, fmt.Errorf("malformed read reply %.200s: %w", resp[s.v.readField], err)
			}
			op.Type, op.Value = gen.OK, values
		}
	default:
		if err = c.RPC(node, map[string]any{"type": s.v.addType, s.v.addField: op.Value}, 0, nil); err == nil {
			op.Type = gen.OK
		}
	}
	if !s.v.topology {
		return op, err
	}
	return sim.WithErrors(op, op.F == "read", err)
}

// Reusable implements sim.Spec: neither client is.
func (*setSpec) Reusable() bool { return false }

// setElement is what set-full learns about one added value: the event that
// made it known (the ok add, or the first ok read showing it), and the
// invocations of the last reads that did and did not contain it.
type setElement struct {
	value                   int64
	pos                     int // its place in setChecker.elems
	add                     int // history index of the addition
	known                   *setEvent
	lastPresent, lastAbsent *setEvent
}

// setEvent is one event of an op: its history event index and time.
type setEvent struct {
	op    int // history index
	index int
	at    time.Duration
}

// Checker implements sim.Spec with Jepsen's set-full checker as Maelstrom
// runs it (not linearizable), and the simulator's stricter checks apart;
// see the package comment. It reads each read's values as the read
// completes and keeps none of them.
func (s *setSpec) Checker() sim.Checker {
	return &setChecker{v: s.v, verdict: newVerdict(), byValue: map[int64]*setElement{}, strict: newSetStrict()}
}

// setChecker is set-full's state as it walks the history.
type setChecker struct {
	v       setVariant
	verdict *verdict
	elems   []*setElement // in order of their additions' invocations
	byValue map[int64]*setElement
	strict  *setStrict
	present []bool // by element position: in the read at hand (all false between reads)
}

// Invoked implements sim.Checker: an addition makes its value known to
// set-full (a second addition of a value starts it afresh).
func (c *setChecker) Invoked(h sim.History, i int) {
	op := h[i]
	if op.F != c.v.addType {
		return
	}
	val, _ := op.Value.(int64)
	if old := c.byValue[val]; old != nil {
		*old = setElement{value: val, pos: old.pos, add: i}
		return
	}
	el := &setElement{value: val, pos: len(c.elems), add: i}
	c.byValue[val] = el
	c.elems = append(c.elems, el)
	c.present = append(c.present, false)
}

// Completed implements sim.Checker: an ok addition makes its value known
// (if no read showed it before); an ok read updates, for every value,
// the last read that did or did not contain it.
func (c *setChecker) Completed(h sim.History, i int) {
	op := h[i]
	switch {
	case op.Status != sim.OK:
	case op.F == c.v.addType:
		val, _ := op.Value.(int64)
		if el := c.byValue[val]; el != nil && el.known == nil {
			el.known = &setEvent{i, op.CompleteEvent, op.Complete}
		}
	case op.F == "read":
		values, _ := op.Out.([]int64)
		for _, x := range values {
			if el := c.byValue[x]; el != nil {
				c.present[el.pos] = true
			} else {
				c.strict.candidates[x] = true
			}
		}
		c.strict.read(c.verdict, h, i, c.present, c.elems)
		inv := &setEvent{i, op.InvokeEvent, op.Invoke}
		for _, el := range c.elems {
			if c.present[el.pos] {
				if el.known == nil {
					el.known = &setEvent{i, op.CompleteEvent, op.Complete}
				}
				if el.lastPresent == nil || el.lastPresent.index < inv.index {
					el.lastPresent = inv
				}
			} else if el.lastAbsent == nil || el.lastAbsent.index < inv.index {
				el.lastAbsent = inv
			}
		}
		clear(c.present)
	}
}

// Result implements sim.Checker: each value is stable (its last read
// contained it), lost (known, then absent from the reads after every read
// that showed it) or never read.
func (c *setChecker) Result(h sim.History) sim.Result {
	v, elems := c.verdict, c.elems
	idx := func(e *setEvent) int {
		if e == nil {
			return -1
		}
		return e.index
	}
	var stable, lost, neverRead int
	var latencies []float64
	for _, el := range elems {
		switch {
		case el.lastPresent != nil && idx(el.lastAbsent) < idx(el.lastPresent):
			stable++
			var stableAt time.Duration
			if el.lastAbsent != nil {
				stableAt = el.lastAbsent.at + 1
			}
			latencies = append(latencies, float64(max(0, stableAt-el.known.at)/time.Millisecond))
		case el.known != nil && el.lastAbsent != nil && idx(el.lastPresent) < el.lastAbsent.index && el.known.index < el.lastAbsent.index:
			lost++
			v.add("lost", "value %d (added by %s, known at %s) is missing from %s, the last read; last seen by %s",
				el.value, describe(h[el.add]), ms(el.known.at), describe(h[el.lastAbsent.op]), seenBy(h, el.lastPresent))
		default:
			neverRead++
		}
	}
	if stable == 0 && lost == 0 {
		v.unknown = true
		v.stats["unknown"] = fmt.Sprintf("none of %d added values was ever stable or lost (Jepsen's :unknown)", len(elems))
	}
	c.strict.finish(v, c.byValue)

	v.stats["attempt-count"] = len(elems)
	v.stats["stable-count"] = stable
	v.stats["lost-count"] = lost
	v.stats["never-read-count"] = neverRead
	res := v.result()
	res.StableLatencies = quantiles(latencies)
	return res
}

// setStrict is what set-full does not look at, checked as the reads come
// so that no read's values are kept: a value known before the final reads
// began must be in every ok final read, not only the latest-invoked one
// ("missing-from-final"), and a read must not return a value never added
// ("unexpected").
type setStrict struct {
	missed     map[*setElement]bool // reported missing from a final read
	candidates map[int64]bool       // read before any add of them was seen
}

func newSetStrict() *setStrict {
	return &setStrict{missed: map[*setElement]bool{}, candidates: map[int64]bool{}}
}

// read takes the ok read at history index i, which returned the elements
// present marks by position (values no add named are already among the
// candidates).
func (st *setStrict) read(v *verdict, h sim.History, i int, present []bool, elems []*setElement) {
	op := h[i]
	if !op.Final {
		return
	}
	for _, el := range elems {
		if el.known != nil && el.known.at < op.Invoke && !present[el.pos] && !st.missed[el] {
			st.missed[el] = true
			v.addStrict("missing-from-final", "value %d (added by %s, known at %s) is missing from the final read %s",
				el.value, describe(h[el.add]), ms(el.known.at), describe(op))
		}
	}
}

// finish reports the values read that no add ever named.
func (st *setStrict) finish(v *verdict, byValue map[int64]*setElement) {
	var unexpected []int64
	for x := range st.candidates {
		if byValue[x] == nil {
			unexpected = append(unexpected, x)
		}
	}
	slices.Sort(unexpected)
	for _, x := range unexpected {
		v.addStrict("unexpected", "value %d was read but never added", x)
	}
	v.stats["unexpected-count"] = len(unexpected)
}

// seenBy names the read of an event (a sim.OpRef, which the anomaly lists
// among its Ops), or says there was none.
func seenBy(h sim.History, e *setEvent) any {
	if e == nil {
		return "no read"
	}
	return describe(h[e.op])
}

package appendtxn

import (
	"fmt"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/elle"
)

// checker is Elle's list-append check with the options Maelstrom passes
// (its CLI options: the models, and no cycle-search timeout of its own).
type checker struct {
	expect      elle.Expectation
	concurrency int                // client threads, to tell a history's threads apart
	search      elle.SearchOptions // the cycle search's budget
}

// elleOp is op as Elle sees it: the completion's transaction when ok (the
// reads filled in), else the invocation's.
func (c *checker) elleOp(op sim.Op) elle.Op {
	e := elle.Op{
		Index: op.Index, Process: op.Process, Thread: op.Process, Type: elle.Info,
		Invoke: op.Invoke, Complete: op.Complete, InvokeEvent: op.InvokeEvent, CompleteEvent: op.CompleteEvent,
	}
	if c.concurrency > 0 && op.Process >= 0 {
		e.Thread = op.Process % c.concurrency
	}
	in, _ := op.Value.(Txn)
	e.Value = in
	switch op.Status {
	case sim.OK:
		e.Type = elle.OK
		if out, ok := op.Out.(Txn); ok {
			e.Value = out
		}
	case sim.Fail:
		e.Type = elle.Fail
	}
	return e
}

// check judges h as Maelstrom does: Elle's verdict as it stands. Each
// anomaly describes its first case and lists that case's operations.
func (c *checker) check(h sim.History) sim.Result {
	var eh elle.History
	for _, op := range h {
		if op.F == "txn" {
			eh = append(eh, c.elleOp(op))
		}
	}
	found, err := elle.ListAppendAnomalies(eh, c.expect, c.search)
	var er elle.Result
	if err == nil {
		er, err = c.expect.Evaluate(found)
	}
	if err != nil {
		// Elle threw; Jepsen's compose records :valid? :unknown.
		return sim.Result{Unknown: true, Anomalies: []sim.Anomaly{{Kind: "checker-error", Detail: err.Error()}}}
	}
	res := sim.Result{Valid: er.Valid, Unknown: er.Unknown, Stats: map[string]any{}}
	for _, t := range er.AnomalyTypes {
		cs := er.Anomalies[t]
		detail := cs[0].String()
		if len(cs) > 1 {
			detail = fmt.Sprintf("%s (and %d more)", detail, len(cs)-1)
		}
		res.Anomalies = append(res.Anomalies, sim.Anomaly{Kind: t, Detail: detail, Ops: h.Refs(cs[0].Involved(), maxOps)})
	}
	counts := map[string]int{}
	for t, cs := range found {
		counts[t] = len(cs)
	}
	res.Stats["anomalies"] = counts
	if len(er.Not) > 0 || len(er.AlsoNot) > 0 {
		res.Stats["not"], res.Stats["also-not"] = er.Not, er.AlsoNot
	}
	return res
}

// maxOps caps the operations an anomaly lists.
const maxOps = 20

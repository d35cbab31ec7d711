package spec

import (
	"encoding/json"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/gen"
)

// uniqueIDsSpec is the unique-ids workload (workload/unique_ids.clj):
// clients only send `generate`, and no id may be handed out twice.
type uniqueIDsSpec struct{}

// Preamble implements sim.Spec: unique-ids has none.
func (uniqueIDsSpec) Preamble([]string) map[string]sim.Body { return nil }

// Generators implements sim.Spec: generate, forever; no final generator.
func (uniqueIDsSpec) Generators(*gen.Test) (gen.Gen, gen.Gen) {
	return gen.Repeat(-1, gen.Once(gen.Op{F: "generate"})), nil
}

// Invoke implements sim.Spec: the id, in canonical JSON (exact integers,
// sorted object keys), is the completion's value.
func (uniqueIDsSpec) Invoke(c *sim.Conn, node string, op gen.Op) (gen.Op, error) {
	var resp struct {
		ID json.RawMessage `json:"id"`
	}
	err := c.RPC(node, map[string]string{"type": "generate"}, 0, &resp)
	if err == nil {
		id, cerr := canonical(resp.ID)
		if cerr != nil {
			return op, cerr
		}
		op.Type, op.Value = gen.OK, id
	}
	return sim.WithErrors(op, false, err)
}

// Reusable implements sim.Spec: Maelstrom's unique-ids client is.
func (uniqueIDsSpec) Reusable() bool { return true }

// Checker implements sim.Spec, as Jepsen's unique-ids checker: ids of
// acknowledged generates are compared as canonical JSON, so 1 and "1" are
// two ids and 2^62 and 2^62+1 stay apart; any id seen twice is a
// "duplicate-id" naming the ops.
func (uniqueIDsSpec) Checker() sim.Checker { return &uniqueIDsChecker{owners: map[string][]int{}} }

// uniqueIDsChecker collects who got each id as the generates complete.
type uniqueIDsChecker struct {
	owners           map[string][]int // canonical id → indices of the ops that got it
	order            []string         // ids in order of first appearance, for stable reports
	attempted, acked int
}

// Invoked implements sim.Checker.
func (*uniqueIDsChecker) Invoked(sim.History, int) {}

// Completed implements sim.Checker.
func (c *uniqueIDsChecker) Completed(h sim.History, i int) {
	op := h[i]
	if op.F != "generate" {
		return
	}
	c.attempted++
	if op.Status != sim.OK {
		return
	}
	c.acked++
	id, _ := op.Out.(string)
	if c.owners[id] == nil {
		c.order = append(c.order, id)
	}
	c.owners[id] = append(c.owners[id], i)
}

// Result implements sim.Checker.
func (c *uniqueIDsChecker) Result(h sim.History) sim.Result {
	v := newVerdict()
	owners, order, attempted, acked := c.owners, c.order, c.attempted, c.acked
	dups := 0
	for _, id := range order {
		ops := owners[id]
		if len(ops) < 2 {
			continue
		}
		dups++
		var who opList
		for _, i := range ops {
			who = append(who, describe(h[i]))
		}
		v.add("duplicate-id", "id %.200s handed out %d times: %s", id, len(ops), who)
	}
	v.stats["attempted-count"] = attempted
	v.stats["acknowledged-count"] = acked
	v.stats["duplicated-count"] = dups
	return v.result()
}

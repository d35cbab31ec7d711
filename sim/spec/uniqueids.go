package spec

import (
	"encoding/json"
	"math/rand/v2"
	"strings"

	"github.com/glomers/glomers/sim"
)

// uniqueIDsSpec is the unique-ids workload: clients only send `generate`,
// and no id may be handed out twice.
type uniqueIDsSpec struct{}

type typeOnly struct {
	Type string `json:"type"`
}

// Preamble implements sim.Spec: unique-ids has none.
func (uniqueIDsSpec) Preamble([]string) map[string]sim.Body { return nil }

// NewClient implements sim.Spec.
func (uniqueIDsSpec) NewClient(int, string, *rand.Rand) sim.Client { return generateClient{} }

type generateClient struct{}

func (generateClient) Next() sim.Body    { return typeOnly{Type: "generate"} }
func (generateClient) Observe(sim.Op)    {}
func (generateClient) Final() []sim.Body { return nil }

// Check implements sim.Spec: ids of acknowledged generates are compared as
// canonical JSON (exact integers, sorted object keys), so 1 and "1" are two
// ids and 2^62 and 2^62+1 stay apart.
func (uniqueIDsSpec) Check(h sim.History) sim.Result {
	v := newVerdict()
	owners := map[string][]int{} // canonical id → indices of the ops that got it
	var order []string           // ids in order of first appearance, for stable reports
	attempted, acked := 0, 0
	for i, op := range h {
		if op.Type != "generate" {
			continue
		}
		attempted++
		if op.Status != sim.OK {
			continue
		}
		acked++
		var resp struct {
			ID json.RawMessage `json:"id"`
		}
		if err := decode(op.Resp, &resp); err != nil || resp.ID == nil {
			v.add("missing-id", "%s: reply %.200s has no id", describe(op), op.Resp)
			continue
		}
		id, err := canonical(resp.ID)
		if err != nil {
			v.add("missing-id", "%s: %v", describe(op), err)
			continue
		}
		if owners[id] == nil {
			order = append(order, id)
		}
		owners[id] = append(owners[id], i)
	}
	dups := 0
	for _, id := range order {
		ops := owners[id]
		if len(ops) < 2 {
			continue
		}
		dups++
		var who []string
		for _, i := range ops {
			who = append(who, describe(h[i]))
		}
		v.add("duplicate-id", "id %.200s handed out %d times: %s", id, len(ops), strings.Join(who, "; "))
	}
	v.stats["attempted-count"] = attempted
	v.stats["acknowledged-count"] = acked
	v.stats["duplicated-count"] = dups
	return v.result()
}

package spec

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/glomers/glomers/sim"
)

// echoSpec is the echo workload: clients send `echo{echo}` and expect the
// same payload back.
type echoSpec struct{}

type echoBody struct {
	Type string `json:"type"`
	Echo string `json:"echo"`
}

// Preamble implements sim.Spec: echo has none.
func (echoSpec) Preamble([]string) map[string]sim.Body { return nil }

// NewClient implements sim.Spec.
func (echoSpec) NewClient(_ int, _ string, r *rand.Rand) sim.Client { return echoClient{r: r} }

type echoClient struct{ r *rand.Rand }

func (c echoClient) Next() sim.Body {
	return echoBody{Type: "echo", Echo: fmt.Sprintf("Please echo %d", c.r.IntN(128))}
}
func (echoClient) Observe(sim.Op)    {}
func (echoClient) Final() []sim.Body { return nil }

// Check implements sim.Spec: every echo must be answered with the payload it
// carried. Like Maelstrom's checker (which compares each completion's echo
// with the invocation's value), an echo that failed or timed out counts
// against the run too.
func (echoSpec) Check(h sim.History) sim.Result {
	v := newVerdict()
	n := 0
	for _, op := range h {
		if op.Type != "echo" {
			continue
		}
		n++
		if op.Status != sim.OK {
			v.add("unanswered", "%s got no echo (error code %d)", describe(op), op.ErrCode)
			continue
		}
		var req, resp struct {
			Echo json.RawMessage `json:"echo"`
		}
		if err := decode(op.Req, &req); err != nil {
			v.add("malformed-request", "%s: %v", describe(op), err)
			continue
		}
		if err := decode(op.Resp, &resp); err != nil || resp.Echo == nil {
			v.add("wrong-echo", "%s: reply %.200s has no echo", describe(op), op.Resp)
			continue
		}
		want, err1 := canonical(req.Echo)
		got, err2 := canonical(resp.Echo)
		if err1 != nil || err2 != nil || want != got {
			v.add("wrong-echo", "%s: sent %s, got back %.200s", describe(op), req.Echo, resp.Echo)
		}
	}
	v.stats["echo-count"] = n
	return v.result()
}

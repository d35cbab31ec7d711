package spec

import (
	"encoding/json"
	"fmt"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/gen"
)

// echoSpec is the echo workload (workload/echo.clj): each thread sends
// `echo{echo:"Please echo N"}`, N < 128, and expects the same payload
// back.
type echoSpec struct{}

// Preamble implements sim.Spec: echo has none.
func (echoSpec) Preamble([]string) map[string]sim.Body { return nil }

// Generators implements sim.Spec: every thread its own stream of echoes;
// no final generator.
func (echoSpec) Generators(*gen.Test) (gen.Gen, gen.Gen) {
	return gen.EachThread(gen.FuncOp(func(t *gen.Test) gen.Op {
		return gen.Op{F: "echo", Value: fmt.Sprintf("Please echo %d", t.Rand.IntN(128))}
	})), nil
}

// Invoke implements sim.Spec: the reply's echo, as raw JSON, is the
// completion's value.
func (echoSpec) Invoke(c *sim.Conn, node string, op gen.Op) (gen.Op, error) {
	var resp struct {
		Echo json.RawMessage `json:"echo"`
	}
	err := c.RPC(node, map[string]any{"type": "echo", "echo": op.Value}, 0, &resp)
	if err == nil {
		op.Type, op.Value = gen.OK, resp.Echo
	}
	return sim.WithErrors(op, false, err)
}

// Reusable implements sim.Spec: Maelstrom's echo client is not.
func (echoSpec) Reusable() bool { return false }

// Checker implements sim.Spec: every completion must carry the echo of its
// invocation. Like Maelstrom's checker, which compares each completion's
// :echo with the invocation's value, an echo that failed or timed out
// counts against the run too ("unanswered").
func (echoSpec) Checker() sim.Checker { return &echoChecker{v: newVerdict()} }

// echoChecker judges each echo as it completes.
type echoChecker struct{ v *verdict }

// Invoked implements sim.Checker.
func (*echoChecker) Invoked(sim.History, int) {}

// Completed implements sim.Checker.
func (c *echoChecker) Completed(h sim.History, i int) {
	op := h[i]
	if op.F != "echo" {
		return
	}
	if op.Status != sim.OK {
		c.v.add("unanswered", "%s got no echo", describe(op))
		return
	}
	want, _ := json.Marshal(op.Value)
	raw, _ := op.Out.(json.RawMessage)
	got, err := canonical(raw)
	if err != nil || got != string(want) {
		c.v.add("wrong-echo", "%s: sent %s, got back %.200s", describe(op), want, raw)
	}
}

// Result implements sim.Checker.
func (c *echoChecker) Result(h sim.History) sim.Result {
	c.v.stats["echo-count"] = len(h)
	return c.v.result()
}

package sim

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/glomers/glomers/node"
	"github.com/glomers/glomers/sim/gen"
)

// fakeSpec sends requests of type f with a unique "echo" payload (reads
// are idempotent, as Maelstrom's clients treat them), one final request
// per thread when final is set, and judges nothing unless check is set.
type fakeSpec struct {
	f        string
	preamble map[string]Body
	final    bool
	check    func(History) Result
	reusable bool
}

func (s *fakeSpec) Preamble([]string) map[string]Body { return s.preamble }

func (s *fakeSpec) Generators(*gen.Test) (gen.Gen, gen.Gen) {
	load := gen.Iterate(func(i int) gen.Gen { return gen.Once(gen.Op{F: s.f, Value: i}) })
	var final gen.Gen
	if s.final {
		final = gen.EachThread(gen.Once(gen.Op{F: s.f, Value: -1, Final: true}))
	}
	return load, final
}

func (s *fakeSpec) Invoke(c *Conn, node string, op gen.Op) (gen.Op, error) {
	var resp struct {
		Echo any `json:"echo"`
	}
	err := c.RPC(node, map[string]any{"type": s.f, "echo": op.Value}, 0, &resp)
	if err == nil {
		op.Type, op.Value = gen.OK, resp.Echo
	}
	return WithErrors(op, s.f == "read", err)
}

func (s *fakeSpec) Reusable() bool { return s.reusable }

func (s *fakeSpec) Checker() Checker {
	return WholeHistory(func(h History) Result {
		if s.check != nil {
			return s.check(h)
		}
		return Result{Valid: true}
	})
}

// program makes a test node program of a Builder.
func program(build node.Builder) node.Program {
	return node.Program{Name: "test", New: func(*flag.FlagSet) node.Builder { return build }}
}

// echoNode answers echo like challenge 1, and "gossip" (sent to every
// other node) after each echo when gossip is true.
func echoNode(gossip bool) node.Program {
	return program(func(n *node.Node, init node.Init) (node.Handlers, error) {
		echo := func(_ context.Context, m node.Message) (any, error) {
			var req struct {
				Echo json.RawMessage `json:"echo"`
			}
			if err := node.Decode(m.Body, &req); err != nil {
				return nil, err
			}
			if gossip {
				for _, id := range init.Peers() {
					_ = n.Send(id, map[string]any{"type": "gossip", "echo": req.Echo})
				}
			}
			return map[string]any{"type": "echo_ok", "echo": req.Echo}, nil
		}
		gossipH := func(context.Context, node.Message) (any, error) { return nil, nil }
		return node.Handlers{"echo": echo, "gossip": gossipH}, nil
	})
}

// replyNode answers "echo" with whatever reply returns (nil: no answer).
func replyNode(reply func(ctx context.Context, n *node.Node) (any, error)) node.Program {
	return program(func(n *node.Node, _ node.Init) (node.Handlers, error) {
		return node.Handlers{"echo": func(ctx context.Context, _ node.Message) (any, error) { return reply(ctx, n) }}, nil
	})
}

// virtualRun runs cfg in a synctest bubble and fails the test on an error.
func virtualRun(t *testing.T, cfg Config) *Report {
	t.Helper()
	rep, err := RunIn(bubble(t), cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Logf("%s", rep.Summary())
	return rep
}

// bubble runs functions in a synctest bubble of t.
func bubble(t *testing.T) func(func()) {
	return func(f func()) { synctest.Test(t, func(*testing.T) { f() }) }
}

// small is a short, quick configuration: 2 s of load at 10 req/s.
func small(prog node.Program, s Spec) Config {
	return Config{Workload: "fake", NodeCount: 3, TimeLimit: 2 * time.Second, Rate: 10,
		Quiet: time.Second, Program: prog, Spec: s}
}

// nodeEnv makes this test binary act as a node binary, for tests of
// Config.Bin: "echo" gossips like echoNode(true), "exit" dies on its
// third echo, "die" exits at once with a message on stderr, "garbage"
// writes a line that is not a message with each echo.
const nodeEnv = "GLOMERS_SIM_TEST_NODE"

func TestMain(m *testing.M) {
	switch os.Getenv(nodeEnv) {
	case "":
		os.Exit(m.Run())
	case "exit":
		var echoes atomic.Int64
		node.Main(replyNode(func(context.Context, *node.Node) (any, error) {
			if echoes.Add(1) == 3 {
				os.Exit(3)
			}
			return map[string]string{"type": "echo_ok"}, nil
		}))
	case "die":
		fmt.Fprintln(os.Stderr, "test node: takes no arguments")
		os.Exit(2)
	case "garbage":
		node.Main(replyNode(func(context.Context, *node.Node) (any, error) {
			fmt.Println("hello, Maelstrom")
			return map[string]string{"type": "echo_ok"}, nil
		}))
	default:
		node.Main(echoNode(true))
	}
}

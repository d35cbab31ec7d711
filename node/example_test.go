package node_test

import (
	"context"
	"os"
	"strings"

	"github.com/glomers/glomers/node"
)

// A node that answers echo, driven by two scripted messages instead of
// Maelstrom.
func Example() {
	input := strings.Join([]string{
		`{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}}`,
		`{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":2,"echo":4611686018427387904}}`,
	}, "\n")
	type echo struct {
		Type string `json:"type"`
		Echo int64  `json:"echo"`
	}
	n := node.New(node.WithIO(strings.NewReader(input), os.Stdout))
	n.Handle("echo", node.Typed(func(_ context.Context, _ node.Message, req echo) (any, error) {
		return echo{Type: "echo_ok", Echo: req.Echo}, nil
	}))
	if err := n.Run(context.Background()); err != nil {
		panic(err)
	}
	// Output:
	// {"src":"n1","dest":"c0","body":{"in_reply_to":1,"type":"init_ok"}}
	// {"src":"n1","dest":"c1","body":{"in_reply_to":2,"type":"echo_ok","echo":4611686018427387904}}
}

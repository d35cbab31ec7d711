package node_test

import (
	"context"
	"flag"
	"log"
	"os"
	"strings"

	"github.com/glomers/glomers/node"
)

// A node that answers echo. The Builder runs when init arrives and returns
// a handler per message type; Typed decodes each request into a struct and
// answers a body that lacks a field, or has one of the wrong type, with
// error 12. Here two scripted messages stand in for Maelstrom.
func Example() {
	type echo struct {
		Type string `json:"type"`
		Echo int64  `json:"echo"` // integers stay exact, 2^62 included
	}
	build := func(n *node.Node, init node.Init) (node.Handlers, error) {
		return node.Handlers{
			"echo": node.Typed(func(ctx context.Context, msg node.Message, req echo) (any, error) {
				return echo{Type: "echo_ok", Echo: req.Echo}, nil
			}),
		}, nil
	}

	input := strings.Join([]string{
		`{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}}`,
		`{"src":"c1","dest":"n1","body":{"type":"echo","msg_id":2,"echo":4611686018427387904}}`,
	}, "\n")
	n := node.New(build, node.WithIO(strings.NewReader(input), os.Stdout))
	if err := n.Run(context.Background()); err != nil {
		log.Fatal(err)
	}
	// Output:
	// {"src":"n1","dest":"c0","body":{"in_reply_to":1,"type":"init_ok"}}
	// {"src":"n1","dest":"c1","body":{"in_reply_to":2,"type":"echo_ok","echo":4611686018427387904}}
}

// The whole main of a node binary: a Program names the workload, says what
// it is (-help prints it) and declares its flags, which Maelstrom passes
// after --. New runs once per node, before init; the Builder it returns
// builds the node's state from init and the flags' values, and may start
// background work with Every and Go, which the runtime stops and waits for
// at the end of input.
func ExampleMain() {
	type hello struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	node.Main(node.Program{
		Name: "greeter",
		Doc:  "Answers hello with a greeting from this node.",
		New: func(fs *flag.FlagSet) node.Builder {
			greeting := fs.String("greeting", "hello from", "the greeting's first words")
			return func(n *node.Node, init node.Init) (node.Handlers, error) {
				text := *greeting + " " + init.ID // state built at init
				return node.Handlers{
					"hello": func(ctx context.Context, msg node.Message) (any, error) {
						return hello{Type: "hello_ok", Text: text}, nil
					},
				}, nil
			}
		},
	})
}

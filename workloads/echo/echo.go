// Package echo is Gossip Glomers challenge 1: answer echo with echo_ok and
// the same payload. The payload is kept as raw JSON, so whatever a client
// sends, numbers above 2^53 included, comes back byte for byte.
package echo

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/glomers/glomers/node"
)

type echoReq struct {
	Echo json.RawMessage `json:"echo"`
}

type echoOK struct {
	Type string          `json:"type"`
	Echo json.RawMessage `json:"echo"`
}

// Setup registers the echo handler on n. It takes no arguments.
func Setup(n *node.Node, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("echo takes no arguments, got %q", args)
	}
	n.Handle("echo", node.Typed(func(_ context.Context, _ node.Message, req echoReq) (any, error) {
		if req.Echo == nil {
			req.Echo = json.RawMessage("null")
		}
		return echoOK{Type: "echo_ok", Echo: req.Echo}, nil
	}))
	return nil
}

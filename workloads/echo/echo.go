// Package echo is Gossip Glomers challenge 1: a node that answers each echo
// request with echo_ok and the same payload. Run it as a binary (cmd/echo:
// node.Main(echo.Program)) or in the simulator (sim.Config{Program:
// echo.Program}).
//
// The payload is kept as raw JSON, never decoded, so whatever a client
// sends, numbers above 2^53 included, comes back byte for byte. A request
// without an echo member is answered with malformed-request (12).
package echo

import (
	"context"
	"encoding/json"
	"flag"

	"github.com/glomers/glomers/node"
)

// Program is the echo workload. It takes no flags and keeps no state.
var Program = node.Program{
	Name: "echo",
	Doc:  "Answers each echo request with echo_ok carrying the same payload, byte for byte.",
	New:  func(*flag.FlagSet) node.Builder { return build },
}

type echoReq struct {
	Echo json.RawMessage `json:"echo"` // any JSON value, null included
}

type echoOK struct {
	Type string          `json:"type"`
	Echo json.RawMessage `json:"echo"`
}

func build(*node.Node, node.Init) (node.Handlers, error) {
	return node.Handlers{"echo": node.Typed(echo)}, nil
}

func echo(_ context.Context, _ node.Message, req echoReq) (any, error) {
	return echoOK{Type: "echo_ok", Echo: req.Echo}, nil
}

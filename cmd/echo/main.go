// Command echo is the node binary for Gossip Glomers challenge 1 (Maelstrom
// workload echo); -help says what it does. See package workloads/echo.
package main

import (
	"github.com/glomers/glomers/node"
	"github.com/glomers/glomers/workloads/echo"
)

func main() { node.Main(echo.Program) }

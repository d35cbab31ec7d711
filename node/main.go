package node

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/rs/zerolog"
)

// LogEnv is the environment variable that sets the log level of the default
// logger: trace, debug, info, warn (the default), error or disabled.
const LogEnv = "GLOMERS_LOG"

// DefaultLogger logs JSON lines to stderr at the level named by LogEnv.
// Events below the level cost a nil check, so disabled logging is free.
func DefaultLogger() zerolog.Logger {
	lvl := zerolog.WarnLevel
	if s := strings.TrimSpace(os.Getenv(LogEnv)); s != "" {
		if l, err := zerolog.ParseLevel(s); err == nil {
			lvl = l
		}
	}
	return zerolog.New(os.Stderr).Level(lvl).With().Timestamp().Logger()
}

// SetupFunc registers a workload's handlers and hooks on a node. args are
// the command-line arguments after the program name (Maelstrom passes what
// follows `--`); a SetupFunc parses its own flags from them.
type SetupFunc func(n *Node, args []string) error

// Main is the whole body of a workload binary's main: it builds a node on
// stdin and stdout, lets setup configure it, runs it, and exits 0 at end of
// input, 1 if reading input fails, or 2 if setup rejects its arguments,
// with a message on stderr.
func Main(setup SetupFunc) {
	n := New()
	if err := setup(n, os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", os.Args[0], err)
		os.Exit(2)
	}
	if err := n.Run(context.Background()); err != nil {
		n.Log().Error().Err(err).Msg("node stopped")
		os.Exit(1)
	}
}

package node

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/rs/zerolog"
)

// LogEnv is the environment variable that sets the log level of the default
// logger: trace, debug, info, warn (the default), error or disabled.
const LogEnv = "GLOMERS_LOG"

// DefaultLogger logs JSON lines to stderr at LogLevel. Events below the
// level cost a nil check, so disabled logging is free.
func DefaultLogger() zerolog.Logger {
	return zerolog.New(os.Stderr).Level(LogLevel()).With().Timestamp().Logger()
}

// LogLevel is the level LogEnv names, warn when it is unset or not a level.
func LogLevel() zerolog.Level {
	if l, err := zerolog.ParseLevel(strings.TrimSpace(os.Getenv(LogEnv))); err == nil && l != zerolog.NoLevel {
		return l
	}
	return zerolog.WarnLevel
}

// Program is a workload as a binary runs it: its name, a paragraph saying
// what it is, and New, which declares the workload's flags on a FlagSet
// (their defaults are the workload's defaults) and returns the Builder that
// uses their parsed values. Maelstrom passes a node's flags after `--`.
type Program struct {
	Name string
	Doc  string
	New  func(fs *flag.FlagSet) Builder
}

// Builder parses args (the node's arguments) with p's flags and returns
// the Builder configured by them. Errors name the program and list every
// flag with its default; positional arguments are errors too. With -h or
// -help it returns flag.ErrHelp.
func (p Program) Builder(args []string) (Builder, error) {
	fs := flag.NewFlagSet(p.Name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	build := p.New(fs)
	err := fs.Parse(args)
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("%s: %w\n%s", p.Name, err, p.flags(fs))
	}
	return build, nil
}

// Usage is what -help prints: the name, the description and the flags.
func (p Program) Usage() string {
	fs := flag.NewFlagSet(p.Name, flag.ContinueOnError)
	p.New(fs)
	return fmt.Sprintf("%s: a Maelstrom node for the %s workload.\n\n%s\n\nUsage: maelstrom test -w %s --bin %s [test flags] [-- node flags]\n\n%s",
		p.Name, p.Name, p.Doc, p.Name, p.Name, p.flags(fs))
}

// flags lists fs's flags with their defaults.
func (p Program) flags(fs *flag.FlagSet) string {
	var b strings.Builder
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		return "Node flags: none.\n"
	}
	b.WriteString("Node flags:\n")
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	return b.String()
}

// Main is the whole body of a workload binary's main: it parses the node's
// arguments, serves Maelstrom on stdin and stdout, and exits 0 at end of
// input, 1 if reading input fails, or 2 on bad arguments, with a message
// on stderr. -h or -help prints p's usage and exits 0.
func Main(p Program) {
	build, err := p.Builder(os.Args[1:])
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Print(p.Usage())
		os.Exit(0)
	case err != nil:
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	n := New(build)
	if err := n.Run(context.Background()); err != nil {
		n.Log().Error().Err(err).Msg("node stopped")
		os.Exit(1)
	}
}

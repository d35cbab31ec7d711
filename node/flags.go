package node

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// ParseFlags parses a workload's node arguments (what follows `--` on
// Maelstrom's command line) with the flags define declares. Errors name the
// workload and list every flag with its default; positional arguments are
// errors too. The returned set tells which flags were given (fs.Visit).
func ParseFlags(workload string, args []string, define func(fs *flag.FlagSet)) (*flag.FlagSet, error) {
	fs := flag.NewFlagSet(workload, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	define(fs)
	err := fs.Parse(args)
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err != nil {
		var b strings.Builder
		fs.SetOutput(&b)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		return fs, fmt.Errorf("%s flags: %w\nflags (after Maelstrom's --):\n%s", workload, err, b.String())
	}
	return fs, nil
}

package broadcast

import (
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// DeclareFlags declares the Engine's flags on fs, one per Config setting
// with its value in defaults as the flag's default, and --economy, which
// selects economy instead; it returns the function that gives, once fs is
// parsed, the Config they select: with --economy, economy's values, each
// overridden by its own flag when that is given too. A value no node could
// use fails the parse; a combination no node could use (Config.Validate)
// fails the node's init. Every workload on the Engine declares its flags
// here, each with its own defaults and economy setting.
func DeclareFlags(fs *flag.FlagSet, defaults, economy Config) func() Config {
	cfg := defaults
	fs.Var(checkedFlag[int]{&cfg.Fanout, strconv.Atoi, checkFanout}, "fanout",
		"dissemination tree: `F` = 0 sends each value straight to every peer; F ≥ 1 relays along a shared F-ary tree over node_ids (F ≥ N-1: a star)")
	fs.Var(checkedFlag[time.Duration]{&cfg.Batch, time.ParseDuration, checkBatch}, "batch",
		"flush `period` of the per-peer queues (0: send at once; a leaf of the shared tree sends its own values at once anyway, unless -rounds)")
	fs.Var(checkedFlag[time.Duration]{&cfg.AntiEntropy, time.ParseDuration, checkAntiEntropy}, "anti-entropy",
		"digest exchange `period`, also the grace before a value is repaired (unused with -rounds)")
	fs.BoolVar(&cfg.Rounds, "rounds", cfg.Rounds,
		"batch at every node, leaves included, in rounds of -batch aligned to the clock, with anti-entropy inside the rounds (needs -fanout ≥ 1 and -batch > 0)")
	fs.Var(checkedFlag[time.Duration]{&cfg.RoundLag, time.ParseDuration, checkRoundLag}, "round-lag",
		"with -rounds, how long after the leaves the other nodes flush: a `delay` above the one-way network latency, below -batch")
	econ := fs.Bool("economy", false, fmt.Sprintf("fewest messages: %s (-fanout, -batch, -anti-entropy, -rounds or -round-lag given too override these)", economy.Describe()))
	return func() Config {
		if !*econ {
			return cfg
		}
		e := economy
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "fanout":
				e.Fanout = cfg.Fanout
			case "batch":
				e.Batch = cfg.Batch
			case "anti-entropy":
				e.AntiEntropy = cfg.AntiEntropy
			case "rounds":
				e.Rounds = cfg.Rounds
			case "round-lag":
				e.RoundLag = cfg.RoundLag
			}
		})
		return e
	}
}

// Describe says what the setting is, in words, for usage texts and logs.
func (c Config) Describe() string {
	var parts []string
	switch {
	case c.Fanout == 0:
		parts = append(parts, "direct sends")
	case c.Fanout == math.MaxInt:
		parts = append(parts, "a star")
	default:
		parts = append(parts, fmt.Sprintf("a %d-ary tree", c.Fanout))
	}
	switch {
	case c.Rounds:
		parts = append(parts, fmt.Sprintf("%v rounds at every node (inner nodes %v after the leaves)", c.Batch, c.RoundLag),
			"anti-entropy inside the rounds")
	case c.Batch > 0:
		parts = append(parts, fmt.Sprintf("%v batches", c.Batch), fmt.Sprintf("%v anti-entropy", c.AntiEntropy))
	default:
		parts = append(parts, "no batching", fmt.Sprintf("%v anti-entropy", c.AntiEntropy))
	}
	return strings.Join(parts, ", ")
}

// checkedFlag is a flag.Value that check vets as it is parsed, so that a
// setting no node could use stops the binary with its usage.
type checkedFlag[T any] struct {
	p     *T
	parse func(string) (T, error)
	check func(T) error
}

func (f checkedFlag[T]) String() string {
	if f.p == nil { // the zero value, which flag makes to print defaults
		return ""
	}
	return fmt.Sprint(*f.p)
}

func (f checkedFlag[T]) Set(s string) error {
	v, err := f.parse(s)
	if err == nil {
		err = f.check(v)
	}
	if err == nil {
		*f.p = v
	}
	return err
}

package cli

import (
	_ "embed"
	"fmt"
	"io"
	"strings"
)

//go:embed challenges.txt
var challengesTxt string

// Challenge is one Gossip Glomers challenge configuration.
type Challenge struct {
	ID     string   // "3d", "6c", ...
	Binary string   // the cmd/ binary that serves it
	Args   []string // `maelstrom test` arguments, node arguments after "--"
}

// Challenges parses a list in the format of challenges.txt, the list shared
// with scripts/challenge: "<id> <binary> <arguments>" a line, # comments.
func Challenges(list string) []Challenge {
	var out []Challenge
	for line := range strings.SplitSeq(list, "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || strings.HasPrefix(f[0], "#") {
			continue
		}
		out = append(out, Challenge{ID: f[0], Binary: f[1], Args: f[2:]})
	}
	return out
}

// Demo runs every configuration of list (challenges.txt when empty) in the
// simulator with seed 1 and prints one table: validity, servers
// msgs-per-op, stable latency (broadcast, g-set), availability,
// operations, the p50 and p99 latency of ok operations, and the share of
// operations at nodes that could reach a majority that were unavailable
// (timed out or refused with 11; "-" without partitions). Each run goes
// to the run store as a single run would (store/, when scripts/sim runs
// the command), its directory and the wall time of the whole to stderr,
// so that the table is the same on every machine. It returns ExitValid when every run was valid.
func Demo(list string, stdout, stderr io.Writer, virtual func(func())) int {
	return demo(list, true, stdout, stderr, virtual)
}

// demo is Demo, with the runs written to the run store only when stored
// is set (the README's tables are regenerated without).
func demo(list string, stored bool, stdout, stderr io.Writer, virtual func(func())) int {
	if list == "" {
		list = challengesTxt
	}
	const row = "%-17s %6v %16s %14s %14s %13s %7s %10s %10s %12s\n"
	fmt.Fprintf(stdout, row, "challenge", "valid", "servers msgs/op", "stable p50 ms", "stable max ms", "availability", "ops", "ok p50 ms", "ok p99 ms", "maj. unavail")
	challenges := Challenges(list)
	if len(challenges) == 0 {
		fmt.Fprintln(stderr, "sim demo: the list has no challenge (lines of \"<id> <binary> <arguments>\")")
		return ExitUsage
	}
	status := ExitValid
	var wall float64
	defer func() { fmt.Fprintf(stderr, "sim demo: %.1f s of wall time\n", wall) }()
	for _, c := range challenges {
		cfg, opts, err := parseOptions(append([]string{"--seed", "1"}, c.Args...), stderr)
		if err != nil {
			fmt.Fprintf(stderr, "sim demo: %s: %v\n", c.ID, err)
			return ExitUsage
		}
		if !stored {
			opts.store = ""
		}
		rep, err := runStored(cfg, opts.store, false, virtual, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "sim demo: %s: %v\n", c.ID, err)
			status = ExitInvalid
			continue
		}
		if rep.Store != "" {
			fmt.Fprintf(stderr, "sim demo: %s: %s\n", c.ID, rep.Store)
		}
		if !rep.Valid {
			status = ExitInvalid
			for _, a := range rep.Anomalies {
				fmt.Fprintf(stderr, "sim demo: %s: %s: %s\n", c.ID, a.Kind, a.Detail)
			}
		}
		p50, top := "-", "-"
		if sl := rep.StableLatenciesMS; sl != nil {
			p50, top = fmt.Sprintf("%.0f", sl["0.5"]), fmt.Sprintf("%.0f", sl["1"])
		}
		wall += rep.WallSeconds
		ok50, ok99 := "-", "-"
		if q := rep.OKLatenciesMS; q != nil {
			ok50, ok99 = fmt.Sprintf("%.0f", q["0.5"]), fmt.Sprintf("%.0f", q["0.99"])
		}
		unavail := "-"
		if m := rep.AvailabilityByReach["minority"]; m.Invoked > 0 {
			a := rep.AvailabilityByReach["majority"]
			unavail = fmt.Sprintf("%.2f%%", 100*float64(a.Unavailable)/float64(max(a.Invoked, 1)))
		}
		fmt.Fprintf(stdout, row, c.ID, rep.Valid, fmt.Sprintf("%.3f", rep.Net.Servers.MsgsPerOp), p50, top,
			fmt.Sprintf("%.4f", rep.Availability), fmt.Sprint(rep.Ops.Invoked), ok50, ok99, unavail)
	}
	return status
}

package cli

import (
	_ "embed"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

//go:embed fidelity.txt
var fidelityTxt string

// fidelitySeeds are the seeds each configuration of the fidelity table runs
// with; its figures are means over them.
var fidelitySeeds = []int64{1, 2, 3, 4, 5}

// fidelityRow is one line of fidelity.txt: a configuration and what the
// real Maelstrom reported for it (NaN where it reported nothing).
type fidelityRow struct {
	ID           string
	Msgs, Avail  float64
	Verdict      string
	Binary, Args string
}

// fidelityRows parses fidelity.txt, taking each row's arguments from
// challenges.txt when it gives none.
func fidelityRows() ([]fidelityRow, error) {
	byID := map[string]Challenge{}
	for _, c := range Challenges(challengesTxt) {
		byID[c.ID] = c
	}
	num := func(s string) (float64, error) {
		if s == "-" {
			return math.NaN(), nil
		}
		return strconv.ParseFloat(s, 64)
	}
	var rows []fidelityRow
	for line := range strings.SplitSeq(fidelityTxt, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if len(f) < 4 {
			return nil, fmt.Errorf("fidelity.txt: short line %q", line)
		}
		r := fidelityRow{ID: f[0], Verdict: f[3]}
		var err1, err2 error
		r.Msgs, err1 = num(f[1])
		r.Avail, err2 = num(f[2])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("fidelity.txt: bad figure in %q", line)
		}
		if len(f) > 4 {
			r.Binary, r.Args = f[4], strings.Join(f[5:], " ")
		} else if c, ok := byID[r.ID]; ok {
			r.Binary, r.Args = c.Binary, strings.Join(c.Args, " ")
		} else {
			return nil, fmt.Errorf("fidelity.txt: %s is no challenge and gives no arguments", r.ID)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// within reports whether a simulated figure is within the fidelity target of
// the real one: 10%, or 0.01 for figures below 0.1.
func within(real, sim float64) bool {
	if real < 0.1 {
		return math.Abs(sim-real) <= 0.01
	}
	return math.Abs(sim-real) <= 0.1*real
}

// Fidelity runs every configuration of fidelity.txt with seeds 1 to 5 and
// prints a Markdown table of the real Maelstrom's figures beside the
// simulator's means, and whether each is within the target. It returns
// ExitValid when every row is, ExitInvalid otherwise.
func Fidelity(stdout, stderr io.Writer, virtual func(func())) int {
	rows, err := fidelityRows()
	if err != nil {
		fmt.Fprintf(stderr, "sim fidelity: %v\n", err)
		return ExitUsage
	}
	fmt.Fprintln(stdout, "| challenge | servers msgs/op: Maelstrom | simulator | availability: Maelstrom | simulator | verdict: Maelstrom | simulator |")
	fmt.Fprintln(stdout, "|---|---:|---:|---:|---:|---|---|")
	status := ExitValid
	for _, r := range rows {
		var msgs, avail float64
		valid := 0
		for _, seed := range fidelitySeeds {
			cfg, _, err := parse(append(strings.Fields(r.Args), "--seed", fmt.Sprint(seed)), stderr)
			if err != nil {
				fmt.Fprintf(stderr, "sim fidelity: %s: %v\n", r.ID, err)
				return ExitUsage
			}
			rep, err := runConfig(cfg, virtual)
			if err != nil {
				fmt.Fprintf(stderr, "sim fidelity: %s seed %d: %v\n", r.ID, seed, err)
				return ExitInvalid
			}
			msgs += rep.Net.Servers.MsgsPerOp / float64(len(fidelitySeeds))
			avail += rep.Availability / float64(len(fidelitySeeds))
			if rep.Valid {
				valid++
			}
		}
		verdict := fmt.Sprintf("%d of %d valid", valid, len(fidelitySeeds))
		switch valid {
		case len(fidelitySeeds):
			verdict = "valid"
		case 0:
			verdict = "invalid"
		}
		mark := func(real, sim float64, digits int) (string, string) {
			if math.IsNaN(real) {
				return "-", strconv.FormatFloat(sim, 'f', digits, 64)
			}
			ok := "✓"
			if !within(real, sim) {
				ok, status = "✗", ExitInvalid
			}
			return strconv.FormatFloat(real, 'f', -1, 64), strconv.FormatFloat(sim, 'f', digits, 64) + " " + ok
		}
		realMsgs, simMsgs := mark(r.Msgs, msgs, 4)
		realAvail, simAvail := mark(r.Avail, avail, 5)
		okVerdict := "✓"
		if verdict != r.Verdict {
			okVerdict, status = "✗", ExitInvalid
		}
		fmt.Fprintf(stdout, "| %s | %s | %s | %s | %s | %s | %s %s |\n", r.ID, realMsgs, simMsgs, realAvail, simAvail, r.Verdict, verdict, okVerdict)
	}
	return status
}

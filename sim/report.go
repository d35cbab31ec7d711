package sim

import (
	"fmt"
	"github.com/glomers/glomers/node"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// report assembles the verdict: the spec's result plus what Maelstrom
// checks of every workload (each op type succeeded at least once, the
// asked availability) and no protocol violations.
func (r *run) report(h History, res Result) *Report {
	rep := &Report{
		Workload:          r.cfg.Workload,
		Seed:              r.cfg.Seed,
		StableLatenciesMS: res.StableLatencies,
		Stats:             res.Stats,
		Anomalies:         append([]Anomaly{}, res.Anomalies...),
		Strict:            res.Strict,
		History:           h,
	}
	rep.AvailabilityByReach = map[string]ReachCounts{}
	rep.ByF = map[string]FCounts{}
	okByF := map[string]int{}
	var fs []string
	latencies := map[string][]float64{}
	for _, op := range h {
		rep.Ops.Invoked++
		reach := "minority"
		if op.Majority {
			reach = "majority"
		}
		rc := rep.AvailabilityByReach[reach]
		rc.Invoked++
		switch {
		case op.Status == OK:
			rc.OK++
		case op.ErrCode == node.CodeTemporarilyUnavailable || strings.Contains(op.Error, "timeout"):
			rc.Unavailable++
		}
		rep.AvailabilityByReach[reach] = rc
		rep.ByF[op.F] = countF(rep.ByF[op.F], op)
		if _, seen := okByF[op.F]; !seen {
			fs = append(fs, op.F)
			okByF[op.F] = 0
		}
		switch op.Status {
		case OK:
			rep.Ops.OK++
			okByF[op.F]++
			latencies[op.F] = append(latencies[op.F], float64(op.Complete-op.Invoke)/float64(time.Millisecond))
		case Fail:
			rep.Ops.Fail++
		default:
			rep.Ops.Info++
		}
	}
	// Maelstrom's availability checker: ok ÷ invoked over every client
	// operation, final ones included; 1 when there were none.
	rep.Availability = 1
	if rep.Ops.Invoked > 0 {
		rep.Availability = float64(rep.Ops.OK) / float64(rep.Ops.Invoked)
	}
	rep.Net = r.nw.stats(rep.Ops.Invoked)
	rep.OpLatenciesMS = map[string]map[string]float64{}
	var all []float64
	for f, ls := range latencies {
		rep.OpLatenciesMS[f] = quantiles(ls, "0.5", "0.99", "1")
		all = append(all, ls...)
	}
	rep.OKLatenciesMS = quantiles(all, "0.5", "0.99", "1")

	if rep.Ops.Invoked == 0 {
		rep.Anomalies = append(rep.Anomalies, Anomaly{Kind: "no-ops", Detail: "no client operation was invoked"})
	}
	// Jepsen's stats checker: every :f must succeed at least once, except
	// the kafka workload's crash and debug operations (Maelstrom wraps the
	// stats checker of every workload in kafka's stats-checker).
	for _, f := range fs {
		if okByF[f] == 0 && f != "crash" && f != "debug-topic-partitions" {
			rep.Anomalies = append(rep.Anomalies, Anomaly{Kind: "never-ok", Detail: fmt.Sprintf("no %s operation succeeded", f)})
		}
	}
	if checked, least, _ := r.cfg.availability(); checked && rep.Availability < least {
		rep.Anomalies = append(rep.Anomalies, Anomaly{Kind: "availability",
			Detail: fmt.Sprintf("%d of %d operations succeeded (%.4f); %s required", rep.Ops.OK, rep.Ops.Invoked, rep.Availability, r.cfg.Availability)})
	}
	r.mu.Lock()
	for _, p := range r.problems {
		rep.Anomalies = append(rep.Anomalies, Anomaly{Kind: "protocol", Detail: p})
	}
	if r.nProblem > len(r.problems) {
		rep.Anomalies = append(rep.Anomalies, Anomaly{Kind: "protocol", Detail: fmt.Sprintf("and %d more", r.nProblem-len(r.problems))})
	}
	rep.Warnings = r.warnings
	r.mu.Unlock()
	rep.Nemesis = r.in.nemesis

	// The verdict: Maelstrom's (the checker's and the checks above), and
	// the simulator's stricter checks only when asked for.
	others := len(rep.Anomalies) - len(res.Anomalies)
	rep.Valid = res.Valid && others == 0
	rep.Unknown = res.Unknown && others == 0
	if r.cfg.Strict && len(res.Strict) > 0 {
		rep.Valid, rep.Unknown = false, false
	}
	rep.VirtualSeconds = r.end.Seconds()
	rep.WallSeconds = rep.VirtualSeconds
	return rep
}

// maxErrorKinds bounds the distinct error texts FCounts keeps per :f.
const maxErrorKinds = 10

// countF adds op to its :f's counts.
func countF(c FCounts, op Op) FCounts {
	switch op.Status {
	case OK:
		c.OK++
		return c
	case Fail:
		c.Fail++
	default:
		c.Info++
	}
	text := op.Error
	if text == "" {
		text = "(no error text)"
	}
	if c.Errors == nil {
		c.Errors = map[string]int{}
	}
	if _, known := c.Errors[text]; !known && len(c.Errors) >= maxErrorKinds {
		text = "other"
	}
	c.Errors[text]++
	return c
}

// quantiles returns the named quantiles ("0.5", ...) of xs by nearest rank;
// nil when xs is empty.
func quantiles(xs []float64, qs ...string) map[string]float64 {
	if len(xs) == 0 {
		return nil
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	out := make(map[string]float64, len(qs))
	for _, q := range qs {
		f, err := strconv.ParseFloat(q, 64)
		if err != nil {
			panic("sim: bad quantile " + q)
		}
		i := int(math.Ceil(f*float64(len(s)))) - 1
		out[q] = s[min(max(i, 0), len(s)-1)]
	}
	return out
}

// Summary is a one-line account of a report, for logs.
func (rep *Report) Summary() string {
	var b strings.Builder
	verdict := "valid"
	switch {
	case rep.Unknown:
		verdict = "UNKNOWN"
	case !rep.Valid:
		verdict = "INVALID"
	}
	fmt.Fprintf(&b, "%s %s: ops %d (ok %d, fail %d, info %d), availability %.3f, msgs-per-op %.2f (servers %.2f)",
		rep.Workload, verdict, rep.Ops.Invoked, rep.Ops.OK, rep.Ops.Fail, rep.Ops.Info, rep.Availability,
		rep.Net.All.MsgsPerOp, rep.Net.Servers.MsgsPerOp)
	if sl := rep.StableLatenciesMS; sl != nil {
		fmt.Fprintf(&b, ", stable latency ms p50 %.0f max %.0f", sl["0.5"], sl["1"])
	}
	if m, ok := rep.AvailabilityByReach["minority"]; ok && m.Invoked > 0 {
		maj := rep.AvailabilityByReach["majority"]
		fmt.Fprintf(&b, ", at a majority %d/%d ok (%d unavailable), cut off %d/%d ok (%d unavailable)",
			maj.OK, maj.Invoked, maj.Unavailable, m.OK, m.Invoked, m.Unavailable)
	}
	fmt.Fprintf(&b, ", %.1f s virtual, %.2f s wall", rep.VirtualSeconds, rep.WallSeconds)
	for i, a := range rep.Anomalies {
		if i == 3 {
			fmt.Fprintf(&b, "; … %d more", len(rep.Anomalies)-3)
			break
		}
		fmt.Fprintf(&b, "; %s: %s", a.Kind, a.Detail)
	}
	for i, a := range rep.Strict {
		if i == 3 {
			fmt.Fprintf(&b, "; … %d more strict", len(rep.Strict)-3)
			break
		}
		fmt.Fprintf(&b, "; strict %s: %s", a.Kind, a.Detail)
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(&b, "; warning: %s", w)
	}
	return b.String()
}

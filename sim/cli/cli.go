// Package cli is the simulator's command line, `scripts/sim`: it takes
// `maelstrom test`'s flags, runs one simulated test and prints Maelstrom's
// kind of summary, or the report as JSON.
//
// Virtual time needs testing/synctest, which only test binaries may use,
// so the command is this package's test binary: TestCLI calls Main inside
// a synctest bubble when scripts/sim runs it (EnvCLI set), and skips
// otherwise. Main itself is ordinary code that takes the bubble as a
// function, so it is unit-tested like any other. With --bin the nodes are
// real processes and the run is in real time, outside any bubble.
package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/spec"
	"github.com/glomers/glomers/workloads"
)

// EnvCLI is set by scripts/sim to make TestCLI run the command.
const EnvCLI = "GLOMERS_SIM_CLI"

// Exit statuses.
const (
	ExitValid   = 0 // the run was valid
	ExitInvalid = 1 // the run was invalid
	ExitUsage   = 2 // the run's verdict is unknown, or it could not run (bad flags, a node that would not start)
)

// Main runs the command with args (without the program name), writing the
// summary or the JSON report to stdout and errors to stderr, and returns
// the exit status. virtual, when not nil, runs a function inside a
// synctest bubble; runs of in-process nodes go through it, runs of --bin
// processes never do.
//
// "demo [FILE]" runs every challenge, or every line of FILE, instead (see
// Demo); "fidelity" compares the simulator with the real Maelstrom (see
// Fidelity); "readme [--check] FILE" regenerates (or checks) the tables of a
// README (see Readme); "serve" serves the run store (see Serve).
//
// Unless the environment sets GOGC, Main sets the garbage collector's
// target to gcPercent.
func Main(args []string, stdout, stderr io.Writer, virtual func(func())) int {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if len(args) > 0 && args[0] == "demo" {
		var list []byte
		if len(args) > 1 {
			var err error
			if list, err = os.ReadFile(args[1]); err != nil {
				fmt.Fprintf(stderr, "sim demo: %v\n", err)
				return ExitUsage
			}
		}
		return Demo(string(list), stdout, stderr, virtual)
	}
	if len(args) > 0 && args[0] == "serve" {
		return Serve(args[1:], stdout, stderr)
	}
	if len(args) == 1 && args[0] == "fidelity" {
		return Fidelity(stdout, stderr, virtual)
	}
	if len(args) >= 2 && args[0] == "readme" {
		check := args[1] == "--check"
		if check && len(args) == 3 {
			return Readme(args[2], true, stdout, stderr, virtual)
		} else if !check && len(args) == 2 {
			return Readme(args[1], false, stdout, stderr, virtual)
		}
		fmt.Fprintln(stderr, "usage: sim readme [--check] README.md")
		return ExitUsage
	}
	cfg, opts, err := parseOptions(args, stderr)
	asJSON := opts.json
	if errors.Is(err, flag.ErrHelp) {
		return ExitValid
	}
	if err != nil {
		return failed(stdout, stderr, asJSON, err)
	}
	if cfg.Bin != "" {
		fmt.Fprintf(stderr, "sim: nodes are %s, run in real time\n", cfg.Bin)
	}
	rep, err := runStored(cfg, opts.store, true, virtual, stderr)
	if err != nil {
		return failed(stdout, stderr, asJSON, err)
	}

	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return failed(stdout, stderr, false, err)
		}
	} else {
		printSummary(stdout, cfg, rep)
	}
	switch {
	case rep.Valid:
		return ExitValid
	case rep.Unknown:
		return ExitUsage
	}
	return ExitInvalid
}

// failed reports a run that could not happen: on stderr, and with --json
// also as a JSON object on stdout that says why.
func failed(stdout, stderr io.Writer, asJSON bool, err error) int {
	fmt.Fprintf(stderr, "sim: %v\n", err)
	if asJSON {
		b, _ := json.Marshal(map[string]any{"valid": false, "error": err.Error()})
		fmt.Fprintf(stdout, "%s\n", b)
	}
	return ExitUsage
}

// options are the command's flags that are not the run's configuration.
type options struct {
	json  bool
	store string // the run store's root; "" for none
}

// parse turns Maelstrom's test flags into a configuration with its spec
// and node setup resolved.
func parse(args []string, stderr io.Writer) (cfg sim.Config, asJSON bool, err error) {
	cfg, opts, err := parseOptions(args, stderr)
	return cfg, opts.json, err
}

// parseOptions is parse with the rest of the command's flags.
func parseOptions(args []string, stderr io.Writer) (cfg sim.Config, opts options, err error) {
	var noStore bool
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		timeLimit, latency, interval float64
		concurrency, nemesis, models string
		seed                         int64
	)
	def := sim.Config{}.WithDefaults() // the defaults live in sim.Config
	secs := func(d time.Duration) float64 { return d.Seconds() }
	fs.StringVar(&cfg.Workload, "workload", "", "workload `name`: "+strings.Join(workloads.Names(), ", "))
	fs.StringVar(&cfg.Workload, "w", "", "short for --workload")
	fs.IntVar(&cfg.NodeCount, "node-count", def.NodeCount, "server nodes n0…n{N-1}")
	fs.Float64Var(&timeLimit, "time-limit", secs(def.TimeLimit), "`seconds` of client load")
	fs.Float64Var(&cfg.Rate, "rate", def.Rate, "client requests per second, in total")
	fs.StringVar(&concurrency, "concurrency", "1n", "client processes: a number, or `k`n for k per node")
	fs.Float64Var(&latency, "latency", 0, "mean node↔node and node↔service latency in `ms`")
	fs.StringVar(&cfg.LatencyDist, "latency-dist", def.LatencyDist, "latency distribution: constant, uniform, exponential")
	fs.StringVar(&nemesis, "nemesis", "", "faults, comma-separated: partition")
	fs.Float64Var(&interval, "nemesis-interval", secs(def.NemesisInterval), "mean `seconds` between nemesis actions")
	fs.StringVar(&cfg.Topology, "topology", def.Topology, "broadcast's suggested topology: grid, line, tree, tree2, tree3, tree4, total")
	fs.StringVar(&cfg.Availability, "availability", "", "\"total\" or the least fraction of requests that must succeed")
	fs.StringVar(&models, "consistency-models", "", "txn consistency models, comma-separated")
	fs.IntVar(&cfg.KeyCount, "key-count", 0, "keys for kafka and txn (0: the workload's default)")
	fs.IntVar(&cfg.MaxTxnLength, "max-txn-length", def.MaxTxnLength, "most operations per txn")
	fs.IntVar(&cfg.MaxWritesPerKey, "max-writes-per-key", def.MaxWritesPerKey, "most writes per txn key")
	fs.Int64Var(&seed, "seed", 0, "random seed (default: a random one, reported)")
	fs.StringVar(&cfg.Bin, "bin", "", "run this node binary as processes, in real time, instead of in-process nodes in virtual time")
	fs.StringVar(&cfg.LogDir, "log-dir", "", "write each node's log to `dir`/<node>.log")
	fs.BoolVar(&opts.json, "json", false, "print the report as one JSON object")
	fs.StringVar(&opts.store, "store", defaultStore(), "write the run to the run store in `dir` (store/<workload>/<time>/; default store when run by scripts/sim, none in go test)")
	fs.BoolVar(&noStore, "no-store", false, "write no run store")
	fs.BoolVar(&cfg.Strict, "strict", false, "let the simulator's checks that are stricter than Maelstrom's count against the verdict")
	fs.Usage = func() {
		fmt.Fprint(stderr, usageHead)
		fs.PrintDefaults()
		fmt.Fprint(stderr, usageTail)
	}
	if err := fs.Parse(args); err != nil {
		return cfg, opts, err
	}
	if rest := fs.Args(); len(rest) > 0 {
		if used := len(args) - len(rest); used == 0 || args[used-1] != "--" {
			return cfg, opts, fmt.Errorf("unexpected argument %q (node arguments go after --)", rest[0])
		}
		cfg.NodeArgs = rest
	}

	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if noStore {
		opts.store = ""
	}
	cfg.Seed = seed
	if !set["seed"] {
		cfg.Seed = rand.Int64()
	}
	if cfg.Workload == "" {
		return cfg, opts, fmt.Errorf("no workload: give -w, one of %s", strings.Join(spec.Names(), ", "))
	}
	if err := checkRanges(cfg, timeLimit, latency, interval, nemesis != ""); err != nil {
		return cfg, opts, err
	}
	cfg.TimeLimit = seconds(timeLimit)
	cfg.NemesisInterval = seconds(interval)
	cfg.Latency = time.Duration(latency * float64(time.Millisecond))
	if cfg.Concurrency, err = parseConcurrency(concurrency, cfg.NodeCount); err != nil {
		return cfg, opts, err
	}
	if cfg.Concurrency > maxConcurrency {
		return cfg, opts, fmt.Errorf("--concurrency %s is %d client threads; at most %d", concurrency, cfg.Concurrency, maxConcurrency)
	}
	cfg.Nemesis = splitList(nemesis)
	cfg.Consistency = splitList(models)
	for _, f := range cfg.Nemesis {
		if f != "partition" {
			return cfg, opts, fmt.Errorf("--nemesis %q: the only fault is partition", f)
		}
	}
	if cfg.Spec, err = spec.New(cfg.Workload, cfg.WithDefaults()); err != nil {
		return cfg, opts, err
	}
	if cfg.Bin != "" {
		if cfg.Bin, err = resolveBin(cfg.Bin); err != nil {
			return cfg, opts, err
		}
	} else {
		prog, ok := workloads.Lookup(cfg.Workload)
		if !ok {
			return cfg, opts, fmt.Errorf("no in-process node for workload %q (have %s; or give --bin)", cfg.Workload, strings.Join(workloads.Names(), ", "))
		}
		cfg.Program = prog
	}
	return cfg, opts, cfg.Validate()
}

// runConfig runs cfg, inside virtual unless its nodes are processes.
func runConfig(cfg sim.Config, virtual func(func())) (*sim.Report, error) {
	if cfg.Bin != "" {
		virtual = nil
	}
	return sim.RunIn(virtual, cfg)
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

const usageHead = `usage: scripts/sim -w WORKLOAD [flags] [-- node args]
       scripts/sim demo [FILE]              every challenge (sim/cli/challenges.txt, or FILE), one table
       scripts/sim fidelity                 the simulator against the real Maelstrom's figures
       scripts/sim readme [--check] FILE    regenerate (or check) a README's generated tables
       scripts/sim serve [--store DIR] [--addr HOST:PORT]   browse the run store on localhost

Runs one Maelstrom test in the simulator, in virtual time (with --bin, the
node binary as processes in real time), and prints Maelstrom's kind of
summary, or with --json the report as one JSON object. Each run is kept in
the run store, store/<workload>/<time>/ (results, history, node logs, the
message journal and its Lamport diagram), laid out like Maelstrom's, so
that scripts/sim serve and maelstrom serve both list it.

Flags:
`

const usageTail = `
Exit status: 0 valid, 1 invalid, 2 unknown or could not run (with --json,
an object with "error" says why).

Environment: GLOMERS_LOG sets the nodes' log level (trace, debug, info,
warn (default), error, disabled; with --log-dir); GLOMERS_SIM_TIMEOUT bounds
a whole run of scripts/sim (default 30m); GOGC, Go's garbage collector
target, is 50 unless set.
`

// gcPercent is the garbage collector's target (GOGC) for runs: a run
// allocates mostly short-lived garbage (every message is encoded and decoded
// as JSON) beside a slowly growing live heap, so collecting at half Go's
// default headroom lowers peak memory at little cost in CPU (make
// bench-memory measures both).
const gcPercent = 50

// Limits of what a run may ask for: past them it could not fit in memory or
// in reasonable time, and is refused up front with the reason.
const (
	maxNodes       = 1024        // unique-ids' id layout holds 1024 nodes
	maxConcurrency = 10000       // client threads
	maxOps         = 5_000_000   // rate × time limit: each operation's record (not its values) stays in memory
	maxSeconds     = 24 * 3600.0 // of load, or between nemesis actions
	minSeconds     = 0.001       // the clock's resolution for generators
	maxLatencyMS   = 3_600_000.0 // an hour
	maxNemesisOps  = 1_000_000   // time limit ÷ interval
	maxTxnLength   = 10_000
)

// checkRanges validates the numeric flags, each with a message that names
// it and its accepted range.
func checkRanges(cfg sim.Config, timeLimit, latency, interval float64, nemesis bool) error {
	type check struct {
		flag string
		bad  bool
		want string
	}
	between := func(x, lo, hi float64) bool { return !(x >= lo && x <= hi) } // NaN is out
	for _, c := range []check{
		{"--node-count", cfg.NodeCount < 1 || cfg.NodeCount > maxNodes, fmt.Sprintf("from 1 to %d", maxNodes)},
		{"--time-limit", between(timeLimit, minSeconds, maxSeconds), fmt.Sprintf("seconds, from %g to %g", minSeconds, maxSeconds)},
		{"--rate", between(cfg.Rate, 0.001, 1e9), "requests a second, at least 0.001"},
		{"--latency", between(latency, 0, maxLatencyMS), fmt.Sprintf("milliseconds, from 0 to %g", maxLatencyMS)},
		{"--nemesis-interval", between(interval, minSeconds, maxSeconds), fmt.Sprintf("seconds, from %g to %g", minSeconds, maxSeconds)},
		{"--key-count", cfg.KeyCount < 0, "0 (the workload's default) or more"},
		{"--max-txn-length", cfg.MaxTxnLength < 1 || cfg.MaxTxnLength > maxTxnLength, fmt.Sprintf("from 1 to %d", maxTxnLength)},
		{"--max-writes-per-key", cfg.MaxWritesPerKey < 1, "1 or more"},
	} {
		if c.bad {
			return fmt.Errorf("%s is out of range: want %s", c.flag, c.want)
		}
	}
	if ops := cfg.Rate * timeLimit; ops > maxOps {
		return fmt.Errorf("--rate %g for --time-limit %g s asks for %.3g operations; the records of at most %d fit in memory", cfg.Rate, timeLimit, ops, maxOps)
	}
	if nemesis {
		if n := timeLimit / interval; n > maxNemesisOps {
			return fmt.Errorf("--nemesis-interval %g s over --time-limit %g s is %.3g nemesis actions; at most %d", interval, timeLimit, n, maxNemesisOps)
		}
	}
	return nil
}

// showProgress prints a line on stderr every second while a run lasts, if
// stderr is a terminal: virtual time, operations and messages so far. It
// returns the function that stops it.
func showProgress(cfg *sim.Config, stderr io.Writer) (stop func()) {
	f, ok := stderr.(*os.File)
	if st, err := f.Stat(); !ok || err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return func() {}
	}
	cfg.Progress = &sim.Progress{}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(f, "\r\033[K")
				return
			case <-tick.C:
				v, ops, msgs := cfg.Progress.Snapshot()
				fmt.Fprintf(f, "\r\033[K%s: %.1f s of %.0f s simulated, %d ops, %d msgs", cfg.Workload, v.Seconds(), cfg.TimeLimit.Seconds(), ops, msgs)
			}
		}
	}()
	return func() { close(done); <-finished }
}

// resolveBin finds the node binary: a path, or else a name in the current
// directory or on PATH; a name found on PATH is said, since `--bin echo`
// would otherwise quietly run /bin/echo.
func resolveBin(bin string) (string, error) {
	if !strings.Contains(bin, "/") {
		if st, err := os.Stat(bin); err == nil && !st.IsDir() {
			bin = "./" + bin
		}
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return "", fmt.Errorf("--bin %s: %w", bin, err)
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return path, nil
}

// parseConcurrency reads "8" or "2n" (two per node).
func parseConcurrency(s string, nodes int) (int, error) {
	per, isPerNode := strings.CutSuffix(s, "n")
	n, err := strconv.Atoi(per)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("--concurrency %q: want a positive number, or kn for k per node", s)
	}
	if isPerNode {
		n *= nodes
	}
	return n, nil
}

func splitList(s string) []string {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// printSummary writes a human summary of the run, ending like Maelstrom
// with the verdict.
func printSummary(w io.Writer, cfg sim.Config, rep *sim.Report) {
	cfg = cfg.WithDefaults()
	mode := "in-process nodes"
	if cfg.Bin != "" {
		mode = cfg.Bin
	}
	fmt.Fprintf(w, "workload    %s on %d nodes (%s), seed %d\n", rep.Workload, cfg.NodeCount, mode, rep.Seed)
	fmt.Fprintf(w, "load        %v at %g req/s, %d clients, latency %v %s, nemesis %v\n",
		cfg.TimeLimit, cfg.Rate, cfg.Concurrency, cfg.Latency, cfg.LatencyDist, cfg.Nemesis)
	o := rep.Ops
	fmt.Fprintf(w, "ops         %d invoked: %d ok, %d fail, %d info; availability %.4f\n", o.Invoked, o.OK, o.Fail, o.Info, rep.Availability)
	for _, f := range slices.Sorted(maps.Keys(rep.ByF)) {
		c := rep.ByF[f]
		fmt.Fprintf(w, "ops         %-12s ok %d, fail %d, info %d", f, c.OK, c.Fail, c.Info)
		errs := slices.SortedFunc(maps.Keys(c.Errors), func(a, b string) int { return c.Errors[b] - c.Errors[a] })
		for i, e := range errs {
			if i == 3 {
				fmt.Fprintf(w, "; …")
				break
			}
			fmt.Fprintf(w, "; %d× %.120s", c.Errors[e], e)
		}
		fmt.Fprintln(w)
	}
	if m := rep.AvailabilityByReach["minority"]; m.Invoked > 0 {
		a := rep.AvailabilityByReach["majority"]
		fmt.Fprintf(w, "reach       at a node reaching a majority: %d invoked, %d ok, %d unavailable; cut off: %d invoked, %d ok, %d unavailable\n",
			a.Invoked, a.OK, a.Unavailable, m.Invoked, m.OK, m.Unavailable)
	}
	n := rep.Net
	fmt.Fprintf(w, "net         all %d msgs (%.2f/op), clients %d (%.2f/op), servers %d (%.2f/op); %d lost to partitions, %d to no such node\n",
		n.All.Msgs, n.All.MsgsPerOp, n.Clients.Msgs, n.Clients.MsgsPerOp, n.Servers.Msgs, n.Servers.MsgsPerOp, n.Dropped, n.Unroutable)
	for _, typ := range slices.Sorted(maps.Keys(rep.OpLatenciesMS)) {
		q := rep.OpLatenciesMS[typ]
		fmt.Fprintf(w, "latency     %-12s ok ops: p50 %.0f ms, p99 %.0f ms, max %.0f ms\n", typ, q["0.5"], q["0.99"], q["1"])
	}
	if sl := rep.StableLatenciesMS; sl != nil {
		fmt.Fprintf(w, "stable      latency ms: 0 %.0f, 0.5 %.0f, 0.95 %.0f, 0.99 %.0f, 1 %.0f\n", sl["0"], sl["0.5"], sl["0.95"], sl["0.99"], sl["1"])
	}
	if len(rep.Stats) > 0 {
		b, _ := json.Marshal(rep.Stats)
		fmt.Fprintf(w, "stats       %s\n", b)
	}
	if len(rep.Nemesis) > 0 {
		var shapes []string
		for _, e := range rep.Nemesis {
			if e.Action == "partition" {
				shapes = append(shapes, fmt.Sprintf("%s@%.1fs", e.Shape, e.At))
			}
		}
		fmt.Fprintf(w, "nemesis     %d partitions: %s\n", len(shapes), strings.Join(shapes, " "))
	}
	fmt.Fprintf(w, "time        %.1f s simulated, %.2f s wall\n", rep.VirtualSeconds, rep.WallSeconds)
	if rep.Store != "" {
		fmt.Fprintf(w, "store       %s\n", rep.Store)
	}
	for _, a := range rep.Anomalies {
		fmt.Fprintf(w, "anomaly     %s: %s\n", a.Kind, a.Detail)
	}
	counts := "not counted; --strict counts them"
	if cfg.Strict {
		counts = "counted (--strict)"
	}
	for _, a := range rep.Strict {
		fmt.Fprintf(w, "strict      %s: %s [%s]\n", a.Kind, a.Detail, counts)
	}
	for _, warning := range rep.Warnings {
		fmt.Fprintf(w, "warning     %s\n", warning)
	}
	fmt.Fprintln(w)
	switch {
	case rep.Valid:
		fmt.Fprintln(w, "Everything looks good! ヽ(‘ー`)ノ")
	case rep.Unknown:
		fmt.Fprintln(w, "Errors occurred during analysis, but no anomalies found. ಠ~ಠ")
	default:
		fmt.Fprintln(w, "Analysis invalid! (ﾉಥ益ಥ）ﾉ ┻━┻")
	}
}

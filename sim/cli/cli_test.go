package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"
	"testing/synctest"
)

// TestCLI is the command itself: scripts/sim runs this test binary with
// EnvCLI set and the command's arguments after --. It exits with the
// command's status, so testing prints nothing of its own.
func TestCLI(t *testing.T) {
	if os.Getenv(EnvCLI) == "" {
		t.Skip("the command line; run it with scripts/sim")
	}
	os.Exit(Main(flag.Args(), os.Stdout, os.Stderr, bubble(t)))
}

// bubble runs functions inside a synctest bubble of t.
func bubble(t *testing.T) func(func()) {
	return func(f func()) { synctest.Test(t, func(*testing.T) { f() }) }
}

// run runs the command in a bubble and returns its status and output.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(args, &out, &errOut, bubble(t))
	return code, out.String(), errOut.String()
}

func TestChallenges(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"1 echo", []string{"-w", "echo", "--node-count", "1", "--time-limit", "10"}},
		{"2 unique-ids", []string{"-w", "unique-ids", "--time-limit", "30", "--rate", "1000", "--node-count", "3", "--availability", "total", "--nemesis", "partition"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, append(tc.args, "--seed", "1")...)
			if code != ExitValid || !strings.HasSuffix(out, "Everything looks good! ヽ(‘ー`)ノ\n") {
				t.Fatalf("status %d, stderr %q, output:\n%s", code, errOut, out)
			}
			t.Logf("\n%s", out)
		})
	}
}

func TestJSON(t *testing.T) {
	code, out, errOut := run(t, "-w", "echo", "--node-count", "2", "--time-limit", "5", "--json", "--seed", "7")
	if code != ExitValid {
		t.Fatalf("status %d: %s", code, errOut)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	var rep map[string]any
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	if dec.More() {
		t.Fatalf("more than one JSON value on stdout:\n%s", out)
	}
	for _, k := range []string{"workload", "valid", "seed", "ops", "availability", "net", "stable_latencies_ms", "anomalies", "virtual_seconds", "wall_seconds"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("no %q in %s", k, out)
		}
	}
	ops, _ := rep["ops"].(map[string]any)
	net, _ := rep["net"].(map[string]any)
	all, _ := net["all"].(map[string]any)
	servers, _ := net["servers"].(map[string]any)
	for _, m := range []map[string]any{ops, all, servers} {
		if m == nil {
			t.Fatalf("ops or net.all or net.servers missing: %s", out)
		}
	}
	for _, k := range []string{"invoked", "ok", "fail", "info"} {
		if _, ok := ops[k]; !ok {
			t.Errorf("no ops.%s", k)
		}
	}
	if _, ok := all["msgs_per_op"]; !ok {
		t.Errorf("no net.all.msgs_per_op")
	}
	// Seeds are strings: 64-bit integers lose digits in most JSON readers.
	if rep["workload"] != "echo" || rep["valid"] != true || rep["seed"] != "7" {
		t.Errorf("workload, valid, seed: %v %v %v", rep["workload"], rep["valid"], rep["seed"])
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-w", "no-such-workload"},
		{"-w", "echo", "--no-such-flag"},
		{"-w", "echo", "--concurrency", "xn"},
		{"-w", "echo", "--nemesis", "kill"},
		{"-w", "echo", "stray"},
		{"-w", "echo", "--latency-dist", "pareto", "--time-limit", "1"},
	} {
		code, out, errOut := run(t, args...)
		if code != ExitUsage || out != "" || errOut == "" {
			t.Errorf("%q: status %d, stdout %q, stderr %q; want usage error 2 on stderr only", args, code, out, errOut)
		}
	}
}

func TestParse(t *testing.T) {
	cfg, asJSON, err := parse([]string{"-w", "echo", "--node-count", "3", "--concurrency", "2n", "--latency", "100",
		"--time-limit", "1.5", "--nemesis", "partition", "--consistency-models", "read-committed,serializable",
		"--json", "--", "--flag", "x"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Concurrency != 6 || cfg.Latency.Milliseconds() != 100 || cfg.TimeLimit.Seconds() != 1.5 ||
		len(cfg.Nemesis) != 1 || len(cfg.Consistency) != 2 || !asJSON || strings.Join(cfg.NodeArgs, " ") != "--flag x" ||
		cfg.Program.New == nil || cfg.Spec == nil {
		t.Errorf("parsed %+v", cfg)
	}
}

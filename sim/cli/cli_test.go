package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// TestCLI is the command itself: scripts/sim runs this test binary with
// EnvCLI set and the command's arguments after --. It exits with the
// command's status, so testing prints nothing of its own.
func TestCLI(t *testing.T) {
	if os.Getenv(EnvCLI) == "" {
		t.Skip("the command line; run it with scripts/sim")
	}
	serveForever()
	os.Exit(Main(flag.Args(), os.Stdout, os.Stderr, bubble(t)))
}

// serveForever runs `serve` again without the test binary's timeout, which
// scripts/sim sets to bound runs and which would stop the server.
func serveForever() {
	args := flag.Args()
	if len(args) == 0 || args[0] != "serve" || flag.Lookup("test.timeout").Value.String() == "0s" {
		return
	}
	self, err := os.Executable()
	if err != nil {
		return
	}
	argv := append([]string{self, "-test.run", "^TestCLI$", "-test.timeout", "0", "--"}, args...)
	err = syscall.Exec(self, argv, os.Environ())
	fmt.Fprintf(os.Stderr, "sim serve: %v\n", err)
	os.Exit(ExitUsage)
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

// TestBadInput: every flag and input that once hung, ate memory or misled
// is answered at once with status 2 and a message naming what is wrong.
func TestBadInput(t *testing.T) {
	echo := []string{"-w", "echo", "--node-count", "1"}
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"no workload", nil, "no workload"},
		{"unknown workload", []string{"-w", "no-such-workload"}, "unknown workload"},
		{"unknown flag", append(echo, "--no-such-flag"), "no-such-flag"},
		{"bad concurrency", append(echo, "--concurrency", "xn"), "--concurrency"},
		{"too many threads", append(echo, "--concurrency", "100000"), "--concurrency"},
		{"unknown fault", append(echo, "--nemesis", "kill"), "partition"},
		{"stray argument", append(echo, "stray"), "after --"},
		{"unknown latency distribution", append(echo, "--latency-dist", "pareto", "--time-limit", "1"), "pareto"},
		{"tiny nemesis interval", append(echo, "--nemesis-interval", "1e-9", "--nemesis", "partition"), "--nemesis-interval"},
		{"nemesis actions beyond count", append(echo, "--nemesis-interval", "0.001", "--time-limit", "86400", "--nemesis", "partition", "--rate", "0.01"), "nemesis actions"},
		{"tiny rate", append(echo, "--rate", "1e-12"), "--rate"},
		{"huge rate", append(echo, "--rate", "1e9"), "operations"},
		{"huge time limit", append(echo, "--time-limit", "1e12"), "--time-limit"},
		{"tiny time limit", append(echo, "--time-limit", "1e-10"), "--time-limit"},
		{"huge latency", append(echo, "--latency", "1e13"), "--latency"},
		{"NaN latency", append(echo, "--latency", "NaN"), "--latency"},
		{"no txn length", []string{"-w", "txn-rw-register", "--max-txn-length", "0"}, "--max-txn-length"},
		{"negative key count", []string{"-w", "kafka", "--key-count", "-5"}, "--key-count"},
		{"no node", append(echo, "--node-count", "0"), "--node-count"},
		{"missing binary", append(echo, "--bin", "/nonexistent/node"), "--bin"},
		{"bad availability", append(echo, "--availability", "most"), "availability"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			code, out, errOut := run(t, tc.args...)
			if code != ExitUsage || out != "" || !strings.Contains(errOut, tc.want) {
				t.Errorf("status %d, stdout %q, stderr %q; want status 2 and %q on stderr only", code, out, errOut, tc.want)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %v to refuse", d)
			}
		})
	}
	// With --json, a run that cannot happen still prints an object saying why.
	code, out, _ := run(t, "-w", "echo", "--rate", "1e9", "--json")
	var obj map[string]any
	if code != ExitUsage || json.Unmarshal([]byte(out), &obj) != nil || obj["valid"] != false || !strings.Contains(fmt.Sprint(obj["error"]), "operations") {
		t.Errorf("--json on a refused run: status %d, stdout %q", code, out)
	}
	// A demo list with no challenge is an error, not an empty table.
	empty := filepath.Join(t.TempDir(), "list")
	if err := os.WriteFile(empty, []byte("localhost\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run(t, "demo", empty); code != ExitUsage || !strings.Contains(errOut, "no challenge") {
		t.Errorf("demo of a list without challenges: status %d, stdout %q, stderr %q", code, out, errOut)
	}
	// --help says what the command is, its subcommands and exit statuses.
	if code, _, errOut := run(t, "--help"); code != ExitValid || !strings.Contains(errOut, "fidelity") || !strings.Contains(errOut, "Exit status") || !strings.Contains(errOut, "GLOMERS_LOG") {
		t.Errorf("--help: status %d, stderr %q", code, errOut)
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

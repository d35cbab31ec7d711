package node

import (
	"context"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"
)

// demo is a Program with one flag, whose Builder reports the flag's value
// as its node's one handler's reply.
var demo = Program{
	Name: "demo",
	Doc:  "Demonstrates flags.",
	New: func(fs *flag.FlagSet) Builder {
		batch := fs.Duration("batch", time.Second, "batch window")
		return func(*Node, Init) (Handlers, error) {
			return Handlers{"batch": func(_ context.Context, _ Message) (any, error) {
				return map[string]any{"type": "batch_ok", "batch": batch.String()}, nil
			}}, nil
		}
	},
}

// batchOf builds a node with build and returns what it says its batch is.
func batchOf(t *testing.T, build Builder) string {
	t.Helper()
	h := newHarness(t, build)
	h.init()
	h.msg("c1", `{"type":"batch","msg_id":2}`)
	got := h.next()
	if got.Body["type"] != "batch_ok" {
		t.Fatalf("want batch_ok, got %s", got.Raw)
	}
	return got.Body["batch"].(string)
}

func TestProgramBuilder(t *testing.T) {
	cases := []struct {
		args    []string
		want    string // the batch flag's value
		wantErr string // empty: no error
	}{
		{nil, "1s", ""},
		{[]string{}, "1s", ""},
		{[]string{"-batch", "5ms"}, "5ms", ""},
		{[]string{"--batch=7ms"}, "7ms", ""},
		{[]string{"-batch", "soon"}, "", "invalid value"},
		{[]string{"-nope"}, "", "flag provided but not defined: -nope"},
		{[]string{"stray"}, "", `unexpected argument "stray"`},
		{[]string{"-batch", "5ms", "stray"}, "", `unexpected argument "stray"`},
	}
	for _, tc := range cases {
		build, err := demo.Builder(tc.args)
		if tc.wantErr != "" {
			if err == nil || !strings.HasPrefix(err.Error(), "demo: ") || !strings.Contains(err.Error(), tc.wantErr) ||
				!strings.Contains(err.Error(), "-batch duration") || !strings.Contains(err.Error(), "batch window (default 1s)") {
				t.Errorf("%q: error %v, want %q with the program's name and its flags", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if got := batchOf(t, build); got != tc.want {
			t.Errorf("%q: batch %s, want %s", tc.args, got, tc.want)
		}
	}
}

// TestProgramBuildersAreIndependent: each Builder has its own flags, so
// two nodes of one program can be configured apart.
func TestProgramBuildersAreIndependent(t *testing.T) {
	fast, err := demo.Builder([]string{"-batch", "1ms"})
	if err != nil {
		t.Fatal(err)
	}
	slow, err := demo.Builder([]string{"-batch", "1h"})
	if err != nil {
		t.Fatal(err)
	}
	if f, s := batchOf(t, fast), batchOf(t, slow); f != "1ms" || s != "1h0m0s" {
		t.Fatalf("batches %s and %s, want 1ms and 1h0m0s", f, s)
	}
}

func TestProgramHelp(t *testing.T) {
	for _, arg := range []string{"-h", "-help", "--help"} {
		if _, err := demo.Builder([]string{arg}); !errors.Is(err, flag.ErrHelp) {
			t.Errorf("%s: error %v, want flag.ErrHelp", arg, err)
		}
	}
}

func TestProgramUsage(t *testing.T) {
	usage := demo.Usage()
	for _, want := range []string{"demo", "Demonstrates flags.", "-batch duration", "batch window (default 1s)"} {
		if !strings.Contains(usage, want) {
			t.Errorf("usage does not mention %q:\n%s", want, usage)
		}
	}
	if !strings.HasPrefix(usage, "demo") {
		t.Errorf("usage does not start with the program's name:\n%s", usage)
	}
	bare := Program{Name: "bare", Doc: "Has no flags.", New: func(*flag.FlagSet) Builder { return nil }}
	usage = bare.Usage()
	for _, want := range []string{"bare", "Has no flags.", "none"} {
		if !strings.Contains(usage, want) {
			t.Errorf("usage of a program without flags does not mention %q:\n%s", want, usage)
		}
	}
	if _, err := bare.Builder([]string{"-x"}); err == nil || !strings.Contains(err.Error(), "none") {
		t.Errorf("error for a program without flags: %v", err)
	}
}

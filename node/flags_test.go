package node

import (
	"flag"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	cases := []struct {
		args    []string
		wantErr string // empty: no error
		want    time.Duration
		given   bool
	}{
		{nil, "", time.Second, false},
		{[]string{"-batch", "5ms"}, "", 5 * time.Millisecond, true},
		{[]string{"--batch=7ms"}, "", 7 * time.Millisecond, true},
		{[]string{"-batch", "soon"}, "invalid value", 0, false},
		{[]string{"-nope"}, "flag provided but not defined", 0, false},
		{[]string{"stray"}, `unexpected argument "stray"`, 0, false},
	}
	for _, tc := range cases {
		var batch time.Duration
		fs, err := ParseFlags("demo", tc.args, func(fs *flag.FlagSet) {
			fs.DurationVar(&batch, "batch", time.Second, "batch window")
		})
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "-batch duration") || !strings.HasPrefix(err.Error(), "demo flags: ") {
				t.Errorf("%q: error %v, want %q with the flag list", tc.args, err, tc.wantErr)
			}
			continue
		}
		given := false
		fs.Visit(func(*flag.Flag) { given = true })
		if err != nil || batch != tc.want || given != tc.given {
			t.Errorf("%q: batch %v given %v err %v; want %v given %v", tc.args, batch, given, err, tc.want, tc.given)
		}
	}
}

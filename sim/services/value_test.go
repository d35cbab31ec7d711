package services

import (
	"encoding/json"
	"math"
	"testing"
)

func mustValue(t *testing.T, raw string) value {
	t.Helper()
	v, err := parseValue(json.RawMessage(raw))
	if err != nil {
		t.Fatalf("parse %s: %v", raw, err)
	}
	return v
}

// TestValueRendering: how Maelstrom writes a stored value back (cheshire),
// prints it in an error text (pr-str) and as lww-kv's from (str).
func TestValueRendering(t *testing.T) {
	tests := []struct{ in, json, pr, str string }{
		{`null`, `null`, `nil`, ``},
		{`true`, `true`, `true`, `true`},
		{`1`, `1`, `1`, `1`},
		{`-0`, `0`, `0`, `0`},
		{`9223372036854775807`, `9223372036854775807`, `9223372036854775807`, `9223372036854775807`},
		{`-9223372036854775808`, `-9223372036854775808`, `-9223372036854775808`, `-9223372036854775808`},
		{`9223372036854775808`, `9223372036854775808`, `9223372036854775808BIGINT`, `9223372036854775808`},
		{`1.0`, `1.0`, `1.0`, `1.0`},
		{`1.50`, `1.5`, `1.5`, `1.5`},
		{`1e2`, `100.0`, `100.0`, `100.0`},
		{`1E10`, `1.0E10`, `1.0E10`, `1.0E10`},
		{`0.0001`, `1.0E-4`, `1.0E-4`, `1.0E-4`},
		{`-0.0`, `-0.0`, `-0.0`, `-0.0`},
		{`1e400`, `"Infinity"`, `##Inf`, `Infinity`},
		{`-1e400`, `"-Infinity"`, `##-Inf`, `-Infinity`},
		{`1e-400`, `0.0`, `0.0`, `0.0`},
		{`"a\"b\\\n\t\u0001<é"`, `"a\"b\\\n\t\u0001<é"`, "\"a\\\"b\\\\\\n\\t\x01<é\"", "a\"b\\\n\t\x01<é"},
		{`[1,"x",null,true,[]]`, `[1,"x",null,true,[]]`, `[1 "x" nil true []]`, `[1 "x" nil true []]`},
		{`{"b":1,"a":{"c":[2.50]},"b":3}`, `{"b":3,"a":{"c":[2.5]}}`, `{"b" 3, "a" {"c" [2.5]}}`, `{"b" 3, "a" {"c" [2.5]}}`},
		{`[9223372036854775808]`, `[9223372036854775808]`, `[9223372036854775808BIGINT]`, `[9223372036854775808BIGINT]`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			v := mustValue(t, tc.in)
			if got := string(v.json()); got != tc.json {
				t.Errorf("json %s, want %s", got, tc.json)
			}
			if got := v.pr(); got != tc.pr {
				t.Errorf("pr %q, want %q", got, tc.pr)
			}
			if got := v.str(); got != tc.str {
				t.Errorf("str %q, want %q", got, tc.str)
			}
		})
	}
}

// TestValueEquality: Clojure's = on cheshire's values.
func TestValueEquality(t *testing.T) {
	tests := []struct {
		a, b  string
		equal bool
	}{
		{`1`, `1`, true},
		{`-0`, `0`, true},
		{`1.0`, `1.00`, true},
		{`1e2`, `100.0`, true},
		{`0.0`, `-0.0`, true},
		{`{"a":1,"b":2}`, `{"b":2,"a":1}`, true},
		{`{"a":1,"a":2}`, `{"a":2}`, true},
		{`[1.0,{"x":null}]`, `[1.00,{"x":null}]`, true},
		{`1`, `1.0`, false},
		{`100`, `1e2`, false},
		{`"1"`, `1`, false},
		{`[1]`, `[1.0]`, false},
		{`null`, `"null"`, false},
		{`true`, `"true"`, false},
		{`{"a":1}`, `{"a":1.0}`, false},
		{`{"a":1}`, `{"a":1,"b":null}`, false},
		{`9223372036854775808`, `9223372036854775807`, false},
		{`[]`, `{}`, false},
		{`[[1],2]`, `[[1,2]]`, false},
	}
	for _, tc := range tests {
		if got := mustValue(t, tc.a).eq == mustValue(t, tc.b).eq; got != tc.equal {
			t.Errorf("%s = %s: %v, want %v", tc.a, tc.b, got, tc.equal)
		}
	}
}

// tenth is a variable so that tenth+0.2 is a float64 sum, not exact
// constant arithmetic.
var tenth = 0.1

// TestJavaDouble: Java's Double.toString (JDK 19+).
func TestJavaDouble(t *testing.T) {
	tests := []struct {
		f    float64
		want string
	}{
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{1, "1.0"},
		{-2.5, "-2.5"},
		{0.001, "0.001"},
		{0.002, "0.002"},
		{0.000999, "9.99E-4"},
		{123.456, "123.456"},
		{9999999, "9999999.0"},
		{1e7, "1.0E7"},
		{12345678, "1.2345678E7"},
		{1e23, "1.0E23"},
		{tenth + 0.2, "0.30000000000000004"},
		{math.MaxFloat64, "1.7976931348623157E308"},
		{math.SmallestNonzeroFloat64, "4.9E-324"},
		{2e-323, "2.0E-323"},
		{math.Inf(1), "Infinity"},
		{math.Inf(-1), "-Infinity"},
	}
	for _, tc := range tests {
		if got := javaDouble(tc.f); got != tc.want {
			t.Errorf("javaDouble(%v) = %s, want %s", tc.f, got, tc.want)
		}
	}
}

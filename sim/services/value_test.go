package services

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
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

// checkRendering checks how v is written back in a read_ok (json), printed
// by pr-str (pr) and by str.
func checkRendering(t *testing.T, v value, json, pr, str string) {
	t.Helper()
	if got := string(v.json()); got != json {
		t.Errorf("json %s, want %s", got, json)
	}
	if got := v.pr(); got != pr {
		t.Errorf("pr %q, want %q", got, pr)
	}
	if got := v.str(); got != str {
		t.Errorf("str %q, want %q", got, str)
	}
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
			checkRendering(t, mustValue(t, tc.in), tc.json, tc.pr, tc.str)
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

// sameTree reports whether the trees a and b are identical, doubles bit for
// bit (so -0.0 differs from 0.0) and objects key by key in order.
func sameTree(a, b any) bool {
	switch a := a.(type) {
	case float64:
		b, ok := b.(float64)
		return ok && math.Float64bits(a) == math.Float64bits(b)
	case []any:
		b, ok := b.([]any)
		return ok && slices.EqualFunc(a, b, sameTree)
	case *object:
		b, ok := b.(*object)
		return ok && slices.Equal(a.keys, b.keys) && slices.EqualFunc(a.vals, b.vals, sameTree)
	}
	return a == b
}

// TestValueRoundTrip: a value keeps only its src and eq texts; reading src
// back gives the very tree parsed from the request, so the value writes
// back and prints as that tree does (the outputs below are what the
// tree-keeping implementation produced). shared: eq is src.
func TestValueRoundTrip(t *testing.T) {
	tests := []struct {
		in, src, json, pr, str string
		shared                 bool
	}{
		{`null`, `null`, `null`, `nil`, ``, true},
		{`false`, `false`, `false`, `false`, `false`, true},
		{`true`, `true`, `true`, `true`, `true`, true},
		{`-0`, `0`, `0`, `0`, `0`, true},
		{`9223372036854775807`, `9223372036854775807`, `9223372036854775807`, `9223372036854775807`, `9223372036854775807`, true},
		{`9223372036854775808`, `9223372036854775808`, `9223372036854775808`, `9223372036854775808BIGINT`, `9223372036854775808`, true},
		{`-9223372036854775809`, `-9223372036854775809`, `-9223372036854775809`, `-9223372036854775809BIGINT`, `-9223372036854775809`, true},
		{`123456789012345678901234567890`, `123456789012345678901234567890`, `123456789012345678901234567890`, `123456789012345678901234567890BIGINT`, `123456789012345678901234567890`, true},
		{`1.0`, `1.0`, `1.0`, `1.0`, `1.0`, true},
		{`1.50`, `1.5`, `1.5`, `1.5`, `1.5`, true},
		{`1E10`, `1.0E10`, `1.0E10`, `1.0E10`, `1.0E10`, true},
		{`0.0001`, `1.0E-4`, `1.0E-4`, `1.0E-4`, `1.0E-4`, true},
		{`-0.0`, `-0.0`, `-0.0`, `-0.0`, `-0.0`, false},
		{`-0e7`, `-0.0`, `-0.0`, `-0.0`, `-0.0`, false},
		{`4.9E-324`, `4.9E-324`, `4.9E-324`, `4.9E-324`, `4.9E-324`, true},
		{`1.7976931348623157E308`, `1.7976931348623157E308`, `1.7976931348623157E308`, `1.7976931348623157E308`, `1.7976931348623157E308`, true},
		{`0.30000000000000004`, `0.30000000000000004`, `0.30000000000000004`, `0.30000000000000004`, `0.30000000000000004`, true},
		{`1e-400`, `0.0`, `0.0`, `0.0`, `0.0`, true},
		{`1e400`, `1e400`, `"Infinity"`, `##Inf`, `Infinity`, true},
		{`-1e400`, `-1e400`, `"-Infinity"`, `##-Inf`, `-Infinity`, true},
		{`"Infinity"`, `"Infinity"`, `"Infinity"`, `"Infinity"`, `Infinity`, true},
		{`"1e400"`, `"1e400"`, `"1e400"`, `"1e400"`, `1e400`, true},
		{`[1e400,"Infinity",-1e400,"-Infinity"]`, `[1e400,"Infinity",-1e400,"-Infinity"]`, `["Infinity","Infinity","-Infinity","-Infinity"]`, `[##Inf "Infinity" ##-Inf "-Infinity"]`, `[##Inf "Infinity" ##-Inf "-Infinity"]`, true},
		{`{"1e400":1e400}`, `{"1e400":1e400}`, `{"1e400":"Infinity"}`, `{"1e400" ##Inf}`, `{"1e400" ##Inf}`, true},
		{`"a\"b\\\n\t\u0001<>&\/é\u2028😀"`, `"a\"b\\\n\t\u0001<>&/é\u2028😀"`, `"a\"b\\\n\t\u0001<>&/é\u2028😀"`, "\"a\\\"b\\\\\\n\\t\x01<>&/é\u2028😀\"", "a\"b\\\n\t\x01<>&/é\u2028😀", true},
		{`"\ud800"`, `"�"`, `"�"`, `"�"`, `�`, true},
		{"\"\xff\"", `"�"`, `"�"`, `"�"`, `�`, true},
		{`{"b":1,"a":{"d":-0.0,"c":[]},"b":{}}`, `{"b":{},"a":{"d":-0.0,"c":[]}}`, `{"b":{},"a":{"d":-0.0,"c":[]}}`, `{"b" {}, "a" {"d" -0.0, "c" []}}`, `{"b" {}, "a" {"d" -0.0, "c" []}}`, false},
		{`{"a":1,"b":[2,{"c":null}]}`, `{"a":1,"b":[2,{"c":null}]}`, `{"a":1,"b":[2,{"c":null}]}`, `{"a" 1, "b" [2 {"c" nil}]}`, `{"a" 1, "b" [2 {"c" nil}]}`, true},
		{`{"\n":1,"\u0001":2}`, `{"\n":1,"\u0001":2}`, `{"\n":1,"\u0001":2}`, "{\"\\n\" 1, \"\x01\" 2}", "{\"\\n\" 1, \"\x01\" 2}", false},
		{` [ [0,1] , [1,2] ] `, `[[0,1],[1,2]]`, `[[0,1],[1,2]]`, `[[0 1] [1 2]]`, `[[0 1] [1 2]]`, true},
		{`[]`, `[]`, `[]`, `[]`, `[]`, true},
		{`{}`, `{}`, `{}`, `{}`, `{}`, true},
		{`""`, `""`, `""`, `""`, ``, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			v := mustValue(t, tc.in)
			if v.src != tc.src {
				t.Errorf("src %s, want %s", v.src, tc.src)
			}
			checkRendering(t, v, tc.json, tc.pr, tc.str)
			if got := v.eq == v.src; got != tc.shared {
				t.Errorf("eq %s is src: %v, want %v", v.eq, got, tc.shared)
			}
			want, err := readValue(strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if !sameTree(v.tree(), want) {
				t.Errorf("src %s reads back as another tree", v.src)
			}
		})
	}
}

// TestValueEqualityForms: the equality key tells apart values whose texts
// look alike in it (a double from an integer, an infinity from a string)
// and equates those differing only in ways = ignores.
func TestValueEqualityForms(t *testing.T) {
	tests := []struct {
		a, b  string
		equal bool
	}{
		{`1e400`, `1e401`, true},
		{`1e400`, `-1e400`, false},
		{`1e400`, `"Infinity"`, false},
		{`1e400`, `"1e400"`, false},
		{`[1e400]`, `["Infinity"]`, false},
		{`1e400`, `1.7976931348623157E308`, false},
		{`"1.0"`, `1.0`, false},
		{`"a"`, `"\u0061"`, true},
		{`"\u2028"`, "\"\u2028\"", true},
		{`{"x":-0.0}`, `{"x":0.0}`, true},
		{`[-0.0,{"a":0,"b":-0e1}]`, `[0.0,{"b":0.0,"a":-0}]`, true},
		{`{"\u0001":1,"\n":2}`, `{"\n":2,"\u0001":1}`, true},
		{`{"a":{"c":1,"b":2}}`, `{"a":{"b":2,"c":1}}`, true},
		{`{"a":{"c":1,"b":2}}`, `{"a":{"b":1,"c":2}}`, false},
		{`18446744073709551616`, `1.8446744073709552E19`, false},
		{`-9223372036854775809`, `-9223372036854775809`, true},
	}
	for _, tc := range tests {
		if got := mustValue(t, tc.a).eq == mustValue(t, tc.b).eq; got != tc.equal {
			t.Errorf("%s = %s: %v, want %v", tc.a, tc.b, got, tc.equal)
		}
	}
}

// TestValueTruthy: only null and false are false in Clojure.
func TestValueTruthy(t *testing.T) {
	for in, want := range map[string]bool{
		`null`: false, `false`: false, `true`: true, `0`: true, `""`: true,
		`"false"`: true, `"null"`: true, `[]`: true, `{}`: true, `[false]`: true,
	} {
		if got := mustValue(t, in).truthy(); got != want {
			t.Errorf("truthy(%s) = %v, want %v", in, got, want)
		}
	}
}

// TestJavaDoubleReadsBack: a double's text in src reads back as the very
// same double, which src relies on.
func TestJavaDoubleReadsBack(t *testing.T) {
	rng := newRand(1)
	for range 200_000 {
		f := math.Float64frombits(rng.Uint64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		s := javaDouble(f)
		if g, err := strconv.ParseFloat(s, 64); err != nil || math.Float64bits(g) != math.Float64bits(f) {
			t.Fatalf("javaDouble(%v) = %s reads back as %v (%v)", f, s, g, err)
		}
	}
}

package services

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
)

// value is one JSON value (a key, value, from or to of a KV request) as
// Maelstrom holds it once cheshire has parsed it: null, a boolean, an
// integer (Integer/Long, or BigInteger beyond 64 bits), a double, a string,
// a vector or a map with string keys. tree holds it as nil, bool, integer,
// float64, string, []any or *object; eq is its equality key: two values are
// equal under Clojure's = exactly when their eq strings are.
type value struct {
	tree any
	eq   string
}

// integer is a JSON number without fraction or exponent, in canonical
// decimal; big marks one outside int64, which the JVM holds as a
// java.math.BigInteger.
type integer struct {
	dec string
	big bool
}

// object is a JSON object as the map cheshire builds: keys in the order of
// their first occurrence, a repeated key's last value winning. (Clojure keeps
// that order for up to 8 keys; beyond, its hash map has its own order, which
// only the text of a precondition-failed error could show.)
type object struct {
	keys []string
	vals []any
}

func (o *object) set(k string, v any) {
	if i := slices.Index(o.keys, k); i >= 0 {
		o.vals[i] = v
		return
	}
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
}

// null is the value of an absent or null field.
var null = value{tree: nil, eq: "null"}

// parseValue parses one JSON value.
func parseValue(raw json.RawMessage) (value, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	t, err := readTree(dec)
	if err != nil {
		return value{}, err
	}
	if _, err := dec.Token(); err == nil {
		return value{}, errors.New("trailing data after JSON value")
	}
	var b strings.Builder
	writeEq(&b, t)
	return value{tree: t, eq: b.String()}, nil
}

// readTree reads the next JSON value from dec.
func readTree(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok := tok.(type) {
	case json.Delim:
		switch tok {
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := readTree(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			_, err := dec.Token()
			return arr, err
		case '{':
			o := &object{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key %v", kt)
				}
				v, err := readTree(dec)
				if err != nil {
					return nil, err
				}
				o.set(k, v)
			}
			_, err := dec.Token()
			return o, err
		}
		return nil, fmt.Errorf("unexpected %v", tok)
	case json.Number:
		return parseNumber(string(tok))
	case string, bool, nil:
		return tok, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// parseNumber reads a JSON number as Jackson does: with a fraction or an
// exponent it is a double (overflowing to ±Infinity, underflowing to 0),
// otherwise an integer of any size.
func parseNumber(s string) (any, error) {
	if strings.ContainsAny(s, ".eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, err
		}
		return f, nil
	}
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return nil, fmt.Errorf("bad integer %q", s)
	}
	return integer{dec: n.String(), big: !n.IsInt64()}, nil
}

// writeEq writes t's equality key. Integers of every width compare by value,
// doubles by value (so 1.0 = 1.00 and -0.0 = 0.0) but never equal an
// integer, maps regardless of key order.
func writeEq(b *strings.Builder, t any) {
	switch t := t.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(t))
	case integer:
		b.WriteString(t.dec)
	case float64:
		if t == 0 {
			t = 0 // -0.0 = 0.0
		}
		b.WriteString("~" + javaDouble(t))
	case string:
		b.WriteString(strconv.Quote(t))
	case []any:
		b.WriteByte('[')
		for i, v := range t {
			if i > 0 {
				b.WriteByte(',')
			}
			writeEq(b, v)
		}
		b.WriteByte(']')
	case *object:
		idx := make([]int, len(t.keys))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(i, j int) int { return strings.Compare(t.keys[i], t.keys[j]) })
		b.WriteByte('{')
		for n, i := range idx {
			if n > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(t.keys[i]) + ":")
			writeEq(b, t.vals[i])
		}
		b.WriteByte('}')
	}
}

// json encodes v as Maelstrom writes it back in a read_ok (cheshire over
// Jackson): integers in decimal, doubles in Java's notation ("100.0",
// "1.0E10"), infinities as the strings "Infinity" and "-Infinity".
func (v value) json() json.RawMessage {
	var b bytes.Buffer
	writeJSON(&b, v.tree)
	return b.Bytes()
}

func writeJSON(b *bytes.Buffer, t any) {
	switch t := t.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(t))
	case integer:
		b.WriteString(t.dec)
	case float64:
		if math.IsInf(t, 0) {
			writeString(b, javaDouble(t))
		} else {
			b.WriteString(javaDouble(t))
		}
	case string:
		writeString(b, t)
	case []any:
		b.WriteByte('[')
		for i, v := range t {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, v)
		}
		b.WriteByte(']')
	case *object:
		b.WriteByte('{')
		for i, k := range t.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k)
			b.WriteByte(':')
			writeJSON(b, t.vals[i])
		}
		b.WriteByte('}')
	}
}

func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // a string always encodes
	b.Truncate(b.Len() - 1) // Encode's newline
}

// pr renders v as Clojure's pr-str does: nil, strings in double quotes with
// backslash escapes, big integers suffixed BIGINT, doubles in Java's
// notation (infinities as ##Inf, ##-Inf), [a b] and {"k" v, "l" w}.
func (v value) pr() string {
	var b strings.Builder
	writePr(&b, v.tree)
	return b.String()
}

// str renders v as Clojure's str does: like pr, except that nil is empty,
// a string is its bare text, a big integer has no suffix and an infinity
// is Infinity or -Infinity. (Inside a vector or map, elements print as pr.)
func (v value) str() string {
	switch t := v.tree.(type) {
	case nil:
		return ""
	case string:
		return t
	case integer:
		return t.dec
	case float64:
		return javaDouble(t)
	}
	return v.pr()
}

// clojureEscapes are the characters pr-str escapes inside a string.
var clojureEscapes = map[rune]string{
	'\n': `\n`, '\t': `\t`, '\r': `\r`, '"': `\"`, '\\': `\\`, '\f': `\f`, '\b': `\b`,
}

func writePr(b *strings.Builder, t any) {
	switch t := t.(type) {
	case nil:
		b.WriteString("nil")
	case bool:
		b.WriteString(strconv.FormatBool(t))
	case integer:
		b.WriteString(t.dec)
		if t.big {
			b.WriteString("BIGINT")
		}
	case float64:
		switch {
		case math.IsInf(t, 1):
			b.WriteString("##Inf")
		case math.IsInf(t, -1):
			b.WriteString("##-Inf")
		default:
			b.WriteString(javaDouble(t))
		}
	case string:
		b.WriteByte('"')
		for _, r := range t {
			if e, ok := clojureEscapes[r]; ok {
				b.WriteString(e)
			} else {
				b.WriteRune(r)
			}
		}
		b.WriteByte('"')
	case []any:
		b.WriteByte('[')
		for i, v := range t {
			if i > 0 {
				b.WriteByte(' ')
			}
			writePr(b, v)
		}
		b.WriteByte(']')
	case *object:
		b.WriteByte('{')
		for i, k := range t.keys {
			if i > 0 {
				b.WriteString(", ")
			}
			writePr(b, k)
			b.WriteByte(' ')
			writePr(b, t.vals[i])
		}
		b.WriteByte('}')
	}
}

// javaDouble formats f as Java's Double.toString does (JDK 19 and later,
// which picks the shortest decimal that reads back as f, preferring a
// closer two-digit one over a one-digit one): plain notation with at least
// one fractional digit for magnitudes in [1e-3, 1e7), otherwise one digit,
// a fraction and an exponent, as in 1.0E10 or 4.9E-324.
func javaDouble(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0 && math.Signbit(f):
		return "-0.0"
	case f == 0:
		return "0.0"
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	digits, exp := sciDigits(strconv.FormatFloat(f, 'e', -1, 64))
	if len(digits) == 1 {
		two := strconv.FormatFloat(f, 'e', 1, 64)
		if g, err := strconv.ParseFloat(two, 64); err == nil && g == f {
			digits, exp = sciDigits(two)
		}
	}
	digits = strings.TrimRight(digits, "0")
	if digits == "" {
		digits = "0"
	}
	if f >= 1e-3 && f < 1e7 {
		var whole, frac string
		if exp >= 0 {
			for len(digits) < exp+1 {
				digits += "0"
			}
			whole, frac = digits[:exp+1], digits[exp+1:]
		} else {
			whole, frac = "0", strings.Repeat("0", -exp-1)+digits
		}
		if frac == "" {
			frac = "0"
		}
		return sign + whole + "." + frac
	}
	frac := digits[1:]
	if frac == "" {
		frac = "0"
	}
	return sign + digits[:1] + "." + frac + "E" + strconv.Itoa(exp)
}

// sciDigits splits Go's "d.ddde±xx" into its digits and decimal exponent.
func sciDigits(s string) (string, int) {
	mant, e, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(e)
	return strings.Replace(mant, ".", "", 1), exp
}

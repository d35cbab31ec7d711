package services

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
)

// value is one JSON value (a key, value, from or to of a KV request) as
// Maelstrom holds it once cheshire has parsed it: null, a boolean, an
// integer (Integer/Long, or BigInteger beyond 64 bits), a double, a string,
// a vector or a map with string keys.
//
// Parsed, the value is a tree of nil, bool, integer, float64, string, []any
// and *object, which costs many times the size of its text; so a value
// keeps only two texts written from that tree (see form). src is the tree
// as JSON that reads back into exactly the same tree. eq is the equality
// key: two values are equal under Clojure's = exactly when their eq strings
// are. The two are often equal (whenever no object has its keys out of
// order and no double is -0.0, as in an array of integers), and then they
// share one string. The tree is read back from src only to print the value
// (pr, str) or to write back one holding an infinity (json).
type value struct {
	src string // the tree in srcForm
	eq  string // the tree in eqForm; src itself when the texts are equal; "" in a stored value that dropped it (stored, key)
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

// set maps k to v: in k's place if o has k already, else as its last key.
func (o *object) set(k string, v any) {
	if i := slices.Index(o.keys, k); i >= 0 {
		o.vals[i] = v
		return
	}
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
}

// null is the value of an absent or null field.
var null = value{src: "null", eq: "null"}

// parseValue parses one JSON value.
func parseValue(raw json.RawMessage) (value, error) {
	t, err := readValue(bytes.NewReader(raw))
	if err != nil {
		return value{}, err
	}
	// bytes.Buffer.String copies exactly the text, keeping no spare
	// capacity alive with it.
	var src, eq bytes.Buffer
	writeJSON(&src, t, srcForm)
	writeJSON(&eq, t, eqForm)
	v := value{src: src.String()}
	if bytes.Equal(eq.Bytes(), src.Bytes()) {
		v.eq = v.src
	} else {
		v.eq = eq.String()
	}
	return v, nil
}

// stored is v as a store keeps it: without its equality key when that is
// a text of its own (an object whose keys are out of order, a -0.0), so
// that a stored value, such as a kafka node's chunk, costs its text once;
// key writes it again when a comparison needs it.
func (v value) stored() value {
	if v.eq != v.src {
		v.eq = ""
	}
	return v
}

// key is v's equality key (see value).
func (v value) key() string {
	if v.eq != "" {
		return v.eq
	}
	var b bytes.Buffer
	writeJSON(&b, v.tree(), eqForm)
	return b.String()
}

// readValue reads the one JSON value r holds as a tree.
func readValue(r io.Reader) (any, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	t, err := readTree(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("trailing data after JSON value")
	}
	return t, nil
}

// tree reads v's tree back from src.
func (v value) tree() any {
	t, err := readValue(strings.NewReader(v.src))
	if err != nil {
		panic(fmt.Sprintf("services: value %s does not read back: %v", v.src, err))
	}
	return t
}

// truthy reports whether v counts as true in Clojure: it is neither null
// nor false.
func (v value) truthy() bool {
	return v.src != "null" && v.src != "false"
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
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return integer{dec: strconv.FormatInt(n, 10)}, nil
	}
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return nil, fmt.Errorf("bad integer %q", s)
	}
	return integer{dec: n.String(), big: !n.IsInt64()}, nil
}

// form is a way of writing a tree as text.
type form int

const (
	// srcForm is value.src: JSON that reads back into the same tree.
	// Integers are in decimal, doubles in Java's notation, an infinity is
	// the number infinity (or its negation), which reads back as one.
	srcForm form = iota
	// readOKForm is how Maelstrom writes a value back in a read_ok
	// (cheshire over Jackson): srcForm, except that an infinity is the
	// string "Infinity" or "-Infinity".
	readOKForm
	// eqForm is value.eq: srcForm, except that -0.0 is 0.0 and each object
	// has its keys sorted. So integers of every width compare by value,
	// doubles by value (1.0 = 1.00, -0.0 = 0.0) but never equal an integer
	// (a double's text has a point or, for an infinity, an e), maps
	// regardless of key order.
	eqForm
)

// infinity is how srcForm writes a positive infinity: a number that
// overflows to it when read (see parseNumber). Finite doubles have an
// upper-case E, if any, so outside strings no other text has this one.
const infinity = "1e400"

// json encodes v as Maelstrom writes it back in a read_ok (readOKForm).
// That is src unless v holds an infinity.
func (v value) json() json.RawMessage {
	if !strings.Contains(v.src, infinity) {
		return json.RawMessage(v.src)
	}
	var b bytes.Buffer
	writeJSON(&b, v.tree(), readOKForm)
	return b.Bytes()
}

// writeJSON writes t to b in form f.
func writeJSON(b *bytes.Buffer, t any, f form) {
	switch t := t.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(t))
	case integer:
		b.WriteString(t.dec)
	case float64:
		switch {
		case math.IsInf(t, 0) && f == readOKForm:
			writeString(b, javaDouble(t))
		case math.IsInf(t, 1):
			b.WriteString(infinity)
		case math.IsInf(t, -1):
			b.WriteString("-" + infinity)
		case t == 0 && f == eqForm:
			b.WriteString(javaDouble(0)) // -0.0 = 0.0
		default:
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
			writeJSON(b, v, f)
		}
		b.WriteByte(']')
	case *object:
		idx := make([]int, len(t.keys))
		for i := range idx {
			idx[i] = i
		}
		if f == eqForm {
			slices.SortFunc(idx, func(i, j int) int { return strings.Compare(t.keys[i], t.keys[j]) })
		}
		b.WriteByte('{')
		for n, i := range idx {
			if n > 0 {
				b.WriteByte(',')
			}
			writeString(b, t.keys[i])
			b.WriteByte(':')
			writeJSON(b, t.vals[i], f)
		}
		b.WriteByte('}')
	}
}

// writeString writes s as a JSON string, escaping no HTML characters.
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
	return prTree(v.tree())
}

// str renders v as Clojure's str does: like pr, except that nil is empty,
// a string is its bare text, a big integer has no suffix and an infinity
// is Infinity or -Infinity. (Inside a vector or map, elements print as pr.)
func (v value) str() string {
	switch t := v.tree().(type) {
	case nil:
		return ""
	case string:
		return t
	case integer:
		return t.dec
	case float64:
		return javaDouble(t)
	default:
		return prTree(t)
	}
}

// prTree renders the tree t as pr-str does.
func prTree(t any) string {
	var b strings.Builder
	writePr(&b, t)
	return b.String()
}

// clojureEscapes are the characters pr-str escapes inside a string.
var clojureEscapes = map[rune]string{
	'\n': `\n`, '\t': `\t`, '\r': `\r`, '"': `\"`, '\\': `\\`, '\f': `\f`, '\b': `\b`,
}

// writePr writes t to b as pr-str prints it.
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

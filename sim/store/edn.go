package store

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file is EDN, Clojure's data notation, which Jepsen's results.edn is
// written in: a writer that turns JSON into it (the report's own field
// names become keywords, snake_case as kebab-case), and a reader of the
// part of it that results files use, so the viewer can read Maelstrom's
// own runs too.

// writeResults writes results.edn: a map whose first entry is :valid?
// (true, false or :unknown), then every field of the report's JSON object
// but its own valid and unknown.
func writeResults(w *bufio.Writer, v Verdict, report []byte) error {
	valid := string(v)
	if v == Unknown {
		valid = ":unknown"
	}
	w.WriteString("{:valid? " + valid)
	dec := json.NewDecoder(bytes.NewReader(report))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("report is not a JSON object: %v", err)
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		k, _ := t.(string)
		if k == "valid" || k == "unknown" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return err
			}
			continue
		}
		w.WriteString(",\n ")
		writeKey(w, k)
		w.WriteByte(' ')
		if err := jsonToEDN(w, dec); err != nil {
			return err
		}
	}
	_, err := w.WriteString("}\n")
	return err
}

// ednValue writes a JSON text as EDN.
func ednValue(w *bufio.Writer, js []byte) error {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	return jsonToEDN(w, dec)
}

// jsonToEDN copies the next JSON value of dec to w as EDN.
func jsonToEDN(w *bufio.Writer, dec *json.Decoder) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := t.(type) {
	case json.Delim:
		if t == '[' {
			w.WriteByte('[')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					w.WriteByte(' ')
				}
				if err := jsonToEDN(w, dec); err != nil {
					return err
				}
			}
			dec.Token()
			return w.WriteByte(']')
		}
		w.WriteByte('{')
		for i := 0; dec.More(); i++ {
			if i > 0 {
				w.WriteString(", ")
			}
			k, err := dec.Token()
			if err != nil {
				return err
			}
			writeKey(w, k.(string))
			w.WriteByte(' ')
			if err := jsonToEDN(w, dec); err != nil {
				return err
			}
		}
		dec.Token()
		return w.WriteByte('}')
	case string:
		writeString(w, t)
	case json.Number:
		w.WriteString(t.String())
	case bool:
		w.WriteString(strconv.FormatBool(t))
	case nil:
		w.WriteString("nil")
	}
	return nil
}

var keywordish = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)

// writeKey writes a JSON object key as a keyword when it reads as one
// (snake_case turned kebab-case), else as a string.
func writeKey(w *bufio.Writer, k string) {
	if keywordish.MatchString(k) {
		w.WriteString(":" + strings.ReplaceAll(k, "_", "-"))
		return
	}
	writeString(w, k)
}

// writeString writes an EDN string literal.
func writeString(w *bufio.Writer, s string) {
	w.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			w.WriteByte('\\')
			w.WriteRune(r)
		case r == '\n':
			w.WriteString(`\n`)
		case r == '\t':
			w.WriteString(`\t`)
		case r == '\r':
			w.WriteString(`\r`)
		case r < 0x20 || r == utf8.RuneError:
			fmt.Fprintf(w, `\u%04x`, r)
		default:
			w.WriteRune(r)
		}
	}
	w.WriteByte('"')
}

// Keyword is an EDN keyword, without its colon.
type Keyword string

// Symbol is an EDN symbol.
type Symbol string

// ReadEDN reads one EDN value: nil, bool, int64, float64, string,
// Keyword, Symbol, []any (lists, vectors and sets), or map[any]any (keys
// that are not comparable become their fmt.Sprint). Tagged values read as
// their value; characters as one-character strings.
func ReadEDN(r io.Reader) (any, error) {
	p := &ednReader{r: bufio.NewReader(r)}
	return p.value()
}

type ednReader struct{ r *bufio.Reader }

var errClose = errors.New("edn: unexpected closing delimiter")

// skip passes whitespace, commas, comments and #_ discards; it returns the
// next rune, unread.
func (p *ednReader) skip() (rune, error) {
	for {
		c, _, err := p.r.ReadRune()
		if err != nil {
			return 0, err
		}
		switch {
		case c == ';':
			if _, err := p.r.ReadString('\n'); err != nil && err != io.EOF {
				return 0, err
			}
		case c == ',' || c == ' ' || c == '\n' || c == '\t' || c == '\r':
		default:
			return c, p.r.UnreadRune()
		}
	}
}

func (p *ednReader) value() (any, error) {
	c, err := p.skip()
	if err != nil {
		return nil, err
	}
	p.r.ReadRune()
	switch c {
	case '{':
		items, err := p.seq('}')
		if err != nil {
			return nil, err
		}
		if len(items)%2 != 0 {
			return nil, errors.New("edn: map with an odd number of forms")
		}
		m := make(map[any]any, len(items)/2)
		for i := 0; i < len(items); i += 2 {
			k := items[i]
			switch k.(type) {
			case []any, map[any]any:
				k = fmt.Sprint(k)
			}
			m[k] = items[i+1]
		}
		return m, nil
	case '[':
		return p.seq(']')
	case '(':
		return p.seq(')')
	case ')', ']', '}':
		return nil, errClose
	case '"':
		return p.str()
	case '\\':
		tok := p.token()
		if tok == "" {
			c, _, err := p.r.ReadRune()
			return string(c), err
		}
		return tok, nil
	case '#':
		next, _, err := p.r.ReadRune()
		if err != nil {
			return nil, err
		}
		switch next {
		case '{':
			return p.seq('}')
		case '_':
			if _, err := p.value(); err != nil {
				return nil, err
			}
			return p.value()
		}
		p.r.UnreadRune()
		p.token() // the tag; the value follows
		return p.value()
	}
	p.r.UnreadRune()
	tok := p.token()
	switch {
	case tok == "nil":
		return nil, nil
	case tok == "true" || tok == "false":
		return tok == "true", nil
	case strings.HasPrefix(tok, ":"):
		return Keyword(tok[1:]), nil
	case tok == "":
		return nil, fmt.Errorf("edn: unexpected %q", c)
	}
	if n, err := strconv.ParseInt(strings.TrimSuffix(tok, "N"), 10, 64); err == nil {
		return n, nil
	}
	if f, err := strconv.ParseFloat(strings.TrimSuffix(tok, "M"), 64); err == nil {
		return f, nil
	}
	return Symbol(tok), nil
}

// seq reads values up to the closing delimiter end.
func (p *ednReader) seq(end rune) ([]any, error) {
	var items []any
	for {
		c, err := p.skip()
		if err != nil {
			return nil, err
		}
		if c == end {
			p.r.ReadRune()
			return items, nil
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		items = append(items, v)
	}
}

// token reads a run of characters up to a delimiter or whitespace.
func (p *ednReader) token() string {
	var b strings.Builder
	for {
		c, _, err := p.r.ReadRune()
		if err != nil {
			return b.String()
		}
		if strings.ContainsRune(" \t\r\n,()[]{}\";", c) {
			p.r.UnreadRune()
			return b.String()
		}
		b.WriteRune(c)
	}
}

// str reads a string literal after its opening quote.
func (p *ednReader) str() (string, error) {
	var b strings.Builder
	for {
		c, _, err := p.r.ReadRune()
		if err != nil {
			return "", fmt.Errorf("edn: unterminated string: %w", err)
		}
		switch c {
		case '"':
			return b.String(), nil
		case '\\':
			e, _, err := p.r.ReadRune()
			if err != nil {
				return "", err
			}
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'u':
				var hex [4]byte
				if _, err := io.ReadFull(p.r, hex[:]); err != nil {
					return "", err
				}
				n, err := strconv.ParseUint(string(hex[:]), 16, 32)
				if err != nil {
					return "", fmt.Errorf("edn: bad escape \\u%s", hex)
				}
				b.WriteRune(rune(n))
			default:
				b.WriteRune(e)
			}
		default:
			b.WriteRune(c)
		}
	}
}

// VerdictOf reads the :valid? of a results.edn: Valid, Invalid or Unknown, or
// "" when it has none (an incomplete run).
func VerdictOf(results any) Verdict {
	m, _ := results.(map[any]any)
	switch v := m[Keyword("valid?")].(type) {
	case bool:
		if v {
			return Valid
		}
		return Invalid
	case Keyword:
		return Unknown
	}
	return ""
}

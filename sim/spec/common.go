package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/glomers/glomers/sim"
)

// maxPerKind caps how many anomalies of one kind a Result lists; the rest
// are summed up in one closing anomaly of that kind, so a badly broken run
// still yields a readable report.
const maxPerKind = 10

// verdict collects a checker's anomalies and statistics.
type verdict struct {
	anomalies []sim.Anomaly
	counts    map[string]int // anomalies seen per kind, listed or not
	kinds     []string       // kinds in order of first appearance
	stats     map[string]any
}

func newVerdict() *verdict {
	return &verdict{counts: map[string]int{}, stats: map[string]any{}}
}

// add records one anomaly.
func (v *verdict) add(kind, format string, args ...any) {
	if v.counts[kind] == 0 {
		v.kinds = append(v.kinds, kind)
	}
	v.counts[kind]++
	if v.counts[kind] <= maxPerKind {
		v.anomalies = append(v.anomalies, sim.Anomaly{Kind: kind, Detail: fmt.Sprintf(format, args...)})
	}
}

// decodeOp decodes field reqField of op's request into reqDst and field
// respField of its reply into respDst. It records a malformed-request or
// malformed-reply anomaly for the first that does not decode, and reports
// whether both did.
func (v *verdict) decodeOp(op sim.Op, reqField string, reqDst any, respField string, respDst any) bool {
	if err := field(op.Req, reqField, reqDst); err != nil {
		v.add("malformed-request", "%s: %v", describe(op), err)
		return false
	}
	if err := field(op.Resp, respField, respDst); err != nil {
		v.add("malformed-reply", "%s: %v", describe(op), err)
		return false
	}
	return true
}

// result is the verdict: valid when no anomaly was recorded.
func (v *verdict) result() sim.Result {
	for _, k := range v.kinds {
		if n := v.counts[k]; n > maxPerKind {
			v.anomalies = append(v.anomalies, sim.Anomaly{Kind: k, Detail: fmt.Sprintf("... and %d more %s anomalies", n-maxPerKind, k)})
		}
	}
	return sim.Result{Valid: len(v.anomalies) == 0, Anomalies: v.anomalies, Stats: v.stats}
}

// describe names an operation for a person: process, node, type, outcome and times.
func describe(op sim.Op) string {
	return fmt.Sprintf("p%d→%s %s %s [%s..%s]", op.Process, op.Node, op.Type, op.Status, ms(op.Invoke), ms(op.Complete))
}

// ms formats a duration as milliseconds.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}

// decode unmarshals a body with exact integers; it reports why a body is
// unusable.
func decode(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		return fmt.Errorf("empty body")
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("decode %.200s: %w", raw, err)
	}
	return nil
}

// canonical re-encodes a JSON value so that equal values compare equal as
// strings: object keys sorted, whitespace and string escapes normalised,
// numbers kept as written (so 1 and 1.0 differ, as they do in Maelstrom,
// and big integers stay exact).
func canonical(raw json.RawMessage) (string, error) {
	var v any
	if err := decode(raw, &v); err != nil {
		return "", err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("re-encode: %w", err)
	}
	return string(b), nil
}

// quantiles returns Jepsen's frequency distribution of xs at the points 0,
// 0.5, 0.95, 0.99 and 1: the element at index min(n-1, floor(n·p)) of the
// sorted values. It returns nil for no values.
func quantiles(xs []float64) map[string]float64 {
	if len(xs) == 0 {
		return nil
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	q := map[string]float64{}
	for _, p := range []struct {
		name string
		p    float64
	}{{"0", 0}, {"0.5", 0.5}, {"0.95", 0.95}, {"0.99", 0.99}, {"1", 1}} {
		q[p.name] = s[min(n-1, int(math.Floor(float64(n)*p.p)))]
	}
	return q
}

// field decodes one field of a JSON object body into dst, with exact
// integers; a missing field is an error.
func field(raw json.RawMessage, name string, dst any) error {
	var obj map[string]json.RawMessage
	if err := decode(raw, &obj); err != nil {
		return err
	}
	f, ok := obj[name]
	if !ok {
		return fmt.Errorf("no %q in %.200s", name, raw)
	}
	if err := decode(f, dst); err != nil {
		return fmt.Errorf("field %q: %w", name, err)
	}
	return nil
}

package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/glomers/glomers/sim"
)

// maxPerKind caps how many anomalies of one kind a Result lists; the rest
// are summed up in one closing anomaly of that kind, so a badly broken run
// still yields a readable report.
const maxPerKind = 10

// verdict collects a checker's anomalies and statistics: those that make
// Maelstrom's verdict, and those of the simulator's stricter checks.
type verdict struct {
	anomalies []sim.Anomaly
	strict    []sim.Anomaly
	counts    map[string]int // anomalies seen per kind, listed or not
	kinds     []string       // kinds in order of first appearance
	stats     map[string]any
	unknown   bool // Maelstrom's checker would say :unknown
}

func newVerdict() *verdict {
	return &verdict{counts: map[string]int{}, stats: map[string]any{}}
}

// add records one anomaly of Maelstrom's checker.
func (v *verdict) add(kind, format string, args ...any) {
	v.record(&v.anomalies, kind, format, args...)
}

// addStrict records one anomaly that only the simulator's stricter checks
// find; it shows in the report but counts only under --strict.
func (v *verdict) addStrict(kind, format string, args ...any) {
	v.record(&v.strict, kind, format, args...)
}

func (v *verdict) record(list *[]sim.Anomaly, kind, format string, args ...any) {
	if v.counts[kind] == 0 {
		v.kinds = append(v.kinds, kind)
	}
	v.counts[kind]++
	if v.counts[kind] <= maxPerKind {
		*list = append(*list, sim.Anomaly{Kind: kind, Detail: fmt.Sprintf(format, args...), Ops: opRefs(args)})
	}
}

// opList is operations an anomaly names together; it prints them
// separated by semicolons.
type opList []sim.OpRef

// String implements fmt.Stringer.
func (l opList) String() string {
	s := make([]string, len(l))
	for i, r := range l {
		s[i] = r.String()
	}
	return strings.Join(s, "; ")
}

// opRefs gathers the operations among an anomaly's arguments (describe's
// results, alone or in lists).
func opRefs(args []any) []sim.OpRef {
	var ops []sim.OpRef
	for _, a := range args {
		switch a := a.(type) {
		case sim.OpRef:
			ops = append(ops, a)
		case opList:
			ops = append(ops, a...)
		}
	}
	return ops
}

// result is the verdict: valid when no anomaly of Maelstrom's was
// recorded, unknown when the checker could not tell.
func (v *verdict) result() sim.Result {
	for _, k := range v.kinds {
		if n := v.counts[k]; n > maxPerKind {
			more := sim.Anomaly{Kind: k, Detail: fmt.Sprintf("... and %d more %s anomalies", n-maxPerKind, k)}
			if slices.ContainsFunc(v.strict, func(a sim.Anomaly) bool { return a.Kind == k }) {
				v.strict = append(v.strict, more)
			} else {
				v.anomalies = append(v.anomalies, more)
			}
		}
	}
	ok := len(v.anomalies) == 0
	return sim.Result{Valid: ok && !v.unknown, Unknown: ok && v.unknown, Anomalies: v.anomalies, Strict: v.strict, Stats: v.stats}
}

// describe names an operation in an anomaly: it prints as "p3→n1 read ok
// [12.0ms..15.5ms]", and the verdict lists it among the anomaly's Ops.
func describe(op sim.Op) sim.OpRef { return op.Ref() }

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

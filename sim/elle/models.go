package elle

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// This file is elle.consistency-model: which anomalies each consistency
// model rules out, and which models a set of anomalies rules out.

// canonicalModels maps friendly model names to Adya's (canonical-model-names).
var canonicalModels = map[string]string{
	"consistent-view":         "PL-2+",
	"conflict-serializable":   "PL-3",
	"cursor-stability":        "PL-CS",
	"forward-consistent-view": "PL-FCV",
	"monotonic-snapshot-read": "PL-MSR",
	"monotonic-view":          "PL-2L",
	"read-committed":          "PL-2",
	"read-uncommitted":        "PL-1",
	"repeatable-read":         "PL-2.99",
	"serializable":            "PL-3",
	"snapshot-isolation":      "PL-SI",
	"strict-serializable":     "PL-SS",
	"strong-serializable":     "PL-SS",
	"update-serializable":     "PL-3U",
}

// friendlyModels maps canonical names back (friendly-model-names); PL-3 is
// "serializable", PL-SS "strong-serializable".
var friendlyModels = func() map[string]string {
	m := map[string]string{}
	for f, c := range canonicalModels {
		m[c] = f
	}
	m["PL-3"] = "serializable"
	m["PL-SS"] = "strong-serializable"
	return m
}()

// CanonicalModel returns a model's canonical (Adya) name.
func CanonicalModel(m string) string {
	if c, ok := canonicalModels[m]; ok {
		return c
	}
	return m
}

// FriendlyModel returns a model's friendly name.
func FriendlyModel(m string) string {
	if f, ok := friendlyModels[m]; ok {
		return f
	}
	return m
}

// rel is a directed graph over names.
type rel map[string][]string

func (r rel) in(v string) []string {
	var out []string
	for a, bs := range r {
		if slices.Contains(bs, v) {
			out = append(out, a)
		}
	}
	return out
}

// bfs returns start and everything reachable from it through next.
func bfs(start []string, next func(string) []string) []string {
	seen := map[string]bool{}
	var out, queue []string
	for _, s := range start {
		if !seen[s] {
			seen[s] = true
			out, queue = append(out, s), append(queue, s)
		}
	}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range next(v) {
			if !seen[w] {
				seen[w] = true
				out, queue = append(out, w), append(queue, w)
			}
		}
	}
	return out
}

// canonicalRel maps both ends of every edge to canonical model names.
func canonicalRel(r rel) rel {
	out := rel{}
	for a, bs := range r {
		a = CanonicalModel(a)
		for _, b := range bs {
			b = CanonicalModel(b)
			if !slices.Contains(out[a], b) {
				out[a] = append(out[a], b)
			}
		}
	}
	return out
}

// models relates each model to the weaker models it implies (models).
var models = canonicalRel(rel{
	"causal-cerone":                     {"ROLA", "read-atomic"},
	"consistent-view":                   {"cursor-stability", "monotonic-view"},
	"conflict-serializable":             {"view-serializable"},
	"cursor-stability":                  {"read-committed", "PL-2"},
	"forward-consistent-view":           {"consistent-view"},
	"PL-2":                              {"PL-1"},
	"PL-3":                              {"repeatable-read", "update-serializable"},
	"update-serializable":               {"forward-consistent-view"},
	"monotonic-atomic-view":             {"read-committed"},
	"monotonic-view":                    {"PL-2"},
	"monotonic-snapshot-read":           {"PL-2"},
	"parallel-snapshot-isolation":       {"causal-cerone"},
	"prefix":                            {"causal-cerone"},
	"read-committed":                    {"read-uncommitted"},
	"repeatable-read":                   {"cursor-stability", "monotonic-atomic-view"},
	"ROLA":                              {"read-atomic"},
	"serializable":                      {"repeatable-read", "snapshot-isolation", "view-serializable"},
	"session-serializable":              {"1SR"},
	"snapshot-isolation":                {"forward-consistent-view", "monotonic-atomic-view", "monotonic-snapshot-read", "parallel-snapshot-isolation", "prefix"},
	"strict-serializable":               {"PL-3", "serializable", "linearizable", "snapshot-isolation", "strong-snapshot-isolation", "strong-session-serializable"},
	"strong-serializable":               {"session-serializable"},
	"strong-session-serializable":       {"serializable"},
	"strong-session-snapshot-isolation": {"snapshot-isolation"},
	"strong-snapshot-isolation":         {"strong-session-snapshot-isolation"},
	"linearizable":                      {"sequential"},
	"sequential":                        {"causal"},
	"causal":                            {"writes-follow-reads", "PRAM"},
	"PRAM":                              {"monotonic-reads", "monotonic-writes", "read-your-writes"},
})

// directProscribed relates each model to the anomalies it rules out beyond
// those of the models it implies (direct-proscribed-anomalies).
var directProscribed = canonicalRel(rel{
	"causal-cerone":                     {"internal", "G1a"},
	"cursor-stability":                  {"G1", "G-cursor", "lost-update"},
	"monotonic-view":                    {"G1", "G-monotonic"},
	"monotonic-snapshot-read":           {"G1", "G-MSR"},
	"consistent-view":                   {"G1", "G-single"},
	"forward-consistent-view":           {"G1", "G-SIb"},
	"parallel-snapshot-isolation":       {"internal", "G1a"},
	"PL-3":                              {"G1", "G2"},
	"PL-2":                              {"G1"},
	"PL-1":                              {"G0", "duplicate-elements", "cyclic-versions"},
	"prefix":                            {"internal", "G1a"},
	"serializable":                      {"internal"},
	"snapshot-isolation":                {"internal", "G1", "G-SI", "G-nonadjacent"},
	"read-atomic":                       {"internal", "G1a"},
	"repeatable-read":                   {"G1", "G2-item", "lost-update"},
	"ROLA":                              {"lost-update"},
	"strict-serializable":               {"G1", "G1c-realtime", "G2-realtime"},
	"strong-session-snapshot-isolation": {"G-nonadjacent-process"},
	"strong-snapshot-isolation":         {"G-nonadjacent-realtime"},
	"strong-session-serializable":       {"G1c-process", "G2-process"},
	"update-serializable":               {"G1", "G-update"},
})

// impliedAnomalies relates each anomaly to the anomalies its presence
// implies (implied-anomalies).
var impliedAnomalies = rel{
	"G0":                     {"G1c"},
	"G0-process":             {"G1c-process", "G0-realtime"},
	"G0-realtime":            {"G1c-realtime"},
	"G1a":                    {"G1"},
	"G1b":                    {"G1"},
	"G1c":                    {"G1"},
	"G1c-process":            {"G1c-realtime"},
	"G-single":               {"G-nonadjacent", "GSIb"},
	"G-single-process":       {"G-nonadjacent-process", "G-single-realtime"},
	"G-single-realtime":      {"G-nonadjacent-realtime"},
	"G-nonadjacent":          {"G2"},
	"G-nonadjacent-process":  {"G2-process", "G-nonadjacent-realtime"},
	"G-nonadjacent-realtime": {"G2-realtime"},
	"G2-item":                {"G2"},
	"G2-item-process":        {"G2-process", "G2-item-realtime"},
	"G2-item-realtime":       {"G2-realtime"},
	"G2-process":             {"G2-realtime"},
	"GSIa":                   {"GSI"},
	"GSIb":                   {"GSI"},
	"incompatible-order":     {"G1a"},
	"dirty-update":           {"G1a"},
	"lost-update":            {"write-skew", "G2-item"},
	"write-skew":             {"G2"},
}

// AllModels lists every model name Elle knows, canonical and friendly,
// sorted (all-models).
func AllModels() []string {
	set := map[string]bool{}
	for a, bs := range models {
		set[a] = true
		for _, b := range bs {
			set[b] = true
		}
	}
	for f, c := range canonicalModels {
		set[f], set[c] = true, true
	}
	var out []string
	for m := range set {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// ValidateModels returns an error naming the models Elle does not know
// (validate-models, which makes Elle's checker throw).
func ValidateModels(ms []string) error {
	all := AllModels()
	var unknown []string
	for _, m := range ms {
		if !slices.Contains(all, m) {
			unknown = append(unknown, m)
		}
	}
	if unknown != nil {
		return fmt.Errorf("unknown consistency model %s; known models are: %s",
			strings.Join(unknown, ", "), strings.Join(all, ", "))
	}
	return nil
}

// AnomaliesImplying returns the anomalies given and every anomaly that
// implies one of them (all-anomalies-implying).
func AnomaliesImplying(as []string) []string {
	return bfs(as, impliedAnomalies.in)
}

// ImpliedAnomalies returns the anomalies given and every anomaly they
// imply (all-implied-anomalies).
func ImpliedAnomalies(as []string) []string {
	return bfs(as, func(a string) []string { return impliedAnomalies[a] })
}

// ProhibitedBy returns, sorted, the anomalies that cannot occur if every
// one of ms holds (anomalies-prohibited-by): the anomalies the models and
// every model they imply rule out, and every anomaly implying one of
// those.
func ProhibitedBy(ms []string) ([]string, error) {
	var canon []string
	for _, m := range ms {
		canon = append(canon, CanonicalModel(m))
	}
	if err := ValidateModels(canon); err != nil {
		return nil, err
	}
	var direct []string
	for _, m := range bfs(canon, func(m string) []string { return models[m] }) {
		direct = append(direct, directProscribed[m]...)
	}
	out := AnomaliesImplying(direct)
	sort.Strings(out)
	return out, nil
}

// ImpossibleModels returns the canonical models that anomalies rule out
// (anomalies->impossible-models).
func ImpossibleModels(anomalies []string) []string {
	var direct []string
	for _, a := range ImpliedAnomalies(anomalies) {
		direct = append(direct, directProscribed.in(a)...)
	}
	out := bfs(direct, models.in)
	sort.Strings(out)
	return out
}

// Boundary returns, in friendly names, the weakest models the anomalies
// rule out (Elle's :not) and the other models they rule out (:also-not),
// each sorted (friendly-boundary).
func Boundary(anomalies []string) (not, alsoNot []string) {
	impossible := ImpossibleModels(anomalies)
	// Weakest: drop a model when another impossible model is weaker than it.
	weakest := slices.Clone(impossible)
	for _, m := range impossible {
		rest := slices.DeleteFunc(slices.Clone(weakest), func(x string) bool { return x == m })
		for _, x := range bfs([]string{m}, func(v string) []string { return models[v] }) {
			if slices.Contains(rest, x) {
				weakest = rest
				break
			}
		}
	}
	for _, m := range impossible {
		if slices.Contains(weakest, m) {
			not = append(not, FriendlyModel(m))
		} else {
			alsoNot = append(alsoNot, FriendlyModel(m))
		}
	}
	sort.Strings(not)
	sort.Strings(alsoNot)
	return slices.Compact(not), slices.Compact(alsoNot)
}

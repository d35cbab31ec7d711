package elle

import (
	"slices"
	"sort"
	"strings"
)

// Case is one instance of an anomaly: a Cycle, a G1a read, a
// CycleSearchTimeout, ...
type Case interface {
	String() string
	// Involved returns the transactions the case involves, by their
	// Op.Index, in the order String names them; nil when it names none.
	Involved() []int
}

// Anomalies maps anomaly names ("G1c", "internal", ...) to their cases.
type Anomalies map[string][]Case

// Add records one case of anomaly name.
func (a Anomalies) Add(name string, c Case) { a[name] = append(a[name], c) }

// Merge adds every case of b to a.
func (a Anomalies) Merge(b Anomalies) {
	for k, cs := range b {
		a[k] = append(a[k], cs...)
	}
}

// Types lists the anomaly names, sorted as Clojure sorts keywords.
func (a Anomalies) Types() []string {
	var ts []string
	for t := range a {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return ts
}

// Text is a Case that is just a sentence.
type Text string

// String implements Case.
func (t Text) String() string { return string(t) }

// Involved implements Case: a sentence names no transaction.
func (t Text) Involved() []int { return nil }

// Anomaly names that make Elle's verdict unknown rather than false
// (unknown-anomaly-types).
const (
	EmptyTransactionGraph     = "empty-transaction-graph"
	CycleSearchTimeoutAnomaly = "cycle-search-timeout"
)

// Expectation is what a checker is asked to hold: Elle's
// :consistency-models and :anomalies options.
type Expectation struct {
	Models    []string // default (nil): strict-serializable
	Anomalies []string // further anomalies to forbid, with every anomaly implying one
}

// Prohibited returns the anomalies that fail the check
// (prohibited-anomaly-types), sorted.
func (e Expectation) Prohibited() ([]string, error) {
	ms := e.Models
	if ms == nil {
		ms = []string{"strict-serializable"}
	}
	p, err := ProhibitedBy(ms)
	if err != nil {
		return nil, err
	}
	if len(e.Anomalies) > 0 {
		for _, a := range AnomaliesImplying(e.Anomalies) {
			if !slices.Contains(p, a) {
				p = append(p, a)
			}
		}
		sort.Strings(p)
	}
	return p, nil
}

// Reportable returns the anomalies worth reporting: the prohibited ones and
// those that make the verdict unknown (reportable-anomaly-types).
func (e Expectation) Reportable() ([]string, error) {
	p, err := e.Prohibited()
	if err != nil {
		return nil, err
	}
	return append(p, EmptyTransactionGraph, CycleSearchTimeoutAnomaly), nil
}

// Orders returns which order graphs the analysis needs (additional-graphs):
// the real-time order when a reportable anomaly is a -realtime one, else
// the process order when one is a -process one.
func (e Expectation) Orders() (realtime, process bool, err error) {
	r, err := e.Reportable()
	if err != nil {
		return false, false, err
	}
	for _, a := range r {
		if IsCycleType(a) && strings.HasSuffix(a, "-realtime") {
			return true, false, nil
		}
	}
	for _, a := range r {
		if IsCycleType(a) && strings.HasSuffix(a, "-process") {
			return false, true, nil
		}
	}
	return false, false, nil
}

// CycleTypesToFind returns the cycle types whose presence changes the
// result: the reportable ones, in search order.
func (e Expectation) CycleTypesToFind() ([]string, error) {
	r, err := e.Reportable()
	if err != nil {
		return nil, err
	}
	out := []string{} // not nil: FindCycles reads nil as every type
	for _, t := range CycleTypes {
		if slices.Contains(r, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

// Result is Elle's verdict (elle.txn/result-map).
type Result struct {
	Valid   bool // Elle's :valid? true
	Unknown bool // Elle's :valid? :unknown (then Valid is false)
	// AnomalyTypes are the reportable anomalies found, sorted; Anomalies
	// their cases.
	AnomalyTypes []string
	Anomalies    Anomalies
	// Not and AlsoNot are the models the anomalies found rule out: the
	// weakest ones, and the rest (friendly names).
	Not, AlsoNot []string
}

// Evaluate judges found anomalies against e (result-map): invalid when a
// prohibited anomaly is present, unknown when only anomalies that make the
// analysis inconclusive are, valid otherwise.
func (e Expectation) Evaluate(found Anomalies) (Result, error) {
	prohibited, err := e.Prohibited()
	if err != nil {
		return Result{}, err
	}
	reportable, _ := e.Reportable()
	res := Result{Anomalies: Anomalies{}}
	bad := false
	for t, cs := range found {
		if slices.Contains(reportable, t) {
			res.Anomalies[t] = cs
		}
		if slices.Contains(prohibited, t) {
			bad = true
		}
	}
	if len(res.Anomalies) == 0 {
		res.Valid = true
		return res, nil
	}
	res.AnomalyTypes = res.Anomalies.Types()
	res.Unknown = !bad
	res.Not, res.AlsoNot = Boundary(found.Types())
	return res, nil
}

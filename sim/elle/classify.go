package elle

// Cycle anomaly names, as Elle 0.1.6 classifies cycles (elle.txn's
// cycle-explainer): the data-dependency type by the explained edges' kinds,
// then a -process or -realtime suffix when the cycle needs those orders.
const (
	G0           = "G0"            // ww edges only
	G1c          = "G1c"           // ww and wr, at least one wr
	GSingle      = "G-single"      // exactly one rw
	GNonadjacent = "G-nonadjacent" // two or more rw, no two adjacent
	G2Item       = "G2-item"       // two or more rw, some adjacent
)

// CycleTypes lists every cycle anomaly in Elle's order of severity
// (elle.txn/cycle-type-priorities): the order in which they are searched.
var CycleTypes = []string{
	"G0", "G1c", "G-single", "G-nonadjacent", "G2-item",
	"G0-process", "G1c-process", "G-single-process", "G-nonadjacent-process", "G2-item-process",
	"G0-realtime", "G1c-realtime", "G-single-realtime", "G-nonadjacent-realtime", "G2-item-realtime",
}

// IsCycleType reports whether name is one of CycleTypes.
func IsCycleType(name string) bool {
	for _, t := range CycleTypes {
		if t == name {
			return true
		}
	}
	return false
}

// Classify names the anomaly of a cycle whose consecutive edges are
// explained by kinds (the last one closing the cycle), exactly as Elle's
// cycle explainer does: by the number of rw edges (one: G-single; more:
// G2-item when two are adjacent, counting the last and first as adjacent,
// G-nonadjacent otherwise), else G1c when some edge is wr, else G0; then
// "-realtime" when any edge is realtime, else "-process" when any is
// process. It returns "" when no edge is a data dependency (Elle throws).
func Classify(kinds []Kind) string {
	var n [numKinds]int
	adjacent := false
	for i, k := range kinds {
		n[k]++
		prev := kinds[(i+len(kinds)-1)%len(kinds)]
		if k == RW && prev == RW && len(kinds) > 1 {
			adjacent = true
		}
	}
	var t string
	switch {
	case n[RW] == 1:
		t = GSingle
	case n[RW] > 1 && adjacent:
		t = G2Item
	case n[RW] > 1:
		t = GNonadjacent
	case n[WR] > 0:
		t = G1c
	case n[WW] > 0:
		t = G0
	default:
		return ""
	}
	switch {
	case n[Realtime] > 0:
		t += "-realtime"
	case n[Process] > 0:
		t += "-process"
	}
	return t
}

// cycleSpec is what a cycle of one type is made of, in explained kinds.
type cycleSpec struct {
	name  string
	base  string
	order Kind // Process or Realtime for the suffixed types; numKinds for none
	// allowed are the kinds the cycle's non-rw edges may have.
	allowed Kinds
}

func specOf(name string) (cycleSpec, bool) {
	if !IsCycleType(name) {
		return cycleSpec{}, false
	}
	s := cycleSpec{name: name, base: name, order: numKinds}
	switch {
	case len(name) > 9 && name[len(name)-9:] == "-realtime":
		s.base, s.order = name[:len(name)-9], Realtime
	case len(name) > 8 && name[len(name)-8:] == "-process":
		s.base, s.order = name[:len(name)-8], Process
	}
	s.allowed = KindsOf(WW, WR)
	if s.base == G0 {
		s.allowed = KindsOf(WW)
	}
	switch s.order {
	case Process:
		s.allowed |= KindsOf(Process)
	case Realtime:
		// A realtime cycle may take process edges too: the suffix is
		// -realtime as soon as one edge is realtime.
		s.allowed |= KindsOf(Process, Realtime)
	}
	return s, true
}

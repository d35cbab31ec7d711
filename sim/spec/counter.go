package spec

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
	"strings"

	"github.com/glomers/glomers/sim"
	"github.com/glomers/glomers/sim/gen"
)

// counterSpec is the g-counter (negative false) or pn-counter workload.
type counterSpec struct{ negative bool }

// Preamble implements sim.Spec: counters have none.
func (*counterSpec) Preamble([]string) map[string]sim.Body { return nil }

// Generators implements sim.Spec as pn_counter.clj: a random mix of adds,
// delta uniform in [-5, 4], and reads; g_counter.clj filters the negative
// adds out of that mix, which leaves one add (delta in [0, 4]) to two
// reads. Finally one read per thread, marked final.
func (s *counterSpec) Generators(*gen.Test) (gen.Gen, gen.Gen) {
	adds := gen.FuncOp(func(t *gen.Test) gen.Op { return gen.Op{F: "add", Value: int64(t.Rand.IntN(10)) - 5} })
	load := gen.Mix(adds, gen.Repeat(-1, gen.Once(gen.Op{F: "read"})))
	if !s.negative {
		load = gen.Filter(func(op gen.Op) bool { return op.F != "add" || op.Value.(int64) >= 0 }, load)
	}
	return load, gen.EachThread(gen.Once(gen.Op{F: "read", Final: true}))
}

// Invoke implements sim.Spec. Maelstrom's counter clients translate no
// error: any error, a definite code or a timeout, crashes the client, so
// the operation is indeterminate. An ok read's value is an int64.
func (*counterSpec) Invoke(c *sim.Conn, node string, op gen.Op) (gen.Op, error) {
	if op.F == "add" {
		if err := c.RPC(node, map[string]any{"type": "add", "delta": op.Value}, 0, nil); err != nil {
			return op, err
		}
		op.Type = gen.OK
		return op, nil
	}
	var resp struct {
		Value *int64 `json:"value"`
	}
	if err := c.RPC(node, map[string]string{"type": "read"}, 0, &resp); err != nil {
		return op, err
	}
	if resp.Value == nil {
		return op, fmt.Errorf("read_ok without a value")
	}
	op.Type, op.Value = gen.OK, *resp.Value
	return op, nil
}

// Reusable implements sim.Spec: Maelstrom's counter clients are not.
func (*counterSpec) Reusable() bool { return false }

// Checker implements sim.Spec with check: a counter's reads are single
// numbers, cheap to keep.
func (*counterSpec) Checker() sim.Checker { return sim.WholeHistory(checkCounter) }

// checkCounter judges a whole counter history: every ok final read must equal the sum of the
// ok adds plus the deltas of some subset of the indeterminate (info) ones.
// Non-final reads are not judged (the counter is only eventually
// consistent); how many fall outside [Σ negative, Σ positive] of the adds
// that could have happened before them is reported as a statistic.
func checkCounter(h sim.History) sim.Result {
	v := newVerdict()
	type add struct {
		idx   int
		delta int64
	}
	var adds []add // ok and info adds, in invocation order
	var definite int64
	var maybe []int64
	for i, op := range h {
		if op.F != "add" || op.Status == sim.Fail {
			continue
		}
		d, _ := op.Value.(int64)
		adds = append(adds, add{i, d})
		if op.Status == sim.OK {
			definite += d
		} else {
			maybe = append(maybe, d)
		}
	}
	acceptable := newSubsetSums(definite, maybe)

	type read struct {
		idx int
		val int64
	}
	var finals, outOfBounds int
	var nonFinal []read
	for i, op := range h {
		if op.F != "read" || op.Status != sim.OK {
			continue
		}
		val, _ := op.Out.(int64)
		if op.Final {
			finals++
			if !acceptable.contains(val) {
				v.add("wrong-final-read", "%s read %d; acceptable: %s", describe(op), val, acceptable)
			}
			continue
		}
		nonFinal = append(nonFinal, read{i, val})
	}

	// Non-final sanity: sweep reads by completion time over adds by
	// invocation time, keeping the sums of positive and negative deltas.
	slices.SortFunc(nonFinal, func(a, b read) int { return cmp.Compare(h[a.idx].Complete, h[b.idx].Complete) })
	var lo, hi int64
	next := 0
	for _, r := range nonFinal {
		for next < len(adds) && h[adds[next].idx].Invoke <= h[r.idx].Complete {
			if d := adds[next].delta; d < 0 {
				lo += d
			} else {
				hi += d
			}
			next++
		}
		if r.val < lo || r.val > hi {
			outOfBounds++
		}
	}

	v.stats["definite-sum"] = definite
	v.stats["indeterminate-adds"] = len(maybe)
	v.stats["acceptable"] = acceptable.String()
	v.stats["acceptable-exact"] = acceptable.exact()
	v.stats["final-read-count"] = finals
	v.stats["nonfinal-read-count"] = len(nonFinal)
	v.stats["nonfinal-reads-out-of-bounds"] = outOfBounds
	return v.result()
}

// maxSubsetBits bounds the bitset of reachable sums (2 MiB); wider spreads
// of indeterminate deltas fall back to the hull [min, max].
const maxSubsetBits = 1 << 24

// subsetSums is the set of sums base + Σ of a subset of some deltas. Taking
// every negative delta as the starting point turns each delta into an
// optional non-negative step, so the set is a bitset of offsets from the
// smallest sum, built by shift-or: O(len(deltas) · width/64).
type subsetSums struct {
	lo, hi int64    // the smallest and largest sums
	set    []uint64 // bit i: lo+i is reachable; nil when approximated by [lo, hi]
}

func newSubsetSums(base int64, deltas []int64) *subsetSums {
	s := &subsetSums{lo: base, hi: base}
	var width int64
	for _, d := range deltas {
		if d < 0 {
			s.lo += d
			width -= d
		} else {
			s.hi += d
			width += d
		}
	}
	if width >= maxSubsetBits {
		return s
	}
	s.set = make([]uint64, width/64+1)
	s.set[0] = 1
	for _, d := range deltas {
		if d != 0 {
			shiftOr(s.set, uint64(max(d, -d)))
		}
	}
	return s
}

// shiftOr sets b |= b << n (bits beyond the slice are dropped).
func shiftOr(b []uint64, n uint64) {
	words, off := int(n/64), n%64
	for i := len(b) - 1; i >= words; i-- {
		x := b[i-words] << off
		if off != 0 && i-words-1 >= 0 {
			x |= b[i-words-1] >> (64 - off)
		}
		b[i] |= x
	}
}

func (s *subsetSums) exact() bool { return s.set != nil }

func (s *subsetSums) contains(v int64) bool {
	if v < s.lo || v > s.hi {
		return false
	}
	if s.set == nil {
		return true
	}
	i := uint64(v - s.lo)
	return s.set[i/64]&(1<<(i%64)) != 0
}

// ranges lists the reachable sums as closed intervals, at most limit of them.
func (s *subsetSums) ranges(limit int) (rs [][2]int64, more bool) {
	if s.set == nil {
		return [][2]int64{{s.lo, s.hi}}, false
	}
	width := s.hi - s.lo
	for i := int64(0); i <= width; {
		w := s.set[i/64] >> (i % 64)
		if w&1 == 0 {
			// Skip the run of zeros.
			if w == 0 {
				i += 64 - i%64
			} else {
				i += int64(bits.TrailingZeros64(w))
			}
			continue
		}
		start := i
		for i <= width && s.set[i/64]&(1<<(i%64)) != 0 {
			i++
		}
		if len(rs) == limit {
			return rs, true
		}
		rs = append(rs, [2]int64{s.lo + start, s.lo + i - 1})
	}
	return rs, false
}

// String lists the acceptable values as intervals.
func (s *subsetSums) String() string {
	rs, more := s.ranges(8)
	parts := make([]string, 0, len(rs)+1)
	for _, r := range rs {
		if r[0] == r[1] {
			parts = append(parts, fmt.Sprint(r[0]))
		} else {
			parts = append(parts, fmt.Sprintf("%d..%d", r[0], r[1]))
		}
	}
	if more {
		parts = append(parts, "…")
	}
	if s.set == nil {
		parts = append(parts, "(hull: too many indeterminate adds for an exact set)")
	}
	return strings.Join(parts, " ")
}

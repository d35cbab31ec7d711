package broadcast

import (
	"time"
)

// Rounds (Config.Rounds) trades latency for the fewest messages a spanning
// tree allows: every node batches, leaves included, and the batches are
// timed so that one round carries a value across a star.
//
//   - Timing. Rounds are Batch long and aligned to the clock (multiples of
//     Batch since Go's zero time): a leaf flushes at the start of each
//     round, every other node RoundLag later, once the leaves' batches have
//     arrived. In a star a leaf's value thus waits for the next round,
//     reaches the centre, and goes on to every other leaf RoundLag later:
//     at most Batch + RoundLag plus two network latencies from client to
//     everywhere, and 2(N-1) messages a round under load, the fewest with
//     which every node can hear from every other. Clocks that disagree
//     cost latency only, never a value: nothing depends on timing for
//     correctness.
//   - Anti-entropy inside the rounds. Every round message carries its
//     sender's digest (gossipBody.Have), and each node keeps the last
//     digest it heard from each tree neighbour: what that neighbour held
//     then, so never more than it holds now (nothing heard yet counts as
//     nothing held). Each round a node sends a neighbour, besides what is
//     queued for it, every value that digest lacks and this node has held
//     for at least a round (so not merely in flight); and a node that
//     received values from a neighbour answers in its next round even if
//     it has nothing to send, so that the neighbour's view of it is fresh
//     and it stops re-offering them. A value lost to a partition is thus
//     offered again every round until a digest shows it arrived: the first
//     round after a heal carries everything the other side lacks, and a
//     repair costs no message of its own while clients write (rounds go
//     out anyway) and one answer per repair message when they do not. No
//     digest rotation runs (Tick sends nothing), and a node sends nothing
//     once every neighbour's digest shows it holds everything.
//
// The price is partitions that are not transitive (a leaf that can reach
// other leaves but not the centre): the tree cannot route around them, so
// the values they hold back wait for the heal, where the rotation could
// sometimes have carried them across earlier.
type rounds struct {
	known map[int][]int // peer → the digest it last sent
	acks  map[int]bool  // peers whose last round message carried values, to answer
}

func newRounds() rounds {
	return rounds{known: make(map[int][]int), acks: make(map[int]bool)}
}

// roundDigest takes the digest a round message carried from peer from
// (values is how many values it carried).
func (e *Engine) roundDigest(from string, have []int, values int) error {
	f, err := e.checkDigest(from, have)
	if err != nil {
		return err
	}
	e.rs.known[f] = have
	if values > 0 {
		e.rs.acks[f] = true
	}
	return nil
}

// NextRound returns the time of this node's next round strictly after now:
// the next multiple of Batch for a leaf, and RoundLag past one for any
// other node. Without Rounds it returns the zero time.
func (e *Engine) NextRound(now time.Time) time.Time {
	if !e.cfg.Rounds {
		return time.Time{}
	}
	at := now.Truncate(e.cfg.Batch)
	if !e.tree.Leaf() {
		at = at.Add(e.cfg.RoundLag)
	}
	for !at.After(now) {
		at = at.Add(e.cfg.Batch)
	}
	return at
}

// Round is this node's round (the timer NextRound sets): to each tree
// neighbour, one message with this node's digest, what is queued for it,
// and what its last digest lacks of the values held for a round, if that
// is anything or the neighbour sent values since the last round. Without
// Rounds it sends nothing.
func (e *Engine) Round(now time.Time) []Out {
	if !e.cfg.Rounds {
		return nil
	}
	cutoff := now.Add(-e.cfg.Batch).UnixNano()
	none := make([]int, len(e.ids)) // the digest of a neighbour not heard from yet
	var (
		outs []Out
		have []int // this node's digest, computed once
	)
	for _, d := range e.tree.Targets(-1) {
		known, ok := e.rs.known[d]
		if !ok {
			known = none
		}
		segs := appendAbsent(e.q.take(d), e.st.missing(known, cutoff))
		if len(segs) == 0 && !e.rs.acks[d] {
			continue
		}
		delete(e.rs.acks, d)
		if have == nil {
			have = e.st.digest()
		}
		chunks := chunk(segs, maxValuesPerMessage)
		if len(chunks) == 0 {
			chunks = [][]Segment{{}}
		}
		for _, c := range chunks {
			outs = append(outs, Out{Dest: e.ids[d], Body: gossipBody{Type: typeGossip, Segs: c, Have: have}})
		}
	}
	return outs
}

// appendAbsent appends to segs the values of more that segs does not hold
// already (by origin and sequence number).
func appendAbsent(segs, more []Segment) []Segment {
	if len(more) == 0 {
		return segs
	}
	held := map[[2]int]bool{}
	for _, sg := range segs {
		for i := range sg.Values {
			held[[2]int{sg.Origin, sg.Seq + i}] = true
		}
	}
	for _, sg := range more {
		for i, v := range sg.Values {
			if !held[[2]int{sg.Origin, sg.Seq + i}] {
				segs = appendValue(segs, sg.Origin, sg.Seq+i, v)
			}
		}
	}
	return segs
}

var DBG = func(string, time.Time, int, []int, []Segment, int64) {}

package raft

// raftLog is the in-memory log. Index 0 holds a sentinel of term 0, so
// entry i is entries[i] and the log matching checks need no special case
// for the start. There is no compaction: a Maelstrom run is short.
type raftLog struct {
	entries []Entry
}

func newLog() raftLog { return raftLog{entries: []Entry{{}}} }

// last is the index of the last entry.
func (l *raftLog) last() uint64 { return uint64(len(l.entries) - 1) }

// term is the term of entry i, or 0 when there is none.
func (l *raftLog) term(i uint64) uint64 {
	if i > l.last() {
		return 0
	}
	return l.entries[i].Term
}

// matches reports whether the log holds an entry at index i of term t.
func (l *raftLog) matches(i, t uint64) bool { return i <= l.last() && l.entries[i].Term == t }

// upToDate reports whether a log ending with (index, term) is at least as
// up to date as this one (Raft §5.4.1).
func (l *raftLog) upToDate(index, term uint64) bool {
	lt := l.term(l.last())
	return term > lt || (term == lt && index >= l.last())
}

// slice returns entries lo..hi inclusive, copied into a fresh slice so a
// message never aliases the log.
func (l *raftLog) slice(lo, hi uint64) []Entry {
	if lo > hi {
		return nil
	}
	return append([]Entry(nil), l.entries[lo:hi+1]...)
}

// merge stores ents after index prev, which the caller has checked
// matches. An entry already present with the same term is kept; the first
// conflicting one and everything after it are replaced (§5.3). Entries of
// an append that arrives late and holds nothing new change nothing, so a
// reordered append can never shorten the log.
func (l *raftLog) merge(prev uint64, ents []Entry) {
	for k, e := range ents {
		i := prev + 1 + uint64(k)
		if i <= l.last() {
			if l.entries[i].Term == e.Term {
				continue
			}
			l.entries = l.entries[:i]
		}
		for _, e := range ents[k:] {
			l.append(e)
		}
		return
	}
}

// append adds e at the end, numbering it.
func (l *raftLog) append(e Entry) {
	e.Index = uint64(len(l.entries))
	l.entries = append(l.entries, e)
}

package raft

import "slices"

// broadcast sends one round: to each follower that has something coming,
// the entries it lacks (up to MaxInflight appends of MaxBatch entries,
// sent without waiting for acknowledgements), or else a heartbeat. Every
// message carries the commit index, the round number, which the follower
// echoes to confirm pending reads, and the follower's reads. A follower
// gets nothing in a round that holds nothing for it: no entries, no reads,
// no confirmation asked, no commit it needs, and a heartbeat not yet due.
func (r *Raft) broadcast() {
	r.round++
	r.lastRound, r.dirty = r.now, false
	confirm := r.urgent || slices.ContainsFunc(r.reads, func(rd pendingRead) bool {
		return rd.round == r.round && (rd.from == r.cfg.ID || r.quorum > 2)
	})
	r.urgent = false
	for p := range r.peers() {
		r.sendAppends(p, confirm)
	}
	if r.quorum == 1 {
		r.confirmReads()
	}
}

func (r *Raft) sendAppends(p int, confirm bool) {
	pr := &r.prs[p]
	if len(pr.flights) > 0 && r.now.Sub(pr.waitSince) >= r.cfg.HeartbeatInterval {
		// Nothing in flight has been acknowledged for a heartbeat
		// interval: take it as lost and go back to what the follower is
		// known to hold.
		pr.next, pr.flights = pr.match+1, nil
	}
	reads := r.readsFor(p)
	sent := false
	// Followers that cannot count for themselves need the commit index.
	commitNews := r.quorum > 2 && pr.sentCommit < r.commit
	heartbeat := r.now.Sub(pr.lastSent) >= r.cfg.HeartbeatInterval
	// With a quorum of two, entries a follower forwarded need only reach
	// it (it and the leader are a majority); the other follower gets them
	// with whatever it gets next, at the latest its heartbeat.
	eager := confirm || pr.wants || r.quorum > 2 || heartbeat || len(reads) > 0
	pr.sentCommit, pr.wants = r.commit, false
	for eager && len(pr.flights) < r.cfg.MaxInflight && pr.next <= r.log.last() {
		hi := min(r.log.last(), pr.next+uint64(r.cfg.MaxBatch)-1)
		r.send(Message{Kind: MsgApp, To: p, PrevIndex: pr.next - 1, PrevTerm: r.log.term(pr.next - 1),
			Entries: r.log.slice(pr.next, hi), Commit: r.commit, Round: r.round, Reads: reads, Confirm: confirm})
		if len(pr.flights) == 0 {
			pr.waitSince = r.now
		}
		pr.next, reads, sent = hi+1, nil, true
		pr.flights = append(pr.flights, hi)
		pr.lastSent = r.now
	}
	if !sent && (len(reads) > 0 || confirm || commitNews || heartbeat) {
		// A heartbeat checks only what the follower is known to hold.
		r.send(Message{Kind: MsgApp, To: p, PrevIndex: pr.match, PrevTerm: r.log.term(pr.match),
			Commit: r.commit, Round: r.round, Reads: reads, Confirm: confirm})
		pr.lastSent = r.now
	}
}

// readsFor takes the read states to send follower p. With a quorum of two
// (two or three nodes) the follower's own acceptance of this round, in
// this term, is the second vote that confirms the leader: its reads go out
// unconfirmed in the first round after they arrived. Otherwise they go out
// once a majority has acknowledged their round.
func (r *Raft) readsFor(p int) []ReadState {
	out := r.delivered[p]
	r.delivered[p] = nil
	if r.quorum == 2 {
		r.reads = slices.DeleteFunc(r.reads, func(rd pendingRead) bool {
			if rd.from == p && rd.round <= r.round {
				out = append(out, ReadState{ID: rd.id, Index: rd.index})
				return true
			}
			return false
		})
	}
	return out
}

// handleAppend is a follower receiving its leader's append or heartbeat
// (the term rules have run: m.Term is this node's term).
func (r *Raft) handleAppend(m Message) {
	if r.state != Follower || r.leader != m.From {
		r.becomeFollower(r.term, m.From)
	}
	r.leaderContact, r.isolated = r.now, false
	r.resetElectionTimer()
	r.ready = append(r.ready, m.Reads...)
	resp := Message{Kind: MsgAppResp, To: m.From, Round: m.Round}
	if !r.log.matches(m.PrevIndex, m.PrevTerm) {
		resp.Reject, resp.Index = true, min(m.PrevIndex-1, r.log.last())
		r.ack(resp)
		r.releaseReads()
		return
	}
	r.log.merge(m.PrevIndex, m.Entries)
	matched := m.PrevIndex + uint64(len(m.Entries))
	commit := min(m.Commit, matched)
	if r.quorum == 2 && r.log.term(matched) == r.term {
		// This entry, of the leader's own term, is now held by the leader
		// and this node, a majority: committed (§5.4.2), whatever the
		// leader knows yet.
		commit = matched
	}
	r.setCommit(commit)
	resp.Index = matched
	if r.owed != nil {
		resp.Index, resp.Round = max(resp.Index, r.owed.Index), max(resp.Round, r.owed.Round)
	}
	switch {
	case m.Confirm || r.now.Sub(r.lastAckSent) >= r.cfg.HeartbeatInterval/2:
		r.ack(resp)
	case len(m.Entries) > 0 || r.now.Sub(r.lastAckSent) >= r.cfg.HeartbeatInterval:
		r.owed = &resp
	}
}

// ack sends an acknowledgement now. Appends that ask to Confirm are
// acknowledged at once; others at most once per half heartbeat interval,
// the latest standing for all, so that a follower that proposed the
// entries (and, with a quorum of two, committed them itself) does not
// double the messages of every round.
func (r *Raft) ack(m Message) {
	r.lastAckSent, r.owed = r.now, nil
	r.send(m)
}

// handleAppendResp is the leader learning what a follower holds.
func (r *Raft) handleAppendResp(m Message) {
	if r.state != Leader {
		return
	}
	pr := &r.prs[m.From]
	pr.lastAck = r.now
	pr.ackRound = max(pr.ackRound, m.Round)
	if m.Reject {
		pr.next = max(pr.match+1, min(pr.next, m.Index+1))
		pr.flights, pr.wants = nil, true
		r.dirty = true
	} else {
		if m.Index > pr.match {
			pr.match, pr.waitSince = m.Index, r.now
		}
		pr.next = max(pr.next, m.Index+1)
		for len(pr.flights) > 0 && pr.flights[0] <= m.Index {
			pr.flights = pr.flights[1:]
		}
		if pr.next <= r.log.last() {
			r.dirty = true
		}
		// A follower more than an append behind is catching up: keep
		// its pipeline full.
		pr.wants = pr.wants || r.log.last()-pr.match > uint64(r.cfg.MaxBatch)
		r.advanceCommit()
	}
	r.confirmReads()
}

// advanceCommit commits the highest index a majority holds, if it is of
// the leader's term (an older one is committed with it, never by counting).
func (r *Raft) advanceCommit() {
	match := []uint64{r.log.last()}
	for p := range r.peers() {
		match = append(match, r.prs[p].match)
	}
	slices.Sort(match)
	c := match[len(match)-r.quorum]
	if c > r.commit && r.log.term(c) == r.term {
		r.setCommit(c)
		if r.quorum > 2 {
			r.dirty = true // followers cannot count for themselves: tell them
		}
	}
}

// setCommit raises the commit index, hands out what it commits and the
// reads that it makes safe.
func (r *Raft) setCommit(c uint64) {
	if c > r.commit {
		r.commit = c
	}
	for r.apply < r.commit {
		r.apply++
		r.out.Committed = append(r.out.Committed, r.log.entries[r.apply])
	}
	r.releaseReads()
}

// releaseReads hands out this node's confirmed reads whose index is
// applied.
func (r *Raft) releaseReads() {
	r.ready = slices.DeleteFunc(r.ready, func(rd ReadState) bool {
		if rd.Index <= r.apply {
			r.out.Reads = append(r.out.Reads, rd)
			return true
		}
		return false
	})
}

// addRead records a read request at the leader. Its index is the leader's
// last index, not its commit index: with a quorum of two a follower may
// learn an entry is committed (and answer its client) before the leader
// does, and every entry committed anywhere is in the leader's log.
func (r *Raft) addRead(from int, id uint64) {
	r.reads = append(r.reads, pendingRead{from: from, id: id, index: r.log.last(), round: r.round + 1})
	r.dirty = true
	if r.quorum == 1 {
		r.confirmReads()
	}
}

// confirmReads moves the reads whose round a majority has acknowledged to
// where they are answered: this node's own to ready, a follower's to its
// next append.
func (r *Raft) confirmReads() {
	rounds := []uint64{r.round}
	for p := range r.peers() {
		rounds = append(rounds, r.prs[p].ackRound)
	}
	slices.Sort(rounds)
	confirmed := rounds[len(rounds)-r.quorum]
	r.reads = slices.DeleteFunc(r.reads, func(rd pendingRead) bool {
		switch {
		case rd.round > confirmed:
			return false
		case rd.from == r.cfg.ID:
			r.ready = append(r.ready, ReadState{ID: rd.id, Index: rd.index})
		case r.quorum == 2:
			return false // goes out with the follower's next append (readsFor)
		default:
			r.delivered[rd.from] = append(r.delivered[rd.from], ReadState{ID: rd.id, Index: rd.index})
			r.dirty = true
		}
		return true
	})
	r.releaseReads()
}

// handleForward is the leader taking a follower's proposals and reads. A
// node that is not the leader drops them: the sender's caller retries with
// the next leader.
func (r *Raft) handleForward(m Message) {
	if r.state != Leader {
		return
	}
	r.prs[m.From].wants = len(m.Proposals) > 0
	for _, d := range m.Proposals {
		r.log.append(Entry{Term: r.term, Data: d})
		// Followers that cannot count for themselves wait on the leader.
		r.urgent = r.urgent || r.quorum > 2
	}
	for _, id := range m.ReadIDs {
		r.addRead(m.From, id)
	}
	r.dirty = true
}

// flushForward sends a follower's pending proposals and reads to its
// leader in one message.
func (r *Raft) flushForward() {
	if r.leader < 0 || (len(r.fwdProps) == 0 && len(r.fwdReads) == 0) {
		return
	}
	r.send(Message{Kind: MsgForward, To: r.leader, Proposals: r.fwdProps, ReadIDs: r.fwdReads})
	r.fwdProps, r.fwdReads = nil, nil
}

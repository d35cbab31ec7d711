package raft

// campaign starts a pre-vote (pre) or a real election. A pre-vote asks
// for votes at the next term without taking it; only once a majority says
// it would grant them does the node raise its term and ask for real.
func (r *Raft) campaign(pre bool) {
	if pre {
		r.state = PreCandidate
		r.campaignStart = r.now
	} else {
		r.state = Candidate
		r.term++
		r.vote = r.cfg.ID
	}
	r.leader = -1
	r.answered, r.granted = map[int]bool{}, map[int]bool{}
	r.resetElectionTimer()
	if r.quorum == 1 {
		r.winCampaign()
		return
	}
	kind, term := MsgVote, r.term
	if pre {
		kind, term = MsgPreVote, r.term+1
	}
	for p := range r.peers() {
		r.send(Message{Kind: kind, To: p, LastIndex: r.log.last(), LastTerm: r.log.term(r.log.last())})
		r.out.Messages[len(r.out.Messages)-1].Term = term
	}
}

// winCampaign moves a pre-candidate on to the real election and makes a
// candidate the leader.
func (r *Raft) winCampaign() {
	if r.state == PreCandidate {
		r.campaign(false)
		return
	}
	r.becomeLeader()
}

// handleVote answers a pre-vote or a vote. Both need the candidate's log
// to be at least as up to date as this one; a pre-vote is refused while
// this node hears from a leader, and a vote is granted to one candidate a
// term.
func (r *Raft) handleVote(m Message) {
	upToDate := r.log.upToDate(m.LastIndex, m.LastTerm)
	if m.Kind == MsgPreVote {
		grant := m.Term > r.term && !r.inLease() && upToDate
		resp := Message{Kind: MsgPreVoteResp, To: m.From, Granted: grant}
		r.send(resp)
		if grant {
			r.out.Messages[len(r.out.Messages)-1].Term = m.Term
		}
		return
	}
	grant := (r.vote == -1 || r.vote == m.From) && upToDate
	if grant {
		r.vote = m.From
		r.resetElectionTimer()
	}
	r.send(Message{Kind: MsgVoteResp, To: m.From, Granted: grant})
}

// handleVoteResp counts an answer to this node's campaign. Any answer,
// granted or not, shows the voter is reachable: a majority of answers
// clears Isolated.
func (r *Raft) handleVoteResp(m Message) {
	pre := m.Kind == MsgPreVoteResp
	if (pre && r.state != PreCandidate) || (!pre && r.state != Candidate) {
		return
	}
	r.answered[m.From] = true
	if m.Granted {
		r.granted[m.From] = true
	}
	if len(r.answered)+1 >= r.quorum {
		r.isolated = false
	}
	if len(r.granted)+1 >= r.quorum {
		r.winCampaign()
	}
}

// becomeLeader takes over: every follower is assumed to need everything
// after the leader's log (pipelining corrects that at the first
// rejection), and a no-op of the new term is appended, since only an entry
// of its own term lets a leader commit what earlier terms left.
func (r *Raft) becomeLeader() {
	r.state, r.leader, r.isolated = Leader, r.cfg.ID, false
	r.elected = r.now
	r.prs = make([]progress, r.cfg.N)
	for p := range r.prs {
		r.prs[p] = progress{next: r.log.last() + 1, lastAck: r.now}
	}
	r.reads = nil
	r.log.append(Entry{Term: r.term})
	r.fwdProps, r.fwdReads = nil, nil
	r.broadcast()
}

// hasQuorumContact reports whether a majority, this leader included, has
// answered within an election timeout (check quorum).
func (r *Raft) hasQuorumContact() bool {
	n := 1
	for p := range r.peers() {
		if r.now.Sub(r.prs[p].lastAck) < r.cfg.ElectionTimeout {
			n++
		}
	}
	return n >= r.quorum
}

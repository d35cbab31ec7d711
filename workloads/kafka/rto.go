package kafka

import (
	"sync"
	"time"
)

// maxBackoff bounds how many times in a row a timeout doubles the time
// limit of lin-kv requests: at most 2^maxBackoff times the estimate.
const maxBackoff = 5

// rto is how long a lin-kv request may take before it is given up, adapted
// to the latency the node sees, the way TCP sets its retransmission timeout
// (RFC 6298): the smoothed round trip plus four times its mean deviation,
// never below a floor (Config.RPC), and doubled by every timeout until a
// request succeeds again. A fixed limit would fail every request once the
// network's latency outgrows it (Maelstrom's --latency has no upper
// bound), and would cut off the tail of exponential latency again and
// again; an adaptive one follows the network and costs nothing at low
// latency, where the floor rules. It is safe for concurrent use.
type rto struct {
	floor time.Duration

	mu      sync.Mutex
	srtt    time.Duration // smoothed round trip; zero before the first sample
	rttvar  time.Duration // mean deviation of the round trip
	backoff int           // timeouts in a row, since the last success
}

func newRTO(floor time.Duration) *rto { return &rto{floor: floor} }

// limit is the time limit of the next request.
func (r *rto) limit() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.limitLocked()
}

func (r *rto) limitLocked() time.Duration {
	return max(r.floor, r.srtt+4*r.rttvar) << r.backoff
}

// sample records a request answered after d, which ends any back-off.
func (r *rto) sample(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.srtt == 0 {
		r.srtt, r.rttvar = d, d/2
	} else {
		r.rttvar = (3*r.rttvar + (r.srtt - d).Abs()) / 4
		r.srtt = (7*r.srtt + d) / 8
	}
	r.backoff = 0
}

// expired records a request that got no answer within limit, the limit it
// was given. Only a request given the current limit doubles it: when many
// concurrent requests time out together, the limit doubles once, not once
// for each of them.
func (r *rto) expired(limit time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if limit >= r.limitLocked() && r.backoff < maxBackoff {
		r.backoff++
	}
}

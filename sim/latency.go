package sim

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// latency draws link delays from one of Maelstrom's distributions.
type latency struct {
	dist string
	mean time.Duration
}

func newLatency(dist string, mean time.Duration) (latency, error) {
	switch dist {
	case "constant", "uniform", "exponential":
		return latency{dist: dist, mean: mean}, nil
	}
	return latency{}, fmt.Errorf("unknown latency distribution %q (constant, uniform, exponential)", dist)
}

// draw returns one delay; r must not be used concurrently.
func (l latency) draw(r *rand.Rand) time.Duration {
	if l.mean <= 0 {
		return 0
	}
	switch l.dist {
	case "uniform":
		return time.Duration(r.Int64N(2*int64(l.mean) + 1))
	case "exponential":
		return time.Duration(r.ExpFloat64() * float64(l.mean))
	}
	return l.mean
}

// lockedRand is a random source for one sender, who may send from several
// goroutines.
type lockedRand struct {
	mu sync.Mutex
	r  *rand.Rand
}

func (l *lockedRand) delay(lat latency) time.Duration {
	if lat.mean <= 0 || lat.dist == "constant" {
		return lat.mean
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return lat.draw(l.r)
}

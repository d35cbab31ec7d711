package sim

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// latency draws link delays from one of Maelstrom's distributions, in whole
// milliseconds as Maelstrom's network does (it truncates each draw to a
// long number of milliseconds): constant, uniform over the integers
// [0, 2×mean), or exponential with the given mean.
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
	ms := l.mean.Milliseconds()
	if ms <= 0 {
		return 0
	}
	switch l.dist {
	case "uniform":
		return time.Duration(r.Int64N(2*ms)) * time.Millisecond
	case "exponential":
		return time.Duration(int64(r.ExpFloat64()*float64(ms))) * time.Millisecond
	}
	return time.Duration(ms) * time.Millisecond
}

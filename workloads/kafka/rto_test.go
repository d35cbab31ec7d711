package kafka

import (
	"testing"
	"time"
)

func TestRTO(t *testing.T) {
	const ms = time.Millisecond
	tests := []struct {
		name    string
		samples []time.Duration // round trips observed, in order
		expire  int             // then this many timeouts at the current limit
		want    time.Duration
	}{
		{"no sample: the floor", nil, 0, time.Second},
		{"fast network: the floor", []time.Duration{10 * ms, 12 * ms, 9 * ms}, 0, time.Second},
		// One sample of 600 ms: srtt 600, rttvar 300, limit 600+4·300.
		{"slow network: srtt plus four deviations", []time.Duration{600 * ms}, 0, 1800 * ms},
		{"a timeout doubles", []time.Duration{600 * ms}, 1, 3600 * ms},
		{"timeouts double up to a bound", []time.Duration{600 * ms}, 20, 1800 * ms << maxBackoff},
		{"a timeout doubles the floor too", nil, 2, 4 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRTO(time.Second)
			for _, d := range tc.samples {
				r.sample(d)
			}
			for range tc.expire {
				r.expired(r.limit())
			}
			if got := r.limit(); got != tc.want {
				t.Fatalf("limit %v, want %v", got, tc.want)
			}
		})
	}
}

// TestRTOConcurrentTimeouts: requests that were given the same limit and
// all time out double it once, and an answer ends the back-off.
func TestRTOConcurrentTimeouts(t *testing.T) {
	r := newRTO(time.Second)
	limit := r.limit()
	for range 10 {
		r.expired(limit)
	}
	if got := r.limit(); got != 2*time.Second {
		t.Fatalf("ten timeouts at one limit: limit %v, want 2s", got)
	}
	r.sample(100 * time.Millisecond)
	if got := r.limit(); got != time.Second {
		t.Fatalf("after an answer: limit %v, want the floor", got)
	}
}

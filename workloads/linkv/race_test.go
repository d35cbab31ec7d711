//go:build race

package linkv

// race is whether the race detector is on: the batching table is skipped
// under it, being a measurement, not a check.
const race = true

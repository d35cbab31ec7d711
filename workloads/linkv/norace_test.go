//go:build !race

package linkv

const race = false

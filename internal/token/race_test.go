//go:build race

package token

// raceEnabled: the race detector adds allocations of its own, and a
// varying number (sync.Pool drops a random share of what is put back).
const raceEnabled = true

//go:build race

package hostile

// raceEnabled: the race detector multiplies the cost of every memory
// access, and so of any difference between two code paths, however small
// without it: timing is judged without it (scripts/test runs the timing
// test once more, race detector off).
const raceEnabled = true

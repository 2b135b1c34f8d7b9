//go:build race

package bitmapindex

// raceEnabled: the race detector is on (it drops pooled buffers at random,
// so allocation budgets do not hold).
const raceEnabled = true

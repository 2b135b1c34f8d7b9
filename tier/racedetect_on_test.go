//go:build race

package tier_test

// raceEnabled: the race detector is on. It drops objects put into a
// sync.Pool at random, so the engine's pooled scratch state is rebuilt now
// and then and allocation budgets do not hold.
const raceEnabled = true

package tier

import (
	"iter"

	"github.com/segkit/segkit"
)

// The tests replay through days; the public methods take instants and
// count their day in the program's zone (tested in zone_test.go).

func (e *Engine) ReplayDay(h History, asOf segkit.Day) (*Timeline, error) {
	return e.replayDay(h, asOf)
}
func (e *Engine) EvaluateDay(h History, asOf segkit.Day) (Status, error) {
	return e.evaluateDay(h, asOf)
}
func (e *Engine) EvaluateAllDay(hs iter.Seq[History], asOf segkit.Day) iter.Seq2[Status, error] {
	return e.evaluateAllDay(hs, asOf)
}
func (e *Engine) ProgressDay(h History, asOf segkit.Day) (Progress, error) {
	return e.progressDay(h, asOf)
}

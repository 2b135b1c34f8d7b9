package tier

import (
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/segkit/segkit"
)

func (e *Engine) getState() *state {
	if s, ok := e.pool.Get().(*state); ok {
		return s
	}
	return &state{}
}

func (e *Engine) putState(s *state) {
	s.h, s.entries, s.ledger = nil, nil, nil
	if cap(s.contribs) > 1<<16 || cap(s.lots) > 1<<16 || cap(s.recs) > 1<<16 {
		return // do not keep a giant customer's buffers alive
	}
	e.pool.Put(s)
}

// replayInto runs the replay with s and turns a panic into an error: the
// engine must never crash its host on odd input.
func (e *Engine) replayInto(s *state, h *History, asOf segkit.Day, audit bool) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("tier: customer %q: internal error during replay: %v", h.Customer, r)
		}
	}()
	if asOf < minDay || asOf > maxDay {
		return fmt.Errorf("tier: as-of day %s outside years 1..9999", asOf)
	}
	s.reset(e, h, asOf, audit)
	return s.run()
}

// replayDay is [Engine.Replay] on a day of the program's time zone.
func (e *Engine) replayDay(h History, asOf segkit.Day) (*Timeline, error) {
	s := e.getState()
	defer e.putState(s)
	if err := e.replayInto(s, &h, asOf, true); err != nil {
		return nil, err
	}
	t := &Timeline{
		Status:       s.status(),
		Entries:      slices.Clone(s.entries),
		Ledger:       slices.Clone(s.ledger),
		GrowthLog:    slices.Clone(s.growthLog),
		e:            e,
		debt:         s.debt,
		lastActivity: s.lastActivity,
	}
	for _, l := range s.lots {
		if l.remaining > 0 {
			t.lots = append(t.lots, l)
		}
	}
	return t, nil
}

// evaluateDay is [Engine.Evaluate] on a day of the program's time zone.
func (e *Engine) evaluateDay(h History, asOf segkit.Day) (Status, error) {
	s := e.getState()
	defer e.putState(s)
	if err := e.replayInto(s, &h, asOf, false); err != nil {
		return Status{Customer: h.Customer, AsOf: asOf}, err
	}
	return s.status(), nil
}

// evaluateAllDay is [Engine.EvaluateAll] on a day of the program's time zone.
func (e *Engine) evaluateAllDay(histories iter.Seq[History], asOf segkit.Day) iter.Seq2[Status, error] {
	return func(yield func(Status, error) bool) {
		s := e.getState()
		defer e.putState(s)
		var h History // one variable for all, so that taking its address allocates once
		for h = range histories {
			var st Status
			err := e.replayInto(s, &h, asOf, false)
			if err != nil {
				st = Status{Customer: h.Customer, AsOf: asOf} // reset makes s whole again
			} else {
				st = s.status()
			}
			if !yield(st, err) {
				return
			}
		}
	}
}

// Progress is what a member needs: how far they are from the next level and
// what they must do to keep their level at the next review that can lower it.
// It is a plain value.
type Progress struct {
	Status
	// HasNext reports whether there is a level above Earned; Next is it.
	HasNext bool
	Next    Level
	// ToNext is Next's entry criteria evaluated on the qualification window:
	// the current one when upgrades are immediate, otherwise the one ending at
	// UpgradeReview. Activity after AsOf is not known, so for a future window
	// only what is already recorded and still inside that window counts.
	ToNext        Need
	UpgradeReview segkit.Day
	// Secure reports that Earned cannot be lost by a review: the base level,
	// a lifetime status or a never-downgrade policy. Otherwise KeepBy is the
	// first review at which Earned can be lost (the first after any validity
	// guarantee) or the last day of a running grace period, and ToKeep the
	// retention criteria on the window ending that day, counting the activity
	// recorded up to AsOf that is still inside it.
	Secure bool
	KeepBy segkit.Day
	ToKeep Need
}

// progressDay is [Engine.Progress] on a day of the program's time zone.
func (e *Engine) progressDay(h History, asOf segkit.Day) (p Progress, err error) {
	s := e.getState()
	defer e.putState(s)
	if err := e.replayInto(s, &h, asOf, false); err != nil {
		return Progress{Status: Status{Customer: h.Customer, AsOf: asOf}}, err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("tier: customer %q: internal error during progress: %v", h.Customer, r)
		}
	}()
	p.Status = s.status()
	win := make([]int64, len(e.metrics))
	if int(s.earned) < len(e.levels)-1 {
		p.HasNext, p.Next = true, s.earned+1
		at := asOf
		if !e.immediate {
			at = e.nextReview(asOf, s.join)
			p.UpgradeReview = at
		}
		s.sumsAt(at, win)
		p.ToNext = e.levels[p.Next].entry.need(e.metrics, win)
	}
	switch {
	case s.earned == 0 || s.earned <= s.floor || e.downgrade == DowngradeNever:
		p.Secure = true
	case s.graceOn:
		p.KeepBy = s.graceEnd
	default:
		r := e.nextReview(asOf, s.join)
		for s.validThrough >= r+1 && r < maxDay {
			r = e.nextReview(r+1, s.join)
		}
		p.KeepBy = r
	}
	if !p.Secure {
		s.sumsAt(p.KeepBy, win)
		p.ToKeep = e.levels[s.earned].retain.need(e.metrics, win)
	}
	return p, nil
}

// The public evaluations take the instant a host has, as segment, rfm and
// campaign do; the day they evaluate through is its day in the program's
// time zone ([Engine.Location]).

// Replay replays h through the end of asOf's day and returns the full
// timeline: status, every decision with its reason, and the points ledger.
// Records dated after asOf's day are not replayed (Status.Ignored counts them).
// The same history always gives the same timeline, whatever the order of
// its records (see [History]). Errors are *RecordError values for a record
// that cannot be replayed.
func (e *Engine) Replay(h History, asOf time.Time) (*Timeline, error) {
	return e.replayDay(h, e.tz.DayOf(asOf))
}

// Evaluate returns h's status as of the end of asOf's day. It is Replay
// without the audit trail, and much cheaper.
func (e *Engine) Evaluate(h History, asOf time.Time) (Status, error) {
	return e.evaluateDay(h, e.tz.DayOf(asOf))
}

// EvaluateAll evaluates every history as of the end of asOf's day, reusing
// one scratch state, and yields each status with its error (a failed
// history yields a Status carrying only Customer and AsOf). Stop early by
// breaking out of the loop.
func (e *Engine) EvaluateAll(histories iter.Seq[History], asOf time.Time) iter.Seq2[Status, error] {
	return e.evaluateAllDay(histories, e.tz.DayOf(asOf))
}

// Progress replays h through the end of asOf's day and reports the progress toward the next
// level and what is needed to keep the current one.
func (e *Engine) Progress(h History, asOf time.Time) (Progress, error) {
	return e.progressDay(h, e.tz.DayOf(asOf))
}

package tier

import (
	"fmt"
	"io"
	"iter"
	"strings"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/internal/textwidth"
)

// EntryKind classifies an audit [Entry]. It is a plain value.
type EntryKind uint8

// Audit entry kinds.
const (
	// EntryStart: the customer joined at the base level.
	EntryStart EntryKind = iota + 1
	// EntryUpgrade: entry criteria met, the earned level rose.
	EntryUpgrade
	// EntryRequalify: a review found the retention criteria met and extended
	// the validity of the earned level.
	EntryRequalify
	// EntryDowngrade: a review (or the end of a grace period) found the
	// retention criteria unmet and lowered the earned level.
	EntryDowngrade
	// EntryGrace: a review found the retention criteria unmet and started a
	// grace period.
	EntryGrace
	// EntryGraceCleared: the retention criteria are met again during grace.
	EntryGraceCleared
	// EntryRevoke: a refund took back an upgrade earned since the last review.
	EntryRevoke
	// EntryOverride: a manual override started.
	EntryOverride
	// EntryOverrideEnd: a manual override expired or was cancelled.
	EntryOverrideEnd
	// EntryLifetime: lifetime status was reached.
	EntryLifetime
)

var entryNames = [...]string{"", "start", "upgrade", "requalify", "downgrade", "grace", "grace cleared", "revoke", "override", "override end", "lifetime"}

func (k EntryKind) String() string {
	if int(k) < len(entryNames) && k != 0 {
		return entryNames[k]
	}
	return fmt.Sprintf("EntryKind(%d)", k)
}

// Entry is one decision of the replay: when it took effect, what kind it
// was, the level held before and after (equal when nothing visible changed,
// e.g. an earned change under an override) and why. It is a plain value.
type Entry struct {
	// Day the decision takes effect.
	Day  segkit.Day
	Kind EntryKind
	// From and To are the effective levels before and after.
	From, To Level
	// Earned is the earned level after the entry.
	Earned Level
	// Reason explains the decision with the figures it rests on:
	// "spend 12,400 ≥ 10,000 over rolling 12 months".
	Reason string
}

// LedgerKind classifies a [LedgerEntry]. It is a plain value.
type LedgerKind uint8

// Ledger entry kinds.
const (
	LedgerEarn LedgerKind = iota + 1
	LedgerRedeem
	LedgerAdjust
	LedgerReverse
	LedgerExpire
)

var ledgerNames = [...]string{"", "earn", "redeem", "adjust", "reverse", "expire"}

func (k LedgerKind) String() string {
	if int(k) < len(ledgerNames) && k != 0 {
		return ledgerNames[k]
	}
	return fmt.Sprintf("LedgerKind(%d)", k)
}

// LedgerEntry is one change of the points balance. It is a plain value.
type LedgerEntry struct {
	Day  segkit.Day
	Kind LedgerKind
	// Points is the signed change; Balance the balance after it (negative
	// when refunds or debits exceeded what was left).
	Points  int64
	Balance int64
	Note    string
}

// Status is a customer's standing as of a day. It is a plain value.
type Status struct {
	Customer string
	AsOf     segkit.Day
	// Joined is the join day (or the first record's day).
	Joined segkit.Day
	// Level is the effective level: the override's while one is active,
	// otherwise Earned. Since is the day it began.
	Level Level
	Since segkit.Day
	// Earned is the level earned by activity, held since EarnedSince.
	Earned      Level
	EarnedSince segkit.Day
	// Guaranteed reports whether Earned cannot be lowered before the day after
	// ValidThrough (status validity).
	Guaranteed   bool
	ValidThrough segkit.Day
	// Lifetime is the level held for life (0 when none).
	Lifetime Level
	// Override reports an active manual override; it ends after OverrideUntil
	// unless OverridePermanent.
	Override          bool
	OverridePermanent bool
	OverrideUntil     segkit.Day
	// Grace reports a running grace period; the level drops after GraceEnds
	// unless the retention criteria are met again.
	Grace     bool
	GraceEnds segkit.Day
	// Points is the points balance at the end of AsOf.
	Points int64
	// Growth is the growth value balance at the end of AsOf (0 without a
	// growth section).
	Growth int64
	// Ignored counts records dated after AsOf, which were not replayed.
	Ignored int
}

func (s *state) status() Status {
	st := Status{
		Customer: s.h.Customer, AsOf: s.asOf, Joined: s.start,
		Level: s.effective, Since: s.since, Earned: s.earned, EarnedSince: s.earnedSince,
		Lifetime: s.floor, Points: s.remaining - s.debt, Growth: s.growth, Ignored: s.ignored,
	}
	if s.validThrough != noDay && s.validThrough >= s.asOf && s.earned > 0 {
		st.Guaranteed, st.ValidThrough = true, s.validThrough
	}
	if s.ovOn {
		st.Override = true
		if s.ovUntil == farDay {
			st.OverridePermanent = true
		} else {
			st.OverrideUntil = s.ovUntil
		}
	}
	if s.graceOn {
		st.Grace, st.GraceEnds = true, s.graceEnd
	}
	return st
}

// Timeline is a customer's replayed history: the status as of the replay
// day, every decision with its reason, and the points ledger. A Timeline is
// immutable after [Engine.Replay] returns it and safe for concurrent reads.
type Timeline struct {
	Status
	// Entries are the audit trail in date order.
	Entries []Entry
	// Ledger is every change of the points balance in date order.
	Ledger []LedgerEntry
	// Growth is every change of the growth value in date order.
	GrowthLog []GrowthEntry

	e            *Engine
	lots         []lot // remaining lots at AsOf, for projections
	debt         int64
	lastActivity segkit.Day
}

// Changes yields the entries that changed the effective level.
func (t *Timeline) Changes() iter.Seq[Entry] {
	return func(yield func(Entry) bool) {
		for _, en := range t.Entries {
			if en.From != en.To && !yield(en) {
				return
			}
		}
	}
}

// LevelAt returns the effective level at the end of day d (the base level
// before the customer joined). Days after AsOf return the level at AsOf.
func (t *Timeline) LevelAt(d segkit.Day) Level {
	l := Level(0)
	for _, en := range t.Entries {
		if en.Day > d {
			break
		}
		l = en.To
	}
	return l
}

// BalanceAt returns the points balance at the end of day d. For days after
// AsOf it projects the balance assuming no further activity: only expiries
// (by age, and the inactivity clock) change it.
func (t *Timeline) BalanceAt(d segkit.Day) int64 {
	if d <= t.AsOf {
		var bal int64
		for _, le := range t.Ledger {
			if le.Day > d {
				break
			}
			bal = le.Balance
		}
		return bal
	}
	var bal int64
	p := t.e.prog.Points
	inactive := p.InactivityMonths > 0 && t.lastActivity != noDay && addMonths(t.lastActivity, p.InactivityMonths) <= d
	if !inactive {
		for _, l := range t.lots {
			if l.expires > d {
				bal += l.remaining
			}
		}
	}
	return bal - t.debt
}

// Explain says why the customer holds their level as of AsOf:
// "Gold since 2026-03-04: spend 12,400 ≥ 10,000 over rolling 12 months".
func (t *Timeline) Explain() string {
	name := t.e.Name(t.Level)
	// The latest requalification of the current level, if any, is what
	// keeps it now; the change that reached the level says since when.
	var requal *Entry
	for i := len(t.Entries) - 1; i >= 0; i-- {
		en := &t.Entries[i]
		if en.Kind == EntryRequalify && en.To == t.Level {
			if requal == nil {
				requal = en
			}
			continue
		}
		if en.To == t.Level && en.From != en.To || en.Kind == EntryStart {
			s := name + " since " + en.Day.String() + ": " + en.Reason
			if requal != nil {
				s += "; requalified " + requal.Day.String() + ": " + requal.Reason
			}
			return s
		}
	}
	return name + " since " + t.Since.String()
}

// String renders the timeline as the audit text of [Timeline.WriteTo].
func (t *Timeline) String() string {
	var b strings.Builder
	_, _ = t.WriteTo(&b)
	return b.String()
}

// WriteTo writes a human-readable audit: the status, every decision with its
// reason, and the points ledger.
func (t *Timeline) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	e := t.e
	prog := e.prog.Name
	if prog == "" {
		prog = "program"
	}
	fmt.Fprintf(cw, "customer %s · %s · as of %s\n", t.Customer, prog, t.AsOf)
	fmt.Fprintf(cw, "level: %s since %s", e.Name(t.Level), t.Since)
	if t.Override {
		fmt.Fprintf(cw, " (override; earned %s)", e.Name(t.Earned))
	}
	if t.Guaranteed {
		fmt.Fprintf(cw, ", valid through %s", t.ValidThrough)
	}
	if t.Lifetime > 0 {
		fmt.Fprintf(cw, ", lifetime %s", e.Name(t.Lifetime))
	}
	if t.Grace {
		fmt.Fprintf(cw, ", in grace through %s", t.GraceEnds)
	}
	fmt.Fprintf(cw, "; points %s\n", formatPoints(t.Points))
	if t.Ignored > 0 {
		fmt.Fprintf(cw, "(%d records after %s not replayed)\n", t.Ignored, t.AsOf)
	}
	fmt.Fprintf(cw, "\ndecisions\n")
	tw := textwidth.NewTabWriter(cw, 2, false)
	for _, en := range t.Entries {
		levels := e.Name(en.To)
		if en.From != en.To {
			levels = e.Name(en.From) + " → " + e.Name(en.To)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", en.Day, en.Kind, levels, en.Reason)
	}
	_ = tw.Flush()
	if len(t.Ledger) > 0 {
		fmt.Fprintf(cw, "\npoints                    change     balance\n")
		for _, le := range t.Ledger {
			sign := "+"
			if le.Points < 0 {
				sign = ""
			}
			line := fmt.Sprintf("  %s  %-8s %11s %11s  %s", le.Day, le.Kind, sign+formatPoints(le.Points), formatPoints(le.Balance), le.Note)
			fmt.Fprintln(cw, strings.TrimRight(line, " "))
		}
	}
	return cw.n, cw.err
}

type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}

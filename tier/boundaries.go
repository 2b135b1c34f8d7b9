package tier

import (
	"strconv"

	"github.com/segkit/segkit"
)

// ---- points ledger ---------------------------------------------------------

// credit adds a lot of pts points earned on d. New points first pay off any
// debt. Qualifying points also count toward the points metric.
func (s *state) credit(d segkit.Day, pts int64, order int32, kind LedgerKind, note string, qualifying bool) {
	pay := min(s.debt, pts)
	s.debt -= pay
	exp := farDay
	if s.e.expiryDays > 0 {
		exp = d + segkit.Day(s.e.expiryDays)
	}
	s.lots = append(s.lots, lot{day: d, expires: exp, earned: pts, remaining: pts - pay, spent: pay, order: order})
	s.remaining += pts - pay
	if qualifying && s.e.usedPoints {
		s.addContrib(d, s.e.iPoints, pts*fixedScale)
	}
	if s.audit {
		s.ledgerEntry(kind, d, pts, note)
	}
}

// consume takes n points first in, first out; what the lots cannot cover
// becomes debt (callers that must not go below zero check the balance first).
func (s *state) consume(n int64) {
	for n > 0 && s.head < len(s.lots) {
		l := &s.lots[s.head]
		if l.remaining == 0 {
			s.head++
			continue
		}
		take := min(n, l.remaining)
		l.remaining -= take
		l.spent += take
		s.remaining -= take
		n -= take
	}
	s.debt += n
}

// expireAge expires every lot whose expiry day is d.
func (s *state) expireAge(d segkit.Day) {
	var total int64
	var earned segkit.Day
	for s.expHead < len(s.lots) && s.lots[s.expHead].expires <= d {
		l := &s.lots[s.expHead]
		total += l.remaining
		l.expired += l.remaining
		earned = l.day
		l.remaining = 0
		s.expHead++
	}
	s.remaining -= total
	if s.audit && total > 0 {
		s.ledgerEntry(LedgerExpire, d, -total, "earned "+earned.String()+", "+strconv.Itoa(s.e.expiryDays)+"-day expiry")
	}
}

// expireAll expires the whole positive balance (inactivity); debt stays.
func (s *state) expireAll(d segkit.Day) {
	var total int64
	for i := s.head; i < len(s.lots); i++ {
		l := &s.lots[i]
		total += l.remaining
		l.expired += l.remaining
		l.remaining = 0
	}
	s.head = len(s.lots)
	s.remaining -= total
	if s.audit && total > 0 {
		s.ledgerEntry(LedgerExpire, d, -total, "no activity since "+s.lastActivity.String()+" ("+strconv.Itoa(s.e.inactivityMonths)+" months)")
	}
}

// ---- level changes ---------------------------------------------------------

// setEarned changes the earned level effective on day and keeps the
// lifetime-status clocks.
func (s *state) setEarned(l Level, day segkit.Day) {
	for i, r := range s.e.lifetime {
		if s.lifeGranted[i] {
			continue
		}
		was, now := s.earned >= r.level, l >= r.level
		switch {
		case was && !now:
			s.lifeAcc[i] += day.Sub(s.lifeStart[i])
			s.lifeStart[i] = noDay
		case !was && now:
			s.lifeStart[i] = day
		}
	}
	if l != s.earned {
		s.earned, s.earnedSince = l, day
	}
	s.syncEffective(day)
}

// syncEffective recomputes the effective level: the override while one is
// active, else the earned level.
func (s *state) syncEffective(day segkit.Day) {
	eff := s.earned
	if s.ovOn {
		eff = s.ovLevel
	}
	if eff != s.effective {
		s.effective, s.since = eff, day
	}
}

func (s *state) highestEntry(above Level) Level {
	lv := s.e.levels
	for l := len(lv) - 1; l > int(above); l-- {
		if lv[l].entry.met(s.win) {
			return Level(l)
		}
	}
	return above
}

// upgrade raises the earned level to l, effective on day eff, for criteria
// met on the window ending evalDay.
func (s *state) upgrade(l Level, eff, evalDay segkit.Day, atReview bool) {
	from := s.effective
	s.setEarned(l, eff)
	s.validThrough = max(s.validThrough, s.e.validThrough(evalDay))
	s.graceOn = false
	if s.audit {
		b := &s.sb
		b.Reset()
		if atReview {
			b.WriteString("review " + evalDay.String() + ": ")
		}
		s.e.levels[l].entry.explain(b, s.e.metrics, s.win, true)
		b.WriteString(" " + s.e.describeWindow(evalDay, s.join))
		if s.validThrough != noDay {
			b.WriteString("; valid through " + s.validThrough.String())
		}
		s.entry(EntryUpgrade, eff, from, b.String())
	}
}

// afterGain runs after a record that added to the metrics on day d.
func (s *state) afterGain(d segkit.Day) {
	e := s.e
	if e.immediate && int(s.earned) < len(e.levels)-1 {
		s.windowAt(d)
		if l := s.highestEntry(s.earned); l > s.earned {
			s.upgrade(l, d, d, false)
			return
		}
	}
	if s.graceOn {
		s.windowAt(d)
		if e.levels[s.earned].retain.met(s.win) {
			s.graceOn = false
			s.validThrough = max(s.validThrough, e.validThrough(d))
			if s.audit {
				s.sb.Reset()
				s.sb.WriteString(e.levels[s.earned].name + " retained again: ")
				e.levels[s.earned].retain.explain(&s.sb, e.metrics, s.win, true)
				s.sb.WriteString(" " + e.describeWindow(d, s.join))
				s.entry(EntryGraceCleared, d, s.effective, s.sb.String())
			}
		}
	}
}

// afterLoss runs after a refund on day d: with RevokeOnRefund, an upgrade
// earned since the last review whose entry criteria are no longer met is
// taken back.
func (s *state) afterLoss(d segkit.Day, order string) {
	e := s.e
	if !e.revoke || s.earned <= s.confirmed {
		return
	}
	s.windowAt(d)
	if e.levels[s.earned].entry.met(s.win) {
		return
	}
	lost := s.earned
	target := max(s.highestEntry(s.confirmed), s.floor)
	from := s.effective
	s.setEarned(target, d)
	s.validThrough = s.confirmedValid
	if target > s.confirmed {
		s.validThrough = max(s.validThrough, e.validThrough(d))
	}
	if s.audit {
		b := &s.sb
		b.Reset()
		b.WriteString("refund")
		if order != "" {
			b.WriteString(" of order " + order)
		}
		b.WriteString(": " + e.levels[lost].name + " entry no longer met: ")
		e.levels[lost].entry.explain(b, e.metrics, s.win, true)
		b.WriteString(" " + e.describeWindow(d, s.join))
		s.entry(EntryRevoke, d, from, b.String())
	}
}

// downgrade lowers the earned level after its retention criteria failed on
// the window ending evalDay, effective eff: to the highest level whose
// retention criteria are met, but by at most MaxDrop levels and never below
// the lifetime floor.
func (s *state) downgrade(evalDay, eff segkit.Day, why string) {
	e := s.e
	old := s.earned
	target := Level(0)
	for l := int(old) - 1; l >= 1; l-- {
		if e.levels[l].retain.met(s.win) {
			target = Level(l)
			break
		}
	}
	byRetention := target
	soft := false
	if e.maxDrop > 0 && int(old)-int(target) > e.maxDrop {
		target, soft = old-Level(e.maxDrop), true
	}
	floored := false
	if target < s.floor {
		target, floored = s.floor, true
	}
	from := s.effective
	s.setEarned(target, eff)
	s.validThrough = noDay
	if target == byRetention && target > 0 {
		s.validThrough = e.validThrough(evalDay)
	}
	if s.audit {
		b := &s.sb
		b.Reset()
		b.WriteString(why + " " + evalDay.String() + ": " + e.levels[old].name + " not retained: ")
		e.levels[old].retain.explain(b, e.metrics, s.win, true)
		b.WriteString(" " + e.describeWindow(evalDay, s.join))
		if byRetention > 0 && target == byRetention {
			b.WriteString("; " + e.levels[target].name + " retained: ")
			e.levels[target].retain.explain(b, e.metrics, s.win, true)
		}
		if soft {
			b.WriteString("; soft landing: at most " + strconv.Itoa(e.maxDrop) + " level")
			if e.maxDrop > 1 {
				b.WriteString("s")
			}
			b.WriteString(" per review")
		}
		if floored {
			b.WriteString("; lifetime " + e.levels[s.floor].name)
		}
		s.entry(EntryDowngrade, eff, from, b.String())
	}
}

// reviewMatters reports whether a review could change anything: upgrade at
// period end (or, with immediate upgrades, because a negative contribution
// left the window without a record to trigger the check, or a contribution
// to an at-most criterion did), requalify (extend
// validity), downgrade or confirm an upgrade that a refund could revoke.
func (s *state) reviewMatters() bool {
	e := s.e
	if int(s.earned) < len(e.levels)-1 && (!e.immediate || s.negative || e.atMost) {
		return true
	}
	if s.earned == 0 {
		return false
	}
	return e.validity != ValidNone || (e.downgrade != DowngradeNever && s.earned > s.floor) || (e.revoke && s.earned > s.confirmed)
}

// review applies the review at the end of day r; its outcome takes effect on r+1.
func (s *state) review(r segkit.Day) {
	e := s.e
	eff := r + 1
	s.windowAt(r)
	s.reviewFrom = eff
	upgraded := false
	if int(s.earned) < len(e.levels)-1 {
		if l := s.highestEntry(s.earned); l > s.earned {
			s.upgrade(l, eff, r, true)
			upgraded = true
		}
	}
	if !upgraded && s.earned > 0 {
		lv := &e.levels[s.earned]
		switch {
		case lv.retain.met(s.win):
			cleared := s.graceOn
			s.graceOn = false
			vt := e.validThrough(r)
			extended := vt > s.validThrough
			if extended {
				s.validThrough = vt
			}
			if s.audit && (extended || cleared) {
				b := &s.sb
				b.Reset()
				b.WriteString("review " + r.String() + ": " + lv.name + " retained: ")
				lv.retain.explain(b, e.metrics, s.win, true)
				b.WriteString(" " + e.describeWindow(r, s.join))
				if extended {
					b.WriteString("; valid through " + s.validThrough.String())
				}
				kind := EntryRequalify
				if cleared && !extended {
					kind = EntryGraceCleared
				}
				s.entry(kind, eff, s.effective, b.String())
			}
		case e.downgrade == DowngradeNever || s.earned <= s.floor || s.validThrough >= eff:
			// Kept: the policy, a lifetime status or the validity guarantee.
		case e.downgrade == DowngradeAfterGrace:
			if !s.graceOn {
				s.graceOn, s.graceEnd = true, r+segkit.Day(e.graceDays)
				if s.audit {
					b := &s.sb
					b.Reset()
					b.WriteString("review " + r.String() + ": " + lv.name + " not retained: ")
					lv.retain.explain(b, e.metrics, s.win, true)
					b.WriteString(" " + e.describeWindow(r, s.join) + "; grace through " + s.graceEnd.String())
					s.entry(EntryGrace, eff, s.effective, b.String())
				}
			}
		default:
			s.downgrade(r, eff, "review")
		}
	}
	s.confirmed, s.confirmedValid = s.earned, s.validThrough
}

// graceEnds applies the end of a grace period on day g (effective g+1).
func (s *state) graceEnds(g segkit.Day) {
	e := s.e
	s.windowAt(g)
	s.graceOn = false
	if e.levels[s.earned].retain.met(s.win) {
		s.validThrough = max(s.validThrough, e.validThrough(g))
		if s.audit {
			s.entry(EntryGraceCleared, g+1, s.effective, e.levels[s.earned].name+" retained at the end of the grace period")
		}
	} else if s.earned > s.floor {
		s.downgrade(g, g+1, "grace ended")
	}
	s.confirmed, s.confirmedValid = s.earned, s.validThrough
}

// ---- overrides and lifetime ------------------------------------------------

func (s *state) override(d segkit.Day, o *Override) error {
	from := s.effective
	if o.Cancel {
		if !s.ovOn {
			return nil
		}
		s.ovOn = false
		s.syncEffective(d)
		if s.audit {
			reason := "override cancelled"
			if o.Reason != "" {
				reason += ": " + o.Reason
			}
			s.entry(EntryOverrideEnd, d, from, reason)
		}
		return nil
	}
	if int(o.Level) >= len(s.e.levels) {
		return invalid("override to %s; the program has %d levels", o.Level, len(s.e.levels))
	}
	until := farDay
	if !o.Until.IsZero() {
		u, ok := s.dayOf(o.Until)
		if !ok || u < d {
			return invalid("override until %s, before its start or outside years 1..9999", o.Until)
		}
		until = u
	}
	s.ovOn, s.ovLevel, s.ovUntil = true, o.Level, until
	s.syncEffective(d)
	if s.audit {
		reason := "override to " + s.e.levels[o.Level].name
		if until != farDay {
			reason += " through " + until.String()
		}
		if o.Reason != "" {
			reason += ": " + o.Reason
		}
		s.entry(EntryOverride, d, from, reason)
	}
	return nil
}

func (s *state) nextLifetime() (segkit.Day, int) {
	best, which := farDay, -1
	for i, r := range s.e.lifetime {
		if s.lifeGranted[i] || s.lifeStart[i] == noDay {
			continue
		}
		if d := s.lifeStart[i].AddDays(r.days - s.lifeAcc[i]); d < best {
			best, which = d, i
		}
	}
	return best, which
}

func (s *state) grantLifetime(d segkit.Day, i int) {
	r := s.e.lifetime[i]
	s.lifeGranted[i] = true
	s.floor = max(s.floor, r.level)
	if s.audit {
		name := s.e.levels[r.level].name
		s.entry(EntryLifetime, d, s.effective, "lifetime "+name+": "+formatPoints(int64(r.days))+" days at "+name+" or above")
	}
}

// ---- boundaries ------------------------------------------------------------

const (
	bNone = iota
	bAge
	bInactivity
	bOverride
	bLifetime
	bGrace
	bReview
	bGrowth
)

// advance applies every boundary effective on or before day to.
func (s *state) advance(to segkit.Day) {
	e := s.e
	for {
		best, what, life := farDay, bNone, -1
		if e.expiryDays > 0 {
			for s.expHead < len(s.lots) && s.lots[s.expHead].remaining == 0 {
				s.expHead++
			}
			if s.expHead < len(s.lots) {
				best, what = s.lots[s.expHead].expires, bAge
			}
		}
		if e.inactivityMonths > 0 && s.remaining > 0 && s.inactiveAt < best {
			best, what = s.inactiveAt, bInactivity
		}
		if s.ovOn && s.ovUntil != farDay && s.ovUntil+1 < best {
			best, what = s.ovUntil+1, bOverride
		}
		if len(e.lifetime) > 0 {
			if d, i := s.nextLifetime(); d < best {
				best, what, life = d, bLifetime, i
			}
		}
		if s.graceOn && s.graceEnd+1 < best {
			best, what = s.graceEnd+1, bGrace
		}
		if s.reviewMatters() {
			if s.reviewC < s.reviewFrom {
				s.reviewC = e.nextReview(s.reviewFrom, s.join)
			}
			if s.reviewC+1 < best {
				best, what = s.reviewC+1, bReview
			}
		}
		// After the review of December 31, which sees the year's balance.
		if d := s.growthBoundary(); d < best {
			best, what = d, bGrowth
		}
		if best > to || what == bNone {
			break
		}
		switch what {
		case bAge:
			s.expireAge(best)
		case bInactivity:
			s.expireAll(best)
		case bOverride:
			from := s.effective
			s.ovOn = false
			s.syncEffective(best)
			if s.audit {
				s.entry(EntryOverrideEnd, best, from, "override ended (through "+s.ovUntil.String()+")")
			}
		case bLifetime:
			s.grantLifetime(best, life)
		case bGrace:
			s.graceEnds(best - 1)
		case bReview:
			s.review(best - 1)
		case bGrowth:
			s.growthYearEnd(best)
		}
	}
	if s.reviewFrom < to && !s.reviewMatters() {
		s.reviewFrom = to
	}
}

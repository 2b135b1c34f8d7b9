package segkit

import (
	"math"
	"sync/atomic"
	"time"
)

// MinDay and MaxDay are the smallest and largest Day. [Zone.DayOf] saturates
// at them for instants millions of years away.
const (
	MinDay Day = math.MinInt32
	MaxDay Day = math.MaxInt32
)

// Zone counts calendar days in one time zone: [Zone.DayOf] gives the day of
// an instant, [Zone.Start] the first instant of a day. It is the one
// implementation of day arithmetic in segkit; the index, the rule evaluator
// and the models all count days through it.
//
// A Zone caches the UTC offsets of the last few zone periods (the spans
// between daylight-saving transitions) it saw, so that for instants in those
// periods DayOf is a few comparisons, an addition and a division. It is safe for
// concurrent use; create it once with [NewZone] and share it.
type Zone struct {
	loc   *time.Location
	utc   bool
	cache atomic.Pointer[zoneCache]
}

// zonePeriod is a span [lo, hi) of Unix seconds with one UTC offset.
type zonePeriod struct{ lo, hi, off int64 }

func (p *zonePeriod) has(u int64) bool { return u >= p.lo && u < p.hi }

// zoneCacheSize is how many zone periods a Zone remembers: four years of
// a zone with daylight saving time.
const zoneCacheSize = 8

// zoneCache holds the periods looked up last, replaced round-robin. It is
// immutable once published.
type zoneCache struct {
	p    [zoneCacheSize]zonePeriod
	n    int // periods in use
	next int // the slot the next period replaces once all are in use
}

func (c *zoneCache) find(u int64) *zonePeriod {
	for i := range c.n {
		if c.p[i].has(u) {
			return &c.p[i]
		}
	}
	return nil
}

// NewZone returns the Zone of loc (UTC when loc is nil).
func NewZone(loc *time.Location) *Zone {
	if loc == nil {
		loc = time.UTC
	}
	z := &Zone{loc: loc}
	z.utc = loc == time.UTC || isUTC(loc)
	return z
}

// isUTC reports whether loc is UTC at every instant: a fixed zone with offset
// 0 whose period spans all time.
func isUTC(loc *time.Location) bool {
	t := time.Unix(0, 0).In(loc)
	if _, off := t.Zone(); off != 0 {
		return false
	}
	start, end := t.ZoneBounds()
	return start.IsZero() && end.IsZero()
}

// Location returns the zone's *time.Location.
func (z *Zone) Location() *time.Location { return z.loc }

// String returns the zone's name.
func (z *Zone) String() string { return z.loc.String() }

// DayOf returns the calendar day of t in z. Instants so far away that their
// day does not fit a Day give MinDay or MaxDay.
func (z *Zone) DayOf(t time.Time) Day {
	u := t.Unix()
	if z.utc {
		return clampDay(floorDiv(u, 86400))
	}
	return clampDay(floorDiv(u+z.offset(u), 86400))
}

// offset returns the UTC offset in force at Unix second u.
func (z *Zone) offset(u int64) int64 {
	c := z.cache.Load()
	if c != nil {
		if p := c.find(u); p != nil {
			return p.off
		}
	}
	p := periodAt(u, z.loc)
	n := &zoneCache{}
	if c != nil {
		*n = *c
	}
	if n.n < zoneCacheSize {
		n.p[n.n] = p
		n.n++
	} else {
		n.p[n.next] = p
		n.next = (n.next + 1) % zoneCacheSize
	}
	z.cache.Store(n)
	return p.off
}

// periodAt looks up the zone period containing Unix second u in loc.
func periodAt(u int64, loc *time.Location) zonePeriod {
	lt := time.Unix(u, 0).In(loc)
	_, off := lt.Zone()
	p := zonePeriod{lo: math.MinInt64, hi: math.MaxInt64, off: int64(off)}
	start, end := lt.ZoneBounds()
	if !start.IsZero() {
		p.lo = start.Unix()
	}
	if !end.IsZero() {
		p.hi = end.Unix()
	}
	return p
}

// Start returns the first instant of day d in z: every instant t (at second
// precision) has DayOf(t) < d exactly when t is before it. It is local
// midnight, except where midnight did not exist (clocks jumped forward at
// midnight, as in São Paulo on 2018-11-04), where it is the first instant of
// the day.
func (z *Zone) Start(d Day) time.Time {
	if z.utc {
		return time.Unix(int64(d)*86400, 0).In(z.loc)
	}
	// Fast path: local midnight under the cached offset of the period it
	// falls in, with the second before it still in that period.
	base := int64(d) * 86400
	if c := z.cache.Load(); c != nil {
		for i := range c.n {
			if p := &c.p[i]; p.has(base-p.off) && p.has(base-p.off-1) {
				return time.Unix(base-p.off, 0).In(z.loc)
			}
		}
	}
	s := startIn(d, z.loc)
	z.offset(s.Unix()) // warm the cache for the days around d
	return s
}

// startIn is Zone.Start without the cache.
func startIn(d Day, loc *time.Location) time.Time {
	dayAt := func(u int64) int64 {
		_, off := time.Unix(u, 0).In(loc).Zone()
		return floorDiv(u+int64(off), 86400)
	}
	want := int64(d)
	y, m, dd := time.Unix(want*86400, 0).UTC().Date()
	t := time.Date(y, m, dd, 0, 0, 0, 0, loc)
	if u := t.Unix(); dayAt(u) == want && dayAt(u-1) < want {
		return t
	}
	// Midnight did not exist: search the first second whose day is ≥ d
	// around the guess.
	lo, hi := t.Unix()-48*3600, t.Unix()+48*3600
	if dayAt(lo) >= want || dayAt(hi) < want {
		return t
	}
	for hi-lo > 1 { // invariant: day(lo) < d <= day(hi)
		mid := lo + (hi-lo)/2
		if dayAt(mid) >= want {
			hi = mid
		} else {
			lo = mid
		}
	}
	return time.Unix(hi, 0).In(loc)
}

// End returns the last second of day d in z: Start(d+1) minus one second.
func (z *Zone) End(d Day) time.Time {
	if d == MaxDay {
		return time.Unix(int64(d)*86400+86399, 0).In(z.loc)
	}
	return z.Start(d + 1).Add(-time.Second)
}

func clampDay(d int64) Day {
	if d < math.MinInt32 {
		return MinDay
	}
	if d > math.MaxInt32 {
		return MaxDay
	}
	return Day(d)
}

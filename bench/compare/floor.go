package compare

import (
	"context"
	"fmt"
	"math/bits"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/synth"
)

// roaringEngine is the floor: every rule's set operations written by hand
// on roaring bitmaps that it builds itself from the population (one bitmap
// per tag, interest and category value, per age value, per event and day
// with the customers doing it at least 1, 2 or 3 times that day, per event
// and day of first occurrence, and bit-sliced indexes for times and spend).
// It evaluates each rule the way a person would write it for that rule alone,
// with roaring's cardinality-only operations where the last step allows.
type roaringEngine struct {
	p     *Population
	rules []func(*roaringEngine) uint64

	all               *roaring.Bitmap
	tags, interests   []*roaring.Bitmap // by code
	city, occ, gender map[string]*roaring.Bitmap
	age               map[int]*roaring.Bitmap
	vip               *roaring.Bitmap
	spend             bsi // cents
	signup, lastLogin bsi // day numbers
	day0              segkit.Day
	times             [][][3]*roaring.Bitmap // [event code][day-day0][k]: did it ≥ k+1 times that day
	first             [][]*roaring.Bitmap    // [event code][day-day0]: first occurrence that day
	catDay            [][]*roaring.Bitmap    // [category code][day-day0]: bought that category that day
	purch             [][]floorPurchase      // [day-day0]: that day's purchases
	heapDelta         int64
}

func newRoaringEngine() *roaringEngine { return &roaringEngine{} }

func (e *roaringEngine) Name() string { return "roaring" }

func (e *roaringEngine) Describe() string {
	return "hand-written set operations on roaring bitmaps built from the same data (the floor)"
}

func (e *roaringEngine) Load(ctx context.Context, p *Population, rules []Rule) error {
	before := heapAfterGC()
	e.p = p
	e.rules = make([]func(*roaringEngine) uint64, len(rules))
	for i, r := range rules {
		f, ok := floorRules[r.Name]
		if !ok {
			return fmt.Errorf("compare: roaring: no hand-written version of rule %s", r.Name)
		}
		e.rules[i] = f
	}
	e.all = roaring.New()
	e.all.AddRange(0, uint64(p.N))
	e.tags = newBitmaps(len(p.TagNames) + 1)
	e.interests = newBitmaps(len(p.Interests) + 1)
	e.city, e.occ, e.gender = map[string]*roaring.Bitmap{}, map[string]*roaring.Bitmap{}, map[string]*roaring.Bitmap{}
	e.age = map[int]*roaring.Bitmap{}
	e.vip = roaring.New()
	e.spend, e.signup, e.lastLogin = newBSI(), newBSI(), newBSI()
	e.day0 = segkit.DayOf(p.Gen.WindowStart(), time.UTC)
	days := int(p.Today.Sub(e.day0)) + 1
	if end := segkit.DayOf(p.Gen.Config().End, time.UTC); end.Sub(e.day0)+1 > days {
		days = end.Sub(e.day0) + 1
	}
	e.times = make([][][3]*roaring.Bitmap, len(p.EventNames)+1)
	e.first = make([][]*roaring.Bitmap, len(p.EventNames)+1)
	for ev := 1; ev <= len(p.EventNames); ev++ {
		e.times[ev] = make([][3]*roaring.Bitmap, days)
		e.first[ev] = newBitmaps(days)
		for d := range e.times[ev] {
			e.times[ev][d] = [3]*roaring.Bitmap{roaring.New(), roaring.New(), roaring.New()}
		}
	}
	e.catDay = make([][]*roaring.Bitmap, len(p.Categories)+1)
	for c := range e.catDay {
		e.catDay[c] = newBitmaps(days)
	}
	e.purch = make([][]floorPurchase, days)
	n := 0
	for row := range p.Rows() {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		n++
		id := uint32(row.ID)
		c := &row.Rec.Customer
		for _, t := range row.Tags {
			e.tags[t].Add(id)
		}
		for _, s := range row.Interests {
			e.interests[s].Add(id)
		}
		addTo(e.city, c.City, id)
		if c.Occupation != "" {
			addTo(e.occ, c.Occupation, id)
		}
		if c.Gender != "" {
			addTo(e.gender, c.Gender, id)
		}
		if c.Age != 0 {
			bm := e.age[c.Age]
			if bm == nil {
				bm = roaring.New()
				e.age[c.Age] = bm
			}
			bm.Add(id)
		}
		if c.VIP {
			e.vip.Add(id)
		}
		e.spend.set(id, row.SpendCents)
		e.signup.set(id, int64(segkit.DayOf(c.SignupAt, time.UTC)))
		e.lastLogin.set(id, int64(segkit.DayOf(c.LastLoginAt, time.UTC)))
		for _, d := range row.Daily {
			k := d.Day.Sub(e.day0)
			if k < 0 || k >= days {
				return fmt.Errorf("compare: roaring: event day %v outside the window starting %v", d.Day, e.day0)
			}
			for j := 0; j < min(d.N, 3); j++ {
				e.times[d.Event][k][j].Add(id)
			}
		}
		for _, f := range row.First {
			e.first[f.Event][f.Day.Sub(e.day0)].Add(id)
		}
		for _, pu := range row.Purchases {
			k := pu.Day.Sub(e.day0)
			e.catDay[pu.Category][k].Add(id)
			e.purch[k] = append(e.purch[k], floorPurchase{id: id, cents: pu.Cents})
		}
	}
	if n != p.N {
		return fmt.Errorf("compare: roaring: generated %d customers, want %d", n, p.N)
	}
	e.heapDelta = heapAfterGC() - before
	return nil
}

func newBitmaps(n int) []*roaring.Bitmap {
	bms := make([]*roaring.Bitmap, n)
	for i := range bms {
		bms[i] = roaring.New()
	}
	return bms
}

func addTo(m map[string]*roaring.Bitmap, k string, id uint32) {
	bm := m[k]
	if bm == nil {
		bm = roaring.New()
		m[k] = bm
	}
	bm.Add(id)
}

func (e *roaringEngine) Count(ctx context.Context, i int) (int64, error) {
	return int64(e.rules[i](e)), ctx.Err()
}

func (e *roaringEngine) Memory(context.Context) (Memory, error) {
	return Memory{Bytes: e.heapDelta, How: "Go heap after GC, before vs after building the bitmaps"}, nil
}

func (e *roaringEngine) Close() error {
	*e = roaringEngine{}
	return nil
}

// ---- helpers the hand-written rules use ----------------------------------------

func (e *roaringEngine) tag(name string) *roaring.Bitmap { return e.tags[e.p.TagCode[name]] }

func orOf(m map[string]*roaring.Bitmap, keys ...string) *roaring.Bitmap {
	bms := make([]*roaring.Bitmap, 0, len(keys))
	for _, k := range keys {
		if bm := m[k]; bm != nil {
			bms = append(bms, bm)
		}
	}
	return roaring.FastOr(bms...)
}

func (e *roaringEngine) ageIn(lo, hi int) *roaring.Bitmap {
	bms := make([]*roaring.Bitmap, 0, hi-lo+1)
	for a := lo; a <= hi; a++ {
		if bm := e.age[a]; bm != nil {
			bms = append(bms, bm)
		}
	}
	return roaring.FastOr(bms...)
}

// window returns the indexes of the days [today−n+1, today] clamped to the
// recorded days.
func (e *roaringEngine) window(n int) (lo, hi int) {
	last := len(e.first[1]) - 1
	lo = min(max(e.p.Today.AddDays(-n+1).Sub(e.day0), 0), last+1)
	hi = max(min(e.p.Today.Sub(e.day0), last), lo-1)
	return lo, hi
}

// didWithin: the union of the event's day bitmaps of the window.
func (e *roaringEngine) didWithin(event string, n int) *roaring.Bitmap {
	ev := e.times[e.p.EventCode[event]]
	lo, hi := e.window(n)
	bms := make([]*roaring.Bitmap, 0, hi-lo+1)
	for d := lo; d <= hi; d++ {
		bms = append(bms, ev[d][0])
	}
	return roaring.FastOr(bms...)
}

// firstWithin: the union of the first-occurrence bitmaps of the window.
func (e *roaringEngine) firstWithin(event string, n int) *roaring.Bitmap {
	ev := e.first[e.p.EventCode[event]]
	lo, hi := e.window(n)
	return roaring.FastOr(ev[lo : hi+1]...)
}

// did: the first occurrence is on a recorded day up to today.
func (e *roaringEngine) did(event string) *roaring.Bitmap {
	ev := e.first[e.p.EventCode[event]]
	_, hi := e.window(1)
	return roaring.FastOr(ev[:hi+1]...)
}

// atLeast returns who did the event at least k (1..3) times in the window:
// saturating counters c[j] = "at least j+1 so far", updated per day from the
// day's "at least m times that day" bitmaps.
func (e *roaringEngine) atLeast(event string, n, k int) *roaring.Bitmap {
	ev := e.times[e.p.EventCode[event]]
	lo, hi := e.window(n)
	var c [3]*roaring.Bitmap
	for j := range c {
		c[j] = roaring.New()
	}
	for d := lo; d <= hi; d++ {
		day := ev[d]
		if day[0].IsEmpty() {
			continue
		}
		// c[j] |= day[j] | ⋃_{i<j} (c[j−i−1] & day[i]); highest j first so
		// the updates read the counters of the previous day.
		for j := k - 1; j >= 0; j-- {
			c[j].Or(day[j])
			for i := 0; i < j; i++ {
				c[j].Or(roaring.And(c[j-i-1], day[i]))
			}
		}
	}
	return c[k-1]
}

func andNotCard(a, b *roaring.Bitmap) uint64 { return a.GetCardinality() - a.AndCardinality(b) }

// floorRules are the hand-written versions of the rules, by rule name.
var floorRules = map[string]func(*roaringEngine) uint64{
	"tags2": func(e *roaringEngine) uint64 {
		return e.tag("app_user").AndCardinality(e.tag("wechat_follower"))
	},
	"tags5": func(e *roaringEngine) uint64 {
		x := roaring.And(e.tag("app_user"), e.tag("wechat_follower"))
		x.And(roaring.Or(e.tag("coupon_user"), e.tag("newsletter")))
		return andNotCard(x, e.tag("mobile_only"))
	},
	"city_list": func(e *roaringEngine) uint64 {
		return orOf(e.city, ruleCities...).GetCardinality()
	},
	"age_range": func(e *roaringEngine) uint64 { return e.ageIn(26, 30).GetCardinality() },
	"inactive_30d": func(e *roaringEngine) uint64 {
		return e.lastLogin.le(int64(e.p.Today.AddDays(-31))).GetCardinality()
	},
	"new_30d": func(e *roaringEngine) uint64 {
		return e.signup.between(int64(e.p.Today.AddDays(-29)), int64(e.p.Today)).GetCardinality()
	},
	"login_30d": func(e *roaringEngine) uint64 { return e.didWithin(synth.EventLogin, 30).GetCardinality() },
	"trial_no_buy": func(e *roaringEngine) uint64 {
		return andNotCard(e.did(synth.EventTrialClass), e.did(synth.EventPurchase))
	},
	"buy3_90d": func(e *roaringEngine) uint64 { return e.atLeast(synth.EventPurchase, 90, 3).GetCardinality() },
	"first_trial_14d": func(e *roaringEngine) uint64 {
		return e.firstWithin(synth.EventTrialClass, 14).GetCardinality()
	},
	"not_city_age": func(e *roaringEngine) uint64 {
		return e.all.GetCardinality() - orOf(e.city, "Beijing", "Shanghai").OrCardinality(e.ageIn(18, 25))
	},
	"not_teacher_f": func(e *roaringEngine) uint64 {
		return e.all.GetCardinality() - orOf(e.occ, "teacher").OrCardinality(orOf(e.gender, "F"))
	},
	"repeat_not_vip": func(e *roaringEngine) uint64 {
		return andNotCard(e.atLeast(synth.EventPurchase, 365, 2), e.vip)
	},
	"mixed": func(e *roaringEngine) uint64 {
		x := roaring.FastAnd(e.ageIn(18, 30), orOf(e.city, ruleCitiesTop...), e.tag("app_user"))
		return x.AndCardinality(e.didWithin(synth.EventLogin, 30))
	},
	"interest_spend": func(e *roaringEngine) uint64 {
		return e.interests[e.p.InterestCode["english"]].AndCardinality(e.spend.ge(50000))
	},
	"math_14d": func(e *roaringEngine) uint64 {
		lo, hi := e.window(14)
		return roaring.FastOr(e.catDay[e.p.CategoryCode["math"]][lo : hi+1]...).GetCardinality()
	},
	"spend_90d": func(e *roaringEngine) uint64 { return e.purchasesAtLeast(90, 50000, 0) },
	"aov_180d":  func(e *roaringEngine) uint64 { return e.purchasesAtLeast(180, 0, 20000) },
	"double11": func(e *roaringEngine) uint64 {
		ev := e.times[e.p.EventCode[synth.EventPurchase]]
		a := segkit.DayOf(time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC), time.UTC).Sub(e.day0)
		b := segkit.DayOf(time.Date(2025, 11, 11, 0, 0, 0, 0, time.UTC), time.UTC).Sub(e.day0)
		bms := make([]*roaring.Bitmap, 0, b-a+1)
		for d := max(a, 0); d <= min(b, len(ev)-1); d++ {
			bms = append(bms, ev[d][0])
		}
		return roaring.FastOr(bms...).GetCardinality()
	},
	"trial_then_buy": func(e *roaringEngine) uint64 {
		trial, buy := e.times[e.p.EventCode[synth.EventTrialClass]], e.times[e.p.EventCode[synth.EventPurchase]]
		_, hi := e.window(1)
		out := roaring.New()
		for d := 0; d <= hi; d++ {
			if trial[d][0].IsEmpty() {
				continue
			}
			bms := make([]*roaring.Bitmap, 0, 7)
			for k := d; k <= min(d+6, hi); k++ {
				bms = append(bms, buy[k][0])
			}
			out.Or(roaring.And(trial[d][0], roaring.FastOr(bms...)))
		}
		return out.GetCardinality()
	},
	"student_trial": func(e *roaringEngine) uint64 {
		x := roaring.And(e.tag("undergrad"), e.firstWithin(synth.EventTrialClass, 7))
		return andNotCard(x, e.did(synth.EventPurchase))
	},
}

// floorPurchase is one purchase of a day's list.
type floorPurchase struct {
	id    uint32
	cents int64
}

// purchasesAtLeast returns the number of customers whose purchases of the
// window [today−n+1, today] have sum ≥ minSum cents (perPurchase 0) or
// sum ≥ perPurchase × count (an average ≥ perPurchase; customers without
// purchases excluded): one pass over the window's purchases into
// per-customer accumulators.
func (e *roaringEngine) purchasesAtLeast(n int, minSum, perPurchase int64) uint64 {
	lo, hi := e.window(n)
	acc := make(map[uint32]int64)
	for d := lo; d <= hi; d++ {
		for _, pu := range e.purch[d] {
			acc[pu.id] += pu.cents - perPurchase
		}
	}
	var c uint64
	for _, v := range acc {
		if v >= minSum {
			c++
		}
	}
	return c
}

// bsi is a bit-sliced index of non-negative integers with whole-bitmap
// comparisons (O'Neil & Quass): slice b holds the customers whose value has
// bit b set.
type bsi struct {
	exists *roaring.Bitmap
	slices []*roaring.Bitmap
}

func newBSI() bsi { return bsi{exists: roaring.New()} }

func (b *bsi) set(id uint32, v int64) {
	if v < 0 {
		panic("compare: bsi: negative value") // the population has none; a bug if it does
	}
	b.exists.Add(id)
	for n := bits.Len64(uint64(v)); len(b.slices) < n; {
		b.slices = append(b.slices, roaring.New())
	}
	for u := uint64(v); u != 0; u &= u - 1 {
		b.slices[bits.TrailingZeros64(u)].Add(id)
	}
}

// le returns the customers whose value is at most c.
func (b *bsi) le(c int64) *roaring.Bitmap {
	if c < 0 {
		return roaring.New()
	}
	if bits.Len64(uint64(c)) > len(b.slices) {
		return b.exists.Clone()
	}
	lt, eq := roaring.New(), b.exists.Clone()
	for i := len(b.slices) - 1; i >= 0; i-- {
		if c&(1<<i) != 0 {
			lt.Or(roaring.AndNot(eq, b.slices[i]))
			eq.And(b.slices[i])
		} else {
			eq.AndNot(b.slices[i])
		}
	}
	lt.Or(eq)
	return lt
}

func (b *bsi) ge(c int64) *roaring.Bitmap { return roaring.AndNot(b.exists, b.le(c-1)) }

func (b *bsi) between(lo, hi int64) *roaring.Bitmap {
	x := b.le(hi)
	x.AndNot(b.le(lo - 1))
	return x
}

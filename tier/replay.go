package tier

import (
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/segkit/segkit"
)

// The replay is a single pass over a customer's records in time order. Between
// records, "boundaries" happen on their own dates: point lots expire, the
// inactivity clock runs out, overrides end, lifetime status is reached, grace
// periods end and reviews take place. advance(to) applies every boundary that
// takes effect on or before day `to`, in date order, before the records of
// that day are applied.
//
// Days: a record on day d takes effect on d. A review on day r (the last day
// of a period) and the end of a grace period on day g are evaluated on the
// window ending that day and take effect the next day. Points expire at the
// start of their expiry day. Ties between boundaries effective on the same day
// are applied in the order: point expiry by age, inactivity expiry, override
// end, lifetime, grace end, review.

// contrib is one dated contribution to a metric.
type contrib struct {
	day    segkit.Day
	metric uint8
	val    int64 // fixed point
}

// lot is the points earned by one record, consumed first in, first out.
type lot struct {
	day       segkit.Day
	expires   segkit.Day // farDay without age expiry
	earned    int64
	remaining int64
	spent     int64 // consumed by redemptions, debits, charge-backs, debt repayment
	charged   int64 // part of spent already charged back by a reversal
	expired   int64
	order     int32 // index into state.orders, -1 for none
}

// orderAgg gathers the purchases of one order key so that refunds reverse
// what the order earned.
type orderAgg struct {
	hash      uint64 // of key, compared before the string
	key       string
	day       segkit.Day // day of the first purchase of the order
	amount    int64      // fixed point
	refunded  int64
	lines     int64
	points    int64
	reversed  int64
	cancelled bool
}

// Limits on record values, so that fixed-point sums cannot overflow.
const (
	maxAmount       = 1e12
	maxRecordPoints = 1e12
	maxQuantity     = 1e9
)

type state struct {
	e     *Engine
	audit bool
	h     *History
	asOf  segkit.Day

	recs        []record
	start, join segkit.Day

	earned, effective   Level
	since, earnedSince  segkit.Day
	validThrough        segkit.Day
	floor               Level
	confirmed           Level
	confirmedValid      segkit.Day
	graceOn             bool
	graceEnd            segkit.Day
	ovOn                bool
	ovLevel             Level
	ovUntil             segkit.Day
	reviewFrom, reviewC segkit.Day // reviewC caches nextReview(reviewFrom)

	lifeAcc     []int
	lifeStart   []segkit.Day
	lifeGranted []bool

	contribs  []contrib
	negative  bool // some contribution was negative: sums may rise as it leaves the window
	lo        int
	lastStart segkit.Day
	lastEval  segkit.Day // the day s.win was last positioned for
	win       []int64

	// Window-start cache: for evaluation days in [wsLo, wsHi] the window
	// starts at wsBase (calendar and anniversary years), or, for rolling
	// windows, at wsBase + min(day of month, wsDim).
	wsLo, wsHi, wsBase segkit.Day
	wsDim              int

	lots          []lot
	head, expHead int
	remaining     int64
	debt          int64
	lastActivity  segkit.Day
	inactiveAt    segkit.Day
	orders        []orderAgg
	orderIdx      map[string]int32

	growth     int64 // growth value balance
	growthNext segkit.Day
	growthLog  []GrowthEntry

	ignored int
	entries []Entry
	ledger  []LedgerEntry
	sb      strings.Builder
}

func (s *state) reset(e *Engine, h *History, asOf segkit.Day, audit bool) {
	s.e, s.h, s.asOf, s.audit = e, h, asOf, audit
	s.recs = s.recs[:0]
	s.earned, s.effective, s.floor, s.confirmed = 0, 0, 0, 0
	s.validThrough, s.confirmedValid = noDay, noDay
	s.graceOn, s.ovOn = false, false
	s.reviewC = noDay
	nl := len(e.lifetime)
	s.lifeAcc = slices.Grow(s.lifeAcc[:0], nl)[:nl]
	s.lifeStart = slices.Grow(s.lifeStart[:0], nl)[:nl]
	s.lifeGranted = slices.Grow(s.lifeGranted[:0], nl)[:nl]
	for i := range nl {
		s.lifeAcc[i], s.lifeStart[i], s.lifeGranted[i] = 0, noDay, false
	}
	s.contribs = s.contribs[:0]
	s.lo, s.lastStart, s.lastEval, s.negative = 0, noDay, noDay, false
	s.wsLo, s.wsHi = 1, 0
	nm := len(e.metrics)
	s.win = slices.Grow(s.win[:0], nm)[:nm]
	clear(s.win)
	s.lots = s.lots[:0]
	s.head, s.expHead, s.remaining, s.debt = 0, 0, 0, 0
	s.lastActivity, s.inactiveAt = noDay, farDay
	s.orders = s.orders[:0]
	if s.orderIdx != nil {
		s.orderIdx = nil
	}
	s.growth, s.growthNext, s.growthLog = 0, noDay, nil
	s.ignored = 0
	s.entries, s.ledger = nil, nil
}

// run replays the history through asOf.
func (s *state) run() error {
	if err := s.load(); err != nil {
		return err
	}
	s.begin()
	for i, r := range s.recs {
		if r.day > s.asOf {
			s.ignored = len(s.recs) - i
			break
		}
		s.advance(r.day)
		if err := s.apply(r); err != nil {
			return &RecordError{Customer: s.h.Customer, Record: recordNames[r.kind()], Index: r.idx(), At: s.recordTime(r), Err: err}
		}
	}
	s.advance(s.asOf)
	return nil
}

func (s *state) recordTime(r record) (t time.Time) {
	h := s.h
	switch i := r.idx(); r.kind() {
	case recTx:
		return h.Transactions[i].At
	case recActivity:
		return h.Activities[i].At
	case recPoint:
		return h.Points[i].At
	default:
		return h.Overrides[i].At
	}
}

func (s *state) dayOf(t time.Time) (segkit.Day, bool) {
	if t.IsZero() {
		return 0, false
	}
	d := s.e.tz.DayOf(t)
	if d < minDay || d > maxDay {
		return 0, false
	}
	return d, true
}

// load collects the records, checks their times and sorts them stably.
func (s *state) load() error {
	h := s.h
	sorted := true
	add := func(kind uint8, i int, t time.Time) error {
		d, ok := s.dayOf(t)
		if !ok {
			return &RecordError{Customer: h.Customer, Record: recordNames[kind], Index: i, At: t,
				Err: fmt.Errorf("%w: time %s is zero or outside years 1..9999", ErrInvalidRecord, t.Format("2006-01-02T15:04:05Z07:00"))}
		}
		r := makeRecord(t.Unix(), t.Nanosecond(), kind, i, d)
		if n := len(s.recs); n > 0 && sorted && r.less(s.recs[n-1]) {
			sorted = false
		}
		s.recs = append(s.recs, r)
		return nil
	}
	for i := range h.Transactions {
		if err := add(recTx, i, h.Transactions[i].At); err != nil {
			return err
		}
	}
	for i := range h.Activities {
		if err := add(recActivity, i, h.Activities[i].At); err != nil {
			return err
		}
	}
	for i := range h.Points {
		if err := add(recPoint, i, h.Points[i].At); err != nil {
			return err
		}
	}
	for i := range h.Overrides {
		if err := add(recOverride, i, h.Overrides[i].At); err != nil {
			return err
		}
	}
	if !sorted {
		sortRecords(s.recs)
	}
	start := farDay
	if len(s.recs) > 0 {
		start = s.recs[0].day
	}
	if !h.Joined.IsZero() {
		j, ok := s.dayOf(h.Joined)
		if !ok {
			return fmt.Errorf("tier: customer %q: %w: join time %s outside years 1..9999", h.Customer, ErrInvalidRecord, h.Joined)
		}
		s.join = j
		start = min(start, j)
	} else {
		s.join = min(start, s.asOf)
	}
	s.start = min(start, s.asOf)
	return nil
}

func (s *state) begin() {
	s.since, s.earnedSince = s.start, s.start
	s.reviewFrom = s.start
	if s.audit {
		s.entry(EntryStart, s.start, 0, "joined")
	}
}

// entry appends an audit entry; callers guard with s.audit.
func (s *state) entry(kind EntryKind, day segkit.Day, from Level, reason string) {
	s.entries = append(s.entries, Entry{Day: day, Kind: kind, From: from, To: s.effective, Earned: s.earned, Reason: reason})
}

func (s *state) ledgerEntry(kind LedgerKind, day segkit.Day, pts int64, note string) {
	s.ledger = append(s.ledger, LedgerEntry{Day: day, Kind: kind, Points: pts, Balance: s.remaining - s.debt, Note: note})
}

func (s *state) touch(d segkit.Day) {
	s.lastActivity = d
	if s.e.inactivityMonths > 0 {
		s.inactiveAt = addMonths(d, s.e.inactivityMonths)
	}
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidRecord}, args...)...)
}

func (s *state) checkCustomer(c string) error {
	if c != "" && c != s.h.Customer {
		return invalid("customer %q in the history of %q", c, s.h.Customer)
	}
	return nil
}

func (s *state) apply(r record) error {
	h, d, i := s.h, r.day, r.idx()
	switch r.kind() {
	case recTx:
		t := &h.Transactions[i]
		if err := s.checkCustomer(t.Customer); err != nil {
			return err
		}
		if !finite(t.Amount) || math.Abs(t.Amount) > maxAmount {
			return invalid("amount %v is not finite or exceeds %s", t.Amount, formatNumber(maxAmount))
		}
		if t.Quantity > maxQuantity || t.Quantity < -maxQuantity {
			return invalid("quantity %d out of range", t.Quantity)
		}
		s.touch(d)
		a := toFixed(t.Amount)
		switch {
		case a > 0:
			if err := s.purchase(d, t, a); err != nil {
				return err
			}
			if g := s.e.growth; g != nil {
				if err := s.growthEarn(d, a, g.purchaseRules, g.perUnit, s.orderNote(t.Order)); err != nil {
					return err
				}
			}
			s.afterGain(d)
		case a < 0:
			s.refund(d, t, -a)
			if s.e.growth != nil {
				s.growthRefund(d, -a, "refund "+s.orderNote(t.Order))
			}
			s.afterLoss(d, t.Order)
		}
	case recActivity:
		a := &h.Activities[i]
		if err := s.checkCustomer(a.Customer); err != nil {
			return err
		}
		m, ok := s.e.metricIdx[a.Metric]
		if !ok || builtinClass(a.Metric) == classPurchase || builtinClass(a.Metric) == classPoints {
			return fmt.Errorf("%w %q", ErrUnknownMetric, a.Metric)
		}
		if !finite(a.Value) || math.Abs(a.Value) > maxAmount {
			return invalid("value %v is not finite or exceeds %s", a.Value, formatNumber(maxAmount))
		}
		s.touch(d)
		v := toFixed(a.Value)
		if s.e.usedMetric[m] && v != 0 {
			s.addContrib(d, m, v)
		}
		if g := s.e.growth; g != nil && v > 0 && len(g.activityRules[m]) > 0 {
			note := ""
			if s.audit {
				note = a.Metric + " " + formatNumber(fromFixed(v))
				if a.Ref != "" {
					note += " " + a.Ref
				}
			}
			if err := s.growthEarn(d, v, g.activityRules[m], 0, note); err != nil {
				return err
			}
		}
		if v > 0 {
			if rules := s.e.activityRules[m]; len(rules) > 0 {
				pts, err := s.earn(d, v, rules, 0)
				if err != nil {
					return err
				}
				if pts > 0 {
					note := ""
					if s.audit {
						note = a.Metric + " " + formatNumber(fromFixed(v))
						if a.Ref != "" {
							note += " " + a.Ref
						}
					}
					s.credit(d, pts, -1, LedgerEarn, note, true)
				}
			}
			s.afterGain(d)
		} else if v < 0 && s.e.usedMetric[m] {
			s.afterGain(d) // a fall can meet an at-most criterion
		}
	case recPoint:
		p := &h.Points[i]
		if err := s.checkCustomer(p.Customer); err != nil {
			return err
		}
		if p.Points > maxRecordPoints || p.Points < -maxRecordPoints {
			return invalid("%d points out of range", p.Points)
		}
		switch p.Kind {
		case Earn:
			if p.Points <= 0 {
				return invalid("earn of %d points; want > 0", p.Points)
			}
			s.touch(d)
			s.credit(d, p.Points, -1, LedgerEarn, p.Note, p.Qualifying)
			s.afterGain(d)
		case Redeem:
			if p.Points <= 0 {
				return invalid("redemption of %d points; want > 0", p.Points)
			}
			if bal := s.remaining - s.debt; p.Points > bal {
				return fmt.Errorf("%w: redeem %s, balance %s", ErrInsufficientPoints, formatPoints(p.Points), formatPoints(bal))
			}
			s.touch(d)
			s.consume(p.Points)
			if s.audit {
				s.ledgerEntry(LedgerRedeem, d, -p.Points, p.Note)
			}
		case Adjust:
			if p.Points == 0 {
				return invalid("adjustment of 0 points")
			}
			s.touch(d)
			if p.Points > 0 {
				s.credit(d, p.Points, -1, LedgerAdjust, p.Note, false)
			} else {
				s.consume(-p.Points)
				if s.audit {
					s.ledgerEntry(LedgerAdjust, d, p.Points, p.Note)
				}
			}
		default:
			return invalid("unknown point event kind %d", p.Kind)
		}
	case recOverride:
		o := &h.Overrides[i]
		if err := s.checkCustomer(o.Customer); err != nil {
			return err
		}
		return s.override(d, o)
	}
	return nil
}

// ---- metrics and the window ------------------------------------------------

// addContrib records a contribution of v to metric m dated day (≤ the day
// being replayed), keeping contribs sorted by day and the window sums current.
func (s *state) addContrib(day segkit.Day, m int, v int64) {
	c := contrib{day: day, metric: uint8(m), val: v}
	if v < 0 {
		s.negative = true
	}
	if n := len(s.contribs); n == 0 || s.contribs[n-1].day <= day {
		s.contribs = append(s.contribs, c)
	} else {
		p, _ := slices.BinarySearchFunc(s.contribs, day+1, func(c contrib, d segkit.Day) int { return int(c.day) - int(d) })
		s.contribs = slices.Insert(s.contribs, p, c)
	}
	if day < s.lastStart {
		s.lo++ // before the window, which only moves forward
	} else {
		s.win[m] += v
	}
}

// windowAt makes s.win the metric sums of the window ending on t. Evaluation
// days never go backwards during a replay, so the window start only advances.
func (s *state) windowAt(t segkit.Day) {
	if t == s.lastEval {
		return
	}
	s.lastEval = t
	st := s.windowStart(t)
	if st <= s.lastStart {
		return
	}
	for s.lo < len(s.contribs) && s.contribs[s.lo].day < st {
		c := s.contribs[s.lo]
		s.win[c.metric] -= c.val
		s.lo++
	}
	s.lastStart = st
}

// windowStart is Engine.windowStart with a cache: evaluation days move
// forward slowly, and the start depends only on the month (rolling) or the
// period (calendar and anniversary years) of the day.
func (s *state) windowStart(t segkit.Day) segkit.Day {
	if t < s.wsLo || t > s.wsHi {
		e := s.e
		switch e.window {
		case CalendarYear:
			y := yearOf(t)
			s.wsLo, s.wsHi = segkit.Date(y, 1, 1), segkit.Date(y, 12, 31)
			s.wsBase = s.wsLo
		case AnniversaryYear:
			k := periodIndex(s.join, t, 12)
			s.wsBase = addMonths(s.join, 12*k)
			s.wsLo, s.wsHi = s.wsBase, addMonths(s.join, 12*(k+1))-1
		default:
			y, m, _ := t.Date()
			mi := monthIndex(y, m)
			s.wsLo, s.wsHi = segkit.Date(y, m, 1), endOfMonthIndex(mi)
			y2, m2 := fromMonthIndex(mi - int64(e.windowMonths))
			// addMonths(t, -N) + 1 = first of the earlier month + min(day, its length).
			s.wsBase, s.wsDim = segkit.Date(y2, m2, 1), segkit.DaysIn(y2, m2)
		}
	}
	if s.e.window == Rolling {
		return s.wsBase + segkit.Day(min(int(t-s.wsLo)+1, s.wsDim))
	}
	return s.wsBase
}

// sumsAt computes into win the sums of the window ending on t from every
// contribution known so far (for progress reports, not during the replay).
func (s *state) sumsAt(t segkit.Day, win []int64) {
	clear(win)
	st := s.e.windowStart(t, s.join)
	for _, c := range s.contribs {
		if c.day >= st && c.day <= t {
			win[c.metric] += c.val
		}
	}
	if s.e.usedGrowth {
		win[s.e.iGrowth] = s.growth * fixedScale
	}
}

// ---- purchases and refunds -------------------------------------------------

// orderSeed hashes order keys for a quick pre-comparison; the seed only
// affects speed, never results.
var orderSeed = maphash.MakeSeed()

func (s *state) order(key string, d segkit.Day, create bool) int32 {
	if s.orderIdx == nil && len(s.orders) > 64 {
		s.orderIdx = make(map[string]int32, len(s.orders)*2)
		for i, o := range s.orders {
			s.orderIdx[o.key] = int32(i)
		}
	}
	var h uint64
	if s.orderIdx != nil {
		if i, ok := s.orderIdx[key]; ok {
			return i
		}
	} else {
		h = maphash.String(orderSeed, key)
		for i := len(s.orders) - 1; i >= 0; i-- {
			if s.orders[i].hash == h && s.orders[i].key == key {
				return int32(i)
			}
		}
	}
	if !create {
		return -1
	}
	s.orders = append(s.orders, orderAgg{hash: h, key: key, day: d})
	i := int32(len(s.orders) - 1)
	if s.orderIdx != nil {
		s.orderIdx[key] = i
	}
	return i
}

func (s *state) purchase(d segkit.Day, t *segkit.Transaction, a int64) error {
	e := s.e
	oi := int32(-1)
	if t.Order != "" {
		oi = s.order(t.Order, d, true)
		o := &s.orders[oi]
		o.amount += a
		o.lines++
		if o.cancelled { // a new line revives a fully refunded order
			o.cancelled = false
			if e.usedOrders {
				s.addContrib(o.day, e.iOrders, (o.lines-1)*fixedScale)
			}
		}
	}
	if e.usedSpend {
		s.addContrib(d, e.iSpend, a)
	}
	if e.usedOrders {
		s.addContrib(d, e.iOrders, fixedScale)
	}
	if e.usedItems && t.Quantity != 0 {
		s.addContrib(d, e.iItems, int64(t.Quantity)*fixedScale)
	}
	pts, err := s.earn(d, a, e.purchaseRules, e.perUnit)
	if err != nil {
		return err
	}
	if pts > 0 {
		if oi >= 0 {
			s.orders[oi].points += pts
		}
		note := ""
		if s.audit && t.Order != "" {
			note = "order " + t.Order
		}
		s.credit(d, pts, oi, LedgerEarn, note, true)
	}
	return nil
}

// orderNote is "order K" for the audit trail, "" without an order or audit.
func (s *state) orderNote(order string) string {
	if !s.audit || order == "" {
		return ""
	}
	return "order " + order
}

// earn computes the points a purchase amount or activity value (fixed point)
// earns on day d at the member's current level.
func (s *state) earn(d segkit.Day, amount int64, rules []crule, base float64) (int64, error) {
	l := s.effective
	per := base
	var bonus int64
	for i := range rules {
		if r := &rules[i]; r.applies(d, l, amount) {
			per += r.perUnit
			bonus += r.bonus
		}
	}
	x := per * s.e.levels[l].mult * fromFixed(amount)
	if x+float64(bonus) > maxRecordPoints {
		return 0, invalid("earns more than %s points", formatNumber(maxRecordPoints))
	}
	return floorPoints(x) + bonus, nil
}

// floorPoints rounds down, forgiving the float error of products such as
// 12.4 × 100 = 1239.9999999999998.
func floorPoints(x float64) int64 {
	if x <= 0 {
		return 0
	}
	return int64(math.Floor(x * (1 + 1e-12)))
}

func (s *state) refund(d segkit.Day, t *segkit.Transaction, r int64) {
	e := s.e
	rest := r
	qty := int64(t.Quantity)
	if qty < 0 {
		qty = -qty
	}
	if t.Order != "" {
		if oi := s.order(t.Order, d, false); oi >= 0 && s.orders[oi].amount > s.orders[oi].refunded {
			o := &s.orders[oi]
			m := min(rest, o.amount-o.refunded)
			o.refunded += m
			rest -= m
			if e.usedSpend {
				s.addContrib(o.day, e.iSpend, -m)
			}
			if e.usedItems && qty != 0 {
				s.addContrib(o.day, e.iItems, -qty*fixedScale)
				qty = 0
			}
			if e.usedOrders && !o.cancelled && o.refunded >= o.amount {
				o.cancelled = true
				s.addContrib(o.day, e.iOrders, -o.lines*fixedScale)
			}
			target := o.points
			if o.refunded < o.amount {
				target = int64(math.Round(float64(o.points) * float64(o.refunded) / float64(o.amount)))
			}
			if rev := target - o.reversed; rev > 0 {
				o.reversed = target
				s.reverseOrder(d, oi, rev)
			}
		}
	}
	if rest > 0 {
		if e.usedSpend {
			s.addContrib(d, e.iSpend, -rest)
		}
		if e.usedItems && qty != 0 {
			s.addContrib(d, e.iItems, -qty*fixedScale)
		}
		if pts := floorPoints(e.perUnit * e.levels[s.effective].mult * fromFixed(rest)); pts > 0 {
			s.consume(pts)
			if e.usedPoints {
				s.addContrib(d, e.iPoints, -pts*fixedScale)
			}
			if s.audit {
				note := "refund"
				if t.Order != "" {
					note = "refund of unmatched order " + t.Order
				}
				s.ledgerEntry(LedgerReverse, d, -pts, note)
			}
		}
	}
}

// reverseOrder takes back rev points earned by order oi: first what is left
// of the order's own lots, then, for the part already spent, from the rest of
// the balance (going into debt if need be). The part that already expired is
// not taken twice.
func (s *state) reverseOrder(d segkit.Day, oi int32, rev int64) {
	left := rev
	for i := range s.lots {
		if l := &s.lots[i]; l.order == oi && left > 0 {
			take := min(left, l.remaining)
			l.remaining -= take
			s.remaining -= take
			left -= take
		}
	}
	var charge int64
	for i := range s.lots {
		if l := &s.lots[i]; l.order == oi && left > 0 {
			c := min(left, l.spent-l.charged)
			l.charged += c
			left -= c
			charge += c
		}
	}
	if charge > 0 {
		s.consume(charge)
	}
	o := &s.orders[oi]
	if s.e.usedPoints {
		s.addContrib(o.day, s.e.iPoints, -rev*fixedScale)
	}
	if s.audit {
		note := "refund of order " + o.key
		if left > 0 {
			note += " (" + formatPoints(left) + " had expired)"
		}
		s.ledgerEntry(LedgerReverse, d, -(rev - left), note)
	}
}

package tier_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/tier"
	"github.com/stretchr/testify/require"
)

// ---- a naive reference for levels -----------------------------------------
//
// It walks every day, recomputes the window sums from scratch with the time
// package's calendar, and applies the documented rules: immediate upgrades on
// records, reviews at the end of each period's last day (effective the next
// day), downgrade to the highest level whose retention is met but at most
// MaxDrop levels, validity guarantees. Its subset: no grace, lifetime,
// overrides, revocation or order-matched refunds.

type naiveCrit struct {
	metric string
	min    float64
	any    []naiveCrit
	all    []naiveCrit
}

func (c naiveCrit) met(sums map[string]float64) bool {
	switch {
	case c.metric != "":
		return sums[c.metric] >= c.min-1e-9
	case c.all != nil:
		for _, k := range c.all {
			if !k.met(sums) {
				return false
			}
		}
		return true
	}
	for _, k := range c.any {
		if k.met(sums) {
			return true
		}
	}
	return false
}

func toNaive(c *tier.Criteria) naiveCrit {
	n := naiveCrit{metric: c.Metric, min: c.Min}
	for i := range c.Any {
		n.any = append(n.any, toNaive(&c.Any[i]))
	}
	for i := range c.All {
		n.all = append(n.all, toNaive(&c.All[i]))
	}
	return n
}

func tdate(d segkit.Day) time.Time { return d.Time(time.UTC) }

func tday(t time.Time) segkit.Day { return segkit.DayOf(t, time.UTC) }

// naiveAddMonths moves by n months, clamping the day to the month's length.
func naiveAddMonths(d segkit.Day, n int) segkit.Day {
	t := tdate(d)
	first := time.Date(t.Year(), t.Month()+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return tday(time.Date(first.Year(), first.Month(), min(t.Day(), last), 0, 0, 0, 0, time.UTC))
}

type naiveProgram struct {
	p       tier.Program
	entry   []naiveCrit
	retain  []naiveCrit
	review  int
	joinAnc bool
}

func newNaive(p tier.Program) *naiveProgram {
	n := &naiveProgram{p: p, review: p.Review.Months}
	for i, l := range p.Levels {
		if i == 0 {
			n.entry = append(n.entry, naiveCrit{})
			n.retain = append(n.retain, naiveCrit{})
			continue
		}
		n.entry = append(n.entry, toNaive(l.Entry))
		r := l.Entry
		if l.Retain != nil {
			r = l.Retain
		}
		n.retain = append(n.retain, toNaive(r))
	}
	n.joinAnc = p.Review.Anchor == tier.AnchorJoin || (p.Review.Anchor == "" && p.Review.Months == 0 && p.Window.Kind == tier.AnniversaryYear)
	if n.review == 0 {
		n.review = 12
		if p.Window.Kind == tier.Rolling {
			n.review = 1
		}
	}
	return n
}

func (n *naiveProgram) windowStart(d, join segkit.Day) segkit.Day {
	switch n.p.Window.Kind {
	case tier.CalendarYear:
		return tday(time.Date(tdate(d).Year(), 1, 1, 0, 0, 0, 0, time.UTC))
	case tier.AnniversaryYear:
		k := 0
		for naiveAddMonths(join, 12*k) > d {
			k--
		}
		for naiveAddMonths(join, 12*(k+1)) <= d {
			k++
		}
		return naiveAddMonths(join, 12*k)
	}
	return naiveAddMonths(d, -n.p.Window.Months) + 1
}

// reviewDays lists the last days of review periods between from and to.
func (n *naiveProgram) reviewDays(join, from, to segkit.Day) map[segkit.Day]bool {
	out := map[segkit.Day]bool{}
	for d := from; d <= to; d++ {
		t := tdate(d + 1)
		if !n.joinAnc && t.Day() == 1 && (int(t.Month())-1)%n.review == 0 {
			out[d] = true
		}
	}
	if n.joinAnc {
		for k := -200; k <= 200; k++ {
			if d := naiveAddMonths(join, k*n.review) - 1; d >= from && d <= to {
				out[d] = true
			}
		}
	}
	return out
}

func (n *naiveProgram) validThrough(d segkit.Day) (segkit.Day, bool) {
	switch n.p.Validity.Kind {
	case tier.ValidFollowingYear:
		return tday(time.Date(tdate(d).Year()+1, 12, 31, 0, 0, 0, 0, time.UTC)), true
	case tier.ValidMonths:
		return naiveAddMonths(d, n.p.Validity.Months) - 1, true
	}
	return 0, false
}

type naiveContrib struct {
	day    segkit.Day
	metric string
	v      float64
}

// levels returns the earned level at the end of every day from..to.
func (n *naiveProgram) levels(h tier.History, from, to segkit.Day) map[segkit.Day]int {
	type rec struct {
		t    time.Time
		kind int
		i    int
	}
	var recs []rec
	for i, x := range h.Transactions {
		recs = append(recs, rec{x.At, 0, i})
	}
	for i, x := range h.Activities {
		recs = append(recs, rec{x.At, 1, i})
	}
	slices.SortStableFunc(recs, func(a, b rec) int {
		if c := a.t.Compare(b.t); c != 0 {
			return c
		}
		return a.kind - b.kind
	})
	join := tday(recs[0].t)
	if !h.Joined.IsZero() {
		join = min(join, tday(h.Joined))
	}
	var contribs []naiveContrib
	type naiveOrder struct {
		day                     segkit.Day
		amount, refunded, lines float64
		cancelled               bool
	}
	orders := map[string]*naiveOrder{}
	sums := func(d segkit.Day) map[string]float64 {
		st := n.windowStart(d, join)
		out := map[string]float64{}
		for _, c := range contribs {
			if c.day >= st && c.day <= d {
				out[c.metric] += c.v
			}
		}
		return out
	}
	top := len(n.p.Levels) - 1
	immediate := n.p.Upgrade != tier.UpgradeAtPeriodEnd
	level, hasValid, valid := 0, false, segkit.Day(0)
	out := map[segkit.Day]int{}
	ri := 0
	reviews := n.reviewDays(join, join, to)
	for d := join; d <= to; d++ {
		for ri < len(recs) && tday(recs[ri].t) == d {
			r := recs[ri]
			ri++
			gained := false
			if r.kind == 0 {
				tx := h.Transactions[r.i]
				a := tx.Amount
				o := orders[tx.Order]
				switch {
				case a > 0:
					if tx.Order != "" {
						if o == nil {
							o = &naiveOrder{day: d}
							orders[tx.Order] = o
						}
						o.amount += a
						o.lines++
						if o.cancelled {
							o.cancelled = false
							contribs = append(contribs, naiveContrib{o.day, "orders", o.lines - 1})
						}
					}
					contribs = append(contribs, naiveContrib{d, "spend", a}, naiveContrib{d, "orders", 1})
					gained = true
				case a < 0:
					rest := -a
					if tx.Order != "" && o != nil && o.amount > o.refunded+1e-9 {
						m := min(rest, o.amount-o.refunded)
						o.refunded += m
						rest -= m
						contribs = append(contribs, naiveContrib{o.day, "spend", -m})
						if !o.cancelled && o.refunded >= o.amount-1e-9 {
							o.cancelled = true
							contribs = append(contribs, naiveContrib{o.day, "orders", -o.lines})
						}
					}
					if rest > 1e-9 {
						contribs = append(contribs, naiveContrib{d, "spend", -rest})
					}
				}
			} else {
				a := h.Activities[r.i]
				contribs = append(contribs, naiveContrib{d, a.Metric, a.Value})
				gained = a.Value > 0
			}
			if immediate && gained {
				s := sums(d)
				for l := top; l > level; l-- {
					if n.entry[l].met(s) {
						level = l
						if v, ok := n.validThrough(d); ok && (!hasValid || v > valid) {
							hasValid, valid = true, v
						}
						break
					}
				}
			}
		}
		out[d] = level
		if !reviews[d] {
			continue
		}
		s := sums(d)
		upgraded := false
		for l := top; l > level; l-- {
			if n.entry[l].met(s) {
				level, upgraded = l, true
				if v, ok := n.validThrough(d); ok && (!hasValid || v > valid) {
					hasValid, valid = true, v
				}
				break
			}
		}
		if upgraded || level == 0 {
			continue
		}
		if n.retain[level].met(s) {
			if v, ok := n.validThrough(d); ok && (!hasValid || v > valid) {
				hasValid, valid = true, v
			}
			continue
		}
		if n.p.Downgrade.Policy == tier.DowngradeNever || (hasValid && valid >= d+1) {
			continue
		}
		target := 0
		for l := level - 1; l >= 1; l-- {
			if n.retain[l].met(s) {
				target = l
				break
			}
		}
		byRet := target
		if md := n.p.Downgrade.MaxDrop; md > 0 && level-target > md {
			target = level - md
		}
		level = target
		hasValid = false
		if target == byRet && target > 0 {
			valid, hasValid = n.validThrough(d)
		}
	}
	for d := range out {
		if d < from {
			delete(out, d)
		}
	}
	return out
}

// randomProgram draws a valid program from the naive reference's subset.
func randomProgram(rng *rand.Rand) tier.Program {
	p := tier.Program{Name: "random"}
	switch rng.IntN(3) {
	case 0:
		p.Window = tier.Window{Kind: tier.CalendarYear}
	case 1:
		p.Window = tier.Window{Kind: tier.Rolling, Months: 1 + rng.IntN(18)}
	default:
		p.Window = tier.Window{Kind: tier.AnniversaryYear}
	}
	switch rng.IntN(4) {
	case 0:
		p.Review = tier.Review{Months: []int{1, 2, 3, 4, 6, 12}[rng.IntN(6)]}
	case 1:
		p.Review = tier.Review{Months: []int{1, 5, 12}[rng.IntN(3)], Anchor: tier.AnchorJoin}
	}
	if rng.IntN(3) == 0 {
		p.Upgrade = tier.UpgradeAtPeriodEnd
	}
	p.Downgrade.MaxDrop = rng.IntN(3)
	if rng.IntN(6) == 0 {
		p.Downgrade.Policy = tier.DowngradeNever
	}
	switch rng.IntN(3) {
	case 1:
		p.Validity = tier.Validity{Kind: tier.ValidFollowingYear}
	case 2:
		p.Validity = tier.Validity{Kind: tier.ValidMonths, Months: 1 + rng.IntN(24)}
	}
	nl := 2 + rng.IntN(3)
	p.Levels = []tier.LevelSpec{{Name: "L0"}}
	spend, nights, orders := 0.0, 0.0, 0.0
	for i := 1; i < nl; i++ {
		spend += float64(500 + rng.IntN(3000))
		nights += float64(2 + rng.IntN(10))
		orders += float64(1 + rng.IntN(4))
		leaves := []tier.Criteria{tier.AtLeast("spend", spend), tier.AtLeast("nights", nights), tier.AtLeast("orders", orders)}
		k := 1 + rng.IntN(3)
		var entry *tier.Criteria
		if rng.IntN(2) == 0 {
			entry = tier.AnyOf(leaves[:k]...)
		} else {
			entry = tier.AllOf(leaves[:k]...)
		}
		l := tier.LevelSpec{Name: fmt.Sprintf("L%d", i), Entry: entry}
		if rng.IntN(2) == 0 {
			r := *entry
			r.Any, r.All = slices.Clone(entry.Any), slices.Clone(entry.All)
			for j := range r.Any {
				r.Any[j].Min = math.Floor(r.Any[j].Min * 0.7)
			}
			for j := range r.All {
				r.All[j].Min = math.Floor(r.All[j].Min * 0.7)
			}
			l.Retain = &r
		}
		p.Levels = append(p.Levels, l)
	}
	return p
}

func randomHistory(rng *rand.Rand, start segkit.Day, days int, n int) tier.History {
	h := tier.History{Customer: "r"}
	if rng.IntN(2) == 0 {
		h.Joined = tdate(start.AddDays(-rng.IntN(400)))
	}
	for range n {
		t := tdate(start.AddDays(rng.IntN(days))).Add(time.Duration(rng.IntN(86400)) * time.Second)
		order := ""
		if rng.IntN(10) < 7 {
			order = fmt.Sprintf("o%d", rng.IntN(8))
		}
		switch rng.IntN(5) {
		case 0, 1:
			h.Transactions = append(h.Transactions, segkit.Transaction{At: t, Amount: float64(rng.IntN(250000)) / 100, Order: order})
		case 2:
			amount := -float64(rng.IntN(80000)) / 100
			if k := len(h.Transactions); k > 0 && rng.IntN(2) == 0 {
				// A full return of an earlier purchase, a little later.
				p := h.Transactions[rng.IntN(k)]
				if p.Amount > 0 && p.Order != "" {
					amount, order, t = -p.Amount, p.Order, p.At.Add(time.Duration(1+rng.IntN(60*86400))*time.Second)
				}
			}
			h.Transactions = append(h.Transactions, segkit.Transaction{At: t, Amount: amount, Order: order})
		default:
			h.Activities = append(h.Activities, tier.Activity{At: t, Metric: "nights", Value: float64(1 + rng.IntN(6))})
		}
	}
	if len(h.Transactions) == 0 {
		h.Transactions = append(h.Transactions, segkit.Transaction{At: tdate(start), Amount: 1})
	}
	return h
}

func TestLevelsMatchNaiveReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	start := day("2025-01-01")
	iterations := 600
	if testing.Short() {
		iterations = 30
	}
	for it := range iterations {
		p := randomProgram(rng)
		e, err := tier.Compile(p)
		require.NoError(t, err)
		naive := newNaive(p)
		h := randomHistory(rng, start, 900, 5+rng.IntN(40))
		end := start.AddDays(1300)
		tl, err := e.ReplayDay(h, end)
		require.NoError(t, err)
		want := naive.levels(h, start, end)
		for d := start; d <= end; d++ {
			if got := int(tl.LevelAt(d)); got != want[d] {
				pj, _ := json.Marshal(p)
				t.Fatalf("iteration %d, day %s: engine level %d, naive %d\nprogram %s\n%s", it, d, got, want[d], pj, tl)
			}
		}
	}
}

// Replaying through day d and reading a longer replay's timeline at d agree:
// nothing after d influences what happened by d.
func TestReplayPrefixConsistency(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	start := day("2025-01-01")
	e := loadEngine(t, "testdata/retail.json")
	for it := range 60 {
		h := randomHistory(rng, start, 700, 10+rng.IntN(30))
		end := start.AddDays(900)
		tl, err := e.ReplayDay(h, end)
		require.NoError(t, err)
		for range 15 {
			d := start.AddDays(rng.IntN(900))
			st, err := e.EvaluateDay(h, d)
			require.NoError(t, err)
			require.Equal(t, tl.LevelAt(d), st.Level, "iteration %d day %s", it, d)
			require.Equal(t, tl.BalanceAt(d), st.Points, "iteration %d day %s", it, d)
			short, err := e.ReplayDay(h, d)
			require.NoError(t, err)
			require.Equal(t, st, short.Status, "Evaluate and Replay statuses, iteration %d day %s", it, d)
		}
	}
}

// ---- a per-unit reference for the points ledger ---------------------------
//
// Every point is a unit with the lot it came from; each day first expires
// units by age and by inactivity, then applies the day's records in order.
// Redemptions and debits take the oldest units; refunds take back an order's
// points from its own units, charge the spent part against the balance and
// skip the part that expired.

type naiveLot struct {
	order          string
	earned         int
	alive          int
	spent, charged int
	expires        segkit.Day
}

type naiveLedger struct {
	perUnit     float64
	expiryDays  int
	inactivity  int
	units       []int // lot index per alive unit, oldest first
	lots        []*naiveLot
	debt        int
	last        segkit.Day
	hasLast     bool
	orderAmount map[string]float64
	orderRefund map[string]float64
	orderPoints map[string]int
	orderRev    map[string]int
}

func (n *naiveLedger) balance() int { return len(n.units) - n.debt }

func (n *naiveLedger) take(k int) {
	for k > 0 && len(n.units) > 0 {
		n.lots[n.units[0]].spent++
		n.lots[n.units[0]].alive--
		n.units = n.units[1:]
		k--
	}
	n.debt += k
}

func (n *naiveLedger) earn(d segkit.Day, pts int, order string) {
	pay := min(n.debt, pts)
	n.debt -= pay
	exp := segkit.Day(math.MaxInt32)
	if n.expiryDays > 0 {
		exp = d.AddDays(n.expiryDays)
	}
	n.lots = append(n.lots, &naiveLot{order: order, earned: pts, alive: pts - pay, spent: pay, expires: exp})
	for range pts - pay {
		n.units = append(n.units, len(n.lots)-1)
	}
}

func (n *naiveLedger) startOfDay(d segkit.Day) {
	kept := n.units[:0]
	for _, u := range n.units {
		if n.lots[u].expires <= d {
			n.lots[u].alive--
			continue
		}
		kept = append(kept, u)
	}
	n.units = kept
	if n.inactivity > 0 && n.hasLast && naiveAddMonths(n.last, n.inactivity) <= d {
		for _, u := range n.units {
			n.lots[u].alive--
		}
		n.units = n.units[:0]
	}
}

func (n *naiveLedger) refund(d segkit.Day, order string, amount float64) {
	rest := amount
	if order != "" && n.orderAmount[order] > n.orderRefund[order] {
		m := min(rest, n.orderAmount[order]-n.orderRefund[order])
		n.orderRefund[order] += m
		rest -= m
		target := n.orderPoints[order]
		if n.orderRefund[order] < n.orderAmount[order] {
			target = int(math.Round(float64(n.orderPoints[order]) * n.orderRefund[order] / n.orderAmount[order]))
		}
		left := target - n.orderRev[order]
		if left > 0 {
			n.orderRev[order] = target
			// own alive units first
			kept := n.units[:0]
			for _, u := range n.units {
				if left > 0 && n.lots[u].order == order {
					n.lots[u].alive--
					left--
					continue
				}
				kept = append(kept, u)
			}
			n.units = kept
			charge := 0
			for _, l := range n.lots {
				if l.order == order && left > 0 {
					c := min(left, l.spent-l.charged)
					l.charged += c
					left -= c
					charge += c
				}
			}
			n.take(charge)
		}
	}
	if rest > 1e-9 {
		n.take(int(math.Floor(n.perUnit * rest * (1 + 1e-12))))
	}
}

const ledgerProgram = `{
  "window": {"kind": "calendar_year"},
  "points": {"per_unit": %v, "expiry_days": %d, "inactivity_months": %d,
             "rules": [{"name": "basket bonus", "min_amount": 150, "bonus": 7}]},
  "levels": [{"name": "Member"}]
}`

func TestLedgerMatchesPerUnitReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(99, 1))
	start := day("2026-01-01")
	for it := range 400 {
		perUnit := []float64{1, 0.5, 2}[rng.IntN(3)]
		expiry := []int{0, 20, 60, 200}[rng.IntN(4)]
		inactivity := []int{0, 0, 1, 3}[rng.IntN(4)]
		e := engineFromJSON(t, sprintf(ledgerProgram, perUnit, expiry, inactivity))
		h := tier.History{Customer: "l"}
		n := &naiveLedger{perUnit: perUnit, expiryDays: expiry, inactivity: inactivity,
			orderAmount: map[string]float64{}, orderRefund: map[string]float64{}, orderPoints: map[string]int{}, orderRev: map[string]int{}}
		span := 300
		nrec := 5 + rng.IntN(40)
		type ev struct {
			d    segkit.Day
			kind int
			i    int
		}
		var evs []ev
		for k := range nrec {
			d := start.AddDays(rng.IntN(span))
			tm := tdate(d).Add(time.Duration(k) * time.Minute) // distinct instants, in draw order within a day
			order := fmt.Sprintf("o%d", rng.IntN(6))
			switch rng.IntN(6) {
			case 0, 1:
				h.Transactions = append(h.Transactions, segkit.Transaction{At: tm, Amount: float64(1 + rng.IntN(300)), Order: order})
				evs = append(evs, ev{d, 0, len(h.Transactions) - 1})
			case 2:
				if rng.IntN(4) == 0 {
					order = ""
				}
				h.Transactions = append(h.Transactions, segkit.Transaction{At: tm, Amount: -float64(1 + rng.IntN(200)), Order: order})
				evs = append(evs, ev{d, 0, len(h.Transactions) - 1})
			case 3:
				h.Points = append(h.Points, tier.PointEvent{At: tm, Kind: tier.Earn, Points: int64(1 + rng.IntN(50))})
				evs = append(evs, ev{d, 2, len(h.Points) - 1})
			case 4:
				h.Points = append(h.Points, tier.PointEvent{At: tm, Kind: tier.Redeem, Points: int64(1 + rng.IntN(120))})
				evs = append(evs, ev{d, 2, len(h.Points) - 1})
			default:
				h.Points = append(h.Points, tier.PointEvent{At: tm, Kind: tier.Adjust, Points: int64(rng.IntN(81) - 40)})
				if h.Points[len(h.Points)-1].Points == 0 {
					h.Points[len(h.Points)-1].Points = 1
				}
				evs = append(evs, ev{d, 2, len(h.Points) - 1})
			}
		}
		// The reference replays in time order; the engine gets the slices as built.
		slices.SortFunc(evs, func(a, b ev) int {
			ta, tb := recTime(h, a.kind, a.i), recTime(h, b.kind, b.i)
			return ta.Compare(tb)
		})
		balances := map[segkit.Day]int{}
		failAt := segkit.Day(math.MaxInt32)
		ei := 0
		end := start.AddDays(span + 400)
	days:
		for d := start; d <= end; d++ {
			n.startOfDay(d)
			for ei < len(evs) && evs[ei].d == d {
				x := evs[ei]
				ei++
				n.last, n.hasLast = d, true
				if x.kind == 0 {
					tx := h.Transactions[x.i]
					if tx.Amount > 0 {
						pts := int(math.Floor(perUnit * tx.Amount * (1 + 1e-12)))
						if tx.Amount >= 150 {
							pts += 7
						}
						n.orderAmount[tx.Order] += tx.Amount
						n.orderPoints[tx.Order] += pts
						if pts > 0 {
							n.earn(d, pts, tx.Order)
						}
					} else {
						n.refund(d, tx.Order, -tx.Amount)
					}
					continue
				}
				p := h.Points[x.i]
				switch p.Kind {
				case tier.Earn:
					n.earn(d, int(p.Points), "")
				case tier.Redeem:
					if int(p.Points) > n.balance() {
						failAt = d
						break days
					}
					n.take(int(p.Points))
				case tier.Adjust:
					if p.Points > 0 {
						n.earn(d, int(p.Points), "")
					} else {
						n.take(int(-p.Points))
					}
				}
			}
			balances[d] = n.balance()
		}
		if failAt != math.MaxInt32 {
			_, err := e.EvaluateDay(h, end)
			require.ErrorIs(t, err, tier.ErrInsufficientPoints, "iteration %d", it)
			if failAt > start {
				tl, err := e.ReplayDay(h, failAt-1)
				require.NoError(t, err)
				require.Equal(t, int64(balances[failAt-1]), tl.Points, "iteration %d", it)
			}
			continue
		}
		tl, err := e.ReplayDay(h, end)
		require.NoError(t, err, "iteration %d", it)
		for d := start; d <= end; d++ {
			if got := tl.BalanceAt(d); got != int64(balances[d]) {
				t.Fatalf("iteration %d (per unit %v, expiry %d days, inactivity %d months): day %s: engine %d, reference %d\n%s",
					it, perUnit, expiry, inactivity, d, got, balances[d], tl)
			}
		}
		// Projections from an early replay match the reference when nothing
		// happens after the replay day.
		cut := start.AddDays(rng.IntN(span))
		early, err := e.ReplayDay(h, cut)
		require.NoError(t, err)
		if lastRecord(h) <= cut {
			for d := cut; d <= end; d += 7 {
				require.Equal(t, int64(balances[d]), early.BalanceAt(d), "projection, iteration %d day %s", it, d)
			}
		}
	}
}

func recTime(h tier.History, kind, i int) time.Time {
	if kind == 0 {
		return h.Transactions[i].At
	}
	return h.Points[i].At
}

func lastRecord(h tier.History) segkit.Day {
	var last segkit.Day
	for _, x := range h.Transactions {
		last = max(last, tday(x.At))
	}
	for _, x := range h.Points {
		last = max(last, tday(x.At))
	}
	return last
}

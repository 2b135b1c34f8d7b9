// Membership: a hotel loyalty program (会员等级) and channel-agent levels
// A/B/C, both defined as data and run by package tier's engine, with the
// audit trail of every decision, and the levels written into a bitmap index
// so that segment rules select on them; then an online mall's levels by
// growth value (成长值) next to a credit scorecard (信誉模型) whose bands
// carry the restrictions the checkout applies:
//
//	go run ./examples/membership
//
// It needs no files. The programs are JSON embedded below; the guests and
// agents of the replays are written out by hand (each tells one story:
// a soft landing, a requalification, a refund, a status match, a grace
// period); the 3,000 guests of the last part are generated from a fixed
// seed. Every date is fixed (as of 2027-03-31, Asia/Shanghai), so every run
// prints the same.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // the programs count days in Asia/Shanghai on any machine

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/segment"
	"github.com/segkit/segkit/tier"
)

// hotelJSON is a hotel-style program: a calendar-year qualification window,
// any of nights, stays or qualifying points (1 point per yuan, times the
// level's multiplier) reaches a level, status earned in a year lasts
// through the end of the next, and a review lowers a level by at most one
// step (the soft landing). Gold and Diamond keep their level on lower
// retention thresholds than those that earned it.
const hotelJSON = `{
  "name": "Segkit Hotels Rewards",
  "time_zone": "Asia/Shanghai",
  "window": {"kind": "calendar_year"},
  "upgrade": "immediate",
  "downgrade": {"policy": "period_end", "max_drop": 1},
  "validity": {"kind": "following_year"},
  "points": {"per_unit": 1, "expiry_days": 730,
             "rules": [{"name": "stay bonus", "metric": "stays", "bonus": 200}]},
  "levels": [
    {"name": "Member", "benefits": {"late_checkout": "12:00", "lounge": false}},
    {"name": "Silver", "multiplier": 1.1,
     "entry": {"any": [{"metric": "nights", "min": 10}, {"metric": "stays", "min": 4}, {"metric": "points", "min": 10000}]},
     "benefits": {"late_checkout": "14:00", "lounge": false}},
    {"name": "Gold", "multiplier": 1.25,
     "entry":  {"any": [{"metric": "nights", "min": 40}, {"metric": "stays", "min": 20}, {"metric": "points", "min": 40000}]},
     "retain": {"any": [{"metric": "nights", "min": 30}, {"metric": "stays", "min": 15}, {"metric": "points", "min": 30000}]},
     "benefits": {"late_checkout": "16:00", "lounge": true}},
    {"name": "Diamond", "multiplier": 1.5,
     "entry":  {"any": [{"metric": "nights", "min": 60}, {"metric": "stays", "min": 30}, {"metric": "points", "min": 80000}]},
     "retain": {"any": [{"metric": "nights", "min": 50}, {"metric": "stays", "min": 25}, {"metric": "points", "min": 64000}]},
     "benefits": {"late_checkout": "18:00", "lounge": true, "suite_upgrades": 4}}
  ]
}`

// agentJSON is a channel-partner program: agents buy their level with an
// annual fee and earn it with purchase volume (spend), both over the last
// 12 months; levels are reviewed every quarter, and an agent that no longer
// meets its level's retention criteria has 60 days of grace to fix it.
const agentJSON = `{
  "name": "Channel Partners",
  "time_zone": "Asia/Shanghai",
  "window": {"kind": "rolling", "months": 12},
  "review": {"months": 3, "anchor": "calendar"},
  "upgrade": "immediate",
  "downgrade": {"policy": "grace", "grace_days": 60, "max_drop": 1},
  "levels": [
    {"name": "C", "benefits": {"discount": 0.05, "credit_days": 0}},
    {"name": "B",
     "entry":  {"all": [{"metric": "fees", "min": 2000}, {"metric": "spend", "min": 50000}]},
     "retain": {"all": [{"metric": "fees", "min": 2000}, {"metric": "spend", "min": 30000}]},
     "benefits": {"discount": 0.10, "credit_days": 30}},
    {"name": "A",
     "entry":  {"all": [{"metric": "fees", "min": 5000}, {"metric": "spend", "min": 200000}]},
     "retain": {"all": [{"metric": "fees", "min": 5000}, {"metric": "spend", "min": 150000}]},
     "benefits": {"discount": 0.15, "credit_days": 60}}
  ]
}`

// asOf is the day everything is evaluated at, in the programs' time zone.
var asOf = segkit.Date(2027, 3, 31)

// evening is 20:00 on asOf in eng's time zone: the instant evaluations
// take, as a host would pass its clock reading.
func evening(eng *tier.Engine) time.Time {
	return segkit.NewZone(eng.Location()).Start(asOf).Add(20 * time.Hour)
}

// guests is the size of the generated guest base of the index part.
const guests = 3_000

func main() {
	if _, err := run(os.Stdout, guests); err != nil {
		log.Fatal(err)
	}
}

// figures are the program's key results, for its test.
type figures struct {
	Hotel  map[string]tier.Status // by guest, as of asOf
	Agents map[string]tier.Status
	// Levels counts the generated guests per level name.
	Levels map[string]int
	// Rules holds each rule's member count, by rule text.
	Rules map[string]int
	// Base is the generated guest base with each guest's status.
	Base []guest
	// MallLevels and Bands count the mall members per level and credit
	// band; MallRules holds the mall rules' member counts; Members the
	// members with their results.
	MallLevels, Bands map[string]int
	MallRules         map[string]int
	Members           []member
}

func run(w io.Writer, n int) (*figures, error) {
	out := &figures{Hotel: map[string]tier.Status{}, Agents: map[string]tier.Status{}, Levels: map[string]int{}, Rules: map[string]int{},
		MallLevels: map[string]int{}, Bands: map[string]int{}, MallRules: map[string]int{}}
	hotel, err := compile(hotelJSON)
	if err != nil {
		return nil, err
	}
	if err := hotelStories(w, hotel, out); err != nil {
		return nil, err
	}
	agents, err := compile(agentJSON)
	if err != nil {
		return nil, err
	}
	if err := agentLevels(w, agents, out); err != nil {
		return nil, err
	}
	if err := indexed(w, hotel, n, out); err != nil {
		return nil, err
	}
	if err := mall(w, n, out); err != nil {
		return nil, err
	}
	return out, nil
}

func compile(src string) (*tier.Engine, error) {
	prog, err := tier.ParseProgram([]byte(src))
	if err != nil {
		return nil, err
	}
	return tier.Compile(prog)
}

// at returns noon of a YYYY-MM-DD day in loc.
func at(day string, loc *time.Location) time.Time {
	d, err := segkit.ParseDay(day)
	if err != nil {
		panic(err) // the days below are literals
	}
	return d.Time(loc).Add(12 * time.Hour)
}

// stay adds a hotel stay to h: its nights and the stay as activities, and
// its bill as a purchase that earns points.
func stay(h *tier.History, t time.Time, nights int, rate float64, booking string) {
	h.Activities = append(h.Activities,
		tier.Activity{At: t, Metric: tier.MetricNights, Value: float64(nights), Ref: booking},
		tier.Activity{At: t, Metric: tier.MetricStays, Value: 1, Ref: booking})
	h.Transactions = append(h.Transactions, segkit.Transaction{At: t, Amount: float64(nights) * rate, Order: booking})
}

// stays adds count stays every `every` days from the day first.
func stays(h *tier.History, loc *time.Location, first string, every, count, nights int, rate float64) {
	t := at(first, loc)
	for i := range count {
		stay(h, t, nights, rate, fmt.Sprintf("%s-%s-%02d", h.Customer, first[:4], i+1))
		t = t.AddDate(0, 0, every)
	}
}

// hotelStories replays four guests, each showing one rule of the program.
func hotelStories(w io.Writer, eng *tier.Engine, out *figures) error {
	loc := eng.Location()
	fmt.Fprintf(w, "== %s: levels ==\n", eng.Program().Name)
	for l := range eng.Levels() {
		lv := tier.Level(l)
		fmt.Fprintf(w, "  %-8s ×%.2f points  %s\n", eng.Name(lv), eng.Multiplier(lv), benefits(eng, lv))
	}

	// li.wei travels every 12 days in 2025 (Diamond), far less in 2026: the
	// review of 2026-12-31 finds only Silver's criteria met, and the soft
	// landing lowers her one level, to Gold.
	li := tier.History{Customer: "li.wei", Joined: at("2025-01-02", loc)}
	stays(&li, loc, "2025-01-06", 12, 30, 3, 680)
	stays(&li, loc, "2026-02-10", 80, 4, 2, 680)
	stays(&li, loc, "2027-03-02", 1, 1, 2, 700)

	// wang.fang is a steady Gold: 22 stays in 2025, 16 in 2026, enough to
	// keep Gold (15) but not to earn it again (20).
	wang := tier.History{Customer: "wang.fang", Joined: at("2024-11-15", loc)}
	stays(&wang, loc, "2025-01-12", 16, 22, 2, 520)
	stays(&wang, loc, "2026-01-20", 21, 16, 2, 520)

	// zhang.min joins in 2026 and reaches Silver on her tenth night; a
	// prepaid booking is cancelled and refunded (taking its points back),
	// and she spends points on a free night.
	zhang := tier.History{Customer: "zhang.min", Joined: at("2026-04-08", loc)}
	stay(&zhang, at("2026-05-01", loc), 3, 900, "Z-301")
	stay(&zhang, at("2026-07-15", loc), 4, 1100, "Z-302")
	zhang.Transactions = append(zhang.Transactions,
		segkit.Transaction{At: at("2026-08-20", loc), Amount: 1960, Order: "Z-303"},  // prepaid
		segkit.Transaction{At: at("2026-08-25", loc), Amount: -1960, Order: "Z-303"}) // cancelled
	stay(&zhang, at("2026-09-12", loc), 3, 980, "Z-304")
	zhang.Points = append(zhang.Points, tier.PointEvent{At: at("2026-10-01", loc), Kind: tier.Redeem, Points: 5000, Note: "free night"})
	stay(&zhang, at("2027-02-10", loc), 2, 950, "Z-305")

	// chen.jie arrives with a competitor's Gold card: a status match grants
	// Gold for three months, then the level he earned applies again.
	chen := tier.History{Customer: "chen.jie", Joined: at("2026-10-20", loc)}
	stay(&chen, at("2026-10-21", loc), 1, 600, "C-1")
	gold, _ := eng.Level("Gold")
	chen.Overrides = append(chen.Overrides, tier.Override{At: at("2026-11-01", loc), Level: gold, Until: at("2027-01-31", loc), Reason: "status match: competitor Gold"})

	for _, h := range []tier.History{li, wang, zhang, chen} {
		tl, err := eng.Replay(h, evening(eng))
		if err != nil {
			return err
		}
		out.Hotel[h.Customer] = tl.Status
		fmt.Fprintln(w)
		if h.Customer == "zhang.min" {
			// The full audit: status, every decision, the points ledger.
			if _, err := tl.WriteTo(w); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(w, "customer %s: %s since %s", h.Customer, eng.Name(tl.Level), tl.Since)
			if tl.Guaranteed {
				fmt.Fprintf(w, ", valid through %s", tl.ValidThrough)
			}
			fmt.Fprintf(w, "; points %s\n", thousands(int(tl.Points)))
			for _, e := range tl.Entries {
				fmt.Fprintf(w, "  %s  %-13s %-8s → %-8s %s\n", e.Day, e.Kind, eng.Name(e.From), eng.Name(e.To), e.Reason)
			}
		}
		fmt.Fprintf(w, "  why: %s\n", tl.Explain())
		p, err := eng.Progress(h, evening(eng))
		if err != nil {
			return err
		}
		writeProgress(w, eng, p)
	}
	return nil
}

func writeProgress(w io.Writer, eng *tier.Engine, p tier.Progress) {
	if p.HasNext {
		fmt.Fprintf(w, "  next: %s needs %s\n", eng.Name(p.Next), p.ToNext)
	}
	switch {
	case p.Secure:
		fmt.Fprintf(w, "  keep: %s cannot be lost\n", eng.Name(p.Earned))
	default:
		fmt.Fprintf(w, "  keep: %s at the review of %s needs %s\n", eng.Name(p.Earned), p.KeepBy, p.ToKeep)
	}
}

func benefits(eng *tier.Engine, l tier.Level) string {
	b := eng.Benefits(l)
	keys := make([]string, 0, len(b))
	for k := range b {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%v", k, b[k])
	}
	return strings.Join(parts, " ")
}

// agentLevels evaluates five agents with the same engine type and shows the
// decisions of the two whose level moved under the quarterly reviews.
func agentLevels(w io.Writer, eng *tier.Engine, out *figures) error {
	loc := eng.Location()
	var fees []tier.Activity
	var orders []segkit.Transaction
	fee := func(agent, day string, v float64) {
		fees = append(fees, tier.Activity{Customer: agent, At: at(day, loc), Metric: tier.MetricFees, Value: v})
	}
	// monthly adds an order of amount on the 15th of each month from..to.
	monthly := func(agent, from, to string, amount float64) {
		for t := at(from, loc); !t.After(at(to, loc)); t = t.AddDate(0, 1, 0) {
			orders = append(orders, segkit.Transaction{Customer: agent, At: t, Amount: amount})
		}
	}
	// shanghai-01: the full fee and 25,000 a month: A.
	fee("shanghai-01", "2025-01-05", 5000)
	fee("shanghai-01", "2026-01-05", 5000)
	fee("shanghai-01", "2027-01-05", 5000)
	monthly("shanghai-01", "2025-01-15", "2027-03-15", 25000)
	// hangzhou-07: the B fee and 6,000 a month: B.
	for _, d := range []string{"2025-03-01", "2026-03-01", "2027-03-01"} {
		fee("hangzhou-07", d, 2000)
	}
	monthly("hangzhou-07", "2025-03-15", "2027-03-15", 6000)
	// suzhou-03: A-level volume but only a 500 fee: the fee gates it at C.
	for _, d := range []string{"2025-01-20", "2026-01-20", "2027-01-20"} {
		fee("suzhou-03", d, 500)
	}
	monthly("suzhou-03", "2025-01-15", "2027-03-15", 20000)
	// nanjing-12: A in 2025, then volume falls to 8,000 a month; the
	// review of 2026-09-30 starts a grace period, which ends in B.
	for _, d := range []string{"2025-02-01", "2026-02-01", "2027-02-01"} {
		fee("nanjing-12", d, 5000)
	}
	monthly("nanjing-12", "2025-01-15", "2025-12-15", 25000)
	monthly("nanjing-12", "2026-01-15", "2027-03-15", 8000)
	// ningbo-05: B from 2025; forgets the renewal due in April 2026, so the
	// review of 2026-06-30 finds no fee in the last 12 months; paying on
	// 2026-07-20 clears the grace period.
	fee("ningbo-05", "2025-04-10", 2000)
	fee("ningbo-05", "2026-07-20", 2000)
	fee("ningbo-05", "2027-03-10", 2000)
	monthly("ningbo-05", "2025-04-15", "2027-03-15", 6000)

	histories := tier.Group(tier.Sources{Activities: slices.Values(fees), Transactions: slices.Values(orders)})
	fmt.Fprintf(w, "\n== %s: agent levels as of %s ==\n", eng.Program().Name, asOf)
	fmt.Fprintf(w, "  %-12s %-5s %-10s  %s\n", "agent", "level", "since", "benefits")
	for st, err := range eng.EvaluateAll(slices.Values(histories), evening(eng)) {
		if err != nil {
			return err
		}
		out.Agents[st.Customer] = st
		fmt.Fprintf(w, "  %-12s %-5s %-10s  %s\n", st.Customer, eng.Name(st.Level), st.Since, benefits(eng, st.Level))
	}
	for _, h := range histories {
		if h.Customer != "nanjing-12" && h.Customer != "ningbo-05" {
			continue
		}
		tl, err := eng.Replay(h, evening(eng))
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\n%s: %s\n", h.Customer, tl.Explain())
		for _, e := range tl.Entries {
			fmt.Fprintf(w, "  %s  %-13s %s → %s  %s\n", e.Day, e.Kind, eng.Name(e.From), eng.Name(e.To), e.Reason)
		}
		p, err := eng.Progress(h, evening(eng))
		if err != nil {
			return err
		}
		writeProgress(w, eng, p)
	}
	return nil
}

// rules select audiences on the levels and points the adapter wrote, next
// to tags and events.
var rules = []struct{ why, src string }{
	{"Gold without a stay in 90 days: win them back", `tier == "Gold" && !didWithin("purchase", "90d")`},
	{"close to the next level, no stay this month", `has("near_next_level") && !didWithin("purchase", "30d")`},
	{"top levels sitting on points: redemption offer", `tier in ["Gold", "Diamond"] && points >= 50000`},
	{"business travellers still at the base level", `has("business_traveler") && tier == "Member"`},
}

// guest is one generated hotel guest.
type guest struct {
	History  tier.History
	Business bool
	// LastStay is the day of the last stay (in the program's zone), -1 when
	// the guest never stayed.
	LastStay segkit.Day
	Status   tier.Status
	Near     bool
}

// generate draws n guests from a fixed seed: a third travel for business
// (about a stay a month, short), the rest for leisure (a few stays a year,
// longer); some stop travelling at some point. Stays run from the join day
// through asOf.
func generate(n int, loc *time.Location) []guest {
	first, last := segkit.Date(2025, 1, 1), asOf
	out := make([]guest, n)
	for i := range out {
		r := rand.New(rand.NewPCG(20270331, uint64(i)))
		g := &out[i]
		g.Business = r.Float64() < 1.0/3
		joined := first.AddDays(r.IntN(asOf.Sub(first) - 30))
		g.History = tier.History{Customer: fmt.Sprintf("g%05d", i+1), Joined: joined.Time(loc).Add(9 * time.Hour)}
		perMonth, maxNights := 0.05+0.25*r.ExpFloat64(), 6
		if g.Business {
			perMonth, maxNights = 0.3+0.9*r.ExpFloat64(), 3
		}
		stop := last
		if r.Float64() < 0.35 {
			stop = joined.AddDays(r.IntN(last.Sub(joined) + 1))
		}
		g.LastStay = -1
		t := joined.Time(loc).Add(14 * time.Hour)
		for k := 1; ; k++ {
			t = t.Add(time.Duration(r.ExpFloat64() * 30 / perMonth * float64(24*time.Hour)))
			d := segkit.DayOf(t, loc)
			if d > stop {
				break
			}
			stay(&g.History, t, 1+r.IntN(maxNights), float64(350+10*r.IntN(90)), fmt.Sprintf("%s-%d", g.History.Customer, k))
			g.LastStay = d
		}
	}
	return out
}

// near reports whether a member is within 20% of a criterion it has not met.
func near(n tier.Need) bool {
	switch {
	case n.Metric != "":
		return !n.Met() && n.Have >= 0.8*n.Min
	case len(n.Any) > 0:
		return !n.Met() && slices.ContainsFunc(n.Any, near)
	default:
		return !n.Met() && !slices.ContainsFunc(n.All, func(c tier.Need) bool { return !c.Met() && !near(c) })
	}
}

// indexed evaluates the generated guest base, writes each guest's level and
// points into a bitmap index with tier's adapter (next to their bookings as
// purchase events and a few tags), and selects audiences with rules.
func indexed(w io.Writer, eng *tier.Engine, n int, out *figures) error {
	ctx := context.Background()
	loc := eng.Location()
	base := generate(n, loc)
	cfg := tier.DefaultIndexConfig()
	ix, err := bitmapindex.New(bitmapindex.Config{Location: loc, Schema: cfg.Attributes(tier.Output{})})
	if err != nil {
		return err
	}
	histories := func(yield func(tier.History) bool) {
		for i := range base {
			if !yield(base[i].History) {
				return
			}
		}
	}
	i := 0
	for st, err := range eng.EvaluateAll(histories, evening(eng)) {
		if err != nil {
			return err
		}
		base[i].Status = st
		out.Levels[eng.Name(st.Level)]++
		i++
	}
	b := ix.NewBatch()
	for i := range base {
		g := &base[i]
		key := g.History.Customer
		b.Add(key)
		if g.Business {
			b.AddTag(key, "business_traveler")
		} else {
			b.AddTag(key, "leisure_traveler")
		}
		for _, t := range g.History.Transactions {
			b.Record(key, "purchase", t.At, t.Amount)
		}
		// Progress replays the history again; it says how far the next
		// level is, which becomes a tag rules can use.
		p, err := eng.Progress(g.History, evening(eng))
		if err != nil {
			return err
		}
		if p.HasNext && near(p.ToNext) {
			g.Near = true
			b.AddTag(key, "near_next_level")
		}
	}
	statuses := make([]tier.Status, len(base))
	for i := range base {
		statuses[i] = base[i].Status
	}
	if err := tier.Apply(b, tier.Output{Engine: eng, Statuses: tier.Statuses(statuses)}, cfg); err != nil {
		return err
	}
	written := len(statuses)
	if err := b.Commit(); err != nil {
		return err
	}
	out.Base = base
	byKey := make(map[string]int, len(base))
	for i := range base {
		byKey[base[i].History.Customer] = i
	}
	v := ix.View()

	fmt.Fprintf(w, "\n== %s generated guests: levels written to the index (%s statuses) ==\n", thousands(n), thousands(written))
	for l := range eng.Levels() {
		name := eng.Name(tier.Level(l))
		fmt.Fprintf(w, "  %-8s %6s\n", name, thousands(out.Levels[name]))
	}
	now := asOf.Time(loc).Add(20 * time.Hour) // the evening of asOf
	fmt.Fprintf(w, "\nrules as of %s:\n", asOf)
	var winBack bitmapindex.Set
	for i, r := range rules {
		rule, err := segment.Compile(r.src, segment.WithSchema(v.Schema()))
		if err != nil {
			return err
		}
		set, err := rule.Eval(ctx, v, now)
		if err != nil {
			return err
		}
		if i == 0 {
			winBack = set
		}
		out.Rules[r.src] = set.Len()
		fmt.Fprintf(w, "  %5s  %-48s %s\n", thousands(set.Len()), r.why, r.src)
	}

	// Why are they Gold? The audit of the first two win-back guests.
	fmt.Fprintln(w, "\nthe first win-back guests, with the reason for their level:")
	k := 0
	for key := range winBack.Keys() {
		if k == 2 {
			break
		}
		g := base[byKey[key]]
		tl, err := eng.Replay(g.History, evening(eng))
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %s: last stay %s; %s\n", key, g.LastStay, tl.Explain())
		k++
	}
	return nil
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

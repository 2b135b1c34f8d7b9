package compare

import (
	"cmp"
	"fmt"
	"iter"
	"math"
	"slices"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/synth"
)

// Population is the synth reference population every engine loads, with the
// integer codes the SQL engines store for tags, events and interests, and the
// evaluation instant. It is immutable after NewPopulation and safe for
// concurrent use.
type Population struct {
	Gen *synth.Generator
	// N is the number of customers.
	N int
	// Now is the evaluation instant of every rule; Today is its day in UTC.
	Now   time.Time
	Today segkit.Day

	// Codes (1-based) of tags in rank order, of events in synth.EventNames
	// order and of interests in synth.Interests order.
	TagCode, EventCode, InterestCode, CategoryCode map[string]int
	TagNames, EventNames, Interests, Categories    []string
}

// NewPopulation prepares the reference population of n customers (synth's
// Reference(n), which is a prefix of every larger one) evaluated at now.
func NewPopulation(n int, now time.Time) (*Population, error) {
	if n <= 0 {
		return nil, fmt.Errorf("compare: population size %d: want at least 1", n)
	}
	cfg := synth.Reference(n)
	cfg.Workers = 2 // generation runs ahead of the loaders; the output does not depend on it
	g, err := synth.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	p := &Population{
		Gen: g, N: n, Now: now, Today: segkit.DayOf(now, time.UTC),
		TagNames: g.TagNames(), EventNames: synth.EventNames(), Interests: synth.Interests(),
		Categories: synth.PurchaseCategories(),
	}
	p.CategoryCode = codes(p.Categories)
	p.TagCode = codes(p.TagNames)
	p.EventCode = codes(p.EventNames)
	p.InterestCode = codes(p.Interests)
	return p, nil
}

func codes(names []string) map[string]int {
	m := make(map[string]int, len(names))
	for i, n := range names {
		m[n] = i + 1
	}
	return m
}

// Params returns the placeholder values of the population for an engine
// whose time literal is ts.
func (p *Population) Params(ts func(time.Time) string) Params {
	return Params{Today: p.Today, Tags: p.TagCode, Events: p.EventCode, Interests: p.InterestCode, Categories: p.CategoryCode, Timestamp: ts}
}

// Daily is one row of the per-customer, per-day event aggregate: customer
// did Event N times on Day.
type Daily struct {
	Event int
	Day   segkit.Day
	N     int
}

// First is a customer's first recorded day of an event.
type First struct {
	Event int
	Day   segkit.Day
}

// Purchase is one purchase event with its amount (synth's Value, which is
// a whole number of cents) and the code of its category property.
type Purchase struct {
	Day      segkit.Day
	Cents    int64
	Category int
}

// Row is one customer as the SQL engines store it. The slices are reused
// between iterations of [Population.Rows].
type Row struct {
	ID  int
	Rec *synth.Record
	// Tags and Interests as codes, ascending.
	Tags, Interests []int
	// Daily is sorted by (Event, Day); First by Event.
	Daily []Daily
	First []First
	// Purchases are the customer's purchase events in time order.
	Purchases []Purchase
	// SpendCents is Spend in cents.
	SpendCents int64
}

// Rows generates the population once, customer by customer in ID order
// (customer i has ID i, as in a bitmapindex loaded by synth.Load), with the
// derived rows the SQL engines store.
func (p *Population) Rows() iter.Seq[*Row] {
	return func(yield func(*Row) bool) {
		var row Row
		for r := range p.Gen.Records() {
			row.ID = r.Index
			row.Rec = r
			row.Tags = row.Tags[:0]
			for _, t := range r.Tags {
				row.Tags = append(row.Tags, p.TagCode[t])
			}
			slices.Sort(row.Tags)
			row.Interests = row.Interests[:0]
			for _, s := range r.Interests {
				row.Interests = append(row.Interests, p.InterestCode[s])
			}
			slices.Sort(row.Interests)
			row.Daily, row.First = deriveEvents(r.Events, p.EventCode, row.Daily[:0], row.First[:0])
			row.Purchases = row.Purchases[:0]
			for _, e := range r.Events {
				if e.Name == synth.EventPurchase {
					row.Purchases = append(row.Purchases, Purchase{Day: segkit.DayOf(e.At, time.UTC),
						Cents: int64(math.Round(e.Value * 100)), Category: p.CategoryCode[e.Props[synth.PropCategory]]})
				}
			}
			row.SpendCents = int64(math.Round(r.Spend * 100))
			if !yield(&row) {
				return
			}
		}
	}
}

// deriveEvents aggregates one customer's events per (event, day) and finds
// the first day of each event, in UTC whole days as DESIGN.md §4 measures
// them.
func deriveEvents(events []segkit.Event, code map[string]int, daily []Daily, first []First) ([]Daily, []First) {
	for _, e := range events {
		daily = append(daily, Daily{Event: code[e.Name], Day: segkit.DayOf(e.At, time.UTC), N: 1})
	}
	slices.SortFunc(daily, func(a, b Daily) int {
		return cmp.Or(cmp.Compare(a.Event, b.Event), cmp.Compare(a.Day, b.Day))
	})
	out := daily[:0]
	for _, d := range daily {
		if k := len(out) - 1; k >= 0 && out[k].Event == d.Event && out[k].Day == d.Day {
			out[k].N++
			continue
		}
		out = append(out, d)
		if len(first) == 0 || first[len(first)-1].Event != d.Event {
			first = append(first, First{Event: d.Event, Day: d.Day})
		}
	}
	return out, first
}

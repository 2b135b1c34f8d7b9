package rfm

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/internal/chart"
	"github.com/segkit/segkit/internal/textwidth"
)

// AEGroup is one of the five A–E groups of seed (种子用户) practice: A the
// prospects who have not bought, B–E the four quadrants of buyers by
// purchase frequency × average order value. The zero value is no group.
// AEGroups are small comparable values ordered A < B < … < E.
type AEGroup uint8

// The five groups.
const (
	// GroupA: prospects (潜在客户), customers without a purchase.
	GroupA AEGroup = iota + 1
	// GroupB: low frequency, low order value (低频低客单), occasional buyers.
	GroupB
	// GroupC: low frequency, high order value (低频高客单), big-ticket buyers.
	GroupC
	// GroupD: high frequency, low order value (高频低客单), frequent buyers.
	GroupD
	// GroupE: high frequency, high order value (高频高客单), core customers.
	GroupE
)

// AllAEGroups lists the groups from A to E.
var AllAEGroups = [...]AEGroup{GroupA, GroupB, GroupC, GroupD, GroupE}

var groupNames = [...]struct{ name, alias string }{
	{"潜在客户", "Prospects"},
	{"低频低客单", "Occasional"},
	{"低频高客单", "Big-ticket"},
	{"高频低客单", "Frequent"},
	{"高频高客单", "Core"},
}

// Valid reports whether g is one of A–E.
func (g AEGroup) Valid() bool { return g >= GroupA && g <= GroupE }

// Letter returns "A" … "E" ("?" for an invalid group).
func (g AEGroup) Letter() string {
	if !g.Valid() {
		return "?"
	}
	return string(rune('A' + g - 1))
}

// Name returns the group's Chinese name ("高频高客单").
func (g AEGroup) Name() string {
	if !g.Valid() {
		return ""
	}
	return groupNames[g-1].name
}

// Alias returns the group's English name ("Core").
func (g AEGroup) Alias() string {
	if !g.Valid() {
		return ""
	}
	return groupNames[g-1].alias
}

// String returns "E 高频高客单 (Core)".
func (g AEGroup) String() string {
	if !g.Valid() {
		return fmt.Sprintf("AEGroup(%d)", uint8(g))
	}
	return g.Letter() + " " + g.Name() + " (" + g.Alias() + ")"
}

// AEConfig says where the A–E groups split frequency and average order
// value. It is a plain value; the zero value splits both at the median.
type AEConfig struct {
	// Split finds the thresholds that are not given: SplitMedian (also for
	// the zero value) or SplitMean. A buyer is "high" in a dimension when
	// strictly above the threshold.
	Split Binning
	// FrequencyAbove and OrderValueAbove, when positive, are the thresholds
	// themselves: FrequencyAbove 1 makes two or more purchases high
	// frequency. Frequency is Customer.Frequency; order value is Revenue /
	// Orders.
	FrequencyAbove, OrderValueAbove float64
}

// AEGroups is the assignment of customers to the A–E groups on one analysis
// day, with the thresholds used. It is immutable and safe for concurrent
// use by multiple goroutines.
type AEGroups struct {
	// Now is the analysis day.
	Now segkit.Day
	// FrequencyAbove and OrderValueAbove are the thresholds used.
	FrequencyAbove, OrderValueAbove float64
	// Counts is the number of customers per group, A first.
	Counts [5]int
	keys   []string // sorted
	groups []AEGroup
}

// AEGroups assigns every customer of r to B–E by frequency × average order
// value, and every key of customers (for example all the keys of an
// index) without a purchase up to r.Now to A. customers may be nil (no
// prospects). Duplicate keys count once.
func (r *Result) AEGroups(customers iter.Seq[string], cfg AEConfig) (*AEGroups, error) {
	fa, va := cfg.FrequencyAbove, cfg.OrderValueAbove
	if math.IsNaN(fa) || math.IsNaN(va) || math.IsInf(fa, 0) || math.IsInf(va, 0) {
		return nil, errors.New("rfm: groups: thresholds must be finite")
	}
	if fa <= 0 || va <= 0 {
		freq := make([]float64, len(r.Customers))
		aov := make([]float64, len(r.Customers))
		for i, c := range r.Customers {
			freq[i], aov[i] = float64(c.Frequency), c.Revenue/float64(c.Orders)
		}
		split := func(vals []float64) (float64, error) {
			switch cfg.Split {
			case SplitMean:
				return mean(vals), nil
			case Quantile, SplitMedian: // Quantile is the zero value
				if len(vals) == 0 {
					return 0, nil
				}
				return type7(vals, 2, make([]float64, len(vals)))[0], nil
			}
			return 0, fmt.Errorf("rfm: groups: split %v: use SplitMedian or SplitMean", cfg.Split)
		}
		var err error
		if fa <= 0 {
			if fa, err = split(freq); err != nil {
				return nil, err
			}
		}
		if va <= 0 {
			if va, err = split(aov); err != nil {
				return nil, err
			}
		}
	}
	g := &AEGroups{Now: r.Now, FrequencyAbove: fa, OrderValueAbove: va}
	type kg struct {
		key string
		g   AEGroup
	}
	all := make([]kg, 0, len(r.Customers))
	for _, c := range r.Customers {
		grp := GroupB
		if float64(c.Frequency) > fa {
			grp += 2
		}
		if c.Revenue/float64(c.Orders) > va {
			grp++
		}
		all = append(all, kg{c.Key, grp})
	}
	if customers != nil {
		for key := range customers {
			if _, ok := r.Find(key); !ok {
				all = append(all, kg{key, GroupA})
			}
		}
	}
	slices.SortFunc(all, func(a, b kg) int { return strings.Compare(a.key, b.key) })
	all = slices.CompactFunc(all, func(a, b kg) bool { return a.key == b.key })
	g.keys = make([]string, len(all))
	g.groups = make([]AEGroup, len(all))
	for i, x := range all {
		g.keys[i], g.groups[i] = x.key, x.g
		g.Counts[x.g-1]++
	}
	return g, nil
}

// Len returns the number of customers grouped.
func (g *AEGroups) Len() int { return len(g.keys) }

// Of returns the group of a customer.
func (g *AEGroups) Of(key string) (AEGroup, bool) {
	i, ok := slices.BinarySearch(g.keys, key)
	if !ok {
		return 0, false
	}
	return g.groups[i], true
}

// All yields every customer and its group, in key order.
func (g *AEGroups) All() iter.Seq2[string, AEGroup] {
	return func(yield func(string, AEGroup) bool) {
		for i, k := range g.keys {
			if !yield(k, g.groups[i]) {
				return
			}
		}
	}
}

// Transitions counts how customers moved between the A–E groups from one
// analysis day to another: Counts[i][j] customers were in group i at From
// and in group j at To (index 0 is A). New counts, per group at To, the
// customers not grouped at From; Gone, per group at From, those not grouped
// at To. It is a plain value.
type Transitions struct {
	From, To segkit.Day
	Counts   [5][5]int
	New      [5]int
	Gone     [5]int
}

// CompareAEGroups returns the transitions from the groups of one day to those
// of another. For movements to mean changes of behaviour, both should use
// the same thresholds: compute from first and pass its thresholds in the
// AEConfig of to (as [TransitionReport] does).
func CompareAEGroups(from, to *AEGroups) *Transitions {
	t := &Transitions{From: from.Now, To: to.Now}
	i, j := 0, 0
	for i < len(from.keys) || j < len(to.keys) {
		switch {
		case j == len(to.keys) || (i < len(from.keys) && from.keys[i] < to.keys[j]):
			t.Gone[from.groups[i]-1]++
			i++
		case i == len(from.keys) || to.keys[j] < from.keys[i]:
			t.New[to.groups[j]-1]++
			j++
		default:
			t.Counts[from.groups[i]-1][to.groups[j]-1]++
			i++
			j++
		}
	}
	return t
}

// Move is a number of customers who went from one group to another. It is
// a plain value.
type Move struct {
	From, To  AEGroup
	Customers int
}

// Moves returns the movements between different groups, largest first
// (ties from A to E), leaving out customers who stayed.
func (t *Transitions) Moves() []Move {
	var out []Move
	for i, row := range t.Counts {
		for j, n := range row {
			if i != j && n > 0 {
				out = append(out, Move{AllAEGroups[i], AllAEGroups[j], n})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Move) int { return b.Customers - a.Customers })
	return out
}

// WriteText writes the transition table, rows the group on From, columns
// the group on To, with the customers new at To in a last row and those
// gone in a last column, then the moves largest first:
//
//	A–E groups from 2026-06-30 (rows) to 2026-12-31 (columns)
//	from \ to    A  B  C  D  E  gone
//	A 潜在客户    1  1  0  0  0  0
//	…
//	moves: A→B 1, B→D 1, D→E 1
func (t *Transitions) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "A–E groups from %s (rows) to %s (columns)\n", t.From, t.To)
	tw := textwidth.NewTabWriter(w, 2, false)
	row := func(cells ...string) { fmt.Fprintln(tw, strings.Join(cells, "\t")) }
	cells := []string{"from \\ to"}
	for _, g := range AllAEGroups {
		cells = append(cells, g.Letter())
	}
	row(append(cells, "gone")...)
	for i, g := range AllAEGroups {
		cells = []string{g.Letter() + " " + g.Name()}
		for j := range AllAEGroups {
			cells = append(cells, strconv.Itoa(t.Counts[i][j]))
		}
		row(append(cells, strconv.Itoa(t.Gone[i]))...)
	}
	cells = []string{"new"}
	for j := range AllAEGroups {
		cells = append(cells, strconv.Itoa(t.New[j]))
	}
	row(cells...)
	if err := tw.Flush(); err != nil {
		return err
	}
	moves := t.Moves()
	if len(moves) == 0 {
		_, err := fmt.Fprintln(w, "no customer changed group")
		return err
	}
	var b strings.Builder
	b.WriteString("moves:")
	for _, m := range moves {
		fmt.Fprintf(&b, " %s→%s %d,", m.From.Letter(), m.To.Letter(), m.Customers)
	}
	_, err := fmt.Fprintln(w, strings.TrimSuffix(b.String(), ","))
	return err
}

// WriteSVG draws the transition table as a heatmap: rows the group on
// From, columns the group on To, each cell the number of customers.
func (t *Transitions) WriteSVG(w io.Writer) error {
	h := chart.Heatmap{
		Title:    fmt.Sprintf("A–E groups: customers from %s (rows) to %s (columns)", t.From, t.To),
		ColTitle: "group on " + t.To.String(),
	}
	for _, g := range AllAEGroups {
		h.Rows = append(h.Rows, g.Letter()+" "+g.Name())
		h.Cols = append(h.Cols, g.Letter())
	}
	for i := range AllAEGroups {
		row := make([]float64, len(AllAEGroups))
		for j := range AllAEGroups {
			row[j] = float64(t.Counts[i][j])
		}
		h.Values = append(h.Values, row)
	}
	return h.WriteSVG(w)
}

// TransitionReport groups the customers as of from and as of to (each the
// "now" of an [Analyze]), the second with the thresholds found for the
// first, and compares them. Both analyses read the same transactions (each
// ignores those after its now) with the same configuration; customers (may
// be nil) lists the known customers, whose non-buyers are prospects (A) at
// either time.
func TransitionReport(txns iter.Seq[segkit.Transaction], from, to time.Time, customers []string, cfg Config, gcfg AEConfig) (*Transitions, *AEGroups, *AEGroups, error) {
	if to.Before(from) {
		return nil, nil, nil, fmt.Errorf("rfm: transitions: %s is before %s", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	zone := segkit.NewZone(cfg.location())
	group := func(now time.Time, gc AEConfig) (*AEGroups, error) {
		res, err := Analyze(txns, now, cfg)
		if errors.Is(err, ErrNoCustomers) {
			res, err = &Result{Now: zone.DayOf(now)}, nil
		}
		if err != nil {
			return nil, err
		}
		return res.AEGroups(slices.Values(customers), gc)
	}
	g1, err := group(from, gcfg)
	if err != nil {
		return nil, nil, nil, err
	}
	gcfg.FrequencyAbove, gcfg.OrderValueAbove = g1.FrequencyAbove, g1.OrderValueAbove
	g2, err := group(to, gcfg)
	if err != nil {
		return nil, nil, nil, err
	}
	return CompareAEGroups(g1, g2), g1, g2, nil
}

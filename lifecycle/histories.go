package lifecycle

import (
	"cmp"
	"fmt"
	"io"
	"iter"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/internal/textwidth"
)

// Histories holds every customer's activity days — purchase days, or the
// days of one event such as a login — built once and evaluated at any
// number of as-of dates. It is immutable after [NewHistories] or [Build]
// and safe for concurrent use.
type Histories struct {
	loc      *time.Location
	activity string         // "" for purchases, else the event name
	keys     []string       // sorted
	days     [][]segkit.Day // per customer: distinct activity days, ascending; empty for prospects
	listed   []bool         // per customer: named in the known-customers sequence
	refunds  int
	excluded []segkit.Excluded
}

// Source says what [Build] builds histories from. It is a plain value.
type Source struct {
	// Transactions are purchases (refunds are skipped and counted). Set
	// either Transactions or Events.
	Transactions iter.Seq[segkit.Transaction]
	// Events, with Activity, build histories from the days of one event
	// instead of purchases, for businesses that do not live on
	// transactions: stages from logins or interactions, with reasons that
	// name the event ("no login for 28 days"). Events of other names are
	// skipped.
	Events   iter.Seq[segkit.Event]
	Activity string
	// Customers, which may be nil, lists known customers so that those
	// without any activity are evaluated as prospects (their registration
	// dates are not known, so they are prospects at every date).
	Customers iter.Seq[string]
	// Location is the time zone of the days; nil means UTC.
	Location *time.Location
	// Exclude lists periods (days in Location) whose transactions or events
	// are left out, such as promotions that distort normal behaviour;
	// [Histories.Excluded] says how many each removed.
	Exclude []segkit.Period
}

// NewHistories groups transactions per customer into distinct purchase days
// in loc (nil means UTC); it is [Build] with Transactions, Customers and
// Location.
//
// Transactions with a negative amount are refunds, not purchase activity:
// they are skipped and counted ([Histories.Refunds]). A transaction without
// a customer key or time, or with a NaN or infinite amount, is a
// [*segkit.TransactionError].
func NewHistories(txns iter.Seq[segkit.Transaction], customers iter.Seq[string], loc *time.Location) (*Histories, error) {
	return Build(Source{Transactions: txns, Customers: customers, Location: loc})
}

// Build groups the activity of src per customer into distinct activity
// days. An event without a customer key or time is an [*EventError]; see
// [NewHistories] for transactions.
func Build(src Source) (_ *Histories, err error) {
	defer guard(&err, "histories")
	if src.Transactions != nil && src.Events != nil {
		return nil, fmt.Errorf("lifecycle: histories: set Transactions or Events, not both")
	}
	if src.Events != nil && src.Activity == "" {
		return nil, fmt.Errorf("lifecycle: histories: events need the Activity (event name) that counts")
	}
	if src.Events == nil && src.Activity != "" {
		return nil, fmt.Errorf("lifecycle: histories: Activity %q without Events", src.Activity)
	}
	loc := src.Location
	if loc == nil {
		loc = time.UTC
	}
	h := &Histories{loc: loc, activity: src.Activity}
	zone := segkit.NewZone(loc)
	ex, err := segkit.NewExclusion(src.Exclude)
	if err != nil {
		return nil, fmt.Errorf("lifecycle: %w", err)
	}
	index := make(map[string]int)
	var days [][]segkit.Day
	var listed []bool
	add := func(key string) int {
		i, ok := index[key]
		if !ok {
			i = len(h.keys)
			index[key] = i
			h.keys = append(h.keys, key)
			days = append(days, nil)
			listed = append(listed, false)
		}
		return i
	}
	if txns := src.Transactions; txns != nil {
		pos := 0
		txns(func(t segkit.Transaction) bool {
			if t.Customer != "" && !t.At.IsZero() && t.Amount < 0 && !math.IsInf(t.Amount, -1) {
				h.refunds++
				pos++
				return true
			}
			if reason := t.Problem(); reason != "" {
				err = &segkit.TransactionError{Model: "lifecycle", Pos: pos, Customer: t.Customer, At: t.At, Amount: t.Amount, Reason: reason}
				return false
			}
			pos++
			d := zone.DayOf(t.At)
			if ex.Active() && ex.Drop(d) {
				return true
			}
			i := add(t.Customer)
			days[i] = append(days[i], d)
			return true
		})
		if err != nil {
			return nil, err
		}
	}
	if evs := src.Events; evs != nil {
		pos := 0
		evs(func(e segkit.Event) bool {
			p := pos
			pos++
			if e.Name != src.Activity {
				return true
			}
			switch {
			case e.Customer == "":
				err = &EventError{Pos: p, Name: e.Name, Reason: "empty customer key"}
			case e.At.IsZero():
				err = &EventError{Pos: p, Customer: e.Customer, Name: e.Name, Reason: "no time"}
			}
			if err != nil {
				return false
			}
			d := zone.DayOf(e.At)
			if ex.Active() && ex.Drop(d) {
				return true
			}
			i := add(e.Customer)
			days[i] = append(days[i], d)
			return true
		})
		if err != nil {
			return nil, err
		}
	}
	if customers := src.Customers; customers != nil {
		pos := 0
		customers(func(k string) bool {
			if k == "" {
				err = fmt.Errorf("lifecycle: customer %d: empty customer key", pos)
				return false
			}
			pos++
			listed[add(k)] = true
			return true
		})
		if err != nil {
			return nil, err
		}
	}
	h.excluded = ex.Report()
	order := make([]int, len(h.keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(h.keys[a], h.keys[b]) })
	keys := make([]string, len(order))
	h.days = make([][]segkit.Day, len(order))
	h.listed = make([]bool, len(order))
	for j, i := range order {
		keys[j] = h.keys[i]
		h.listed[j] = listed[i]
		d := days[i]
		slices.Sort(d)
		h.days[j] = slices.Compact(d)
	}
	h.keys = keys
	return h, nil
}

// Activity returns the event the histories count, "" for purchases.
func (h *Histories) Activity() string { return h.activity }

// Excluded returns, per excluded period, the number of transactions or
// events it removed; nil without excluded periods.
func (h *Histories) Excluded() []segkit.Excluded { return slices.Clone(h.excluded) }

// Len returns the number of customers (prospects included).
func (h *Histories) Len() int { return len(h.keys) }

// Refunds returns the number of refund transactions that were skipped.
func (h *Histories) Refunds() int { return h.refunds }

// Location returns the time zone of the purchase days.
func (h *Histories) Location() *time.Location { return h.loc }

// Days returns a customer's distinct purchase days in ascending order (a
// copy), and whether the customer is known.
func (h *Histories) Days(customer string) ([]segkit.Day, bool) {
	i, ok := slices.BinarySearch(h.keys, customer)
	if !ok {
		return nil, false
	}
	return slices.Clone(h.days[i]), true
}

// upTo returns the prefix of days on or before asOf.
func upTo(days []segkit.Day, asOf segkit.Day) []segkit.Day {
	return days[:sort.Search(len(days), func(i int) bool { return days[i] > asOf })]
}

// Assignment is one customer's stage at an as-of date, with its reason. It
// is a plain value.
type Assignment struct {
	Customer string
	Stage    Stage
	Reason   Reason
}

// Snapshot is the lifecycle stage of every customer known at an as-of date.
// It is immutable and safe for concurrent use.
type Snapshot struct {
	AsOf segkit.Day
	// Assignments is sorted by customer key.
	Assignments []Assignment
	// PopulationGapDays is the population's typical gap between purchase
	// days (the median of the typical gaps of customers with a rhythm) used
	// by the Rhythm family's fallback; 0 when no customer has a rhythm or
	// the family is not Rhythm.
	PopulationGapDays float64
	// Unknown counts customers whose first purchase is after AsOf and who
	// are not listed as known customers: at AsOf they did not exist yet.
	Unknown int

	counts [numStages]int
}

// Count returns the number of customers in stage s.
func (s *Snapshot) Count(st Stage) int {
	if st >= numStages {
		return 0
	}
	return s.counts[st]
}

// Lookup returns a customer's assignment.
func (s *Snapshot) Lookup(customer string) (Assignment, bool) {
	i, ok := slices.BinarySearchFunc(s.Assignments, customer, func(a Assignment, k string) int { return cmp.Compare(a.Customer, k) })
	if !ok {
		return Assignment{}, false
	}
	return s.Assignments[i], true
}

// Stages evaluates every customer's stage as of the end of asOf's day in the
// histories' time zone, with no look-ahead: purchases on later days are
// ignored, and customers whose first purchase is later are not assigned
// (counted in Snapshot.Unknown) unless listed as known customers, in which
// case they are prospects. Snapshot.AsOf is that day.
func (h *Histories) Stages(asOf time.Time, cfg Config) (*Snapshot, error) {
	return h.stages(segkit.DayOf(asOf, h.loc), cfg)
}

// stages is Stages as of the end of day asOf.
func (h *Histories) stages(asOf segkit.Day, cfg Config) (_ *Snapshot, err error) {
	defer guard(&err, "stages")
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &classifier{cfg: cfg}
	snap := &Snapshot{AsOf: asOf, Assignments: make([]Assignment, 0, len(h.keys))}
	var scratch []int
	if cfg.Family == Rhythm {
		var meds []float64
		for _, d := range h.days {
			d = upTo(d, asOf)
			if len(d) >= cfg.RhythmMinPurchases {
				var m float64
				m, _, scratch = typicalGap(d, scratch)
				meds = append(meds, m)
			}
		}
		c.popGap = median(meds)
		snap.PopulationGapDays = c.popGap
	}
	for i, key := range h.keys {
		all := h.days[i]
		d := upTo(all, asOf)
		if len(d) == 0 && len(all) > 0 && !h.listed[i] {
			snap.Unknown++
			continue
		}
		r := c.classify(d, asOf, &scratch)
		r.Activity = h.activity
		snap.Assignments = append(snap.Assignments, Assignment{Customer: key, Stage: r.Stage, Reason: r})
		snap.counts[r.Stage]++
	}
	return snap, nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	m := len(v)
	if m%2 == 1 {
		return v[m/2]
	}
	return (v[m/2-1] + v[m/2]) / 2
}

// Move is one customer whose stage changed between two snapshots; a plain
// value.
type Move struct {
	Customer string
	From, To Stage
	// Reason is the reason of the stage at the later date.
	Reason Reason
}

// Transitions compares two snapshots: a stage-to-stage matrix of counts and
// the customers who moved. It is immutable and safe for concurrent use.
type Transitions struct {
	From, To segkit.Day
	// Moves lists the customers whose stage differs, by customer key.
	// Customers absent from the earlier snapshot move from StageNone.
	Moves  []Move
	counts [numStages][numStages]int
}

// Count returns the number of customers who were in stage from at the
// earlier date and in stage to at the later one (from == to counts those
// who stayed).
func (t *Transitions) Count(from, to Stage) int {
	if from >= numStages || to >= numStages {
		return 0
	}
	return t.counts[from][to]
}

// Compare computes the transitions from snapshot a to snapshot b (a's date
// must not be after b's). Customers only in b come from StageNone; customers
// only in a go to StageNone.
func Compare(a, b *Snapshot) (*Transitions, error) {
	if a == nil || b == nil {
		return nil, fmt.Errorf("lifecycle: compare: nil snapshot")
	}
	if a.AsOf > b.AsOf {
		return nil, fmt.Errorf("lifecycle: compare: first snapshot %s is after the second %s", a.AsOf, b.AsOf)
	}
	t := &Transitions{From: a.AsOf, To: b.AsOf}
	i, j := 0, 0
	for i < len(a.Assignments) || j < len(b.Assignments) {
		var key string
		from, to := StageNone, StageNone
		var reason Reason
		switch {
		case j == len(b.Assignments) || (i < len(a.Assignments) && a.Assignments[i].Customer < b.Assignments[j].Customer):
			key, from = a.Assignments[i].Customer, a.Assignments[i].Stage
			i++
		case i == len(a.Assignments) || b.Assignments[j].Customer < a.Assignments[i].Customer:
			key, to, reason = b.Assignments[j].Customer, b.Assignments[j].Stage, b.Assignments[j].Reason
			j++
		default:
			key, from, to, reason = a.Assignments[i].Customer, a.Assignments[i].Stage, b.Assignments[j].Stage, b.Assignments[j].Reason
			i++
			j++
		}
		t.counts[from][to]++
		if from != to {
			t.Moves = append(t.Moves, Move{Customer: key, From: from, To: to, Reason: reason})
		}
	}
	return t, nil
}

// Transitions evaluates the stages at two instants (as [Histories.Stages]
// does) and compares them.
func (h *Histories) Transitions(from, to time.Time, cfg Config) (*Transitions, error) {
	return h.transitions(segkit.DayOf(from, h.loc), segkit.DayOf(to, h.loc), cfg)
}

// transitions is Transitions between the ends of two days.
func (h *Histories) transitions(from, to segkit.Day, cfg Config) (*Transitions, error) {
	if from > to {
		return nil, fmt.Errorf("lifecycle: transitions: from %s is after to %s", from, to)
	}
	a, err := h.stages(from, cfg)
	if err != nil {
		return nil, err
	}
	b, err := h.stages(to, cfg)
	if err != nil {
		return nil, err
	}
	return Compare(a, b)
}

// WriteTable writes the transition matrix as an aligned text table: one row
// per stage at the earlier date, one column per stage at the later date,
// with row totals; stages that no customer was in at either date are left
// out.
func (t *Transitions) WriteTable(w io.Writer) error {
	var used []Stage
	for s := range Stage(numStages) {
		n := 0
		for o := range Stage(numStages) {
			n += t.counts[s][o] + t.counts[o][s]
		}
		if n > 0 {
			used = append(used, s)
		}
	}
	tw := textwidth.NewTabWriter(w, 2, true)
	fmt.Fprintf(tw, "%s → %s\t", t.From, t.To)
	for _, s := range used {
		fmt.Fprintf(tw, "%s\t", s)
	}
	fmt.Fprint(tw, "total\t\n")
	for _, s := range used {
		fmt.Fprintf(tw, "%s\t", s)
		total := 0
		for _, o := range used {
			fmt.Fprintf(tw, "%d\t", t.counts[s][o])
			total += t.counts[s][o]
		}
		fmt.Fprintf(tw, "%d\t\n", total)
	}
	return tw.Flush()
}

// String returns the table of [Transitions.WriteTable].
func (t *Transitions) String() string {
	var b strings.Builder
	_ = t.WriteTable(&b)
	return b.String()
}

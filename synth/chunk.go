package synth

import (
	"maps"
	"math"
	"slices"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
)

// chunker gathers customers and their events as the columns of a
// bitmapindex.Chunk, reusing its buffers from one chunk to the next.
type chunker struct {
	keys []string
	tags map[string][]uint32

	ageRows   []uint32
	ages      []int64
	genRows   []uint32
	genders   []string
	cities    []string
	occRows   []uint32
	occs      []string
	srcRows   []uint32
	srcs      []string
	spend     []float64
	signup    []int64
	lastLogin []int64
	vip       []bool
	intRows   []uint32
	interests [][]string
	arena     []string // interests' strings (the Record's slice is reused)

	events   map[string]*eventCols
	last     *eventCols // the events of lastName
	lastName string
}

// eventCols are one event's occurrences in a chunk.
type eventCols struct {
	rows   []uint32
	at     []int64
	values []bitmapindex.Amount // empty until an occurrence has a value
	hasVal bool
	// props has a column for every property the event had in this chunk or
	// an earlier one (the columns' buffers are reused); used marks those
	// with a value in this chunk, the columns committed (pass, reused).
	props []bitmapindex.PropColumn
	used  []bool
	pass  []bitmapindex.PropColumn
}

func newChunker(size int) *chunker {
	return &chunker{
		keys:   make([]string, 0, size),
		tags:   map[string][]uint32{},
		events: map[string]*eventCols{},
	}
}

// addCustomer adds a row for c and returns it.
func (ch *chunker) addCustomer(c *Customer) uint32 {
	row := uint32(len(ch.keys))
	ch.keys = append(ch.keys, c.Key)
	for _, t := range c.Tags {
		ch.tags[t] = append(ch.tags[t], row)
	}
	if c.Age != 0 {
		ch.ageRows = append(ch.ageRows, row)
		ch.ages = append(ch.ages, int64(c.Age))
	}
	if c.Gender != "" {
		ch.genRows = append(ch.genRows, row)
		ch.genders = append(ch.genders, c.Gender)
	}
	ch.cities = append(ch.cities, c.City)
	if c.Occupation != "" {
		ch.occRows = append(ch.occRows, row)
		ch.occs = append(ch.occs, c.Occupation)
	}
	if c.Source != "" {
		ch.srcRows = append(ch.srcRows, row)
		ch.srcs = append(ch.srcs, c.Source)
	}
	ch.spend = append(ch.spend, c.Spend)
	ch.signup = append(ch.signup, c.SignupAt.Unix())
	ch.lastLogin = append(ch.lastLogin, c.LastLoginAt.Unix())
	ch.vip = append(ch.vip, c.VIP)
	if len(c.Interests) > 0 {
		ch.intRows = append(ch.intRows, row)
		lo := len(ch.arena)
		ch.arena = append(ch.arena, c.Interests...)
		ch.interests = append(ch.interests, ch.arena[lo:len(ch.arena):len(ch.arena)])
	}
	return row
}

// addEvent adds an occurrence of e for the customer of row.
func (ch *chunker) addEvent(row uint32, e *segkit.Event) {
	ec := ch.last
	if ch.lastName != e.Name || ec == nil {
		ec = ch.events[e.Name]
		if ec == nil {
			ec = &eventCols{}
			ch.events[e.Name] = ec
		}
		ch.last, ch.lastName = ec, e.Name
	}
	n := len(ec.rows)
	ec.rows = append(ec.rows, row)
	ec.at = append(ec.at, e.At.Unix())
	if a := amountOf(e.Value); a != 0 || ec.hasVal {
		for len(ec.values) < n { // the earlier occurrences' zeros
			ec.values = append(ec.values, 0)
		}
		ec.values = append(ec.values, a)
		ec.hasVal = true
	}
	if len(ec.props) == 0 && len(e.Props) == 0 {
		return
	}
	for i := range ec.props {
		p := &ec.props[i]
		v := e.Props[p.Name] // "" when absent
		p.Values = append(p.Values, v)
		ec.used[i] = ec.used[i] || v != ""
	}
	if len(e.Props) > len(ec.props) {
		for k, v := range e.Props {
			if !slices.ContainsFunc(ec.props, func(p bitmapindex.PropColumn) bool { return p.Name == k }) {
				vals := make([]string, n, n+1) // absent from the earlier occurrences
				ec.props = append(ec.props, bitmapindex.PropColumn{Name: k, Values: append(vals, v)})
				ec.used = append(ec.used, v != "")
			}
		}
	}
}

// amountOf is the exact Amount of a value with at most 4 decimals (the
// generator's are cents): the scaled value rounds back to it exactly, which
// is cheaper than AmountFromFloat's decimal formatting; other values go
// through AmountFromFloat.
func amountOf(f float64) bitmapindex.Amount {
	const scale = 1e4
	if m := math.Round(f * scale); math.Abs(m) < 1<<50 && m/scale == f {
		return bitmapindex.Amount(m)
	}
	a, _ := bitmapindex.AmountFromFloat(f)
	return a
}

// commit writes the gathered rows as one chunk.
func (ch *chunker) commit(ix *bitmapindex.Index) ([]uint32, error) {
	c := ix.NewChunk(ch.keys)
	for _, t := range slices.Sorted(maps.Keys(ch.tags)) {
		if rows := ch.tags[t]; len(rows) > 0 {
			c.Tag(t, rows)
		}
	}
	c.Ints("age", ch.ageRows, ch.ages)
	c.Categories("gender", ch.genRows, ch.genders)
	c.Categories("city", nil, ch.cities)
	c.Categories("occupation", ch.occRows, ch.occs)
	c.Categories("source", ch.srcRows, ch.srcs)
	c.Decimals("spend", nil, ch.spend)
	c.Times("signup_at", nil, ch.signup)
	c.Times("last_login_at", nil, ch.lastLogin)
	c.Bools("vip", nil, ch.vip)
	c.Sets("interests", ch.intRows, ch.interests)
	for _, name := range slices.Sorted(maps.Keys(ch.events)) {
		ec := ch.events[name]
		ec.pass = ec.pass[:0]
		for i, p := range ec.props {
			if ec.used[i] {
				ec.pass = append(ec.pass, p)
			}
		}
		cols := bitmapindex.EventColumns{Rows: ec.rows, At: ec.at, Props: ec.pass}
		if ec.hasVal {
			cols.Values = ec.values
		}
		c.Events(name, cols)
	}
	return c.Commit()
}

// reset empties the chunker for the next chunk, keeping its buffers.
func (ch *chunker) reset() {
	ch.keys = ch.keys[:0]
	for t, rows := range ch.tags {
		ch.tags[t] = rows[:0]
	}
	ch.ageRows, ch.ages = ch.ageRows[:0], ch.ages[:0]
	ch.genRows, ch.genders = ch.genRows[:0], ch.genders[:0]
	ch.cities = ch.cities[:0]
	ch.occRows, ch.occs = ch.occRows[:0], ch.occs[:0]
	ch.srcRows, ch.srcs = ch.srcRows[:0], ch.srcs[:0]
	ch.spend, ch.signup, ch.lastLogin, ch.vip = ch.spend[:0], ch.signup[:0], ch.lastLogin[:0], ch.vip[:0]
	ch.intRows, ch.interests, ch.arena = ch.intRows[:0], ch.interests[:0], ch.arena[:0]
	for _, ec := range ch.events {
		ec.rows, ec.at, ec.values, ec.hasVal = ec.rows[:0], ec.at[:0], ec.values[:0], false
		for i := range ec.props {
			ec.props[i].Values, ec.used[i] = ec.props[i].Values[:0], false
		}
	}
}

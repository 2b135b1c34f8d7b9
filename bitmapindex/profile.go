package bitmapindex

import (
	"math"
	"time"

	"github.com/segkit/segkit"
)

// Profile is one customer as plain Go values: what segment.Match evaluates,
// and a readable picture for debugging. A Profile returned by View.Profile
// is the caller's to keep and modify; like any Go map-holding value it is
// safe for concurrent reads but not for concurrent writes.
type Profile struct {
	Key      string
	Location *time.Location         // nil means UTC
	Tags     map[string]bool        // tags the customer has
	Attrs    map[string]Value       // by attribute name; absent = missing
	Schema   map[string]Attribute   // attribute definitions (for decimal scale); may be nil → inferred from Value
	Events   map[string][]time.Time // occurrences per event name, ascending
	// Details holds, per event name, the value and properties of each
	// occurrence in Events[name] (same length and order). An event whose
	// occurrences carry neither has no entry: its values are 0 and it has
	// no properties.
	Details map[string][]EventDetail
}

// Profile returns a live customer as plain values. Attribute values are as
// stored: decimals rounded to their scale, times at second precision (in
// UTC). The index keeps events per day, so each occurrence is reported as
// the start of its day in the view's Location (two occurrences on one day
// appear twice).
func (v *View) Profile(key string) (Profile, bool) {
	id, ok := v.ID(key)
	if !ok {
		return Profile{}, false
	}
	p := Profile{Key: key, Location: v.loc, Tags: map[string]bool{}, Attrs: map[string]Value{},
		Schema: make(map[string]Attribute, len(v.st.schema)), Events: map[string][]time.Time{}}
	v.fill(&p, id, nil)
	return p, true
}

// Fields names the parts of a customer ProfileOf reads.
type Fields struct {
	Tags, Attrs, Events []string
	// From limits the occurrences read of the events it names to the days
	// on or after From[name]: what a caller whose rules look back a known
	// number of days needs (it saves reading a year for a 30-day window).
	// The occurrences before are left out of Events and Details.
	From map[string]segkit.Day
}

// ProfileOf returns the live customer with ID id as plain values, like
// Profile, but with only the tags, attributes (values and definitions) and
// events named in only: what a caller that evaluates a known set of rules
// for many customers needs, without the cost of the rest. A nil only reads
// everything.
func (v *View) ProfileOf(id uint32, only *Fields) (Profile, bool) {
	var p Profile
	ok := v.FillProfile(&p, id, only)
	return p, ok
}

// FillProfile is ProfileOf into p, reusing p's maps (cleared first; the
// event slices are not reused): for a caller reading many customers one
// after the other. It reports false, leaving p empty, when id is not a
// live customer.
func (v *View) FillProfile(p *Profile, id uint32, only *Fields) bool {
	reset(&p.Tags)
	reset(&p.Attrs)
	reset(&p.Schema)
	reset(&p.Events)
	if p.Details != nil {
		clear(p.Details)
	}
	key, ok := v.Key(id)
	if !ok {
		p.Key, p.Location = "", nil
		return false
	}
	p.Key, p.Location = key, v.loc
	v.fill(p, id, only)
	return true
}

func reset[M ~map[K]V, K comparable, V any](m *M) {
	if *m == nil {
		*m = M{}
	} else {
		clear(*m)
	}
}

// fill reads the customer id into p's empty maps.
func (v *View) fill(p *Profile, id uint32, only *Fields) {
	tag := func(name string, t *bm) {
		if t.contains(id) {
			p.Tags[name] = true
		}
	}
	attr := func(name string, a *attr) {
		if val, ok := a.valueAt(id); ok {
			p.Attrs[name] = val
		}
	}
	event := func(name string, e *event) {
		from := segkit.Day(math.MinInt32)
		if only != nil {
			if d, ok := only.From[name]; ok {
				from = d
			}
		}
		v.fillEvent(p, name, e, id, e.occurrences(id, from))
	}
	if only == nil {
		for name, t := range v.st.tags {
			tag(name, t)
		}
		for name, def := range v.st.schema {
			p.Schema[name] = def
		}
		for name, a := range v.st.attrs {
			attr(name, a)
		}
		for name, e := range v.st.events {
			event(name, e)
		}
		return
	}
	for _, name := range only.Tags {
		if t := v.st.tags[name]; t != nil {
			tag(name, t)
		}
	}
	for _, name := range only.Attrs {
		if def, ok := v.st.schema[name]; ok {
			p.Schema[name] = def
		}
		if a := v.st.attrs[name]; a != nil {
			attr(name, a)
		}
	}
	for _, name := range only.Events {
		if e := v.st.events[name]; e != nil {
			event(name, e)
		}
	}
}

// fillEvent sets the customer's occurrences of an event (days, ascending,
// a day once per occurrence) in p.
func (v *View) fillEvent(p *Profile, name string, e *event, id uint32, days []segkit.Day) {
	if len(days) == 0 {
		return
	}
	ts := make([]time.Time, len(days))
	for i, d := range days {
		ts[i] = v.tz.Start(d)
	}
	p.Events[name] = ts
	if det, some := e.details(id, days); some {
		if p.Details == nil {
			p.Details = map[string][]EventDetail{}
		}
		p.Details[name] = det
	}
}

package bitmapindex

import (
	"time"
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
	p := Profile{
		Key:      key,
		Location: v.loc,
		Tags:     map[string]bool{},
		Attrs:    map[string]Value{},
		Schema:   make(map[string]Attribute, len(v.st.schema)),
		Events:   map[string][]time.Time{},
	}
	for name, t := range v.st.tags {
		if t.contains(id) {
			p.Tags[name] = true
		}
	}
	for name, def := range v.st.schema {
		p.Schema[name] = def
	}
	for name, a := range v.st.attrs {
		if val, ok := a.valueAt(id); ok {
			p.Attrs[name] = val
		}
	}
	for name, e := range v.st.events {
		days := e.occurrences(id)
		if len(days) == 0 {
			continue
		}
		ts := make([]time.Time, len(days))
		for i, d := range days {
			ts[i] = v.tz.Start(d)
		}
		p.Events[name] = ts
		if det, some := e.details(id); some {
			if p.Details == nil {
				p.Details = map[string][]EventDetail{}
			}
			p.Details[name] = det
		}
	}
	return p, true
}

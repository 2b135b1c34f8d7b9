package bitmapindex

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Declared event properties (Config.Events). Snapshot section (layout 2):
//
//	evdecl = count uvarint | (event str | count uvarint | key str*)*   (events and keys sorted)

func (ix *Index) declareEvents(decl map[string][]string) error {
	if len(decl) == 0 {
		return nil
	}
	ix.evDecl = make(map[string][]string, len(decl))
	for e, keys := range decl {
		if e == "" {
			return fmt.Errorf("bitmapindex: event declaration with an empty event name")
		}
		k := slices.Clone(keys)
		slices.Sort(k)
		for i, key := range k {
			if key == "" {
				return fmt.Errorf("bitmapindex: event %q: empty property name", e)
			}
			if i > 0 && k[i-1] == key {
				return fmt.Errorf("bitmapindex: event %q: property %q declared twice", e, key)
			}
		}
		ix.evDecl[e] = k
	}
	return nil
}

func (ix *Index) checkEventProp(event, key string) error {
	keys, ok := ix.evDecl[event]
	if !ok {
		return nil
	}
	if _, found := slices.BinarySearch(keys, key); !found {
		return fmt.Errorf("bitmapindex: event %q has no property %q (declared: %s)", event, key, strings.Join(keys, ", "))
	}
	return nil
}

// EventSchema returns the declared properties per event (Config.Events),
// keys sorted; nil when none were declared. The map is the caller's.
func (v *View) EventSchema() map[string][]string {
	if v.evDecl == nil {
		return nil
	}
	out := make(map[string][]string, len(v.evDecl))
	for e, k := range v.evDecl {
		out[e] = slices.Clone(k)
	}
	return out
}

func (s *snapWriter) writeEvDecl(decl map[string][]string) {
	if len(decl) == 0 {
		return
	}
	s.uvarint(uint64(len(decl)))
	for _, e := range slices.Sorted(maps.Keys(decl)) {
		s.str(e)
		s.uvarint(uint64(len(decl[e])))
		for _, k := range decl[e] {
			s.str(k)
		}
	}
	s.section(secEvDecl)
}

func (ld *loader) readEvDecl(d *dec) {
	n := d.count(2)
	if d.err != nil {
		return
	}
	if ld.ix.evDecl != nil {
		d.fail("event declarations repeated")
		return
	}
	decl := make(map[string][]string, n)
	for range n {
		e := d.str()
		m := d.count(1)
		if d.err != nil {
			return
		}
		keys := make([]string, 0, m)
		for range m {
			keys = append(keys, d.str())
		}
		if d.err != nil {
			return
		}
		if _, dup := decl[e]; dup {
			d.fail("event %q declared twice", e)
			return
		}
		decl[e] = keys
	}
	if err := ld.ix.declareEvents(decl); err != nil {
		d.fail("%v", err)
	}
}

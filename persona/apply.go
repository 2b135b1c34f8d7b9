package persona

import (
	"errors"

	"github.com/segkit/segkit/bitmapindex"
)

// DefaultAttribute is the category attribute the adapter writes personas
// to by default, so rules can select `persona == "student_jobseeker"`.
const DefaultAttribute = "persona"

// IndexConfig names the index attributes the adapter writes. An empty name
// skips that attribute. It is a plain value; start from
// [DefaultIndexConfig].
type IndexConfig struct {
	// Persona is the category attribute that receives each customer's best
	// persona; default "persona".
	Persona string
	// Preferences is the set attribute that receives each customer's
	// strongest tags (as many as PreferenceConfig.Top kept); default
	// "preferred_tags".
	Preferences string
}

// DefaultIndexConfig writes personas to "persona" and preferences to
// "preferred_tags".
func DefaultIndexConfig() IndexConfig {
	return IndexConfig{Persona: DefaultAttribute, Preferences: "preferred_tags"}
}

// Output is what the adapter writes: an assignment ([Catalog.Assign]), and
// preferences ([ComputePreferences]); either may be nil. It is a plain
// value.
type Output struct {
	Assignment  *Assignment
	Preferences *Preferences
}

// Attributes returns the attributes the adapter writes for out, for
// [bitmapindex.Config.Schema] or [bitmapindex.Index.DeclareAll] (a strict
// index needs them declared before [Apply]).
func (c IndexConfig) Attributes(out Output) []bitmapindex.Attribute {
	var attrs []bitmapindex.Attribute
	if out.Assignment != nil && c.Persona != "" {
		attrs = append(attrs, bitmapindex.Attribute{Name: c.Persona, Kind: bitmapindex.KindCategory})
	}
	if out.Preferences != nil && c.Preferences != "" {
		attrs = append(attrs, bitmapindex.Attribute{Name: c.Preferences, Kind: bitmapindex.KindSet})
	}
	return attrs
}

// Apply adds to b, for every live customer of the assignment's view, a
// write of its best persona, and a clear for unassigned customers (so a
// persona from an earlier run does not linger); and for every customer with
// preferences, a write of its strongest tags. The batch is not committed.
// Batch writes create missing customers, so apply to the index the view
// came from; [Update] also skips customers deleted since.
func Apply(b *bitmapindex.Batch, out Output, cfg IndexConfig) error {
	if b == nil {
		return errors.New("persona: index: nil batch")
	}
	apply(b, out, cfg, func(string, uint32) bool { return true })
	return nil
}

func apply(b *bitmapindex.Batch, out Output, cfg IndexConfig, keep func(key string, id uint32) bool) {
	if a := out.Assignment; a != nil && cfg.Persona != "" {
		for _, p := range a.c.sc.order {
			value := bitmapindex.Category(a.c.defs[p].Name)
			for id, key := range a.view.Wrap(a.st.members[p]).Members() {
				if keep(key, id) {
					b.Set(key, cfg.Persona, value)
				}
			}
		}
		for id, key := range a.view.Wrap(a.unassigned).Members() {
			if keep(key, id) {
				b.Clear(key, cfg.Persona)
			}
		}
	}
	if p := out.Preferences; p != nil && cfg.Preferences != "" {
		for key, tags := range p.All() {
			values := make([]string, len(tags))
			for i, t := range tags {
				values[i] = t.Tag
			}
			b.Set(key, cfg.Preferences, bitmapindex.SetOf(values...))
		}
	}
}

// Update writes out into the index in one atomic batch: it declares the
// attributes the index does not have yet, writes each customer's best
// persona (and no value for unassigned customers) and preferences, and
// clears them for customers the output does not cover (added since the
// assignment's view, or without preferences now). Customers deleted from ix
// since the assignment's view (or deleted and added again) are skipped. ix
// must be the index the assignment's view came from.
func Update(ix *bitmapindex.Index, out Output, cfg IndexConfig) error {
	return bitmapindex.UpdateModel(ix, "persona: index", cfg.Attributes(out), func(b *bitmapindex.Batch) (func(attr, key string) bool, error) {
		live := ix.View()
		apply(b, out, cfg, func(key string, id uint32) bool {
			now, ok := live.ID(key)
			return ok && now == id
		})
		covers := func(attr, key string) bool {
			if attr == cfg.Persona && out.Assignment != nil {
				_, ok := out.Assignment.view.ID(key)
				return ok
			}
			return out.Preferences != nil && out.Preferences.top[key] != nil
		}
		return covers, nil
	})
}

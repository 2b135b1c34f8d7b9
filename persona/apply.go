package persona

import (
	"fmt"

	"github.com/segkit/segkit/bitmapindex"
)

// DefaultAttribute is the category attribute the adapters write personas
// to, so rules can select `persona == "student_jobseeker"`.
const DefaultAttribute = "persona"

// Apply adds to b, for every live customer of the assignment's view, a write
// of its best persona to the category attribute attr, and a clear of attr
// for unassigned customers (so a persona from an earlier run does not
// linger). It returns the number of writes added. The batch is not
// committed. Batch writes create missing customers, so apply to the index
// the view came from; [Write] also skips customers deleted since.
func (a *Assignment) Apply(b *bitmapindex.Batch, attr string) int {
	return a.apply(b, attr, func(string, uint32) bool { return true })
}

func (a *Assignment) apply(b *bitmapindex.Batch, attr string, keep func(key string, id uint32) bool) int {
	n := 0
	for _, p := range a.c.sc.order {
		value := bitmapindex.Category(a.c.defs[p].Name)
		for id := range a.view.Wrap(a.st.members[p]).IDs() {
			if key, ok := a.view.Key(id); ok && keep(key, id) {
				b.Set(key, attr, value)
				n++
			}
		}
	}
	for id := range a.view.Wrap(a.unassigned).IDs() {
		if key, ok := a.view.Key(id); ok && keep(key, id) {
			b.Clear(key, attr)
			n++
		}
	}
	return n
}

// Write declares attr as a category attribute of ix (if it is not declared
// yet) and writes the assignment into it in one atomic batch: each
// customer's best persona, and no value for unassigned customers. Customers
// deleted from ix since the assignment's view (or deleted and added again)
// are skipped. ix must be the index the assignment's view came from.
func Write(ix *bitmapindex.Index, a *Assignment, attr string) error {
	if err := ix.Declare(bitmapindex.Attribute{Name: attr, Kind: bitmapindex.KindCategory}); err != nil {
		return fmt.Errorf("persona: write: %w", err)
	}
	live := ix.View()
	b := ix.NewBatch()
	a.apply(b, attr, func(key string, id uint32) bool {
		now, ok := live.ID(key)
		return ok && now == id
	})
	if err := b.Commit(); err != nil {
		return fmt.Errorf("persona: write: %w", err)
	}
	return nil
}

// Apply adds to b, for every customer with preferences, a write of its
// strongest tags (as many as PreferenceConfig.Top kept) to the set attribute
// attr. It returns the number of writes added; the batch is not committed.
func (p *Preferences) Apply(b *bitmapindex.Batch, attr string) int {
	for key, tags := range p.All() {
		values := make([]string, len(tags))
		for i, t := range tags {
			values[i] = t.Tag
		}
		b.Set(key, attr, bitmapindex.SetOf(values...))
	}
	return p.Len()
}

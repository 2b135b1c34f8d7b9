package dataio

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/segkit/segkit/bitmapindex"
)

// batchSize is how many records go into one index batch.
const batchSize = 50_000

// LoadCustomers reads a customers file into ix: each customer is added with
// its tags and attributes. Attributes are declared before their first value
// is written (with the schema's kinds, or the inferred ones). It returns the
// number of customers read. On error the index holds the batches committed
// before the bad record; callers that need all-or-nothing build into a fresh
// index and discard it on error (as the segkit command does).
func LoadCustomers(ctx context.Context, ix *bitmapindex.Index, cr *CustomerReader) (int, error) {
	declared := map[string]bool{}
	for _, a := range cr.Attributes() {
		if err := ix.Declare(a); err != nil {
			return 0, fmt.Errorf("dataio: %s: %w", cr.name, err)
		}
		declared[a.Name] = true
	}
	b := ix.NewBatch()
	n := 0
	// A customer appears once: a second record is an error, not a silent
	// merge or overwrite. The batch's keys are checked here, earlier
	// batches' in the index.
	inBatch := map[string]int{}
	v := ix.View()
	for c, err := range cr.All() {
		if err != nil {
			return n, err
		}
		if first, dup := inBatch[c.ID]; dup {
			return n, fmt.Errorf("dataio: %s:%d: customer %s appears twice (first on line %d): give each customer one record", cr.name, c.Line, Quote(c.ID), first)
		}
		if _, dup := v.ID(c.ID); dup {
			return n, fmt.Errorf("dataio: %s:%d: customer %s appears twice (first earlier in the file): give each customer one record", cr.name, c.Line, Quote(c.ID))
		}
		inBatch[c.ID] = c.Line
		b.Add(c.ID)
		for _, t := range c.Tags {
			b.AddTag(c.ID, t)
		}
		for name, v := range c.Attrs {
			if !declared[name] {
				a, _ := cr.Attribute(name)
				if err := ix.Declare(a); err != nil {
					return n, fmt.Errorf("dataio: %s: %w", cr.name, err)
				}
				declared[name] = true
			}
			b.Set(c.ID, name, v)
		}
		n++
		if b.Len() >= batchSize {
			if err := commit(ctx, b, cr.name); err != nil {
				return n, err
			}
			b = ix.NewBatch()
			clear(inBatch)
			v = ix.View()
		}
	}
	return n, commit(ctx, b, cr.name)
}

// LoadEvents records every event of an events file in ix and returns how
// many were read. Events of customers not yet in the index add them.
func LoadEvents(ctx context.Context, ix *bitmapindex.Index, name string, r io.Reader) (int, error) {
	b := ix.NewBatch()
	n := 0
	for e, err := range readEvents(name, r, ix.Location(), ix.View().EventSchema()) {
		if err != nil {
			return n, err
		}
		if len(e.Props) > 0 {
			a, _ := bitmapindex.AmountFromFloat(e.Value) // exact: ReadEvents parsed it as an Amount
			b.RecordEvent(e.Customer, e.Name, e.At, bitmapindex.EventDetail{Value: a, Props: e.Props})
		} else {
			b.Record(e.Customer, e.Name, e.At, e.Value)
		}
		n++
		if b.Len() >= batchSize {
			if err := commit(ctx, b, name); err != nil {
				return n, err
			}
			b = ix.NewBatch()
		}
	}
	return n, commit(ctx, b, name)
}

func commit(ctx context.Context, b *bitmapindex.Batch, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if b.Len() == 0 {
		return nil
	}
	if err := b.Commit(); err != nil {
		return fmt.Errorf("dataio: %s: %w", name, err)
	}
	return nil
}

// NewIndex returns an index configured by schema (nil: UTC, kinds inferred).
func NewIndex(schema *Schema) (*bitmapindex.Index, error) {
	cfg := bitmapindex.DefaultConfig()
	if schema != nil {
		cfg.Location = schema.Location
		cfg.Schema = schema.Attributes
		cfg.Events = schema.Events
		cfg.Strict = true
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	return bitmapindex.New(cfg)
}

package tier

import (
	"errors"
	"fmt"
	"iter"

	"github.com/segkit/segkit/bitmapindex"
)

// IndexConfig names the index attributes the adapter writes. An empty name
// skips that attribute. It is a plain value; start from
// [DefaultIndexConfig].
type IndexConfig struct {
	// Level is the category attribute that receives the effective level's
	// name; default "tier".
	Level string
	// Earned, if not empty, is a category attribute that receives the
	// earned level's name (it differs from the level under an override).
	Earned string
	// Points, if not empty, is an int attribute that receives the points
	// balance; default "points".
	Points string
	// Growth, if not empty, is an int attribute that receives the growth
	// value (成长值) balance, written only for programs with a growth
	// section; default "growth".
	Growth string
}

// DefaultIndexConfig writes the level to "tier", the points balance to
// "points" and, for programs with one, the growth value to "growth".
func DefaultIndexConfig() IndexConfig {
	return IndexConfig{Level: "tier", Points: "points", Growth: "growth"}
}

// Output is what the adapter writes: the statuses of an evaluation, as
// [Engine.EvaluateAll] yields them, and the engine that names their levels.
// Statuses may be a sequence that can be consumed once ([Update] reads it
// once). Output is a plain value.
type Output struct {
	Engine   *Engine
	Statuses iter.Seq2[Status, error]
}

// Statuses adapts a slice of statuses (of successful evaluations) to the
// sequence [Output] takes.
func Statuses(sts []Status) iter.Seq2[Status, error] {
	return func(yield func(Status, error) bool) {
		for _, st := range sts {
			if !yield(st, nil) {
				return
			}
		}
	}
}

// Attributes returns the schema of the attributes the adapter writes, for
// [bitmapindex.Config.Schema] or [bitmapindex.Index.DeclareAll] (a strict
// index needs them declared before [Apply]).
func (c IndexConfig) Attributes(o Output) []bitmapindex.Attribute {
	var out []bitmapindex.Attribute
	growth := ""
	if o.Engine != nil && o.Engine.growth != nil {
		growth = c.Growth
	}
	for _, a := range []bitmapindex.Attribute{
		{Name: c.Level, Kind: bitmapindex.KindCategory},
		{Name: c.Earned, Kind: bitmapindex.KindCategory},
		{Name: c.Points, Kind: bitmapindex.KindInt},
		{Name: growth, Kind: bitmapindex.KindInt},
	} {
		if a.Name != "" {
			out = append(out, a)
		}
	}
	return out
}

// Apply adds to b, for every status of out, the customer's level name as a
// category value (and, as configured, the earned level and the points
// balance), so that segment rules select on them: tier == "Gold",
// points >= 1000. The first evaluation error in the sequence stops it and is
// returned (the writes added so far stay in the batch: do not commit it).
// Nothing is visible until the batch is committed; writing replaces each
// customer's previous values. Customers in the index but not in out keep
// their old values: see [Update].
func Apply(b *bitmapindex.Batch, out Output, cfg IndexConfig) error {
	_, err := apply(b, out, cfg)
	return err
}

func apply(b *bitmapindex.Batch, out Output, cfg IndexConfig) (keys []string, err error) {
	if b == nil {
		return nil, errors.New("tier: index: nil batch")
	}
	if out.Engine == nil || out.Statuses == nil {
		return nil, errors.New("tier: index: Output needs an Engine and Statuses")
	}
	e := out.Engine
	for st, err := range out.Statuses {
		if err != nil {
			return nil, fmt.Errorf("tier: index: %w", err)
		}
		if int(st.Level) >= len(e.levels) || int(st.Earned) >= len(e.levels) {
			return nil, fmt.Errorf("tier: index: customer %q: level %d is not a level of the program", st.Customer, st.Level)
		}
		if cfg.Level != "" {
			b.Set(st.Customer, cfg.Level, bitmapindex.Category(e.Name(st.Level)))
		}
		if cfg.Earned != "" {
			b.Set(st.Customer, cfg.Earned, bitmapindex.Category(e.Name(st.Earned)))
		}
		if cfg.Points != "" {
			b.Set(st.Customer, cfg.Points, bitmapindex.Int(st.Points))
		}
		if cfg.Growth != "" && e.growth != nil {
			b.Set(st.Customer, cfg.Growth, bitmapindex.Int(st.Growth))
		}
		keys = append(keys, st.Customer)
	}
	return keys, nil
}

// Update writes out into the index in one batch, made visible atomically:
// it declares the attributes the index does not have yet, sets them for
// every status ([Apply]), and clears them for customers of the index that
// have none in out, so that rules do not select them on an old level. An
// evaluation error in the sequence stops it before anything is written.
func Update(ix *bitmapindex.Index, out Output, cfg IndexConfig) error {
	return bitmapindex.UpdateModel(ix, "tier: index", cfg.Attributes(out), func(b *bitmapindex.Batch) (func(attr, key string) bool, error) {
		keys, err := apply(b, out, cfg)
		return bitmapindex.Covers(keys), err
	})
}

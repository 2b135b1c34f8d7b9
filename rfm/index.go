package rfm

import (
	"fmt"

	"github.com/segkit/segkit/bitmapindex"
)

// IndexConfig names the attributes the adapter writes into a bitmap index.
// An empty name skips that attribute. The zero IndexConfig writes nothing;
// start from [DefaultIndexConfig]. It is a plain value.
//
// The adapter functions only read the Result and assignments they are given,
// so several may run concurrently on the same Output, each with its own
// Batch (a Batch itself is not safe for concurrent use).
type IndexConfig struct {
	// Segment receives the segment name (category), default "rfm_segment".
	Segment string
	// Score receives the score string "343" (category), default "rfm_score".
	Score string
	// R, F and M receive the single scores, default "rfm_r", "rfm_f",
	// "rfm_m": int attributes (so rules can say rfm_r >= 4), or categories
	// ("4") with ScoresAsCategories.
	R, F, M string
	// ScoresAsCategories writes R, F and M as categories instead of ints.
	ScoresAsCategories bool
	// Value receives the value tier (category), default "value_tier".
	Value string
	// Loyalty receives the loyalty tier (category), default "loyalty_tier".
	Loyalty string
}

// DefaultIndexConfig returns the attribute names rfm_segment, rfm_score,
// rfm_r, rfm_f, rfm_m (ints), value_tier and loyalty_tier.
func DefaultIndexConfig() IndexConfig {
	return IndexConfig{
		Segment: "rfm_segment",
		Score:   "rfm_score",
		R:       "rfm_r", F: "rfm_f", M: "rfm_m",
		Value:   "value_tier",
		Loyalty: "loyalty_tier",
	}
}

// Output bundles the model outputs the adapter writes. Result is required;
// the assignments are optional and must come from the same Result
// (Segments from [Result.Segment], Value from [Result.Value], Loyalty from
// [Result.Loyalty]). Output is a plain value.
type Output struct {
	Result   *Result
	Segments *Assignment
	Value    *Assignment
	Loyalty  *Assignment
}

// Attributes returns the attributes Apply writes for out, with their kinds,
// for declaring them up front in an index with a strict schema.
func (c IndexConfig) Attributes(out Output) []bitmapindex.Attribute {
	var attrs []bitmapindex.Attribute
	add := func(name string, k bitmapindex.Kind) {
		if name != "" {
			attrs = append(attrs, bitmapindex.Attribute{Name: name, Kind: k})
		}
	}
	if out.Segments != nil {
		add(c.Segment, bitmapindex.KindCategory)
	}
	add(c.Score, bitmapindex.KindCategory)
	scoreKind := bitmapindex.KindInt
	if c.ScoresAsCategories {
		scoreKind = bitmapindex.KindCategory
	}
	add(c.R, scoreKind)
	add(c.F, scoreKind)
	add(c.M, scoreKind)
	if out.Value != nil {
		add(c.Value, bitmapindex.KindCategory)
	}
	if out.Loyalty != nil {
		add(c.Loyalty, bitmapindex.KindCategory)
	}
	return attrs
}

func (out Output) check() error {
	if out.Result == nil {
		return fmt.Errorf("rfm: index: Output.Result is nil")
	}
	for _, a := range []struct {
		name string
		a    *Assignment
	}{{"Segments", out.Segments}, {"Value", out.Value}, {"Loyalty", out.Loyalty}} {
		if a.a != nil && a.a.res != out.Result {
			return fmt.Errorf("rfm: index: Output.%s comes from a different Result", a.name)
		}
	}
	return nil
}

// Apply adds to the batch, for every customer of out.Result, the configured
// attributes: segment, score string, R/F/M scores, value and loyalty tiers
// (upserting customers the index does not know yet). Nothing is written
// until the caller commits the batch; the index then rejects the whole batch
// if an attribute exists with another kind. Customers that are in the index
// but not in the result keep their old values: see [Update].
func Apply(b *bitmapindex.Batch, out Output, cfg IndexConfig) error {
	if b == nil {
		return fmt.Errorf("rfm: index: nil batch")
	}
	if err := out.check(); err != nil {
		return err
	}
	score := func(v uint8) bitmapindex.Value {
		if cfg.ScoresAsCategories {
			return bitmapindex.Category(string('0' + rune(v)))
		}
		return bitmapindex.Int(int64(v))
	}
	for i := range out.Result.Customers {
		c := &out.Result.Customers[i]
		if out.Segments != nil && cfg.Segment != "" {
			b.Set(c.Key, cfg.Segment, bitmapindex.Category(out.Segments.Label(i)))
		}
		if cfg.Score != "" {
			b.Set(c.Key, cfg.Score, bitmapindex.Category(c.Score.String()))
		}
		if cfg.R != "" {
			b.Set(c.Key, cfg.R, score(c.Score.R))
		}
		if cfg.F != "" {
			b.Set(c.Key, cfg.F, score(c.Score.F))
		}
		if cfg.M != "" {
			b.Set(c.Key, cfg.M, score(c.Score.M))
		}
		if out.Value != nil && cfg.Value != "" {
			b.Set(c.Key, cfg.Value, bitmapindex.Category(out.Value.Label(i)))
		}
		if out.Loyalty != nil && cfg.Loyalty != "" {
			b.Set(c.Key, cfg.Loyalty, bitmapindex.Category(out.Loyalty.Label(i)))
		}
	}
	return nil
}

// Update writes out into the index in one batch, made visible atomically:
// it declares the attributes when the index does not have them yet, clears
// them for customers of the index that are no longer in the result (they
// stopped buying, or left the window, so that rules do not select them on
// yesterday's segment), and sets them for every customer in it ([Apply]).
func Update(ix *bitmapindex.Index, out Output, cfg IndexConfig) error {
	if err := out.check(); err != nil {
		return err
	}
	return bitmapindex.UpdateModel(ix, "rfm: index", cfg.Attributes(out), func(b *bitmapindex.Batch) (func(attr, key string) bool, error) {
		inResult := func(_, key string) bool { _, ok := out.Result.Find(key); return ok }
		return inResult, Apply(b, out, cfg)
	})
}

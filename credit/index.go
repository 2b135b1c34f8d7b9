package credit

import (
	"errors"
	"fmt"
	"iter"

	"github.com/segkit/segkit/bitmapindex"
)

// IndexConfig names the attributes the adapter writes; an empty name skips
// that attribute. It is a plain value; start from [DefaultIndexConfig].
type IndexConfig struct {
	// Score receives the score, an int; default "credit_score".
	Score string
	// Band receives the band's name, a category; default "credit_band".
	Band string
}

// DefaultIndexConfig writes the score to credit_score (int) and the band to
// credit_band (category).
func DefaultIndexConfig() IndexConfig {
	return IndexConfig{Score: "credit_score", Band: "credit_band"}
}

// Output is what the adapter writes: the results of a scoring, as
// [Model.ScoreAll] yields them. Results may be a sequence that can be
// consumed once ([Update] reads it once). Output is a plain value.
type Output struct {
	Results iter.Seq2[Result, error]
}

// Results adapts a slice of results (of successful scorings) to the
// sequence [Output] takes.
func Results(rs []Result) iter.Seq2[Result, error] {
	return func(yield func(Result, error) bool) {
		for _, r := range rs {
			if !yield(r, nil) {
				return
			}
		}
	}
}

// Attributes returns the schema of the attributes the adapter writes, for
// [bitmapindex.Config.Schema] or [bitmapindex.Index.DeclareAll] (a strict
// index needs them declared before [Apply]).
func (c IndexConfig) Attributes(Output) []bitmapindex.Attribute {
	var out []bitmapindex.Attribute
	if c.Score != "" {
		out = append(out, bitmapindex.Attribute{Name: c.Score, Kind: bitmapindex.KindInt})
	}
	if c.Band != "" {
		out = append(out, bitmapindex.Attribute{Name: c.Band, Kind: bitmapindex.KindCategory})
	}
	return out
}

// Apply adds to b every result's score and band, so that segment rules
// select on them (credit_band == "poor", credit_score < 560), upserting
// customers the index does not know yet. The first scoring error in the
// sequence, or a result without a customer key, stops it and is returned
// (the writes added so far stay in the batch: do not commit it). Nothing is
// visible until the batch is committed; writing replaces each customer's
// previous values. Customers in the index but not in out keep their old
// values: see [Update].
func Apply(b *bitmapindex.Batch, out Output, cfg IndexConfig) error {
	_, err := apply(b, out, cfg)
	return err
}

func apply(b *bitmapindex.Batch, out Output, cfg IndexConfig) (keys []string, err error) {
	if b == nil {
		return nil, errors.New("credit: index: nil batch")
	}
	if out.Results == nil {
		return nil, errors.New("credit: index: Output needs Results")
	}
	for r, err := range out.Results {
		if err != nil {
			return nil, fmt.Errorf("credit: index: %w", err)
		}
		if r.Customer == "" {
			return nil, fmt.Errorf("credit: index: result %d has no customer key", len(keys))
		}
		if cfg.Score != "" {
			b.Set(r.Customer, cfg.Score, bitmapindex.Int(int64(r.Score)))
		}
		if cfg.Band != "" {
			b.Set(r.Customer, cfg.Band, bitmapindex.Category(r.Band))
		}
		keys = append(keys, r.Customer)
	}
	return keys, nil
}

// Update writes out into the index in one batch, made visible atomically:
// it declares the attributes the index does not have yet, sets them for
// every result ([Apply]), and clears them for customers of the index that
// have none in out, so that rules do not select them on an old score. A
// scoring error in the sequence stops it before anything is written.
func Update(ix *bitmapindex.Index, out Output, cfg IndexConfig) error {
	return bitmapindex.UpdateModel(ix, "credit: index", cfg.Attributes(out), func(b *bitmapindex.Batch) (func(attr, key string) bool, error) {
		keys, err := apply(b, out, cfg)
		return bitmapindex.Covers(keys), err
	})
}

package credit

import (
	"errors"
	"fmt"

	"github.com/segkit/segkit/bitmapindex"
)

// IndexConfig names the attributes [Apply] writes; an empty name skips
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

// Attributes returns the attributes Apply writes, for declaring them in an
// index with a strict schema.
func (c IndexConfig) Attributes() []bitmapindex.Attribute {
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
// customers the index does not know yet. Nothing is written until the
// caller commits the batch; writing replaces each customer's previous
// values. A result without a customer key is an error naming its position.
// Customers in the index but not in results keep their old values: see
// [Update].
func Apply(b *bitmapindex.Batch, results []Result, cfg IndexConfig) error {
	for i, r := range results {
		if r.Customer == "" {
			return fmt.Errorf("credit: index: result %d has no customer key", i)
		}
	}
	for _, r := range results {
		if cfg.Score != "" {
			b.Set(r.Customer, cfg.Score, bitmapindex.Int(int64(r.Score)))
		}
		if cfg.Band != "" {
			b.Set(r.Customer, cfg.Band, bitmapindex.Category(r.Band))
		}
	}
	return nil
}

// Update writes results into the index in one batch, made visible
// atomically: it declares the attributes the index does not have yet,
// clears them for customers that hold them but are not in results (so rules
// do not select them on an old score), and sets them for every customer in
// results.
func Update(ix *bitmapindex.Index, results []Result, cfg IndexConfig) error {
	if ix == nil {
		return errors.New("credit: index: nil index")
	}
	for _, a := range cfg.Attributes() {
		if err := ix.Declare(a); err != nil {
			return fmt.Errorf("credit: index: %w", err)
		}
	}
	keys := make(map[string]struct{}, len(results))
	for _, r := range results {
		keys[r.Customer] = struct{}{}
	}
	b := ix.NewBatch()
	v := ix.View()
	for _, attr := range []string{cfg.Score, cfg.Band} {
		if attr == "" {
			continue
		}
		present, err := v.Present(attr)
		if err != nil {
			return fmt.Errorf("credit: index: %w", err)
		}
		for key := range present.Keys() {
			if _, ok := keys[key]; !ok {
				b.Clear(key, attr)
			}
		}
	}
	if err := Apply(b, results, cfg); err != nil {
		return err
	}
	if err := b.Commit(); err != nil {
		return fmt.Errorf("credit: index: %w", err)
	}
	return nil
}

package lifecycle

import (
	"errors"
	"fmt"
	"math"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/clv"
)

// IndexConfig names the attributes the index adapter writes and the
// decimal scales of the numeric ones. An empty name skips that attribute.
// It is a plain value; start from [DefaultIndexConfig].
type IndexConfig struct {
	// Stage receives the stage identifier ("at_risk"), a category;
	// default "lifecycle_stage".
	Stage string
	// PAlive, ExpectedPurchases and CLV receive the model outputs as
	// decimals; defaults "p_alive", "expected_purchases", "clv".
	PAlive, ExpectedPurchases, CLV string
	// Decimal digits kept: default 4 for P(alive) and expected purchases,
	// 2 for CLV (money).
	PAliveScale, ExpectedPurchasesScale, CLVScale int
}

// DefaultIndexConfig returns the attribute names lifecycle_stage (category),
// p_alive (decimal(4)), expected_purchases (decimal(4)) and clv
// (decimal(2)).
func DefaultIndexConfig() IndexConfig {
	return IndexConfig{
		Stage: "lifecycle_stage", PAlive: "p_alive", ExpectedPurchases: "expected_purchases", CLV: "clv",
		PAliveScale: 4, ExpectedPurchasesScale: 4, CLVScale: 2,
	}
}

// Output bundles what the adapter writes; every part is optional.
// Predictions and CLV come from the same summaries: CLV[i] is the value of
// the customer of Predictions[i] (as returned by [Predict] and [CLVAll] on
// one slice). Output is a plain value.
type Output struct {
	Stages      *Snapshot
	Predictions []clv.Prediction
	CLV         []float64
}

func (o Output) check() error {
	if o.CLV != nil && len(o.CLV) != len(o.Predictions) {
		return fmt.Errorf("lifecycle: index: %d CLV values for %d predictions", len(o.CLV), len(o.Predictions))
	}
	for i, p := range o.Predictions {
		if p.Customer == "" {
			return fmt.Errorf("lifecycle: index: prediction %d has no customer key", i)
		}
	}
	return nil
}

// Attributes returns the attributes [Apply] writes for out, with their
// kinds and scales, for declaring them in an index with a strict schema.
func (c IndexConfig) Attributes(out Output) []bitmapindex.Attribute {
	var attrs []bitmapindex.Attribute
	add := func(name string, k bitmapindex.Kind, scale int) {
		if name != "" {
			attrs = append(attrs, bitmapindex.Attribute{Name: name, Kind: k, Scale: scale})
		}
	}
	if out.Stages != nil {
		add(c.Stage, bitmapindex.KindCategory, 0)
	}
	if out.Predictions != nil {
		add(c.PAlive, bitmapindex.KindDecimal, c.PAliveScale)
		add(c.ExpectedPurchases, bitmapindex.KindDecimal, c.ExpectedPurchasesScale)
	}
	if out.CLV != nil {
		add(c.CLV, bitmapindex.KindDecimal, c.CLVScale)
	}
	return attrs
}

// Apply adds to the batch, for every customer of out, its stage (category)
// and its P(alive), expected purchases and CLV (decimals), upserting
// customers the index does not know yet. A NaN value (a model output that is
// not defined for the customer) clears the attribute instead; an infinite
// one is an error naming the customer. Nothing is written until the caller
// commits the batch. Customers in the index but not in out keep their old
// values: see [Update].
func Apply(b *bitmapindex.Batch, out Output, cfg IndexConfig) (err error) {
	defer guard(&err, "index")
	if b == nil {
		return errors.New("lifecycle: index: nil batch")
	}
	if err := out.check(); err != nil {
		return err
	}
	if out.Stages != nil && cfg.Stage != "" {
		for _, a := range out.Stages.Assignments {
			if !a.Stage.Valid() {
				return fmt.Errorf("lifecycle: index: customer %q has no stage", a.Customer)
			}
			b.Set(a.Customer, cfg.Stage, bitmapindex.Category(a.Stage.String()))
		}
	}
	set := func(key, attr string, v float64) error {
		switch {
		case attr == "":
		case math.IsNaN(v):
			b.Clear(key, attr)
		case math.IsInf(v, 0):
			return fmt.Errorf("lifecycle: index: customer %q: %s %v is not finite", key, attr, v)
		default:
			b.Set(key, attr, bitmapindex.Decimal(v))
		}
		return nil
	}
	for i, p := range out.Predictions {
		if err := set(p.Customer, cfg.PAlive, p.PAlive); err != nil {
			return err
		}
		if err := set(p.Customer, cfg.ExpectedPurchases, p.ExpectedPurchases); err != nil {
			return err
		}
		if out.CLV != nil {
			if err := set(p.Customer, cfg.CLV, out.CLV[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// Update writes out into the index in one batch, made visible atomically:
// it declares the attributes the index does not have yet, clears them for
// customers that hold them but are not in out (so rules do not select them
// on yesterday's stage), and sets them for every customer in out.
func Update(ix *bitmapindex.Index, out Output, cfg IndexConfig) (err error) {
	defer guard(&err, "index")
	if err := out.check(); err != nil {
		return err
	}
	return bitmapindex.UpdateModel(ix, "lifecycle: index", cfg.Attributes(out), func(b *bitmapindex.Batch) (func(attr, key string) bool, error) {
		stageKeys := map[string]bool{}
		if out.Stages != nil {
			for _, a := range out.Stages.Assignments {
				stageKeys[a.Customer] = true
			}
		}
		predKeys := make(map[string]bool, len(out.Predictions))
		for _, p := range out.Predictions {
			predKeys[p.Customer] = true
		}
		covers := func(attr, key string) bool {
			if attr == cfg.Stage && out.Stages != nil {
				return stageKeys[key]
			}
			return predKeys[key]
		}
		return covers, Apply(b, out, cfg)
	})
}

package tier

import (
	"iter"

	"github.com/segkit/segkit/bitmapindex"
)

// AdapterConfig names the index attributes [Apply] writes. It is a plain
// value.
type AdapterConfig struct {
	// LevelAttribute is the category attribute that receives the effective
	// level's name; empty means "tier".
	LevelAttribute string
	// EarnedAttribute, if not empty, is a category attribute that receives
	// the earned level's name (it differs from the level under an override).
	EarnedAttribute string
	// PointsAttribute, if not empty, is an int attribute that receives the
	// points balance.
	PointsAttribute string
}

// DefaultAdapterConfig writes the level to "tier" and the points balance to
// "points".
func DefaultAdapterConfig() AdapterConfig {
	return AdapterConfig{LevelAttribute: "tier", PointsAttribute: "points"}
}

func (c AdapterConfig) levelAttr() string {
	if c.LevelAttribute == "" {
		return "tier"
	}
	return c.LevelAttribute
}

// Attributes returns the schema of the attributes Apply writes, for
// [bitmapindex.Config.Schema] or [bitmapindex.Index.Declare] (a strict index
// needs them declared).
func (c AdapterConfig) Attributes() []bitmapindex.Attribute {
	out := []bitmapindex.Attribute{{Name: c.levelAttr(), Kind: bitmapindex.KindCategory}}
	if c.EarnedAttribute != "" {
		out = append(out, bitmapindex.Attribute{Name: c.EarnedAttribute, Kind: bitmapindex.KindCategory})
	}
	if c.PointsAttribute != "" {
		out = append(out, bitmapindex.Attribute{Name: c.PointsAttribute, Kind: bitmapindex.KindInt})
	}
	return out
}

// Declare declares the attributes of cfg in ix.
func Declare(ix *bitmapindex.Index, cfg AdapterConfig) error {
	for _, a := range cfg.Attributes() {
		if err := ix.Declare(a); err != nil {
			return err
		}
	}
	return nil
}

// Apply adds to b, for every status, the customer's level name as a category
// value (and, as configured, the earned level and the points balance), so
// that segment rules select on them: tier == "Gold", points >= 1000. It
// returns the number of statuses written. Nothing is visible until the batch
// is committed; writing replaces each customer's previous values, and the
// index keeps category values mutually exclusive. Statuses of failed
// evaluations should not be passed.
func Apply(b *bitmapindex.Batch, e *Engine, cfg AdapterConfig, statuses iter.Seq[Status]) int {
	level := cfg.levelAttr()
	n := 0
	for st := range statuses {
		b.Set(st.Customer, level, bitmapindex.Category(e.Name(st.Level)))
		if cfg.EarnedAttribute != "" {
			b.Set(st.Customer, cfg.EarnedAttribute, bitmapindex.Category(e.Name(st.Earned)))
		}
		if cfg.PointsAttribute != "" {
			b.Set(st.Customer, cfg.PointsAttribute, bitmapindex.Int(st.Points))
		}
		n++
	}
	return n
}

package rfm

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Preset returns a built-in scheme by name:
//
//   - "rfm10": the segment table of the R package rfm's documentation, ten
//     interval rules on 5-bin scores, first match wins, unmatched → "Others".
//   - "cn8": the Chinese eight-class model (重要价值客户 … 一般挽留客户, with
//     English aliases) on 2-bin scores: score with [SplitMean] or
//     [SplitMedian], where R = 2 means recency below the threshold, F = 2
//     frequency above it and M = 2 monetary above it.
//   - "quadrant": frequency × average order value in four quadrants on 2-bin
//     scores, R ignored: score with [SplitMean], [SplitMedian] or [Explicit]
//     (one point per dimension) and Config.Monetary = [Mean], so that M is
//     the average order value.
//
// The widely used 11-segment map of all 125 cells of 5-bin scores
// (Champions, Loyal, Potential Loyalists, …, Hibernating, Lost) is not a
// preset: it is a table of cells, not rules, published as a CSV cell map
// ("rfm_cell,segment"); load it with [LoadCellMap].
//
// The returned Scheme is shared and immutable. An unknown name is an error
// listing the known ones.
func Preset(name string) (*Scheme, error) {
	build, ok := presets[name]
	if !ok {
		return nil, fmt.Errorf("rfm: unknown preset scheme %q (known: %s)", name, strings.Join(PresetNames(), ", "))
	}
	return build(), nil
}

// PresetNames returns the names [Preset] knows, sorted.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var presets = map[string]func() *Scheme{
	"rfm10":    sync.OnceValue(func() *Scheme { return MustScheme(rfm10Def()) }),
	"cn8":      sync.OnceValue(func() *Scheme { return MustScheme(cn8Def()) }),
	"quadrant": sync.OnceValue(func() *Scheme { return MustScheme(quadrantDef()) }),
}

// rfm10Def is the table of the R package rfm's documentation (rfm_segment).
func rfm10Def() SchemeDef {
	rule := func(name string, rl, rh, fl, fh, ml, mh int) Rule {
		return Rule{Name: name, R: Range{rl, rh}, F: Range{fl, fh}, M: Range{ml, mh}}
	}
	return SchemeDef{
		Name:    "rfm10",
		Bins:    5,
		Default: DefaultSegment,
		Rules: []Rule{
			rule("Champions", 5, 5, 5, 5, 5, 5),
			rule("Potential Loyalist", 3, 5, 3, 5, 2, 5),
			rule("Loyal Customers", 2, 4, 2, 4, 2, 4),
			rule("Promising", 3, 4, 1, 3, 3, 5),
			rule("New Customers", 4, 5, 1, 3, 1, 5),
			rule("Can't Lose Them", 1, 2, 3, 4, 4, 5),
			rule("At Risk", 1, 2, 2, 5, 4, 5),
			rule("Need Attention", 1, 3, 3, 5, 3, 5),
			rule("About To Sleep", 2, 3, 1, 3, 1, 4),
			rule("Lost", 1, 1, 1, 5, 1, 5),
		},
	}
}

// cn8Def is the Chinese eight-class RFM model on 2-bin scores.
func cn8Def() SchemeDef {
	rule := func(name, alias string, r, f, m int) Rule {
		return Rule{Name: name, Alias: alias, Cells: []Score{{uint8(r), uint8(f), uint8(m)}}}
	}
	return SchemeDef{
		Name:    "cn8",
		Bins:    2,
		Binning: "mean", // above or below the mean: 重要 / 一般, 价值 / 发展 …
		Rules: []Rule{
			rule("重要价值客户", "Important Value", 2, 2, 2),
			rule("重要发展客户", "Important Development", 2, 1, 2),
			rule("重要保持客户", "Important Retention", 1, 2, 2),
			rule("重要挽留客户", "Important Win-back", 1, 1, 2),
			rule("一般价值客户", "General Value", 2, 2, 1),
			rule("一般发展客户", "General Development", 2, 1, 1),
			rule("一般保持客户", "General Retention", 1, 2, 1),
			rule("一般挽留客户", "General Win-back", 1, 1, 1),
		},
	}
}

// quadrantDef is frequency × average order value on 2-bin scores.
func quadrantDef() SchemeDef {
	rule := func(name, alias string, f, m int) Rule {
		return Rule{Name: name, Alias: alias, F: Range{f, f}, M: Range{m, m}}
	}
	return SchemeDef{
		Name:     "quadrant",
		Bins:     2,
		Binning:  "mean",
		Monetary: "mean", // average order value
		Rules: []Rule{
			rule("High Frequency, High AOV", "高频高客单", 2, 2),
			rule("High Frequency, Low AOV", "高频低客单", 2, 1),
			rule("Low Frequency, High AOV", "低频高客单", 1, 2),
			rule("Low Frequency, Low AOV", "低频低客单", 1, 1),
		},
	}
}

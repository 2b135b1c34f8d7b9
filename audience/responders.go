package audience

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"iter"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/campaign"
	"github.com/segkit/segkit/internal/textwidth"
)

// Span is a named range of whole days, both inclusive: a campaign's period
// or a period to keep out of the analysis (a promotion, a holiday). It is a
// plain value.
type Span struct {
	Name     string
	From, To segkit.Day
}

func (s Span) String() string {
	if s.Name == "" {
		return fmt.Sprintf("%v..%v", s.From, s.To)
	}
	return fmt.Sprintf("%s %v..%v", s.Name, s.From, s.To)
}

// ResponderConfig holds the knobs of [Responders]. Start from
// [DefaultResponderConfig].
type ResponderConfig struct {
	// Groups are the campaign groups whose customers are analysed (the
	// treatments: a holdout did not get the message); empty means all.
	Groups []string
	// Level is the confidence level of the intervals, in (0, 1).
	Level float64
	// FDR is the false discovery rate at which a trait counts as setting
	// responders apart, after the Benjamini–Hochberg adjustment, in (0, 1).
	FDR float64
	// MinGroup is the smallest number of analysed customers with and
	// without a trait for it to be tested (≥ 1); smaller groups are
	// skipped and counted in Responders.Skipped.
	MinGroup int
	// Bands is the number of numeric bands per int or decimal attribute,
	// cut at quantiles of the analysed customers' values (0: no bands).
	Bands int
	// Pairs is the number of the strongest single traits whose pairwise
	// conjunctions (of different fields) are tested too (0: none).
	Pairs int
	// Persona names the persona the campaign was written for, and
	// PersonaAttribute the category attribute holding customers' personas:
	// suggestions then say whether to widen that persona. Both optional.
	Persona          string
	PersonaAttribute string
	// Skip names tags and attributes not to test: those the outcome
	// itself changes (a total spend that includes the campaign's
	// purchases, a VIP flag derived from it) would only rediscover the
	// conversions.
	Skip []string
	// Campaign is the campaign's period and Excluded the periods to keep
	// out of analyses (promotions, holidays): an overlap is a warning.
	Campaign Span
	Excluded []Span
}

// DefaultResponderConfig returns 95% intervals, a 5% false discovery rate,
// at least 100 customers with and without a trait, 5 bands, pairs of the
// 8 strongest traits, and personas in the attribute "persona".
func DefaultResponderConfig() ResponderConfig {
	return ResponderConfig{Level: 0.95, FDR: 0.05, MinGroup: 100, Bands: 5, Pairs: 8, PersonaAttribute: "persona"}
}

// ResponderReport is the result of [Responders]: traits ranked by how much they
// set converters apart, suggestions and warnings. Immutable once returned,
// safe for concurrent reads.
type ResponderReport struct {
	Level, FDR float64
	// Exposed and Converted count the analysed customers found in the
	// view; Missing counts outcomes whose customer the view does not know.
	Exposed, Converted, Missing int
	// Traits are the tested traits, sorted by adjusted P, then by the
	// absolute difference of rates (largest first), then by rule.
	Traits []ResponderTrait
	// Tests is the number of tests the adjustment covers; Skipped the
	// traits left out for groups smaller than MinGroup.
	Tests, Skipped int
	// Suggestions are the persona and rule changes the significant traits
	// imply, strongest first.
	Suggestions []string
	// Warnings say what may make the analysis misleading (a period
	// overlap, few conversions).
	Warnings []string
}

// ResponderTrait is one trait (or a conjunction of two) with the
// conversion of the analysed customers with and without it. A plain value.
type ResponderTrait struct {
	// Label reads like "age 26–30 ∧ occupation office"; Rule is the same as
	// a segment rule.
	Label, Rule   string
	With, Without campaign.Proportion
	// Difference is the rate with minus the rate without; Interval is
	// Newcombe's hybrid score interval of it.
	Difference float64
	Interval   campaign.Interval
	// P is the two-sided pooled z-test; Adjusted is P adjusted by
	// Benjamini–Hochberg over all Tests.
	P, Adjusted float64
	// InPersona is the share of the customers with the trait who are in
	// ResponderConfig.Persona (NaN without one).
	InPersona float64
}

// Significant reports whether the trait's adjusted P is below fdr.
func (t ResponderTrait) Significant(fdr float64) bool { return t.Adjusted < fdr }

type candidate struct {
	field, label, rule string
	bm                 *roaring.Bitmap
}

// Responders ranks the traits of a campaign's customers by the difference
// in conversion rate between those with and without each trait: tags,
// category and set values, true bools, quantile bands of numeric
// attributes, and conjunctions of pairs of the strongest. Each difference
// has Newcombe's interval and a two-sided z-test; the P-values are
// adjusted by Benjamini–Hochberg over every test (the false discovery
// rate: among the traits reported as setting responders apart, at most FDR
// are expected to be chance). Traits with fewer than MinGroup customers
// with or without them are not tested.
//
// The outcomes are those of [campaign.Analysis.Run]; a customer reported
// several times converted if any of its outcomes did. Customers are looked
// up by key in v.
func Responders(ctx context.Context, v *bitmapindex.View, outcomes iter.Seq[campaign.Outcome], cfg ResponderConfig) (*ResponderReport, error) {
	if !(cfg.Level > 0 && cfg.Level < 1) || !(cfg.FDR > 0 && cfg.FDR < 1) || cfg.MinGroup < 1 || cfg.Bands < 0 || cfg.Bands > 100 || cfg.Pairs < 0 || cfg.Pairs > 100 {
		return nil, fmt.Errorf("%w: level %v, FDR %v, min group %d, bands %d, pairs %d", ErrConfig, cfg.Level, cfg.FDR, cfg.MinGroup, cfg.Bands, cfg.Pairs)
	}
	r := &ResponderReport{Level: cfg.Level, FDR: cfg.FDR}
	exposed, converted := roaring.New(), roaring.New()
	keep := map[string]bool{}
	for _, g := range cfg.Groups {
		keep[g] = true
	}
	for o := range outcomes {
		if len(keep) > 0 && !keep[o.Group] {
			continue
		}
		id, ok := v.ID(o.Key)
		if !ok {
			r.Missing++
			continue
		}
		exposed.Add(id)
		if o.Converted {
			converted.Add(id)
		}
	}
	r.Exposed, r.Converted = int(exposed.GetCardinality()), int(converted.GetCardinality())
	if r.Exposed == 0 {
		return nil, fmt.Errorf("%w: no analysed customer is in the index", ErrEmpty)
	}
	r.Warnings = periodWarnings(cfg)
	if r.Converted < 30 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("only %d conversions: differences between traits are hard to tell from chance", r.Converted))
	}
	if r.Missing > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d outcomes name customers the index does not have; they are left out", r.Missing))
	}
	cands, err := candidates(v, exposed, cfg)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var persona *roaring.Bitmap
	if cfg.Persona != "" && cfg.PersonaAttribute != "" {
		if s, err := v.WithValue(cfg.PersonaAttribute, cfg.Persona); err == nil {
			persona = s.Bitmap()
		} else {
			r.Warnings = append(r.Warnings, fmt.Sprintf("persona %q: %v", cfg.Persona, err))
		}
	}
	all := campaign.Proportion{Successes: r.Converted, Trials: r.Exposed}
	test := func(c candidate) (ResponderTrait, bool) {
		nw := int(exposed.AndCardinality(c.bm))
		if nw < cfg.MinGroup || r.Exposed-nw < cfg.MinGroup {
			r.Skipped++
			return ResponderTrait{}, false
		}
		cw := int(converted.AndCardinality(c.bm))
		t := ResponderTrait{Label: c.label, Rule: c.rule,
			With:    campaign.Proportion{Successes: cw, Trials: nw},
			Without: campaign.Proportion{Successes: all.Successes - cw, Trials: all.Trials - nw}}
		t.Difference = t.With.Rate() - t.Without.Rate()
		t.Interval, _ = campaign.DiffInterval(t.With, t.Without, cfg.Level)
		_, t.P, _ = campaign.ZTest(t.With, t.Without)
		t.InPersona = math.NaN()
		if persona != nil {
			t.InPersona = float64(roaring.And(exposed, c.bm).AndCardinality(persona)) / float64(nw)
		}
		return t, true
	}
	var singles []ResponderTrait
	tested := []candidate{}
	for _, c := range cands {
		if t, ok := test(c); ok {
			singles = append(singles, t)
			tested = append(tested, c)
		}
	}
	r.Traits = append(r.Traits, singles...)
	// pairs of the strongest singles (by P), of different fields
	order := make([]int, len(singles))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmpFloat(singles[a].P, singles[b].P) })
	top := order[:min(cfg.Pairs, len(order))]
	for x, i := range top {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for _, j := range top[x+1:] {
			a, b := tested[i], tested[j]
			if a.field == b.field {
				continue
			}
			if a.rule > b.rule {
				a, b = b, a
			}
			c := candidate{label: a.label + " ∧ " + b.label, rule: "(" + a.rule + ") && (" + b.rule + ")", bm: roaring.And(a.bm, b.bm)}
			if t, ok := test(c); ok {
				r.Traits = append(r.Traits, t)
			}
		}
	}
	r.Tests = len(r.Traits)
	ps := make([]float64, len(r.Traits))
	for i, t := range r.Traits {
		ps[i] = t.P
	}
	for i, a := range benjaminiHochberg(ps) {
		r.Traits[i].Adjusted = a
	}
	slices.SortStableFunc(r.Traits, func(a, b ResponderTrait) int {
		if c := cmpFloat(a.Adjusted, b.Adjusted); c != 0 {
			return c
		}
		if c := cmpFloat(-math.Abs(a.Difference), -math.Abs(b.Difference)); c != 0 {
			return c
		}
		return strings.Compare(a.Rule, b.Rule)
	})
	r.Suggestions = suggestions(r, cfg)
	return r, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// candidates lists the single traits: tags, category and set values, true
// bools and numeric bands, each with its bitmap.
func candidates(v *bitmapindex.View, exposed *roaring.Bitmap, cfg ResponderConfig) ([]candidate, error) {
	var out []candidate
	skip := map[string]bool{}
	for _, f := range cfg.Skip {
		skip[f] = true
	}
	for _, t := range v.Tags() {
		if t.Count > 0 && !skip[t.Name] {
			out = append(out, candidate{field: "tag:" + t.Name, label: t.Name, rule: fmt.Sprintf("has(%q)", t.Name), bm: v.Tag(t.Name).Bitmap()})
		}
	}
	ex := v.Wrap(exposed.Clone())
	for _, a := range v.Schema() {
		if skip[a.Name] || (a.Name == cfg.PersonaAttribute && cfg.Persona != "") {
			continue // the persona itself is what the suggestions are about
		}
		switch a.Kind {
		case bitmapindex.KindCategory, bitmapindex.KindSet:
			vals, err := v.Values(a.Name)
			if err != nil {
				return nil, err
			}
			for _, val := range vals {
				s, err := v.WithValue(a.Name, val)
				if err != nil {
					return nil, err
				}
				rule := fmt.Sprintf("%s == %q", a.Name, val)
				if a.Kind == bitmapindex.KindSet {
					rule = fmt.Sprintf("%q in %s", val, a.Name)
				}
				out = append(out, candidate{field: a.Name, label: a.Name + " " + val, rule: rule, bm: s.Bitmap()})
			}
		case bitmapindex.KindBool:
			s, err := v.Compare(a.Name, bitmapindex.Eq, bitmapindex.Bool(true))
			if err != nil {
				return nil, err
			}
			out = append(out, candidate{field: a.Name, label: a.Name, rule: a.Name + " == true", bm: s.Bitmap()})
		case bitmapindex.KindInt, bitmapindex.KindDecimal:
			if cfg.Bands < 2 {
				continue
			}
			bands, err := numericBands(v, ex, a, cfg.Bands)
			if err != nil {
				return nil, err
			}
			out = append(out, bands...)
		}
	}
	return out, nil
}

// numericBands cuts an attribute at quantiles of the exposed customers'
// values into at most n bands [lo, hi] (inclusive, whole numbers for ints,
// the scale for decimals).
func numericBands(v *bitmapindex.View, ex bitmapindex.Set, a bitmapindex.Attribute, n int) ([]candidate, error) {
	present, err := v.Present(a.Name)
	if err != nil {
		return nil, err
	}
	cnt := int(ex.Bitmap().AndCardinality(present.Bitmap()))
	if cnt == 0 {
		return nil, nil
	}
	ks := make([]int, 0, n+1)
	for i := 0; i <= n; i++ {
		ks = append(ks, min(cnt-1, i*cnt/n))
	}
	xs, err := v.NthIn(ex, a.Name, ks...)
	if err != nil {
		return nil, err
	}
	step := 1.0
	if a.Kind == bitmapindex.KindDecimal {
		step = math.Pow10(-a.Scale)
	}
	var cuts []float64 // band starts
	for _, x := range xs[:n] {
		f := number(x)
		if len(cuts) == 0 || f > cuts[len(cuts)-1] {
			cuts = append(cuts, f)
		}
	}
	maxV := number(xs[n])
	var out []candidate
	for i, lo := range cuts {
		hi := maxV
		if i+1 < len(cuts) {
			hi = cuts[i+1] - step
		}
		if hi < lo {
			continue
		}
		s, err := v.Between(a.Name, bandValue(a, lo), bandValue(a, hi))
		if err != nil {
			return nil, err
		}
		ls, hs := formatNumber(a, lo), formatNumber(a, hi)
		label := fmt.Sprintf("%s %s–%s", a.Name, ls, hs)
		if ls == hs {
			label = fmt.Sprintf("%s %s", a.Name, ls)
		}
		out = append(out, candidate{field: a.Name, label: label, rule: fmt.Sprintf("between(%s, %s, %s)", a.Name, ls, hs), bm: s.Bitmap()})
	}
	return out, nil
}

func bandValue(a bitmapindex.Attribute, x float64) bitmapindex.Value {
	if a.Kind == bitmapindex.KindInt {
		return bitmapindex.Int(int64(math.Round(x)))
	}
	return bitmapindex.Decimal(x)
}

func formatNumber(a bitmapindex.Attribute, x float64) string {
	if a.Kind == bitmapindex.KindInt {
		return strconv.FormatInt(int64(math.Round(x)), 10)
	}
	return strconv.FormatFloat(x, 'f', a.Scale, 64)
}

// benjaminiHochberg adjusts P-values for the false discovery rate
// (Benjamini & Hochberg 1995): p₍ᵢ₎·m/i, made monotone from the largest
// down and capped at 1.
func benjaminiHochberg(ps []float64) []float64 {
	m := len(ps)
	idx := make([]int, m)
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmpFloat(ps[a], ps[b]) })
	out := make([]float64, m)
	running := 1.0
	for r := m - 1; r >= 0; r-- {
		i := idx[r]
		running = math.Min(running, ps[i]*float64(m)/float64(r+1))
		out[i] = math.Min(1, running)
	}
	return out
}

// periodWarnings says which excluded periods the campaign overlaps.
func periodWarnings(cfg ResponderConfig) []string {
	var out []string
	c := cfg.Campaign
	if c.From == 0 && c.To == 0 {
		if len(cfg.Excluded) > 0 {
			out = append(out, "excluded periods were given without the campaign's period: overlaps cannot be checked")
		}
		return out
	}
	for _, e := range cfg.Excluded {
		lo, hi := max(c.From, e.From), min(c.To, e.To)
		if lo <= hi {
			out = append(out, fmt.Sprintf("the campaign (%v) overlaps the excluded period %s on %d days (%v..%v): who converted may reflect that period, not the message",
				c, e, hi.Sub(lo)+1, lo, hi))
		}
	}
	return out
}

func suggestions(r *ResponderReport, cfg ResponderConfig) []string {
	var out []string
	for _, t := range r.Traits {
		if !t.Significant(cfg.FDR) {
			continue
		}
		rates := fmt.Sprintf("%s vs %s", pct(t.With.Rate(), 1), pct(t.Without.Rate(), 1))
		switch {
		case t.Difference > 0 && cfg.Persona != "" && !math.IsNaN(t.InPersona) && t.InPersona < 0.5:
			out = append(out, fmt.Sprintf("%s: %s, add to persona %s (only %s of them are in it now; rule: %s)", t.Label, rates, cfg.Persona, pct(t.InPersona, 0), t.Rule))
		case t.Difference > 0 && cfg.Persona != "":
			out = append(out, fmt.Sprintf("%s: %s, weight it up in persona %s (%s of them are in it already; rule: %s)", t.Label, rates, cfg.Persona, pct(t.InPersona, 0), t.Rule))
		case t.Difference > 0:
			out = append(out, fmt.Sprintf("%s: %s, target it in the next segment (rule: %s)", t.Label, rates, t.Rule))
		default:
			out = append(out, fmt.Sprintf("%s: %s, exclude it or give it another message (rule: !(%s))", t.Label, rates, t.Rule))
		}
	}
	return out
}

// WriteText writes the report: warnings, the top traits (all when top ≤
// 0) with both rates, the difference and its interval, P and adjusted P,
// and the suggestions.
func (r *ResponderReport) WriteText(w io.Writer, top int) error {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "responders: %s converted of %s customers (%s); %d traits tested, %d skipped (groups under the minimum size)\n",
		thousands(r.Converted), thousands(r.Exposed), pct(float64(r.Converted)/float64(r.Exposed), 2), r.Tests, r.Skipped)
	fmt.Fprintf(&buf, "P adjusted by Benjamini–Hochberg over all %d tests (false discovery rate %s); %s intervals of the difference\n",
		r.Tests, pct(r.FDR, 0), pct(r.Level, 0))
	for _, w := range r.Warnings {
		fmt.Fprintf(&buf, "warning: %s\n", w)
	}
	traits := r.Traits
	if top > 0 && len(traits) > top {
		traits = traits[:top]
	}
	buf.WriteString("\n")
	tw := textwidth.NewTabWriter(&buf, 2, false)
	fmt.Fprintln(tw, "trait\twith\twithout\tdifference\tinterval\tP\tadjusted P\t")
	for _, t := range traits {
		fmt.Fprintf(tw, "%s\t%s of %s\t%s of %s\t%+.1f pts\t%s\t%s\t%s\t\n", t.Label,
			pct(t.With.Rate(), 1), thousands(t.With.Trials), pct(t.Without.Rate(), 1), thousands(t.Without.Trials),
			t.Difference*100, pointInterval(t.Interval.Lo, t.Interval.Hi), pval(t.P), pval(t.Adjusted))
	}
	tw.Flush()
	if len(r.Suggestions) > 0 {
		buf.WriteString("\nsuggestions\n")
		for _, s := range r.Suggestions {
			fmt.Fprintf(&buf, "- %s\n", s)
		}
	} else {
		buf.WriteString("\nno trait sets the responders apart at this false discovery rate\n")
	}
	return writeTrimmed(w, buf.Bytes())
}

func pval(p float64) string {
	switch {
	case math.IsNaN(p):
		return "n/a"
	case p < 0.0001:
		return "<0.0001"
	}
	return strconv.FormatFloat(p, 'f', 4, 64)
}

package audience

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/campaign"
	"github.com/segkit/segkit/segment"
)

// plantedCampaign is an index of n customers and a campaign in which
// office workers aged 26–30 convert at 9% and everyone else at 4%; persona
// "side_income" holds a fifth of the customers, few of them office
// workers.
func plantedCampaign(t testing.TB, n int) (*bitmapindex.View, []campaign.Outcome) {
	ix, err := bitmapindex.New(bitmapindex.Config{Schema: []bitmapindex.Attribute{
		{Name: "age", Kind: bitmapindex.KindInt},
		{Name: "occupation", Kind: bitmapindex.KindCategory},
		{Name: "persona", Kind: bitmapindex.KindCategory},
		{Name: "interests", Kind: bitmapindex.KindSet},
	}})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(26, 30))
	b := ix.NewBatch()
	var outs []campaign.Outcome
	occs := []string{"office", "student", "retired", "freelancer"}
	for i := range n {
		k := fmt.Sprintf("c%05d", i)
		age := 18 + r.IntN(50)
		occ := occs[r.IntN(len(occs))]
		b.Set(k, "age", bitmapindex.Int(int64(age)))
		b.Set(k, "occupation", bitmapindex.Category(occ))
		if occ != "office" && r.IntN(3) == 0 {
			b.Set(k, "persona", bitmapindex.Category("side_income"))
		} else if r.IntN(2) == 0 {
			b.Set(k, "persona", bitmapindex.Category("other"))
		}
		if r.IntN(2) == 0 {
			b.AddTag(k, "app_user")
		}
		b.Set(k, "interests", bitmapindex.SetOf([]string{"math", "music", "games"}[r.IntN(3)]))
		p := 0.04
		if occ == "office" && age >= 26 && age <= 30 {
			p = 0.09
		}
		g := "A"
		if i%10 == 0 {
			g = "holdout"
		}
		outs = append(outs, campaign.Outcome{Key: k, Group: g, Converted: r.Float64() < p})
	}
	outs = append(outs, campaign.Outcome{Key: "stranger", Group: "A"})
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	return ix.View(), outs
}

func TestRespondersMatchNaive(t *testing.T) {
	v, outs := plantedCampaign(t, 40_000)
	cfg := DefaultResponderConfig()
	cfg.Groups = []string{"A"}
	cfg.Persona = "side_income"
	cfg.Bands = 10
	cfg.Campaign = Span{Name: "summer", From: segkit.Date(2026, 6, 10), To: segkit.Date(2026, 6, 20)}
	cfg.Excluded = []Span{{Name: "618", From: segkit.Date(2026, 6, 1), To: segkit.Date(2026, 6, 18)}, {Name: "double 11", From: segkit.Date(2026, 11, 11), To: segkit.Date(2026, 11, 11)}}
	rep, err := Responders(context.Background(), v, slices.Values(outs), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Missing != 1 || rep.Exposed != 36_000 {
		t.Fatalf("exposed %d missing %d", rep.Exposed, rep.Missing)
	}
	// every trait's counts, recomputed by matching its rule customer by
	// customer
	conv := map[string]bool{}
	for _, o := range outs {
		if o.Group == "A" {
			conv[o.Key] = o.Converted
		}
	}
	now := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	profiles := map[string]bitmapindex.Profile{}
	for k := range conv {
		if p, ok := v.Profile(k); ok {
			profiles[k] = p
		}
	}
	for _, tr := range rep.Traits {
		rule := segment.MustCompile(tr.Rule)
		var with, without campaign.Proportion
		for k, p := range profiles {
			c := conv[k]
			m, err := rule.Match(p, now)
			if err != nil {
				t.Fatal(err)
			}
			side := &without
			if m {
				side = &with
			}
			side.Trials++
			if c {
				side.Successes++
			}
		}
		if with != tr.With || without != tr.Without {
			t.Fatalf("%s: with %+v without %+v, naive %+v %+v", tr.Rule, tr.With, tr.Without, with, without)
		}
		if tr.With.Trials < cfg.MinGroup || tr.Without.Trials < cfg.MinGroup {
			t.Fatalf("%s tested with groups %d/%d", tr.Label, tr.With.Trials, tr.Without.Trials)
		}
	}
	// Benjamini–Hochberg against its definition
	ps := make([]float64, len(rep.Traits))
	for i, tr := range rep.Traits {
		ps[i] = tr.P
	}
	for i, tr := range rep.Traits {
		want := 1.0
		for _, pj := range ps {
			if pj >= ps[i] {
				rank := 0
				for _, pk := range ps {
					if pk <= pj {
						rank++
					}
				}
				want = math.Min(want, pj*float64(len(ps))/float64(rank))
			}
		}
		if math.Abs(tr.Adjusted-want) > 1e-12 {
			t.Fatalf("%s: adjusted %v, want %v", tr.Label, tr.Adjusted, want)
		}
	}
	// the planted conjunction comes out on top and is suggested for the
	// persona
	topTrait := rep.Traits[0]
	if !strings.Contains(topTrait.Label, "occupation office") || !strings.Contains(topTrait.Label, "age") || !topTrait.Significant(cfg.FDR) {
		t.Fatalf("top trait %q (adjusted P %v)", topTrait.Label, topTrait.Adjusted)
	}
	if len(rep.Suggestions) == 0 || !strings.Contains(rep.Suggestions[0], "add to persona side_income") {
		t.Fatalf("suggestions %q", rep.Suggestions)
	}
	overlaps := 0
	for _, w := range rep.Warnings {
		if strings.Contains(w, "overlaps") {
			overlaps++
			if !strings.Contains(w, "618") || !strings.Contains(w, "9 days") {
				t.Fatalf("warning %q", w)
			}
		}
	}
	if overlaps != 1 {
		t.Fatalf("warnings %q", rep.Warnings)
	}
	var buf bytes.Buffer
	if err := rep.WriteText(&buf, 12); err != nil {
		t.Fatal(err)
	}
	golden(t, "responders.txt", buf.Bytes())
}

// TestRespondersNull: without any effect, at most a few traits pass the
// FDR, and small groups are skipped.
func TestRespondersNull(t *testing.T) {
	v, outs := plantedCampaign(t, 20_000)
	r := rand.New(rand.NewPCG(1, 1))
	for i := range outs {
		outs[i].Converted = r.Float64() < 0.05
	}
	cfg := DefaultResponderConfig()
	cfg.MinGroup = 3000
	rep, err := Responders(context.Background(), v, slices.Values(outs), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Skipped == 0 {
		t.Fatal("no trait skipped at a minimum group of 3,000")
	}
	sig := 0
	for _, tr := range rep.Traits {
		if tr.Significant(cfg.FDR) {
			sig++
		}
	}
	if sig > 1 {
		t.Fatalf("%d of %d traits significant without any effect", sig, len(rep.Traits))
	}
	if !slices.ContainsFunc(rep.Warnings, func(w string) bool { return strings.Contains(w, "index does not have") }) {
		t.Fatalf("warnings %q", rep.Warnings)
	}
}

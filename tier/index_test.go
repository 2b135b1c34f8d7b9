package tier_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/tier"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func keysOf(s bitmapindex.Set) []string { return slices.Collect(s.Keys()) }

func TestApplyWritesLevelsAndPoints(t *testing.T) {
	e := loadEngine(t, "testdata/hotel.json")
	cfg := tier.DefaultAdapterConfig()
	cfg.EarnedAttribute = "tier_earned"
	ix, err := bitmapindex.New(bitmapindex.Config{Strict: true, Schema: cfg.Attributes()})
	require.NoError(t, err)

	silver := &hotelHistory{tier.History{Customer: "s"}}
	silver.stay("2026-03-04", 12, 300)
	gold := &hotelHistory{tier.History{Customer: "g"}}
	gold.stay("2026-03-04", 45, 900)
	matched := tier.History{Customer: "m", Overrides: []tier.Override{{At: at("2026-05-01"), Level: level(t, e, "Diamond"), Reason: "status match"}}}
	plain := tier.History{Customer: "p", Transactions: []segkit.Transaction{buy("2026-01-01", 10, "A")}}
	hs := []tier.History{silver.History, gold.History, matched, plain}

	write := func(asOf segkit.Day) *bitmapindex.View {
		var sts []tier.Status
		for st, err := range e.EvaluateAll(slices.Values(hs), asOf) {
			require.NoError(t, err)
			sts = append(sts, st)
		}
		b := ix.NewBatch()
		require.Equal(t, len(hs), tier.Apply(b, e, cfg, slices.Values(sts)))
		require.NoError(t, b.Commit())
		return ix.View()
	}

	v := write(day("2026-12-31"))
	for name, want := range map[string][]string{"Member": {"p"}, "Silver": {"s"}, "Gold": {"g"}, "Diamond": {"m"}} {
		s, err := v.WithValue("tier", name)
		require.NoError(t, err)
		assert.Equal(t, want, keysOf(s), name)
	}
	earnedMember, err := v.WithValue("tier_earned", "Member")
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"m", "p"}, keysOf(earnedMember), "the override is not earned")
	rich, err := v.Compare("points", bitmapindex.Ge, bitmapindex.Int(9000))
	require.NoError(t, err)
	assert.Equal(t, []string{"g"}, keysOf(rich))
	prof, ok := v.Profile("s")
	require.True(t, ok)
	pts, _ := prof.Attrs["points"].AsInt()
	assert.Equal(t, int64(3000), pts)

	// Two years later Silver and Gold have lapsed: each customer holds one
	// value, the new one.
	v = write(day("2028-01-01"))
	member, err := v.WithValue("tier", "Member")
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"s", "g", "p"}, keysOf(member))
	gone, err := v.WithValue("tier", "Gold")
	require.NoError(t, err)
	assert.Equal(t, 0, gone.Len())
}

func TestApplyNeedsDeclaredAttributesInAStrictIndex(t *testing.T) {
	e := loadEngine(t, "testdata/agent.json")
	ix, err := bitmapindex.New(bitmapindex.Config{Strict: true})
	require.NoError(t, err)
	st, err := e.Evaluate(tier.History{Customer: "a", Transactions: []segkit.Transaction{buy("2026-01-01", 10, "")}}, day("2026-06-30"))
	require.NoError(t, err)
	b := ix.NewBatch()
	tier.Apply(b, e, tier.DefaultAdapterConfig(), slices.Values([]tier.Status{st}))
	require.Error(t, b.Commit(), "undeclared attributes")
	require.NoError(t, tier.Declare(ix, tier.DefaultAdapterConfig()))
	b = ix.NewBatch()
	tier.Apply(b, e, tier.AdapterConfig{}, slices.Values([]tier.Status{st}))
	require.NoError(t, b.Commit())
	c, err := ix.View().WithValue("tier", "C")
	require.NoError(t, err)
	assert.Equal(t, []string{"a"}, keysOf(c))
	_, err = ix.View().Present("points")
	require.NoError(t, err, "declared even if the zero config does not write it")
}

// Levels computed by the engine become a category attribute that segment
// rules select on, like any other attribute.
func ExampleApply() {
	prog, _ := tier.ParseProgram([]byte(hotelJSON))
	eng := tier.MustCompile(prog)
	cfg := tier.DefaultAdapterConfig()
	ix, _ := bitmapindex.New(bitmapindex.Config{Strict: true, Schema: cfg.Attributes()})

	nights := func(customer, day string, n float64) tier.Activity {
		return tier.Activity{Customer: customer, At: date(day), Metric: tier.MetricNights, Value: n}
	}
	histories := tier.Group(tier.Sources{Activities: slices.Values([]tier.Activity{
		nights("ana", "2026-02-10", 12), nights("bo", "2026-04-01", 41), nights("cy", "2026-05-05", 3), nights("di", "2026-07-07", 15),
	})})

	b := ix.NewBatch()
	for st, err := range eng.EvaluateAll(slices.Values(histories), segkit.Date(2026, 12, 31)) {
		if err != nil {
			fmt.Println(err)
			continue
		}
		tier.Apply(b, eng, cfg, slices.Values([]tier.Status{st}))
	}
	if err := b.Commit(); err != nil {
		fmt.Println(err)
		return
	}
	v := ix.View()
	for _, name := range []string{"Member", "Silver", "Gold"} {
		s, _ := v.WithValue("tier", name)
		fmt.Println(name, slices.Collect(s.Keys()))
	}
	// Output:
	// Member [cy]
	// Silver [ana di]
	// Gold [bo]
}

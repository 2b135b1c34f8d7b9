package tier_test

import (
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/tier"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func keysOf(s bitmapindex.Set) []string { return slices.Collect(s.Keys()) }

func TestApplyWritesLevelsAndPoints(t *testing.T) {
	e := loadEngine(t, "testdata/hotel.json")
	cfg := tier.DefaultIndexConfig()
	cfg.Earned = "tier_earned"
	ix, err := bitmapindex.New(bitmapindex.Config{Strict: true, Schema: cfg.Attributes(tier.Output{})})
	require.NoError(t, err)

	silver := &hotelHistory{tier.History{Customer: "s"}}
	silver.stay("2026-03-04", 12, 300)
	gold := &hotelHistory{tier.History{Customer: "g"}}
	gold.stay("2026-03-04", 45, 900)
	matched := tier.History{Customer: "m", Overrides: []tier.Override{{At: at("2026-05-01"), Level: level(t, e, "Diamond"), Reason: "status match"}}}
	plain := tier.History{Customer: "p", Transactions: []segkit.Transaction{buy("2026-01-01", 10, "A")}}
	hs := []tier.History{silver.History, gold.History, matched, plain}

	write := func(asOf segkit.Day) *bitmapindex.View {
		b := ix.NewBatch()
		require.NoError(t, tier.Apply(b, tier.Output{Engine: e, Statuses: e.EvaluateAllDay(slices.Values(hs), asOf)}, cfg))
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
	st, err := e.EvaluateDay(tier.History{Customer: "a", Transactions: []segkit.Transaction{buy("2026-01-01", 10, "")}}, day("2026-06-30"))
	require.NoError(t, err)
	out := tier.Output{Engine: e, Statuses: tier.Statuses([]tier.Status{st})}
	b := ix.NewBatch()
	require.NoError(t, tier.Apply(b, out, tier.DefaultIndexConfig()))
	require.Error(t, b.Commit(), "undeclared attributes")
	require.NoError(t, ix.DeclareAll(tier.DefaultIndexConfig().Attributes(out)))
	b = ix.NewBatch()
	require.NoError(t, tier.Apply(b, out, tier.IndexConfig{Level: "tier"}))
	require.NoError(t, b.Commit())
	c, err := ix.View().WithValue("tier", "C")
	require.NoError(t, err)
	assert.Equal(t, []string{"a"}, keysOf(c))
	_, err = ix.View().Present("points")
	require.NoError(t, err, "declared even if this config does not write it")
}

// TestUpdate: Update declares, writes and clears the customers an output no
// longer covers, atomically; an evaluation error writes nothing.
func TestUpdate(t *testing.T) {
	e := loadEngine(t, "testdata/agent.json")
	ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
	require.NoError(t, err)
	h := func(c string) tier.History {
		return tier.History{Customer: c, Transactions: []segkit.Transaction{buy("2026-01-01", 10, "")}}
	}
	asOf := day("2026-06-30").Time(e.Location()).Add(20 * time.Hour)
	cfg := tier.DefaultIndexConfig()
	require.NoError(t, tier.Update(ix, tier.Output{Engine: e, Statuses: e.EvaluateAll(slices.Values([]tier.History{h("a"), h("b")}), asOf)}, cfg))
	c, err := ix.View().WithValue("tier", "C")
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, keysOf(c))
	require.NoError(t, tier.Update(ix, tier.Output{Engine: e, Statuses: e.EvaluateAll(slices.Values([]tier.History{h("b")}), asOf)}, cfg))
	p, _ := ix.View().Profile("a")
	assert.NotContains(t, p.Attrs, "tier", "a is no longer in the output")
	assert.NotContains(t, p.Attrs, "points")

	bad := tier.History{Customer: "c", Transactions: []segkit.Transaction{{Customer: "c", Amount: 5}}} // no time
	err = tier.Update(ix, tier.Output{Engine: e, Statuses: e.EvaluateAll(slices.Values([]tier.History{h("c"), bad}), asOf)}, cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "tier: index:")
	_, ok := ix.View().ID("c")
	assert.False(t, ok, "nothing written")
	assert.Error(t, tier.Update(ix, tier.Output{}, cfg))
	assert.Error(t, tier.Apply(nil, tier.Output{Engine: e, Statuses: tier.Statuses(nil)}, cfg))
}

// TestEvaluateAtInstant: the public evaluations count asOf's day in the
// program's zone, as rules do: 23:30 in Shanghai on June 30 is still June
// 30 there although it is June 30 15:30 UTC, and 01:00 on July 1 there is
// July 1.
func TestEvaluateAtInstant(t *testing.T) {
	data, err := os.ReadFile("testdata/agent.json")
	require.NoError(t, err)
	p, err := tier.ParseProgram(data)
	require.NoError(t, err)
	p.TimeZone = "Asia/Shanghai"
	e, err := tier.Compile(p)
	require.NoError(t, err)
	require.Equal(t, "Asia/Shanghai", e.Location().String())
	h := tier.History{Customer: "a", Transactions: []segkit.Transaction{buy("2026-01-01", 10, "")}}
	for _, c := range []struct {
		at   time.Time
		want segkit.Day
	}{
		{day("2026-06-30").Time(e.Location()).Add(23*time.Hour + 30*time.Minute), day("2026-06-30")},
		{day("2026-07-01").Time(e.Location()).Add(time.Hour), day("2026-07-01")},
	} {
		st, err := e.Evaluate(h, c.at)
		require.NoError(t, err)
		assert.Equal(t, c.want, st.AsOf, "%s in %s", c.at, e.Location())
		want, err := e.EvaluateDay(h, c.want)
		require.NoError(t, err)
		assert.Equal(t, want, st)
		p, err := e.Progress(h, c.at)
		require.NoError(t, err)
		assert.Equal(t, c.want, p.AsOf)
		tl, err := e.Replay(h, c.at)
		require.NoError(t, err)
		assert.Equal(t, c.want, tl.Status.AsOf)
	}
}

// Levels computed by the engine become a category attribute that segment
// rules select on, like any other attribute.
func ExampleUpdate() {
	prog, _ := tier.ParseProgram([]byte(hotelJSON))
	eng := tier.MustCompile(prog)
	cfg := tier.DefaultIndexConfig()
	ix, _ := bitmapindex.New(bitmapindex.Config{Strict: true, Schema: cfg.Attributes(tier.Output{})})

	nights := func(customer, day string, n float64) tier.Activity {
		return tier.Activity{Customer: customer, At: date(day), Metric: tier.MetricNights, Value: n}
	}
	histories := tier.Group(tier.Sources{Activities: slices.Values([]tier.Activity{
		nights("ana", "2026-02-10", 12), nights("bo", "2026-04-01", 41), nights("cy", "2026-05-05", 3), nights("di", "2026-07-07", 15),
	})})

	asOf := time.Date(2026, 12, 31, 18, 0, 0, 0, eng.Location())
	out := tier.Output{Engine: eng, Statuses: eng.EvaluateAll(slices.Values(histories), asOf)}
	if err := tier.Update(ix, out, cfg); err != nil {
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

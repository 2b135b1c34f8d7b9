package tier_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/tier"
)

func growthLog(tl *tier.Timeline) []string {
	var out []string
	for _, g := range tl.GrowthLog {
		out = append(out, fmt.Sprintf("%s %s %+d = %d %s", g.Day, g.Kind, g.Growth, g.Balance, g.Note))
	}
	return out
}

func TestGrowthValue(t *testing.T) {
	e := loadEngine(t, "testdata/growth.json")
	h := tier.History{Customer: "c",
		Transactions: []segkit.Transaction{buy("2026-03-01", 300, "A"), buy("2026-06-01", 1800.5, "B"), {At: at("2026-06-20"), Amount: -100, Order: "B"}},
		Activities: []tier.Activity{
			{At: at("2026-03-02"), Metric: "checkin", Value: 1},
			{At: at("2026-03-03"), Metric: "checkin", Value: 1},
			{At: at("2026-04-01"), Metric: "referrals", Value: 1, Ref: "friend f1"},
		},
	}
	tl, err := e.ReplayDay(h, day("2027-02-01"))
	require.NoError(t, err)
	require.Equal(t, []string{
		"2026-03-01 earn +300 = 300 order A",
		"2026-03-02 earn +5 = 305 checkin 1",
		"2026-03-03 earn +5 = 310 checkin 1",
		"2026-04-01 earn +100 = 410 referrals 1 friend f1",
		"2026-06-01 earn +1800 = 2210 order B",
		"2026-06-20 refund -100 = 2110 refund order B",
		"2027-01-01 decay -1055 = 1055 year end 2026: decay 50%",
	}, growthLog(tl))
	require.Equal(t, int64(1055), tl.Growth)
	// V2 at 500 (immediately, on the day of order B), V3 on the same day;
	// the decay to 1,055 takes V3 away at the January review.
	require.Equal(t, []string{"2026-06-01 V1→V3", "2027-02-01 V3→V2"}, changes(e, tl))
	var reasons []string
	for en := range tl.Changes() {
		reasons = append(reasons, en.Reason)
	}
	require.Contains(t, reasons[0], "growth 2,210 ≥ 2,000")
	require.Contains(t, reasons[1], "growth 1,055 < 2,000")

	// Evaluate agrees with Replay.
	st, err := e.EvaluateDay(h, day("2027-02-01"))
	require.NoError(t, err)
	require.Equal(t, tl.Status, st)

	// Progress reads the balance.
	p, err := e.ProgressDay(h, day("2027-02-01"))
	require.NoError(t, err)
	require.Equal(t, "growth 1,055 of 2,000 (945 more)", p.ToNext.String())
}

func TestGrowthReset(t *testing.T) {
	js := strings.Replace(strings.Replace(mustRead(t, "testdata/growth.json"), `"year_end": "decay"`, `"year_end": "reset"`, 1), `,
    "decay_percent": 50`, "", 1)
	e := engineFromJSON(t, js)
	h := tier.History{Customer: "c", Transactions: []segkit.Transaction{buy("2025-12-31", 600, "A"), buy("2026-12-31", 100, "B")}}
	tl, err := e.ReplayDay(h, day("2027-01-01"))
	require.NoError(t, err)
	require.Equal(t, []string{
		"2025-12-31 earn +600 = 600 order A",
		"2026-01-01 reset -600 = 0 year end 2025: reset",
		"2026-12-31 earn +100 = 100 order B",
		"2027-01-01 reset -100 = 0 year end 2026: reset",
	}, growthLog(tl))
	// The review of 2025-12-31 sees the balance before the reset; the one
	// of 2026-01-31 the balance after it.
	require.Equal(t, []string{"2025-12-31 V1→V2", "2026-02-01 V2→V1"}, changes(e, tl))
}

func TestGrowthValidation(t *testing.T) {
	for _, c := range []struct{ js, want string }{
		{`{"window":{"kind":"calendar_year"},"levels":[{"name":"a"},{"name":"b","entry":{"metric":"growth","min":5}}]}`,
			`level "b": entry: criteria on growth need a growth section in the program`},
		{`{"window":{"kind":"calendar_year"},"growth":{"year_end":"decay"},"levels":[{"name":"a"}]}`,
			`growth.decay_percent: 0 (want more than 0, at most 100)`},
		{`{"window":{"kind":"calendar_year"},"growth":{"year_end":"halve"},"levels":[{"name":"a"}]}`,
			`growth.year_end: unknown rule "halve"`},
		{`{"window":{"kind":"calendar_year"},"growth":{"rules":[{"name":"x","metric":"visits","bonus":1}]},"levels":[{"name":"a"}]}`,
			`growth.rules[0].metric: unknown metric "visits"`},
		{`{"window":{"kind":"calendar_year"},"metrics":["growth"],"levels":[{"name":"a"}]}`,
			`metrics[0]: metric "growth" is built in`},
	} {
		_, err := tier.ParseProgram([]byte(c.js))
		require.ErrorContains(t, err, c.want)
	}
	// Activities cannot feed the growth metric directly.
	e := loadEngine(t, "testdata/growth.json")
	_, err := e.EvaluateDay(tier.History{Customer: "c", Activities: []tier.Activity{{At: at("2026-01-01"), Metric: "growth", Value: 5}}}, day("2026-02-01"))
	require.ErrorIs(t, err, tier.ErrUnknownMetric)
}

func mustRead(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// The adapter writes the growth value for programs with one, and declares
// no growth attribute for the others.
func TestGrowthIndex(t *testing.T) {
	e := loadEngine(t, "testdata/growth.json")
	h := tier.History{Customer: "c", Transactions: []segkit.Transaction{buy("2026-03-01", 2500, "A")}}
	st, err := e.Evaluate(h, day("2026-04-01").Time(e.Location()))
	require.NoError(t, err)
	ix, err := bitmapindex.New(bitmapindex.Config{})
	require.NoError(t, err)
	cfg := tier.DefaultIndexConfig()
	require.NoError(t, tier.Update(ix, tier.Output{Engine: e, Statuses: tier.Statuses([]tier.Status{st})}, cfg))
	p, ok := ix.View().Profile("c")
	require.True(t, ok)
	require.Equal(t, bitmapindex.Int(2500), p.Attrs["growth"])
	require.Equal(t, bitmapindex.Category("V3"), p.Attrs["tier"])

	hotel := loadEngine(t, "testdata/hotel.json")
	for _, a := range cfg.Attributes(tier.Output{Engine: hotel}) {
		require.NotEqual(t, "growth", a.Name)
	}
}

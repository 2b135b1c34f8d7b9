package credit_test

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/credit"
)

func load(t testing.TB) *credit.Model {
	t.Helper()
	data, err := os.ReadFile("testdata/retail.json")
	require.NoError(t, err)
	sc, err := credit.ParseScorecard(data)
	require.NoError(t, err)
	m, err := credit.Compile(sc)
	require.NoError(t, err)
	return m
}

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

func at(y int, mo time.Month, d, h int) time.Time { return time.Date(y, mo, d, h, 0, 0, 0, shanghai) }

func ev(name string, t time.Time) segkit.Event { return segkit.Event{Name: name, At: t} }

func TestScoreReasonsAndBand(t *testing.T) {
	m := load(t)
	asOf := segkit.Date(2026, 12, 1)
	cu := credit.Customer{
		Key:        "c1",
		Joined:     at(2026, 3, 1, 9),
		Attributes: map[string]bitmapindex.Value{"verified": bitmapindex.Bool(false)},
		Events: []segkit.Event{
			// 365-day window: 2025-12-02 .. 2026-12-01 in Shanghai.
			ev("late_payment", at(2025, 12, 1, 23)), // outside by one day
			ev("late_payment", at(2025, 12, 2, 0)),
			ev("late_payment", at(2026, 6, 1, 12)),
			ev("late_payment", at(2026, 12, 2, 1)), // after the scoring day
			ev("refund", at(2026, 11, 30, 8)),
			ev("complaint", at(2026, 11, 20, 8)),
			ev("complaint", at(2026, 10, 1, 8)),
		},
	}
	r, err := m.Score(cu, asOf.Time(m.Location()))
	require.NoError(t, err)
	// 600 − 15 (2 late) + 5 (1 refund) − 30 (complaint 11 days ago)
	// + 5 (275 days) − 20 (unverified) = 545.
	require.Equal(t, 545, r.Score)
	require.Equal(t, "fair", r.Band)
	require.Equal(t, credit.Restrictions{CashOnDelivery: true, OrderLimit: 5000}, r.Restrictions)
	// Largest penalty first (never complaining gives 10, the best of
	// complaints); equal penalties, the lower points first.
	got := r.Explain()
	require.Equal(t, `c1: score 545, band "fair" (cash on delivery, order limit 5000)
  days since the last complaint = 11 (< 30): -30 points, 40 below the best
  verified identity = false (false): -20 points, 35 below the best
  late payments in the last 12 months = 2 (1–3): -15 points, 35 below the best
  days as a customer = 275 (180–720): +5 points, 20 below the best
  refunds in the last 90 days = 1 (< 2): +5 points
`, got)
}

func TestScoreEdges(t *testing.T) {
	m := load(t)
	asOf := segkit.Date(2026, 12, 1)
	base := credit.Customer{Key: "c2", Attributes: map[string]bitmapindex.Value{"verified": bitmapindex.Bool(true)}}
	r, err := m.Score(base, asOf.Time(m.Location()))
	require.NoError(t, err)
	// 600 + 20 + 5 + 10 (never complained) − 10 (tenure unknown) + 15.
	require.Equal(t, 640, r.Score)
	require.Equal(t, "good", r.Band)
	require.Equal(t, "missing", r.Reasons[0].Value)

	// A value on a bound falls in the bin above it: 3 late payments → ≥ 3.
	cu := base
	cu.Joined = segkit.Date(2024, 12, 2).Time(shanghai) // 730 days: ≥ 720
	for i := range 3 {
		cu.Events = append(cu.Events, ev("late_payment", at(2026, 11, 1+i, 10)))
	}
	r, err = m.Score(cu, asOf.Time(m.Location()))
	require.NoError(t, err)
	require.Equal(t, 600-60+5+10+25+15, r.Score)
	require.Equal(t, "fair", r.Band)
	require.Equal(t, credit.Reason{Characteristic: "late_payments_12m", Description: "late payments in the last 12 months",
		Value: "3", Bin: "≥ 3", Points: -60, Penalty: 80}, r.Reasons[0])

	// Band bounds are inclusive.
	require.Equal(t, "excellent", m.Band(650).Name)
	require.Equal(t, "good", m.Band(649).Name)
	require.Equal(t, "poor", m.Band(-1_000_000).Name)
	require.Equal(t, []string{"no_coupons"}, m.Band(0).Restrictions.Flags)

	// An attribute of a kind the bins cannot take names the customer,
	// characteristic, attribute and kind.
	cu.Attributes = map[string]bitmapindex.Value{"verified": bitmapindex.Decimal(1)}
	_, err = m.Score(cu, asOf.Time(m.Location()))
	var ce *credit.CustomerError
	require.ErrorAs(t, err, &ce)
	require.EqualError(t, err, `credit: customer "c2": characteristic "verified": attribute "verified" of kind decimal: bins by value take a category, bool or int`)

	// ScoreAll goes on after an error.
	var n, errs int
	for _, err := range m.ScoreAll(func(yield func(credit.Customer) bool) {
		_ = yield(cu) && yield(base)
	}, asOf.Time(m.Location())) {
		n++
		if err != nil {
			errs++
		}
	}
	require.Equal(t, 2, n)
	require.Equal(t, 1, errs)
}

func TestParseScorecardErrors(t *testing.T) {
	cases := []struct {
		name, json string
		want       []string
	}{
		{"syntax", `{"base":`, []string{"credit: scorecard json: unexpected EOF"}},
		{"unknown field", `{"base":1,"bonus":2}`, []string{`unknown field "bonus"`}},
		{"trailing", `{"base":1,"characteristics":[{"name":"a","kind":"tenure","bins":[{"max":1,"points":0},{"min":1,"points":1}]}],"bands":[{"name":"x"}]} {}`,
			[]string{"data after the scorecard object"}},
		{"empty", `{}`, []string{"characteristics: at least one characteristic is needed", "bands: at least one band is needed"}},
		{"fields", `{"time_zone":"Local","characteristics":[
			{"name":"Late","kind":"count","bins":[{"max":1,"points":0},{"min":2,"points":-5}]},
			{"name":"v","kind":"attribute","attribute":"v","monotonic":"up","bins":[{"values":["a"],"points":1},{"values":["a"],"points":2}]},
			{"name":"t","kind":"tenure","days":30,"monotonic":"increasing","bins":[{"min":0,"max":5,"points":3},{"min":5,"max":9,"points":1}]},
			{"name":"t","kind":"bogus","bins":[{"max":1,"points":0}]}],
			"bands":[{"name":"a","min":10,"restrictions":{"prepay":true,"credit_days":30,"flags":["No"]}},{"name":"b","min":20},{"name":"a","min":1}]}`,
			[]string{
				`time_zone: "Local" depends on the machine`,
				`characteristics[0] "Late".name: "Late" is not a lower-case identifier`,
				`characteristics[0] "Late".event: kind "count" needs the event name`,
				`characteristics[0] "Late".bins[1].min: 2 leaves a gap or overlap with bins[0].max 1`,
				`characteristics[1] "v".monotonic: unknown direction "up"`,
				`characteristics[1] "v".bins[1].values: "a" is also in bins[0]`,
				`characteristics[2] "t".days: only count and sum have a window`,
				`characteristics[2] "t".bins[0].min: the first bin is open below`,
				`characteristics[2] "t".bins[1].max: the last bin is open above`,
				`characteristics[2] "t".bins[1].points: 1 after 3 breaks the declared increasing order`,
				`characteristics[3] "t".name: duplicate of characteristics[2]`,
				`characteristics[3] "t".kind: unknown kind "bogus"`,
				`characteristics[3] "t".bins: at least two bins are needed, got 1`,
				`bands[0] "a".restrictions.prepay: contradicts credit_days or cash_on_delivery`,
				`bands[0] "a".restrictions.flags[0]: "No" is not a lower-case identifier`,
				`bands[1] "b".min: 20 is not below bands[0].min 10; list bands best first`,
				`bands[2] "a".name: duplicate of bands[0]`,
				`bands[2] "a".min: the last band holds every lower score; leave min out`,
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := credit.ParseScorecard([]byte(c.json))
			require.Error(t, err)
			for _, w := range c.want {
				require.Contains(t, err.Error(), w)
			}
			var se *credit.ScorecardError
			if errors.As(err, &se) {
				require.Len(t, se.Problems, len(c.want), "%v", err)
			}
		})
	}
}

func TestUpdateClearsStale(t *testing.T) {
	ix, err := bitmapindex.New(bitmapindex.Config{})
	require.NoError(t, err)
	cfg := credit.DefaultIndexConfig()
	two := []credit.Result{{Customer: "ann", Score: 640, Band: "good"}, {Customer: "bob", Score: 530, Band: "poor"}}
	require.NoError(t, credit.Update(ix, credit.Output{Results: credit.Results(two)}, cfg))
	require.NoError(t, credit.Update(ix, credit.Output{Results: credit.Results(two[:1])}, cfg))
	v := ix.View()
	p, ok := v.Profile("bob")
	require.True(t, ok)
	_, has := p.Attrs["credit_band"]
	require.False(t, has, "bob's old band is cleared")
	poor, err := v.WithValue("credit_band", "poor")
	require.NoError(t, err)
	require.Zero(t, poor.Len())

	// A scoring error stops the update before anything is written.
	bad := func(yield func(credit.Result, error) bool) {
		_ = yield(credit.Result{Customer: "cat", Score: 1, Band: "poor"}, nil) && yield(credit.Result{}, errors.New("boom"))
	}
	require.ErrorContains(t, credit.Update(ix, credit.Output{Results: bad}, cfg), "credit: index: boom")
	_, ok = ix.View().Profile("cat")
	require.False(t, ok)
	require.ErrorContains(t, credit.Update(ix, credit.Output{Results: credit.Results([]credit.Result{{Score: 1}})}, cfg), "no customer key")
}

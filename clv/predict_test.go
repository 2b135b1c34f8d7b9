package clv

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	paperPareto = ParetoNBD{R: 0.553, Alpha: 10.578, S: 0.606, Beta: 11.669}
	paperGG     = GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}
	mbgCDNOW    = MBGNBD{R: 0.525, Alpha: 6.183, A: 0.891, B: 1.614}
)

func TestPredictMatchesScalar(t *testing.T) {
	data := append([]Summary(nil), histories...)
	// Repeated (x, T) pairs exercise the shared-value cache.
	data = append(data, Summary{Customer: "dup", Frequency: 2, Recency: 10, T: 38.86}, Summary{Frequency: 2, Recency: 30, T: 38.5})
	for _, m := range []PurchaseModel{paperBG, mbgCDNOW, paperPareto} {
		got, err := Predict(m, data, 39)
		require.NoError(t, err)
		require.Len(t, got, len(data))
		for i, s := range data {
			assert.Equal(t, s.Customer, got[i].Customer)
			assert.InDelta(t, m.PAlive(s), got[i].PAlive, 1e-15, "%s %+v", m.Name(), s)
			assert.InEpsilon(t, m.ConditionalExpectedPurchases(s, 39), got[i].ExpectedPurchases, 1e-12, "%s %+v", m.Name(), s)
		}
	}
}

func TestPredictErrors(t *testing.T) {
	data := []Summary{{Customer: "a", T: 3}, {Customer: "b", Frequency: 1, Recency: 4, T: 3}}
	_, err := Predict(paperBG, data, 1)
	var de *DataError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, `clv: row 1 (customer "b"): recency 4: exceeds T 3`, err.Error())
	_, err = Predict(paperBG, data[:1], -1)
	assert.EqualError(t, err, "clv: horizon -1 must be finite and non-negative")
	_, err = Predict(paperBG, data[:1], math.NaN())
	assert.Error(t, err)
	_, err = Predict(BGNBD{}, data[:1], 1)
	assert.ErrorIs(t, err, ErrInvalidParams)
	_, err = Predict(nil, data[:1], 1)
	assert.EqualError(t, err, "clv: predict: nil model")
	err = PredictInto(make([]Prediction, 3), paperBG, data[:1], 1)
	assert.EqualError(t, err, "clv: predict: 3 results for 1 customers")
}

func TestGammaGammaExpectedSpend(t *testing.T) {
	mean := paperGG.MeanSpend()
	assert.InDelta(t, 6.25*15.44/2.74, mean, 1e-12)
	assert.Equal(t, mean, paperGG.ExpectedSpend(Summary{T: 5}))
	// The expectation shrinks the customer's own mean towards the
	// population's, less so the more purchases it rests on.
	prevGap := math.Inf(1)
	for x := 1; x <= 50; x *= 2 {
		s := Summary{Frequency: x, Recency: 1, T: 2, Monetary: 100}
		e := paperGG.ExpectedSpend(s)
		assert.Greater(t, e, mean)
		assert.Less(t, e, 100.0)
		assert.Less(t, 100-e, prevGap)
		prevGap = 100 - e
	}
	assert.True(t, math.IsNaN(GammaGamma{P: 1, Q: 0.5, Gamma: 1}.ExpectedSpend(Summary{Frequency: 1, Monetary: 3})))
	assert.True(t, math.IsNaN(GammaGamma{P: 1, Q: 1, Gamma: 1}.MeanSpend()))
	assert.True(t, math.IsNaN(paperGG.ExpectedSpend(Summary{Frequency: 1, Monetary: math.NaN()})))
	assert.True(t, math.IsNaN(paperGG.LogLikelihood(Summary{T: 1})))
	// The density integrates to 1 over the mean spend.
	s := 0.0
	for m := 0.005; m < 400; m += 0.01 {
		s += math.Exp(paperGG.LogLikelihood(Summary{Frequency: 3, Recency: 1, T: 1, Monetary: m})) * 0.01
	}
	assert.InDelta(t, 1, s, 1e-3)
}

func TestCLV(t *testing.T) {
	data := []Summary{
		{Customer: "a", Frequency: 2, Recency: 30, T: 38.5, Monetary: 20},
		{Customer: "b", Frequency: 0, T: 38.86},
		{Customer: "c", Frequency: 10, Recency: 38, T: 39, Monetary: 50},
	}
	for _, m := range []PurchaseModel{paperBG, mbgCDNOW, paperPareto} {
		// Without discounting the periods telescope to E[Y(horizon)] × E[M].
		cfg := CLVConfig{Periods: 12, PeriodLength: 30.0 / 7, DiscountRate: 0}
		flat, err := CLVAll(m, paperGG, data, cfg)
		require.NoError(t, err)
		for i, s := range data {
			want := m.ConditionalExpectedPurchases(s, 12*30.0/7) * paperGG.ExpectedSpend(s)
			assert.InEpsilon(t, want, flat[i], 1e-12, "%s %s", m.Name(), s.Customer)
		}
		disc, err := CLVAll(m, paperGG, data, DefaultCLVConfig(Weeks))
		require.NoError(t, err)
		for i := range data {
			assert.Less(t, disc[i], flat[i])
			assert.Greater(t, disc[i], flat[i]/math.Pow(1.01, 12))
		}
		one, err := CLV(m, paperGG, data[2], DefaultCLVConfig(Weeks))
		require.NoError(t, err)
		assert.Equal(t, disc[2], one)
		assert.Greater(t, disc[2], disc[0])
	}
	_, err := CLVAll(paperBG, GammaGamma{P: 1, Q: 1, Gamma: 1}, data, DefaultCLVConfig(Days))
	assert.ErrorContains(t, err, "the expected spend needs q > 1")
	_, err = CLVAll(paperBG, paperGG, data, CLVConfig{Periods: 0, PeriodLength: 1})
	assert.EqualError(t, err, "clv: lifetime value: periods 0 must be at least 1")
	_, err = CLVAll(paperBG, paperGG, data, CLVConfig{Periods: 1, PeriodLength: math.Inf(1)})
	assert.EqualError(t, err, "clv: lifetime value: period length +Inf must be finite and positive")
	_, err = CLVAll(paperBG, paperGG, data, CLVConfig{Periods: 1, PeriodLength: 1, DiscountRate: -0.1})
	assert.EqualError(t, err, "clv: lifetime value: discount rate -0.1 must be finite and non-negative")
	_, err = CLV(paperBG, paperGG, Summary{T: -1}, DefaultCLVConfig(Days))
	var de *DataError
	assert.ErrorAs(t, err, &de)
	_, err = CLV(nil, paperGG, Summary{}, DefaultCLVConfig(Days))
	assert.Error(t, err)
	_, err = CLV(paperBG, GammaGamma{}, Summary{}, DefaultCLVConfig(Days))
	assert.ErrorIs(t, err, ErrInvalidParams)
}

// panicky is a host-supplied model with a bug.
type panicky struct{ BGNBD }

func (panicky) PAlive(Summary) float64                      { panic("boom") }
func (panicky) Predict(Summary, float64) (float64, float64) { panic("boom") }

func TestPanicsBecomeErrors(t *testing.T) {
	m := panicky{paperBG}
	_, err := Predict(m, []Summary{{T: 1}}, 1)
	assert.EqualError(t, err, "clv: predict: internal error: boom")
}

// TestPredictLargePopulations covers the shared-value cache both when it
// pays (whole days) and when it is dropped (continuous times).
func TestPredictLargePopulations(t *testing.T) {
	for name, data := range map[string][]Summary{
		"days":       daySummaries(6000),
		"continuous": simulate(simBG, [4]float64{0.243, 4.414, 0.793, 2.426}, 6000, 5),
	} {
		for _, m := range []PurchaseModel{BGNBD{0.243, 30.9, 0.793, 2.426}, MBGNBD{0.525, 43.3, 0.891, 1.614}} {
			got, err := Predict(m, data, 100)
			require.NoError(t, err)
			for i, s := range data {
				pa, e := m.Predict(s, 100)
				if pa != got[i].PAlive || math.Abs(e-got[i].ExpectedPurchases) > 1e-12*e {
					t.Fatalf("%s %s customer %d: got %+v, want %v %v", name, m.Name(), i, got[i], pa, e)
				}
			}
		}
	}
}

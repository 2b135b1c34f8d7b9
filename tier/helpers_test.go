package tier_test

import (
	"fmt"
	"math"
	"os"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/tier"
	"github.com/stretchr/testify/require"
)

// day parses YYYY-MM-DD.
func day(s string) segkit.Day {
	d, err := segkit.ParseDay(s)
	if err != nil {
		panic(err)
	}
	return d
}

// at is noon UTC of a YYYY-MM-DD date.
func at(s string) time.Time { return day(s).Time(time.UTC).Add(12 * time.Hour) }

func loadEngine(t testing.TB, file string) *tier.Engine {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	p, err := tier.ParseProgram(data)
	require.NoError(t, err)
	e, err := tier.Compile(p)
	require.NoError(t, err)
	return e
}

func engineFromJSON(t testing.TB, js string) *tier.Engine {
	t.Helper()
	p, err := tier.ParseProgram([]byte(js))
	require.NoError(t, err)
	e, err := tier.Compile(p)
	require.NoError(t, err)
	return e
}

func level(t testing.TB, e *tier.Engine, name string) tier.Level {
	t.Helper()
	l, ok := e.Level(name)
	require.True(t, ok, "level %q", name)
	return l
}

// changes lists the effective level changes as "2026-03-04 Member→Silver".
func changes(e *tier.Engine, tl *tier.Timeline) []string {
	var out []string
	for en := range tl.Changes() {
		out = append(out, fmt.Sprintf("%s %s→%s", en.Day, e.Name(en.From), e.Name(en.To)))
	}
	return out
}

// levelOn replays through d and returns the effective level's name.
func levelOn(t testing.TB, e *tier.Engine, h tier.History, d string) string {
	t.Helper()
	st, err := e.EvaluateDay(h, day(d))
	require.NoError(t, err)
	return e.Name(st.Level)
}

// hotel builds stays: each stay is a purchase plus nights and one stay.
type hotelHistory struct{ tier.History }

func (h *hotelHistory) stay(date string, nights int, amount float64) *hotelHistory {
	h.Activities = append(h.Activities,
		tier.Activity{At: at(date), Metric: tier.MetricNights, Value: float64(nights)},
		tier.Activity{At: at(date), Metric: tier.MetricStays, Value: 1})
	if amount != 0 {
		h.Transactions = append(h.Transactions, segkit.Transaction{At: at(date), Amount: amount, Order: fmt.Sprintf("S%d", len(h.Transactions)+1)})
	}
	return h
}

func buy(date string, amount float64, order string) segkit.Transaction {
	return segkit.Transaction{At: at(date), Amount: amount, Order: order}
}

func shuffled[T any](xs []T, perm []int) []T {
	out := make([]T, len(xs))
	for i, p := range perm {
		out[i] = xs[p]
	}
	return out
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func nan() float64 { return math.NaN() }

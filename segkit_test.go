package segkit_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDayOf(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	tests := []struct {
		name string
		t    time.Time
		loc  *time.Location
		want string
	}{
		{"epoch", time.Unix(0, 0), nil, "1970-01-01"},
		{"before epoch", time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC), time.UTC, "1969-12-31"},
		{"utc late evening", time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC), time.UTC, "2026-03-01"},
		{"same instant in Shanghai is next day", time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC), shanghai, "2026-03-02"},
		{"leap day", time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC), nil, "2024-02-29"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := segkit.DayOf(tc.t, tc.loc)
			assert.Equal(t, tc.want, d.String())
			back, err := segkit.ParseDay(tc.want)
			require.NoError(t, err)
			assert.Equal(t, d, back)
			assert.Equal(t, d, segkit.DayOf(d.Time(tc.loc), tc.loc))
		})
	}
}

func TestDayArithmetic(t *testing.T) {
	a := segkit.Date(2026, time.January, 30)
	b := a.AddDays(31)
	assert.Equal(t, "2026-03-02", b.String())
	assert.Equal(t, 31, b.Sub(a))
	_, err := segkit.ParseDay("2026-13-01")
	assert.ErrorContains(t, err, `"2026-13-01"`)
}

func ExampleDayOf() {
	now := time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)
	last := time.Date(2026, 10, 23, 22, 0, 0, 0, time.UTC)
	fmt.Println(segkit.DayOf(now, nil).Sub(segkit.DayOf(last, nil)), "days since last login")
	// Output: 30 days since last login
}

func TestTransactionProblem(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	nan := math.NaN()
	for _, c := range []struct {
		tx   segkit.Transaction
		want string
	}{
		{segkit.Transaction{Customer: "a", At: at, Amount: 5}, ""},
		{segkit.Transaction{Customer: "a", At: at, Amount: -5}, ""},
		{segkit.Transaction{At: at, Amount: 5}, "empty customer key"},
		{segkit.Transaction{Customer: "a", Amount: 5}, "zero time"},
		{segkit.Transaction{Customer: "a", At: at, Amount: nan}, "amount NaN is not a finite number"},
		{segkit.Transaction{Customer: "a", At: at, Amount: math.Inf(-1)}, "amount -Inf is not a finite number"},
	} {
		assert.Equal(t, c.want, c.tx.Problem(), "%+v", c.tx)
	}
	err := &segkit.TransactionError{Model: "clv", Pos: 3, Customer: "a", At: at, Reason: "zero time"}
	assert.Equal(t, `clv: transaction 3 (customer "a", 2026-01-02T03:04:05Z): zero time`, err.Error())
	err = &segkit.TransactionError{Model: "rfm", Pos: -1, Customer: "a", Reason: "net revenue overflows float64"}
	assert.Equal(t, `rfm: customer "a": net revenue overflows float64`, err.Error())
}

package rfm

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// openData opens a reference data file from ../../shared/data. It skips the
// test when the file is absent, unless SEGKIT_REQUIRE_DATA=1.
func openData(t testing.TB, name string) *os.File {
	t.Helper()
	path := filepath.Join("..", "..", "shared", "data", name)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) && os.Getenv("SEGKIT_REQUIRE_DATA") != "1" {
		t.Skipf("reference data %s not found (clone shared/ beside the repository, or set SEGKIT_REQUIRE_DATA=1 to fail)", path)
	}
	require.NoError(t, err, "reference data (SEGKIT_REQUIRE_DATA=1)")
	t.Cleanup(func() { f.Close() })
	return f
}

// rfmOrders reads rfm_data_orders.csv: customer_id, order_date, revenue.
func rfmOrders(t testing.TB) []segkit.Transaction {
	cr := csv.NewReader(openData(t, "rfm_data_orders.csv"))
	recs, err := cr.ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"customer_id", "order_date", "revenue"}, recs[0])
	txns := make([]segkit.Transaction, 0, len(recs)-1)
	for i, r := range recs[1:] {
		d, err := time.Parse(time.DateOnly, r[1])
		require.NoError(t, err, "line %d", i+2)
		amt, err := strconv.ParseFloat(r[2], 64)
		require.NoError(t, err, "line %d", i+2)
		txns = append(txns, segkit.Transaction{Customer: r[0], At: d, Amount: amt})
	}
	return txns
}

func sliceSeq[T any](s []T) func(func(T) bool) {
	return func(yield func(T) bool) {
		for _, v := range s {
			if !yield(v) {
				return
			}
		}
	}
}

// TestPublishedRFM10 reproduces the segment summary of the R package rfm
// 0.3.0 on its example data (rfm_table_order + rfm_segment +
// rfm_segment_summary, analysis date 2006-12-31).
func TestPublishedRFM10(t *testing.T) {
	txns := rfmOrders(t)
	require.Len(t, txns, 4906)
	cfg := DefaultConfig()
	cfg.Binning = RCompat
	res, err := Analyze(sliceSeq(txns), day("2006-12-31"), cfg)
	require.NoError(t, err)
	require.Equal(t, 995, res.Len())
	assert.Zero(t, res.Future)

	// The breaks R reports in rfm_table_order(...)$threshold.
	assert.InDeltaSlice(t, []float64{115, 181, 297.4, 482}, res.R.Points, 1e-9)
	assert.InDeltaSlice(t, []float64{4, 5, 6, 8}, res.F.Points, 1e-9)
	assert.InDeltaSlice(t, []float64{255.8, 382, 506.4, 666}, res.M.Points, 1e-9)

	seg, err := res.Segment(mustPreset(t, "rfm10"))
	require.NoError(t, err)
	sum := seg.Summary()
	type row struct {
		customers, orders int
		revenue           float64
	}
	want := map[string]row{
		"Champions":          {35, 316, 31646},
		"Potential Loyalist": {342, 2211, 204856},
		"Loyal Customers":    {170, 799, 76562},
		"Promising":          {9, 28, 4249},
		"New Customers":      {104, 329, 28837},
		"Can't Lose Them":    {47, 274, 32446},
		"At Risk":            {28, 216, 22227},
		"Need Attention":     {10, 57, 4562},
		"About To Sleep":     {102, 283, 23449},
		"Lost":               {148, 393, 35324},
	}
	for name, w := range want {
		g, ok := sum.Group(name)
		require.True(t, ok, name)
		assert.Equal(t, w, row{g.Customers, g.Orders, g.Revenue}, name)
		assert.InDelta(t, w.revenue/float64(w.orders), g.AOV, 1e-9, name)
	}
	others, _ := sum.Group(DefaultSegment)
	assert.Zero(t, others.Customers, "every customer falls in one of the ten segments")
	assert.Equal(t, 995, sum.Customers)
	assert.Equal(t, 4906, sum.Orders)

	// The customer with 205 days, 6 orders and 472 revenue scores 343.
	var found []Customer
	for _, c := range res.Customers {
		if c.Recency == 205 && c.Orders == 6 && c.Revenue == 472 {
			found = append(found, c)
		}
	}
	require.Len(t, found, 1)
	assert.Equal(t, "343", found[0].Score.String())
	assert.Equal(t, 343, found[0].Score.Int())
	l, _ := seg.Of(found[0].Key)
	assert.Equal(t, "Potential Loyalist", l)

	golden(t, "rfm10_published.golden", func(b *bytes.Buffer) {
		require.NoError(t, sum.WriteText(b))
		b.WriteString("\n")
		require.NoError(t, res.Grid().WriteText(b))
	})
}

// TestPublishedQuantileDiffers documents why rcompat exists: the issue's
// quantile rule (q_k, no +1) scores the same data differently.
func TestPublishedQuantileDiffers(t *testing.T) {
	txns := rfmOrders(t)
	rc := DefaultConfig()
	rc.Binning = RCompat
	r1, err := Analyze(sliceSeq(txns), day("2006-12-31"), rc)
	require.NoError(t, err)
	r2, err := Analyze(sliceSeq(txns), day("2006-12-31"), DefaultConfig())
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{114, 180, 296.4, 481}, r2.R.Points, 1e-9)
	diff := 0
	for i := range r1.Customers {
		if r1.Customers[i].Score != r2.Customers[i].Score {
			diff++
		}
	}
	assert.Positive(t, diff)
}

// TestRFM11CellMap loads the published 11-segment cell map (read from the
// reference data, not copied into the package) and checks that it assigns
// every 5-bin cell to one of its eleven segments.
func TestRFM11CellMap(t *testing.T) {
	s := rfm11FromData(t)
	assert.Equal(t, 5, s.Bins())
	assert.Equal(t, []string{"Champions", "Loyal", "Potential Loyalists", "New Customers", "Promising", "Need Attention",
		"About to Sleep", "Cannot Lose Them", "At Risk", "Hibernating", "Lost"}, s.Segments())
	for r := uint8(1); r <= 5; r++ {
		for f := uint8(1); f <= 5; f++ {
			for m := uint8(1); m <= 5; m++ {
				seg, _ := s.Assign(Score{r, f, m})
				assert.NotEqual(t, DefaultSegment, seg, Score{r, f, m}.String())
			}
		}
	}
	for _, c := range []struct {
		score Score
		want  string
	}{{Score{5, 5, 5}, "Champions"}, {Score{3, 4, 3}, "Need Attention"}, {Score{1, 1, 1}, "Lost"}, {Score{2, 1, 1}, "Hibernating"}} {
		got, _ := s.Assign(c.score)
		assert.Equal(t, c.want, got, c.score.String())
	}
	assert.Len(t, s.Cells("Potential Loyalists"), 24)
}

// rfm11FromData is the 11-segment cell map loaded from the reference data.
func rfm11FromData(t testing.TB) *Scheme {
	t.Helper()
	s, err := LoadCellMap(openData(t, "rfm11_cells.csv"), "rfm11", 5)
	require.NoError(t, err)
	return s
}

func mustPreset(t testing.TB, name string) *Scheme {
	s, err := Preset(name)
	require.NoError(t, err)
	return s
}

// golden compares the output of write with testdata/name, rewriting the file
// with -update.
func golden(t *testing.T, name string, write func(*bytes.Buffer)) {
	t.Helper()
	var b bytes.Buffer
	write(&b)
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file missing: run go test -run %s -update", t.Name())
	assert.Equal(t, string(want), b.String(), "(-want +got) golden %s; run with -update after checking the change", path)
}

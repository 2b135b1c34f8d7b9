package bitmapindex

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"math/big"
	"os"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseAmount(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Amount
		err  string
	}{
		{"12.5", 125000, ""},
		{"-3", -30000, ""},
		{"0.0001", 1, ""},
		{"19.99", 199900, ""},
		{"1e3", 10000000, ""},
		{"1.5E-4", 0, "more than 4 fractional digits"},
		{"2.50000", 25000, ""},
		{"0.00001", 0, "more than 4 fractional digits"},
		{"0", 0, ""},
		{"-0.0", 0, ""},
		{".5", 5000, ""},
		{"5.", 50000, ""},
		{"1000000000000", MaxAmount, ""},
		{"1000000000000.0001", 0, "out of range"},
		{"1e400", 0, "out of range"},
		{"abc", 0, "bad number"},
		{"", 0, "bad number"},
		{".", 0, "bad number"},
		{"1.2.3", 0, "bad number"},
		{"--1", 0, "bad number"},
	} {
		got, err := ParseAmount(tc.in)
		if tc.err != "" {
			require.Error(t, err, tc.in)
			assert.Contains(t, err.Error(), tc.err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
	assert.Equal(t, "12.5", Amount(125000).String())
	assert.Equal(t, "-0.0001", Amount(-1).String())
	assert.Equal(t, "3", Amount(30000).String())
	a, err := AmountFromFloat(19.99)
	require.NoError(t, err)
	assert.Equal(t, Amount(199900), a)
	x, y := 0.1, 0.2
	_, err = AmountFromFloat(x + y)
	assert.ErrorIs(t, err, ErrAmountDigits)
}

func TestCompareAvg(t *testing.T) {
	// exact: 1/3 of 1 unit vs 0; big values do not overflow
	assert.Equal(t, 1, CompareAvg(1, 3, 0))
	assert.Equal(t, 0, CompareAvg(30000, 3, 10000))
	assert.Equal(t, -1, CompareAvg(29999, 3, 10000))
	assert.Equal(t, 1, CompareAvg(-1, 1<<40, -MaxAmount))
	assert.Equal(t, -1, CompareAvg(MaxAmount*100, 1<<40, MaxAmount))
	assert.Equal(t, 1, CompareAvg(MaxAmount, 1, -MaxAmount))
}

// ---- a naive model of events with values and properties -----------------

type nOcc struct {
	day   segkit.Day
	val   Amount
	props map[string]string
}

type eventsModel struct {
	next uint32
	ids  map[string]uint32
	occ  map[string]map[string][]nOcc // key → event → occurrences
}

var (
	evCats  = []string{"math", "art", "数学"}
	evChans = []string{"app", "web"}
)

func randDetail(r source) EventDetail {
	var d EventDetail
	switch r.IntN(4) {
	case 1:
		d.Value = Amount(r.IntN(2_000_000) - 300_000)
	case 2:
		d.Value = Amount(r.IntN(100)) * 10000
	case 3:
		if r.IntN(4) == 0 { // beyond int32: the day's value column widens
			d.Value = Amount(r.IntN(1<<40)) - 1<<39
		}
	}
	if r.IntN(3) != 0 {
		d.Props = map[string]string{}
		if r.IntN(4) != 0 {
			d.Props["category"] = evCats[r.IntN(len(evCats))]
		}
		if r.IntN(2) == 0 {
			d.Props["channel"] = evChans[r.IntN(len(evChans))]
		}
		if r.IntN(8) == 0 { // hundreds of values: the code column widens past a byte
			d.Props["sku"] = fmt.Sprint(r.IntN(400))
		}
	}
	return d
}

func randFilter(r source) Filter {
	switch r.IntN(6) {
	case 0:
		return nil
	case 1:
		return Filter{{Key: "category", Values: []string{"math"}}}
	case 2:
		return Filter{{Key: "category", Values: []string{"art", "数学"}}, {Key: "channel", Values: []string{"web"}}}
	case 3:
		if r.IntN(2) == 0 {
			return Filter{{Key: "sku", Values: []string{"7", "300", "399"}}}
		}
		return Filter{{Key: "channel", Values: []string{"app"}}}
	case 4:
		return Filter{{Key: "colour", Values: []string{"red"}}}
	}
	return Filter{{Key: "category", Values: []string{"none", "math"}}}
}

// TestEventDetailsModel is the model-based property test of the event
// values and properties: random batches (by key with details, plain
// records, float values, bulk records by ID in ascending and random order,
// deletions, snapshot round-trips) against per-customer lists of
// occurrences, checking every query of the new forms for random windows
// and filters, and the profiles' details.
func TestEventDetailsModel(t *testing.T) {
	steps := 300
	if testing.Short() {
		steps = 80
	}
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := randSource(seed)
			loc := []*time.Location{time.UTC, time.FixedZone("x", 8*3600), time.FixedZone("y", -5*3600), time.UTC}[seed-1]
			ix, err := New(Config{Location: loc})
			require.NoError(t, err)
			m := &eventsModel{ids: map[string]uint32{}, occ: map[string]map[string][]nOcc{}}
			base := segkit.Date(2026, 6, 1)
			keys := make([]string, 40)
			for i := range keys {
				keys[i] = fmt.Sprintf("k%02d", i)
			}
			upsert := func(k string) {
				if _, ok := m.ids[k]; !ok {
					m.ids[k] = m.next
					m.next++
					m.occ[k] = map[string][]nOcc{}
				}
			}
			for step := 0; step < steps; step++ {
				switch x := r.IntN(20); {
				case x < 12:
					b := ix.NewBatch()
					for range 1 + r.IntN(10) {
						k := keys[r.IntN(len(keys))]
						e := []string{"buy", "trial", "login"}[r.IntN(3)]
						d := base.AddDays(r.IntN(60) - 30)
						at := d.Time(loc).Add(time.Duration(r.IntN(86400)) * time.Second)
						upsert(k)
						switch r.IntN(3) {
						case 0:
							b.Record(k, e, at, 0)
							m.occ[k][e] = append(m.occ[k][e], nOcc{day: d})
						case 1:
							v := float64(r.IntN(10000)) / 100
							b.Record(k, e, at, v)
							a, _ := AmountFromFloat(v)
							m.occ[k][e] = append(m.occ[k][e], nOcc{day: d, val: a})
						default:
							det := randDetail(r)
							b.RecordEvent(k, e, at, det)
							m.occ[k][e] = append(m.occ[k][e], nOcc{day: d, val: det.Value, props: det.Props})
						}
					}
					require.NoError(t, b.Commit())
				case x < 14:
					// a bulk load: new customers, records by ID with values
					b := ix.NewBatch()
					var fresh []string
					for range 1 + r.IntN(5) {
						k := fmt.Sprintf("n%03d", len(m.ids))
						b.Add(k)
						upsert(k)
						fresh = append(fresh, k)
					}
					require.NoError(t, b.Commit())
					b = ix.NewBatch()
					d := base.AddDays(r.IntN(60) - 30)
					ids := make([]uint32, 0, len(fresh))
					vals := make([]float64, 0, len(fresh))
					for _, k := range fresh {
						ids = append(ids, m.ids[k])
						v := float64(r.IntN(1000)) / 4
						vals = append(vals, v)
						a, _ := AmountFromFloat(v)
						m.occ[k]["buy"] = append(m.occ[k]["buy"], nOcc{day: d, val: a})
					}
					b.RecordIDs("buy", d.Time(loc), ids, vals)
					require.NoError(t, b.Commit())
				case x < 15:
					k := keys[r.IntN(len(keys))]
					ix.Delete(k)
					delete(m.ids, k)
					delete(m.occ, k)
				case x < 16:
					var buf bytes.Buffer
					_, err := ix.View().WriteTo(&buf)
					require.NoError(t, err)
					ix, err = Read(bytes.NewReader(buf.Bytes()))
					require.NoError(t, err)
				default:
					b := ix.NewBatch()
					b.Record("bad", "buy", base.Time(loc), 0.12345)
					var be *BatchError
					require.ErrorAs(t, b.Commit(), &be)
					assert.ErrorIs(t, be, ErrAmountDigits)
				}
				if step%10 == 9 || step == steps-1 {
					checkEventsModel(t, r, ix.View(), m, base)
				}
			}
		})
	}
}

func checkEventsModel(t *testing.T, r source, v *View, m *eventsModel, base segkit.Day) {
	t.Helper()
	keysWhere := func(f func(k string) bool) []string {
		out := []string{}
		for k := range m.occ {
			if f(k) {
				out = append(out, k)
			}
		}
		sort.Strings(out)
		return out
	}
	got := func(s Set) []string { return nonNil(setKeys(s)) }
	for _, e := range []string{"buy", "trial", "login", "never"} {
		from := base.AddDays(r.IntN(70) - 40)
		to := from.AddDays(r.IntN(30))
		f := randFilter(r)
		match := func(o nOcc) bool { return f.Matches(o.props) }
		sel := func(k string, from, to segkit.Day) []nOcc {
			var out []nOcc
			for _, o := range m.occ[k][e] {
				if o.day >= from && o.day <= to && match(o) {
					out = append(out, o)
				}
			}
			return out
		}
		sum := func(os []nOcc) int64 {
			s := int64(0)
			for _, o := range os {
				s += int64(o.val)
			}
			return s
		}
		require.Equal(t, keysWhere(func(k string) bool { return len(sel(k, from, to)) > 0 }), got(v.DidWhere(e, from, to, f)), "did %s %v", e, f)
		op := Op(r.IntN(6))
		n := int64(r.IntN(4))
		require.Equal(t, keysWhere(func(k string) bool { return cmpHolds(cmp.Compare(int64(len(sel(k, from, to))), n), op) }),
			got(v.CountWhere(e, from, to, f, op, n)), "count %s %v %s %d", e, f, op, n)
		require.Equal(t, keysWhere(func(k string) bool {
			all := sel(k, -1<<31, 1<<31-1)
			if len(all) == 0 {
				return false
			}
			first := slices.MinFunc(all, func(a, b nOcc) int { return cmp.Compare(a.day, b.day) })
			return first.day >= from && first.day <= to
		}), got(v.FirstWhere(e, from, to, f)), "first %s %v", e, f)
		c := Amount(r.IntN(1_500_000) - 100_000)
		require.Equal(t, keysWhere(func(k string) bool { return cmpHolds(cmp.Compare(sum(sel(k, from, to)), int64(c)), op) }),
			got(v.SumWhere(e, from, to, f, op, c)), "sum %s %v %s %s", e, f, op, c)
		require.Equal(t, keysWhere(func(k string) bool {
			os := sel(k, from, to)
			if len(os) == 0 {
				return false
			}
			return cmpHolds(big.NewRat(sum(os), int64(len(os))).Cmp(big.NewRat(int64(c), 1)), op)
		}), got(v.AvgWhere(e, from, to, f, op, c)), "avg %s %v %s %s", e, f, op, c)
		// didThen from e to buy
		fb := randFilter(r)
		w := 1 + r.IntN(10)
		require.Equal(t, keysWhere(func(k string) bool {
			for _, a := range m.occ[k][e] {
				if a.day > to || !f.Matches(a.props) {
					continue
				}
				for _, b := range m.occ[k]["buy"] {
					if b.day <= to && fb.Matches(b.props) && b.day-a.day >= 0 && int(b.day-a.day) < w {
						return true
					}
				}
			}
			return false
		}), got(v.DidThen(e, "buy", f, fb, w, to)), "then %s %v buy %v %d ≤%s", e, f, fb, w, to)
	}
	// the profiles' details, as multisets per day
	for k := range m.occ {
		p, ok := v.Profile(k)
		require.True(t, ok)
		for e, os := range m.occ[k] {
			want := make([]string, len(os))
			for i, o := range os {
				want[i] = occString(o.day, o.val, o.props)
			}
			ts := p.Events[e]
			det := p.Details[e]
			require.Len(t, ts, len(os), "%s %s", k, e)
			gotS := make([]string, len(ts))
			for i, tm := range ts {
				var d EventDetail
				if det != nil {
					d = det[i]
				}
				gotS[i] = occString(segkit.DayOf(tm, v.Location()), d.Value, d.Props)
			}
			sort.Strings(want)
			sort.Strings(gotS)
			require.Equal(t, want, gotS, "profile %s %s", k, e)
		}
	}
}

func occString(d segkit.Day, v Amount, props map[string]string) string {
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := fmt.Sprintf("%s %s", d, v)
	for _, k := range keys {
		s += " " + k + "=" + props[k]
	}
	return s
}

// TestSnapshotV1 loads a snapshot written by the version-1 layout (before
// event values and properties): everything it held is there, and its
// occurrences have no values or properties.
func TestSnapshotV1(t *testing.T) {
	raw, err := os.ReadFile("testdata/snapshot-v1.bin")
	require.NoError(t, err)
	ix, err := Read(bytes.NewReader(raw))
	require.NoError(t, err)
	v := ix.View()
	assert.Equal(t, 2, v.Len())
	assert.True(t, v.Tag("vip").ContainsKey("c1"))
	s, ok := v.EventSum("purchase", "c1")
	assert.True(t, ok)
	assert.Equal(t, 19.75, s)
	d := segkit.Date(2026, 11, 11)
	assert.Equal(t, []string{"c1"}, setKeys(v.Count("purchase", d, d, Ge, 2)))
	p, _ := v.Profile("c1")
	assert.Nil(t, p.Details)
	assert.Empty(t, setKeys(v.DidWhere("purchase", d-10, d, Filter{{Key: "category", Values: []string{"x"}}})))
	// written again (as version 2, whose sums are each customer's whole
	// sum, or version 3, which stores only the sums no occurrence holds),
	// it loads the same
	for _, version := range []uint32{2, 3} {
		snapWriteVersion = version
		t.Cleanup(func() { snapWriteVersion = snapVersion })
		var buf bytes.Buffer
		_, err = v.WriteTo(&buf)
		require.NoError(t, err)
		require.Equal(t, version, binary.LittleEndian.Uint32(buf.Bytes()[8:]))
		ix2, err := Read(&buf)
		require.NoError(t, err)
		assert.Equal(t, setKeys(v.All()), setKeys(ix2.View().All()))
		// the version-1 sum is kept beside values recorded since, through
		// snapshots of either version
		b := ix2.NewBatch()
		b.RecordEvent("c1", "purchase", d.Time(nil), EventDetail{Value: 25000})
		require.NoError(t, b.Commit())
		s, _ = ix2.View().EventSum("purchase", "c1")
		assert.Equal(t, 22.25, s)
		buf.Reset()
		_, err = ix2.View().WriteTo(&buf)
		require.NoError(t, err)
		ix3, err := Read(&buf)
		require.NoError(t, err)
		s, _ = ix3.View().EventSum("purchase", "c1")
		assert.Equal(t, 22.25, s, "version %d", version)
		assert.Len(t, ix3.View().st.events["purchase"].totals, 1, "the version-1 part only")
		id, _ := ix3.View().ID("c1")
		assert.Equal(t, 19.75, ix3.View().st.events["purchase"].totals[id/chunkSize].get(id%chunkSize), "version %d", version)
		assert.Equal(t, []string{"c1"}, setKeys(ix3.View().SumWhere("purchase", d, d, nil, Eq, 25000)), "the recorded value is the occurrence's")
	}
}

func TestSnapshotEventDetailsCorrupt(t *testing.T) {
	ix, err := New(Config{})
	require.NoError(t, err)
	b := ix.NewBatch()
	at := time.Date(2026, 11, 11, 8, 0, 0, 0, time.UTC)
	b.RecordEvent("c1", "buy", at, EventDetail{Value: 125000, Props: map[string]string{"category": "math"}})
	b.RecordEvent("c2", "buy", at, EventDetail{Value: -5, Props: map[string]string{"channel": "app"}})
	b.Record("c2", "buy", at, 0)
	require.NoError(t, b.Commit())
	var buf bytes.Buffer
	_, err = ix.View().WriteTo(&buf)
	require.NoError(t, err)
	good := buf.Bytes()
	ix2, err := Read(bytes.NewReader(good))
	require.NoError(t, err)
	p1, _ := ix.View().Profile("c2")
	p2, _ := ix2.View().Profile("c2")
	assert.Equal(t, p1.Details, p2.Details)
	assert.Len(t, p2.Details["buy"], 2)
	st := ix2.View().Stats()
	for _, f := range st.Fields {
		if f.Name == "buy" {
			assert.Greater(t, f.DetailBytes, int64(0))
		}
	}
	// every single-byte change is an error or a valid index, never a panic
	for i := 12; i < len(good); i++ {
		bad := slices.Clone(good)
		bad[i] ^= 0x5a
		_, _ = Read(bytes.NewReader(bad))
	}
}

// TestDetailsAppend checks that bulk loads appending columns never change
// what an older view sees.
func TestDetailsAppend(t *testing.T) {
	ix, err := New(Config{})
	require.NoError(t, err)
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var views []*View
	for i := 0; i < 20; i++ {
		b := ix.NewBatch()
		b.RecordEvent(fmt.Sprintf("c%02d", i), "buy", at, EventDetail{Value: Amount(i+1) * 10000, Props: map[string]string{"n": fmt.Sprint(i)}})
		require.NoError(t, b.Commit())
		views = append(views, ix.View())
	}
	d := segkit.DayOf(at, nil)
	for i, v := range views {
		assert.Equal(t, i+1, v.SumWhere("buy", d, d, nil, Gt, 0).Len(), "view %d", i)
		assert.Equal(t, 1, v.DidWhere("buy", d, d, Filter{{Key: "n", Values: []string{fmt.Sprint(i)}}}).Len())
		assert.Equal(t, 0, v.DidWhere("buy", d, d, Filter{{Key: "n", Values: []string{fmt.Sprint(i + 1)}}}).Len(), "view %d sees a later write", i)
	}
}

// TestDetailsAppendWiden appends occurrences to one day's columns until
// the value column needs 8 bytes and the code column 2: every earlier view
// still reads its own values and codes.
func TestDetailsAppendWiden(t *testing.T) {
	ix, err := New(Config{})
	require.NoError(t, err)
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	d := segkit.DayOf(at, nil)
	val := func(i int) Amount {
		if i >= 200 {
			return Amount(i) << 33
		}
		return Amount(i+1) * 10000
	}
	var views []*View
	for i := 0; i < 300; i++ {
		b := ix.NewBatch()
		b.RecordEvent(fmt.Sprintf("c%03d", i), "buy", at, EventDetail{Value: val(i), Props: map[string]string{"n": fmt.Sprint(i)}})
		require.NoError(t, b.Commit())
		views = append(views, ix.View())
	}
	for i, v := range views {
		assert.Equal(t, i+1, v.SumWhere("buy", d, d, nil, Ne, 0).Len(), "view %d", i)
		for _, j := range []int{0, 199, 200, 254, 255, 256, 299} {
			want := 0
			if j <= i {
				want = 1
			}
			assert.Equal(t, want, v.DidWhere("buy", d, d, Filter{{Key: "n", Values: []string{fmt.Sprint(j)}}}).Len(), "view %d, n = %d", i, j)
			assert.Equal(t, want, v.SumWhere("buy", d, d, Filter{{Key: "n", Values: []string{fmt.Sprint(j)}}}, Eq, val(j)).Len(), "view %d, n = %d", i, j)
		}
	}
	o := ix.View().st.events["buy"].days[d].occ
	assert.NotNil(t, o.vals.v64)
	assert.NotNil(t, o.props[0].c16)
}

func TestCodeColWiden(t *testing.T) {
	c := newCodeCol(0, 0, 3)
	var want []uint32
	for _, step := range [][]uint32{{1, 0, 3}, {200, 255}, {256, 7}, {70000, 0}, {5}} {
		c = c.appendCodes(step)
		want = append(want, step...)
		for i, x := range want {
			require.Equal(t, x, c.at(i), "code %d", i)
		}
	}
	assert.NotNil(t, c.c32)
	assert.Equal(t, int64(4*len(want)), c.bytes())
	v := newValCol(0, 0, -5, 5).appendVals([]int64{-5, 5})
	require.NotNil(t, v.v32)
	v = v.appendVals([]int64{1 << 40, -1 << 40, 3})
	require.NotNil(t, v.v64)
	for i, x := range []int64{-5, 5, 1 << 40, -1 << 40, 3} {
		assert.Equal(t, x, v.at(i))
	}
}

func TestEventSchema(t *testing.T) {
	_, err := New(Config{Events: map[string][]string{"buy": {"a", "a"}}})
	require.Error(t, err)
	ix, err := New(Config{Events: map[string][]string{"buy": {"channel", "category"}}})
	require.NoError(t, err)
	at := time.Date(2026, 11, 11, 8, 0, 0, 0, time.UTC)
	b := ix.NewBatch()
	b.RecordEvent("c1", "buy", at, EventDetail{Props: map[string]string{"category": "math"}})
	b.RecordEvent("c1", "login", at, EventDetail{Props: map[string]string{"anything": "x"}})
	require.NoError(t, b.Commit())
	b = ix.NewBatch()
	b.RecordEvent("c1", "buy", at, EventDetail{Props: map[string]string{"colour": "red"}})
	err = b.Commit()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `event "buy" has no property "colour" (declared: category, channel)`)
	var buf bytes.Buffer
	_, err = ix.View().WriteTo(&buf)
	require.NoError(t, err)
	ix2, err := Read(&buf)
	require.NoError(t, err)
	assert.Equal(t, map[string][]string{"buy": {"category", "channel"}}, ix2.View().EventSchema())
	b = ix2.NewBatch()
	b.RecordEvent("c1", "buy", at, EventDetail{Props: map[string]string{"colour": "red"}})
	require.Error(t, b.Commit())
}

// TestDetailsConcurrentReaders: readers of older views evaluate the forms
// over values and properties while a writer appends to the same days'
// columns (run with -race).
func TestDetailsConcurrentReaders(t *testing.T) {
	ix, err := New(Config{})
	require.NoError(t, err)
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	d := segkit.DayOf(at, nil)
	done := make(chan struct{})
	errs := make(chan error, 4)
	for r := 0; r < 3; r++ {
		go func() {
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				v := ix.View()
				n := v.Len()
				if got := v.SumWhere("buy", d, d, nil, Gt, 0).Len(); got != n {
					errs <- fmt.Errorf("view of %d customers sees %d sums", n, got)
					return
				}
				_ = v.DidWhere("buy", d, d, Filter{{Key: "cat", Values: []string{"a"}}})
				if k, ok := v.Key(0); ok {
					_, _ = v.Profile(k)
				}
			}
		}()
	}
	for i := 0; i < 300; i++ {
		b := ix.NewBatch()
		for j := 0; j < 5; j++ {
			b.RecordEvent(fmt.Sprintf("c%05d", i*5+j), "buy", at, EventDetail{Value: 10000, Props: map[string]string{"cat": []string{"a", "b"}[j%2]}})
		}
		require.NoError(t, b.Commit())
	}
	close(done)
	for range 3 {
		require.NoError(t, <-errs)
	}
}

// detailsIndex is a small index with event values, properties and
// declarations (a fuzz seed for snapshots of layout 2).
func detailsIndex(t testing.TB) *Index {
	ix, err := New(Config{Events: map[string][]string{"buy": {"category", "channel"}}})
	require.NoError(t, err)
	b := ix.NewBatch()
	at := time.Date(2026, 11, 11, 8, 0, 0, 0, time.UTC)
	for i := 0; i < 6; i++ {
		b.RecordEvent(fmt.Sprintf("c%d", i), "buy", at.AddDate(0, 0, -i%3), EventDetail{Value: Amount(i * 12345), Props: map[string]string{"category": evCats[i%3]}})
		b.Record(fmt.Sprintf("c%d", i), "login", at, 0)
	}
	b.RecordEvent("c1", "buy", at, EventDetail{Value: -5, Props: map[string]string{"channel": "app"}})
	require.NoError(t, b.Commit())
	ix.Delete("c4")
	return ix
}

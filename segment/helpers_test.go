package segment

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit/bitmapindex"
)

// testSchema is the attribute set of the random test populations.
var testSchema = []bitmapindex.Attribute{
	{Name: "age", Kind: bitmapindex.KindInt},
	{Name: "score", Kind: bitmapindex.KindInt},
	{Name: "spend", Kind: bitmapindex.KindDecimal, Scale: 2},
	{Name: "signup", Kind: bitmapindex.KindTime},
	{Name: "last_login", Kind: bitmapindex.KindTime},
	{Name: "city", Kind: bitmapindex.KindCategory},
	{Name: "interests", Kind: bitmapindex.KindSet},
	{Name: "vip", Kind: bitmapindex.KindBool},
}

var (
	testCities    = []string{"Beijing", "Shanghai", "Shenzhen", "Berlin", "Boston", "Chengdu", "Bogota", "Hangzhou"}
	testInterests = []string{"math", "art", "music", "sport", "maths", "coding"}
	testEvents    = []string{"login", "purchase", "trial"}
)

func loadLoc(t testing.TB, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Logf("time zone %s unavailable (%v); using a fixed +08:00 zone", name, err)
		return time.FixedZone(name, 8*3600)
	}
	return loc
}

// population is a random index with missing values, events in the past and
// the future, deleted customers, in some time zone, with the profile of
// every live customer.
type population struct {
	ix       *bitmapindex.Index
	v        *bitmapindex.View
	now      time.Time
	keys     []string
	profiles map[string]bitmapindex.Profile
	// recorded holds every occurrence as written, per live customer and
	// event: the naive reference for the event forms.
	recorded map[string]map[string][]recorded
}

// recorded is one occurrence as the test wrote it.
type recorded struct {
	at    time.Time
	value bitmapindex.Amount
	props map[string]string
}

var (
	testCategories = []string{"math", "art", "music", "数学"}
	testChannels   = []string{"app", "web"}
)

// randomDetail draws an occurrence's value and properties: often none,
// values with up to 4 fractional digits (some negative: refunds).
func randomDetail(rng *rand.Rand) bitmapindex.EventDetail {
	var d bitmapindex.EventDetail
	switch rng.IntN(5) {
	case 0:
	case 1:
		d.Value = bitmapindex.Amount(rng.IntN(3_000_000)) // up to 300.0000
	case 2:
		d.Value = bitmapindex.Amount(rng.IntN(500)) * 10000
	case 3:
		d.Value = bitmapindex.Amount(rng.IntN(40000) - 10000)
	default:
		d.Value = bitmapindex.Amount(125000 * (1 + rng.IntN(4)))
	}
	if rng.IntN(4) != 0 {
		d.Props = map[string]string{}
		if rng.IntN(5) != 0 {
			d.Props["category"] = testCategories[rng.IntN(len(testCategories))]
		}
		if rng.IntN(2) == 0 {
			d.Props["channel"] = testChannels[rng.IntN(len(testChannels))]
		}
	}
	return d
}

// eventTime draws an instant within ~200 days of now, often within seconds
// of a local midnight.
func eventTime(rng *rand.Rand, now time.Time, loc *time.Location) time.Time {
	at := now.Add(time.Duration(rng.IntN(200*86400)-180*86400) * time.Second)
	if rng.IntN(3) == 0 {
		y, m, d := at.In(loc).Date()
		at = time.Date(y, m, d, 0, 0, 0, 0, loc).Add(time.Duration(rng.IntN(7)-3) * time.Second)
	}
	return at
}

func randomPopulation(t testing.TB, seed uint64, n int, loc *time.Location) *population {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	ix, err := bitmapindex.New(bitmapindex.Config{Location: loc, Strict: true, Schema: testSchema})
	require.NoError(t, err)
	// now at a random second of a day in 2025, so day edges matter
	now := time.Date(2025, 6, 15, 0, 0, 0, 0, loc).Add(time.Duration(rng.IntN(86400)) * time.Second)
	b, later := ix.NewBatch(), ix.NewBatch()
	var keys []string
	recs := map[string]map[string][]recorded{}
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("c%03d", i)
		keys = append(keys, k)
		recs[k] = map[string][]recorded{}
		b.Add(k)
		for tg := 0; tg < 6; tg++ {
			if rng.Float64() < 0.5/float64(tg+1) {
				b.AddTag(k, fmt.Sprintf("t%d", tg))
			}
		}
		maybe := func(p float64, attr string, v bitmapindex.Value) {
			if rng.Float64() < p {
				b.Set(k, attr, v)
			}
		}
		maybe(0.8, "age", bitmapindex.Int(int64(15+rng.IntN(50))))
		maybe(0.7, "score", bitmapindex.Int(int64(rng.IntN(21)-10)))
		maybe(0.7, "spend", bitmapindex.Decimal(float64(rng.IntN(30000))/100+float64(rng.IntN(2))*0.005))
		// times within ±400 days of now, at random seconds (day edges!)
		randTime := func() time.Time {
			return now.Add(time.Duration(rng.IntN(800*86400)-400*86400) * time.Second)
		}
		maybe(0.75, "signup", bitmapindex.Time(randTime()))
		// last_login clusters around day boundaries of recent days
		if rng.Float64() < 0.7 {
			d := now.AddDate(0, 0, -rng.IntN(40))
			mid := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
			b.Set(k, "last_login", bitmapindex.Time(mid.Add(time.Duration(rng.IntN(5)-2)*time.Second)))
		}
		maybe(0.8, "city", bitmapindex.Category(testCities[rng.IntN(len(testCities))]))
		if rng.Float64() < 0.7 {
			var vs []string
			for _, s := range testInterests {
				if rng.Float64() < 0.3 {
					vs = append(vs, s)
				}
			}
			if len(vs) > 0 {
				b.Set(k, "interests", bitmapindex.SetOf(vs...))
			}
		}
		maybe(0.7, "vip", bitmapindex.Bool(rng.IntN(2) == 0))
		for _, e := range testEvents {
			if rng.Float64() < 0.25 {
				continue
			}
			m := rng.IntN(8)
			for j := 0; j < m; j++ {
				at := eventTime(rng, now, loc)
				batch := b
				if rng.IntN(3) == 0 {
					batch = later // a second batch: columns merged into days with occurrences
				}
				rec := func() {
					if e == "login" && batch == b {
						batch.Record(k, e, at, 0)
						recs[k][e] = append(recs[k][e], recorded{at: at})
						return
					}
					d := randomDetail(rng)
					batch.RecordEvent(k, e, at, d)
					recs[k][e] = append(recs[k][e], recorded{at: at, value: d.Value, props: d.Props})
				}
				rec()
				if rng.Float64() < 0.2 { // twice on one day
					rec()
				}
			}
		}
	}
	require.NoError(t, b.Commit())
	require.NoError(t, later.Commit())
	// delete a few customers (IDs stay dense; deleted IDs must not leak)
	for i := 0; i < n/20; i++ {
		k := keys[rng.IntN(len(keys))]
		ix.Delete(k)
	}
	v := ix.View()
	p := &population{ix: ix, v: v, now: now, profiles: map[string]bitmapindex.Profile{}, recorded: map[string]map[string][]recorded{}}
	for _, k := range keys {
		if prof, ok := v.Profile(k); ok {
			p.keys = append(p.keys, k)
			p.profiles[k] = prof
			p.recorded[k] = recs[k]
		}
	}
	require.Equal(t, v.Len(), len(p.keys))
	return p
}

// keysOf lists a set's keys.
func keysOf(s bitmapindex.Set) []string {
	out := []string{}
	for k := range s.Keys() {
		out = append(out, k)
	}
	return out
}

// smallIndex is a hand-made population for semantic tests: now is
// 2025-06-15 12:00 UTC.
func smallIndex(t testing.TB) (*bitmapindex.Index, time.Time) {
	t.Helper()
	ix, err := bitmapindex.New(bitmapindex.Config{Location: time.UTC, Strict: true, Schema: testSchema})
	require.NoError(t, err)
	now := time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC)
	day := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }
	b := ix.NewBatch()
	// ann: 21, Beijing, math+art, vip, signed up 2025-06-10, undergrad+trial tags
	b.Add("ann")
	b.AddTag("ann", "undergrad")
	b.AddTag("ann", "trial")
	b.Set("ann", "age", bitmapindex.Int(21))
	b.Set("ann", "city", bitmapindex.Category("Beijing"))
	b.Set("ann", "interests", bitmapindex.SetOf("math", "art"))
	b.Set("ann", "vip", bitmapindex.Bool(true))
	b.Set("ann", "spend", bitmapindex.Decimal(100.56))
	b.Set("ann", "signup", bitmapindex.Time(day(2025, 6, 10, 23)))
	b.Set("ann", "last_login", bitmapindex.Time(day(2025, 6, 14, 8)))
	b.Record("ann", "trial_class", day(2025, 6, 12, 9), 0)
	b.Record("ann", "login", day(2025, 6, 14, 8), 0)
	// bob: 28, Shanghai, no interests, not vip, spend 100.55, signed up 2024-01-01; 3 purchases in 90 days
	b.Add("bob")
	b.AddTag("bob", "office")
	b.Set("bob", "age", bitmapindex.Int(28))
	b.Set("bob", "city", bitmapindex.Category("Shanghai"))
	b.Set("bob", "vip", bitmapindex.Bool(false))
	b.Set("bob", "spend", bitmapindex.Decimal(100.55))
	b.Set("bob", "signup", bitmapindex.Time(day(2024, 1, 1, 0)))
	b.Set("bob", "last_login", bitmapindex.Time(day(2025, 5, 1, 10)))
	for _, at := range []time.Time{day(2025, 4, 1, 10), day(2025, 5, 20, 10), day(2025, 5, 20, 18), day(2024, 12, 1, 10)} {
		b.Record("bob", "purchase", at, 10)
	}
	b.Record("bob", "login", day(2025, 5, 1, 10), 0)
	// cat: no age, Berlin, interests maths, vip missing; trial class long ago and again recently
	b.Add("cat")
	b.AddTag("cat", "undergrad")
	b.Set("cat", "city", bitmapindex.Category("Berlin"))
	b.Set("cat", "interests", bitmapindex.SetOf("maths"))
	b.Record("cat", "trial_class", day(2025, 1, 5, 10), 0)
	b.Record("cat", "trial_class", day(2025, 6, 13, 10), 0)
	b.Record("cat", "purchase", day(2025, 6, 14, 10), 0)
	// dan: nothing but a key and age 35
	b.Add("dan")
	b.Set("dan", "age", bitmapindex.Int(35))
	require.NoError(t, b.Commit())
	return ix, now
}

package segment

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit/bitmapindex"
)

// TestSemantics pins DESIGN §4 on a hand-made population (now is 2025-06-15
// 12:00 UTC): every case is checked with Eval, Count and Match.
func TestSemantics(t *testing.T) {
	ix, now := smallIndex(t)
	v := ix.View()
	all := []string{"ann", "bob", "cat", "dan"}
	tests := []struct {
		rule string
		want []string
	}{
		// tags
		{`has("undergrad")`, []string{"ann", "cat"}},
		{`has("nope")`, nil},
		{`hasAny("office", "trial")`, []string{"ann", "bob"}},
		{`hasAny(["office", "trial"])`, []string{"ann", "bob"}},
		{`hasAll("undergrad", "trial")`, []string{"ann"}},
		{`hasNone("undergrad", "office")`, []string{"dan"}},
		// int comparisons, missing values, negations over all customers
		{`age > 25`, []string{"bob", "dan"}},
		{`25 < age`, []string{"bob", "dan"}},
		{`age != 21`, []string{"bob", "cat", "dan"}},
		{`exists(age) && age != 21`, []string{"bob", "dan"}},
		{`!(age < 30)`, []string{"cat", "dan"}},
		{`not (age < 30)`, []string{"cat", "dan"}},
		{`age in 20..28`, []string{"ann", "bob"}},
		{`20 <= age <= 28`, []string{"ann", "bob"}},
		{`age not in 20..28`, []string{"cat", "dan"}},
		{`between(age, 21.5, 35)`, []string{"bob", "dan"}},
		{`age > 27.5`, []string{"bob", "dan"}},
		{`age >= 27.5`, []string{"bob", "dan"}},
		{`age < 21.5`, []string{"ann"}},
		{`age == 21.5`, nil},
		{`age != 21.5`, all},
		{`age in [21, 35]`, []string{"ann", "dan"}},
		{`age in [21, nil]`, []string{"ann", "cat"}},
		{`age == nil`, []string{"cat"}},
		{`age != nil`, []string{"ann", "bob", "dan"}},
		{`missing(age)`, []string{"cat"}},
		{`exists(age)`, []string{"ann", "bob", "dan"}},
		{`age > 10 * 2 + 5`, []string{"bob", "dan"}},
		{`age > -5`, []string{"ann", "bob", "dan"}},
		{`age < 1e30`, []string{"ann", "bob", "dan"}},
		// categories and string operators over the value dictionary
		{`city == "Beijing"`, []string{"ann"}},
		{`city in ["Beijing", "Berlin"]`, []string{"ann", "cat"}},
		{`city not in ["Beijing"]`, []string{"bob", "cat", "dan"}},
		{`city startsWith "B"`, []string{"ann", "cat"}},
		{`city endsWith "hai"`, []string{"bob"}},
		{`city contains "rl"`, []string{"cat"}},
		{`city matches "^B.*g$"`, []string{"ann"}},
		{`city not startsWith "B"`, []string{"bob", "dan"}},
		{`city < "C"`, []string{"ann", "cat"}},
		// sets
		{`"math" in interests`, []string{"ann"}},
		{`"math" not in interests`, []string{"bob", "cat", "dan"}},
		{`interests startsWith "math"`, []string{"ann", "cat"}},
		{`interests matches "^a"`, []string{"ann"}},
		// bools
		{`vip`, []string{"ann"}},
		{`!vip`, []string{"bob", "cat", "dan"}},
		{`vip == false`, []string{"bob"}},
		{`vip != true`, []string{"bob", "cat", "dan"}},
		// decimals compare exactly at the attribute's scale
		{`spend > 100.555`, []string{"ann"}},
		{`spend == 100.555`, nil},
		{`spend >= 100.55`, []string{"ann", "bob"}},
		{`spend == 100.55`, []string{"bob"}},
		{`between(spend, 100, 100.55)`, []string{"bob"}},
		{`spend > 100`, []string{"ann", "bob"}},
		// time: whole days in the view's zone
		{`signup >= date("2025-06-10")`, []string{"ann"}},
		{`signup > date("2025-06-10")`, nil},
		{`signup <= date("2025-06-10")`, []string{"ann", "bob"}},
		{`signup == date("2025-06-10")`, []string{"ann"}},
		{`signup != date("2025-06-10")`, []string{"bob", "cat", "dan"}},
		{`signup < date("2025-06-10T23:30:00Z")`, []string{"ann", "bob"}},
		{`signup < date("2025-06-10T22:30:00Z")`, []string{"bob"}},
		{`between(signup, date("2024-01-01"), date("2024-01-01"))`, []string{"bob"}},
		{`daysSince(signup) == 5`, []string{"ann"}},
		{`daysSince(signup) > 30`, []string{"bob"}},
		{`daysSince(last_login) <= 1`, []string{"ann"}},
		{`daysSince(last_login) < 1`, nil},
		{`daysSince(last_login) in 40..50`, []string{"bob"}},
		{`between(daysSince(last_login), 45, 45)`, []string{"bob"}},
		{`within(signup, "7d")`, []string{"ann"}},
		{`within(signup, "6d")`, []string{"ann"}},
		{`within(signup, "5d")`, nil},
		{`within(signup, "2y")`, []string{"ann", "bob"}},
		// events
		{`did("purchase")`, []string{"bob", "cat"}},
		{`!did("purchase")`, []string{"ann", "dan"}},
		{`did("never")`, nil},
		{`didWithin("purchase", "1d")`, nil},
		{`didWithin("purchase", "2d")`, []string{"cat"}},
		{`countWithin("purchase", "90d") >= 3`, []string{"bob"}},
		{`countWithin("purchase", "90d") == 0`, []string{"ann", "dan"}},
		{`countWithin("purchase", "90d") < 1`, []string{"ann", "dan"}},
		{`countWithin("purchase", "90d") != 3`, []string{"ann", "cat", "dan"}},
		{`countWithin("purchase", "90d") >= 2.5`, []string{"bob"}},
		{`countWithin("never", "90d") < 3`, all},
		{`3 <= countWithin("purchase", "1y")`, []string{"bob"}},
		{`countWithin("purchase", "1y") in 1..3`, []string{"cat"}},
		{`countWithin("purchase", "4w") == 2`, []string{"bob"}},
		{`firstWithin("trial_class", "7d")`, []string{"ann"}},
		{`firstWithin("trial_class", "1y")`, []string{"ann", "cat"}},
		{`didWithin("trial_class", "1w")`, []string{"ann", "cat"}},
		// compositions and constants
		{`has("undergrad") && firstWithin("trial_class", "7d") && !did("purchase")`, []string{"ann"}},
		{`(has("office") or age > 30) and not vip`, []string{"bob", "dan"}},
		{`age > 20 && (city == "Beijing" || city == "Shanghai")`, []string{"ann", "bob"}},
		{`!has("undergrad") || !vip`, []string{"bob", "cat", "dan"}},
		{`has("undergrad") == false`, []string{"bob", "dan"}},
		{`true`, all},
		{`false`, nil},
		{`1 < 2 && has("office")`, []string{"bob"}},
		{`has("office") || true`, all},
	}
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.rule, func(t *testing.T) {
			for _, opts := range [][]Option{nil, {WithSchema(v.Schema())}} {
				r, err := Compile(tc.rule, opts...)
				require.NoError(t, err)
				s, err := r.Eval(ctx, v, now)
				require.NoError(t, err)
				got := keysOf(s)
				want := tc.want
				if want == nil {
					want = []string{}
				}
				assert.Equal(t, want, got, "Eval")
				n, err := r.Count(ctx, v, now)
				require.NoError(t, err)
				assert.Equal(t, len(want), n, "Count")
				for _, k := range all {
					p, ok := v.Profile(k)
					require.True(t, ok)
					m, err := r.Match(p, now)
					require.NoError(t, err)
					assert.Equal(t, slices.Contains(want, k), m, "Match(%s)", k)
				}
			}
		})
	}
}

// TestTimeZone checks that days are calendar days of the view's zone.
func TestTimeZone(t *testing.T) {
	shanghai := loadLoc(t, "Asia/Shanghai")
	ix, err := bitmapindex.New(bitmapindex.Config{Location: shanghai, Schema: testSchema, Strict: true})
	require.NoError(t, err)
	// 2025-06-14 17:00 UTC is 2025-06-15 01:00 in Shanghai.
	at := time.Date(2025, 6, 14, 17, 0, 0, 0, time.UTC)
	require.NoError(t, ix.Set("x", "signup", bitmapindex.Time(at)))
	require.NoError(t, ix.Record("x", "login", at, 0))
	now := time.Date(2025, 6, 15, 9, 0, 0, 0, shanghai)
	v := ix.View()
	ctx := context.Background()
	for _, tc := range []struct {
		rule string
		want bool
	}{
		{`daysSince(signup) == 0`, true},
		{`signup == date("2025-06-15")`, true},
		{`signup < date("2025-06-15")`, false},
		{`didWithin("login", "1d")`, true},
		{`firstWithin("login", "1d")`, true},
		{`countWithin("login", "1d") == 1`, true},
	} {
		r := MustCompile(tc.rule)
		n, err := r.Count(ctx, v, now)
		require.NoError(t, err)
		assert.Equal(t, tc.want, n == 1, tc.rule)
		p, _ := v.Profile("x")
		m, err := r.Match(p, now)
		require.NoError(t, err)
		assert.Equal(t, tc.want, m, tc.rule)
	}
}

func TestEvalTypeErrorsWithoutSchema(t *testing.T) {
	ix, now := smallIndex(t)
	v := ix.View()
	r, err := Compile(`city > 3 && has("x") && exists(nope) && daysSince(age) > 3 && "a" in city`)
	require.NoError(t, err, "without a schema, types are checked at evaluation")
	_, err = r.Eval(context.Background(), v, now)
	var el ErrorList
	require.ErrorAs(t, err, &el)
	require.Len(t, el, 4)
	assert.Equal(t, "cannot compare category attribute city with int 3", el[0].Msg)
	assert.Equal(t, 1, el[0].Line)
	assert.Equal(t, 6, el[0].Column)
	assert.Contains(t, el[1].Msg, `unknown attribute "nope"`)
	assert.Contains(t, el[2].Msg, "daysSince needs a time attribute; age is int")
	assert.Contains(t, el[3].Msg, "needs a set attribute; city is category")

	p, _ := v.Profile("ann")
	_, err = r.Match(p, now)
	require.ErrorAs(t, err, &el)

	_, err = Compile(`city > 3`, WithSchema(v.Schema()))
	require.ErrorAs(t, err, &el)
	assert.Equal(t, "cannot compare category attribute city with int 3", el[0].Msg)
}

func TestWarnings(t *testing.T) {
	ix, _ := smallIndex(t)
	v := ix.View()
	r := MustCompile(`has("undergard") && did("logn") && city in ["Beijing", "Bejing"] && "mathz" in interests && exists(nope)`)
	var msgs []string
	for _, w := range r.Warnings(v) {
		msgs = append(msgs, w.String())
	}
	assert.Equal(t, []string{
		`1:5: unknown tag "undergard": no customer has it`,
		`1:25: unknown event "logn": never recorded`,
		`1:56: no customer has city "Bejing"`,
		`1:69: no customer has interests "mathz"`,
		`1:100: unknown attribute "nope": evaluation will fail`,
	}, msgs)
	assert.Empty(t, MustCompile(`has("undergrad") && city == "Beijing"`).Warnings(v))
}

func TestCancellation(t *testing.T) {
	ix, now := smallIndex(t)
	v := ix.View()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := MustCompile(`has("undergrad") || age > 3`)
	_, err := r.Eval(ctx, v, now)
	require.ErrorIs(t, err, context.Canceled)
	_, err = r.Count(ctx, v, now)
	require.ErrorIs(t, err, context.Canceled)
	_, err = r.Explain(ctx, v, now)
	require.ErrorIs(t, err, context.Canceled)
}

func TestInSegmentWithoutResolver(t *testing.T) {
	ix, now := smallIndex(t)
	v := ix.View()
	r := MustCompile(`has("x") || inSegment("vips")`)
	assert.Equal(t, []string{"vips"}, r.References())
	_, err := r.Eval(context.Background(), v, now)
	require.ErrorIs(t, err, ErrNoResolver)
	assert.Contains(t, err.Error(), `inSegment("vips")`)
	p, _ := v.Profile("ann")
	_, err = r.Match(p, now)
	require.ErrorIs(t, err, ErrNoResolver)
}

func TestMatchProfileKinds(t *testing.T) {
	now := time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC)
	r := MustCompile(`age > 20 && spend > 10.005`)
	// No schema anywhere: kinds inferred from values (decimal scale 2).
	p := bitmapindex.Profile{Attrs: map[string]bitmapindex.Value{"age": bitmapindex.Int(30), "spend": bitmapindex.Decimal(10.01)}}
	ok, err := r.Match(p, now)
	require.NoError(t, err)
	assert.True(t, ok)
	// A value of the wrong kind is an error with position.
	p.Attrs["age"] = bitmapindex.Category("thirty")
	_, err = r.Match(p, now)
	var el ErrorList
	require.ErrorAs(t, err, &el)
	assert.Contains(t, el[0].Msg, "cannot compare category attribute age with int 20")
	// An attribute the profile's schema does not declare is an error, as on a view.
	p = bitmapindex.Profile{Schema: map[string]bitmapindex.Attribute{"age": {Name: "age", Kind: bitmapindex.KindInt}}}
	_, err = r.Match(p, now)
	require.ErrorAs(t, err, &el)
	assert.Contains(t, el[0].Msg, `unknown attribute "spend"`)
	// Missing values are false, not errors.
	ok, err = MustCompile(`age > 20 || !(age > 20)`).Match(bitmapindex.Profile{}, now)
	require.NoError(t, err)
	assert.True(t, ok)
}

func TestNilViewAndEmptyRule(t *testing.T) {
	_, err := MustCompile(`true`).Eval(context.Background(), nil, time.Time{})
	require.Error(t, err)
	_, err = Compile("   ")
	var el ErrorList
	require.ErrorAs(t, err, &el)
	assert.Equal(t, "empty rule", el[0].Msg)
	var e *Error
	require.True(t, errors.As(err, &e))
}

// TestLongInListsAreDistinct: two `in` lists longer than Explain shows
// (more than ten items) that agree on the items shown are different
// conditions. Before, their labels (which identify nodes when the planner
// removes duplicate operands) were Explain's shortened rendering, so the
// second list was dropped as a copy of the first and "a" (9, only in the
// first list) matched.
func TestLongInListsAreDistinct(t *testing.T) {
	ix, err := bitmapindex.New(bitmapindex.Config{Location: time.UTC, Schema: []bitmapindex.Attribute{{Name: "age", Kind: bitmapindex.KindInt}}})
	require.NoError(t, err)
	require.NoError(t, ix.Set("a", "age", bitmapindex.Int(9)))
	require.NoError(t, ix.Set("b", "age", bitmapindex.Int(11)))
	v := ix.View()
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, src := range []string{
		`age in [1,2,3,4,5,6,7,8,9,10,11] && age in [1,2,3,4,5,6,7,8,11,12,13]`,
		`!(age in [1,2,3,4,5,6,7,8,9,10,11]) || !(age in [1,2,3,4,5,6,7,8,11,12,13]) || age == 9`, // "a" by the last term only
	} {
		r, err := Compile(src)
		require.NoError(t, err)
		s, err := r.Eval(context.Background(), v, now)
		require.NoError(t, err)
		want := []string{"b"}
		if src[0] == '!' {
			want = []string{"a"}
		}
		require.Equal(t, want, keysOf(s), src)
		n, err := r.Count(context.Background(), v, now)
		require.NoError(t, err)
		require.Equal(t, len(want), n, src)
		for _, k := range []string{"a", "b"} {
			p, _ := v.Profile(k)
			ok, err := r.Match(p, now)
			require.NoError(t, err)
			require.Equal(t, k == want[0], ok, "%s: Match(%s)", src, k)
		}
	}
	r, err := Compile(`age in [1,2,3,4,5,6,7,8,9,10,11,12]`)
	require.NoError(t, err)
	ex, err := r.Explain(context.Background(), v, now)
	require.NoError(t, err)
	require.Contains(t, ex, "age in [1, 2, 3, 4, 5, 6, 7, 8, … 4 more]", "Explain still shortens long lists")
}

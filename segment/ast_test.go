package segment

import (
	"context"
	"math/big"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/bitmapindex"
)

// treeMatch is a naive reference interpreter of a Tree on one profile: what
// a renderer for another engine must compute. TestTreeEquivalence holds it
// to Eval.
func treeMatch(t *testing.T, n Node, p bitmapindex.Profile, reg *Registry, now time.Time) bool {
	inWin := func(w Window, at time.Time) bool {
		return (w.Ever || !at.Before(w.Start)) && at.Before(w.End)
	}
	switch n := n.(type) {
	case *Const:
		return n.Value
	case *And:
		for _, k := range n.Kids {
			if !treeMatch(t, k, p, reg, now) {
				return false
			}
		}
		return true
	case *Or:
		for _, k := range n.Kids {
			if treeMatch(t, k, p, reg, now) {
				return true
			}
		}
		return false
	case *Not:
		return !treeMatch(t, n.Kid, p, reg, now)
	case *Tag:
		return p.Tags[n.Name]
	case *Compare:
		v, ok := p.Attrs[n.Attr.Name]
		return ok && bitmapindex.Holds(n.Attr, v, n.Op, n.Value)
	case *Between:
		v, ok := p.Attrs[n.Attr.Name]
		return ok && bitmapindex.Holds(n.Attr, v, bitmapindex.Ge, n.Lo) && bitmapindex.Holds(n.Attr, v, bitmapindex.Le, n.Hi)
	case *In:
		v, ok := p.Attrs[n.Attr.Name]
		return ok && slices.ContainsFunc(n.Values, func(c bitmapindex.Value) bool { return bitmapindex.Holds(n.Attr, v, bitmapindex.Eq, c) })
	case *Present:
		_, ok := p.Attrs[n.Attr.Name]
		return ok
	case *SetHas:
		ss, _ := p.Attrs[n.Attr.Name].AsStrings()
		return slices.Contains(ss, n.Value)
	case *StrMatch:
		v, ok := p.Attrs[n.Attr.Name]
		if !ok {
			return false
		}
		ss, isSet := v.AsStrings()
		if !isSet {
			s, _ := v.AsString()
			ss = []string{s}
		}
		for _, s := range ss {
			var m bool
			switch n.Op {
			case "startsWith":
				m = strings.HasPrefix(s, n.Arg)
			case "endsWith":
				m = strings.HasSuffix(s, n.Arg)
			case "contains":
				m = strings.Contains(s, n.Arg)
			case "matches":
				m = regexp.MustCompile(n.Arg).MatchString(s)
			}
			if m {
				return true
			}
		}
		return false
	case *Did:
		return len(treeEvents(p, n.Event, n.Filter, func(at time.Time) bool { return inWin(n.Window, at) })) > 0
	case *Count:
		k := len(treeEvents(p, n.Event, n.Filter, func(at time.Time) bool { return inWin(n.Window, at) }))
		return cmpInts(int64(k), n.Op.String(), n.N)
	case *First:
		ev := treeEvents(p, n.Event, n.Filter, func(time.Time) bool { return true })
		return len(ev) > 0 && inWin(n.Window, ev[0].at)
	case *Sum, *Avg:
		var w Window
		var f bitmapindex.Filter
		var ev string
		var op bitmapindex.Op
		var c bitmapindex.Amount
		if s, ok := n.(*Sum); ok {
			ev, w, f, op, c = s.Event, s.Window, s.Filter, s.Op, s.Value
		} else {
			a := n.(*Avg)
			ev, w, f, op, c = a.Event, a.Window, a.Filter, a.Op, a.Value
		}
		es := treeEvents(p, ev, f, func(at time.Time) bool { return inWin(w, at) })
		sum := big.NewRat(0, 1)
		for _, e := range es {
			sum.Add(sum, big.NewRat(int64(e.value), 1))
		}
		if _, isAvg := n.(*Avg); isAvg {
			if len(es) == 0 {
				return false
			}
			sum.Quo(sum, big.NewRat(int64(len(es)), 1))
		}
		return cmpInts(int64(sum.Cmp(big.NewRat(int64(c), 1))), op.String(), 0)
	case *Then:
		upTo := func(at time.Time) bool { return at.Before(n.End) }
		for _, a := range treeEvents(p, n.Event, n.Filter, upTo) {
			for _, b := range treeEvents(p, n.ThenEvent, n.ThenFilter, upTo) {
				gap := segkit.DayOf(b.at, p.Location).Sub(segkit.DayOf(a.at, p.Location))
				if gap >= 0 && gap < n.Within {
					return true
				}
			}
		}
		return false
	case *Ref:
		ok, err := reg.Match(n.Name, p, now)
		require.NoError(t, err)
		return ok
	}
	t.Fatalf("unknown node %T", n)
	return false
}

type treeEvent struct {
	at    time.Time
	value bitmapindex.Amount
}

// treeEvents returns the profile's events of name matching f at instants
// in.
func treeEvents(p bitmapindex.Profile, name string, f bitmapindex.Filter, in func(time.Time) bool) []treeEvent {
	var out []treeEvent
	det := p.Details[name]
	for i, at := range p.Events[name] {
		var d bitmapindex.EventDetail
		if det != nil {
			d = det[i]
		}
		if in(at) && f.Matches(d.Props) {
			out = append(out, treeEvent{at, d.Value})
		}
	}
	return out
}

// TestTreeEquivalence: for random rules of every form, in several time
// zones, the Tree interpreted naively on each profile selects exactly the
// customers Eval returns.
func TestTreeEquivalence(t *testing.T) {
	zones := []*time.Location{time.UTC, loadLoc(t, "Asia/Shanghai"), loadLoc(t, "America/New_York")}
	rules := 120
	if testing.Short() {
		rules = 40
	}
	for zi, loc := range zones {
		seed := uint64(2000 + zi)
		pop := randomPopulation(t, seed, 200, loc)
		reg := testRegistry(t, pop.v, pop.now)
		g := &ruleGen{rng: rand.New(rand.NewPCG(seed, 11)), now: pop.now}
		for i := 0; i < rules; i++ {
			src := g.rule(3)
			r, err := Compile(src, WithResolver(reg))
			require.NoError(t, err, src)
			set, err := r.Eval(context.Background(), pop.v, pop.now)
			require.NoError(t, err, src)
			tree, err := r.Tree(pop.v.Schema(), pop.now, loc)
			require.NoError(t, err, src)
			require.Equal(t, src, tree.Source)
			for _, k := range pop.keys {
				if got := treeMatch(t, tree.Root, pop.profiles[k], reg, pop.now); got != set.ContainsKey(k) {
					t.Fatalf("rule %s\ncustomer %s: tree=%v Eval=%v\nprofile %+v", src, k, got, !got, pop.profiles[k])
				}
			}
		}
	}
}

func TestTreeErrors(t *testing.T) {
	r := MustCompile(`citty == "x" && has("a") && age > "old"`)
	_, err := r.Tree(testSchema, time.Now(), nil)
	require.Error(t, err)
	var el ErrorList
	require.ErrorAs(t, err, &el)
	require.Len(t, el, 2)
	require.Contains(t, el[0].Msg, `unknown attribute "citty"`)
	require.Equal(t, 1, el[0].Column)
	_, err = r.Tree(nil, time.Now(), nil)
	require.ErrorContains(t, err, "needs a schema")
}

func TestTreeWindow(t *testing.T) {
	loc := loadLoc(t, "Asia/Shanghai")
	now := time.Date(2025, 3, 10, 1, 0, 0, 0, loc) // 2025-03-09 17:00 UTC
	r := MustCompile(`didWithin("login", "7d") && !did("buy")`, WithSchema(testSchema))
	tree, err := r.Tree(nil, now, loc)
	require.NoError(t, err)
	and := tree.Root.(*And)
	require.Len(t, and.Kids, 2)
	did := and.Kids[0].(*Did)
	require.Equal(t, "2025-03-04", did.Window.From.String())
	require.Equal(t, "2025-03-10", did.Window.To.String())
	require.Equal(t, time.Date(2025, 3, 4, 0, 0, 0, 0, loc).Unix(), did.Window.Start.Unix())
	require.Equal(t, time.Date(2025, 3, 11, 0, 0, 0, 0, loc).Unix(), did.Window.End.Unix())
	not := and.Kids[1].(*Not)
	ever := not.Kid.(*Did)
	require.True(t, ever.Window.Ever)
	l, c := ever.Position()
	require.Equal(t, [2]int{1, 30}, [2]int{l, c})
}

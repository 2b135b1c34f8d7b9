package segment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit/bitmapindex"
)

func TestRegistryDefineAndReferences(t *testing.T) {
	ix, now := smallIndex(t)
	v := ix.View()
	ctx := context.Background()
	reg := NewRegistry(WithSchema(v.Schema()))
	require.NoError(t, reg.DefineAll(
		Definition{Name: "engaged", Rule: `inSegment("students") && inSegment("trialists")`, Description: "students who tried"},
		Definition{Name: "students", Rule: `has("undergrad")`},
		Definition{Name: "trialists", Rule: `didWithin("trial_class", "30d")`},
	))
	assert.Equal(t, []string{"engaged", "students", "trialists"}, reg.Names())
	assert.Equal(t, []string{"students", "trialists", "engaged"}, reg.Order())
	assert.Equal(t, []string{"engaged"}, reg.Referrers("students"))
	d, ok := reg.Get("engaged")
	require.True(t, ok)
	assert.Equal(t, "students who tried", d.Description)

	s, err := reg.Eval(ctx, "engaged", v, now)
	require.NoError(t, err)
	assert.Equal(t, []string{"ann", "cat"}, keysOf(s))

	// Results are cached per view and day: the same bitmap comes back.
	s2, err := reg.Eval(ctx, "engaged", v, now)
	require.NoError(t, err)
	assert.Same(t, s.Bitmap(), s2.Bitmap())
	st, err := reg.Eval(ctx, "students", v, now)
	require.NoError(t, err)
	st2, err := reg.Eval(ctx, "students", v, now.Add(time.Hour)) // same day
	require.NoError(t, err)
	assert.Same(t, st.Bitmap(), st2.Bitmap())

	// Redefining invalidates the cache.
	require.NoError(t, reg.Define(Definition{Name: "students", Rule: `has("undergrad") && vip`}))
	s3, err := reg.Eval(ctx, "engaged", v, now)
	require.NoError(t, err)
	assert.Equal(t, []string{"ann"}, keysOf(s3))

	// A rule compiled on its own resolves through the registry.
	r := MustCompile(`inSegment("trialists") && !inSegment("students")`, WithResolver(reg))
	got, err := r.Eval(ctx, v, now)
	require.NoError(t, err)
	assert.Equal(t, []string{"cat"}, keysOf(got))
	p, _ := v.Profile("cat")
	m, err := r.Match(p, now)
	require.NoError(t, err)
	assert.True(t, m)
	m, err = reg.Match("engaged", p, now)
	require.NoError(t, err)
	assert.False(t, m)

	all, err := reg.EvalAll(ctx, v, now)
	require.NoError(t, err)
	assert.Len(t, all, 3)

	_, err = reg.Eval(ctx, "nope", v, now)
	require.ErrorIs(t, err, ErrNotFound)
	_, err = reg.Match("nope", p, now)
	require.ErrorIs(t, err, ErrNotFound)
}

func TestRegistryRejects(t *testing.T) {
	reg := NewRegistry()
	require.NoError(t, reg.Define(Definition{Name: "a", Rule: `has("x")`}))

	err := reg.DefineAll(
		Definition{Name: "a", Rule: `inSegment("b")`},
		Definition{Name: "b", Rule: `has("y") || inSegment("c")`},
		Definition{Name: "c", Rule: `inSegment("a")`},
	)
	var ce *CycleError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, []string{"a", "b", "c", "a"}, ce.Path)
	assert.Equal(t, "segment: reference cycle a → b → c → a", err.Error())
	d, _ := reg.Get("a")
	assert.Equal(t, `has("x")`, d.Rule, "a rejected batch changes nothing")

	err = reg.Define(Definition{Name: "self", Rule: `inSegment("self")`})
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, []string{"self", "self"}, ce.Path)

	err = reg.Define(Definition{Name: "d", Rule: `has("x") &&
 inSegment("missing")`})
	var el ErrorList
	require.ErrorAs(t, err, &el)
	assert.Equal(t, 2, el[0].Line)
	assert.Contains(t, err.Error(), `inSegment("missing"): no such segment`)

	err = reg.DefineAll(
		Definition{Name: "e", Rule: `has(`},
		Definition{Name: "", Rule: `true`},
		Definition{Name: "f", Rule: `true`, Members: []string{"x"}},
	)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `define "e"`)
	assert.Contains(t, err.Error(), "needs a name")
	assert.Contains(t, err.Error(), "members given for a dynamic segment")
	assert.Equal(t, []string{"a"}, reg.Names())

	// Reference depth.
	var chain []Definition
	for i := 0; i < 10; i++ {
		rule := `has("x")`
		if i > 0 {
			rule = fmt.Sprintf(`inSegment("s%d")`, i-1)
		}
		chain = append(chain, Definition{Name: fmt.Sprintf("s%d", i), Rule: rule})
	}
	err = reg.DefineAll(chain...)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "s9 → s8 → s7 → s6 → s5 → s4 → s3 → s2 → s1 → s0 is 9 deep, more than the limit of 8")
	deep := NewRegistry(WithLimits(Limits{MaxRefDepth: 9}))
	require.NoError(t, deep.DefineAll(chain...))
}

func TestRegistryDelete(t *testing.T) {
	reg := NewRegistry()
	require.NoError(t, reg.DefineAll(
		Definition{Name: "base", Rule: `has("x")`},
		Definition{Name: "u1", Rule: `inSegment("base")`},
		Definition{Name: "u2", Rule: `inSegment("base") || inSegment("u1")`},
	))
	err := reg.Delete("base")
	var iu *InUseError
	require.ErrorAs(t, err, &iu)
	assert.Equal(t, []string{"u1", "u2"}, iu.Referrers)
	assert.Equal(t, `segment: cannot delete "base": referenced by "u1", "u2"`, err.Error())
	require.ErrorIs(t, reg.Delete("nope"), ErrNotFound)
	require.NoError(t, reg.Delete("u2"))
	require.NoError(t, reg.Delete("u1"))
	require.NoError(t, reg.Delete("base"))
	assert.Empty(t, reg.Names())
}

func TestRegistryStaticAndDiff(t *testing.T) {
	ix, now := smallIndex(t)
	ctx := context.Background()
	reg := NewRegistry()
	require.NoError(t, reg.DefineAll(
		Definition{Name: "frozen_students", Rule: `has("undergrad")`, Static: true},
		Definition{Name: "students", Rule: `has("undergrad")`},
		Definition{Name: "mixed", Rule: `inSegment("frozen_students") && !vip`},
	))
	v1 := ix.View()
	p, _ := v1.Profile("ann")
	_, err := reg.Match("frozen_students", p, now)
	require.ErrorIs(t, err, ErrNotFrozen)

	s, err := reg.Eval(ctx, "frozen_students", v1, now)
	require.NoError(t, err)
	assert.Equal(t, []string{"ann", "cat"}, keysOf(s))
	d, _ := reg.Get("frozen_students")
	assert.Equal(t, []string{"ann", "cat"}, d.Members)

	// The index changes: dan becomes a student, cat is deleted.
	require.NoError(t, ix.AddTag("dan", "undergrad"))
	require.True(t, ix.Delete("cat"))
	v2 := ix.View()
	s, err = reg.Eval(ctx, "frozen_students", v2, now)
	require.NoError(t, err)
	assert.Equal(t, []string{"ann"}, keysOf(s), "static: frozen members that are still live")
	s, err = reg.Eval(ctx, "students", v2, now)
	require.NoError(t, err)
	assert.Equal(t, []string{"ann", "dan"}, keysOf(s), "dynamic: recomputed")
	m, err := reg.Match("frozen_students", p, now)
	require.NoError(t, err)
	assert.True(t, m)
	pd, _ := v2.Profile("dan")
	m, err = reg.Match("frozen_students", pd, now)
	require.NoError(t, err)
	assert.False(t, m)
	s, err = reg.Eval(ctx, "mixed", v2, now)
	require.NoError(t, err)
	assert.Empty(t, keysOf(s))

	ch, err := reg.Diff(ctx, "students", Point{v1, now}, Point{v2, now})
	require.NoError(t, err)
	assert.Equal(t, []string{"dan"}, slices.Collect(ch.Entered.Keys()))
	assert.Equal(t, []string{"cat"}, slices.Collect(ch.Left.Keys()))
	assert.Equal(t, 1, ch.Stayed.Len())

	// Freeze refreshes the frozen list.
	require.NoError(t, reg.Freeze(ctx, "frozen_students", v2, now))
	d, _ = reg.Get("frozen_students")
	assert.Equal(t, []string{"ann", "dan"}, d.Members)
	require.Error(t, reg.Freeze(ctx, "students", v2, now), "not static")

	// JSON round trip keeps frozen members; a zero Registry is usable.
	data, err := json.Marshal(reg)
	require.NoError(t, err)
	var back Registry
	require.NoError(t, json.Unmarshal(data, &back))
	assert.Equal(t, reg.Names(), back.Names())
	for _, n := range reg.Names() {
		a, _ := reg.Get(n)
		b, _ := back.Get(n)
		assert.Equal(t, a, b)
	}
	s, err = back.Eval(ctx, "frozen_students", v2, now)
	require.NoError(t, err)
	assert.Equal(t, []string{"ann", "dan"}, keysOf(s))
	assert.JSONEq(t, `{"version":1,"segments":[
		{"name":"frozen_students","rule":"has(\"undergrad\")","static":true,"members":["ann","dan"]},
		{"name":"mixed","rule":"inSegment(\"frozen_students\") \u0026\u0026 !vip"},
		{"name":"students","rule":"has(\"undergrad\")"}]}`, string(data))

	// A static segment frozen with no members stays frozen through JSON.
	empty := NewRegistry()
	require.NoError(t, empty.Define(Definition{Name: "none", Rule: `has("nobody")`, Static: true}))
	_, err = empty.Eval(ctx, "none", v2, now)
	require.NoError(t, err)
	data, err = json.Marshal(empty)
	require.NoError(t, err)
	assert.JSONEq(t, `{"version":1,"segments":[{"name":"none","rule":"has(\"nobody\")","static":true,"members":[]}]}`, string(data))
	var back2 Registry
	require.NoError(t, json.Unmarshal(data, &back2))
	m, err = back2.Match("none", p, now)
	require.NoError(t, err, "frozen (empty), not 'not frozen yet'")
	assert.False(t, m)

	// Bad JSON leaves the registry unchanged.
	require.Error(t, back.UnmarshalJSON([]byte(`{"version":1,"segments":[{"name":"a","rule":"inSegment(\"a\")"}]}`)))
	require.Error(t, back.UnmarshalJSON([]byte(`{"version":2,"segments":[]}`)))
	require.Error(t, back.UnmarshalJSON([]byte(`{"version":`)))
	assert.Equal(t, reg.Names(), back.Names())
}

func TestRegistryDiffAcrossViews(t *testing.T) {
	ix, now := smallIndex(t)
	reg := NewRegistry()
	require.NoError(t, reg.Define(Definition{Name: "u", Rule: `has("undergrad")`}))
	v1 := ix.View()
	require.NoError(t, ix.AddTag("bob", "undergrad"))
	require.NoError(t, ix.RemoveTag("ann", "undergrad"))
	ix.Delete("cat")
	require.NoError(t, ix.AddTag("cat", "undergrad")) // re-added with a new ID
	ch, err := reg.Diff(context.Background(), "u", Point{v1, now}, Point{ix.View(), now})
	require.NoError(t, err)
	assert.Equal(t, []string{"bob"}, slices.Collect(ch.Entered.Keys()))
	assert.Equal(t, []string{"ann"}, slices.Collect(ch.Left.Keys()))
	assert.Contains(t, slices.Collect(ch.Stayed.Keys()), "cat", "cat stayed by key")
}

// TestRegistryConcurrent runs evaluations while definitions change (run
// with -race).
func TestRegistryConcurrent(t *testing.T) {
	ix, now := smallIndex(t)
	reg := NewRegistry()
	require.NoError(t, reg.DefineAll(
		Definition{Name: "a", Rule: `has("undergrad")`},
		Definition{Name: "b", Rule: `inSegment("a") || vip`},
		Definition{Name: "s", Rule: `inSegment("b")`, Static: true},
	))
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				v := ix.View()
				for _, n := range []string{"a", "b", "s"} {
					if _, err := reg.Eval(ctx, n, v, now); err != nil && !errors.Is(err, ErrNotFound) {
						errs <- err
					}
				}
				p, _ := v.Profile("ann")
				if _, err := reg.Match("b", p, now); err != nil {
					errs <- err
				}
			}
		}(g)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 50; i++ {
			rule := `has("undergrad")`
			if i%2 == 1 {
				rule = `has("office")`
			}
			if err := reg.Define(Definition{Name: "a", Rule: rule}); err != nil {
				errs <- err
			}
			if err := ix.AddTag(fmt.Sprintf("new%d", i), "undergrad"); err != nil {
				errs <- err
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	_ = bitmapindex.Set{}
}

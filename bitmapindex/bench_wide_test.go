package bitmapindex

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// Wide numeric comparisons (issue 21 item 3): a decimal with hundreds of
// thousands of distinct values and a time attribute at second precision,
// each compared so that about 10% of the customers are selected.

type widePop struct {
	ix               *Index
	spendP90         Value // the 90th percentile of spend
	signupP90        Value // the 90th percentile of signup, not a day boundary
	spendN, signN    int   // customers selected by each comparison
	spendLo, spendHi Value // a between range selecting about 10%
}

var (
	wideMu   sync.Mutex
	widePops = map[int]*widePop{}
)

// wideSignupStart is the first signup instant: three years of signups follow.
var wideSignupStart = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)

func buildWidePop(tb testing.TB, n int) *widePop {
	wideMu.Lock()
	defer wideMu.Unlock()
	if p := widePops[n]; p != nil {
		return p
	}
	ix, err := New(Config{Location: time.UTC, Schema: []Attribute{
		{Name: "spend", Kind: KindDecimal, Scale: 2},
		{Name: "signup", Kind: KindTime},
	}})
	if err != nil {
		tb.Fatal(err)
	}
	const chunk = 1 << 18
	for lo := 0; lo < n; lo += chunk {
		b := ix.NewBatch()
		for i := lo; i < min(n, lo+chunk); i++ {
			b.Add(benchKey(i))
		}
		if err := b.Commit(); err != nil {
			tb.Fatal(err)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	ids := make([]uint32, 0, chunk)
	spends := make([]Value, 0, chunk)
	signups := make([]Value, 0, chunk)
	spendCents := make([]int64, n)
	signupSecs := make([]int64, n)
	span := int64(3 * 365 * 86400)
	for lo := 0; lo < n; lo += chunk {
		ids, spends, signups = ids[:0], spends[:0], signups[:0]
		for i := lo; i < min(n, lo+chunk); i++ {
			// log-normal spend, median 300, in cents
			c := int64(math.Round(math.Exp(math.Log(30000) + r.NormFloat64())))
			spendCents[i] = c
			s := r.Int64N(span)
			signupSecs[i] = s
			ids = append(ids, uint32(i))
			spends = append(spends, Decimal(float64(c)/100))
			signups = append(signups, Time(wideSignupStart.Add(time.Duration(s)*time.Second)))
		}
		b := ix.NewBatch()
		b.SetIDs("spend", ids, spends)
		b.SetIDs("signup", ids, signups)
		if err := b.Commit(); err != nil {
			tb.Fatal(err)
		}
	}
	p90 := func(xs []int64) int64 {
		// the value with 10% of xs at or above it (a selection, not a sort)
		return quickSelect(xs, len(xs)*9/10)
	}
	sp, sg := p90(spendCents), p90(signupSecs)
	if (sg % 86400) == 0 {
		sg++ // keep the bound off a day boundary: the day bitmaps would answer
	}
	lo := quickSelect(spendCents, len(spendCents)*45/100)
	hi := quickSelect(spendCents, len(spendCents)*55/100)
	p := &widePop{
		ix:        ix,
		spendP90:  Decimal(float64(sp) / 100),
		signupP90: Time(wideSignupStart.Add(time.Duration(sg) * time.Second)),
		spendLo:   Decimal(float64(lo) / 100),
		spendHi:   Decimal(float64(hi) / 100),
	}
	v := ix.View()
	s, err := v.Compare("spend", Ge, p.spendP90)
	if err != nil {
		tb.Fatal(err)
	}
	p.spendN = s.Len()
	s, err = v.Compare("signup", Ge, p.signupP90)
	if err != nil {
		tb.Fatal(err)
	}
	p.signN = s.Len()
	widePops[n] = p
	return p
}

// quickSelect returns the k-th smallest of xs (reordering xs).
func quickSelect(xs []int64, k int) int64 {
	lo, hi := 0, len(xs)-1
	for lo < hi {
		p := xs[(lo+hi)/2]
		i, j := lo, hi
		for i <= j {
			for xs[i] < p {
				i++
			}
			for xs[j] > p {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return xs[k]
		}
	}
	return xs[k]
}

// forWide runs fn on each population size after warm (when not nil),
// reporting the process's CPU time per operation of fn's loop.
func forWide(b *testing.B, warm, fn func(b *testing.B, p *widePop)) {
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			p := buildWidePop(b, n)
			if warm != nil {
				warm(b, p)
			}
			b.ReportAllocs()
			cpu := cpuTime()
			fn(b, p)
			b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkWideCompare compares spend and signup (second precision) so that
// about 10% of the customers are selected, as sets and as counts.
func BenchmarkWideCompare(b *testing.B) {
	cases := []struct {
		name  string
		attr  string
		c     func(p *widePop) Value
		count bool
	}{
		{"spend/eval", "spend", func(p *widePop) Value { return p.spendP90 }, false},
		{"spend/count", "spend", func(p *widePop) Value { return p.spendP90 }, true},
		{"signup/eval", "signup", func(p *widePop) Value { return p.signupP90 }, false},
		{"signup/count", "signup", func(p *widePop) Value { return p.signupP90 }, true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			warm := func(b *testing.B, p *widePop) { warmWide(b, p.ix.View(), c.attr, c.c(p)) }
			forWide(b, warm, func(b *testing.B, p *widePop) {
				v := p.ix.View()
				want := p.spendN
				if c.attr == "signup" {
					want = p.signN
				}
				for b.Loop() {
					var n int
					if c.count {
						var err error
						if n, err = v.CompareCount(c.attr, Ge, c.c(p)); err != nil {
							b.Fatal(err)
						}
					} else {
						s, err := v.Compare(c.attr, Ge, c.c(p))
						if err != nil {
							b.Fatal(err)
						}
						n = s.Len()
					}
					if n != want {
						b.Fatalf("%d members, want %d", n, want)
					}
				}
				b.ReportMetric(float64(want)/float64(p.ix.View().Len()), "selected")
			})
		})
	}
	// 55% of the customers: the set comes from the bins' levels (widebins.go).
	b.Run("spend-p45/eval", func(b *testing.B) {
		forWide(b, warmSpend, func(b *testing.B, p *widePop) {
			v := p.ix.View()
			want, err := v.CompareCount("spend", Ge, p.spendLo)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				s, err := v.Compare("spend", Ge, p.spendLo)
				if err != nil {
					b.Fatal(err)
				}
				if s.Len() != want {
					b.Fatalf("%d members, want %d", s.Len(), want)
				}
			}
			b.ReportMetric(float64(want)/float64(p.ix.View().Len()), "selected")
		})
	})
	b.Run("spend-between/eval", func(b *testing.B) {
		forWide(b, warmSpend, func(b *testing.B, p *widePop) {
			v := p.ix.View()
			for b.Loop() {
				if _, err := v.Between("spend", p.spendLo, p.spendHi); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("spend-between/count", func(b *testing.B) {
		forWide(b, warmSpend, func(b *testing.B, p *widePop) {
			v := p.ix.View()
			for b.Loop() {
				if _, err := v.BetweenCount("spend", p.spendLo, p.spendHi); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

func warmSpend(b *testing.B, p *widePop) { warmWide(b, p.ix.View(), "spend", p.spendLo) }

// warmWide makes the comparisons of attr as many as its version needs to
// have its binned index built: the benchmarks time the steady state, and
// BenchmarkWideBuild the build.
func warmWide(b *testing.B, v *View, attr string, c Value) {
	for range wideBinsAfter + 1 {
		if _, err := v.CompareCount(attr, Ge, c); err != nil {
			b.Fatal(err)
		}
	}
	if v.st.attrs[attr].wcache.bins.Load() == nil {
		b.Fatal("no binned index")
	}
}

// BenchmarkWideColumns times the word loop alone (columns built).
func BenchmarkWideColumns(b *testing.B) {
	forWide(b, nil, func(b *testing.B, p *widePop) {
		a := p.ix.View().st.attrs["spend"]
		w := buildWideCols(a, a.keyBits(), nil) // the bins may have replaced the version's
		bd, _ := a.boundOf(p.spendP90)
		q := toUop(bd, Ge)
		for b.Loop() {
			w.eval([]uop{q}, a.ref, nil, false)
		}
	})
}

// BenchmarkWideBuild times the build of the interleaved columns and of the
// binned index from them, and reports the index's bytes per customer.
func BenchmarkWideBuild(b *testing.B) {
	for _, attr := range []string{"spend", "signup"} {
		b.Run(attr+"/columns", func(b *testing.B) {
			forWide(b, nil, func(b *testing.B, p *widePop) {
				a := p.ix.View().st.attrs[attr]
				s := a.keyBits()
				for b.Loop() {
					buildWideCols(a, s, nil)
				}
			})
		})
		b.Run(attr+"/bins", func(b *testing.B) {
			forWide(b, nil, func(b *testing.B, p *widePop) {
				a := p.ix.View().st.attrs[attr]
				w := buildWideCols(a, a.keyBits(), nil)
				var x *wideBins
				for b.Loop() {
					x = buildWideBins(a, w, nil)
				}
				n := float64(a.present.card())
				b.ReportMetric(float64(x.bytes())/n, "B/customer")
				b.ReportMetric(float64(w.bytes())/n, "columns-B/customer")
				b.ReportMetric(float64(len(x.lo)), "bins")
			})
		})
	}
}

// BenchmarkWideFresh times the first k counts of spend >= p90 on a version
// whose caches are empty (as after a write): the columns alone, and with
// the bins built after wideBinsAfter of them.
func BenchmarkWideFresh(b *testing.B) {
	for _, k := range []int{10, 50} {
		for _, mode := range []string{"columns", "bins"} {
			b.Run(fmt.Sprintf("%s/k=%d", mode, k), func(b *testing.B) {
				forWide(b, nil, func(b *testing.B, p *widePop) {
					if mode == "columns" {
						defer func(after int64) { wideBinsAfter = after }(wideBinsAfter)
						wideBinsAfter = 1 << 62
					}
					v := p.ix.View()
					c := v.st.attrs["spend"].wcache
					for b.Loop() {
						c.cols.Store(nil)
						c.bins.Store(nil)
						c.uses.Store(0)
						for range k {
							if n, err := v.CompareCount("spend", Ge, p.spendP90); err != nil || n != p.spendN {
								b.Fatalf("%d, %v; want %d", n, err, p.spendN)
							}
						}
					}
				})
			})
		}
	}
}

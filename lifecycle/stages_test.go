package lifecycle

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/clv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	assert.Equal(t, string(want), got, "golden file %s (run go test -update after checking the diff)", path)
}

var asOf = segkit.Date(2025, 6, 30)

// at returns purchase days at the given offsets (days before asOf, ascending
// order not required).
func at(offsets ...int) []segkit.Day {
	d := make([]segkit.Day, len(offsets))
	for i, o := range offsets {
		d[i] = asOf.AddDays(-o)
	}
	slices.Sort(d)
	return d
}

// every returns n purchase days gap days apart, the last one last days ago.
func every(n, gap, last int) []int {
	o := make([]int, n)
	for i := range o {
		o[i] = last + (n-1-i)*gap
	}
	return o
}

func TestStageRules(t *testing.T) {
	bgDays := clv.BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}
	modelCfg := func(c *Config) {
		c.Family = Model
		c.PurchaseModel = bgDays
		c.ModelUnit = clv.Weeks
	}
	cases := []struct {
		name      string
		cfg       func(*Config)
		popGap    float64
		offsets   []int
		stage     Stage
		rule      Rule
		threshold float64
	}{
		{"prospect", nil, 0, nil, Prospect, RuleProspect, 0},
		{"new: first purchase 10 days ago", nil, 0, []int{10}, New, RuleNewRecent, 30},
		{"new: two purchases within the window", nil, 30, []int{20, 5}, New, RuleNewRecent, 30},
		{"new: one purchase, not overdue", nil, 40, []int{60}, New, RuleNewSingle, 0},
		{"growing: 6 purchases in 55 days", nil, 0, every(6, 10, 5), Growing, RuleGrowing, 180},
		{"mature: monthly for 300 days", nil, 0, every(11, 30, 10), Mature, RuleMature, 180},
		{"rhythm at risk: 70 days > 2 × 30", nil, 0, every(11, 30, 70), AtRisk, RuleRhythm, 60},
		{"rhythm sleeping: 100 days > 3 × 30", nil, 0, every(11, 30, 100), Sleeping, RuleRhythm, 90},
		{"rhythm at risk, not beyond the longest gap", nil, 0, []int{340, 310, 280, 250, 130, 100}, AtRisk, RuleRhythm, 60},
		{"rhythm sleeping beyond the longest gap 120", nil, 0, []int{370, 340, 310, 280, 160, 130}, Sleeping, RuleRhythm, 120},
		{"rhythm churned: 200 days > 6 × 30", nil, 0, every(11, 30, 200), Churned, RuleRhythm, 180},
		{"rhythm churned needs twice the longest gap", nil, 0, []int{560, 530, 500, 470, 350, 320, 200}, Sleeping, RuleRhythm, 120},
		{"rhythm churned beyond twice the longest gap", nil, 0, []int{610, 580, 550, 520, 400, 370, 250}, Churned, RuleRhythm, 240},
		{"gap floor: 20 days > 2 × max(1, 7)", nil, 0, []int{21, 20}, AtRisk, RuleRhythm, 14},
		{"max inactive: 800 days", nil, 0, every(11, 300, 800), Churned, RuleMaxInactive, 730},
		{"population fallback: sleeping", nil, 30, []int{100}, Sleeping, RulePopulation, 90},
		{"population fallback: churned", nil, 30, []int{181}, Churned, RulePopulation, 180},
		{"population gap floor", nil, 2, []int{15}, AtRisk, RulePopulation, 14},
		{"fixed fallback without population rhythm", nil, 0, []int{100}, AtRisk, RuleFixed, 90},
		{"reactivated: back after 300 days", nil, 0, append(every(6, 30, 320), 20), Reactivated, RuleReactivated, 180},
		{"reactivation window over", nil, 0, append(every(6, 30, 400), 100, 70, 40, 10), Mature, RuleMature, 180},
		{"reactivated but declining again", nil, 0, append(every(6, 30, 380), 80), AtRisk, RuleRhythm, 60},
		{"fixed: at risk", func(c *Config) { c.Family = Fixed }, 0, every(11, 5, 95), AtRisk, RuleFixed, 90},
		{"fixed: sleeping", func(c *Config) { c.Family = Fixed }, 0, every(11, 5, 200), Sleeping, RuleFixed, 180},
		{"fixed: churned", func(c *Config) { c.Family = Fixed }, 0, every(11, 5, 400), Churned, RuleFixed, 365},
		{"fixed: active regardless of rhythm", func(c *Config) { c.Family = Fixed }, 0, every(11, 20, 80), Mature, RuleMature, 180},
		{"fixed windows disabled", func(c *Config) { c.Family = Fixed; c.AtRiskDays, c.SleepingDays, c.ChurnedDays = 0, 0, 0 }, 0, every(3, 5, 400), Growing, RuleGrowing, 180},
		{"no max inactive", func(c *Config) { c.Family = Fixed; c.MaxInactiveDays = 0 }, 0, every(3, 5, 900), Churned, RuleFixed, 365},
		{"no reactivated stage", func(c *Config) { c.ReactivatedDays = 0 }, 0, append(every(3, 30, 320), 20), Growing, RuleGrowing, 180},
		{"model: alive", modelCfg, 0, every(31, 7, 3), Mature, RuleMature, 180},
		{"model: churned", modelCfg, 0, every(11, 7, 150), Churned, RuleModel, 0},
		{"model: at risk", modelCfg, 0, every(11, 7, 40), AtRisk, RuleModel, 0},
		{"model: one-time buyer is alive under BG/NBD", modelCfg, 0, []int{200}, New, RuleNewSingle, 0},
	}
	var report strings.Builder
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			if c.cfg != nil {
				c.cfg(&cfg)
			}
			require.NoError(t, cfg.Validate())
			cl := &classifier{cfg: cfg, popGap: c.popGap}
			var scratch []int
			days := at(c.offsets...)
			r := cl.classify(days, asOf, &scratch)
			assert.Equal(t, c.stage, r.Stage, r.String())
			assert.Equal(t, c.rule, r.Rule, r.String())
			assert.Equal(t, c.threshold, r.ThresholdDays, r.String())
			if len(days) > 0 {
				assert.Equal(t, len(slices.Compact(slices.Clone(days))), r.Purchases)
				assert.Equal(t, asOf.Sub(days[len(days)-1]), r.RecencyDays)
				assert.Equal(t, asOf.Sub(days[0]), r.TenureDays)
			}
			if r.Rule == RuleModel {
				s := clv.Summary{Frequency: len(days) - 1, Recency: float64(days[len(days)-1].Sub(days[0])) / 7, T: float64(asOf.Sub(days[0])) / 7}
				assert.Equal(t, bgDays.PAlive(s), r.PAlive)
				assert.Less(t, r.PAlive, r.PAliveBelow)
				assert.Equal(t, "bgnbd", r.Model)
			}
			fmt.Fprintf(&report, "%-48s %-11s %-12s %s\n", c.name, r.Stage, r.Rule, r)
		})
	}
	golden(t, "reasons.golden", report.String())
}

// paperBG is the BG/NBD at the CDNOW estimates of Fader, Hardie & Lee
// (2005), in weeks.
var paperBG = clv.BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"default", func(*Config) {}, ""},
		{"negative NewDays", func(c *Config) { c.NewDays = -1 }, "lifecycle: config NewDays: -1 must not be negative"},
		{"fixed windows out of order", func(c *Config) { c.SleepingDays = 60 }, "lifecycle: config SleepingDays: 60 is below AtRiskDays 90"},
		{"fixed windows with a gap", func(c *Config) { c.SleepingDays = 0 }, ""},
		{"rhythm needs 2 purchases", func(c *Config) { c.RhythmMinPurchases = 1 }, "lifecycle: config RhythmMinPurchases: 1: a rhythm needs at least 2 purchase days"},
		{"NaN multiple", func(c *Config) { c.SleepingGaps = nan() }, "lifecycle: config SleepingGaps: NaN must be finite and non-negative"},
		{"zero at-risk multiple", func(c *Config) { c.AtRiskGaps = 0 }, "lifecycle: config AtRiskGaps: 0 must be positive"},
		{"multiples out of order", func(c *Config) { c.ChurnedGaps = 2.5 }, "lifecycle: config ChurnedGaps: 2.5 is below SleepingGaps 3"},
		{"model without model", func(c *Config) { c.Family = Model }, "lifecycle: config PurchaseModel: family model needs a purchase model"},
		{"model with bad params", func(c *Config) { c.Family = Model; c.PurchaseModel = clv.BGNBD{R: -1, Alpha: 1, A: 1, B: 1} }, "lifecycle: config PurchaseModel: clv: invalid model parameters: bgnbd r=-1 must be finite and positive"},
		{"model thresholds", func(c *Config) { c.Family = Model; c.PurchaseModel = paperBG; c.ChurnedBelow = 0.6 }, "lifecycle: config ChurnedBelow: thresholds must satisfy ChurnedBelow ≤ SleepingBelow ≤ AtRiskBelow (got 0.6, 0.3, 0.5)"},
		{"model probability", func(c *Config) { c.Family = Model; c.PurchaseModel = paperBG; c.AtRiskBelow = 2 }, "lifecycle: config AtRiskBelow: 2 must be a probability in [0, 1]"},
		{"unknown family", func(c *Config) { c.Family = 7 }, "lifecycle: config Family: unknown family 7"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			c.mod(&cfg)
			err := cfg.Validate()
			if c.want == "" {
				assert.NoError(t, err)
				return
			}
			assert.EqualError(t, err, c.want)
		})
	}
}

func nan() float64 { var z float64; return z / z }

func TestStageNames(t *testing.T) {
	for _, s := range AllStages() {
		p, err := ParseStage(s.String())
		require.NoError(t, err)
		assert.Equal(t, s, p)
		assert.True(t, s.Valid())
		assert.NotEqual(t, PhaseNone, s.Phase())
	}
	assert.Equal(t, "at_risk", AtRisk.String())
	assert.Equal(t, "At risk", AtRisk.Label())
	assert.Equal(t, "风险客户", AtRisk.Chinese())
	assert.Equal(t, "衰退期", AtRisk.Phase().Chinese())
	assert.Equal(t, "decline", Sleeping.Phase().String())
	assert.Equal(t, "获取期", New.Phase().Chinese())
	assert.Equal(t, "提升期", Reactivated.Phase().Chinese())
	assert.Equal(t, "成熟期", Mature.Phase().Chinese())
	assert.Equal(t, "离开期", Churned.Phase().Chinese())
	assert.Equal(t, "none", StageNone.String())
	assert.False(t, StageNone.Valid())
	assert.Equal(t, "Stage(42)", Stage(42).String())
	_, err := ParseStage("lost")
	assert.EqualError(t, err, `lifecycle: unknown stage "lost"`)
}

// ---- populations -------------------------------------------------------------

type purchase struct {
	customer string
	day      segkit.Day
}

func txnsOf(ps []purchase) []segkit.Transaction {
	out := make([]segkit.Transaction, len(ps))
	for i, p := range ps {
		out[i] = segkit.Transaction{Customer: p.customer, At: p.day.Time(time.UTC).Add(13 * time.Hour), Amount: 10}
	}
	return out
}

// randomPurchases draws customers with their own rhythms over two years.
func randomPurchases(n int, seed uint64) []purchase {
	rng := rand.New(rand.NewPCG(seed, 7))
	start := segkit.Date(2023, 1, 1)
	var out []purchase
	for i := range n {
		key := fmt.Sprintf("c%04d", i)
		d := start.AddDays(rng.IntN(700))
		gap := 3 + rng.IntN(60)
		life := rng.IntN(900)
		end := d.AddDays(life)
		for d <= end && d < start.AddDays(730) {
			out = append(out, purchase{key, d})
			d = d.AddDays(1 + int(rng.ExpFloat64()*float64(gap)))
			if rng.IntN(25) == 0 { // a long break
				d = d.AddDays(200 + rng.IntN(200))
			}
		}
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// TestStagesNoLookAhead: the stages as of a date from the full history equal
// those from only the transactions up to that date.
func TestStagesNoLookAhead(t *testing.T) {
	ps := randomPurchases(400, 1)
	prospects := []string{"p1", "p2"}
	full, err := NewHistories(slices.Values(txnsOf(ps)), slices.Values(prospects), nil)
	require.NoError(t, err)
	mbg := clv.MBGNBD{R: 0.5, Alpha: 20, A: 0.9, B: 1.6}
	for _, cfg := range []Config{DefaultConfig(), func() Config { c := DefaultConfig(); c.Family = Fixed; return c }(),
		func() Config { c := DefaultConfig(); c.Family = Model; c.PurchaseModel = mbg; return c }()} {
		for _, day := range []segkit.Day{segkit.Date(2023, 3, 1), segkit.Date(2023, 12, 31), segkit.Date(2024, 9, 15), segkit.Date(2025, 3, 1)} {
			var cut []purchase
			for _, p := range ps {
				if p.day <= day {
					cut = append(cut, p)
				}
			}
			past, err := NewHistories(slices.Values(txnsOf(cut)), slices.Values(prospects), nil)
			require.NoError(t, err)
			a, err := full.stages(day, cfg)
			require.NoError(t, err)
			b, err := past.stages(day, cfg)
			require.NoError(t, err)
			require.Equal(t, b.Assignments, a.Assignments, "%s as of %s", cfg.Family, day)
			assert.Equal(t, 0, b.Unknown)
			assert.Equal(t, full.Len()-len(prospects)-(len(a.Assignments)-len(prospects)), a.Unknown)
			for _, s := range AllStages() {
				n := 0
				for _, as := range a.Assignments {
					if as.Stage == s {
						n++
					}
				}
				assert.Equal(t, n, a.Count(s), "%s", s)
			}
			if cfg.Family == Rhythm && day > segkit.Date(2023, 6, 1) {
				assert.Positive(t, a.PopulationGapDays)
			}
		}
	}
}

func TestHistories(t *testing.T) {
	base := time.Date(2025, 1, 1, 23, 30, 0, 0, time.UTC)
	txns := []segkit.Transaction{
		{Customer: "b", At: base, Amount: 5},
		{Customer: "b", At: base.Add(time.Hour), Amount: 5}, // next day in UTC, same day in UTC-5
		{Customer: "a", At: base, Amount: 1},
		{Customer: "a", At: base, Amount: -1}, // refund: not a purchase
		{Customer: "c", At: base, Amount: -1}, // refund only
	}
	h, err := NewHistories(slices.Values(txns), slices.Values([]string{"z", "a"}), nil)
	require.NoError(t, err)
	assert.Equal(t, 3, h.Len())
	assert.Equal(t, 2, h.Refunds())
	d, ok := h.Days("b")
	require.True(t, ok)
	assert.Equal(t, []segkit.Day{segkit.Date(2025, 1, 1), segkit.Date(2025, 1, 2)}, d)
	ny := time.FixedZone("EST", -5*3600)
	h2, err := NewHistories(slices.Values(txns), nil, ny)
	require.NoError(t, err)
	d, _ = h2.Days("b")
	assert.Equal(t, []segkit.Day{segkit.Date(2025, 1, 1)}, d)
	assert.Equal(t, ny, h2.Location())
	_, ok = h.Days("c")
	assert.False(t, ok, "a customer with refunds only is not known")

	snap, err := h.stages(segkit.Date(2025, 1, 10), DefaultConfig())
	require.NoError(t, err)
	// Known customers whose first purchase is later are prospects before it;
	// unlisted ones do not exist yet.
	early, err := h.stages(segkit.Date(2024, 12, 31), DefaultConfig())
	require.NoError(t, err)
	assert.Equal(t, 1, early.Unknown, "b")
	a0, ok := early.Lookup("a")
	require.True(t, ok)
	assert.Equal(t, Prospect, a0.Stage)
	_, ok = early.Lookup("b")
	assert.False(t, ok)
	z, ok := snap.Lookup("z")
	require.True(t, ok)
	assert.Equal(t, Prospect, z.Stage)
	assert.Equal(t, "no purchase yet", z.Reason.String())
	a, _ := snap.Lookup("a")
	assert.Equal(t, New, a.Stage)
	_, ok = snap.Lookup("nobody")
	assert.False(t, ok)

	_, err = NewHistories(slices.Values([]segkit.Transaction{{Customer: "x", At: base, Amount: nan()}}), nil, nil)
	var te *segkit.TransactionError
	require.ErrorAs(t, err, &te)
	_, err = NewHistories(nil, slices.Values([]string{"ok", ""}), nil)
	assert.EqualError(t, err, "lifecycle: customer 1: empty customer key")
	_, err = h.stages(asOf, Config{Family: Rhythm})
	assert.ErrorContains(t, err, "RhythmMinPurchases")
}

func TestTransitions(t *testing.T) {
	d0 := segkit.Date(2025, 1, 1)
	var ps []purchase
	add := func(c string, offsets ...int) {
		for _, o := range offsets {
			ps = append(ps, purchase{c, d0.AddDays(o)})
		}
	}
	add("steady", 0, 30, 60, 90, 120, 150, 180, 210) // growing → mature
	add("fading", 0, 10, 20, 30)                     // churned → churned
	add("late", 150)                                 // unknown → sleeping (population rhythm)
	add("oneshot", 5)                                // sleeping → churned (population rhythm)
	add("back", 0, 20, 40, 60, 200)                  // at risk → reactivated
	from, to := d0.AddDays(120), d0.AddDays(215)
	h, err := NewHistories(slices.Values(txnsOf(ps)), slices.Values([]string{"prospect"}), nil)
	require.NoError(t, err)
	cfg := DefaultConfig()
	tr, err := h.transitions(from, to, cfg)
	require.NoError(t, err)
	a, _ := h.stages(from, cfg)
	b, _ := h.stages(to, cfg)
	// The matrix agrees with a naive count over both snapshots.
	keys := []string{"steady", "fading", "late", "oneshot", "back", "prospect"}
	var naive [numStages][numStages]int
	var moves []Move
	for _, k := range keys {
		x, _ := a.Lookup(k)
		y, _ := b.Lookup(k)
		naive[x.Stage][y.Stage]++
		if x.Stage != y.Stage {
			moves = append(moves, Move{Customer: k, From: x.Stage, To: y.Stage, Reason: y.Reason})
		}
	}
	slices.SortFunc(moves, func(p, q Move) int { return strings.Compare(p.Customer, q.Customer) })
	for f := range Stage(numStages) {
		for g := range Stage(numStages) {
			assert.Equal(t, naive[f][g], tr.Count(f, g), "%s → %s", f, g)
		}
	}
	assert.Equal(t, moves, tr.Moves)
	assert.Equal(t, 1, tr.Count(Prospect, Prospect))
	assert.Equal(t, 1, tr.Count(StageNone, Sleeping))
	st, _ := b.Lookup("back")
	assert.Equal(t, Reactivated, st.Stage, st.Reason.String())
	var buf bytes.Buffer
	require.NoError(t, tr.WriteTable(&buf))
	var moved strings.Builder
	for _, m := range tr.Moves {
		fmt.Fprintf(&moved, "%s: %s → %s (%s)\n", m.Customer, m.From, m.To, m.Reason)
	}
	golden(t, "transitions.golden", buf.String()+"\n"+moved.String())
	assert.Equal(t, buf.String(), tr.String())

	_, err = Compare(b, a)
	assert.ErrorContains(t, err, "is after the second")
	_, err = h.transitions(to, from, cfg)
	assert.ErrorContains(t, err, "is after to")
	_, err = Compare(nil, a)
	assert.Error(t, err)
}

// panicky is a host-supplied model with a bug.
type panicky struct{ clv.BGNBD }

func (panicky) PAlive(clv.Summary) float64 { panic("boom") }

// TestModelPanicBecomesError: a panicking host model makes Stages return an
// error, not panic.
func TestModelPanicBecomesError(t *testing.T) {
	asOf := segkit.Date(2025, 6, 30)
	h, err := NewHistories(nil, nil, nil)
	require.NoError(t, err)
	h2, err := NewHistories(slices.Values(txnsOf([]purchase{{"a", asOf.AddDays(-3)}})), nil, nil)
	require.NoError(t, err)
	cfg := DefaultConfig()
	cfg.Family = Model
	cfg.PurchaseModel = panicky{paperBG}
	_, err = h.stages(asOf, cfg)
	assert.NoError(t, err, "no customer, no call")
	_, err = h2.stages(asOf, cfg)
	assert.EqualError(t, err, "lifecycle: stages: internal error: boom")
}

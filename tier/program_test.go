package tier_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/segkit/segkit/tier"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseProgramPresets(t *testing.T) {
	for _, file := range []string{"testdata/hotel.json", "testdata/retail.json", "testdata/agent.json"} {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			p, err := tier.ParseProgram(data)
			require.NoError(t, err)
			e, err := tier.Compile(p)
			require.NoError(t, err)
			assert.Equal(t, len(p.Levels), e.Levels())
			// Round trip through JSON.
			out, err := p.MarshalIndent()
			require.NoError(t, err)
			q, err := tier.ParseProgram(out)
			require.NoError(t, err)
			assert.Equal(t, p, q)
		})
	}
}

// base is a valid program; each bad case edits it.
const baseProgram = `{
  "window": {"kind": "calendar_year"},
  "levels": [
    {"name": "Member"},
    {"name": "Silver", "entry": {"any": [{"metric": "nights", "min": 10}, {"metric": "stays", "min": 4}]}},
    {"name": "Gold", "entry": {"any": [{"metric": "nights", "min": 40}, {"metric": "stays", "min": 20}]},
     "retain": {"any": [{"metric": "nights", "min": 30}, {"metric": "stays", "min": 15}]}}
  ]
}`

func TestParseProgramRejectsBadInput(t *testing.T) {
	require.NoError(t, parseErr(baseProgram))
	tests := []struct {
		name  string
		old   string // replaced in baseProgram
		new   string
		level string // the level the message must name ("" for program-wide)
		field string
		msg   string
	}{
		{"duplicate level names", `{"name": "Gold"`, `{"name": "Silver"`, "Silver", "name", "duplicate level name (level 2 is \"Silver\")"},
		{"duplicate names differing in case", `{"name": "Gold"`, `{"name": "SILVER"`, "SILVER", "name", "duplicate level name"},
		{"thresholds that do not increase", `{"metric": "nights", "min": 40}`, `{"metric": "nights", "min": 10}`, "Gold", "entry.any[0].min",
			`nights threshold 10 does not increase over level "Silver" (10)`},
		{"thresholds that decrease", `{"metric": "stays", "min": 20}`, `{"metric": "stays", "min": 3}`, "Gold", "entry.any[1].min",
			`stays threshold 3 does not increase over level "Silver" (4)`},
		{"negative threshold", `{"metric": "stays", "min": 4}`, `{"metric": "stays", "min": -4}`, "Silver", "entry.any[1].min", "negative threshold -4"},
		{"retention above entry", `{"metric": "nights", "min": 30}`, `{"metric": "nights", "min": 45}`, "Gold", "retain.any[0].min",
			"retention nights threshold 45 is above the entry threshold 40"},
		{"unknown metric in entry", `{"metric": "stays", "min": 4}`, `{"metric": "stayz", "min": 4}`, "Silver", "entry.any[1].metric", `unknown metric "stayz"`},
		{"unknown metric in retention", `{"metric": "stays", "min": 15}`, `{"metric": "visits", "min": 15}`, "Gold", "retain.any[1].metric", `unknown metric "visits"`},
		{"window of zero months", `"window": {"kind": "calendar_year"}`, `"window": {"kind": "rolling", "months": 0}`, "", "window.months", "a rolling window of 0 months"},
		{"window of negative months", `"window": {"kind": "calendar_year"}`, `"window": {"kind": "rolling", "months": -3}`, "", "window.months", "-3 months"},
		{"unknown window kind", `"calendar_year"`, `"fortnight"`, "", "window.kind", `unknown kind "fortnight"`},
		{"months on a calendar window", `"window": {"kind": "calendar_year"}`, `"window": {"kind": "calendar_year", "months": 12}`, "", "window.months", "only rolling windows"},
		{"review of zero-dividing months", `"window": {"kind": "calendar_year"}`, `"window": {"kind": "calendar_year"}, "review": {"months": 5}`, "", "review.months", "do not divide the year"},
		{"base level with criteria", `{"name": "Member"}`, `{"name": "Member", "entry": {"metric": "nights", "min": 1}}`, "Member", "entry", "base level"},
		{"missing entry", `{"name": "Silver", "entry": {"any": [{"metric": "nights", "min": 10}, {"metric": "stays", "min": 4}]}}`, `{"name": "Silver"}`, "Silver", "entry", "missing entry criteria"},
		{"empty group", `{"any": [{"metric": "nights", "min": 10}, {"metric": "stays", "min": 4}]}`, `{"any": []}`, "Silver", "entry.any", "empty group"},
		{"leaf and group at once", `{"metric": "stays", "min": 4}`, `{"metric": "stays", "min": 4, "all": [{"metric": "nights", "min": 1}]}`, "Silver", "entry.any[1]", "exactly one of metric, any and all"},
		{"negative multiplier", `{"name": "Silver",`, `{"name": "Silver", "multiplier": -1,`, "Silver", "multiplier", "want 0 < multiplier"},
		{"nested benefit", `{"name": "Silver",`, `{"name": "Silver", "benefits": {"lounge": {"x": 1}},`, "Silver", "benefits.lounge", "numbers, strings or booleans"},
		{"unknown upgrade policy", `"window": {"kind": "calendar_year"}`, `"window": {"kind": "calendar_year"}, "upgrade": "sometimes"`, "", "upgrade", `unknown policy "sometimes"`},
		{"grace without days", `"window": {"kind": "calendar_year"}`, `"window": {"kind": "calendar_year"}, "downgrade": {"policy": "grace"}`, "", "downgrade.grace_days", "0 days"},
		{"validity months out of range", `"window": {"kind": "calendar_year"}`, `"window": {"kind": "calendar_year"}, "validity": {"kind": "months", "months": 0}`, "", "validity.months", "0 months"},
		{"lifetime of an unknown level", `"window": {"kind": "calendar_year"}`, `"window": {"kind": "calendar_year"}, "lifetime": [{"level": "Platinum", "years": 5}]`, "", "lifetime[0].level", `unknown level "Platinum"`},
		{"lifetime of zero years", `"window": {"kind": "calendar_year"}`, `"window": {"kind": "calendar_year"}, "lifetime": [{"level": "Gold", "years": 0}]`, "Gold", "lifetime[0].years", "0 years"},
		{"declared metric shadowing a built-in", `"window": {"kind": "calendar_year"}`, `"window": {"kind": "calendar_year"}, "metrics": ["spend"]`, "", "metrics[0]", "built in"},
		{"bad time zone", `"window": {"kind": "calendar_year"}`, `"window": {"kind": "calendar_year"}, "time_zone": "Mars/Olympus"`, "", "time_zone", "unknown time zone"},
		{"machine-local time zone", `"window": {"kind": "calendar_year"}`, `"window": {"kind": "calendar_year"}, "time_zone": "Local"`, "", "time_zone", "depends on the machine"},
		{"earn rule on a non-activity metric", `"window": {"kind": "calendar_year"}`, `"window": {"kind": "calendar_year"}, "points": {"rules": [{"name": "x", "metric": "orders", "bonus": 5}]}`, "", "points.rules[0].metric", "not earned on"},
		{"earn rule that earns nothing", `"window": {"kind": "calendar_year"}`, `"window": {"kind": "calendar_year"}, "points": {"rules": [{"name": "x"}]}`, "", "points.rules[0]", "earns nothing"},
		{"earn rule with a bad period", `"window": {"kind": "calendar_year"}`, `"window": {"kind": "calendar_year"}, "points": {"rules": [{"name": "x", "bonus": 1, "from": "2026-02-01", "to": "2026-01-01"}]}`, "", "points.rules[0].to", "before from"},
		{"negative expiry", `"window": {"kind": "calendar_year"}`, `"window": {"kind": "calendar_year"}, "points": {"expiry_days": -1}`, "", "points.expiry_days", "-1 days"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(baseProgram, tc.old, tc.new, 1)
			require.NotEqual(t, baseProgram, src, "the edit must apply")
			err := parseErr(src)
			require.Error(t, err)
			var pe *tier.ProgramError
			require.True(t, errors.As(err, &pe), "want a *ProgramError, got %v", err)
			var found bool
			for _, p := range pe.Problems {
				if p.Level == tc.level && p.Field == tc.field && strings.Contains(p.Msg, tc.msg) {
					found = true
				}
			}
			assert.True(t, found, "no problem with level %q field %q containing %q in %v", tc.level, tc.field, tc.msg, pe.Problems)
			if tc.level != "" {
				assert.Contains(t, err.Error(), `level "`+tc.level+`": `+tc.field+": ")
			} else {
				assert.Contains(t, err.Error(), tc.field+": ")
			}
			assert.True(t, strings.HasPrefix(err.Error(), "tier: "), err.Error())
		})
	}
}

func TestParseProgramIsStrict(t *testing.T) {
	tests := []struct{ name, src, msg string }{
		{"unknown field", strings.Replace(baseProgram, `"window"`, `"windw": 1, "window"`, 1), `unknown field "windw"`},
		{"unknown nested field", strings.Replace(baseProgram, `{"name": "Member"}`, `{"name": "Member", "colour": "blue"}`, 1), `unknown field "colour"`},
		{"trailing data", baseProgram + ` {}`, "data after the program object"},
		{"not an object", `[1, 2]`, "cannot unmarshal"},
		{"wrong type", strings.Replace(baseProgram, `"min": 10}`, `"min": "10"}`, 1), "cannot unmarshal"},
		{"empty", ``, "EOF"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := parseErr(tc.src)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
			assert.True(t, strings.HasPrefix(err.Error(), "tier: program json: "), err.Error())
		})
	}
}

func TestAllProblemsAreReported(t *testing.T) {
	src := `{"window": {"kind": "rolling"}, "levels": [{"name": "A"}, {"name": "A", "entry": {"metric": "nope", "min": -1}}]}`
	err := parseErr(src)
	var pe *tier.ProgramError
	require.True(t, errors.As(err, &pe))
	var fields []string
	for _, p := range pe.Problems {
		fields = append(fields, p.Field)
	}
	assert.ElementsMatch(t, []string{"window.months", "name", "entry.metric", "entry.min"}, fields)
}

func TestCompileCopiesTheProgram(t *testing.T) {
	p, err := tier.ParseProgram([]byte(baseProgram))
	require.NoError(t, err)
	e, err := tier.Compile(p)
	require.NoError(t, err)
	p.Levels[1].Name = "Changed"
	p.Levels[1].Entry.Any[0].Min = 1
	assert.Equal(t, "Silver", e.Name(1))
	assert.Equal(t, 10.0, e.Program().Levels[1].Entry.Any[0].Min)
	_, ok := e.Level("Changed")
	assert.False(t, ok)
}

func TestMustCompilePanicsOnInvalidPrograms(t *testing.T) {
	assert.Panics(t, func() { tier.MustCompile(tier.Program{}) })
	assert.NotPanics(t, func() {
		tier.MustCompile(tier.Program{Window: tier.Window{Kind: tier.CalendarYear}, Levels: []tier.LevelSpec{{Name: "Base"}}})
	})
}

func parseErr(src string) error {
	_, err := tier.ParseProgram([]byte(src))
	return err
}

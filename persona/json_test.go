package persona

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sampleJSON = `{"personas": [
  {"name": "student_jobseeker",
   "description": "College student looking for a job",
   "conditions": [{"rule": "has(\"undergrad\")", "weight": 3},
                  {"rule": "didWithin(\"job_fair\", \"30d\")", "weight": 2.5}],
   "min_score": 3,
   "priority": 10},
  {"name": "年轻妈妈",
   "conditions": [{"rule": "has(\"mother\")", "weight": 1}],
   "min_score": 1}
]}`

func TestParseDefinitions(t *testing.T) {
	defs, err := ParseDefinitions([]byte(sampleJSON))
	require.NoError(t, err)
	want := []Definition{
		{Name: "student_jobseeker", Description: "College student looking for a job",
			Conditions: []Condition{{`has("undergrad")`, 3}, {`didWithin("job_fair", "30d")`, 2.5}},
			MinScore:   3, Priority: 10},
		{Name: "年轻妈妈", Conditions: []Condition{{`has("mother")`, 1}}, MinScore: 1},
	}
	assert.Equal(t, want, defs)

	// round trip
	data, err := MarshalDefinitions(defs)
	require.NoError(t, err)
	again, err := ParseDefinitions(data)
	require.NoError(t, err)
	assert.Equal(t, defs, again)

	again, err = ReadDefinitions(strings.NewReader(sampleJSON))
	require.NoError(t, err)
	assert.Equal(t, defs, again)
}

func TestParseDefinitionsErrors(t *testing.T) {
	cond := `[{"rule": "has(\"a\")", "weight": 1}]`
	persona := func(fields string) string { return `{"personas": [{` + fields + `}]}` }
	tests := []struct {
		name string
		in   string
		want error
		msg  string
	}{
		{"empty input", ``, ErrSyntax, "1:1: invalid definitions: unexpected end of input"},
		{"object for array", `{"personas": {"name": "a"}}`, ErrSyntax, "personas: got JSON object, want array"},
		{"not an object", `[]`, ErrSyntax, "1:2: invalid definitions: document: got JSON array, want object"},
		{"truncated", `{"personas": [{"name": "a"`, ErrSyntax, "unexpected end of input"},
		{"syntax error", "{\"personas\": [\n  {\"name\": \"a\",, }]}", ErrSyntax, "2:16: invalid definitions: invalid character ','"},
		{"trailing data", `{"personas": []} {}`, ErrSyntax, "data after the document"},
		{"unknown key", `{"personas": [], "version": 2}`, ErrSyntax, `1:18: invalid definitions: unknown key "version" in document (want one of "personas")`},
		{"wrong case", persona(`"Name": "a", "conditions": ` + cond + `, "min_score": 1`), ErrSyntax, `unknown key "Name"`},
		{"misspelt", persona(`"name": "a", "conditions": ` + cond + `, "minscore": 1`), ErrSyntax, `unknown key "minscore" in personas (want one of "conditions", "description", "min_score", "name", "priority")`},
		{"unknown condition key", persona(`"name": "a", "conditions": [{"rule": "x", "weight": 1, "w": 2}], "min_score": 1`), ErrSyntax, `unknown key "w" in conditions`},
		{"duplicate key", persona(`"name": "a", "name": "b", "conditions": ` + cond + `, "min_score": 1`), ErrSyntax, `duplicate key "name"`},
		{"missing personas", `{}`, ErrSyntax, `missing "personas"`},
		{"missing name", persona(`"conditions": ` + cond + `, "min_score": 1`), ErrSyntax, `persona 0: invalid definitions: missing "name"`},
		{"missing min_score", persona(`"name": "a", "conditions": ` + cond), ErrSyntax, `persona 0 "a": invalid definitions: missing "min_score"`},
		{"missing conditions", persona(`"name": "a", "min_score": 1`), ErrSyntax, `missing "conditions"`},
		{"missing weight", persona(`"name": "a", "conditions": [{"rule": "x"}], "min_score": 1`), ErrSyntax, `persona 0 "a": condition 0: invalid definitions: missing "weight"`},
		{"missing rule", persona(`"name": "a", "conditions": [{"weight": 1}], "min_score": 1`), ErrSyntax, `condition 0: invalid definitions: missing "rule"`},
		{"weight is a string", persona(`"name": "a", "conditions": [{"rule": "x", "weight": "1"}], "min_score": 1`), ErrSyntax, "personas.conditions.weight: got JSON string, want number"},
		{"weight overflows", persona(`"name": "a", "conditions": [{"rule": "x", "weight": 1e400}], "min_score": 1`), ErrSyntax, "number 1e400"},
		{"fractional priority", persona(`"name": "a", "conditions": ` + cond + `, "min_score": 1, "priority": 1.5`), ErrSyntax, "got JSON number 1.5, want integer"},
		{"no personas", `{"personas": []}`, ErrNoPersonas, "no personas"},
		{"empty conditions", persona(`"name": "a", "conditions": [], "min_score": 1`), ErrNoConditions, `persona 0 "a": no conditions`},
		{"zero weight", persona(`"name": "a", "conditions": [{"rule": "x", "weight": 0}], "min_score": 1`), ErrInvalidWeight, "condition 0: invalid weight: weight is zero"},
		{"huge weight", persona(`"name": "a", "conditions": [{"rule": "x", "weight": 1e10}], "min_score": 1`), ErrInvalidWeight, "weight 1e+10 exceeds ±1e+09"},
		{"blank rule", persona(`"name": "a", "conditions": [{"rule": "  ", "weight": 1}], "min_score": 1`), ErrEmptyRule, "condition 0: empty rule"},
		{"empty name", persona(`"name": "", "conditions": ` + cond + `, "min_score": 1`), ErrInvalidName, "persona 0: invalid name: empty"},
		{"control char", persona(`"name": "a\tb", "conditions": ` + cond + `, "min_score": 1`), ErrInvalidName, "control character"},
		{"padded name", persona(`"name": " a", "conditions": ` + cond + `, "min_score": 1`), ErrInvalidName, "leading or trailing space"},
		{"duplicate names", `{"personas": [{"name": "a", "conditions": ` + cond + `, "min_score": 1}, {"name": "a", "conditions": ` + cond + `, "min_score": 1}]}`, ErrDuplicateName, `persona 1 "a": duplicate name: "a" is also persona 0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDefinitions([]byte(tt.in))
			require.Error(t, err)
			require.ErrorIs(t, err, tt.want, "%v", err)
			assert.Contains(t, err.Error(), tt.msg)
			assert.True(t, strings.HasPrefix(err.Error(), "persona: "), err.Error())
			var pe *Error
			require.True(t, errors.As(err, &pe))
		})
	}
}

func TestParseDefinitionsCollectsAllProblems(t *testing.T) {
	in := `{"personas": [
	  {"name": "a", "conditions": [{"rule": "", "weight": 0}], "min_score": 1},
	  {"name": "a", "conditions": [], "min_score": 1}]}`
	_, err := ParseDefinitions([]byte(in))
	var list ErrorList
	require.ErrorAs(t, err, &list)
	require.Len(t, list, 4)
	assert.ErrorIs(t, err, ErrEmptyRule)
	assert.ErrorIs(t, err, ErrInvalidWeight)
	assert.ErrorIs(t, err, ErrDuplicateName)
	assert.ErrorIs(t, err, ErrNoConditions)
	assert.Equal(t, 1, list[2].Index)
}

func TestValidateGoValues(t *testing.T) {
	// NaN and Inf cannot be written in JSON but can be built in Go.
	for _, w := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		errs := validateBasic([]Definition{{Name: "a", Conditions: []Condition{{"x", w}}, MinScore: 1}})
		require.Len(t, errs, 1)
		assert.ErrorIs(t, errs[0], ErrInvalidWeight)
		assert.Contains(t, errs[0].Error(), "is not a finite number")
		assert.Equal(t, 0, errs[0].Condition)
	}
	errs := validateBasic([]Definition{{Name: "a", Conditions: []Condition{{"x", 1}}, MinScore: math.NaN()}})
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0].Error(), `persona 0 "a": invalid weight: min_score NaN is not a finite number`)
	assert.Equal(t, -1, errs[0].Condition)
	_, err := MarshalDefinitions([]Definition{{Name: "a", Conditions: []Condition{{"x", math.NaN()}}}})
	assert.Error(t, err)
}

func FuzzParseDefinitions(f *testing.F) {
	f.Add([]byte(sampleJSON))
	f.Add([]byte(`{"personas": []}`))
	f.Add([]byte(`{"personas": [{"name": "a", "conditions": [{"rule": "x", "weight": -0.5}], "min_score": -1, "priority": -3}]}`))
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		defs, err := ParseDefinitions(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "persona: ") {
				t.Fatalf("error without package prefix: %v", err)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error is not a *persona.Error: %v", err)
			}
			return
		}
		if errs := validateBasic(defs); len(errs) > 0 {
			t.Fatalf("parsed definitions do not validate: %v", errs)
		}
		out, err := MarshalDefinitions(defs)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		again, err := ParseDefinitions(out)
		if err != nil {
			t.Fatalf("round trip: %v\n%s", err, out)
		}
		assert.Equal(t, defs, again)
	})
}

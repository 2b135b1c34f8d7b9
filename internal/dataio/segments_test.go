package dataio

import (
	"strings"
	"testing"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/segment"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadSegmentsBothForms(t *testing.T) {
	arr := `[{"name":"students","rule":"has(\"undergrad\")"},
 {"name":"recall","rule":"inSegment(\"students\")","description":"d"}]`
	obj := `{"version":1,"segments":[{"name":"students","rule":"has(\"undergrad\")"},
 {"name":"recall","rule":"inSegment(\"students\")","description":"d"}]}`
	for _, in := range []string{arr, obj, "\ufeff" + arr, `{"segments":` + arr + `}`} {
		defs, err := ReadSegments("s.json", strings.NewReader(in))
		require.NoError(t, err, in)
		require.Len(t, defs, 2)
		assert.Equal(t, "recall", defs[1].Name)
		assert.Equal(t, 2, defs[1].Line)
		assert.Equal(t, "d", defs[1].Description)
	}
}

func TestReadSegmentsReportsEveryProblem(t *testing.T) {
	in := `[
  {"name": "a", "rule": "has(\"x\")"},
  {"name": "b"},
  {"name": "c", "rule": "has(\"y\")", "colour": "red"},
  {"name": "a", "rule": "has(\"z\")"},
  {"name": "d", "rule": 3}
]`
	_, err := ReadSegments("segments.json", strings.NewReader(in))
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		"4 problems:",
		`segments.json:3: segment "b": missing "rule"`,
		`segments.json:4: segment "c": unknown field "colour"`,
		`segments.json:5: segment "a": defined twice (first on line 2)`,
		`segments.json:6: segment "d": field "rule": want a string, got a number`,
	} {
		assert.Contains(t, msg, want)
	}
}

func TestDefineSegmentsReportsEveryRule(t *testing.T) {
	in := `[
  {"name": "a", "rule": "age > \"old\""},
  {"name": "b", "rule": "has(\"x\") &&"},
  {"name": "c", "rule": "has(\"x\")"}
]`
	defs, err := ReadSegments("segments.json", strings.NewReader(in))
	require.NoError(t, err)
	opts := []segment.Option{segment.WithSchema([]bitmapindex.Attribute{{Name: "age", Kind: bitmapindex.KindInt}})}
	err = DefineSegments("segments.json", segment.NewRegistry(opts...), defs, opts...)
	require.Error(t, err)
	assert.True(t, IsRuleProblem(err))
	assert.Contains(t, err.Error(), `segments.json:2: segment "a": 1:5: cannot compare int attribute age with string "old"`)
	assert.Contains(t, err.Error(), `segments.json:3: segment "b":`)
}

func TestReadPersonasBothForms(t *testing.T) {
	one := `{"name": "宝妈", "min_score": 2, "conditions": [{"rule": "has(\"mother\")", "weight": 2}]}`
	for _, in := range []string{`{"personas": [` + one + `]}`, `[` + one + `]`, "\ufeff[\n" + one + "\n]"} {
		ds, err := ReadPersonas("p.json", strings.NewReader(in))
		require.NoError(t, err, in)
		require.Len(t, ds, 1)
		assert.Equal(t, "宝妈", ds[0].Name)
	}
	_, err := ReadPersonas("p.json", strings.NewReader("[\n"+`{"name": "x", "min_score": 1}`+"\n]"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "p.json: ")
	assert.Contains(t, err.Error(), `"conditions"`)
}

package dbload

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAsStrings(t *testing.T) {
	for in, want := range map[string][]string{
		`{}`:                        nil,
		`{a}`:                       {"a"},
		`{a,b}`:                     {"a", "b"},
		`{"a b","c,d",NULL,"NULL"}`: {"a b", "c,d", "NULL"},
		`{"q\"x","back\\slash"}`:    {`q"x`, `back\slash`},
		`["x","y"]`:                 {"x", "y"},
		`x, y ,,z`:                  {"x", "y", "z"},
		``:                          nil,
		`{北京,Zürich}`:               {"北京", "Zürich"},
	} {
		got, err := asStrings(in, ",", nil)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{`{a`, `{"a}`, `{{a}}`, `{"a"b}`, `[1,2]`} {
		_, err := asStrings(bad, ",", nil)
		assert.Error(t, err, bad)
	}
}

// FuzzArray: array text never panics; a literal written from parsed
// elements reads back as the same elements.
func FuzzArray(f *testing.F) {
	for _, s := range []string{`{a,"b c",NULL}`, `["x"]`, `a,b`, `{"\\"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := asStrings(s, ",", nil)
		if err != nil {
			return
		}
		lit := "{"
		for i, e := range got {
			if i > 0 {
				lit += ","
			}
			var q []byte
			for _, c := range []byte(e) {
				if c == '"' || c == '\\' {
					q = append(q, '\\')
				}
				q = append(q, c)
			}
			lit += `"` + string(q) + `"`
		}
		lit += "}"
		again, err := asStrings(lit, ",", nil)
		require.NoError(t, err, lit)
		assert.Equal(t, len(got), len(again))
		for i := range got {
			assert.Equal(t, got[i], again[i])
		}
	})
}

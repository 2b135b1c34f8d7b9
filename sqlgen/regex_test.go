package sqlgen

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var regexSamples = []string{"", "a", "A", "\n", "a\nb", "Beijing", "beijing", "北京", "K", "k", "\u212a", "ſ", "straße", "STRASSE", "abc123", "a_b", "x y", "é", "\x00", "\t", "ma", "math", "maths"}

// TestRE2Translation: the ClickHouse rewrite, read back by Go's regexp,
// matches exactly the strings the original matches (the rewrite's syntax is
// Go's too; the engines' agreement is checked against the real servers in
// the integration module).
func TestRE2Translation(t *testing.T) {
	for _, p := range []string{"^B.*g$", "(?i)ber", "a|o", `\bart`, "(?i)k", "^.{5}$", "^..$", "[[:upper:]]h", `\d|_`, "ß", "(?i)STRASSE|straße", "^[^aeiou]+$", "ma(th)?s?$", "h{2,}", `\pL{6}`, "^$", "(?s).", `(?m)^b$`, `x*?`, `[^\x00-\x{10FFFF}]`, `\Qa.b\E`, `(?U)a+`, `\B`, `a{0}`, `(a)|b{2,3}`} {
		tr, err := translateRegex(p, reRE2)
		require.NoError(t, err, p)
		orig, got := regexp.MustCompile(p), regexp.MustCompile(tr)
		for _, s := range regexSamples {
			assert.Equal(t, orig.MatchString(s), got.MatchString(s), "pattern %q rewritten %q on %q", p, tr, s)
		}
	}
}

func TestARERejects(t *testing.T) {
	for p, want := range map[string]string{
		"(?m)^a":   "multi-line anchors",
		"(?m)a$":   "multi-line anchors",
		"a{256}":   "counted repetition {256,256}",
		"a{1,300}": "counted repetition {1,300}",
	} {
		_, err := translateRegex(p, reARE)
		require.ErrorContains(t, err, want, p)
		_, err = translateRegex(p, reRE2)
		require.NoError(t, err, p)
	}
	_, err := translateRegex("(", reARE)
	require.ErrorContains(t, err, "bad regular expression")
}

// FuzzTranslateRegex: any pattern Go accepts is either rewritten for both
// engines or rejected with an error, never a panic; the RE2 rewrite, read
// by Go, matches what the original matches.
func FuzzTranslateRegex(f *testing.F) {
	for _, s := range []string{"^B.*g$", "(?i)k", `\pL+`, "a{2,5}|[^x]", "(?m)^$", `\b\B`, "."} {
		f.Add(s, "Beijing")
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		orig, err := regexp.Compile(pattern)
		if err != nil {
			_, err2 := translateRegex(pattern, reRE2)
			require.Error(t, err2)
			return
		}
		_, _ = translateRegex(pattern, reARE)
		tr, err := translateRegex(pattern, reRE2)
		require.NoError(t, err)
		got, err := regexp.Compile(tr)
		require.NoError(t, err, "rewrite %q of %q", tr, pattern)
		require.Equal(t, orig.MatchString(s), got.MatchString(s), "pattern %q rewritten %q on %q", pattern, tr, s)
	})
}

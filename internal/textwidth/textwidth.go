package textwidth

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// Width returns the display width of s: two columns for East Asian wide and
// fullwidth characters (CJK, kana, Hangul, fullwidth forms, emoji and
// pictographs such as ☕ and ⌚), none for combining marks, zero-width
// joiners, variation selectors and controls, one for everything else.
func Width(s string) int {
	w := 0
	for _, r := range s {
		w += runeWidth(r)
	}
	return w
}

// Pad returns s followed by spaces up to width columns (s itself when it is
// wider).
func Pad(s string, width int) string {
	n := width - Width(s)
	if n <= 0 {
		return s
	}
	b := make([]byte, 0, len(s)+n)
	b = append(b, s...)
	for range n {
		b = append(b, ' ')
	}
	return string(b)
}

// runeWidth is the rune's column count: the East Asian Width property from
// golang.org/x/text/width (Unicode's table, which counts emoji and the
// pictographic symbols of emoji presentation as wide), with combining and
// enclosing marks, format characters (zero-width joiner, variation
// selectors) and controls taking none.
func runeWidth(r rune) int {
	switch {
	case r == utf8.RuneError:
		return 1
	case r < 0x20 || r == 0x7F:
		return 0
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		return 0
	case r >= 0x1160 && r <= 0x11FF: // Hangul jungseong and jongseong join the preceding jamo
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

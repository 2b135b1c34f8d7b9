// Package textwidth measures how many terminal columns a string takes, so
// that plain-text tables line up when they hold Chinese, Japanese or Korean
// names (which take two columns a character).
package textwidth

import "unicode/utf8"

// Width returns the display width of s: two columns for East Asian wide and
// fullwidth characters, none for combining marks and zero-width joiners, one
// for everything else.
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

func runeWidth(r rune) int {
	switch {
	case r == utf8.RuneError:
		return 1
	case r == 0x200B || r == 0x200D || (r >= 0x0300 && r <= 0x036F) || (r >= 0xFE00 && r <= 0xFE0F):
		return 0
	case r >= 0x1100 && r <= 0x115F, // Hangul Jamo
		r >= 0x2E80 && r <= 0x303E, // CJK radicals, punctuation
		r >= 0x3041 && r <= 0x33FF, // kana, CJK symbols
		r >= 0x3400 && r <= 0x4DBF, // CJK extension A
		r >= 0x4E00 && r <= 0x9FFF, // CJK unified ideographs
		r >= 0xA000 && r <= 0xA4CF, // Yi
		r >= 0xAC00 && r <= 0xD7A3, // Hangul syllables
		r >= 0xF900 && r <= 0xFAFF, // CJK compatibility ideographs
		r >= 0xFE30 && r <= 0xFE4F, // CJK compatibility forms
		r >= 0xFF00 && r <= 0xFF60, // fullwidth forms
		r >= 0xFFE0 && r <= 0xFFE6,
		r >= 0x1F300 && r <= 0x1F64F, // emoji
		r >= 0x1F900 && r <= 0x1F9FF,
		r >= 0x20000 && r <= 0x3FFFD: // CJK extensions B…
		return 2
	}
	return 1
}

package dataio

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// MaxQuoted is the most bytes of a bad value an error message quotes: a
// 50 MB field is not echoed into a terminal.
const MaxQuoted = 100

// Quote returns s quoted for an error message, cut to MaxQuoted bytes (at a
// character boundary) with its full length noted when it was cut.
func Quote(s string) string {
	if len(s) <= MaxQuoted {
		return strconv.Quote(s)
	}
	cut := MaxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes)", strconv.Quote(s[:cut]), len(s))
}

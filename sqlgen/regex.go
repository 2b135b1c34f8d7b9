package sqlgen

import (
	"fmt"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode"
)

// Regular expressions in rules are Go's (RE2 syntax). They are parsed here
// with regexp/syntax and written out again from the syntax tree for each
// engine, so that nothing depends on how an engine reads a construct that
// looks the same:
//
//   - every character class (\d, [[:alpha:]], \pL, ., [^…], case-folded
//     letters) becomes an explicit list of code point ranges, so class
//     definitions and locales never matter;
//   - PostgreSQL (POSIX ARE): ^ and $ outside multi-line mode, \y for \b
//     (ARE's word characters are ASCII under COLLATE "C", as Go's are);
//     multi-line anchors and counted repetitions over 255 are rejected;
//   - ClickHouse (RE2, with the dot matching newlines): \A and \z anchors,
//     explicit classes for . so the newline rule is Go's.
//
// Greediness is dropped: it changes what a match spans, never whether a
// string matches.

type reFlavor uint8

const (
	reARE reFlavor = iota // PostgreSQL
	reRE2                 // ClickHouse
)

// translateRegex rewrites a Go regular expression for the engine, or
// returns an error naming the construct the engine cannot express
// identically.
func translateRegex(pattern string, fl reFlavor) (string, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", fmt.Errorf("bad regular expression %s: %v", strconv.Quote(pattern), err)
	}
	var b strings.Builder
	if err := emitRegex(&b, re, fl); err != nil {
		return "", err
	}
	return b.String(), nil
}

func emitRegex(b *strings.Builder, re *syntax.Regexp, fl reFlavor) error {
	switch re.Op {
	case syntax.OpNoMatch:
		emitNoMatch(b, fl)
	case syntax.OpEmptyMatch:
		b.WriteString("(?:)")
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 && hasFolds(r) {
				emitClass(b, foldRanges(r), fl)
				continue
			}
			emitClass(b, []rune{r, r}, fl)
		}
	case syntax.OpCharClass:
		emitClass(b, re.Rune, fl)
	case syntax.OpAnyCharNotNL:
		emitClass(b, []rune{0, '\n' - 1, '\n' + 1, unicode.MaxRune}, fl)
	case syntax.OpAnyChar:
		emitClass(b, []rune{0, unicode.MaxRune}, fl)
	case syntax.OpBeginLine, syntax.OpEndLine:
		if fl == reARE {
			return fmt.Errorf("multi-line anchors ((?m) with ^ or $) are not supported on PostgreSQL: its newline-sensitive mode differs from Go's")
		}
		if re.Op == syntax.OpBeginLine {
			b.WriteString("(?m:^)")
		} else {
			b.WriteString("(?m:$)")
		}
	case syntax.OpBeginText:
		if fl == reARE {
			b.WriteString("^")
		} else {
			b.WriteString(`\A`)
		}
	case syntax.OpEndText:
		if fl == reARE {
			b.WriteString("$")
		} else {
			b.WriteString(`\z`)
		}
	case syntax.OpWordBoundary:
		if fl == reARE {
			b.WriteString(`\y`)
		} else {
			b.WriteString(`\b`)
		}
	case syntax.OpNoWordBoundary:
		if fl == reARE {
			b.WriteString(`\Y`)
		} else {
			b.WriteString(`\B`)
		}
	case syntax.OpCapture:
		return emitGroup(b, re.Sub[0], fl)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest:
		if err := emitGroup(b, re.Sub[0], fl); err != nil {
			return err
		}
		b.WriteString(map[syntax.Op]string{syntax.OpStar: "*", syntax.OpPlus: "+", syntax.OpQuest: "?"}[re.Op])
	case syntax.OpRepeat:
		if fl == reARE && (re.Min > 255 || re.Max > 255) {
			return fmt.Errorf("counted repetition {%d,%d} is not supported on PostgreSQL (at most 255)", re.Min, re.Max)
		}
		if err := emitGroup(b, re.Sub[0], fl); err != nil {
			return err
		}
		switch {
		case re.Max < 0:
			fmt.Fprintf(b, "{%d,}", re.Min)
		case re.Max == re.Min:
			fmt.Fprintf(b, "{%d}", re.Min)
		default:
			fmt.Fprintf(b, "{%d,%d}", re.Min, re.Max)
		}
	case syntax.OpConcat:
		if len(re.Sub) == 0 {
			b.WriteString("(?:)")
		}
		for _, s := range re.Sub {
			if err := emitGroup(b, s, fl); err != nil {
				return err
			}
		}
	case syntax.OpAlternate:
		b.WriteString("(?:")
		for i, s := range re.Sub {
			if i > 0 {
				b.WriteByte('|')
			}
			if err := emitGroup(b, s, fl); err != nil {
				return err
			}
		}
		b.WriteString(")")
	default:
		return fmt.Errorf("regular expression construct %v is not supported", re.Op)
	}
	return nil
}

// emitGroup writes re as one atom: in a non-capturing group unless it is
// one already (a class, an anchor, an alternation).
func emitGroup(b *strings.Builder, re *syntax.Regexp, fl reFlavor) error {
	atomic := false
	switch re.Op {
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL, syntax.OpAlternate,
		syntax.OpBeginText, syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary,
		syntax.OpEmptyMatch, syntax.OpCapture:
		atomic = true
	case syntax.OpLiteral:
		atomic = len(re.Rune) == 1
	}
	if atomic {
		return emitRegex(b, re, fl)
	}
	b.WriteString("(?:")
	if err := emitRegex(b, re, fl); err != nil {
		return err
	}
	b.WriteString(")")
	return nil
}

func emitNoMatch(b *strings.Builder, fl reFlavor) {
	if fl == reARE {
		b.WriteString(`(?:\Z\u0001)`) // ARE: \Z is the end of the string; nothing follows it
	} else {
		b.WriteString(`[^\x00-\x{10FFFF}]`)
	}
}

func hasFolds(r rune) bool { return unicode.SimpleFold(r) != r }

// foldRanges returns the case-fold orbit of r as sorted single-rune ranges.
func foldRanges(r rune) []rune {
	orbit := []rune{r}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		orbit = append(orbit, f)
	}
	// sort (orbits are tiny)
	for i := 1; i < len(orbit); i++ {
		for j := i; j > 0 && orbit[j] < orbit[j-1]; j-- {
			orbit[j], orbit[j-1] = orbit[j-1], orbit[j]
		}
	}
	out := make([]rune, 0, 2*len(orbit))
	for _, o := range orbit {
		out = append(out, o, o)
	}
	return out
}

// emitClass writes a class of code point ranges (pairs lo, hi). Surrogates
// (never in valid text) are left out, and for PostgreSQL NUL too (text
// cannot hold it); a class left empty never matches.
func emitClass(b *strings.Builder, ranges []rune, fl reFlavor) {
	var rs []rune
	add := func(lo, hi rune) {
		if lo <= hi {
			rs = append(rs, lo, hi)
		}
	}
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		if fl == reARE && lo == 0 {
			lo = 1
		}
		if lo < 0xD800 && hi > 0xDFFF {
			add(lo, 0xD7FF)
			add(0xE000, hi)
			continue
		}
		if lo >= 0xD800 && lo <= 0xDFFF {
			lo = 0xE000
		}
		if hi >= 0xD800 && hi <= 0xDFFF {
			hi = 0xD7FF
		}
		add(lo, hi)
	}
	if len(rs) == 0 {
		emitNoMatch(b, fl)
		return
	}
	if len(rs) == 2 && rs[0] == rs[1] && isPlain(rs[0]) {
		b.WriteRune(rs[0])
		return
	}
	b.WriteByte('[')
	for i := 0; i < len(rs); i += 2 {
		emitRune(b, rs[i], fl)
		if rs[i+1] != rs[i] {
			b.WriteByte('-')
			emitRune(b, rs[i+1], fl)
		}
	}
	b.WriteByte(']')
}

// isPlain reports whether r stands for itself outside brackets in both
// syntaxes.
func isPlain(r rune) bool {
	return r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == ' ' || r == '_' || r == '-' || r == ',' || r == '@' || r == '#' || r == '%' || r == '&' || r == '=' || r == ':' || r == ';' || r == '<' || r == '>' || r == '!' || r == '~' || r == '/' || r == '"')
}

// emitRune writes a code point inside brackets: ASCII letters and digits as
// themselves, everything else as an escape.
func emitRune(b *strings.Builder, r rune, fl reFlavor) {
	if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
		b.WriteRune(r)
		return
	}
	if fl == reRE2 {
		fmt.Fprintf(b, `\x{%X}`, r)
		return
	}
	if r <= 0xFFFF {
		fmt.Fprintf(b, `\u%04X`, r)
		return
	}
	fmt.Fprintf(b, `\U%08X`, r)
}

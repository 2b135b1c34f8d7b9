package segment

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser/lexer"
)

// Bounds on untrusted rules before and around expr's parser (issue 14
// items 7 and 10).
//
// The rule's length is checked first (Limits.MaxRuleBytes), then its tokens
// are read one at a time, counting them and the bracket nesting, and the
// scan stops at the first limit exceeded: nothing proportional to an
// oversized rule is allocated. Only a rule within every limit is parsed.
// Compiling a rule allocates at most 100 bytes per byte of rule, rules under
// 8 KiB counting as 8 KiB (a list item costs about 700 bytes however short
// it is written, and Limits.MaxListItems bounds lists), tested by
// TestCompileMemoryLinear.

// minIntDigits is the magnitude of the smallest int64, which expr's parser
// cannot read as an integer (it exceeds the largest int64). prescan hands
// the parser a float literal of the same length in its place and remembers
// where; -9223372036854775808 then compiles to the smallest int64, and the
// literal without a minus is an error.
const (
	minIntDigits      = "9223372036854775808"
	minIntPlaceholder = "9.22337203685478e18" // as long as minIntDigits
)

// prescan bounds the input before expr's recursive-descent parser sees it
// and returns the text to parse: a bounded length, a bounded number of
// tokens and bracket nesting no deeper than MaxDepth.
func (c *compiler) prescan(src string) (string, bool) {
	lim := c.opts.limits
	if len(src) > lim.MaxRuleBytes {
		c.errorf(0, "rule is too long (%d bytes, more than the limit of %d)", len(src), lim.MaxRuleBytes)
		return "", false
	}
	maxTokens := 4*(lim.MaxNodes+lim.MaxListItems) + 64
	l := lexer.New()
	l.Reset(file.NewSource(src))
	depth := 0
	var minInts []int // rune offsets of minIntDigits
	for i := 0; ; i++ {
		t, err := l.Next()
		if err != nil {
			c.parseError(err)
			return "", false
		}
		if t.Kind == lexer.EOF {
			break
		}
		if i > maxTokens {
			c.errorf(t.From, "rule is too long (more than %d tokens)", maxTokens)
			return "", false
		}
		switch {
		case t.Kind == lexer.Number && t.Value == minIntDigits:
			minInts = append(minInts, t.From)
		case t.Kind != lexer.Bracket:
		case t.Value == "(" || t.Value == "[" || t.Value == "{":
			depth++
			if depth > lim.MaxDepth {
				c.errorf(t.From, "rule is nested deeper than %d levels", lim.MaxDepth)
				return "", false
			}
		default:
			depth--
		}
	}
	if len(minInts) == 0 {
		return src, true
	}
	c.minInts = map[int]bool{}
	var b strings.Builder
	last, r := 0, 0 // byte and rune offsets of the text copied so far
	for _, at := range minInts {
		c.minInts[at] = true
		i := last
		for r < at {
			_, w := utf8.DecodeRuneInString(src[i:])
			i += w
			r++
		}
		b.WriteString(src[last:i])
		b.WriteString(minIntPlaceholder)
		last, r = i+len(minIntDigits), r+len(minIntDigits)
	}
	b.WriteString(src[last:])
	return b.String(), true
}

// compileRegex compiles a matches pattern after bounding the size of its
// program (Limits.MaxRegexInsts), estimated from the parsed pattern before
// anything is expanded, so that a pattern of many alternatives or nested
// repetitions is an error instead of megabytes of program.
func compileRegex(pattern string, lim Limits) (*regexp.Regexp, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, err
	}
	if n := regexSize(re, int64(lim.MaxRegexInsts)+1); n > int64(lim.MaxRegexInsts) {
		return nil, fmt.Errorf("pattern too large (more than %d instructions, the limit)", lim.MaxRegexInsts)
	}
	return regexp.Compile(pattern)
}

// regexSize estimates the number of instructions re compiles to (repetitions
// expanded), stopping once it exceeds limit.
func regexSize(re *syntax.Regexp, limit int64) int64 {
	var n int64
	switch re.Op {
	case syntax.OpLiteral:
		n = int64(len(re.Rune))
	case syntax.OpRepeat:
		times := int64(max(re.Min, re.Max))
		if times < 1 {
			times = 1
		}
		n = regexSize(re.Sub[0], limit)
		if n > limit/times {
			return limit + 1
		}
		n *= times
	default:
		n = 1
		for _, s := range re.Sub {
			n += regexSize(s, limit) + 1
			if n > limit {
				return limit + 1
			}
		}
	}
	return min(n+1, limit+1)
}

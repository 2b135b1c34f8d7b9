package segment

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error is one problem in a rule, at a position in its source: a syntax
// error, a type error, an unknown function, a limit exceeded. Line and Column
// are 1-based; Column counts characters (runes), not bytes. An Error is an
// immutable value, safe to share.
type Error struct {
	Line, Column int
	// Msg describes the problem, without position.
	Msg string
	// Source is the whole rule text the position refers to.
	Source string
}

// Error renders "line:col: msg" followed by the offending source line and a
// caret under the column:
//
//	1:12: unknown attribute "citty" (did you mean "city"?)
//	 | has("vip") && citty == "Beijing"
//	 | ...........^
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(e.Line))
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(e.Column))
	b.WriteString(": ")
	b.WriteString(e.Msg)
	b.WriteString(e.Snippet())
	return b.String()
}

// Snippet returns the source line of the error and a caret line under its
// column, each prefixed with "\n | ", or "" when the line is empty or out of
// range. A line longer than snippetWidth characters is cut to the
// neighbourhood of the column, with "…" where text was left out, so that an
// error in a 40 KB rule does not echo the whole rule.
func (e *Error) Snippet() string {
	if e.Line < 1 {
		return ""
	}
	lines := strings.Split(e.Source, "\n")
	if e.Line > len(lines) {
		return ""
	}
	line := strings.TrimRight(lines[e.Line-1], "\r")
	if strings.TrimSpace(line) == "" {
		return ""
	}
	line = strings.ReplaceAll(line, "\t", " ")
	col := e.Column - 1
	n := utf8.RuneCountInString(line)
	if col > n {
		col = n
	}
	if col < 0 {
		col = 0
	}
	if n > snippetWidth {
		runes := []rune(line)
		from := max(0, col-snippetWidth/2)
		to := min(n, from+snippetWidth)
		from = max(0, to-snippetWidth)
		cut := string(runes[from:to])
		col -= from
		if from > 0 {
			cut = "…" + cut
			col++
		}
		if to < n {
			cut += "…"
		}
		line = cut
	}
	return "\n | " + line + "\n | " + strings.Repeat(".", col) + "^"
}

// snippetWidth is the most characters of a rule line an error quotes.
const snippetWidth = 100

// ErrorList is every problem found in a rule, ordered by position. Compile
// returns an ErrorList (never empty) when a rule does not compile; Eval,
// Count, Explain and Match return one for type errors found only at
// evaluation (rules compiled without a schema). Use errors.As to get it, or
// to get its first *Error.
type ErrorList []*Error

// Error renders every problem, prefixed with "segment: ".
func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "segment: no errors"
	case 1:
		return "segment: " + l[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "segment: %d problems in rule:", len(l))
	for _, e := range l {
		b.WriteByte('\n')
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the individual errors, so errors.As finds an *Error.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// sort orders the problems by position and drops repeats: the same
// message at the same place is reported once (an unknown attribute compared
// with four list items is one problem, not four).
func (l *ErrorList) sort() {
	sort.SliceStable(*l, func(i, j int) bool {
		if (*l)[i].Line != (*l)[j].Line {
			return (*l)[i].Line < (*l)[j].Line
		}
		return (*l)[i].Column < (*l)[j].Column
	})
	*l = slices.CompactFunc(*l, func(a, b *Error) bool {
		return a.Line == b.Line && a.Column == b.Column && a.Msg == b.Msg
	})
}

// Warning is a non-fatal observation about a rule against a particular view:
// a tag, event or category value that has no members there (often a typo).
// It is a plain value.
type Warning struct {
	Line, Column int
	Msg          string
}

// String renders "line:col: msg".
func (w Warning) String() string {
	return fmt.Sprintf("%d:%d: %s", w.Line, w.Column, w.Msg)
}

// Sentinel errors.
var (
	// ErrNotFound is returned (wrapped) when a Registry has no segment of the
	// given name.
	ErrNotFound = errors.New("segment: no such segment")
	// ErrNotFrozen is returned (wrapped) by Registry.Match for a static
	// segment whose members have not been frozen yet (evaluate or Freeze it
	// on a view first).
	ErrNotFrozen = errors.New("segment: static segment not frozen yet")
	// ErrNoResolver is returned (wrapped) when a rule that uses inSegment is
	// evaluated outside a Registry and was compiled without WithResolver.
	ErrNoResolver = errors.New("segment: inSegment needs a resolver (evaluate through a Registry or compile WithResolver)")
	// ErrMatchWork is returned by Registry.Match when matching a profile
	// would evaluate more rule nodes than Limits.MaxMatchWork.
	ErrMatchWork = errors.New("matching needs more work than the limit (Limits.MaxMatchWork)")
)

// CycleError is returned by Registry.Define when definitions would reference
// each other in a cycle. Path starts and ends with the same name. It is a
// plain value.
type CycleError struct {
	Path []string
}

func (e *CycleError) Error() string {
	return "segment: reference cycle " + strings.Join(e.Path, " → ")
}

// InUseError is returned by Registry.Delete for a segment that other
// segments reference; Referrers lists them, sorted. It is a plain value.
type InUseError struct {
	Name      string
	Referrers []string
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("segment: cannot delete %q: referenced by %s", e.Name, strings.Join(quoteAll(e.Referrers), ", "))
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

// positions converts rune offsets of a source into 1-based lines and
// columns.
type positions struct {
	src string
}

func (p positions) at(offset int) (line, col int) {
	line, col = 1, 1
	i := 0
	for _, r := range p.src {
		if i == offset {
			return
		}
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
		i++
	}
	return
}

func (p positions) errorAt(offset int, format string, args ...any) *Error {
	l, c := p.at(offset)
	return &Error{Line: l, Column: c, Msg: fmt.Sprintf(format, args...), Source: p.src}
}

package persona

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinel errors, matched with [errors.Is]. Most are returned wrapped in an
// [*Error] that says which persona and condition they are about.
var (
	// ErrInvalidName is returned when a persona name is empty, too long, not
	// valid UTF-8 or contains control characters.
	ErrInvalidName = errors.New("persona: invalid name")
	// ErrDuplicateName is returned when two personas share a name.
	ErrDuplicateName = errors.New("persona: duplicate name")
	// ErrNoConditions is returned for a persona without conditions.
	ErrNoConditions = errors.New("persona: no conditions")
	// ErrTooManyConditions is returned when a persona has more than
	// [MaxConditions] conditions.
	ErrTooManyConditions = errors.New("persona: too many conditions")
	// ErrInvalidWeight is returned for a weight (or minimum score) that is NaN,
	// infinite, zero (weights only), out of range, or finer than
	// [Config.Decimals] allows.
	ErrInvalidWeight = errors.New("persona: invalid weight")
	// ErrEmptyRule is returned for a condition whose rule is blank.
	ErrEmptyRule = errors.New("persona: empty rule")
	// ErrRule is returned (wrapped, with the rule compiler's error) when a
	// condition's rule does not compile.
	ErrRule = errors.New("persona: rule does not compile")
	// ErrNoPersonas is returned when a catalog would be empty.
	ErrNoPersonas = errors.New("persona: no personas")
	// ErrUnknownPersona is returned when a name is not in the catalog.
	ErrUnknownPersona = errors.New("persona: unknown persona")
	// ErrInvalidK is returned when a cluster count k is < 1 or larger than
	// the number of customers.
	ErrInvalidK = errors.New("persona: invalid k")
	// ErrInvalidConfig is returned for a configuration value out of range.
	ErrInvalidConfig = errors.New("persona: invalid config")
	// ErrInvalidInput is returned for malformed input records or features.
	ErrInvalidInput = errors.New("persona: invalid input")
	// ErrSyntax is returned (wrapped, with a line and column) when JSON
	// definitions are malformed.
	ErrSyntax = errors.New("persona: invalid definitions")
)

// Error describes a problem with one persona definition, one of its
// conditions, or the JSON text it came from. It is a plain value, safe to
// share.
type Error struct {
	// Persona is the persona's name ("" when it has none or the problem is
	// not about one persona).
	Persona string
	// Index is the persona's position in the definitions (0-based), −1 when
	// the problem is not about one persona.
	Index int
	// Condition is the condition's position in the persona (0-based), −1
	// when the problem is about the persona itself.
	Condition int
	// Line and Column locate the problem (1-based): inside the condition's
	// rule text for rule errors, inside the JSON text for syntax errors; 0
	// when unknown.
	Line, Column int
	// Err is the underlying error: one of the sentinels above, or, for a rule
	// that does not compile, the rule compiler's error (which also matches
	// [ErrRule]).
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("persona: ")
	if e.Index >= 0 {
		b.WriteString("persona ")
		b.WriteString(strconv.Itoa(e.Index))
		if e.Persona != "" {
			b.WriteString(" ")
			b.WriteString(strconv.Quote(e.Persona))
		}
		b.WriteString(": ")
	}
	if e.Condition >= 0 {
		fmt.Fprintf(&b, "condition %d: ", e.Condition)
	}
	var re *ruleError
	switch {
	case errors.As(e.Err, &re):
		b.WriteString("rule ")
		b.WriteString(re.msg)
	default:
		if e.Index < 0 && e.Line > 0 {
			fmt.Fprintf(&b, "%d:%d: ", e.Line, e.Column)
		}
		b.WriteString(strings.TrimPrefix(e.Err.Error(), "persona: "))
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// ruleError wraps the rule compiler's error so that it matches both ErrRule
// and the compiler's own error types; msg is its rendering with positions
// and caret snippets.
type ruleError struct {
	err error
	msg string
}

func (r *ruleError) Error() string   { return r.msg }
func (r *ruleError) Unwrap() []error { return []error{ErrRule, r.err} }

// ErrorList is every problem found in a set of definitions, in order. It is
// returned by [ParseDefinitions] and [Compile] when there is more than one
// problem; a single problem is returned as an [*Error]. It is safe to share
// once returned.
type ErrorList []*Error

func (l ErrorList) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap lets [errors.Is] and [errors.As] see every problem.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

func (l ErrorList) err() error {
	switch len(l) {
	case 0:
		return nil
	case 1:
		return l[0]
	}
	return l
}

func personaErr(i int, name string, cond int, err error) *Error {
	return &Error{Persona: name, Index: i, Condition: cond, Err: err}
}

package rfm

import (
	"errors"
	"fmt"
)

// ErrNoCustomers is returned by [Analyze] when no customer has a purchase on
// or before the analysis date: the input was empty, every transaction was
// dated after now, or every transaction was a refund.
var ErrNoCustomers = errors.New("rfm: no customers with a purchase on or before the analysis date")

// ErrNoCycles is returned by [Result.Loyalty] when the result was analysed
// without Config.Cycles, so the purchase cycles it needs were not kept.
var ErrNoCycles = errors.New("rfm: loyalty needs purchase cycles: analyse with Config.Cycles = true")

// SchemeError reports what is wrong with a segment scheme: which scheme,
// which rule (1-based; 0 for the scheme as a whole), and for schemes read from
// a file the line.
type SchemeError struct {
	Scheme string
	Rule   int    // 1-based rule number; 0 when the problem is not one rule's
	Name   string // the rule's segment name, when known
	Line   int    // line in the input (CSV cell maps); 0 when unknown
	Msg    string
}

func (e *SchemeError) Error() string {
	s := "rfm: scheme"
	if e.Scheme != "" {
		s += fmt.Sprintf(" %q", e.Scheme)
	}
	if e.Line > 0 {
		s += fmt.Sprintf(" line %d", e.Line)
	}
	if e.Rule > 0 {
		s += fmt.Sprintf(" rule %d", e.Rule)
		if e.Name != "" {
			s += fmt.Sprintf(" (%q)", e.Name)
		}
	}
	return s + ": " + e.Msg
}

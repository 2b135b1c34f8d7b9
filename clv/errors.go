package clv

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNoRepeatBuyers is returned (wrapped in a [*FitError]) when a model is
// fitted to data in which no customer made a repeat purchase: the
// likelihood then has no interior maximum (the dropout and spend parameters
// are not identified).
var ErrNoRepeatBuyers = errors.New("clv: no repeat buyers in the data")

// ErrNotConverged is returned (wrapped in a [*FitError]) when the optimiser
// stops before its convergence criterion is met, for example at the
// iteration limit. The FitError still carries the last parameters.
var ErrNotConverged = errors.New("clv: fit did not converge")

// ErrInvalidParams is returned when model parameters are not finite and
// positive (or, for a fit, when the optimiser ends at such parameters or at
// a non-finite log-likelihood).
var ErrInvalidParams = errors.New("clv: invalid model parameters")

// ErrNoData is returned when a function that needs at least one customer or
// transaction gets none.
var ErrNoData = errors.New("clv: no data")

// DataError reports a customer summary (one row of model input) that a
// model cannot use: a NaN or negative value, recency beyond T, a one-time
// buyer with a non-zero recency, a repeat buyer without a positive spend.
type DataError struct {
	Row      int    // index in the input slice, 0-based
	Customer string // Summary.Customer, may be empty
	Field    string // "frequency", "recency", "T", "monetary"
	Value    float64
	Reason   string
}

func (e *DataError) Error() string {
	who := fmt.Sprintf("row %d", e.Row)
	if e.Customer != "" {
		who += fmt.Sprintf(" (customer %q)", e.Customer)
	}
	return fmt.Sprintf("clv: %s: %s %v: %s", who, e.Field, e.Value, e.Reason)
}

// ParseError reports a line of an input file that cannot be parsed. Line is
// 1-based; Field names the column when one is at fault.
type ParseError struct {
	Line  int
	Field string
	Text  string // the offending text, truncated to 40 bytes
	Err   error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "clv: line %d", e.Line)
	if e.Field != "" {
		fmt.Fprintf(&b, ", field %s", e.Field)
	}
	if e.Text != "" {
		fmt.Fprintf(&b, " (%q)", e.Text)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }

// FitError reports a model fit that failed. Report holds the diagnostics of
// the run (the last parameters, log-likelihood, iterations, optimiser
// status); Err is one of [ErrNoRepeatBuyers], [ErrNotConverged],
// [ErrInvalidParams], [ErrNoData] or an optimiser error.
type FitError struct {
	Model  string
	Report FitReport
	Err    error
}

func (e *FitError) Error() string {
	msg := strings.TrimPrefix(e.Err.Error(), "clv: ")
	if e.Report.Iterations == 0 && e.Report.Evaluations == 0 {
		return fmt.Sprintf("clv: %s fit: %s", e.Model, msg)
	}
	return fmt.Sprintf("clv: %s fit: %s (%s)", e.Model, msg, e.Report.diagnostics())
}

func (e *FitError) Unwrap() error { return e.Err }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// guard turns a panic during a computation on user input (for example in a
// host-supplied PurchaseModel, or a numerical routine fed extreme values)
// into an error, so that the package never panics on its callers.
func guard(err *error, what string) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("clv: %s: internal error: %v", what, r)
	}
}

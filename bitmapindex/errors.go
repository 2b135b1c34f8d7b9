package bitmapindex

import (
	"errors"
	"fmt"
)

// Sentinel errors. Errors returned by this package wrap them where it helps
// callers decide what to do; test with errors.Is.
var (
	// ErrUnknownAttribute is returned when a query names an attribute the
	// schema does not declare.
	ErrUnknownAttribute = errors.New("bitmapindex: unknown attribute")
	// ErrCommitted is returned by Batch.Commit when the batch was committed
	// before.
	ErrCommitted = errors.New("bitmapindex: batch already committed")
	// ErrCorrupt is returned when a snapshot or a serialized set is truncated,
	// corrupted or inconsistent.
	ErrCorrupt = errors.New("bitmapindex: corrupt data")
	// ErrIDsExhausted is returned (wrapped in a *BatchError) by a write
	// that needs a new customer ID when the index has assigned every ID
	// (IDs are never reused; a snapshot keeps the count).
	ErrIDsExhausted = errors.New("bitmapindex: no customer IDs left")
)

// KindError is returned when a value of one kind is written to, or compared
// with, an attribute of another kind, or written to an attribute that a
// strict schema does not declare (Declared is then KindInvalid). Nothing is
// written when it is returned. It is a plain value.
type KindError struct {
	Attr     string
	Declared Kind // the attribute's kind; KindInvalid when not declared
	Got      Kind // the kind of the value given
	Op       string
}

func (e *KindError) Error() string {
	what := "value"
	if e.Op != "" {
		what = e.Op + " value"
	}
	if e.Declared == KindInvalid {
		return fmt.Sprintf("bitmapindex: attribute %q is not declared (strict schema); %s is %s", e.Attr, what, e.Got)
	}
	return fmt.Sprintf("bitmapindex: attribute %q is %s; %s is %s", e.Attr, e.Declared, what, e.Got)
}

// BatchError is returned by Batch.Commit (and by the single-write methods of
// Index, which are one-write batches) when a write is invalid. Pos is the
// write's zero-based position in the batch. Nothing of the batch is applied.
// It is a plain value.
type BatchError struct {
	Pos   int
	Op    string // "add", "delete", "tag", "untag", "set", "clear", "record"
	Key   string
	Field string // tag, attribute or event name
	Err   error
}

func (e *BatchError) Error() string {
	return fmt.Sprintf("bitmapindex: batch write %d (%s key %q %q): %v", e.Pos, e.Op, e.Key, e.Field, trimPrefix(e.Err))
}

func (e *BatchError) Unwrap() error { return e.Err }

func trimPrefix(err error) string {
	s := err.Error()
	const p = "bitmapindex: "
	if len(s) > len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}

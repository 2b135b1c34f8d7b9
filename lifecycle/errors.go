package lifecycle

import (
	"fmt"
)

// EventError reports an event that cannot be used, by its position in the
// input sequence (0-based) and its customer.
type EventError struct {
	Pos      int
	Customer string
	Name     string
	Reason   string
}

func (e *EventError) Error() string {
	return fmt.Sprintf("lifecycle: event %d (customer %q, %q): %s", e.Pos, e.Customer, e.Name, e.Reason)
}

// guard turns a panic during a computation on user input (for example in a
// host-supplied PurchaseModel, or a numerical routine fed extreme values)
// into an error, so that the package never panics on its callers.
func guard(err *error, what string) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("lifecycle: %s: internal error: %v", what, r)
	}
}

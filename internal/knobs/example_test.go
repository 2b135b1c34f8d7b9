package knobs_test

import (
	"fmt"

	"github.com/segkit/segkit/internal/knobs"
)

// A test makes stripes of 32 IDs, so that an index of a few hundred
// customers has several, and restores the production width after.
func Example() {
	old := knobs.StripeBits
	knobs.StripeBits = 5
	defer func() { knobs.StripeBits = old }()
	fmt.Println("IDs a stripe:", 1<<knobs.StripeBits, "instead of", 1<<old)
	// Output: IDs a stripe: 32 instead of 4194304
}

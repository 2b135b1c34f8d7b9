//go:build !unix

package tier_test

import "time"

func processCPU() (time.Duration, bool) { return 0, false }

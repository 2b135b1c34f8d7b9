//go:build !unix

package retention

import "time"

func processCPU() (time.Duration, bool) { return 0, false }

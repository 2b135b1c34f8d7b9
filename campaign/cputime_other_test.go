//go:build !unix

package campaign

import "time"

func processCPU() (time.Duration, bool) { return 0, false }

//go:build !unix

package sqlgen

import "time"

func processCPU() (time.Duration, bool) { return 0, false }

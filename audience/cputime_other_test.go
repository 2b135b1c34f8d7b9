//go:build !unix

package audience

import "time"

func processCPU() (time.Duration, bool) { return 0, false }

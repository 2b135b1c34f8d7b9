//go:build !unix

package rfm

func cpuSeconds() float64 { return 0 }

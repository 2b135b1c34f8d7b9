//go:build !unix

package persona

func processCPU() int64 { return 0 }

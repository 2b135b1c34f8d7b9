// Package scale holds the by-hand runs at the scale of hundreds of millions
// of customers (issue 21 item 6): build an index from the synth generator,
// measure its resident memory, save and load its snapshot, and time the
// headline rules on it. It has no code of its own, only tests that run
// when asked:
//
//	SEGKIT_BENCH_100M=1 go test -run TestScale -timeout 2h -v ./internal/scale/
//
// SEGKIT_SCALE_N sets another population size (for instance 10000000 to
// try the run first at 10M), SEGKIT_SCALE_DIR the directory of the
// snapshot (default: a temporary directory, removed afterwards; the 100M
// snapshot takes about 12 GB, and the run about 11 minutes and 20 GiB: set
// GOMEMLIMIT=20GiB on a 24 GiB machine). A snapshot kept that way can be
// timed again, or profiled, without building it (TestScaleRules), and its
// tag rules timed with GOMAXPROCS 1 and 2 (TestScaleCores: a rule of tags
// is evaluated stripe by stripe on every core):
//
//	GOMEMLIMIT=20GiB SEGKIT_SCALE_SNAPSHOT=/tmp/s100/scale-100000000.segkit go test -run 'TestScaleRules|TestScaleCores' -v ./internal/scale/
package scale

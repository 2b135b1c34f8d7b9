package compare

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"
)

// Timing holds the measured durations of one rule on one engine. Scale
// multiplies them when the engine evaluated a sample of the population
// (extrapolation); it is 1 otherwise. A Timing is a plain value.
type Timing struct {
	Runs  []time.Duration // ascending
	Scale float64
}

func newTiming(runs []time.Duration, scale float64) Timing {
	r := slices.Clone(runs)
	slices.Sort(r)
	if scale <= 0 {
		scale = 1
	}
	return Timing{Runs: r, Scale: scale}
}

// Valid reports whether there is at least one run.
func (t Timing) Valid() bool { return len(t.Runs) > 0 }

// Quantile returns the q-quantile (0 ≤ q ≤ 1) by the nearest-rank method,
// scaled.
func (t Timing) Quantile(q float64) time.Duration {
	if len(t.Runs) == 0 {
		return 0
	}
	k := int(q*float64(len(t.Runs)-1) + 0.5)
	return time.Duration(float64(t.Runs[k]) * t.Scale)
}

// Median returns the median run, scaled (the mean of the two middle runs
// for an even number).
func (t Timing) Median() time.Duration {
	n := len(t.Runs)
	if n == 0 {
		return 0
	}
	m := t.Runs[n/2]
	if n%2 == 0 {
		m = (t.Runs[n/2-1] + t.Runs[n/2]) / 2
	}
	return time.Duration(float64(m) * t.Scale)
}

// Min and Max return the extreme runs, scaled.
func (t Timing) Min() time.Duration { return t.Quantile(0) }
func (t Timing) Max() time.Duration { return t.Quantile(1) }

// fmtMs formats a duration in milliseconds with three significant digits.
func fmtMs(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms >= 100:
		return fmt.Sprintf("%.0f", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1f", ms)
	case ms >= 1:
		return fmt.Sprintf("%.2f", ms)
	case ms >= 0.1:
		return fmt.Sprintf("%.3f", ms)
	}
	return fmt.Sprintf("%.4f", ms)
}

// fmtRatio formats a/b: two significant digits from 0.1 up, and as the
// fraction 1/x below (1/435: a took 435 times less time than b).
func fmtRatio(a, b time.Duration) string {
	if b <= 0 || a <= 0 {
		return "–"
	}
	r := float64(a) / float64(b)
	switch {
	case r >= 10:
		return fmt.Sprintf("%.0f", r)
	case r >= 1:
		return fmt.Sprintf("%.1f", r)
	case r >= 0.1:
		return fmt.Sprintf("%.2f", r)
	}
	inv := 1 / r
	if inv >= 1000 {
		// three significant digits
		p := math.Pow(10, math.Floor(math.Log10(inv))-2)
		inv = math.Round(inv/p) * p
	}
	return fmt.Sprintf("1/%.0f", inv)
}

func fmtBytes(n int64) string {
	const mib = 1 << 20
	switch {
	case n >= 10<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= mib:
		return fmt.Sprintf("%.0f MiB", float64(n)/mib)
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// fmtCount formats an integer with thousands separators.
func fmtCount(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Machine describes the machine a run happens on, from /proc where
// available.
type Machine struct {
	CPU      string
	Cores    int
	MemTotal string
	OS, Arch string
	Go       string
}

// ThisMachine reads the description of the current machine.
func ThisMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH, Go: runtime.Version(), CPU: "unknown", MemTotal: "unknown"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				var kb int64
				if _, err := fmt.Sscan(strings.TrimSpace(v), &kb); err == nil {
					m.MemTotal = fmtBytes(kb << 10)
				}
			}
		}
	}
	return m
}

func (m Machine) String() string {
	return fmt.Sprintf("%s, %d cores, %s RAM, %s/%s, %s", m.CPU, m.Cores, m.MemTotal, m.OS, m.Arch, m.Go)
}

// LoadAverage returns /proc/loadavg's first three fields ("" when unknown).
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// settledRSS returns the process's resident set size in bytes after
// returning the Go heap's free memory to the OS (0 when unknown).
func settledRSS() int64 {
	debug.FreeOSMemory()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int64
			if _, err := fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb); err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

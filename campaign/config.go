package campaign

import (
	"fmt"
	"math"
)

// Config holds the fixed knobs of the segment checks and of the analysis of
// results. It is a plain value, safe to copy and share. Use [DefaultConfig]
// and change what you need; each field says what its zero value means.
type Config struct {
	// MinSize is the smallest segment size [Overlap] accepts without a
	// [TooSmall] warning. Zero or negative disables the check.
	MinSize int
	// NearDuplicate is the Jaccard index above which [Overlap] warns that two
	// segments are nearly identical ([NearlyIdentical]). It must be in
	// [0, 1]; zero disables the check (a threshold of zero would flag every
	// pair that shares a customer).
	NearDuplicate float64
	// Level is the confidence level of every interval, in (0, 1). Zero means
	// 0.95.
	Level float64
}

// DefaultConfig returns MinSize 100, NearDuplicate 0.9 and Level 0.95.
func DefaultConfig() Config {
	return Config{MinSize: 100, NearDuplicate: 0.9, Level: 0.95}
}

func (c Config) validate() error {
	if math.IsNaN(c.NearDuplicate) || c.NearDuplicate < 0 || c.NearDuplicate > 1 {
		return fmt.Errorf("%w: NearDuplicate %v is not in [0, 1]", ErrConfig, c.NearDuplicate)
	}
	if c.Level != 0 && !(c.Level > 0 && c.Level < 1) {
		return fmt.Errorf("%w: Level %v is not in (0, 1)", ErrConfig, c.Level)
	}
	return nil
}

func (c Config) level() float64 {
	if c.Level == 0 {
		return 0.95
	}
	return c.Level
}

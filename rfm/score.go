package rfm

import "fmt"

// Score is a customer's recency, frequency and monetary scores, each 1..n
// with n the number of bins (at most [MaxBins]); higher is better in every
// dimension, so R = n is the most recent. Score is a small comparable value:
// use it as a map key or compare it with ==. The zero Score is invalid (no
// score assigned); see [Score.IsValid].
type Score struct {
	R, F, M uint8
}

// IsValid reports whether every dimension holds a score 1..9.
func (s Score) IsValid() bool {
	return s.R >= 1 && s.R <= MaxBins && s.F >= 1 && s.F <= MaxBins && s.M >= 1 && s.M <= MaxBins
}

// String returns the three digits "RFM", e.g. "343"; the zero Score is "000".
func (s Score) String() string {
	if s.R > 9 || s.F > 9 || s.M > 9 {
		return fmt.Sprintf("%d-%d-%d", s.R, s.F, s.M)
	}
	return string([]byte{'0' + s.R, '0' + s.F, '0' + s.M})
}

// Int returns the score as the number R·100 + F·10 + M (343), as R's rfm
// package reports it.
func (s Score) Int() int { return int(s.R)*100 + int(s.F)*10 + int(s.M) }

// ParseScore parses three digits 1..9 ("343") into a Score.
func ParseScore(s string) (Score, error) {
	if len(s) != 3 {
		return Score{}, fmt.Errorf("rfm: parse score %q: want three digits 1-9", s)
	}
	var d [3]uint8
	for i := range 3 {
		c := s[i]
		if c < '1' || c > '9' {
			return Score{}, fmt.Errorf("rfm: parse score %q: want three digits 1-9", s)
		}
		d[i] = c - '0'
	}
	return Score{R: d[0], F: d[1], M: d[2]}, nil
}

// MarshalText implements encoding.TextMarshaler ("343").
func (s Score) MarshalText() ([]byte, error) {
	if !s.IsValid() {
		return nil, fmt.Errorf("rfm: marshal score %v: not a valid score", [3]uint8{s.R, s.F, s.M})
	}
	return []byte(s.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler, accepting what
// [ParseScore] accepts.
func (s *Score) UnmarshalText(b []byte) error {
	v, err := ParseScore(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

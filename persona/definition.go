package persona

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on definitions. They keep every score an exact 64-bit fixed-point
// number.
const (
	// MaxConditions is the most conditions one persona may have.
	MaxConditions = 64
	// MaxWeight is the largest absolute condition weight.
	MaxWeight = 1e9
	// MaxMinScore is the largest absolute minimum score.
	MaxMinScore = 1e12
	// MaxDecimals is the largest [Config.Decimals].
	MaxDecimals = 6
	// MaxNameLen is the longest persona name, in bytes.
	MaxNameLen = 200
)

// Definition is one persona: a virtual customer described by weighted
// conditions. A customer's score for the persona is the sum of the weights of
// the conditions it satisfies; it qualifies when the score is at least
// MinScore. Definitions are plain data (JSON-loadable with
// [ParseDefinitions]); [Compile] turns a list of them into a [Catalog].
// A Definition is a plain value, safe to copy.
type Definition struct {
	// Name identifies the persona; it is the value written to the index's
	// persona attribute. Non-empty, valid UTF-8, no control characters, at
	// most MaxNameLen bytes, unique within a catalog.
	Name string `json:"name"`
	// Description is free text for people ("college student looking for a
	// job").
	Description string `json:"description,omitempty"`
	// Conditions are the weighted rules; 1 to MaxConditions of them.
	Conditions []Condition `json:"conditions"`
	// MinScore is the score a customer needs to qualify. It may be zero or
	// negative, in which case customers satisfying no condition qualify too.
	MinScore float64 `json:"min_score"`
	// Priority breaks ties: when a customer's best score is reached by several
	// personas, the one with the higher Priority wins, then the one whose
	// Name sorts first (byte order).
	Priority int `json:"priority,omitempty"`
}

// Condition is one weighted rule of a persona. The rule is written in the
// segment rule language (package segment); the weight is added to the score
// of every customer the rule selects. A Condition is a plain value.
type Condition struct {
	// Rule is the segment rule, for example `has("undergrad") && age < 25`.
	Rule string `json:"rule"`
	// Weight is finite, non-zero, at most MaxWeight in absolute value, with
	// at most Config.Decimals digits after the decimal point. Negative
	// weights penalise a trait.
	Weight float64 `json:"weight"`
}

// validateBasic checks everything that does not depend on the configuration
// or the rule compiler.
func validateBasic(defs []Definition) ErrorList {
	var errs ErrorList
	if len(defs) == 0 {
		return ErrorList{{Index: -1, Condition: -1, Err: ErrNoPersonas}}
	}
	seen := make(map[string]int, len(defs))
	for i, d := range defs {
		add := func(cond int, err error) { errs = append(errs, personaErr(i, d.Name, cond, err)) }
		if err := checkName(d.Name); err != nil {
			add(-1, err)
		} else if j, dup := seen[d.Name]; dup {
			add(-1, fmt.Errorf("%w: %q is also persona %d", ErrDuplicateName, d.Name, j))
		} else {
			seen[d.Name] = i
		}
		switch {
		case len(d.Conditions) == 0:
			add(-1, ErrNoConditions)
		case len(d.Conditions) > MaxConditions:
			add(-1, fmt.Errorf("%w: %d, at most %d", ErrTooManyConditions, len(d.Conditions), MaxConditions))
		}
		if err := checkNumber("min_score", d.MinScore, MaxMinScore); err != nil {
			add(-1, err)
		}
		for j, c := range d.Conditions {
			if strings.TrimSpace(c.Rule) == "" {
				add(j, ErrEmptyRule)
			}
			if err := checkNumber("weight", c.Weight, MaxWeight); err != nil {
				add(j, err)
			} else if c.Weight == 0 {
				add(j, fmt.Errorf("%w: weight is zero", ErrInvalidWeight))
			}
		}
	}
	return errs
}

func checkName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", ErrInvalidName)
	case len(name) > MaxNameLen:
		return fmt.Errorf("%w: %d bytes, at most %d", ErrInvalidName, len(name), MaxNameLen)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalidName, name)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return fmt.Errorf("%w: %q contains a control character", ErrInvalidName, name)
	case strings.TrimSpace(name) != name:
		return fmt.Errorf("%w: %q has leading or trailing space", ErrInvalidName, name)
	}
	return nil
}

func checkNumber(what string, v, limit float64) error {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Errorf("%w: %s %v is not a finite number", ErrInvalidWeight, what, v)
	case math.Abs(v) > limit:
		return fmt.Errorf("%w: %s %v exceeds ±%g", ErrInvalidWeight, what, v, limit)
	}
	return nil
}

// decimalRat is v's shortest decimal representation as an exact rational:
// 0.1 is 1/10, not the binary float nearest to it.
func decimalRat(v float64) *big.Rat {
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(v, 'f', -1, 64))
	if !ok { // unreachable for finite v
		r = new(big.Rat).SetFloat64(v)
	}
	return r
}

// fixedUnits converts a weight to an integer count of 10^-decimals, exactly;
// ok is false when the weight has more decimal places than that.
func fixedUnits(v float64, decimals int) (int64, bool) {
	r := decimalRat(v)
	r.Mul(r, new(big.Rat).SetInt(pow10(decimals)))
	if !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	return r.Num().Int64(), true
}

// ceilUnits returns ⌈v·10^decimals / g⌉ clamped to [lo, hi]: the smallest
// score (in units of g·10^-decimals) that is ≥ v.
func ceilUnits(v float64, decimals int, g, lo, hi int64) int64 {
	r := decimalRat(v)
	r.Mul(r, new(big.Rat).SetFrac(pow10(decimals), big.NewInt(g)))
	q, m := new(big.Int).DivMod(r.Num(), r.Denom(), new(big.Int)) // Euclidean: q = floor for a positive denominator
	if m.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	switch {
	case q.Cmp(big.NewInt(lo)) < 0:
		return lo
	case q.Cmp(big.NewInt(hi)) > 0:
		return hi
	}
	return q.Int64()
}

func pow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

package persona

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/segkit/segkit/segment"
)

// Config configures [Compile]. It is a plain value.
type Config struct {
	// Decimals is the number of digits after the decimal point a weight may
	// have, 0..MaxDecimals; a weight with more is an error, never rounded.
	// Scores are exact sums in that fixed-point precision, so the index and
	// profile evaluators agree on every comparison and 0.7 + 0.1 reaches a
	// minimum of 0.8. The zero value allows integer weights only;
	// DefaultConfig allows 3 decimals.
	Decimals int
	// Rules are passed to segment.Compile for every condition: a schema for
	// compile-time type checks, limits, a resolver for inSegment.
	Rules []segment.Option
}

// DefaultConfig returns 3 decimals and no rule options.
func DefaultConfig() Config { return Config{Decimals: 3} }

// Catalog is a compiled, immutable set of personas: compile once, assign
// many times. It is safe for concurrent use by multiple goroutines.
type Catalog struct {
	defs   []Definition
	sc     *scoring
	rules  [][]*segment.Rule // per persona, per condition
	srcs   []string          // distinct rule sources
	srcOf  [][]int           // per persona, per condition: index into srcs
	byName map[string]int
}

// Compile validates the definitions (names, weights, minimum scores, see
// [Definition]) and compiles every condition's rule. All problems are
// reported, as an [*Error] or an [ErrorList]; a rule that does not compile
// yields an Error naming the persona and condition, with the line and column
// in the rule, matching [ErrRule] and wrapping the rule compiler's error
// (errors.As finds segment.ErrorList).
func Compile(defs []Definition, cfg Config) (*Catalog, error) {
	if cfg.Decimals < 0 || cfg.Decimals > MaxDecimals {
		return nil, fmt.Errorf("%w: decimals %d, want 0..%d", ErrInvalidConfig, cfg.Decimals, MaxDecimals)
	}
	errs := validateBasic(defs)
	if len(errs) > 0 {
		return nil, errs.err()
	}
	c := &Catalog{
		defs:   cloneDefs(defs),
		rules:  make([][]*segment.Rule, len(defs)),
		srcOf:  make([][]int, len(defs)),
		byName: make(map[string]int, len(defs)),
	}
	sc, serrs := newScoring(defs, cfg.Decimals)
	errs = append(errs, serrs...)
	c.sc = sc
	compiled := map[string]int{}
	var rules []*segment.Rule
	for p, d := range defs {
		c.byName[d.Name] = p
		for i, cond := range d.Conditions {
			k, ok := compiled[cond.Rule]
			if !ok {
				r, err := segment.Compile(cond.Rule, cfg.Rules...)
				if err != nil {
					errs = append(errs, ruleErr(p, d.Name, i, err))
					continue
				}
				k = len(rules)
				compiled[cond.Rule] = k
				rules = append(rules, r)
				c.srcs = append(c.srcs, cond.Rule)
			}
			c.rules[p] = append(c.rules[p], rules[k])
			c.srcOf[p] = append(c.srcOf[p], k)
		}
	}
	if len(errs) > 0 {
		slices.SortStableFunc(errs, func(a, b *Error) int {
			if a.Index != b.Index {
				return a.Index - b.Index
			}
			return a.Condition - b.Condition
		})
		return nil, errs.err()
	}
	return c, nil
}

// MustCompile is like [Compile] but panics on error; for package-level
// catalogs built from literals.
func MustCompile(defs []Definition, cfg Config) *Catalog {
	c, err := Compile(defs, cfg)
	if err != nil {
		panic(err)
	}
	return c
}

// ruleErr attributes a rule compiler (or evaluator) error to a persona's
// condition, with the first problem's line and column.
func ruleErr(p int, name string, cond int, err error) *Error {
	e := personaErr(p, name, cond, nil)
	var list segment.ErrorList
	var one *segment.Error
	switch {
	case errors.As(err, &list) && len(list) > 0:
		e.Line, e.Column = list[0].Line, list[0].Column
		msgs := make([]string, len(list))
		for i, se := range list {
			msgs[i] = se.Error()
		}
		e.Err = &ruleError{err: err, msg: strings.Join(msgs, "\n")}
	case errors.As(err, &one):
		e.Line, e.Column = one.Line, one.Column
		e.Err = &ruleError{err: err, msg: one.Error()}
	default:
		e.Err = &ruleError{err: err, msg: strings.TrimPrefix(err.Error(), "segment: ")}
	}
	return e
}

func cloneDefs(defs []Definition) []Definition {
	out := slices.Clone(defs)
	for i := range out {
		out[i].Conditions = slices.Clone(out[i].Conditions)
	}
	return out
}

// Len returns the number of personas.
func (c *Catalog) Len() int { return len(c.defs) }

// Definitions returns a copy of the definitions, in the order given to
// Compile.
func (c *Catalog) Definitions() []Definition { return cloneDefs(c.defs) }

// Definition returns the named persona's definition.
func (c *Catalog) Definition(name string) (Definition, bool) {
	p, ok := c.byName[name]
	if !ok {
		return Definition{}, false
	}
	return cloneDefs(c.defs[p : p+1])[0], true
}

// Names returns the persona names in precedence order: higher Priority
// first, then by name. A customer whose best score is reached by several
// personas gets the first of them in this order.
func (c *Catalog) Names() []string {
	out := make([]string, len(c.defs))
	for r, p := range c.sc.order {
		out[r] = c.defs[p].Name
	}
	return out
}

// Score is a persona and a customer's score for it. It is a plain value.
type Score struct {
	Persona string
	Score   float64
}

func (c *Catalog) scores(rs []ranked) []Score {
	if len(rs) == 0 {
		return nil
	}
	out := make([]Score, len(rs))
	for i, r := range rs {
		out[i] = Score{Persona: c.defs[r.p].Name, Score: c.sc.value(r.r)}
	}
	return out
}

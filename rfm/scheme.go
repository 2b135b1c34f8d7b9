package rfm

import (
	"fmt"
	"math/bits"
	"slices"
	"strings"
)

// Range is an inclusive range of scores in one dimension. The zero Range
// means any score. In JSON it is [lo, hi] or a single score. It is a
// comparable value.
type Range struct {
	Lo, Hi int
}

// IsZero reports whether r is the zero Range (any score).
func (r Range) IsZero() bool { return r == Range{} }

func (r Range) String() string {
	if r.IsZero() {
		return "any"
	}
	return fmt.Sprintf("%d–%d", r.Lo, r.Hi)
}

// Rule gives the segment Name to every score cell it matches. A rule has
// exactly one form: ranges (R, F, M; a zero range matches any score, so a
// rule with no range matches every cell), a Pattern, or a list of Cells.
//
// A Pattern has three positions, R then F then M, each a digit, '*' or '?'
// (any score), or a class in brackets of digits and ranges ("[45]", "[1-3]"):
// "5[4-5]*" matches 54x and 55x for every M.
//
// A Rule is plain data; NewScheme copies it, so later edits do not affect
// a compiled Scheme.
type Rule struct {
	Name    string  `json:"name"`
	Alias   string  `json:"alias,omitempty"`
	R       Range   `json:"r,omitzero"`
	F       Range   `json:"f,omitzero"`
	M       Range   `json:"m,omitzero"`
	Pattern string  `json:"pattern,omitempty"`
	Cells   []Score `json:"cells,omitempty"`
}

// SchemeDef is a segment scheme as data: an ordered list of rules, the first
// matching rule naming the cell, and a catch-all for cells no rule matches.
// Turn it into a [Scheme] with [NewScheme]; read one with [LoadScheme] or
// [LoadCellMap]. A SchemeDef is plain data, not safe for concurrent
// mutation; NewScheme takes a deep copy.
type SchemeDef struct {
	// Name names the scheme ("rfm10").
	Name string `json:"name"`
	// Bins is the score range 1..Bins the rules are written for, 2..9; 0
	// means 5.
	Bins int `json:"bins,omitempty"`
	// Default names the cells no rule matches; "" means "Others".
	Default string `json:"default,omitempty"`
	// DefaultAlias is Default's alias (another language), optional.
	DefaultAlias string `json:"default_alias,omitempty"`
	// Rules in priority order: the first match wins.
	Rules []Rule `json:"rules"`
	// Binning, when not empty, is the scoring rule the scheme is written for
	// (a [ParseBinning] name: "mean" for the cn8 and quadrant presets, whose
	// scores are above or below the mean). [Scheme.Configure] puts it into a
	// Config; "" leaves the Config's.
	Binning string `json:"binning,omitempty"`
	// Monetary, when not empty, is the monetary measure the scheme is
	// written for: "sum" or "mean" (the average order value, for quadrant).
	Monetary string `json:"monetary,omitempty"`
}

// DefaultSegment is the catch-all segment name when SchemeDef.Default is "".
const DefaultSegment = "Others"

// Scheme is a validated, compiled segment scheme: a lookup table from every
// score cell to a segment name. A Scheme is immutable and safe for concurrent
// use by multiple goroutines.
type Scheme struct {
	def     SchemeDef
	bins    int
	names   []string // segment names: rule order of first appearance, then the default if reachable
	aliases []string
	table   []uint16 // cell index → names index
}

// NewScheme validates def and compiles it. It returns a [*SchemeError] naming
// the rule when a range, pattern or cell is malformed or out of 1..Bins, a
// rule mixes forms or has no name, a cell is listed twice in one rule, one
// name carries two aliases, a rule matches no cell, or a rule is unreachable
// because every cell it matches is taken by earlier rules.
func NewScheme(def SchemeDef) (*Scheme, error) {
	def = cloneDef(def)
	n := def.Bins
	if n == 0 {
		n = 5
	}
	serr := func(rule int, name, format string, args ...any) error {
		return &SchemeError{Scheme: def.Name, Rule: rule, Name: name, Msg: fmt.Sprintf(format, args...)}
	}
	if n < 2 || n > MaxBins {
		return nil, serr(0, "", "bins %d out of range 2..%d", def.Bins, MaxBins)
	}
	if def.Binning != "" {
		if _, err := ParseBinning(def.Binning); err != nil {
			return nil, serr(0, "", "binning: %v", err)
		}
	}
	if def.Monetary != "" {
		if _, err := ParseMonetary(def.Monetary); err != nil {
			return nil, serr(0, "", "monetary: %v", err)
		}
	}
	if len(def.Rules) == 0 {
		return nil, serr(0, "", "no rules")
	}
	if len(def.Rules) > n*n*n {
		// Every rule must own at least one of the n³ cells.
		return nil, serr(0, "", "%d rules for %d cells: some rules must be unreachable", len(def.Rules), n*n*n)
	}
	dflt := def.Default
	if dflt == "" {
		dflt = DefaultSegment
	}
	s := &Scheme{def: def, bins: n, table: make([]uint16, n*n*n)}
	const unset = ^uint16(0)
	for i := range s.table {
		s.table[i] = unset
	}
	owner := make([]int, n*n*n) // cell → 1-based rule that took it
	nameIdx := map[string]int{}
	for ri, rule := range def.Rules {
		num := ri + 1
		if rule.Name == "" {
			return nil, serr(num, "", "empty segment name")
		}
		cells, err := ruleCells(rule, n)
		if err != nil {
			return nil, serr(num, rule.Name, "%s", err)
		}
		if len(cells) == 0 {
			return nil, serr(num, rule.Name, "matches no score cell")
		}
		ni, ok := nameIdx[rule.Name]
		if !ok {
			ni = len(s.names)
			nameIdx[rule.Name] = ni
			s.names = append(s.names, rule.Name)
			s.aliases = append(s.aliases, rule.Alias)
		} else if rule.Alias != "" {
			if prev := s.aliases[ni]; prev == "" {
				s.aliases[ni] = rule.Alias
			} else if prev != rule.Alias {
				return nil, serr(num, rule.Name, "alias %q differs from alias %q given earlier for the same name", rule.Alias, prev)
			}
		}
		took := false
		for _, c := range cells {
			if s.table[c] == unset {
				s.table[c] = uint16(ni)
				owner[c] = num
				took = true
			}
		}
		if !took {
			c := cells[0]
			o := owner[c]
			return nil, serr(num, rule.Name, "unreachable: every cell it matches is taken by earlier rules (e.g. %s by rule %d %q)",
				cellScore(c, n), o, def.Rules[o-1].Name)
		}
	}
	if len(s.names) > int(unset)-1 {
		return nil, serr(0, "", "too many segment names")
	}
	uncovered := false
	for _, v := range s.table {
		if v == unset {
			uncovered = true
			break
		}
	}
	if uncovered {
		di, ok := nameIdx[dflt]
		if !ok {
			di = len(s.names)
			s.names = append(s.names, dflt)
			s.aliases = append(s.aliases, def.DefaultAlias)
		} else if def.DefaultAlias != "" && s.aliases[di] != "" && s.aliases[di] != def.DefaultAlias {
			return nil, serr(0, dflt, "default alias %q differs from alias %q of the rule with the same name", def.DefaultAlias, s.aliases[di])
		}
		for i, v := range s.table {
			if v == unset {
				s.table[i] = uint16(di)
			}
		}
	}
	return s, nil
}

// MustScheme is like [NewScheme] but panics on error. It is meant for
// package-level schemes written in code.
func MustScheme(def SchemeDef) *Scheme {
	s, err := NewScheme(def)
	if err != nil {
		panic(err)
	}
	return s
}

func cloneDef(d SchemeDef) SchemeDef {
	d.Rules = slices.Clone(d.Rules)
	for i := range d.Rules {
		d.Rules[i].Cells = slices.Clone(d.Rules[i].Cells)
	}
	return d
}

// Name returns the scheme's name.
func (s *Scheme) Name() string { return s.def.Name }

// Bins returns the score range 1..Bins the scheme is written for.
func (s *Scheme) Bins() int { return s.bins }

// Def returns the scheme's definition (a copy).
func (s *Scheme) Def() SchemeDef { return cloneDef(s.def) }

// Segments returns the segment names in rule order (a name's first rule),
// followed by the catch-all when some cell falls to it.
func (s *Scheme) Segments() []string { return slices.Clone(s.names) }

// Alias returns the alias of a segment name ("" when it has none or the
// name is unknown).
func (s *Scheme) Alias(name string) string {
	if i := slices.Index(s.names, name); i >= 0 {
		return s.aliases[i]
	}
	return ""
}

// Assign returns the segment of a score. It reports false when the score is
// outside 1..Bins in some dimension.
func (s *Scheme) Assign(sc Score) (string, bool) {
	i, ok := s.cell(sc)
	if !ok {
		return "", false
	}
	return s.names[s.table[i]], true
}

// Cells returns the score cells that fall to a segment, in descending order
// (555 first).
func (s *Scheme) Cells(name string) []Score {
	var out []Score
	for i := len(s.table) - 1; i >= 0; i-- {
		if s.names[s.table[i]] == name {
			out = append(out, cellScore(i, s.bins))
		}
	}
	return out
}

func (s *Scheme) cell(sc Score) (int, bool) {
	n := s.bins
	r, f, m := int(sc.R), int(sc.F), int(sc.M)
	if r < 1 || r > n || f < 1 || f > n || m < 1 || m > n {
		return 0, false
	}
	return ((r-1)*n+(f-1))*n + (m - 1), true
}

func cellScore(i, n int) Score {
	return Score{R: uint8(i/(n*n) + 1), F: uint8(i/n%n + 1), M: uint8(i%n + 1)}
}

// ruleCells returns the cells a rule matches, ascending, as indexes into a
// scheme table of n bins.
func ruleCells(r Rule, n int) ([]int, error) {
	hasRange := !r.R.IsZero() || !r.F.IsZero() || !r.M.IsZero()
	forms := 0
	for _, b := range []bool{hasRange, r.Pattern != "", len(r.Cells) > 0} {
		if b {
			forms++
		}
	}
	if forms > 1 {
		return nil, fmt.Errorf("mixes forms: give ranges, a pattern or cells, not several")
	}
	var sets [3]uint16 // bit s set: score s allowed
	switch {
	case r.Pattern != "":
		var err error
		if sets, err = parsePattern(r.Pattern, n); err != nil {
			return nil, err
		}
	case len(r.Cells) > 0:
		seen := map[Score]bool{}
		var out []int
		for _, c := range r.Cells {
			if seen[c] {
				return nil, fmt.Errorf("cell %s listed twice", c)
			}
			seen[c] = true
			for d, v := range [3]uint8{c.R, c.F, c.M} {
				if v < 1 || int(v) > n {
					return nil, fmt.Errorf("cell %s: %s score %d out of range 1..%d", c, dimNames[d], v, n)
				}
			}
			out = append(out, ((int(c.R)-1)*n+int(c.F)-1)*n+int(c.M)-1)
		}
		slices.Sort(out)
		return out, nil
	default:
		for d, rg := range [3]Range{r.R, r.F, r.M} {
			if rg.IsZero() {
				sets[d] = allScores(n)
				continue
			}
			if rg.Lo < 1 || rg.Hi > n || rg.Lo > rg.Hi {
				return nil, fmt.Errorf("%s range [%d, %d] is not within 1..%d with low ≤ high", dimNames[d], rg.Lo, rg.Hi, n)
			}
			for v := rg.Lo; v <= rg.Hi; v++ {
				sets[d] |= 1 << v
			}
		}
	}
	var out []int
	for rr := 1; rr <= n; rr++ {
		for f := 1; f <= n; f++ {
			for m := 1; m <= n; m++ {
				if sets[0]&(1<<rr) != 0 && sets[1]&(1<<f) != 0 && sets[2]&(1<<m) != 0 {
					out = append(out, ((rr-1)*n+f-1)*n+m-1)
				}
			}
		}
	}
	return out, nil
}

func allScores(n int) uint16 { return uint16(1<<(n+1)) - 2 }

// parsePattern parses a three-position score pattern into per-dimension
// score sets.
func parsePattern(p string, n int) ([3]uint16, error) {
	var sets [3]uint16
	rest := p
	for d := range 3 {
		if rest == "" {
			return sets, fmt.Errorf("pattern %q: %d positions, want 3 (R, F, M)", p, d)
		}
		switch c := rest[0]; {
		case c == '*' || c == '?':
			sets[d] = allScores(n)
			rest = rest[1:]
		case c >= '1' && c <= '9':
			sets[d] = 1 << (c - '0')
			rest = rest[1:]
		case c == '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return sets, fmt.Errorf("pattern %q: unclosed [", p)
			}
			class := rest[1:end]
			if class == "" {
				return sets, fmt.Errorf("pattern %q: empty class []", p)
			}
			for i := 0; i < len(class); i++ {
				lo := class[i]
				if lo < '1' || lo > '9' {
					return sets, fmt.Errorf("pattern %q: %q in a class, want digits 1-9 and ranges like 2-4", p, lo)
				}
				hi := lo
				if i+2 < len(class) && class[i+1] == '-' {
					hi = class[i+2]
					if hi < '1' || hi > '9' || hi < lo {
						return sets, fmt.Errorf("pattern %q: bad range %q", p, class[i:i+3])
					}
					i += 2
				}
				for v := lo; v <= hi; v++ {
					sets[d] |= 1 << (v - '0')
				}
			}
			rest = rest[end+1:]
		default:
			return sets, fmt.Errorf("pattern %q: %q, want a digit 1-9, '*', '?' or a [class]", p, c)
		}
		if over := sets[d] &^ allScores(n); over != 0 {
			return sets, fmt.Errorf("pattern %q: %s score %d out of range 1..%d", p, dimNames[d], bits.Len16(over)-1, n)
		}
	}
	if rest != "" {
		return sets, fmt.Errorf("pattern %q: trailing %q after three positions", p, rest)
	}
	return sets, nil
}

// Configure returns cfg with the scoring the scheme is written for: its
// number of bins, and its binning and monetary measure when it names them
// (cn8: two bins split at the mean; quadrant: the same, with the average
// order value as monetary). Apply explicit choices of a user after it.
func (s *Scheme) Configure(cfg Config) Config {
	cfg.Bins = s.bins
	if s.def.Binning != "" {
		cfg.Binning, _ = ParseBinning(s.def.Binning) // checked by NewScheme
	}
	if s.def.Monetary != "" {
		cfg.Monetary, _ = ParseMonetary(s.def.Monetary)
	}
	return cfg
}

package tier

import (
	"math"
	"strconv"
	"strings"
)

// Level is a position in a program's ordered levels: 0 is the base level,
// every higher number a higher level. It is a small comparable value; the
// zero Level is the base level. Names belong to the program: use
// [Engine.Name] and [Engine.Level] to convert. Being a value, it is safe to
// copy and share.
type Level uint8

// String returns "level N"; [Engine.Name] gives the program's name for it.
func (l Level) String() string { return "level " + strconv.Itoa(int(l)) }

// Metric values are kept in fixed point with four decimal places, so that
// sums over windows are exact and "spend 10,000 ≥ 10,000" never fails on a
// float rounding error.
const fixedScale = 10000

func toFixed(x float64) int64 { return int64(math.Round(x * fixedScale)) }

func fromFixed(v int64) float64 { return float64(v) / fixedScale }

// cnode is a compiled criterion: a leaf (metric ≥ min, or with atMost
// metric ≤ min) or a group.
type cnode struct {
	metric int   // index into Engine.metrics; -1 for a group
	min    int64 // fixed point; the maximum of an at-most leaf
	atMost bool
	all    bool // group: all-of (else any-of)
	kids   []cnode
}

func (n *cnode) leafMet(v int64) bool {
	if n.atMost {
		return v <= n.min
	}
	return v >= n.min
}

func (n *cnode) met(win []int64) bool {
	if n.metric >= 0 {
		return n.leafMet(win[n.metric])
	}
	if n.all {
		for i := range n.kids {
			if !n.kids[i].met(win) {
				return false
			}
		}
		return true
	}
	for i := range n.kids {
		if n.kids[i].met(win) {
			return true
		}
	}
	return false
}

// explain writes the conditions that justify n's outcome on win: the met
// ones when it is met, the unmet ones when it is not.
func (n *cnode) explain(b *strings.Builder, names []string, win []int64, top bool) {
	if n.metric >= 0 {
		b.WriteString(names[n.metric])
		b.WriteByte(' ')
		b.WriteString(formatNumber(fromFixed(win[n.metric])))
		switch v := win[n.metric]; {
		case n.atMost && v <= n.min:
			b.WriteString(" ≤ ")
		case n.atMost:
			b.WriteString(" > ")
		case v >= n.min:
			b.WriteString(" ≥ ")
		default:
			b.WriteString(" < ")
		}
		b.WriteString(formatNumber(fromFixed(n.min)))
		return
	}
	want := n.met(win)
	var pick []*cnode
	for i := range n.kids {
		if n.kids[i].met(win) == want {
			pick = append(pick, &n.kids[i])
		}
	}
	paren := !top && len(pick) > 1
	if paren {
		b.WriteByte('(')
	}
	for i, k := range pick {
		if i > 0 {
			b.WriteString(", ")
		}
		k.explain(b, names, win, false)
	}
	if paren {
		b.WriteByte(')')
	}
}

func (n *cnode) need(names []string, win []int64) Need {
	if n.metric >= 0 {
		if n.atMost {
			return Need{Metric: names[n.metric], Have: fromFixed(win[n.metric]), Max: fromFixed(n.min), AtMost: true}
		}
		return Need{Metric: names[n.metric], Have: fromFixed(win[n.metric]), Min: fromFixed(n.min)}
	}
	kids := make([]Need, len(n.kids))
	for i := range n.kids {
		kids[i] = n.kids[i].need(names, win)
	}
	if n.all {
		return Need{All: kids}
	}
	return Need{Any: kids}
}

// Need is a criterion evaluated on a window: a leaf says how much of Metric
// the member has against the Min required (or, AtMost, the Max tolerated); a
// group lists its parts, of which Any (at least one) or All must be met. It
// is a plain value.
type Need struct {
	Metric string
	Have   float64
	Min    float64
	Max    float64
	AtMost bool
	Any    []Need
	All    []Need
}

func (n Need) leafMet() bool {
	if n.AtMost {
		return n.Have <= n.Max
	}
	return n.Have >= n.Min
}

// Met reports whether the criterion is met.
func (n Need) Met() bool {
	switch {
	case n.Metric != "":
		return n.leafMet()
	case n.All != nil:
		for _, k := range n.All {
			if !k.Met() {
				return false
			}
		}
		return true
	default:
		for _, k := range n.Any {
			if k.Met() {
				return true
			}
		}
		return false
	}
}

// Short is how much of Metric is still missing for a leaf — for an at-most
// leaf, how much too much there is — (0 when met, and for groups).
func (n Need) Short() float64 {
	if n.Metric == "" || n.leafMet() {
		return 0
	}
	if n.AtMost {
		return n.Have - n.Max
	}
	return n.Min - n.Have
}

// String renders the criterion for a person: "nights 7 of 10 (3 more) or
// stays 4 of 4 (met)".
func (n Need) String() string {
	var b strings.Builder
	n.write(&b, true)
	return b.String()
}

func (n Need) write(b *strings.Builder, top bool) {
	if n.Metric != "" && n.AtMost {
		b.WriteString(n.Metric)
		b.WriteByte(' ')
		b.WriteString(formatNumber(n.Have))
		b.WriteString(" of at most ")
		b.WriteString(formatNumber(n.Max))
		if n.leafMet() {
			b.WriteString(" (met)")
		} else {
			b.WriteString(" (")
			b.WriteString(formatNumber(n.Have - n.Max))
			b.WriteString(" too many)")
		}
		return
	}
	if n.Metric != "" {
		b.WriteString(n.Metric)
		b.WriteByte(' ')
		b.WriteString(formatNumber(n.Have))
		b.WriteString(" of ")
		b.WriteString(formatNumber(n.Min))
		if n.Have >= n.Min {
			b.WriteString(" (met)")
		} else {
			b.WriteString(" (")
			b.WriteString(formatNumber(n.Min - n.Have))
			b.WriteString(" more)")
		}
		return
	}
	kids, sep := n.Any, " or "
	if n.All != nil {
		kids, sep = n.All, " and "
	}
	if !top && len(kids) > 1 {
		b.WriteByte('(')
	}
	for i, k := range kids {
		if i > 0 {
			b.WriteString(sep)
		}
		k.write(b, false)
	}
	if !top && len(kids) > 1 {
		b.WriteByte(')')
	}
}

// formatNumber renders x with thousands separators and at most four decimal
// places, trailing zeros dropped: 12400 → "12,400", 1234.5 → "1,234.5".
func formatNumber(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	s := strconv.FormatFloat(math.Abs(x), 'f', 4, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	frac = strings.TrimRight(frac, "0")
	var b strings.Builder
	if x < 0 && (strings.Trim(intPart, "0") != "" || frac != "") {
		b.WriteByte('-')
	}
	for i := 0; i < len(intPart); i++ {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(intPart[i])
	}
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

func formatPoints(p int64) string {
	s := strconv.FormatInt(p, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i := 0; i < len(s); i++ {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

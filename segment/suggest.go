package segment

// Suggestions in error messages: the closest known name, hints for expr's
// builtins.

import (
	"fmt"
	"sort"
	"strings"

	"github.com/segkit/segkit/bitmapindex"
)

func schemaNames(m map[string]bitmapindex.Attribute) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// builtinHint points users of expr's builtins to the rule language's
// counterparts.
func builtinHint(name string) string {
	switch name {
	case "count":
		return ` (did you mean countWithin("event", "30d")?)`
	case "any":
		return " (did you mean hasAny?)"
	case "all":
		return " (did you mean hasAll?)"
	case "none":
		return " (did you mean hasNone?)"
	case "now":
		return ": the current time is given at evaluation"
	case "duration":
		return ` (windows are strings such as "7d")`
	}
	return suggest(name, functionNames)
}

// suggest returns ` (did you mean "x"?)` for the closest candidate within a
// small edit distance, or "".
func suggest(name string, candidates []string) string {
	best, bestD := "", 3
	ln := strings.ToLower(name)
	for _, cand := range candidates {
		d := editDistance(ln, strings.ToLower(cand))
		if d < bestD {
			best, bestD = cand, d
		}
	}
	if best == "" || best == name {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return 99
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

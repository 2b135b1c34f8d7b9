package segment

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/segkit/segkit/bitmapindex"
)

func (r *Rule) explainWith(ctx context.Context, v *bitmapindex.View, now time.Time, refs refEvaluator) (out string, err error) {
	defer recoverInto(&err)
	e, err := r.newEvaluator(ctx, v, now, refs)
	if err != nil {
		return "", err
	}
	e.trace = make([]int64, r.nnodes)
	for i := range e.trace {
		e.trace[i] = -1
	}
	e.notes = make([]string, r.nnodes)
	b, err := e.eval(r.root)
	if err != nil {
		return "", err
	}
	type line struct {
		tree, count, note string
	}
	var lines []line
	var walk func(n *pnode, prefix, branch, label string)
	walk = func(n *pnode, prefix, branch, label string) {
		count := "skipped"
		if c := e.trace[n.id]; c >= 0 {
			count = strconv.FormatInt(c, 10)
		}
		lines = append(lines, line{tree: prefix + branch + label + explainLabel(n), count: count, note: e.notes[n.id]})
		childPrefix := prefix
		switch branch {
		case "├─ ":
			childPrefix += "│  "
		case "└─ ":
			childPrefix += "   "
		}
		total := len(n.kids) + len(n.neg)
		i := 0
		for _, k := range n.kids {
			i++
			walk(k, childPrefix, branchFor(i, total), "")
		}
		for _, k := range n.neg {
			i++
			walk(k, childPrefix, branchFor(i, total), "minus ")
		}
	}
	walk(r.root, "", "", "")
	width, cw := 0, 0
	for _, l := range lines {
		width = max(width, utf8.RuneCountInString(l.tree))
		cw = max(cw, len(l.count))
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "rule: %s\n", oneLine(r.src))
	fmt.Fprintf(&sb, "today: %s (%s), live customers: %d, members: %d\n", formatDay(e.today), e.loc, v.Len(), b.card())
	for _, l := range lines {
		sb.WriteString(l.tree)
		sb.WriteString(strings.Repeat(" ", width-utf8.RuneCountInString(l.tree)+2))
		sb.WriteString(strings.Repeat(" ", cw-len(l.count)))
		sb.WriteString(l.count)
		if l.note != "" {
			sb.WriteString("  [")
			sb.WriteString(l.note)
			sb.WriteString("]")
		}
		sb.WriteByte('\n')
	}
	return sb.String(), nil
}

func branchFor(i, total int) string {
	if i == total {
		return "└─ "
	}
	return "├─ "
}

func explainLabel(n *pnode) string {
	switch n.kind {
	case nAnd:
		return "and"
	case nOr:
		return "or"
	case nNot:
		return "not"
	case nAndNot:
		if len(n.kids) == 0 {
			return "all customers minus"
		}
		return "and-not"
	case nIn:
		return inLabel(n, 10)
	}
	return n.label
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

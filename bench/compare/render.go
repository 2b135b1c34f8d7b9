package compare

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/segkit/segkit"
)

// Params fill the placeholders of a rule's SQL template (see [Render]).
type Params struct {
	// Today is day(now) in UTC.
	Today segkit.Day
	// Tags, Events, Interests and (purchase) Categories map names to the
	// integer codes the SQL engines store.
	Tags, Events, Interests, Categories map[string]int
	// Timestamp renders an instant as the engine's literal for the column
	// type it stores times in.
	Timestamp func(time.Time) string
}

// Render replaces the placeholders of a SQL template:
//
//	{tag:NAME}       the tag's integer code
//	{event:NAME}     the event's integer code
//	{interest:NAME}  the interest's integer code
//	{category:NAME}  the purchase category's integer code
//	{date:Y-M-D}     that calendar day as a day number (days since 1970-01-01)
//	{day:N}          today + N as a day number (days since 1970-01-01, UTC)
//	{ts:N}           the midnight (UTC) that starts day today + N, as a literal
//
// N is a signed integer. Anything else between braces is an error, as is an
// unknown name or a missing closing brace, so a typo in a translation fails
// loudly instead of silently counting nothing.
func Render(tmpl string, p Params) (string, error) {
	var b strings.Builder
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			if j := strings.IndexByte(tmpl, '}'); j >= 0 {
				return "", fmt.Errorf("compare: render: unmatched '}' at %q", snippet(tmpl[j:]))
			}
			b.WriteString(tmpl)
			return b.String(), nil
		}
		if j := strings.IndexByte(tmpl[:i], '}'); j >= 0 {
			return "", fmt.Errorf("compare: render: unmatched '}' at %q", snippet(tmpl[j:]))
		}
		b.WriteString(tmpl[:i])
		end := strings.IndexByte(tmpl[i:], '}')
		if end < 0 {
			return "", fmt.Errorf("compare: render: unterminated placeholder %q", snippet(tmpl[i:]))
		}
		ph := tmpl[i+1 : i+end]
		out, err := expand(ph, p)
		if err != nil {
			return "", err
		}
		b.WriteString(out)
		tmpl = tmpl[i+end+1:]
	}
}

func expand(ph string, p Params) (string, error) {
	kind, arg, ok := strings.Cut(ph, ":")
	if !ok {
		return "", fmt.Errorf("compare: render: placeholder {%s} has no kind", ph)
	}
	lookup := func(m map[string]int) (string, error) {
		code, ok := m[arg]
		if !ok {
			return "", fmt.Errorf("compare: render: unknown %s %q", kind, arg)
		}
		return strconv.Itoa(code), nil
	}
	switch kind {
	case "tag":
		return lookup(p.Tags)
	case "event":
		return lookup(p.Events)
	case "interest":
		return lookup(p.Interests)
	case "category":
		return lookup(p.Categories)
	case "date":
		t, err := time.Parse(time.DateOnly, arg)
		if err != nil {
			return "", fmt.Errorf("compare: render: {%s}: not a date (YYYY-MM-DD)", ph)
		}
		return strconv.Itoa(int(segkit.DayOf(t, time.UTC))), nil
	case "day", "ts":
		n, err := strconv.Atoi(arg)
		if err != nil {
			return "", fmt.Errorf("compare: render: {%s}: day offset is not an integer", ph)
		}
		d := p.Today.AddDays(n)
		if kind == "day" {
			return strconv.Itoa(int(d)), nil
		}
		if p.Timestamp == nil {
			return "", fmt.Errorf("compare: render: {%s}: no timestamp literal for this engine", ph)
		}
		return p.Timestamp(d.Time(time.UTC)), nil
	}
	return "", fmt.Errorf("compare: render: unknown placeholder kind %q", kind)
}

func snippet(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}

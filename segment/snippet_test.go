package segment

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An error in a long rule quotes the neighbourhood of the problem, not the
// whole rule (issue 13: a 40 KB rule was echoed whole).
func TestSnippetOfLongRuleIsTheNeighbourhood(t *testing.T) {
	src := "age > 3 && " + strings.Repeat(`has("x") && `, 3500) + `nosuch(1) && ` + strings.Repeat(`has("y") && `, 100) + `has("z")`
	_, err := Compile(src, WithLimits(Limits{MaxNodes: 1 << 20, MaxDepth: 1 << 20}))
	require.Error(t, err)
	var e *Error
	require.True(t, errors.As(err, &e))
	msg := err.Error()
	assert.Less(t, len(msg), 400, msg)
	lines := strings.Split(msg, "\n")
	require.Len(t, lines, 3)
	// The caret stands under the start of "nosuch".
	caret := strings.Index(lines[2], "^")
	quoted := []rune(lines[1])
	caretRunes := len([]rune(lines[2][:caret]))
	assert.Equal(t, "nosuch", string(quoted[caretRunes:caretRunes+6]), msg)
	assert.True(t, strings.HasPrefix(lines[1], " | …"), msg)
	assert.True(t, strings.HasSuffix(lines[1], "…"), msg)

	// Near the start: no leading ellipsis, caret in place.
	_, err = Compile(`nosuch(1) && `+strings.Repeat(`has("y") && `, 100)+`has("z")`, WithLimits(Limits{MaxNodes: 1 << 20}))
	require.Error(t, err)
	lines = strings.Split(err.Error(), "\n")
	assert.Equal(t, " | ^", lines[2])
	assert.True(t, strings.HasPrefix(lines[1], " | nosuch(1)"))
	// Short rules are quoted whole.
	_, err = Compile(`has("x") && nosuch(1)`)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "\n | has(\"x\") && nosuch(1)\n | ............^")
}

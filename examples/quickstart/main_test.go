package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The quickstart is the README's first command: it must keep running and
// keep printing the same population.
func TestQuickstart(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(&out))
	for _, want := range []string{
		"20000 customers, 1000 tags, 10 attributes, events [login purchase signup trial_class]",
		"trial taken, not yet paid                  1103",
		"side_income_prospects: 759 members",
		"and-not                                2670",
	} {
		assert.Contains(t, out.String(), want)
	}
}

package textwidth

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTabWriterMatchesTabwriter: on text of one-column characters the
// TabWriter writes exactly what text/tabwriter writes, for random tables
// with ragged rows, empty cells and trailing text.
func TestTabWriterMatchesTabwriter(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"", "a", "bb", "ccc", "12,345", "(control)", "-", "[1.0%, 2.5%]"}
	for trial := range 500 {
		var b strings.Builder
		for range rng.IntN(8) {
			for range rng.IntN(6) {
				b.WriteString(words[rng.IntN(len(words))])
				b.WriteByte('\t')
			}
			b.WriteString(words[rng.IntN(len(words))])
			if rng.IntN(10) > 0 {
				b.WriteByte('\n')
			}
		}
		for _, right := range []bool{false, true} {
			var want, got bytes.Buffer
			flags := uint(0)
			if right {
				flags = tabwriter.AlignRight
			}
			tw := tabwriter.NewWriter(&want, 0, 0, 2, ' ', flags)
			fmt.Fprint(tw, b.String())
			require.NoError(t, tw.Flush())
			ours := NewTabWriter(&got, 2, right)
			fmt.Fprint(ours, b.String())
			require.NoError(t, ours.Flush())
			require.Equal(t, want.String(), got.String(), "trial %d right=%v input %q", trial, right, b.String())
		}
	}
}

func TestTabWriterWide(t *testing.T) {
	var out bytes.Buffer
	tw := NewTabWriter(&out, 2, false)
	fmt.Fprint(tw, "名字\tsize\t\n忠诚客户\t12\t\nnew\t3\t\n")
	require.NoError(t, tw.Flush())
	assert.Equal(t, "名字      size  \n忠诚客户  12    \nnew       3     \n", out.String())
	out.Reset()
	tw = NewTabWriter(&out, 1, true)
	fmt.Fprint(tw, "新客\t7\t\nab\t100\t\n")
	require.NoError(t, tw.Flush())
	assert.Equal(t, " 新客   7\n   ab 100\n", out.String())
}

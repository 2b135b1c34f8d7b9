package campaign

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/cespare/xxhash/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSplitBitIdentical: the split hashes with github.com/cespare/xxhash/v2
// since it replaced a hand-written XXH64; testdata/xxh64_split.golden holds
// what the hand-written one gave for 3,000 keys (ASCII, CJK, emoji, 0–300
// runes, three seeds): the hash of every key, and every key's group and
// position under a four-group splitter. Assignments of running experiments
// must not move.
func TestSplitBitIdentical(t *testing.T) {
	f, err := os.Open("testdata/xxh64_split.golden")
	require.NoError(t, err)
	defer f.Close()
	sp := MustSplitter("bit-identical-check", Group{"A", 0.3}, Group{"B", 0.3}, Group{"C", 0.3}, Group{"holdout", 0.1})
	sc := bufio.NewScanner(f)
	n := 0
	for ; sc.Scan(); n++ {
		line := sc.Text()
		key, rest, err := unquotePrefix(line)
		require.NoError(t, err, line)
		fields := strings.Fields(rest)
		require.Len(t, fields, 3, line)
		want, err := strconv.ParseUint(fields[0], 16, 64)
		require.NoError(t, err)
		h := xxhash.NewWithSeed(uint64(n%3) * 2654435761)
		_, _ = h.WriteString(key)
		require.Equal(t, want, h.Sum64(), "hash of %q", key)
		require.Equal(t, fields[1], sp.Assign(key), "group of %q", key)
		pos, err := strconv.ParseFloat(fields[2], 64)
		require.NoError(t, err)
		require.Equal(t, pos, sp.Position(key), "position of %q", key)
	}
	require.NoError(t, sc.Err())
	assert.Equal(t, 3000, n)
}

func unquotePrefix(line string) (string, string, error) {
	q, err := strconv.QuotedPrefix(line)
	if err != nil {
		return "", "", err
	}
	s, err := strconv.Unquote(q)
	return s, line[len(q):], err
}

package main

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRetail(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	var out bytes.Buffer
	require.NoError(t, run(&out))
	s := out.String()
	assert.Contains(t, s, "transactions of 30000 customers up to 2026-06-30")
	assert.Contains(t, s, "Champions")
	assert.Regexp(t, `BG/NBD fit \(weeks\): r=0\.\d+ α=\d+\.\d+`, s)
	m := regexp.MustCompile(`charts written to (\S+)`).FindStringSubmatch(s)
	require.Len(t, m, 2)
	for _, name := range []string{"rf_heatmap.svg", "rfm_segments.svg", "lifecycle_transitions.svg"} {
		data, err := os.ReadFile(filepath.Join(m[1], name))
		require.NoError(t, err, name)
		var root struct {
			XMLName xml.Name
		}
		require.NoError(t, xml.Unmarshal(data, &root), name)
		assert.Equal(t, "svg", root.XMLName.Local, name)
	}
}

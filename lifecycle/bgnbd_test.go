package lifecycle

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFitBGNBDCDNOW(t *testing.T) {
	data := cdnowSummary(t)
	start := time.Now()
	m, rep, err := FitBGNBD(data, FitConfig{})
	el := time.Since(start)
	require.NoError(t, err)
	t.Logf("%+v %+v in %v", m, rep, el)
	assert.InDelta(t, 0.243, m.R, 0.005)
	assert.InDelta(t, 4.414, m.Alpha, 0.005)
	assert.InDelta(t, 0.793, m.A, 0.005)
	assert.InDelta(t, 2.426, m.B, 0.005)
	assert.InDelta(t, -9582.4, rep.LogLik, 0.1)
}

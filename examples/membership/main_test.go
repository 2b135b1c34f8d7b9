package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/tier"
)

// TestRun runs the example and checks the stories' outcomes, worked out by
// hand from the programs, and the rules' counts against direct counts over
// the generated guests.
func TestRun(t *testing.T) {
	var buf bytes.Buffer
	got, err := run(&buf, guests)
	require.NoError(t, err)
	text := buf.String()
	hotel, err := compile(hotelJSON)
	require.NoError(t, err)
	agents, err := compile(agentJSON)
	require.NoError(t, err)

	day := func(s string) segkit.Day {
		d, err := segkit.ParseDay(s)
		require.NoError(t, err)
		return d
	}
	stories := []struct {
		eng          *tier.Engine
		customer     string
		level, since string
		validThrough string // "" when not guaranteed
		points       int64  // -1: not checked
	}{
		// Diamond 2025, Silver's criteria only in 2026: one level down.
		{hotel, "li.wei", "Gold", "2027-01-01", "", -1},
		// 16 stays in 2026 keep Gold (retain 15) through 2027.
		{hotel, "wang.fang", "Gold", "2025-11-12", "2027-12-31", -1},
		// Her ledger: 2,900 + 4,600 + (1,960 − 1,960) + 3,140 − 5,000 + 2,290.
		{hotel, "zhang.min", "Silver", "2026-09-12", "2027-12-31", 7930},
		// The status match ended on 2027-01-31.
		{hotel, "chen.jie", "Member", "2027-02-01", "", 800},
	}
	for _, s := range stories {
		st, ok := got.Hotel[s.customer]
		require.True(t, ok, s.customer)
		assert.Equal(t, s.level, s.eng.Name(st.Level), s.customer)
		assert.Equal(t, day(s.since), st.Since, s.customer)
		assert.Equal(t, s.validThrough != "", st.Guaranteed, s.customer)
		if s.validThrough != "" {
			assert.Equal(t, day(s.validThrough), st.ValidThrough, s.customer)
		}
		if s.points >= 0 {
			assert.Equal(t, s.points, st.Points, s.customer)
		}
		assert.False(t, st.Override, s.customer)
	}

	wantAgents := map[string]struct{ level, since string }{
		"shanghai-01": {"A", "2025-08-15"},
		"hangzhou-07": {"B", "2025-11-15"},
		"suzhou-03":   {"C", "2025-01-15"}, // volume enough for A, fee too small for B
		// Rolling spend at the review of 2026-09-30: 3 × 25,000 + 9 × 8,000
		// = 147,000 < 150,000; grace of 60 days ends 2026-11-29.
		"nanjing-12": {"B", "2026-11-30"},
		// The late renewal cleared the grace period: still B.
		"ningbo-05": {"B", "2025-12-15"},
	}
	require.Len(t, got.Agents, len(wantAgents))
	for name, want := range wantAgents {
		st := got.Agents[name]
		assert.Equal(t, want.level, agents.Name(st.Level), name)
		assert.Equal(t, day(want.since), st.Since, name)
	}
	for _, s := range []string{
		"soft landing: at most 1 level per review",
		"requalify",
		"reverse       -1,960",
		"override end",
		"grace cleared",
		"grace through 2026-11-29",
	} {
		assert.Contains(t, text, s)
	}

	// The index: every guest has a level, and each rule selects exactly the
	// guests a direct look at their status and stays selects.
	require.Len(t, got.Base, guests)
	levels := map[string]int{}
	direct := make([]int, len(rules))
	for _, g := range got.Base {
		level := hotel.Name(g.Status.Level)
		levels[level]++
		idle := func(days int) bool { return g.LastStay < 0 || asOf.Sub(g.LastStay) >= days }
		if level == "Gold" && idle(90) {
			direct[0]++
		}
		if g.Near && idle(30) {
			direct[1]++
		}
		if (level == "Gold" || level == "Diamond") && g.Status.Points >= 50000 {
			direct[2]++
		}
		if g.Business && level == "Member" {
			direct[3]++
		}
	}
	assert.Equal(t, levels, got.Levels)
	for l := range hotel.Levels() {
		assert.Positive(t, levels[hotel.Name(tier.Level(l))], "every level has guests")
	}
	for i, r := range rules {
		assert.Equal(t, direct[i], got.Rules[r.src], r.src)
		assert.Positive(t, direct[i], r.src)
		assert.True(t, strings.Contains(text, r.src), r.src)
	}
}

package chart

import (
	"bytes"
	"encoding/xml"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files")

type mark struct {
	Class string
	Attrs map[string]string
}

// parse reads an SVG back and returns its rect marks with their data-*.
func parse(t *testing.T, svg []byte) []mark {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	var marks []mark
	root := false
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if se.Name.Local == "svg" {
			root = true
		}
		if se.Name.Local != "rect" {
			continue
		}
		m := mark{Attrs: map[string]string{}}
		for _, a := range se.Attr {
			if a.Name.Local == "class" {
				m.Class = a.Value
			}
			m.Attrs[a.Name.Local] = a.Value
		}
		if m.Class != "" {
			marks = append(marks, m)
		}
	}
	require.True(t, root, "no <svg> root")
	return marks
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "(-want +got) differs; run go test -update")
}

func TestBarChart(t *testing.T) {
	c := BarChart{Title: "Segment sizes", Unit: " customers", Bars: []Bar{{"Champions", 35}, {"Potential Loyalist", 342}, {"Can't Lose <Them>", 47}}}
	var buf bytes.Buffer
	require.NoError(t, c.WriteSVG(&buf))
	marks := parse(t, buf.Bytes())
	require.Len(t, marks, 3)
	for i, m := range marks {
		assert.Equal(t, c.Bars[i].Label, m.Attrs["data-label"])
		v, err := strconv.ParseFloat(m.Attrs["data-value"], 64)
		require.NoError(t, err)
		assert.Equal(t, c.Bars[i].Value, v)
		w, _ := strconv.ParseFloat(m.Attrs["width"], 64)
		assert.InDelta(t, c.Bars[i].Value/342*plotW, w, 0.1, "bar length is proportional to the value")
	}
	golden(t, "bars.svg", buf.Bytes())
}

func TestHeatmap(t *testing.T) {
	h := Heatmap{Title: "R × F", RowTitle: "R", ColTitle: "F", Rows: []string{"5", "4"}, Cols: []string{"1", "2", "3"},
		Values: [][]float64{{10, 0, math.NaN()}, {3.333, 7, 1}}}
	var buf bytes.Buffer
	require.NoError(t, h.WriteSVG(&buf))
	marks := parse(t, buf.Bytes())
	require.Len(t, marks, 6)
	assert.Equal(t, map[string]string{"row": "4", "col": "1", "value": "3.33"},
		map[string]string{"row": marks[3].Attrs["data-row"], "col": marks[3].Attrs["data-col"], "value": marks[3].Attrs["data-value"]})
	assert.Equal(t, "#f2f2f2", marks[2].Attrs["fill"], "NaN is drawn as no data")
	golden(t, "heatmap.svg", buf.Bytes())
}

func TestErrors(t *testing.T) {
	var buf bytes.Buffer
	assert.ErrorContains(t, BarChart{}.WriteSVG(&buf), "no bars")
	assert.ErrorContains(t, BarChart{Bars: []Bar{{"x", math.Inf(1)}}}.WriteSVG(&buf), `bar "x"`)
	assert.ErrorContains(t, BarChart{Bars: []Bar{{"x", -1}}}.WriteSVG(&buf), "non-negative")
	assert.ErrorContains(t, Heatmap{Rows: []string{"a"}, Cols: []string{"b"}, Values: [][]float64{{1, 2}}}.WriteSVG(&buf), `row "a" has 2 values for 1 columns`)
	assert.ErrorContains(t, Heatmap{Rows: []string{"a"}, Cols: []string{"b"}}.WriteSVG(&buf), "1 row labels")
}

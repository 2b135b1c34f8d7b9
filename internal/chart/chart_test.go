package chart

import (
	"bytes"
	"encoding/xml"
	"flag"
	"math"
	"os"
	"os/exec"
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
	// Largest first, each with its share of the total.
	want := []struct {
		label, share string
		value        float64
	}{{"Potential Loyalist", "80.7%", 342}, {"Can't Lose <Them>", "11.1%", 47}, {"Champions", "8.3%", 35}}
	for i, m := range marks {
		assert.Equal(t, want[i].label, m.Attrs["data-label"])
		assert.Equal(t, want[i].share, m.Attrs["data-share"])
		v, err := strconv.ParseFloat(m.Attrs["data-value"], 64)
		require.NoError(t, err)
		assert.Equal(t, want[i].value, v)
		w, _ := strconv.ParseFloat(m.Attrs["width"], 64)
		assert.InDelta(t, want[i].value/342*plotW, w, 0.1, "bar length is proportional to the value")
	}
	assert.Contains(t, buf.String(), ">342 customers · 80.7%</text>")
	golden(t, "bars.svg", buf.Bytes())
}

func TestBarChartOrderTotalAndSeparators(t *testing.T) {
	c := BarChart{Title: "会员等级 Members per level", KeepOrder: true, Total: 2_000_000,
		Bars: []Bar{{"Member", 1_234_567}, {"银卡 Silver", 400_000}, {"金卡 Gold", 12_345.5}}}
	var buf bytes.Buffer
	require.NoError(t, c.WriteSVG(&buf))
	marks := parse(t, buf.Bytes())
	require.Len(t, marks, 3)
	for i, m := range marks {
		assert.Equal(t, c.Bars[i].Label, m.Attrs["data-label"], "KeepOrder keeps the given order")
	}
	assert.Equal(t, "61.7%", marks[0].Attrs["data-share"], "shares of Total, not of the sum")
	assert.Contains(t, buf.String(), ">1,234,567 · 61.7%</text>")
	assert.Contains(t, buf.String(), ">12,345.5 · 0.6%</text>")
	assert.Contains(t, buf.String(), "Noto Sans CJK SC", "a CJK-capable family in the font stack")
	// The label column fits the widest label (CJK counted double).
	x, _ := strconv.ParseFloat(marks[0].Attrs["x"], 64)
	assert.GreaterOrEqual(t, x, margin+textPx("银卡 Silver", fontSize))
	golden(t, "bars_cjk.svg", buf.Bytes())
}

func TestNumber(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 1234567.891: "1,234,567.89", -12345: "-12,345", 0.5: "0.5", 100000: "100,000"} {
		assert.Equal(t, want, Number(v), "%v", v)
	}
}

func TestHeatmap(t *testing.T) {
	h := Heatmap{Title: "R × F", RowTitle: "R", ColTitle: "F", Rows: []string{"5", "4"}, Cols: []string{"1", "2", "3"},
		Values: [][]float64{{10, 0, math.NaN()}, {3.333, 7, 1}}, Legend: "customers"}
	var buf bytes.Buffer
	require.NoError(t, h.WriteSVG(&buf))
	marks := parse(t, buf.Bytes())
	require.Len(t, marks, 7)
	assert.Equal(t, map[string]string{"row": "4", "col": "1", "value": "3.33"},
		map[string]string{"row": marks[3].Attrs["data-row"], "col": marks[3].Attrs["data-col"], "value": marks[3].Attrs["data-value"]})
	assert.Equal(t, "#f2f2f2", marks[2].Attrs["fill"], "NaN is drawn as no data")
	assert.Equal(t, "legend", marks[6].Class)
	assert.Equal(t, "0", marks[6].Attrs["data-min"])
	assert.Equal(t, "10", marks[6].Attrs["data-max"])
	assert.Contains(t, buf.String(), "customers: colour from 0 (light) to 10 (dark)")
	golden(t, "heatmap.svg", buf.Bytes())
}

// Cell text of the R × F kind ("1,234" over "(avg 1,281)") fits its cell,
// and the corner and row labels fit left of the grid.
func TestHeatmapLabelsFit(t *testing.T) {
	h := Heatmap{Title: "Customers by R and F score", RowTitle: "R score (recency)", ColTitle: "F score", Legend: "customers",
		Rows: []string{"5", "4"}, Cols: []string{"1", "2"},
		Values: [][]float64{{12345, 125}, {7, 0}},
		Text:   [][]string{{"12,345\n(avg 1,281.50)", "125\n(avg 114)"}, {"7\n(avg 52)", "0"}}}
	var buf bytes.Buffer
	require.NoError(t, h.WriteSVG(&buf))
	marks := parse(t, buf.Bytes())
	cellW, _ := strconv.ParseFloat(marks[0].Attrs["width"], 64)
	cellH, _ := strconv.ParseFloat(marks[0].Attrs["height"], 64)
	assert.GreaterOrEqual(t, cellW, textPx("(avg 1,281.50)", fontSize)+8, "the widest line fits")
	assert.GreaterOrEqual(t, cellH, float64(2*lineH+8), "two lines fit")
	x0, _ := strconv.ParseFloat(marks[0].Attrs["x"], 64)
	assert.GreaterOrEqual(t, x0-8, margin+textPx("R score (recency)", fontSize), "the corner label is not clipped")
	assert.Contains(t, buf.String(), ">(avg 1,281.50)</text>")
	golden(t, "heatmap_text.svg", buf.Bytes())
}

// Every golden SVG renders (when rsvg-convert is installed): the charts are
// looked at as PNGs; this keeps them well-formed for a real renderer.
func TestGoldensRender(t *testing.T) {
	bin, err := exec.LookPath("rsvg-convert")
	if err != nil {
		t.Skip("rsvg-convert not installed")
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.svg"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		out := filepath.Join(t.TempDir(), filepath.Base(f)+".png")
		msg, err := exec.Command(bin, f, "-o", out).CombinedOutput()
		require.NoError(t, err, "%s: %s", f, msg)
		if dir := os.Getenv("SEGKIT_CHART_PNG"); dir != "" {
			data, _ := os.ReadFile(out)
			require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.Base(f)+".png"), data, 0o644))
		}
	}
}

func TestErrors(t *testing.T) {
	var buf bytes.Buffer
	assert.ErrorContains(t, BarChart{}.WriteSVG(&buf), "no bars")
	assert.ErrorContains(t, BarChart{Bars: []Bar{{"x", math.Inf(1)}}}.WriteSVG(&buf), `bar "x"`)
	assert.ErrorContains(t, BarChart{Bars: []Bar{{"x", -1}}}.WriteSVG(&buf), "non-negative")
	assert.ErrorContains(t, Heatmap{Rows: []string{"a"}, Cols: []string{"b"}, Values: [][]float64{{1, 2}}}.WriteSVG(&buf), `row "a" has 2 values for 1 columns`)
	assert.ErrorContains(t, Heatmap{Rows: []string{"a"}, Cols: []string{"b"}}.WriteSVG(&buf), "1 row labels")
}

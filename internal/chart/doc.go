// Package chart draws the small static SVG charts of segkit's command and
// of the WriteSVG methods of its models: bar charts (segment, persona and
// level sizes) and heatmaps (the R × F grid, transition matrices, retention
// triangles). The output is plain SVG 1.1 with no JavaScript, readable in
// any browser.
//
// Layout is sized to the text: label columns and cells grow to fit their
// labels (measured in display width, so Chinese names get twice the room of
// Latin letters), and the font stack lists CJK-capable families so that
// Chinese names render wherever such a font is installed. Bar charts sort
// their bars by size (unless told to keep an order) and label each with its
// value and share; heatmaps carry a legend of their colour scale.
//
// Every mark carries its figure in data-* attributes (data-label,
// data-value, data-share, data-row, data-col) as well as in visible text,
// so tests and tools can read back exactly what a chart shows.
package chart

package textwidth

import (
	"bytes"
	"io"
	"strings"
)

// TabWriter lines up tab-terminated cells into columns like text/tabwriter
// (minwidth 0, tabwidth 0, padding with spaces, no flags but AlignRight),
// measuring cells by their display width (Width) rather than their rune
// count, so that columns holding Chinese names line up. Text is buffered
// until Flush. A TabWriter is not safe for concurrent use.
//
// As in text/tabwriter, a cell is text terminated by a tab; the text after
// a line's last tab is not part of a column; a column block is a run of
// consecutive lines that all have a cell in that column, and its width is
// its widest cell plus the padding.
type TabWriter struct {
	w          io.Writer
	padding    int
	alignRight bool
	buf        bytes.Buffer
}

// NewTabWriter returns a TabWriter writing to w with padding spaces between
// columns, cells aligned right when alignRight is set.
func NewTabWriter(w io.Writer, padding int, alignRight bool) *TabWriter {
	return &TabWriter{w: w, padding: padding, alignRight: alignRight}
}

// Write buffers p; it never fails.
func (t *TabWriter) Write(p []byte) (int, error) { return t.buf.Write(p) }

// Flush formats the buffered text and writes it out.
func (t *TabWriter) Flush() error {
	text := t.buf.String()
	t.buf.Reset()
	if text == "" {
		return nil
	}
	rawLines := strings.SplitAfter(text, "\n")
	if rawLines[len(rawLines)-1] == "" {
		rawLines = rawLines[:len(rawLines)-1]
	}
	lines := make([][]string, len(rawLines))
	ends := make([]string, len(rawLines))
	for i, l := range rawLines {
		if s, ok := strings.CutSuffix(l, "\n"); ok {
			l, ends[i] = s, "\n"
		}
		lines[i] = strings.Split(l, "\t") // the last element is the trailing text
	}
	// Like text/tabwriter, an unterminated last line ending in a tab has no
	// (empty) trailing text: its last cell takes that role.
	if last := len(lines) - 1; ends[last] == "" && len(lines[last]) > 1 && lines[last][len(lines[last])-1] == "" {
		lines[last] = lines[last][:len(lines[last])-1]
	}
	var out bytes.Buffer
	t.format(&out, lines, ends, 0, len(lines), 0, nil)
	_, err := t.w.Write(out.Bytes())
	return err
}

// format writes lines [line0, line1) with the column widths known so far,
// working out the widths of column col block by block (text/tabwriter's
// algorithm).
func (t *TabWriter) format(out *bytes.Buffer, lines [][]string, ends []string, line0, line1, col int, widths []int) {
	for this := line0; this < line1; this++ {
		if col >= len(lines[this])-1 {
			continue // no cell in this column
		}
		// a block of lines with a cell in col starts here
		t.write(out, lines, ends, line0, this, widths)
		line0 = this
		width := 0
		for ; this < line1 && col < len(lines[this])-1; this++ {
			width = max(width, Width(lines[this][col])+t.padding)
		}
		t.format(out, lines, ends, line0, this, col+1, append(widths, width))
		line0 = this
		this-- // the loop's increment: this line has no cell in col
	}
	t.write(out, lines, ends, line0, line1, widths)
}

func (t *TabWriter) write(out *bytes.Buffer, lines [][]string, ends []string, line0, line1 int, widths []int) {
	for i := line0; i < line1; i++ {
		for j, c := range lines[i] {
			if j >= len(widths) {
				out.WriteString(c)
				continue
			}
			pad := strings.Repeat(" ", max(0, widths[j]-Width(c)))
			if t.alignRight {
				out.WriteString(pad + c)
			} else {
				out.WriteString(c + pad)
			}
		}
		out.WriteString(ends[i])
	}
}

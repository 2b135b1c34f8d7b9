package main

import (
	"bufio"
	"io"
)

// lineWriter buffers line output and keeps the first write error.
type lineWriter struct {
	w   *bufio.Writer
	err error
}

func newLineWriter(w io.Writer) *lineWriter { return &lineWriter{w: bufio.NewWriterSize(w, 64<<10)} }

func (l *lineWriter) line(s string) {
	if l.err != nil {
		return
	}
	if _, err := l.w.WriteString(s); err != nil {
		l.err = err
		return
	}
	l.err = l.w.WriteByte('\n')
}

func (l *lineWriter) flush() error {
	if l.err != nil {
		return l.err
	}
	return l.w.Flush()
}

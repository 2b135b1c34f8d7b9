package rfm

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxSchemeBytes bounds what LoadScheme and LoadCellMap read: a scheme has at
// most 729 reachable rules, far below this.
const maxSchemeBytes = 1 << 20

// MarshalJSON writes a Range as [lo, hi].
func (r Range) MarshalJSON() ([]byte, error) {
	return json.Marshal([2]int{r.Lo, r.Hi})
}

// UnmarshalJSON reads [lo, hi] or a single score n (meaning [n, n]).
func (r *Range) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var v []int
		if err := json.Unmarshal(b, &v); err != nil {
			return fmt.Errorf("range: %w", err)
		}
		if len(v) != 2 {
			return fmt.Errorf("range %s: want [low, high]", b)
		}
		*r = Range{v[0], v[1]}
		return nil
	}
	var n int
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("range %s: want [low, high] or one score", b)
	}
	*r = Range{n, n}
	return nil
}

// MarshalJSON writes the scheme's definition.
func (s *Scheme) MarshalJSON() ([]byte, error) { return json.Marshal(s.def) }

// LoadScheme reads a scheme definition as JSON and compiles it:
//
//	{"name": "mine", "bins": 5, "default": "Others",
//	 "rules": [
//	   {"name": "Champions", "r": [5, 5], "f": [4, 5], "m": [4, 5]},
//	   {"name": "Big spenders", "alias": "高消费", "pattern": "*[3-5]5"},
//	   {"name": "Newcomers", "cells": ["511", "512"]}
//	 ]}
//
// Unknown fields, trailing data and more than 1 MiB of input are errors, as
// is everything [NewScheme] rejects.
func LoadScheme(r io.Reader) (*Scheme, error) {
	data, err := readLimited(r)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var def SchemeDef
	if err := dec.Decode(&def); err != nil {
		return nil, fmt.Errorf("rfm: load scheme: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("rfm: load scheme: trailing data after the JSON object")
	}
	return NewScheme(def)
}

// LoadCellMap reads a scheme from a CSV map of score cells to segment names
// (the layout of the published 11-segment map):
//
//	rfm_cell,segment[,alias]
//	555,Top
//	554,Top
//	111,Gone
//
// The header names the columns (cell column "rfm_cell", "cell" or "score";
// segment column "segment" or "name"; optional "alias"), in any order. Every
// cell may be listed once; cells not listed fall to the catch-all
// "Others". bins is the score range the map is written for; 0 infers it from
// the largest digit in the cells. Errors name the line.
func LoadCellMap(r io.Reader, name string, bins int) (*Scheme, error) {
	data, err := readLimited(r)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	lerr := func(line int, format string, args ...any) error {
		return &SchemeError{Scheme: name, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	head, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, lerr(0, "empty cell map: want a header rfm_cell,segment")
		}
		return nil, lerr(1, "%s", csvMsg(err))
	}
	cellCol, segCol, aliasCol := -1, -1, -1
	for i, h := range head {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case "rfm_cell", "cell", "score":
			cellCol = i
		case "segment", "name":
			segCol = i
		case "alias":
			aliasCol = i
		}
	}
	if cellCol < 0 || segCol < 0 {
		return nil, lerr(1, "header %q: want columns rfm_cell and segment", strings.Join(head, ","))
	}
	def := SchemeDef{Name: name, Bins: bins}
	var lines []int
	first := map[Score]int{} // cell → line
	maxDigit := uint8(0)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			return nil, lerr(line, "%s", csvMsg(err))
		}
		line, _ := cr.FieldPos(0)
		if cellCol >= len(rec) || segCol >= len(rec) {
			return nil, lerr(line, "%d fields, want at least %d", len(rec), max(cellCol, segCol)+1)
		}
		sc, err := ParseScore(strings.TrimSpace(rec[cellCol]))
		if err != nil {
			return nil, lerr(line, "cell %q: want three digits 1-9", rec[cellCol])
		}
		if prev, dup := first[sc]; dup {
			return nil, lerr(line, "cell %s listed twice (lines %d and %d)", sc, prev, line)
		}
		first[sc] = line
		maxDigit = max(maxDigit, sc.R, sc.F, sc.M)
		rule := Rule{Name: strings.TrimSpace(rec[segCol]), Cells: []Score{sc}}
		if aliasCol >= 0 && aliasCol < len(rec) {
			rule.Alias = strings.TrimSpace(rec[aliasCol])
		}
		def.Rules = append(def.Rules, rule)
		lines = append(lines, line)
	}
	if len(def.Rules) == 0 {
		return nil, lerr(0, "no cells")
	}
	if def.Bins == 0 {
		def.Bins = max(int(maxDigit), 2)
	}
	s, err := NewScheme(def)
	var se *SchemeError
	if errors.As(err, &se) && se.Rule > 0 {
		se.Line = lines[se.Rule-1]
		se.Rule = 0
	}
	return s, err
}

// WriteCellMap writes the scheme as a CSV cell map (rfm_cell,segment,alias),
// every cell from the highest score down, which LoadCellMap reads back into
// an equivalent scheme.
func (s *Scheme) WriteCellMap(w io.Writer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"rfm_cell", "segment", "alias"})
	for i := len(s.table) - 1; i >= 0; i-- {
		ni := s.table[i]
		_ = cw.Write([]string{cellScore(i, s.bins).String(), s.names[ni], s.aliases[ni]})
	}
	cw.Flush()
	return cw.Error()
}

func readLimited(r io.Reader) ([]byte, error) {
	if r == nil {
		return nil, fmt.Errorf("rfm: load scheme: nil reader")
	}
	data, err := io.ReadAll(io.LimitReader(r, maxSchemeBytes+1))
	if err != nil {
		return nil, fmt.Errorf("rfm: load scheme: %w", err)
	}
	if len(data) > maxSchemeBytes {
		return nil, fmt.Errorf("rfm: load scheme: input larger than %d bytes", maxSchemeBytes)
	}
	return data, nil
}

// csvMsg strips encoding/csv's position prefix, which SchemeError repeats.
func csvMsg(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

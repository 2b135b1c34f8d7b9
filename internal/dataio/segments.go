package dataio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/segkit/segkit/segment"
)

// SegmentDef is one definition of a segments file with the line it starts
// on.
type SegmentDef struct {
	segment.Definition
	Line int
}

// Problems is every problem found in a definitions file, each naming the
// file and line. It is returned as one error.
type Problems []string

func (p Problems) Error() string {
	if len(p) == 1 {
		return p[0]
	}
	return fmt.Sprintf("%d problems:\n%s", len(p), strings.Join(p, "\n"))
}

// ReadSegments reads named segment definitions in either form:
//
//	[{"name": "students", "rule": "has(\"undergrad\")", "description": "…"}, …]
//	{"segments": [ … ]}  (what segment.Registry.MarshalJSON writes, with "version": 1)
//
// Each definition has "name" and "rule", optionally "description",
// "static" and "members". Every problem of the file is reported (as
// Problems), each with its line: unknown or mistyped fields, missing names
// or rules, names defined twice. The rules themselves are compiled later,
// against the data's schema.
func ReadSegments(name string, r io.Reader) ([]SegmentDef, error) {
	defs, probs, err := readSegments(name, r)
	if err != nil {
		return nil, err
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return defs, nil
}

// readSegments returns the good definitions and the problems of the others;
// err is a problem that stops reading (the file's structure).
func readSegments(name string, r io.Reader) ([]SegmentDef, Problems, error) {
	data, err := readSmallFile(name, r)
	if err != nil {
		return nil, nil, err
	}
	lineAt := func(off int64) int { return 1 + bytes.Count(data[:min(int(off), len(data))], []byte{'\n'}) }
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, fmt.Errorf("%s:%s", name, describeJSONError(data, err, ""))
	}
	switch tok {
	case json.Delim('['):
	case json.Delim('{'):
		// {"version": 1, "segments": [...]}: find "segments".
		found := false
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, nil, fmt.Errorf("%s:%s", name, describeJSONError(data, err, ""))
			}
			key, _ := kt.(string)
			switch key {
			case "version":
				var v int
				if err := dec.Decode(&v); err != nil || v != 1 {
					return nil, nil, fmt.Errorf("%s:%d: field \"version\": want 1", name, lineAt(dec.InputOffset()))
				}
			case "segments":
				t, err := dec.Token()
				if err != nil || t != json.Delim('[') {
					return nil, nil, fmt.Errorf("%s:%d: field \"segments\": want an array of definitions", name, lineAt(dec.InputOffset()))
				}
				found = true
			default:
				return nil, nil, fmt.Errorf("%s:%d: unknown field %s (want \"segments\", or a bare array of definitions)", name, lineAt(dec.InputOffset()), Quote(key))
			}
			if found {
				break
			}
		}
		if !found {
			return nil, nil, fmt.Errorf("%s: no \"segments\" array", name)
		}
	default:
		return nil, nil, fmt.Errorf("%s:1: want an array of segment definitions or {\"segments\": [...]}", name)
	}
	var out []SegmentDef
	var probs Problems
	seen := map[string]int{}
	for i := 0; dec.More(); i++ {
		start := dec.InputOffset()
		// The element starts after the separating comma and space.
		for int(start) < len(data) && strings.ContainsRune(", \t\r\n", rune(data[start])) {
			start++
		}
		line := lineAt(start)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			probs = append(probs, fmt.Sprintf("%s:%s", name, describeJSONError(data, err, "")))
			return out, probs, nil
		}
		var dj struct {
			Name        *string   `json:"name"`
			Rule        *string   `json:"rule"`
			Description string    `json:"description"`
			Static      bool      `json:"static"`
			Members     *[]string `json:"members"`
		}
		ed := json.NewDecoder(bytes.NewReader(raw))
		ed.DisallowUnknownFields()
		if err := ed.Decode(&dj); err != nil {
			label := fmt.Sprintf("segment %d", i+1)
			var named struct{ Name string }
			if json.Unmarshal(raw, &named) == nil && named.Name != "" {
				label = "segment " + Quote(named.Name)
			}
			probs = append(probs, fmt.Sprintf("%s:%d: %s: %s", name, line, label, jsonMessage(err, `"name", "rule", "description", "static", "members"`)))
			continue
		}
		var missing []string
		if dj.Name == nil || *dj.Name == "" {
			missing = append(missing, `"name"`)
		}
		if dj.Rule == nil || strings.TrimSpace(*dj.Rule) == "" {
			missing = append(missing, `"rule"`)
		}
		label := fmt.Sprintf("segment %d", i+1)
		if dj.Name != nil && *dj.Name != "" {
			label = "segment " + Quote(*dj.Name)
		}
		if len(missing) > 0 {
			probs = append(probs, fmt.Sprintf("%s:%d: %s: missing %s", name, line, label, strings.Join(missing, " and ")))
			continue
		}
		if prev, dup := seen[*dj.Name]; dup {
			probs = append(probs, fmt.Sprintf("%s:%d: %s: defined twice (first on line %d)", name, line, label, prev))
			continue
		}
		seen[*dj.Name] = line
		d := SegmentDef{Definition: segment.Definition{Name: *dj.Name, Rule: *dj.Rule, Description: dj.Description, Static: dj.Static}, Line: line}
		if dj.Members != nil {
			d.Members = *dj.Members
			if d.Members == nil {
				d.Members = []string{}
			}
		}
		out = append(out, d)
	}
	if len(out) == 0 && len(probs) == 0 {
		return nil, nil, fmt.Errorf("%s: no segment definitions", name)
	}
	return out, probs, nil
}

// ReadSegmentsFile reads the segments file at path.
func ReadSegmentsFile(path string) ([]SegmentDef, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadSegments(path, f)
}

// DefineSegments defines defs in reg, checking every rule with opts first
// so that all rule errors are reported together, each with the file line of
// its definition. Rule errors are returned as a Problems wrapping nothing;
// use IsRuleProblem to tell them from other errors.
func DefineSegments(name string, reg *segment.Registry, defs []SegmentDef, opts ...segment.Option) error {
	var probs Problems
	for _, d := range defs {
		if _, err := segment.Compile(d.Rule, opts...); err != nil {
			msg := strings.TrimPrefix(err.Error(), "segment: ")
			probs = append(probs, fmt.Sprintf("%s:%d: segment %s: %s", name, d.Line, Quote(d.Name), msg))
		}
	}
	if len(probs) > 0 {
		return &RuleProblems{probs}
	}
	plain := make([]segment.Definition, len(defs))
	for i, d := range defs {
		plain[i] = d.Definition
	}
	if err := reg.DefineAll(plain...); err != nil {
		return &RuleProblems{Problems{fmt.Sprintf("%s: %v", name, err)}}
	}
	return nil
}

// DefineSegmentsFile reads the segments file at path and defines its
// segments in reg, compiling every rule with opts. Every problem of the file
// (its fields and its rules) is reported together, as a *RuleProblems.
func DefineSegmentsFile(path string, reg *segment.Registry, opts ...segment.Option) ([]SegmentDef, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	defs, probs, err := readSegments(path, f)
	if err != nil {
		return nil, &RuleProblems{Problems{err.Error()}}
	}
	if err := DefineSegments(path, reg, defs, opts...); err != nil || len(probs) > 0 {
		var rp *RuleProblems
		if errors.As(err, &rp) {
			if len(probs) > 0 && len(rp.Problems) == 1 && !strings.HasPrefix(rp.Problems[0], path+":") {
				// A registry error (unknown reference, cycle) may be an
				// effect of a definition left out: report the others only.
				rp.Problems = nil
			}
			probs = append(probs, rp.Problems...)
		}
		sortProblems(path, probs)
		return nil, &RuleProblems{probs}
	}
	return defs, nil
}

// sortProblems orders "file:line: …" problems by line.
func sortProblems(path string, p Problems) {
	line := func(s string) int {
		rest := strings.TrimPrefix(s, path+":")
		n := 0
		for _, c := range rest {
			if c < '0' || c > '9' {
				break
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	slices.SortStableFunc(p, func(a, b string) int { return line(a) - line(b) })
}

// RuleProblems are problems in the rules of a definitions file.
type RuleProblems struct{ Problems Problems }

func (e *RuleProblems) Error() string { return e.Problems.Error() }

// IsRuleProblem reports whether err is (or wraps) a RuleProblems.
func IsRuleProblem(err error) bool {
	var rp *RuleProblems
	return errors.As(err, &rp)
}

package compare

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Merge combines reports of separate runs over the same population and
// rules (for example the peers measured in one run and segkit, after a
// change, in another) into one report. Sizes are matched by customer
// count; their rules and member counts must agree. An engine measured in
// several runs keeps its latest measurement (reports are given oldest
// first). Every run's load averages are kept as notes naming its engines.
// The reports are only read.
func Merge(reps ...*Report) (*Report, error) {
	if len(reps) == 0 {
		return nil, errors.New("compare: nothing to merge")
	}
	out := &Report{Machine: reps[0].Machine, Now: reps[0].Now, Runs: reps[0].Runs}
	for k, r := range reps {
		if !r.Now.Equal(out.Now) {
			return nil, fmt.Errorf("compare: merge: report %d was measured at another now (%v, not %v)", k+1, r.Now, out.Now)
		}
		if r.Machine != out.Machine {
			return nil, fmt.Errorf("compare: merge: report %d comes from another machine (%s)", k+1, r.Machine)
		}
		out.Runs = max(out.Runs, r.Runs)
		for _, s := range r.Sizes {
			i := slices.IndexFunc(out.Sizes, func(x SizeReport) bool { return x.N == s.N })
			if i < 0 {
				c := s
				c.Engines = slices.Clone(s.Engines)
				c.Notes = append(slices.Clone(s.Notes), runNote(k+1, s))
				out.Sizes = append(out.Sizes, c)
				continue
			}
			d := &out.Sizes[i]
			if len(d.Rules) != len(s.Rules) {
				return nil, fmt.Errorf("compare: merge: report %d has %d rules at %d customers, not %d", k+1, len(s.Rules), s.N, len(d.Rules))
			}
			for j := range s.Rules {
				if s.Rules[j].Name != d.Rules[j].Name || s.Rules[j].Segkit != d.Rules[j].Segkit {
					return nil, fmt.Errorf("compare: merge: report %d: rule %d is %s, not %s", k+1, j+1, s.Rules[j].Name, d.Rules[j].Name)
				}
				if s.Counts[j] != d.Counts[j] {
					return nil, fmt.Errorf("compare: merge: report %d: rule %s counts %d members at %d customers, not %d", k+1, s.Rules[j].Name, s.Counts[j], s.N, d.Counts[j])
				}
			}
			if d.Gen == 0 {
				d.Gen = s.Gen
			}
			for _, e := range s.Engines {
				if j := slices.IndexFunc(d.Engines, func(x EngineReport) bool { return x.Name == e.Name }); j >= 0 {
					d.Engines[j] = e
				} else {
					d.Engines = append(d.Engines, e)
				}
			}
			d.Notes = append(d.Notes, runNote(k+1, s))
		}
	}
	for i := range out.Sizes {
		out.Sizes[i].LoadAvg = [2]string{}
		// segkit, then the baselines, then the peers, as in a single run.
		slices.SortStableFunc(out.Sizes[i].Engines, func(a, b EngineReport) int { return engineRank(a.Name) - engineRank(b.Name) })
	}
	return out, nil
}

func engineRank(name string) int {
	switch name {
	case "segkit":
		return 0
	case "roaring":
		return 1
	case "expr":
		return 2
	}
	return 3
}

func runNote(k int, s SizeReport) string {
	names := make([]string, len(s.Engines))
	for i, e := range s.Engines {
		names[i] = e.Name
	}
	note := fmt.Sprintf("Run %d measured %s", k, strings.Join(names, ", "))
	if s.LoadAvg[0] != "" {
		note += fmt.Sprintf(" (load average at start: %s; at end: %s)", s.LoadAvg[0], s.LoadAvg[1])
	}
	return note + "."
}

// ReadReport reads a report saved by WriteReport.
func ReadReport(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("compare: %s: %w", path, err)
	}
	for _, s := range r.Sizes {
		if len(s.Counts) != len(s.Rules) {
			return nil, fmt.Errorf("compare: %s: %d counts for %d rules at %d customers", path, len(s.Counts), len(s.Rules), s.N)
		}
		for _, e := range s.Engines {
			if len(e.Times) != 0 && len(e.Times) != len(s.Rules) {
				return nil, fmt.Errorf("compare: %s: engine %s has %d timings for %d rules", path, e.Name, len(e.Times), len(s.Rules))
			}
		}
	}
	return &r, nil
}

// WriteReport saves a report as JSON, atomically (a temporary file renamed
// over path), so a reader never sees half a report.
func WriteReport(path string, r *Report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".report-*.json")
	if err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	_, werr := tmp.Write(append(b, '\n'))
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("compare: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("compare: %w", err)
	}
	return nil
}

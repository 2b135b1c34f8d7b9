package dataio

import (
	"fmt"
	"io"
	"iter"
	"os"
	"strconv"
	"time"

	"github.com/segkit/segkit/tier"
)

// ReadActivities decodes an activities CSV with a header, the non-purchase
// records of a tier program (nights, stays, fees, counters):
//
//	customer_id,date,metric,value
//	c1,2026-03-01,nights,2
//
// cols maps the fields id, time, metric and value to other header names.
// Times are read as by ReadTransactions; values are finite numbers. The
// first error ends the sequence.
func ReadActivities(name string, r io.Reader, cols Columns, loc *time.Location) iter.Seq2[tier.Activity, error] {
	return func(yield func(tier.Activity, error) bool) {
		stopped := false
		err := readActivities(name, r, cols, loc, func(_ int, a tier.Activity) bool {
			if !yield(a, nil) {
				stopped = true
				return false
			}
			return true
		})
		if err != nil && !stopped {
			yield(tier.Activity{}, err)
		}
	}
}

func readActivities(name string, r io.Reader, cols Columns, loc *time.Location, fn func(line int, a tier.Activity) bool) error {
	if loc == nil {
		loc = time.UTC
	}
	t, err := openCSV(name, r, cols, map[string]string{"id": "customer_id", "time": "date", "metric": "metric", "value": "value"}, []string{"id", "time", "metric", "value"})
	if err != nil {
		return err
	}
	err = t.each(func(line int, rec []string) error {
		id, _ := t.field(rec, "id")
		metric, _ := t.field(rec, "metric")
		switch {
		case id == "":
			return t.errf(line, "id", "empty")
		case metric == "":
			return t.errf(line, "metric", "empty")
		}
		at, err := t.when(line, rec, loc)
		if err != nil {
			return err
		}
		vs, _ := t.field(rec, "value")
		v, err := strconv.ParseFloat(vs, 64)
		if err != nil || !finite(v) {
			return t.errf(line, "value", "want a finite number, got %s", Quote(vs))
		}
		if !fn(line, tier.Activity{Customer: id, At: at, Metric: metric, Value: v}) {
			return errStop
		}
		return nil
	})
	if err == errStop {
		return nil
	}
	return err
}

// Activities is an activities file read whole: its records in file order and
// the line of each.
type Activities struct {
	Name    string
	Records []tier.Activity
	Lines   []int
}

// ReadActivitiesFile reads the activities file at path (see ReadActivities).
// A file with a header and no rows is an error.
func ReadActivitiesFile(path string, cols Columns, loc *time.Location) (*Activities, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := &Activities{Name: path}
	err = readActivities(path, f, cols, loc, func(line int, a tier.Activity) bool {
		out.Records = append(out.Records, a)
		out.Lines = append(out.Lines, line)
		return true
	})
	if err != nil {
		return nil, err
	}
	if len(out.Records) == 0 {
		return nil, fmt.Errorf("dataio: %s: no activities: the file has only a header", path)
	}
	return out, nil
}

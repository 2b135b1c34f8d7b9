package dataio

import (
	"fmt"
	"time"
)

// timeForms describes the accepted time forms, for error messages.
const timeForms = "YYYY-MM-DD, YYYY-MM-DD HH:MM:SS (in the data's time zone) or RFC 3339"

// localLayouts are date-and-time forms without an offset, read as
// wall-clock time in the data's time zone (what SQL exports write).
var localLayouts = []string{
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
}

// parseTime reads a time in one of the accepted forms:
//
//   - YYYY-MM-DD: midnight of that day in loc;
//   - YYYY-MM-DD HH:MM[:SS[.fraction]] (or with a T): that wall-clock time
//     in loc, as SQL databases and spreadsheets export timestamps;
//   - RFC 3339 with an offset (2026-01-01T10:00:00Z, …+08:00): that instant.
//
// loc is the schema's time zone (UTC without a schema).
func parseTime(s string, loc *time.Location) (time.Time, bool) {
	if len(s) == len(time.DateOnly) {
		if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
			return t, true
		}
		return time.Time{}, false
	}
	if len(s) < len(time.DateOnly) {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	for _, l := range localLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// Record times (transactions, events, activities) must fall in these years:
// a date such as 0001-01-01 is a placeholder of an export, not a purchase.
const (
	MinRecordYear = 1900
	MaxRecordYear = 2199
)

func checkRecordTime(t time.Time) error {
	if y := t.Year(); y < MinRecordYear || y > MaxRecordYear {
		return fmt.Errorf("year %d outside %d..%d (a placeholder date?)", y, MinRecordYear, MaxRecordYear)
	}
	return nil
}

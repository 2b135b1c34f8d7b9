package clv

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/segkit/segkit"
)

// ReadCDNOW parses the CDNOW transaction file of Fader, Hardie & Lee (2005):
// one purchase per line, no header, whitespace-separated columns master_id,
// sample_id, date (YYYYMMDD), number of CDs and dollar value; CRLF or LF line
// ends; blank lines are skipped.
//
// Each line becomes a [segkit.Transaction] whose Customer is the sample_id
// without leading zeros ("0059" → "59", the ID used by the published
// summaries), At is midnight UTC of the date, Quantity the number of CDs and
// Amount the dollar value. A malformed line returns a [*ParseError] with its
// line number and field.
func ReadCDNOW(r io.Reader) (_ []segkit.Transaction, err error) {
	defer guard(&err, "read cdnow")
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<16)
	var out []segkit.Transaction
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		f := strings.Fields(text)
		if len(f) != 5 {
			return nil, &ParseError{Line: line, Text: truncate(text, 40), Err: fmt.Errorf("want 5 fields (master_id sample_id date cds dollars), got %d", len(f))}
		}
		if _, err := parseID(f[0]); err != nil {
			return nil, &ParseError{Line: line, Field: "master_id", Text: truncate(f[0], 40), Err: err}
		}
		id, err := parseID(f[1])
		if err != nil {
			return nil, &ParseError{Line: line, Field: "sample_id", Text: truncate(f[1], 40), Err: err}
		}
		at, err := time.Parse("20060102", f[2])
		if err != nil {
			return nil, &ParseError{Line: line, Field: "date", Text: truncate(f[2], 40), Err: errors.New("want YYYYMMDD")}
		}
		cds, err := strconv.Atoi(f[3])
		if err != nil || cds < 0 {
			return nil, &ParseError{Line: line, Field: "cds", Text: truncate(f[3], 40), Err: errors.New("want a non-negative integer")}
		}
		amount, err := parseFinite(f[4])
		if err != nil || amount < 0 {
			return nil, &ParseError{Line: line, Field: "dollars", Text: truncate(f[4], 40), Err: errors.New("want a non-negative number")}
		}
		out = append(out, segkit.Transaction{Customer: strconv.FormatUint(id, 10), At: at, Amount: amount, Quantity: cds})
	}
	if err := sc.Err(); err != nil {
		return nil, &ParseError{Line: line + 1, Err: err}
	}
	return out, nil
}

func parseID(s string) (uint64, error) {
	id, err := strconv.ParseUint(s, 10, 63)
	if err != nil {
		return 0, errors.New("want a non-negative integer")
	}
	return id, nil
}

func parseFinite(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, errors.New("not a number")
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, errors.New("not a finite number")
	}
	return v, nil
}

// SummaryColumns names the columns [ReadSummaryCSV] reads. It is a plain
// value. Frequency,
// Recency and T are required; an empty ID or Monetary name, or a column
// absent from the header, means "not present" (IDs then are 1-based row
// numbers, monetary values 0).
type SummaryColumns struct {
	ID, Frequency, Recency, T, Monetary string
}

// DefaultSummaryColumns returns the column names of the lifetimes
// convention: ID, frequency, recency, T, monetary_value.
func DefaultSummaryColumns() SummaryColumns {
	return SummaryColumns{ID: "ID", Frequency: "frequency", Recency: "recency", T: "T", Monetary: "monetary_value"}
}

// ReadSummaryCSV parses a customer summary file: CSV with a header line
// naming the columns in cols (other columns are ignored). Frequency must be a
// non-negative integer (written "2" or "2.0"); the row must pass the checks
// of [ValidateSummaries]. A bad line returns a [*ParseError] with its line
// number and column.
func ReadSummaryCSV(r io.Reader, cols SummaryColumns) (_ []Summary, err error) {
	defer guard(&err, "read summary")
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &ParseError{Line: 1, Err: errors.New("empty input: want a header line")}
	}
	if err != nil {
		return nil, csvError(err)
	}
	pos := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if _, dup := pos[h]; !dup {
			pos[h] = i
		}
	}
	col := func(name string, required bool) (int, error) {
		if name == "" && !required {
			return -1, nil
		}
		i, ok := pos[name]
		if !ok {
			if required {
				return 0, &ParseError{Line: 1, Field: name, Err: errors.New("column missing from the header")}
			}
			return -1, nil
		}
		return i, nil
	}
	iID, err := col(cols.ID, false)
	if err != nil {
		return nil, err
	}
	iX, err := col(cols.Frequency, true)
	if err != nil {
		return nil, err
	}
	iR, err := col(cols.Recency, true)
	if err != nil {
		return nil, err
	}
	iT, err := col(cols.T, true)
	if err != nil {
		return nil, err
	}
	iM, err := col(cols.Monetary, false)
	if err != nil {
		return nil, err
	}
	var out []Summary
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		num := func(i int, name string) (float64, error) {
			v, err := parseFinite(strings.TrimSpace(rec[i]))
			if err != nil {
				return 0, &ParseError{Line: line, Field: name, Text: truncate(rec[i], 40), Err: err}
			}
			return v, nil
		}
		var s Summary
		if iID >= 0 {
			s.Customer = strings.TrimSpace(rec[iID])
		} else {
			s.Customer = strconv.Itoa(len(out) + 1)
		}
		x, err := num(iX, cols.Frequency)
		if err != nil {
			return nil, err
		}
		if x < 0 || x != math.Trunc(x) || x > math.MaxInt32 {
			return nil, &ParseError{Line: line, Field: cols.Frequency, Text: truncate(rec[iX], 40), Err: errors.New("want a non-negative integer")}
		}
		s.Frequency = int(x)
		if s.Recency, err = num(iR, cols.Recency); err != nil {
			return nil, err
		}
		if s.T, err = num(iT, cols.T); err != nil {
			return nil, err
		}
		if iM >= 0 {
			if s.Monetary, err = num(iM, cols.Monetary); err != nil {
				return nil, err
			}
		}
		if field, v, reason := checkSummary(&s); reason != "" {
			name := map[string]string{"frequency": cols.Frequency, "recency": cols.Recency, "T": cols.T, "monetary": cols.Monetary}[field]
			return nil, &ParseError{Line: line, Field: name, Text: strconv.FormatFloat(v, 'g', -1, 64), Err: errors.New(reason)}
		}
		out = append(out, s)
	}
	return out, nil
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &ParseError{Line: pe.Line, Err: pe.Err}
	}
	return &ParseError{Err: err}
}

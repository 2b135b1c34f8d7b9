package dataio

import (
	"errors"
	"fmt"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/tier"
)

// Filter returns the records keep accepts, with their lines.
func (t *Transactions) Filter(keep func(segkit.Transaction) bool) *Transactions {
	out := &Transactions{Name: t.Name}
	for i, tx := range t.Records {
		if keep(tx) {
			out.Records = append(out.Records, tx)
			out.Lines = append(out.Lines, t.Lines[i])
		}
	}
	return out
}

// Locate rewrites an error a model returned about one of t's records (by
// its position in the sequence it was given, or by customer and index) so
// that it names the file and line: "transactions.csv:42: …". Other errors
// are returned unchanged.
func (t *Transactions) Locate(err error) error {
	if err == nil {
		return nil
	}
	var le *segkit.TransactionError
	if errors.As(err, &le) && le.Pos >= 0 && le.Pos < len(t.Lines) {
		return fmt.Errorf("%s:%d: customer %s: %s", t.Name, t.Lines[le.Pos], Quote(le.Customer), le.Reason)
	}
	var te *tier.RecordError
	if errors.As(err, &te) && te.Record == "transaction" {
		if line, ok := nthLine(te.Customer, te.Index, len(t.Records), func(i int) string { return t.Records[i].Customer }, t.Lines); ok {
			return fmt.Errorf("%s:%d: customer %s: %v", t.Name, line, Quote(te.Customer), te.Err)
		}
	}
	return err
}

// Locate rewrites a tier error about one of a's records so that it names the
// file and line. Other errors are returned unchanged.
func (a *Activities) Locate(err error) error {
	var te *tier.RecordError
	if errors.As(err, &te) && te.Record == "activity" {
		if line, ok := nthLine(te.Customer, te.Index, len(a.Records), func(i int) string { return a.Records[i].Customer }, a.Lines); ok {
			return fmt.Errorf("%s:%d: customer %s: %v", a.Name, line, Quote(te.Customer), te.Err)
		}
	}
	return err
}

// nthLine finds the line of customer's n-th record (0-based, file order),
// the order tier.Group keeps.
func nthLine(customer string, n, count int, key func(int) string, lines []int) (int, bool) {
	for i := 0; i < count; i++ {
		if key(i) == customer {
			if n == 0 {
				return lines[i], true
			}
			n--
		}
	}
	return 0, false
}

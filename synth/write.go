package synth

import (
	"bufio"
	"fmt"
	"io"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/segkit/segkit"
)

// The writers produce the data contract of the segkit command (issue 8):
//
//	customers.jsonl    {"id":"c00000001","tags":["undergrad"],"attrs":{"age":21,"city":"Beijing",…}}
//	schema.json        {"time_zone":"UTC","attributes":{"age":"int","spend":"decimal(2)",…}}
//	events.jsonl       {"id":"c00000001","event":"login","at":"2026-01-02T08:00:00Z"}
//	transactions.csv   customer_id,date,amount
//
// Times are RFC 3339 at second precision in the times' own location.

// Field is a customer attribute and its kind as the schema file spells it:
// "int", "decimal(2)", "category", "set", "time" or "bool". A plain value.
type Field struct {
	Name string
	Kind string
}

// Fields returns the attributes of generated customers in the order the
// writers emit them.
func Fields() []Field {
	return []Field{
		{"age", "int"},
		{"gender", "category"},
		{"city", "category"},
		{"occupation", "category"},
		{"source", "category"},
		{"spend", "decimal(2)"},
		{"signup_at", "time"},
		{"last_login_at", "time"},
		{"vip", "bool"},
		{"interests", "set"},
	}
}

// WriteSchema writes the schema file of the generated attributes with the
// time zone loc (nil means UTC; use a location from time.LoadLocation so its
// name is an IANA zone).
func WriteSchema(w io.Writer, loc *time.Location) error {
	if loc == nil {
		loc = time.UTC
	}
	b := []byte(`{"time_zone":`)
	b = appendJSONString(b, loc.String())
	b = append(b, `,"attributes":{`...)
	for i, f := range Fields() {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, f.Name)
		b = append(b, ':')
		b = appendJSONString(b, f.Kind)
	}
	b = append(b, "}}\n"...)
	_, err := w.Write(b)
	if err != nil {
		return fmt.Errorf("synth: write schema: %w", err)
	}
	return nil
}

// WriteCustomers writes customers as JSON Lines, one object per customer
// with its key, tags and present attributes (missing ones are left out), and
// returns the number written.
func WriteCustomers(w io.Writer, customers iter.Seq[Customer]) (int, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	var b []byte
	n := 0
	for c := range customers {
		b = AppendCustomerJSON(b[:0], &c)
		b = append(b, '\n')
		if _, err := bw.Write(b); err != nil {
			return n, fmt.Errorf("synth: write customers: %w", err)
		}
		n++
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("synth: write customers: %w", err)
	}
	return n, nil
}

// AppendCustomerJSON appends c's JSON object (without a newline) to b.
func AppendCustomerJSON(b []byte, c *Customer) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, c.Key)
	b = append(b, `,"tags":[`...)
	for i, t := range c.Tags {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, t)
	}
	b = append(b, `],"attrs":{`...)
	first := true
	key := func(name string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, `":`...)
	}
	if c.Age != 0 {
		key("age")
		b = strconv.AppendInt(b, int64(c.Age), 10)
	}
	for _, kv := range [...]struct{ k, v string }{
		{"gender", c.Gender}, {"city", c.City}, {"occupation", c.Occupation}, {"source", c.Source},
	} {
		if kv.v != "" {
			key(kv.k)
			b = appendJSONString(b, kv.v)
		}
	}
	if finite(c.Spend) {
		key("spend")
		b = strconv.AppendFloat(b, c.Spend, 'f', 2, 64)
	}
	if !c.SignupAt.IsZero() {
		key("signup_at")
		b = appendTime(b, c.SignupAt)
	}
	if !c.LastLoginAt.IsZero() {
		key("last_login_at")
		b = appendTime(b, c.LastLoginAt)
	}
	key("vip")
	b = strconv.AppendBool(b, c.VIP)
	if len(c.Interests) > 0 {
		key("interests")
		b = append(b, '[')
		for i, s := range c.Interests {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, s)
		}
		b = append(b, ']')
	}
	return append(b, "}}"...)
}

// WriteEvents writes events as JSON Lines ({"id","event","at"} and "value"
// when it is not zero) and returns the number written. A non-finite value is
// an error naming the event's position.
func WriteEvents(w io.Writer, events iter.Seq[segkit.Event]) (int, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	var b []byte
	n := 0
	for e := range events {
		if !finite(e.Value) {
			return n, fmt.Errorf("synth: write events: event %d (%s %s): value %v is not finite", n+1, e.Customer, e.Name, e.Value)
		}
		b = appendEventJSON(b[:0], &e)
		if _, err := bw.Write(b); err != nil {
			return n, fmt.Errorf("synth: write events: %w", err)
		}
		n++
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("synth: write events: %w", err)
	}
	return n, nil
}

// WriteTransactions writes transactions as CSV with the header
// customer_id,date,amount (RFC 3339 dates, amounts with two decimals) and
// returns the number of rows written. A non-finite amount is an error naming
// the row.
func WriteTransactions(w io.Writer, txs iter.Seq[segkit.Transaction]) (int, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.WriteString(transactionsHeader); err != nil {
		return 0, fmt.Errorf("synth: write transactions: %w", err)
	}
	var b []byte
	n := 0
	for t := range txs {
		if !finite(t.Amount) {
			return n, fmt.Errorf("synth: write transactions: row %d (%s): amount %v is not finite", n+1, t.Customer, t.Amount)
		}
		b = appendTransactionCSV(b[:0], &t)
		if _, err := bw.Write(b); err != nil {
			return n, fmt.Errorf("synth: write transactions: %w", err)
		}
		n++
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("synth: write transactions: %w", err)
	}
	return n, nil
}

// appendEventJSON appends e's JSON line (with the newline).
func appendEventJSON(b []byte, e *segkit.Event) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, e.Customer)
	b = append(b, `,"event":`...)
	b = appendJSONString(b, e.Name)
	b = append(b, `,"at":`...)
	b = appendTime(b, e.At)
	if e.Value != 0 {
		b = append(b, `,"value":`...)
		b = strconv.AppendFloat(b, e.Value, 'f', -1, 64)
	}
	if len(e.Props) > 0 {
		b = append(b, `,"props":{`...)
		for i, k := range slices.Sorted(maps.Keys(e.Props)) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = appendJSONString(b, e.Props[k])
		}
		b = append(b, '}')
	}
	return append(b, "}\n"...)
}

const transactionsHeader = "customer_id,date,amount\n"

// appendTransactionCSV appends t's CSV row (with the newline).
func appendTransactionCSV(b []byte, t *segkit.Transaction) []byte {
	b = appendCSVField(b, t.Customer)
	b = append(b, ',')
	b = t.At.AppendFormat(b, time.RFC3339)
	b = append(b, ',')
	b = strconv.AppendFloat(b, t.Amount, 'f', 2, 64)
	return append(b, '\n')
}

// Counts is what [Generator.Write] wrote. A plain value.
type Counts struct {
	Customers, Events, Transactions int
}

// Write generates the population once and writes it in the data contract's
// formats: customers as JSON Lines, events as JSON Lines and transactions as
// CSV. A nil writer skips that file (and the work of generating it). It
// returns what was written, also on error.
func (g *Generator) Write(customers, events, transactions io.Writer) (Counts, error) {
	var n Counts
	var what need
	var cw, ew, tw *bufio.Writer
	if customers != nil {
		what |= needAttrs
		cw = bufio.NewWriterSize(customers, 1<<16)
	}
	if events != nil {
		what |= needEvents
		ew = bufio.NewWriterSize(events, 1<<16)
	}
	if transactions != nil {
		what |= needTx
		tw = bufio.NewWriterSize(transactions, 1<<16)
		if _, err := tw.WriteString(transactionsHeader); err != nil {
			return n, fmt.Errorf("synth: write transactions: %w", err)
		}
	}
	if what == 0 {
		return n, nil
	}
	var b []byte
	var err error
	g.run(0, g.cfg.Customers, what, func(r *Record) bool {
		if cw != nil {
			b = AppendCustomerJSON(b[:0], &r.Customer)
			b = append(b, '\n')
			if _, err = cw.Write(b); err != nil {
				err = fmt.Errorf("synth: write customers: %w", err)
				return false
			}
			n.Customers++
		}
		if ew != nil {
			b = b[:0]
			for i := range r.Events {
				b = appendEventJSON(b, &r.Events[i])
			}
			if _, err = ew.Write(b); err != nil {
				err = fmt.Errorf("synth: write events: %w", err)
				return false
			}
			n.Events += len(r.Events)
		}
		if tw != nil {
			b = b[:0]
			for i := range r.Transactions {
				b = appendTransactionCSV(b, &r.Transactions[i])
			}
			if _, err = tw.Write(b); err != nil {
				err = fmt.Errorf("synth: write transactions: %w", err)
				return false
			}
			n.Transactions += len(r.Transactions)
		}
		return true
	})
	if err != nil {
		return n, err
	}
	for _, f := range []struct {
		w    *bufio.Writer
		what string
	}{{cw, "customers"}, {ew, "events"}, {tw, "transactions"}} {
		if f.w != nil {
			if err := f.w.Flush(); err != nil {
				return n, fmt.Errorf("synth: write %s: %w", f.what, err)
			}
		}
	}
	return n, nil
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339)
	return append(b, '"')
}

// appendCSVField quotes s as RFC 4180 requires when it holds a comma, a
// quote, a line break or leading/trailing space.
func appendCSVField(b []byte, s string) []byte {
	if s == "" || (!strings.ContainsAny(s, ",\"\r\n") && s[0] != ' ' && s[len(s)-1] != ' ') {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD (as
// encoding/json does), U+2028 and U+2029 escaped for JavaScript.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

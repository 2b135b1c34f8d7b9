package dataio

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Regression tests for the everyday-export problems of issues 13 and 14:
// each failed before its fix.

func firstTxErr(t *testing.T, in string, loc *time.Location) error {
	t.Helper()
	for _, err := range ReadTransactions("tx.csv", strings.NewReader(in), nil, loc) {
		if err != nil {
			return err
		}
	}
	return nil
}

func TestErrorQuotesAtMost100Bytes(t *testing.T) {
	huge := strings.Repeat("9x", 1<<20) // a 2 MB field
	for name, in := range map[string]string{
		"amount": "customer_id,date,amount\na,2026-01-01," + huge + "\n",
		"date":   "customer_id,date,amount\na," + huge + ",1\n",
		"header": "customer_id,date," + huge + "\na,2026-01-01,1\n",
	} {
		err := firstTxErr(t, in, nil)
		require.Error(t, err, name)
		assert.Less(t, len(err.Error()), 400, "%s: the error quotes at most ~100 bytes of the value: %.300s", name, err)
		assert.Contains(t, err.Error(), "bytes)", name)
	}
	var err error
	for _, e := range ReadEvents("e.jsonl", strings.NewReader(`{"id":"a","event":"x","at":"`+huge+`"}`), nil) {
		err = e
	}
	require.Error(t, err)
	assert.Less(t, len(err.Error()), 400)
	cr := NewCustomerReader("c.jsonl", strings.NewReader(`{"id":"a","attrs":{"t":"2026-01-01"}}`+"\n"+`{"id":"b","attrs":{"t":"`+huge+`"}}`), nil)
	_, err = readAllCustomers(t, cr)
	require.Error(t, err)
	assert.Less(t, len(err.Error()), 400)
	_, err = ParseColumns("id="+huge+",nosuch=1", "id")
	require.Error(t, err)
	assert.Less(t, len(err.Error()), 400)
	assert.Equal(t, `"abc"`, Quote("abc"))
	q := Quote(strings.Repeat("宝", 50)) // 150 bytes: cut at a character boundary
	assert.True(t, strings.HasPrefix(q, `"`+strings.Repeat("宝", 33)+`"…`), q)
}

func TestUnclosedQuoteReportedWhereItStarts(t *testing.T) {
	var b strings.Builder
	b.WriteString("customer_id,date,amount\n")
	for i := 2; i <= 21686; i++ {
		if i == 5000 {
			b.WriteString("c5000,2026-01-01,\"12\n")
			continue
		}
		fmt.Fprintf(&b, "c%d,2026-01-01,1\n", i)
	}
	err := firstTxErr(t, b.String(), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "tx.csv:5000: a quoted field opened in the record starting here is not closed")

	var aerr error
	for _, e := range ReadActivities("acts.csv", strings.NewReader("customer_id,date,metric,value\na,2026-01-01,nights,2\nb,\"2026-01-02,nights,1\nc,2026-01-03,nights,1\n"), nil, nil) {
		aerr = e
	}
	require.Error(t, aerr)
	assert.Contains(t, aerr.Error(), "acts.csv:3:")
}

func TestAbsurdDatesRejectedWithLine(t *testing.T) {
	err := firstTxErr(t, "customer_id,date,amount\na,2026-01-01,3\nb,0001-01-01,4\n", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `tx.csv:3: field time (column "date"): "0001-01-01": year 1 outside 1900..2199`)
	err = firstTxErr(t, "customer_id,date,amount\nb,9999-12-31T00:00:00Z,4\n", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `tx.csv:2:`)
	var eerr error
	for _, e := range ReadEvents("e.jsonl", strings.NewReader(`{"id":"a","event":"x","at":"0001-01-01"}`), nil) {
		eerr = e
	}
	require.Error(t, eerr)
	assert.Contains(t, eerr.Error(), `e.jsonl:1: field "at": "0001-01-01": year 1 outside`)
}

func TestSQLTimestampsInTheSchemaZone(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	var got []segkit.Transaction
	for tx, err := range ReadTransactions("tx.csv", strings.NewReader("customer_id,date,amount\na,2026-01-01 10:00:00,1\nb,2026-01-01 10:00,2\nc,2026-01-01T10:00:00.5,3\nd,2026-01-01T10:00:00Z,4\n"), nil, sh) {
		require.NoError(t, err)
		got = append(got, tx)
	}
	require.Len(t, got, 4)
	want := time.Date(2026, 1, 1, 10, 0, 0, 0, sh)
	assert.True(t, got[0].At.Equal(want), got[0].At)
	assert.True(t, got[1].At.Equal(want), got[1].At)
	assert.True(t, got[2].At.Equal(want.Add(500*time.Millisecond)), got[2].At)
	assert.True(t, got[3].At.Equal(time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)), "an explicit offset wins over the zone")

	s, err := ReadSchema("s.json", strings.NewReader(`{"time_zone":"Asia/Shanghai","attributes":{"signup_at":"time"}}`))
	require.NoError(t, err, "time_zone is accepted as another spelling of timezone")
	cr := NewCustomerReader("c.jsonl", strings.NewReader(`{"id":"a","attrs":{"signup_at":"2026-01-01 10:00:00"}}`), s)
	cs, err := readAllCustomers(t, cr)
	require.NoError(t, err)
	at, _ := cs[0].Attrs["signup_at"].AsTime()
	assert.True(t, at.Equal(want), at)
	_, err = ReadSchema("s.json", strings.NewReader(`{"time_zone":"UTC","timezone":"UTC"}`))
	assert.ErrorContains(t, err, "both")
}

func TestByteOrderMark(t *testing.T) {
	cr := NewCustomerReader("c.jsonl", strings.NewReader("\ufeff"+`{"id":"a","tags":["x"]}`+"\n"+`{"id":"b"}`), nil)
	cs, err := readAllCustomers(t, cr)
	require.NoError(t, err)
	assert.Len(t, cs, 2)
	n := 0
	for _, err := range ReadEvents("e.jsonl", strings.NewReader("\ufeff"+`{"id":"a","event":"x","at":"2026-01-01"}`), nil) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 1, n)
	_, err = ReadSchema("s.json", strings.NewReader("\ufeff"+`{"timezone":"UTC"}`))
	assert.NoError(t, err)
	require.NoError(t, firstTxErr(t, "\ufeffcustomer_id,date,amount\na,2026-01-01,1\n", nil))
}

func TestJSONErrorsSpeakJSON(t *testing.T) {
	for in, want := range map[string]string{
		`{"id":"a","tags":"vip"}`:         `c.jsonl:1: field "tags": want an array of strings, got a string`,
		`{"id":"a","tags":[1]}`:           `c.jsonl:1: field "tags": want a string, got a number`,
		`{"id":7}`:                        `c.jsonl:1: field "id": want a string, got a number`,
		`{"id":"a","attrs":[1]}`:          `c.jsonl:1: field "attrs": want an object, got an array`,
		`{"id":"a",`:                      `c.jsonl:1: malformed JSON: the record ends before its value is complete`,
		`{"id":"a" "tags":[]}`:            `c.jsonl:1: malformed JSON: invalid character '"' after object key:value pair`,
		`{"id":"a","attrs":{"age":1,}}`:   `c.jsonl:1: malformed JSON`,
		"{\"id\":\"a\"}\n\n{\"id\":\"b\"": `c.jsonl:3: malformed JSON: the record ends`,
	} {
		_, err := readAllCustomers(t, NewCustomerReader("c.jsonl", strings.NewReader(in), nil))
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), want, in)
		for _, bad := range []string{"Go struct", "Go value", "unexpected EOF", "[]string", "json: "} {
			assert.NotContains(t, err.Error(), bad, in)
		}
	}
	var err error
	for _, e := range ReadEvents("e.jsonl", strings.NewReader(`{"id":"a","event":["x"],"at":"2026-01-01"}`), nil) {
		err = e
	}
	assert.ErrorContains(t, err, `e.jsonl:1: field "event": want a string, got an array`)
}

func TestDuplicateCustomerIsAnError(t *testing.T) {
	ix, err := NewIndex(nil)
	require.NoError(t, err)
	in := `{"id":"a","tags":["x"]}` + "\n" + `{"id":"b"}` + "\n" + `{"id":"a","tags":["y"]}`
	_, err = LoadCustomers(context.Background(), ix, NewCustomerReader("c.jsonl", strings.NewReader(in), nil))
	assert.ErrorContains(t, err, `c.jsonl:3: customer "a" appears twice (first on line 1)`)

	// Across index batches too.
	var b strings.Builder
	for i := range batchSize + 10 {
		fmt.Fprintf(&b, "{\"id\":\"c%d\"}\n", i)
	}
	b.WriteString(`{"id":"c3"}`)
	ix, _ = NewIndex(nil)
	_, err = LoadCustomers(context.Background(), ix, NewCustomerReader("c.jsonl", strings.NewReader(b.String()), nil))
	assert.ErrorContains(t, err, fmt.Sprintf(`c.jsonl:%d: customer "c3" appears twice`, batchSize+11))
}

func TestEmptyInputsSaySo(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	ix, _ := NewIndex(nil)
	_, err := LoadCustomersFile(context.Background(), ix, write("c.jsonl", "\n\n"), nil)
	assert.ErrorContains(t, err, "no customers: the file is empty")
	_, err = ReadTransactionsFile(write("t.csv", "customer_id,date,amount\n"), nil, nil)
	assert.ErrorContains(t, err, "no transactions: the file has only a header")
	_, err = ReadTransactionsFile(write("t0.csv", ""), nil, nil)
	assert.ErrorContains(t, err, "empty file, want a header line")
	_, err = ReadActivitiesFile(write("a.csv", "customer_id,date,metric,value\n"), nil, nil)
	assert.ErrorContains(t, err, "no activities")
	_, err = ReadSchemaFile(write("s.json", " \n"))
	assert.ErrorContains(t, err, "empty file")
	_, err = ReadSegmentsFile(write("seg.json", "[]"))
	assert.ErrorContains(t, err, "no segment definitions")
}

func TestDefinitionFilesSpeakJSON(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	_, err := ReadRFMSchemeFile(write("scheme.json", "{\"name\": \"x\",\n \"bins\": \"5\"}"))
	assert.EqualError(t, err, filepath.Join(dir, "scheme.json")+`:2: field "bins": want an integer, got a string`)
	_, err = ReadProgramFile(write("program.json", "{\"window\": {\"kind\": \"rolling\",\n \"months\": \"12\"}, \"levels\": [{\"name\": \"M\"}]}"))
	assert.EqualError(t, err, filepath.Join(dir, "program.json")+`:2: field "window.months": want an integer, got a string`)
	_, err = ReadProgramFile(write("program2.json", "{\"window\": {\"kind\": \"rolling\", \"months\": 12},\n \"levelz\": []}"))
	assert.EqualError(t, err, filepath.Join(dir, "program2.json")+`:2: unknown field "levelz"`)
	sch, err := ReadRFMSchemeFile(write("mine.csv", "rfm_cell,segment\n555,Top\n"))
	require.NoError(t, err)
	assert.Equal(t, "mine", sch.Name())
}

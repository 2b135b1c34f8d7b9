package synth

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/segkit/segkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// goldenConfig is the small population of the golden files and examples.
func goldenConfig() Config {
	cfg := Reference(12)
	cfg.Seed = 2026
	return cfg
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run %s -update to create it", t.Name())
	assert.Equal(t, string(want), string(got), "(-want +got) differs from %s; run with -update after checking", path)
}

func TestGoldenFiles(t *testing.T) {
	g := mustNew(t, goldenConfig())
	var buf bytes.Buffer

	n, err := WriteCustomers(&buf, g.Customers())
	require.NoError(t, err)
	assert.Equal(t, 12, n)
	golden(t, "customers.jsonl", buf.Bytes())

	buf.Reset()
	require.NoError(t, WriteSchema(&buf, nil))
	golden(t, "schema.json", buf.Bytes())

	buf.Reset()
	_, err = WriteEvents(&buf, g.Events())
	require.NoError(t, err)
	golden(t, "events.jsonl", buf.Bytes())

	buf.Reset()
	_, err = WriteTransactions(&buf, g.Transactions())
	require.NoError(t, err)
	golden(t, "transactions.csv", buf.Bytes())
}

// TestWrittenFilesRoundTrip decodes the written files with the standard
// library and compares them with the generated values.
func TestWrittenFilesRoundTrip(t *testing.T) {
	cfg := Reference(400)
	g := mustNew(t, cfg)
	var custs []Customer
	for c := range g.Customers() {
		custs = append(custs, c.Clone())
	}

	t.Run("customers", func(t *testing.T) {
		var buf bytes.Buffer
		_, err := WriteCustomers(&buf, slices.Values(custs))
		require.NoError(t, err)
		sc := bufio.NewScanner(&buf)
		i := 0
		for sc.Scan() {
			var line struct {
				ID    string         `json:"id"`
				Tags  []string       `json:"tags"`
				Attrs map[string]any `json:"attrs"`
			}
			dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
			dec.UseNumber()
			require.NoError(t, dec.Decode(&line), "line %d", i+1)
			c := custs[i]
			assert.Equal(t, c.Key, line.ID)
			assert.Equal(t, c.Tags, append([]string{}, line.Tags...))
			for _, f := range Fields() {
				v, ok := line.Attrs[f.Name]
				switch f.Name {
				case "age":
					assert.Equal(t, c.Age != 0, ok)
					if ok {
						assert.Equal(t, json.Number(strconv.Itoa(c.Age)), v)
					}
				case "gender", "city", "occupation", "source":
					want := map[string]string{"gender": c.Gender, "city": c.City, "occupation": c.Occupation, "source": c.Source}[f.Name]
					assert.Equal(t, want != "", ok, f.Name)
					if ok {
						assert.Equal(t, want, v)
					}
				case "spend":
					require.True(t, ok)
					s := string(v.(json.Number))
					assert.Regexp(t, `^\d+\.\d\d$`, s, "two decimals")
					x, err := strconv.ParseFloat(s, 64)
					require.NoError(t, err)
					assert.Equal(t, c.Spend, x)
				case "signup_at", "last_login_at":
					want := map[string]time.Time{"signup_at": c.SignupAt, "last_login_at": c.LastLoginAt}[f.Name]
					at, err := time.Parse(time.RFC3339, v.(string))
					require.NoError(t, err)
					assert.True(t, want.Equal(at))
				case "vip":
					assert.Equal(t, c.VIP, v)
				case "interests":
					assert.Equal(t, len(c.Interests) > 0, ok)
					if ok {
						var got []string
						for _, x := range v.([]any) {
							got = append(got, x.(string))
						}
						assert.Equal(t, c.Interests, got)
					}
				}
			}
			assert.Len(t, line.Attrs, countPresent(c), "no attributes beyond Fields()")
			i++
		}
		require.NoError(t, sc.Err())
		assert.Equal(t, len(custs), i)
	})

	t.Run("events", func(t *testing.T) {
		var buf bytes.Buffer
		evs := slices.Collect(g.Events())
		n, err := WriteEvents(&buf, slices.Values(evs))
		require.NoError(t, err)
		require.Equal(t, len(evs), n)
		sc := bufio.NewScanner(&buf)
		i := 0
		for sc.Scan() {
			var line map[string]any
			require.NoError(t, json.Unmarshal(sc.Bytes(), &line))
			e := evs[i]
			assert.Equal(t, e.Customer, line["id"])
			assert.Equal(t, e.Name, line["event"])
			at, err := time.Parse(time.RFC3339, line["at"].(string))
			require.NoError(t, err)
			assert.True(t, e.At.Equal(at))
			if e.Value != 0 {
				assert.Equal(t, e.Value, line["value"])
			} else {
				assert.NotContains(t, line, "value")
			}
			i++
		}
		assert.Equal(t, len(evs), i)
	})

	t.Run("transactions", func(t *testing.T) {
		var buf bytes.Buffer
		txs := slices.Collect(g.Transactions())
		_, err := WriteTransactions(&buf, slices.Values(txs))
		require.NoError(t, err)
		rows, err := csv.NewReader(&buf).ReadAll()
		require.NoError(t, err)
		require.Equal(t, []string{"customer_id", "date", "amount"}, rows[0])
		require.Len(t, rows, len(txs)+1)
		for i, tx := range txs {
			row := rows[i+1]
			assert.Equal(t, tx.Customer, row[0])
			at, err := time.Parse(time.RFC3339, row[1])
			require.NoError(t, err)
			assert.True(t, tx.At.Equal(at))
			assert.Equal(t, strconv.FormatFloat(tx.Amount, 'f', 2, 64), row[2])
		}
	})

	t.Run("schema", func(t *testing.T) {
		shanghai, err := time.LoadLocation("Asia/Shanghai")
		require.NoError(t, err)
		var buf bytes.Buffer
		require.NoError(t, WriteSchema(&buf, shanghai))
		var schema struct {
			Timezone   string            `json:"time_zone"`
			Attributes map[string]string `json:"attributes"`
		}
		require.NoError(t, json.Unmarshal(buf.Bytes(), &schema))
		assert.Equal(t, "Asia/Shanghai", schema.Timezone)
		assert.Len(t, schema.Attributes, len(Fields()))
		assert.Equal(t, "decimal(2)", schema.Attributes["spend"])
		assert.Equal(t, "set", schema.Attributes["interests"])
	})
}

func countPresent(c Customer) int {
	n := 3 // city, spend, vip
	for _, ok := range []bool{c.Age != 0, c.Gender != "", c.Occupation != "", c.Source != "",
		!c.SignupAt.IsZero(), !c.LastLoginAt.IsZero(), len(c.Interests) > 0} {
		if ok {
			n++
		}
	}
	return n
}

type failWriter struct{ after int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.after -= len(p); w.after < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestWriteErrors(t *testing.T) {
	g := mustNew(t, Reference(3000))
	_, err := WriteCustomers(&failWriter{after: 100_000}, g.Customers())
	assert.ErrorContains(t, err, "synth: write customers: disk full")
	_, err = WriteEvents(&failWriter{after: 100_000}, g.Events())
	assert.ErrorContains(t, err, "synth: write events: disk full")
	_, err = WriteTransactions(&failWriter{after: 10}, g.Transactions())
	assert.ErrorContains(t, err, "synth: write transactions: disk full")
	assert.ErrorContains(t, WriteSchema(&failWriter{}, nil), "synth: write schema: disk full")

	bad := []segkit.Event{{Customer: "a", Name: "x"}, {Customer: "b", Name: "y", Value: math.Inf(1)}}
	n, err := WriteEvents(&bytes.Buffer{}, slices.Values(bad))
	assert.Equal(t, 1, n)
	assert.ErrorContains(t, err, "event 2 (b y): value +Inf is not finite")
	_, err = WriteTransactions(&bytes.Buffer{}, slices.Values([]segkit.Transaction{{Customer: "c", Amount: math.NaN()}}))
	assert.ErrorContains(t, err, "row 1 (c): amount NaN is not finite")
}

func TestCSVQuoting(t *testing.T) {
	tests := []struct{ in, want string }{
		{"c1", "c1"},
		{"", ""},
		{"a,b", `"a,b"`},
		{`say "hi"`, `"say ""hi"""`},
		{"line\nbreak", "\"line\nbreak\""},
		{" padded", `" padded"`},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, string(appendCSVField(nil, tc.in)))
	}
}

func TestJSONString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", `"plain"`},
		{`q"b\`, `"q\"b\\"`},
		{"tab\tnl\ncr\r", `"tab\tnl\ncr\r"`},
		{"\x00\x1f", `"\u0000\u001f"`},
		{"大学生", `"大学生"`},
		{"bad\xffutf8", `"bad\ufffdutf8"`},
		{"\u2028", `"\u2028"`},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, string(appendJSONString(nil, tc.in)))
	}
}

// FuzzJSONString: any string encodes to valid JSON that decodes to the same
// string (invalid UTF-8 becoming U+FFFD, as with encoding/json).
func FuzzJSONString(f *testing.F) {
	for _, s := range []string{"", "c00000001", `"\`, "\x00\x7f", "大学生", "\xff\xfe", "\u2028\u2029", "a\tb\nc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := appendJSONString(nil, s)
		if !json.Valid(b) {
			t.Fatalf("invalid JSON %q for %q", b, s)
		}
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		want := strings.ToValidUTF8(s, "\ufffd")
		if !utf8.ValidString(s) {
			// encoding/json replaces each invalid byte; ToValidUTF8 runs.
			var sb strings.Builder
			for i := 0; i < len(s); {
				r, n := utf8.DecodeRuneInString(s[i:])
				sb.WriteRune(r)
				i += n
			}
			want = sb.String()
		}
		if got != want {
			t.Fatalf("round trip of %q: got %q, want %q", s, got, want)
		}
		std, _ := json.Marshal(s)
		var viaStd string
		_ = json.Unmarshal(std, &viaStd)
		if viaStd != got {
			t.Fatalf("differs from encoding/json for %q: %q vs %q", s, got, viaStd)
		}
	})
}

func TestGeneratorWriteMatchesStreams(t *testing.T) {
	for _, workers := range []int{1, 2} {
		cfg := Reference(1500)
		cfg.Workers = workers
		g := mustNew(t, cfg)
		var wantC, wantE, wantT bytes.Buffer
		nc, err := WriteCustomers(&wantC, g.Customers())
		require.NoError(t, err)
		ne, err := WriteEvents(&wantE, g.Events())
		require.NoError(t, err)
		nt, err := WriteTransactions(&wantT, g.Transactions())
		require.NoError(t, err)

		var c, e, tx bytes.Buffer
		n, err := g.Write(&c, &e, &tx)
		require.NoError(t, err)
		assert.Equal(t, Counts{nc, ne, nt}, n)
		assert.Equal(t, wantC.String(), c.String())
		assert.Equal(t, wantE.String(), e.String())
		assert.Equal(t, wantT.String(), tx.String())

		tx.Reset()
		n, err = g.Write(nil, nil, &tx)
		require.NoError(t, err)
		assert.Equal(t, Counts{Transactions: nt}, n)
		assert.Equal(t, wantT.String(), tx.String())

		n, err = g.Write(nil, nil, nil)
		require.NoError(t, err)
		assert.Zero(t, n)
	}
	g := mustNew(t, Reference(3000))
	_, err := g.Write(&bytes.Buffer{}, &failWriter{after: 200_000}, nil)
	assert.ErrorContains(t, err, "synth: write events: disk full")
	_, err = g.Write(&failWriter{after: 100_000}, nil, nil)
	assert.ErrorContains(t, err, "synth: write customers: disk full")
	_, err = g.Write(nil, nil, &failWriter{after: 5})
	assert.ErrorContains(t, err, "synth: write transactions: disk full")
}

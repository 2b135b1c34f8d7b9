package integration

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/segment"
	"github.com/segkit/segkit/sqlgen"
)

// TestRegexAgreement: string matches and regular expressions select the
// same values on PostgreSQL and ClickHouse as Go's regexp (the index), on
// strings chosen where engines tend to differ (newlines, case folding
// beyond ASCII, multi-byte characters, classes, word boundaries).
func TestRegexAgreement(t *testing.T) {
	pool := pgConnect(t)
	ch := chConnect(t)
	samples := []string{"", "a", "A", "\n", "a\nb", "b\n", "Beijing", "beijing", "BEIJING", "北京", "北京市", "K", "k", "\u212a", "ſ", "s", "straße", "STRASSE", "abc123", "a_b", "x y", "é", "É", "\t", "ma", "math", "maths", "art", "smart", "%_", "a.b", "a+b", "[x]", "\\", "'", "x'; DROP TABLE customers; --", "ü", "12", "١٢", "Ⅻ", "İstanbul", "ǅ"}
	p := &population{loc: time.UTC, now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	for i, s := range samples {
		p.customers = append(p.customers, customer{id: fmt.Sprintf("r%02d", i), live: true, attrs: map[string]bitmapindex.Value{
			"city":      bitmapindex.Category(s),
			"interests": bitmapindex.SetOf(s, "zz"),
		}})
	}
	p.customers = append(p.customers, customer{id: "none", live: true, attrs: map[string]bitmapindex.Value{}})
	p.build(t)
	pgLayout := pgLoad(t, pool, p, "segkit_re")
	chLayout := chLoad(t, ch, p, "segkit_re")
	pg, err := sqlgen.New(sqlgen.Options{Dialect: sqlgen.Postgres, Schema: schema, Layout: pgLayout, Params: true})
	require.NoError(t, err)
	chg, err := sqlgen.New(sqlgen.Options{Dialect: sqlgen.ClickHouse, Schema: schema, Layout: chLayout})
	require.NoError(t, err)
	patterns := []string{"^B.*g$", "(?i)ber", "a|o", `\bart`, `art\b`, `\Bar`, "(?i)k", "(?i)s", "^.{5}$", "^..$", "^.$", "[[:upper:]]", `\d`, `\w+`, `\s`, `\S\s\S`, "ß", "(?i)STRASSE|straße", "^[^aeiou]+$", "ma(th)?s?$", "h{2,}", `\pL{6}`, `\p{Han}`, `\PL`, "^$", "(?s).", "(?s)^.$", ".", "ng\\z", `^\n`, "b$", `\x{212a}`, "(?i)é", "(?i)i̇", `[\x{0}-\x{7f}]+$`, `^[^\n]*$`, `\.`, `a\+b`, `\[x\]`, `\\`, "'", "%", "_", "(?U)a+?b", "x*", "^(?:a|b)*$", `(?i)ǆ`}
	ctx := context.Background()
	for _, pat := range patterns {
		for _, src := range []string{"city matches " + strconv.Quote(pat), "interests matches " + strconv.Quote(pat)} {
			r, err := segment.Compile(src, segment.WithSchema(schema))
			require.NoError(t, err, src)
			set, err := r.Eval(ctx, p.v, p.now)
			require.NoError(t, err)
			want := map[string]bool{}
			for k := range set.Keys() {
				want[k] = true
			}
			q, err := pg.Select(r, p.now)
			require.NoError(t, err, src)
			got, err := pgIDs(t, pool, q)
			require.NoError(t, err, "%s\n%s", src, q.SQL)
			require.Equal(t, want, got, "PostgreSQL: %s\n%s", src, q.SQL)
			qc, err := chg.Select(r, p.now)
			require.NoError(t, err, src)
			gotc, err := chIDs(ch, qc)
			require.NoError(t, err, "%s\n%s", src, qc.SQL)
			require.Equal(t, want, gotc, "ClickHouse: %s\n%s", src, qc.SQL)
		}
	}
	for _, op := range []string{"startsWith", "endsWith", "contains"} {
		for _, arg := range []string{"", "a", "%", "_", "\\", "'", "北", "ß", "\n", "s"} {
			src := fmt.Sprintf("city %s %s || interests %s %s", op, strconv.Quote(arg), op, strconv.Quote(arg))
			r := segment.MustCompile(src, segment.WithSchema(schema))
			set, err := r.Eval(ctx, p.v, p.now)
			require.NoError(t, err)
			want := map[string]bool{}
			for k := range set.Keys() {
				want[k] = true
			}
			q, err := pg.Select(r, p.now)
			require.NoError(t, err)
			got, err := pgIDs(t, pool, q)
			require.NoError(t, err, q.SQL)
			require.Equal(t, want, got, "PostgreSQL: %s\n%s", src, q.SQL)
			qc, err := chg.Select(r, p.now)
			require.NoError(t, err)
			gotc, err := chIDs(ch, qc)
			require.NoError(t, err, qc.SQL)
			require.Equal(t, want, gotc, "ClickHouse: %s\n%s", src, qc.SQL)
		}
	}
}

package integration

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// segkitBinary builds the command once per test binary run.
func segkitBinary(t *testing.T) string {
	bin := filepath.Join(t.TempDir(), "segkit")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/segkit")
	cmd.Dir = ".." // in the library's module
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	return bin
}

func runSegkit(t *testing.T, bin string, args ...string) string {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "segkit %s: %s", strings.Join(args, " "), stderr.String())
	return stdout.String()
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return out
}

// TestCLIExportAndSQL: the command line end to end. segkit gen writes a
// population; segkit export writes it for PostgreSQL and ClickHouse; the
// files load with COPY and JSONEachRow; the queries segkit sql prints
// select on each engine exactly the ids segkit eval prints.
func TestCLIExportAndSQL(t *testing.T) {
	pool := pgConnect(t)
	ch := chConnect(t)
	ctx := context.Background()
	bin := segkitBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	runSegkit(t, bin, "gen", "--out", data, "--customers", "3000", "--seed", "3", "--end", "2026-07-01")
	in := func(n string) string { return filepath.Join(data, n) }

	// PostgreSQL: schema.sql, then COPY of the CSV files
	pgOut := filepath.Join(dir, "pg")
	runSegkit(t, bin, "export", "--layout", "postgres", "--customers", in("customers.jsonl"), "--events", in("events.jsonl"), "--schema", in("schema.json"), "--out", pgOut)
	_, err := pool.Exec(ctx, "DROP SCHEMA IF EXISTS segkit_cli CASCADE; CREATE SCHEMA segkit_cli")
	require.NoError(t, err)
	conn, err := pool.Acquire(ctx)
	require.NoError(t, err)
	defer conn.Release()
	_, err = conn.Exec(ctx, "SET search_path TO segkit_cli")
	require.NoError(t, err)
	ddl, err := os.ReadFile(filepath.Join(pgOut, "schema.sql"))
	require.NoError(t, err)
	_, err = conn.Exec(ctx, string(ddl))
	require.NoError(t, err)
	load, err := os.ReadFile(filepath.Join(pgOut, "load.sql"))
	require.NoError(t, err)
	for _, l := range strings.Split(string(load), "\n") {
		if !strings.HasPrefix(l, `\copy `) {
			continue
		}
		// \copy T (cols) FROM 'file' WITH (…)  →  COPY T (cols) FROM STDIN WITH (…)
		from := strings.Index(l, " FROM '")
		end := strings.Index(l[from+7:], "'") + from + 7
		file := l[from+7 : end]
		f, err := os.Open(filepath.Join(pgOut, file))
		require.NoError(t, err)
		_, err = conn.Conn().PgConn().CopyFrom(ctx, f, "COPY"+l[len(`\copy`):from]+" FROM STDIN"+l[end+1:])
		f.Close()
		require.NoError(t, err, l)
	}

	// ClickHouse (shard 0 alone): schema.sql, then the JSONEachRow files
	chOut := filepath.Join(dir, "ch")
	runSegkit(t, bin, "export", "--layout", "clickhouse", "--customers", in("customers.jsonl"), "--events", in("events.jsonl"), "--schema", in("schema.json"), "--out", chOut)
	_, err = ch.query(0, "DROP DATABASE IF EXISTS segkit_cli")
	require.NoError(t, err)
	_, err = ch.query(0, "CREATE DATABASE segkit_cli")
	require.NoError(t, err)
	ddl, err = os.ReadFile(filepath.Join(chOut, "schema.sql"))
	require.NoError(t, err)
	for _, stmt := range strings.Split(string(ddl), ";\n") {
		if stmt = strings.TrimSpace(stmt); stmt != "" {
			_, err := ch.query(0, strings.Replace(stmt, "CREATE TABLE `", "CREATE TABLE segkit_cli.`", 1))
			require.NoError(t, err, stmt)
		}
	}
	for _, table := range []string{"customers", "events"} {
		f, err := os.Open(filepath.Join(chOut, table+".jsonl"))
		require.NoError(t, err)
		_, err = ch.exec(0, "INSERT INTO segkit_cli."+table+" FORMAT JSONEachRow", f)
		f.Close()
		require.NoError(t, err)
	}

	rules := []string{
		`has("undergrad") && age in 18..24 && !didWithin("purchase", "30d")`,
		`countWithin("login", "30d") >= 3 || firstWithin("trial_class", "60d") || within(signup_at, "2w")`,
		`daysSince(last_login_at) > 30 && exists(city) || "math" in interests && vip`,
		`city startsWith "S" || missing(age) || spend > 100.5`,
		`!did("purchase")`,
		`did("purchase", {category: "math"}) || sumWithin("purchase", "90d") > 300 || avgWithin("purchase", "1y", {category: ["art", "english"]}) >= 60`,
		`didThen("trial_class", "purchase", "14d") || countBetween("login", date("2026-05-01"), date("2026-05-31")) >= 10`,
	}
	for _, rule := range rules {
		want := lines(runSegkit(t, bin, "eval", "--customers", in("customers.jsonl"), "--events", in("events.jsonl"), "--schema", in("schema.json"), "--now", "2026-06-30", "--rule", rule))
		require.NotEmpty(t, want, rule)
		pgSQL := runSegkit(t, bin, "sql", "--dialect", "postgres", "--schema", in("schema.json"), "--now", "2026-06-30", "--rule", rule)
		rows, err := conn.Query(ctx, pgSQL)
		require.NoError(t, err, pgSQL)
		var got []string
		for rows.Next() {
			var id string
			require.NoError(t, rows.Scan(&id))
			got = append(got, id)
		}
		require.NoError(t, rows.Err())
		slices.Sort(got)
		require.Equal(t, want, got, "PostgreSQL: %s", rule)

		chSQL := runSegkit(t, bin, "sql", "--dialect", "clickhouse", "--schema", in("schema.json"), "--now", "2026-06-30", "--rule", rule,
			"--customers-table", "segkit_cli.customers", "--events-table", "segkit_cli.events")
		out, err := ch.query(0, strings.TrimSuffix(strings.TrimSpace(chSQL), ";"))
		require.NoError(t, err, chSQL)
		require.Equal(t, want, lines(out), "ClickHouse: %s", rule)
	}
}

package compare

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// An Engine is one system under comparison: it loads a population, answers
// each rule with a member count and reports the memory it holds. Engines are
// not safe for concurrent use.
type Engine interface {
	// Name is the engine's name in flags and tables.
	Name() string
	// Describe says in one line how the engine stores the data.
	Describe() string
	// Load stores the population and prepares the rules; it is timed.
	Load(ctx context.Context, p *Population, rules []Rule) error
	// Count returns the number of members of rules[i] (the rules given to
	// Load) at the population's now.
	Count(ctx context.Context, i int) (int64, error)
	// Memory reports what the loaded data occupies.
	Memory(ctx context.Context) (Memory, error)
	// Close releases everything the engine holds.
	Close() error
}

// Memory is an engine's footprint as the engine itself reports it.
type Memory struct {
	Bytes int64
	// How says what Bytes measures ("Go heap after GC", "pg_total_relation_size", …).
	How string
}

// Options configure the engines that need outside resources.
type Options struct {
	// PostgresDSN is the connection string of the PostgreSQL server used by
	// the postgres engines (a throwaway database: tables are dropped and
	// recreated).
	PostgresDSN string
	// TempDir holds the SQLite database file; "" means os.TempDir().
	TempDir string
	// Threads is the number of threads DuckDB may use and the number of
	// parallel workers per PostgreSQL query (DESIGN.md §6: 2).
	Threads int
}

// engineFactories are the engines by name. "duckdb" and "postgres" are the
// layouts kept as each engine's fastest (see README.md); the other names are
// the layouts that were tried.
var engineFactories = map[string]func(Options) Engine{
	"segkit":       func(Options) Engine { return newSegkitEngine() },
	"duckdb":       func(o Options) Engine { return newDuckDB("duckdb", false, o) },
	"duckdb-list":  func(o Options) Engine { return newDuckDB("duckdb-list", true, o) },
	"sqlite":       func(o Options) Engine { return newSQLite(o) },
	"postgres":     func(o Options) Engine { return newPostgres("postgres", false, o) },
	"postgres-gin": func(o Options) Engine { return newPostgres("postgres-gin", true, o) },
	// sqlgen's documented layout, every rule rendered by sqlgen (issue 18).
	"postgres-sqlgen": func(o Options) Engine { return newPostgresSqlgen(o) },
	"duckdb-sqlgen":   func(o Options) Engine { return newDuckSqlgen(o) },
}

// EngineNames lists the known engine names, sorted.
func EngineNames() []string {
	names := make([]string, 0, len(engineFactories))
	for n := range engineFactories {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// NewEngine returns the engine of that name.
func NewEngine(name string, o Options) (Engine, error) {
	f, ok := engineFactories[name]
	if !ok {
		return nil, fmt.Errorf("compare: unknown engine %q (known: %s)", name, strings.Join(EngineNames(), ", "))
	}
	return f(o), nil
}

// renderAll renders every rule's SQL for an engine (the key of
// Rule.Overrides).
func renderAll(rules []Rule, engine string, p Params) ([]string, error) {
	out := make([]string, len(rules))
	for i, r := range rules {
		s, err := Render(r.SQLFor(engine), p)
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", r.Name, err)
		}
		out[i] = s
	}
	return out, nil
}

// tsLiteral renders an instant as a SQL timestamp literal of a type
// ("TIMESTAMP", "TIMESTAMPTZ") with a zone suffix ("", "+00").
func tsLiteral(typ, zone string) func(time.Time) string {
	return func(t time.Time) string {
		return typ + " '" + t.UTC().Format("2006-01-02 15:04:05") + zone + "'"
	}
}

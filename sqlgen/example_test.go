package sqlgen_test

import (
	"fmt"
	"time"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/segment"
	"github.com/segkit/segkit/sqlgen"
)

func Example() {
	schema := []bitmapindex.Attribute{
		{Name: "age", Kind: bitmapindex.KindInt},
		{Name: "city", Kind: bitmapindex.KindCategory},
	}
	rule := segment.MustCompile(`has("student") && age in 18..25 && city != "Beijing" && countWithin("purchase", "90d") >= 3`)
	now := time.Date(2025, 6, 1, 9, 30, 0, 0, time.UTC)
	for _, d := range []sqlgen.Dialect{sqlgen.Postgres, sqlgen.ClickHouse} {
		g, err := sqlgen.New(sqlgen.Options{Dialect: d, Schema: schema})
		if err != nil {
			panic(err)
		}
		q, err := g.Select(rule, now)
		if err != nil {
			panic(err)
		}
		fmt.Printf("-- %s\n%s\n", d, q.SQL)
	}
	// Output:
	// -- postgres
	// SELECT c."id"
	// FROM "customers" AS c
	// WHERE (c."tags" @> ARRAY[E'student']::text[]
	//   AND c."age" BETWEEN 18 AND 25
	//   AND c."id" IN (SELECT e."id" FROM "events" AS e WHERE e."name" = E'purchase' AND e."at" >= TIMESTAMPTZ '2025-03-04 00:00:00+00' AND e."at" < TIMESTAMPTZ '2025-06-02 00:00:00+00' GROUP BY e."id" HAVING count(*) >= 3)
	//   AND (c."city" = E'Beijing') IS NOT TRUE)
	// -- clickhouse
	// SELECT c.`id`
	// FROM `customers` AS c
	// WHERE (has(c.`tags`, 'student')
	//   AND ifNull(c.`age` BETWEEN 18 AND 25, 0)
	//   AND c.`id` IN (SELECT `id` FROM `events` WHERE `name` = 'purchase' AND `at` >= toDateTime('2025-03-04 00:00:00', 'UTC') AND `at` < toDateTime('2025-06-02 00:00:00', 'UTC') GROUP BY `id` HAVING count() >= 3)
	//   AND NOT (ifNull(c.`city` = 'Beijing', 0)))
}

// Bind parameters keep constants out of the SQL text.
func ExampleGenerator_Count() {
	g, _ := sqlgen.New(sqlgen.Options{Dialect: sqlgen.Postgres, Params: true})
	q, _ := g.Count(segment.MustCompile(`hasAny("vip", "'; DROP TABLE customers; --")`), time.Now())
	fmt.Println(q.SQL)
	fmt.Printf("%q\n", q.Args)
	// Output:
	// SELECT count(*)
	// FROM "customers" AS c
	// WHERE c."tags" && $1::text[]
	// [["vip" "'; DROP TABLE customers; --"]]
}

// The tables of the documented layout for a schema.
func ExampleDDL() {
	stmts, _ := sqlgen.DDL(sqlgen.Postgres, []bitmapindex.Attribute{{Name: "spend", Kind: bitmapindex.KindDecimal, Scale: 2}}, sqlgen.Layout{})
	fmt.Println(stmts[0])
	// Output:
	// CREATE TABLE "customers" (
	//   "id" text PRIMARY KEY,
	//   "tags" text[] NOT NULL DEFAULT '{}',
	//   "spend" numeric(38,2) NULL
	// )
}

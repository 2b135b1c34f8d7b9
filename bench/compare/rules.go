package compare

import "strings"

// A Rule is one question of the comparison, written once in segkit's rule
// language and translated by hand for every other engine. Rules are plain
// values.
type Rule struct {
	// Name is a short identifier used in tables and flags.
	Name string
	// Class is the rule class of DESIGN.md §4 the rule stands for.
	Class string
	// Segkit is the rule in segkit's language. It may reference the
	// segments of [Segments] with inSegment.
	Segkit string
	// Expr is the same rule for the expr-per-customer baseline, over the
	// environment described in exprbase.go.
	Expr string
	// SQL is the translation for the engines that keep tags, interests and
	// events in tables (duckdb, sqlite, postgres), in the placeholder syntax
	// of [Render]. It is written in the SQL that DuckDB, PostgreSQL and
	// SQLite share; Overrides replaces it for one engine.
	SQL string
	// Overrides holds hand translations for one engine (the key is the
	// engine name: "duckdb", "duckdb-list", "postgres-gin", …) where the
	// shared SQL is not what an expert would write for that engine or
	// layout, or where another form measured faster.
	Overrides map[string]string
}

// SQLFor returns the rule's SQL template for an engine.
func (r Rule) SQLFor(engine string) string {
	if s, ok := r.Overrides[engine]; ok {
		return s
	}
	return r.SQL
}

// Segments are the named segments the rules reference (inSegment), as
// segkit definitions; the SQL translations inline them as CTEs.
var Segments = map[string]string{
	"repeat_buyers": `countWithin("purchase", "1y") >= 2`,
}

// Cities of the rules. "Xi'an" is in the list on purpose: the SQL must quote it.
var (
	ruleCities    = []string{"Beijing", "Shanghai", "Guangzhou", "Shenzhen", "Chengdu", "Hangzhou", "Xi'an"}
	ruleCitiesTop = []string{"Beijing", "Shanghai", "Guangzhou", "Shenzhen", "Chengdu", "Chongqing", "Hangzhou", "Wuhan", "Xi'an", "Suzhou"}
)

func segkitList(xs []string) string { return `["` + strings.Join(xs, `", "`) + `"]` }

func sqlList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = "'" + strings.ReplaceAll(x, "'", "''") + "'"
	}
	return "(" + strings.Join(q, ", ") + ")"
}

const duckTrialNoBuy = `SELECT count(*) FROM (
  SELECT customer FROM event_first
  WHERE event IN ({event:trial_class}, {event:purchase}) AND first_day <= {day:0}
  GROUP BY customer HAVING bool_and(event = {event:trial_class})
) s`

// Rules returns the fixed rule set of the comparison, in table order.
func Rules() []Rule {
	cities, top := ruleCities, ruleCitiesTop
	return []Rule{
		{
			Name:   "tags2",
			Class:  "tags: 2-tag AND",
			Segkit: `has("app_user") && has("wechat_follower")`,
			Expr:   `has("app_user") && has("wechat_follower")`,
			SQL: `SELECT count(*) FROM customer_tags a
JOIN customer_tags b ON b.customer = a.customer AND b.tag = {tag:wechat_follower}
WHERE a.tag = {tag:app_user}`,
			Overrides: map[string]string{
				// SQLite: merging the two index ranges beats probing the
				// index per row of the first (54 vs 194 ms at 1M).
				"sqlite": `SELECT count(*) FROM (
  SELECT customer FROM customer_tags WHERE tag = {tag:app_user}
  INTERSECT SELECT customer FROM customer_tags WHERE tag = {tag:wechat_follower}
) s`,
				"duckdb-list":  `SELECT count(*) FROM customers WHERE list_has_all(tags, [{tag:app_user}, {tag:wechat_follower}])`,
				"postgres-gin": `SELECT count(*) FROM customers WHERE tags @> ARRAY[{tag:app_user}, {tag:wechat_follower}]`,
			},
		},
		{
			Name:   "tags5",
			Class:  "tags: 5 tags, AND/OR/NOT",
			Segkit: `has("app_user") && has("wechat_follower") && (has("coupon_user") || has("newsletter")) && !has("mobile_only")`,
			Expr:   `has("app_user") && has("wechat_follower") && (has("coupon_user") || has("newsletter")) && !has("mobile_only")`,
			SQL: `SELECT count(*) FROM (
  SELECT customer FROM customer_tags WHERE tag = {tag:app_user}
  INTERSECT SELECT customer FROM customer_tags WHERE tag = {tag:wechat_follower}
  INTERSECT SELECT customer FROM customer_tags WHERE tag IN ({tag:coupon_user}, {tag:newsletter})
  EXCEPT SELECT customer FROM customer_tags WHERE tag = {tag:mobile_only}
) s`,
			Overrides: map[string]string{
				"duckdb-list": `SELECT count(*) FROM customers
WHERE list_has_all(tags, [{tag:app_user}, {tag:wechat_follower}])
  AND list_has_any(tags, [{tag:coupon_user}, {tag:newsletter}])
  AND NOT list_contains(tags, {tag:mobile_only})`,
				"postgres-gin": `SELECT count(*) FROM customers
WHERE tags @> ARRAY[{tag:app_user}, {tag:wechat_follower}]
  AND tags && ARRAY[{tag:coupon_user}, {tag:newsletter}]
  AND NOT tags @> ARRAY[{tag:mobile_only}]`,
			},
		},
		{
			Name:   "city_list",
			Class:  "category list",
			Segkit: `city in ` + segkitList(cities),
			Expr:   `city in ` + segkitList(cities),
			SQL:    `SELECT count(*) FROM customers WHERE city IN ` + sqlList(cities),
		},
		{
			Name:   "age_range",
			Class:  "int range",
			Segkit: `age in 26..30`,
			Expr:   `age in 26..30`,
			SQL:    `SELECT count(*) FROM customers WHERE age BETWEEN 26 AND 30`,
		},
		{
			Name:   "inactive_30d",
			Class:  "relative time: daysSince",
			Segkit: `daysSince(last_login_at) > 30`,
			Expr:   `daysSince(last_login_at) > 30`,
			// day(now) − day(t) > 30 ⟺ t before the midnight that starts day(now) − 30.
			SQL: `SELECT count(*) FROM customers WHERE last_login_at < {ts:-30}`,
		},
		{
			Name:   "new_30d",
			Class:  "relative time: within",
			Segkit: `within(signup_at, "30d")`,
			Expr:   `within(signup_at, 30)`,
			SQL:    `SELECT count(*) FROM customers WHERE signup_at >= {ts:-29} AND signup_at < {ts:1}`,
		},
		{
			Name:   "login_30d",
			Class:  "didWithin",
			Segkit: `didWithin("login", "30d")`,
			Expr:   `didWithin("login", 30)`,
			SQL: `SELECT count(DISTINCT customer) FROM events_daily
WHERE event = {event:login} AND day BETWEEN {day:-29} AND {day:0}`,
		},
		{
			Name:   "trial_no_buy",
			Class:  "did, !did",
			Segkit: `did("trial_class") && !did("purchase")`,
			Expr:   `did("trial_class") && !did("purchase")`,
			SQL: `SELECT count(*) FROM (
  SELECT customer FROM event_first WHERE event = {event:trial_class} AND first_day <= {day:0}
  EXCEPT SELECT customer FROM event_first WHERE event = {event:purchase} AND first_day <= {day:0}
) s`,
			Overrides: map[string]string{
				// DuckDB: one grouped pass beats its hash-based EXCEPT (75 vs 134 ms at 1M).
				"duckdb": duckTrialNoBuy, "duckdb-list": duckTrialNoBuy,
			},
		},
		{
			Name:   "buy3_90d",
			Class:  "countWithin >= 3",
			Segkit: `countWithin("purchase", "90d") >= 3`,
			Expr:   `countWithin("purchase", 90) >= 3`,
			SQL: `SELECT count(*) FROM (
  SELECT customer FROM events_daily
  WHERE event = {event:purchase} AND day BETWEEN {day:-89} AND {day:0}
  GROUP BY customer HAVING sum(n) >= 3
) s`,
		},
		{
			Name:   "first_trial_14d",
			Class:  "firstWithin",
			Segkit: `firstWithin("trial_class", "14d")`,
			Expr:   `firstWithin("trial_class", 14)`,
			SQL: `SELECT count(*) FROM event_first
WHERE event = {event:trial_class} AND first_day BETWEEN {day:-13} AND {day:0}`,
		},
		{
			Name:   "not_city_age",
			Class:  "negation, missing values",
			Segkit: `!(city in ["Beijing", "Shanghai"] || age in 18..25)`,
			Expr:   `!(city in ["Beijing", "Shanghai"] || age in 18..25)`,
			// A missing age makes the OR unknown (NULL) for customers outside
			// the cities; COALESCE turns it into false, so NOT includes them.
			SQL: `SELECT count(*) FROM customers
WHERE NOT COALESCE(city IN ('Beijing', 'Shanghai') OR age BETWEEN 18 AND 25, FALSE)`,
			Overrides: map[string]string{
				// The same, spelled out; SQLite evaluates it faster (80 vs 116 ms at 1M).
				"sqlite": `SELECT count(*) FROM customers
WHERE city NOT IN ('Beijing', 'Shanghai') AND (age IS NULL OR age NOT BETWEEN 18 AND 25)`,
			},
		},
		{
			Name:   "not_teacher_f",
			Class:  "!=, missing values",
			Segkit: `occupation != "teacher" && gender != "F"`,
			Expr:   `occupation != "teacher" && gender != "F"`,
			SQL: `SELECT count(*) FROM customers
WHERE occupation IS DISTINCT FROM 'teacher' AND gender IS DISTINCT FROM 'F'`,
		},
		{
			Name:   "repeat_not_vip",
			Class:  "segment reference",
			Segkit: `inSegment("repeat_buyers") && !vip`,
			Expr:   `inSegment("repeat_buyers") && !vip`,
			SQL: `WITH repeat_buyers AS (
  SELECT customer FROM events_daily
  WHERE event = {event:purchase} AND day BETWEEN {day:-364} AND {day:0}
  GROUP BY customer HAVING sum(n) >= 2
)
SELECT count(*) FROM customers c JOIN repeat_buyers r ON r.customer = c.id
WHERE c.vip IS NOT TRUE`,
		},
		{
			Name:   "mixed",
			Class:  "tags + int range + city list + event",
			Segkit: `has("app_user") && age in 18..30 && city in ` + segkitList(top) + ` && didWithin("login", "30d")`,
			Expr:   `has("app_user") && age in 18..30 && city in ` + segkitList(top) + ` && didWithin("login", 30)`,
			SQL: `SELECT count(*) FROM customers c
WHERE c.age BETWEEN 18 AND 30 AND c.city IN ` + sqlList(top) + `
  AND c.id IN (SELECT customer FROM customer_tags WHERE tag = {tag:app_user})
  AND c.id IN (SELECT customer FROM events_daily
               WHERE event = {event:login} AND day BETWEEN {day:-29} AND {day:0})`,
			Overrides: map[string]string{
				// DuckDB: a join to the tag's rows beats a second IN (150 vs 250 ms at 1M).
				"duckdb": `SELECT count(*) FROM customers c
JOIN customer_tags t ON t.customer = c.id AND t.tag = {tag:app_user}
WHERE c.age BETWEEN 18 AND 30 AND c.city IN ` + sqlList(top) + `
  AND c.id IN (SELECT customer FROM events_daily
               WHERE event = {event:login} AND day BETWEEN {day:-29} AND {day:0})`,
				"duckdb-list": `SELECT count(*) FROM customers c
WHERE c.age BETWEEN 18 AND 30 AND c.city IN ` + sqlList(top) + `
  AND list_contains(c.tags, {tag:app_user})
  AND c.id IN (SELECT customer FROM events_daily
               WHERE event = {event:login} AND day BETWEEN {day:-29} AND {day:0})`,
				"postgres-gin": `SELECT count(*) FROM customers c
WHERE c.age BETWEEN 18 AND 30 AND c.city IN ` + sqlList(top) + `
  AND c.tags @> ARRAY[{tag:app_user}]
  AND c.id IN (SELECT customer FROM events_daily
               WHERE event = {event:login} AND day BETWEEN {day:-29} AND {day:0})`,
			},
		},
		{
			Name:   "interest_spend",
			Class:  "set contains + decimal",
			Segkit: `"english" in interests && spend >= 500`,
			Expr:   `"english" in interests && spend >= 500`,
			// A join: (customer, interest) is unique, and the join beat IN in
			// DuckDB (18 vs 68 ms at 1M) and PostgreSQL (360 vs 500 ms).
			SQL: `SELECT count(*) FROM customers c
JOIN customer_interests i ON i.customer = c.id
WHERE i.interest = {interest:english} AND c.spend >= 500`,
			Overrides: map[string]string{
				"duckdb-list":  `SELECT count(*) FROM customers WHERE spend >= 500 AND list_contains(interests, {interest:english})`,
				"postgres-gin": `SELECT count(*) FROM customers WHERE spend >= 500 AND interests @> ARRAY[{interest:english}]`,
			},
		},
		{
			Name:   "student_trial",
			Class:  "tag + firstWithin + !did",
			Segkit: `has("undergrad") && firstWithin("trial_class", "7d") && !did("purchase")`,
			Expr:   `has("undergrad") && firstWithin("trial_class", 7) && !did("purchase")`,
			// Start from the few first trials of the week; a join and an
			// anti-join beat INTERSECT/EXCEPT (DuckDB: 13 vs 117 ms at 1M).
			SQL: `SELECT count(*) FROM event_first f
JOIN customer_tags t ON t.customer = f.customer AND t.tag = {tag:undergrad}
WHERE f.event = {event:trial_class} AND f.first_day BETWEEN {day:-6} AND {day:0}
  AND NOT EXISTS (SELECT 1 FROM event_first p
                  WHERE p.event = {event:purchase} AND p.customer = f.customer AND p.first_day <= {day:0})`,
			Overrides: map[string]string{
				"duckdb-list": `SELECT count(*) FROM customers c
WHERE list_contains(c.tags, {tag:undergrad})
  AND c.id IN (SELECT customer FROM event_first
               WHERE event = {event:trial_class} AND first_day BETWEEN {day:-6} AND {day:0})
  AND c.id NOT IN (SELECT customer FROM event_first WHERE event = {event:purchase} AND first_day <= {day:0})`,
				"postgres-gin": `SELECT count(*) FROM customers c
WHERE c.tags @> ARRAY[{tag:undergrad}]
  AND c.id IN (SELECT customer FROM event_first
               WHERE event = {event:trial_class} AND first_day BETWEEN {day:-6} AND {day:0})
  AND NOT EXISTS (SELECT 1 FROM event_first p
                  WHERE p.event = {event:purchase} AND p.customer = c.id AND p.first_day <= {day:0})`,
			},
		},
		// Issue 15: event properties and amounts. Purchases (one row per
		// purchase: customer, day, amount in cents, category code) keep
		// what events_daily aggregates away; amounts are whole cents in
		// synth, so sums and the average's comparison are exact integers
		// (avgWithin(…) >= c ⟺ sum >= c × count, as DESIGN says).
		{
			Name:   "math_14d",
			Class:  "didWithin + property filter",
			Segkit: `didWithin("purchase", "14d", {category: "math"})`,
			Expr:   `didWithinWhere("purchase", 14, "math")`,
			SQL: `SELECT count(DISTINCT customer) FROM purchases
WHERE category = {category:math} AND day BETWEEN {day:-13} AND {day:0}`,
		},
		{
			Name:   "spend_90d",
			Class:  "sumWithin >= c",
			Segkit: `sumWithin("purchase", "90d") >= 500`,
			Expr:   `sumWithin("purchase", 90) >= 500`,
			SQL: `SELECT count(*) FROM (
  SELECT customer FROM purchases WHERE day BETWEEN {day:-89} AND {day:0}
  GROUP BY customer HAVING sum(cents) >= 50000
) s`,
		},
		{
			Name:   "aov_180d",
			Class:  "avgWithin >= c",
			Segkit: `avgWithin("purchase", "180d") >= 200`,
			Expr:   `avgWithin("purchase", 180) >= 200`,
			SQL: `SELECT count(*) FROM (
  SELECT customer FROM purchases WHERE day BETWEEN {day:-179} AND {day:0}
  GROUP BY customer HAVING sum(cents) >= 20000 * count(*)
) s`,
		},
		{
			Name:   "double11",
			Class:  "didBetween (11 fixed days)",
			Segkit: `didBetween("purchase", date("2025-11-01"), date("2025-11-11"))`,
			Expr:   `didBetween("purchase", "2025-11-01", "2025-11-11")`,
			SQL: `SELECT count(DISTINCT customer) FROM events_daily
WHERE event = {event:purchase} AND day BETWEEN {date:2025-11-01} AND {date:2025-11-11}`,
		},
		{
			Name:   "trial_then_buy",
			Class:  "didThen within 7 days",
			Segkit: `didThen("trial_class", "purchase", "7d")`,
			Expr:   `didThen("trial_class", "purchase", 7)`,
			// Both days up to day(now), the purchase 0–6 days after the trial.
			SQL: `SELECT count(DISTINCT a.customer) FROM events_daily a
JOIN events_daily b ON b.customer = a.customer AND b.event = {event:purchase}
  AND b.day >= a.day AND b.day < a.day + 7 AND b.day <= {day:0}
WHERE a.event = {event:trial_class} AND a.day <= {day:0}`,
		},
	}
}

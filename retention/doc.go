// Package retention computes cohort retention (留存): customers grouped by
// the day, week or month they signed up or first did something, and the
// share of each cohort active again in each later period, as a triangle
// matrix, overall and broken down by a category attribute such as the
// acquisition channel (基于流量来源的留存分析).
//
// [Compute] works on a bitmap index: a cohort is the union of the
// first-occurrence bitmaps of its days (or the customers whose time
// attribute, such as signup_at, falls in it), the actives of a period the
// union of its day bitmaps, and each cell one intersection count:
//
//	m, err := retention.Compute(ctx, v, retention.Config{
//		Period: retention.Week, CohortEvent: "signup", ActiveEvent: "login",
//		From: from, Through: through, By: "source",
//	})
//	m.WriteText(os.Stdout) // or WriteCSV, WriteSVG (the triangle heatmap)
//
// [FromTransactions] gives repeat-purchase retention from plain
// transactions: the cohort is the period of a customer's first purchase,
// period k ≥ 1 the k-th period after it, and a customer is retained in it
// when it bought at least once then. The test reproduces it cell by cell on
// the CDNOW sample with a plain implementation.
//
// Weeks are ISO weeks (Monday to Sunday), months calendar months, days
// those of the index's time zone. The wall clock is never read: the data's
// range is given ([Config].From, [Config].Through).
package retention

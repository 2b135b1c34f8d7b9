// Package dbload builds and refreshes a bitmapindex.Index from rows of any
// database/sql driver: customers (key, tags, attributes) and events (key,
// name, time, value, properties), streamed in batches, with progress, errors that name
// the row and the column, and an incremental refresh from a watermark
// column (rows changed since the last load). No driver is imported here:
// the caller opens the *sql.DB with the driver of its choice.
//
//	db, _ := sql.Open("pgx", dsn) // the caller's driver
//	l := &dbload.Loader{
//		DB: db,
//		Customers: &dbload.Customers{
//			Query: `SELECT id, tags, age, city, updated_at FROM customers`,
//			Key: "id", Tags: "tags", Watermark: "updated_at",
//			Attributes: []dbload.Column{{Column: "age", Attribute: bitmapindex.Attribute{Name: "age", Kind: bitmapindex.KindInt}}, …},
//		},
//		Events: &dbload.Events{Query: `SELECT id, name, at, value, props, seq FROM events`, Key: "id", Name: "name", At: "at", Value: "value", Props: "props", Watermark: "seq"},
//	}
//	st, err := l.Load(ctx, ix)        // everything
//	st, err = l.Refresh(ctx, ix, st)  // rows whose watermark passed st's
//
// Values are read from what the driver returns: integers, floats, strings
// and byte slices (numeric as text), time.Time, bool; arrays (tags, set
// attributes) as []string or []any, or as text: a PostgreSQL array literal
// {a,b,"c d"}, a JSON array, or values separated by [Customers.Separator].
// NULL clears an attribute. A refreshed customer gets the row's tags and
// attributes exactly (tags it no longer has are removed); a Deleted column
// that is true removes the customer. Events are appended.
package dbload

package dbload_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/dbload"
)

func Example() {
	// The rows any database/sql driver returns; here an in-memory test
	// driver stands in for PostgreSQL (sql.Open("pgx", dsn) in a program).
	setTable("SELECT id, tags, age, updated_at FROM customers", []string{"id", "tags", "age", "updated_at"}, [][]driver.Value{
		{"c1", []byte(`{vip,student}`), int64(21), int64(100)},
		{"c2", []byte(`{student}`), nil, int64(101)},
	})
	db, _ := sql.Open("dbloadtest", "")
	defer db.Close()
	l := &dbload.Loader{DB: db, Customers: &dbload.Customers{
		Query: "SELECT id, tags, age, updated_at FROM customers",
		Key:   "id", Tags: "tags", Watermark: "updated_at",
		Attributes: []dbload.Column{{Column: "age", Attribute: bitmapindex.Attribute{Name: "age", Kind: bitmapindex.KindInt}}},
	}}
	ix, _ := bitmapindex.New(bitmapindex.Config{})
	st, err := l.Load(context.Background(), ix)
	if err != nil {
		panic(err)
	}
	v := ix.View()
	fmt.Println(st.CustomerRows, "customers,", v.Tag("student").Len(), "students, watermark", st.Customers)

	// c2 changes: no longer a student, now 30
	setTable("SELECT id, tags, age, updated_at FROM customers", []string{"id", "tags", "age", "updated_at"}, [][]driver.Value{
		{"c1", []byte(`{vip,student}`), int64(21), int64(100)},
		{"c2", []byte(`{}`), int64(30), int64(102)},
	})
	st, err = l.Refresh(context.Background(), ix, st)
	if err != nil {
		panic(err)
	}
	v = ix.View()
	p, _ := v.Profile("c2")
	fmt.Println(st.CustomerRows, "changed,", v.Tag("student").Len(), "student, c2's age", p.Attrs["age"], "watermark", st.Customers)
	// Output:
	// 2 customers, 2 students, watermark 101
	// 1 changed, 1 student, c2's age 30 watermark 102
}

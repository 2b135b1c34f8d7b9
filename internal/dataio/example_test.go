package dataio_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/segkit/segkit/internal/dataio"
)

func ExampleReadTransactions() {
	in := "customer_id,order_date,revenue\n" +
		"c1,2026-01-05,120.50\n" +
		"c1,2026-03-18 14:20:00,35\n" + // an SQL timestamp, in the given zone
		"c2,0001-01-01,10\n" // a placeholder date
	cols, _ := dataio.ParseColumns("time=order_date,amount=revenue", "id", "time", "amount")
	sh, _ := time.LoadLocation("Asia/Shanghai")
	for tx, err := range dataio.ReadTransactions("orders.csv", strings.NewReader(in), cols, sh) {
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println(tx.Customer, tx.At.UTC().Format(time.RFC3339), tx.Amount)
	}
	// Output:
	// c1 2026-01-04T16:00:00Z 120.5
	// c1 2026-03-18T06:20:00Z 35
	// dataio: orders.csv:4: field time (column "order_date"): "0001-01-01": year 1 outside 1900..2199 (a placeholder date?)
}

func ExampleReadSegments() {
	in := `[
  {"name": "students", "rule": "has(\"undergrad\")"},
  {"name": "recall"},
  {"name": "students", "rule": "age < 25", "colour": "red"}
]`
	_, err := dataio.ReadSegments("segments.json", strings.NewReader(in))
	fmt.Println(err)
	// Output:
	// 2 problems:
	// segments.json:3: segment "recall": missing "rule"
	// segments.json:4: segment "students": unknown field "colour" (want "name", "rule", "description", "static", "members")
}

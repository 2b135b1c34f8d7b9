package segment_test

import (
	"context"
	"fmt"
	"time"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/segment"
)

// A Watcher turns writes and the passage of time into entry and exit
// events: a coupon trigger for customers who bought before but not in the
// last 30 days.
func ExampleWatcher() {
	ctx := context.Background()
	ix, _ := bitmapindex.New(bitmapindex.DefaultConfig())
	day := func(d int) time.Time { return time.Date(2026, 11, d, 12, 0, 0, 0, time.UTC) }
	reg := segment.NewRegistry()
	_ = reg.DefineAll(
		segment.Definition{Name: "buyers", Rule: `did("purchase")`},
		segment.Definition{Name: "sleeping", Rule: `inSegment("buyers") && !didWithin("purchase", "30d")`},
	)
	w, err := segment.NewWatcher(ctx, reg, ix, day(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Close()
	sub := w.Subscribe(1000)

	_ = ix.Record("c1", "purchase", day(1), 30) // a write: c1 enters buyers
	_ = w.Sync(ctx)
	_ = w.Advance(ctx, day(2).AddDate(0, 1, 0)) // time alone: c1 falls asleep
	changes, _ := sub.Next(0)
	for _, c := range changes {
		fmt.Println(c.Seq, c.At.Format(time.DateOnly), c.Segment, c.Key, c.Kind)
	}
	// Output:
	// 1 2026-11-01 buyers c1 entered
	// 2 2026-12-02 sleeping c1 entered
}

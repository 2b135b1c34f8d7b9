package segment_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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

// A durable Watcher survives restarts: its changes are logged next to the
// durable index before anyone sees them, and a host that reopens both
// resumes from the last change it acted on. Its membership history answers
// "who entered, by day" and "size by day".
func ExampleOpenWatcher() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "segkit-watch")
	defer os.RemoveAll(dir)
	day := func(d int) time.Time { return time.Date(2026, 11, d, 12, 0, 0, 0, time.UTC) }
	reg := segment.NewRegistry()
	_ = reg.DefineAll(
		segment.Definition{Name: "buyers", Rule: `did("purchase")`},
		segment.Definition{Name: "sleeping", Rule: `inSegment("buyers") && !didWithin("purchase", "7d")`},
	)

	ix, _ := bitmapindex.Open(filepath.Join(dir, "index"), bitmapindex.DefaultConfig())
	w, err := segment.OpenWatcher(ctx, reg, ix, filepath.Join(dir, "index", "watch"), day(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	sub, _ := w.SubscribeFrom(0, 1000)
	_ = ix.Record("c1", "purchase", day(1), 30)
	_ = ix.Record("c2", "purchase", day(2), 30)
	_ = w.Advance(ctx, day(2)) // syncs the writes, then moves the time
	changes, _ := sub.Next(1)  // the host acts on c1 only, then stops
	acked := changes[0].Seq
	w.Close()
	_ = ix.Close()

	// the restart: the same directories, from the acknowledged cursor
	ix, _ = bitmapindex.Open(filepath.Join(dir, "index"), bitmapindex.DefaultConfig())
	defer ix.Close()
	w, _ = segment.OpenWatcher(ctx, reg, ix, filepath.Join(dir, "index", "watch"), time.Time{})
	defer w.Close()
	sub, _ = w.SubscribeFrom(acked, 1000)
	_ = w.Advance(ctx, day(10))
	changes, _ = sub.Next(0)
	for _, c := range changes {
		fmt.Println(c.Seq, c.At.Format(time.DateOnly), c.Segment, c.Key, c.Kind)
	}

	z := ix.View().Zone()
	ids, _ := w.History().Entered("sleeping", z.DayOf(day(1)), z.DayOf(day(10)))
	for _, id := range ids.ToArray() {
		key, _ := ix.View().KeyOf(id)
		fmt.Println("entered sleeping:", key)
	}
	sizes, _ := w.History().Sizes("buyers", z.DayOf(day(1)), z.DayOf(day(3)))
	for _, s := range sizes {
		fmt.Println(z.Start(s.Day).Format(time.DateOnly), "buyers:", s.Size)
	}
	// Output:
	// 2 2026-11-02 buyers c2 entered
	// 3 2026-11-10 sleeping c1 entered
	// 4 2026-11-10 sleeping c2 entered
	// entered sleeping: c1
	// entered sleeping: c2
	// 2026-11-01 buyers: 1
	// 2026-11-02 buyers: 2
	// 2026-11-03 buyers: 2
}

package bitmapindex_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/segkit/segkit/bitmapindex"
)

// An index backed by a directory: a commit that has returned survives a
// crash, and Open after a crash (or a Close) recovers it.
func ExampleOpen() {
	tmp, _ := os.MkdirTemp("", "segkit")
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "crm.index")

	ix, err := bitmapindex.Open(dir, bitmapindex.Config{Location: time.UTC})
	if err != nil {
		fmt.Println(err)
		return
	}
	b := ix.NewBatch()
	b.AddTag("c1", "vip")
	b.Set("c1", "age", bitmapindex.Int(27))
	b.Record("c1", "purchase", time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC), 99.5)
	if err := b.Commit(); err != nil { // returns once the batch is on disk
		fmt.Println(err)
		return
	}
	_, err = bitmapindex.Open(dir, bitmapindex.Config{})
	fmt.Println("second open:", err != nil)
	if err := ix.Close(); err != nil {
		fmt.Println(err)
		return
	}

	ix, _ = bitmapindex.Open(dir, bitmapindex.Config{})
	defer ix.Close()
	rep, _ := ix.Recovery()
	fmt.Println("replayed batches:", rep.Replayed, "torn tail:", rep.Truncated)
	fmt.Println("vip:", ix.View().Tag("vip").Len())
	// Output:
	// second open: true
	// replayed batches: 1 torn tail: false
	// vip: 1
}

// Checkpoint writes the index as a new snapshot of its directory and
// retires the log before it, so the next Open replays less. Writers and
// readers keep running meanwhile; Config.CheckpointLogBytes makes it
// automatic.
func ExampleIndex_Checkpoint() {
	dir, _ := os.MkdirTemp("", "segkit")
	defer os.RemoveAll(dir)
	ix, _ := bitmapindex.Open(dir, bitmapindex.Config{Sync: bitmapindex.SyncInterval(10 * time.Millisecond)})
	defer ix.Close()
	for i := range 100 {
		_ = ix.AddTag(fmt.Sprintf("c%d", i), "new")
	}
	st, _ := ix.LogStats()
	fmt.Println("log records:", st.LogRecords, "sync:", st.Sync)
	if err := ix.Checkpoint(); err != nil {
		fmt.Println(err)
		return
	}
	st, _ = ix.LogStats()
	fmt.Println("log records:", st.LogRecords, "checkpoint:", st.CheckpointFile)
	// Output:
	// log records: 100 sync: interval(10ms)
	// log records: 0 checkpoint: checkpoint-00000000000000000100.segkit
}

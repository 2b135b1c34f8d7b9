// Package bitmapindex keeps customers' tags, typed attributes and events in
// compressed (roaring) bitmaps, so that segments are set operations.
//
// Where to start: [New] (in memory) or [Open] (a durable directory) gives an
// [Index]; write with [Index.NewBatch] and [Batch.Commit]; read with
// [Index.View] and the [View] methods, or compile rules over views with
// package segment. The example at the end of this comment shows all three.
//
// An [Index] maps the host's customer keys to dense uint32 IDs in insertion
// order and keeps, per field, the bitmaps of who has what:
//
//   - tags: one bitmap per tag ([View.Tag]);
//   - attributes of a declared or inferred [Kind]: category and set values
//     as one bitmap per value; int, decimal (fixed point), time and bool
//     values as a bit-sliced index compared with whole-bitmap operations,
//     plus one bitmap per value while an attribute has few distinct values,
//     and for time attributes one bitmap per day (in the index's time zone)
//     so that windows of whole days OR a few of them ([View.Compare],
//     [View.Between]); every attribute has a presence bitmap
//     ([View.Present]). [View.CompareCount] and [View.BetweenCount] count
//     without building the set where disjoint value or day bitmaps answer;
//     [View.CompareIn] and [View.BetweenIn] compare within a set, so that a
//     bit-sliced comparison only touches its customers;
//   - events: per event name and day (in the index's time zone) who did it
//     and how often, with pre-aggregated 16-day blocks so that windows of
//     whole days are answered from a few block counters ([View.Did],
//     [View.Count], [View.FirstIn], [View.FirstInCount]); count thresholds
//     up to 250 are counted in a byte per customer when the window holds
//     few occurrences.
//
// Writes go through an [Index] (one at a time, or in a [Batch] that is
// validated first and applied atomically, field by field with whole-bitmap
// operations). Reads
// go through a [View], an immutable snapshot taken in constant time; the
// index copies what it changes afterwards (copy-on-write), so queries never
// block writers and never see half a batch. Query results are [Set] values,
// which export to the portable roaring format other engines read.
//
// # Customer IDs
//
// Each key gets a dense uint32 ID when it is first written: IDs are
// assigned in the order keys are added, starting at 0 in an empty index,
// and never reused (a deleted key that comes back gets a new ID). So keys
// added to an empty index in order k₀, k₁, … get the IDs 0, 1, …, and a
// host can number its own rows the same way. [Index.Add] and [View.ID]
// return a key's ID, [View.Key] the key of an ID, and [Set] results export
// as bitmaps of IDs.
//
// # Loading many customers at once
//
// [Index.NewChunk] takes a slice of keys (the chunk's rows) and columns of
// values addressed by row: [Chunk.Tag], typed attribute columns
// ([Chunk.Ints], [Chunk.Decimals], [Chunk.Times] in Unix seconds,
// [Chunk.Bools], [Chunk.Categories], [Chunk.Sets]) and events as columns of
// (row, instant, value, properties) ([Chunk.Events], [EventColumns]).
// [Chunk.Commit] validates the whole chunk, adds its new customers and
// writes every column in one atomic commit (one write-ahead log record on a
// durable index), and returns each row's ID: new keys get consecutive IDs in
// row order. A bad value rejects the whole chunk with a [*BatchError] naming
// the row, its key, the column and the kind; nothing is written. A
// committed chunk is the same as the equivalent single writes (the
// model-based tests check it), at 8 bytes per numeric value instead of a
// [Value]. Chunks of 65,536 rows (a roaring container of IDs) load a fresh
// index fastest and leave no spare capacity in its bitmaps.
//
// [Batch.AddTagIDs], [Batch.SetIDs] and [Batch.RecordIDs] write to
// customers that already exist, by ID.
//
// One customer reads back as plain values with [View.Profile] (everything)
// or [View.ProfileOf] and [View.FillProfile] (only the tags, attributes and
// events named in [Fields], into a reused Profile; [Fields].From skips the
// occurrences before the first day the rules look at): what rules matched
// one customer at a time, and live segments re-evaluating the customers a
// batch touched, read. A [Tracker] reports which customers the writes
// touched ([Tracker.Next]), and by field ([Tracker.NextTouched]: which tag,
// attribute or event, and the days written), so that such a consumer reads
// again only what changed.
//
// Comparison semantics are those of [Holds]: positive predicates never hold
// for customers without a value, Ne is the complement of Eq over all live
// customers, decimals compare exactly in their fixed-point domain, times at
// second precision. Event windows are whole days [from, to] in the index's
// time zone; the package never reads the wall clock.
//
// [Open] backs an index with a directory: a checkpoint (a snapshot) and a
// write-ahead log of the batches committed after it, so that a batch whose
// Commit has returned survives kill -9 and power loss (under [SyncAlways],
// the default; see [SyncPolicy]). Open recovers the directory after a crash
// (a torn log tail is truncated and reported by [Index.Recovery]),
// [Index.Checkpoint] writes a new checkpoint and retires the log, and
// [LoadDir] reads a directory into an in-memory index.
//
// A view can be written as a versioned, checksummed snapshot
// ([View.WriteTo], [Index.Save], which is atomic, writes mode 0644 and
// removes the temporary files of interrupted saves) and read back ([Read],
// [Load]), which rejects damaged or hostile input with an error: every count
// and cross-reference is validated, and loading allocates at most 16 times
// the snapshot's size plus 128 KiB. Writes reject what a snapshot could not
// hold (non-finite or out-of-range values, instants beyond ±2³⁰ days, IDs
// past the last one: [ErrIDsExhausted]), so whatever an index accepts,
// Save then Load gives back. Snapshots of every earlier version load, and a
// view is always written in the current one.
//
// [View.WithContext] returns a view whose long queries stop soon after a
// context is done (with an incomplete result the caller discards).
//
// Large dense bitmaps of tags, category values and present customers come
// with their stripes ([Set.Stripes]): the same members cut by ranges of
// 2^22 IDs, sharing memory, so that an evaluator can split one query over
// several cores (package segment does).
//
//	ix, _ := bitmapindex.New(bitmapindex.DefaultConfig())
//	b := ix.NewBatch()
//	b.AddTag("c1", "vip")
//	b.Set("c1", "age", bitmapindex.Int(27))
//	b.Record("c1", "purchase", at, 99.5)
//	if err := b.Commit(); err != nil { … }
//	v := ix.View()
//	young, _ := v.Between("age", bitmapindex.Int(26), bitmapindex.Int(30))
//	vipYoung := v.Tag("vip").And(young)
package bitmapindex

package segment

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/stretchr/testify/require"
)

// TestOpenWatcherReopen: a durable Watcher closed and opened again (with
// and without a checkpoint in between, with writes committed while it was
// closed) continues the same numbered stream: SubscribeFrom any logged
// cursor returns the same changes as the first time, the writes made while
// it was closed arrive as changes at open, a compacted cursor is
// ErrCursorGone, and a damaged checkpoint is an error naming the file.
func TestOpenWatcherReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	keys := watchCrashKeys()
	open := func() (*bitmapindex.Index, *Watcher) { return watchCrashOpen(t, dir) }
	ix, w := open()
	sub := w.Subscribe(1 << 20)
	var all []Change
	step := 0
	run := func(n int) {
		for range n {
			step++
			require.NoError(t, w.Advance(ctx, watchCrashNow(step)))
			require.NoError(t, randomBatch(rand.New(rand.NewPCG(uint64(step), 9)), ix, keys, watchCrashNow(step)).Commit())
			require.NoError(t, w.Sync(ctx))
			cs, err := sub.Next(0)
			require.NoError(t, err)
			all = append(all, cs...)
		}
	}
	run(10)
	require.NoError(t, w.Checkpoint())
	run(10)
	w.Close()
	// writes while no Watcher runs
	step++
	require.NoError(t, randomBatch(rand.New(rand.NewPCG(uint64(step), 9)), ix, keys, watchCrashNow(step-1)).Commit())
	before := evalKeys(t, watchCrashRegistry(t), ix.View(), watchCrashNow(step-1))
	require.NoError(t, ix.Close())

	ix, w = open()
	require.Equal(t, watchCrashNow(step-1), w.Now(), "the time it had")
	for name, keys := range before {
		m, ok := w.Members(name)
		require.True(t, ok)
		require.Equal(t, len(keys), m.Len(), "%s caught up at open", name)
	}
	for _, cursor := range []uint64{0, 3, uint64(len(all)) / 2, uint64(len(all))} {
		s, err := w.SubscribeFrom(cursor, 1<<20)
		require.NoError(t, err)
		got, err := s.Next(0)
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(got), len(all)-int(cursor))
		for i, c := range got[:len(all)-int(cursor)] {
			want := all[int(cursor)+i]
			require.Equal(t, want.Seq, c.Seq)
			require.Equal(t, want.Key, c.Key)
			require.Equal(t, want.Kind, c.Kind)
			require.Equal(t, want.Segment, c.Segment)
			require.True(t, want.At.Equal(c.At))
		}
	}
	_, err := w.SubscribeFrom(w.Seq()+1, 10)
	require.Error(t, err)
	s, err := w.SubscribeFrom(0, 2)
	require.NoError(t, err)
	_, err = s.Next(0)
	require.ErrorIs(t, err, ErrOverflow, "more logged changes than the buffer")

	// Compact up to the middle: the first log file (changes before the
	// checkpoint) goes, cursors in it are gone
	require.NoError(t, w.Checkpoint())
	require.NoError(t, w.Compact(w.Seq()))
	_, err = w.SubscribeFrom(1, 1<<20)
	require.ErrorIs(t, err, ErrCursorGone)
	_, err = w.SubscribeFrom(w.Seq(), 1<<20)
	require.NoError(t, err)
	w.Close()
	require.NoError(t, ix.Close())

	// a damaged checkpoint
	path := filepath.Join(dir, "index", "watch", watchStateName)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	data[len(data)/2] ^= 0x40
	require.NoError(t, os.WriteFile(path, data, 0o644))
	ix, err = bitmapindex.Open(filepath.Join(dir, "index"), bitmapindex.Config{Location: time.UTC})
	require.NoError(t, err)
	defer ix.Close()
	_, err = OpenWatcher(ctx, watchCrashRegistry(t), ix, filepath.Join(dir, "index", "watch"), time.Time{})
	require.ErrorContains(t, err, path)
	require.False(t, errors.Is(err, ErrCursorGone))

	// an in-memory index cannot back a durable Watcher
	mem, err := bitmapindex.New(bitmapindex.DefaultConfig())
	require.NoError(t, err)
	_, err = OpenWatcher(ctx, NewRegistry(), mem, t.TempDir(), time.Time{})
	require.Error(t, err)
}

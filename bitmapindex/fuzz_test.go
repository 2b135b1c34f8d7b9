package bitmapindex

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// FuzzRead feeds arbitrary bytes to the snapshot decoder: it must return an
// index or an error, never panic, and an index it returns must be usable and
// write itself back identically.
func FuzzRead(f *testing.F) {
	f.Add(snapshotBytes(f, sampleIndex(f)))
	f.Add(snapshotBytes(f, mustNew(f, DefaultConfig())))
	f.Add([]byte(snapMagic))
	f.Add(snapshotBytes(f, detailsIndex(f)))
	// version 2, with block counters and whole sums
	snapWriteVersion = 2
	f.Add(snapshotBytes(f, sampleIndex(f)))
	f.Add(snapshotBytes(f, detailsIndex(f)))
	snapWriteVersion = snapVersion
	failOnRecoveredPanics(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		ix, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		v := ix.View()
		for k := range v.All().Keys() {
			v.Profile(k)
		}
		var buf bytes.Buffer
		if _, err := v.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		again, err := Read(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("re-reading a written snapshot: %v", err)
		}
		var buf2 bytes.Buffer
		if _, err := again.View().WriteTo(&buf2); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), buf2.Bytes()) {
			t.Fatal("snapshot not stable across a round trip")
		}
		ix.Add("fuzz-new-key")
	})
}

// failOnRecoveredPanics makes a panic that Read recovers into an error
// panic again, so that the fuzz target reports it (with its input).
func failOnRecoveredPanics(tb testing.TB) {
	old := recoveredPanic
	recoveredPanic = func(p any) { panic(fmt.Sprintf("Read recovered a panic: %v", p)) }
	tb.Cleanup(func() { recoveredPanic = old })
}

// FuzzReadSet feeds arbitrary bytes to ReadSet: an error or a set of live
// IDs that round-trips, never a panic.
func FuzzReadSet(f *testing.F) {
	ix := mustNew(f, DefaultConfig())
	for _, k := range []string{"a", "b", "c", "d"} {
		ix.Add(k)
	}
	v := ix.View()
	for _, b := range []*roaring.Bitmap{roaring.New(), roaring.BitmapOf(0, 2), roaring.BitmapOf(1, 2, 3)} {
		data, _ := b.ToBytes()
		f.Add(data)
	}
	run := roaring.BitmapOf(0, 1, 2, 3)
	run.RunOptimize()
	data, _ := run.ToBytes()
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ReadSet(v, data)
		if err != nil {
			return
		}
		for id := range s.IDs() {
			if _, ok := v.Key(id); !ok {
				t.Fatalf("ID %d is not live", id)
			}
		}
		out, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		back, err := ReadSet(v, out)
		if err != nil || !back.Bitmap().Equals(s.Bitmap()) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// FuzzOperations drives the property-test harness with fuzzer bytes: random
// writes, batches, views and snapshot round trips, checked against the
// model.
func FuzzOperations(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add(bytes.Repeat([]byte{0x35, 0x80, 0x11, 0xfe, 0x07}, 40))
	f.Add(bytes.Repeat([]byte{0x99, 0x01}, 100))
	f.Fuzz(func(t *testing.T, data []byte) {
		src := &byteSource{b: data}
		cfg := DefaultConfig()
		if len(data) > 0 && data[0]&1 == 1 {
			cfg = Config{Strict: true, Schema: genAttrs}
		}
		h := newHarness(t, src, cfg)
		for len(src.b) > 0 {
			h.step()
		}
		h.check(h.ix.View(), h.m)
		if h.oldView != nil {
			h.check(h.oldView, h.oldModel)
		}
	})
}

// panicReader panics when read: a stand-in for a bug inside Read.
type panicReader struct{}

func (panicReader) Read([]byte) (int, error) { panic("boom") }

// TestRecoveredPanicFailsFuzzing: Read recovers a panic into an error, and
// the hook FuzzRead installs raises it again so the fuzz target fails.
func TestRecoveredPanicFailsFuzzing(t *testing.T) {
	_, err := Read(panicReader{})
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Read of a panicking reader: %v, want a recovered error", err)
	}
	var msg any
	t.Run("hooked", func(t *testing.T) {
		failOnRecoveredPanics(t)
		func() {
			defer func() { msg = recover() }()
			_, _ = Read(panicReader{})
		}()
	})
	if msg == nil || !strings.Contains(fmt.Sprint(msg), "Read recovered a panic: boom") {
		t.Fatalf("the hook did not raise the recovered panic again: %v", msg)
	}
	if recoveredPanic != nil {
		t.Fatal("the hook outlived its test")
	}
}

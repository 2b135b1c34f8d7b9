package segment

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/segkit/segkit"
)

// seedWatchRecord is a framed watcher log record, as watchDur.record
// writes it, for the fuzz corpus.
func seedWatchRecord(rec, firstSeq, ixSeq uint64, now time.Time, changes []Change) []byte {
	return appendWatchRecord(nil, rec, firstSeq, ixSeq, now, changes)
}

// FuzzWatchLog feeds arbitrary bytes to the durable watcher's log reader:
// framing (length, checksum) and record decoding must never panic nor
// allocate beyond the input, and a decoded record holds the changes it
// announces.
func FuzzWatchLog(f *testing.F) {
	now := time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)
	one := seedWatchRecord(1, 1, 7, now, []Change{
		{Segment: "sleeping_high_value", Key: "c1", ID: 0, Kind: Entered},
		{Segment: "sleeping_high_value", Key: "c2", ID: 1, Kind: Entered},
		{Segment: "trial_no_buy", Key: "c1", ID: 0, Kind: Left},
	})
	f.Add(one)
	f.Add(append(one, seedWatchRecord(2, 4, 8, now.AddDate(0, 0, 1), nil)...))
	f.Add(one[:len(one)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		for off := 0; off < len(data); {
			p, next, ok := frameAt(data, off)
			if !ok {
				break
			}
			if next <= off || next > len(data) {
				t.Fatalf("frame at %d ends at %d of %d", off, next, len(data))
			}
			r, err := decodeWatchRecord(p, time.UTC, true)
			if err == nil && uint64(len(r.changes)) != r.count {
				t.Fatalf("record %d: %d changes decoded, %d announced", r.rec, len(r.changes), r.count)
			}
			off = next
		}
		// the payload alone, as if its frame had been valid
		r, err := decodeWatchRecord(data, time.UTC, true)
		if err == nil && uint64(len(r.changes)) != r.count {
			t.Fatalf("record %d: %d changes decoded, %d announced", r.rec, len(r.changes), r.count)
		}
	})
}

// FuzzWatchHistory feeds arbitrary bytes to the reader of the history part
// of a watcher checkpoint, version 1 (every day inline) and 2 (days in
// history.dat, here a file holding the sealed days of a real history):
// never a panic, references outside the file rejected, and a history read
// answers its queries, takes changes and encodes again without one.
func FuzzWatchHistory(f *testing.F) {
	z := segkit.NewZone(time.UTC)
	day := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	dir := f.TempDir()
	path := filepath.Join(dir, histFileName)
	st, err := openHistStore(path)
	if err != nil {
		f.Fatal(err)
	}
	h := &History{zone: z, segs: map[string]*segHistory{}, store: st}
	for d := range 4 {
		at := day.AddDate(0, 0, d)
		h.Apply(Change{Segment: "gold", ID: uint32(d), Kind: Entered, At: at}, Change{Segment: "lapsed", ID: uint32(9 - d), Kind: Entered, At: at})
		if d > 1 {
			h.Apply(Change{Segment: "gold", ID: 0, Kind: Left, At: at})
		}
	}
	if err := h.sync(); err != nil {
		f.Fatal(err)
	}
	file, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	st.close()
	f.Add(h.appendTo(nil, true), false)
	f.Add(h.appendTo(nil, false), false)
	f.Add(h.appendTo(nil, false)[:20], false)
	f.Add([]byte{1, 4, 'g', 'o', 'l', 'd', 0, 0, 0, 1, 2, 2, 1, 0, 40}, true)
	f.Fuzz(func(t *testing.T, data []byte, v1 bool) {
		p := filepath.Join(t.TempDir(), histFileName)
		if err := os.WriteFile(p, file, 0o644); err != nil {
			t.Fatal(err)
		}
		st, err := openHistStore(p)
		if err != nil {
			t.Fatal(err)
		}
		defer st.close()
		var h *History
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("readHistory panicked: %v", r)
				}
			}()
			h, err = readHistory(&decoder{b: data}, z, st, v1)
		}()
		if err != nil {
			return
		}
		for name, s := range h.segs {
			from, to := s.start-2, s.start+10
			if len(s.days) > 0 {
				to = s.days[len(s.days)-1].day + 2
			}
			if to-from > 400 {
				to = from + 400
			}
			_, _ = h.Sizes(name, from, to)
			_, _ = h.Entered(name, from, to)
			_, _ = h.Left(name, from, to)
			h.Apply(Change{Segment: name, ID: 3, Kind: Entered, At: z.Start(s.start)})
		}
		_ = h.appendTo(nil, true)
	})
}

package segment

import (
	"testing"
	"time"
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

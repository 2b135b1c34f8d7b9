package tier_test

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/tier"
)

// FuzzParseProgram: any input yields a program or an error, never a panic; a
// program it accepts compiles, and survives a JSON round trip unchanged.
func FuzzParseProgram(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(baseProgram))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := tier.ParseProgram(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "tier: ") {
				t.Fatalf("error without the package prefix: %v", err)
			}
			return
		}
		e, err := tier.Compile(p)
		if err != nil {
			t.Fatalf("ParseProgram accepted a program Compile rejects: %v", err)
		}
		out, err := p.MarshalIndent()
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		q, err := tier.ParseProgram(out)
		if err != nil {
			t.Fatalf("round trip rejected: %v\n%s", err, out)
		}
		out2, _ := q.MarshalIndent()
		if string(out) != string(out2) {
			t.Fatalf("round trip changed the program:\n%s\n%s", out, out2)
		}
		// The engine replays a small history without trouble.
		h := tier.History{Customer: "f", Transactions: []segkit.Transaction{buy("2026-01-01", 100, "A"), buy("2026-02-01", -50, "A")}}
		if _, err := e.ReplayDay(h, day("2027-01-01")); err != nil {
			t.Fatalf("replay: %v", err)
		}
	})
}

var fuzzPrograms = []string{"testdata/hotel.json", "testdata/retail.json", "testdata/agent.json"}

// decodeHistory turns fuzz bytes into a history: 8 bytes per record.
func decodeHistory(e *tier.Engine, data []byte) tier.History {
	h := tier.History{Customer: "z"}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for len(data) >= 8 {
		r := data[:8]
		data = data[8:]
		at := base.Add(time.Duration(binary.LittleEndian.Uint16(r[1:3])) * 3 * time.Hour)
		v := int64(int16(binary.LittleEndian.Uint16(r[3:5])))
		order := ""
		if r[5]%4 != 0 {
			order = fmt.Sprintf("o%d", r[5]%8)
		}
		switch r[0] % 6 {
		case 0, 1:
			h.Transactions = append(h.Transactions, segkit.Transaction{At: at, Amount: float64(v) * 3.7, Quantity: int(r[6] % 5), Order: order})
		case 2:
			metric := []string{"nights", "stays", "fees"}[r[6]%3]
			h.Activities = append(h.Activities, tier.Activity{At: at, Metric: metric, Value: float64(v % 50)})
		case 3:
			kind := []tier.PointKind{tier.Earn, tier.Redeem, tier.Adjust}[r[6]%3]
			h.Points = append(h.Points, tier.PointEvent{At: at, Kind: kind, Points: v, Qualifying: r[7]%2 == 0})
		case 4:
			o := tier.Override{At: at, Level: tier.Level(int(r[6]) % (e.Levels() + 1)), Cancel: r[7]%5 == 0}
			if r[7]%3 != 0 {
				o.Until = at.Add(time.Duration(r[7]) * 24 * time.Hour)
			}
			h.Overrides = append(h.Overrides, o)
		default:
			h.Joined = at
		}
	}
	return h
}

// FuzzReplay: arbitrary histories replay without panics or internal errors;
// Evaluate agrees with Replay; the order of the records does not matter.
func FuzzReplay(f *testing.F) {
	f.Add(byte(0), []byte("\x00\x10\x00\x88\x13\x01\x00\x00\x02\x20\x00\x0a\x00\x00\x00\x00\x03\x30\x00\x10\x27\x00\x01\x00"))
	f.Add(byte(1), []byte("\x01\x00\x01\x40\x1f\x02\x03\x00\x00\x00\x02\xc0\xe0\x02\x01\x00\x04\x00\x03\x00\x00\x00\x02\x06"))
	f.Add(byte(2), []byte("\x02\x05\x00\x30\x00\x00\x02\x00\x00\x06\x00\x50\xc3\x01\x00\x00\x00\x07\x00\x50\xc3\x01\x00\x00"))
	engines := make([]*tier.Engine, len(fuzzPrograms))
	for i, file := range fuzzPrograms {
		engines[i] = loadEngine(f, file)
	}
	f.Fuzz(func(t *testing.T, which byte, data []byte) {
		if len(data) > 8*200 {
			return
		}
		e := engines[int(which)%len(engines)]
		h := decodeHistory(e, data)
		asOf := day("2027-06-30")
		tl, err := e.ReplayDay(h, asOf)
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatalf("internal error: %v", err)
			}
			if _, err2 := e.EvaluateDay(h, asOf); err2 == nil || err2.Error() != err.Error() {
				t.Fatalf("Replay failed with %v, Evaluate with %v", err, err2)
			}
			return
		}
		st, err := e.EvaluateDay(h, asOf)
		if err != nil || st != tl.Status {
			t.Fatalf("Evaluate %+v (%v) differs from Replay %+v", st, err, tl.Status)
		}
		g := h
		g.Transactions = slices.Clone(h.Transactions)
		g.Activities = slices.Clone(h.Activities)
		g.Points = slices.Clone(h.Points)
		g.Overrides = slices.Clone(h.Overrides)
		slices.Reverse(g.Transactions)
		slices.Reverse(g.Activities)
		slices.Reverse(g.Points)
		slices.Reverse(g.Overrides)
		// Reversal changes the order of same-instant records of one kind, so
		// compare only when instants are distinct within each kind.
		if distinct(h) {
			tl2, err := e.ReplayDay(g, asOf)
			if err != nil {
				t.Fatalf("reordered history failed: %v", err)
			}
			if tl2.String() != tl.String() {
				t.Fatalf("order changed the timeline:\n%s\n%s", tl, tl2)
			}
		}
		_ = tl.String()
		if p, err := e.ProgressDay(h, asOf); err != nil || p.Status != tl.Status {
			t.Fatalf("Progress: %v", err)
		}
	})
}

func distinct(h tier.History) bool {
	seen := map[time.Time]bool{}
	check := func(t time.Time) bool {
		if seen[t] {
			return false
		}
		seen[t] = true
		return true
	}
	for _, x := range h.Transactions {
		if !check(x.At) {
			return false
		}
	}
	clear(seen)
	for _, x := range h.Activities {
		if !check(x.At) {
			return false
		}
	}
	clear(seen)
	for _, x := range h.Points {
		if !check(x.At) {
			return false
		}
	}
	clear(seen)
	for _, x := range h.Overrides {
		if !check(x.At) {
			return false
		}
	}
	return true
}

package bitmapindex

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestProperty applies random operation sequences to the index and to a
// naive model and compares every query, on current and older views, across
// snapshot round trips, with and without value bitmaps, strict and not.
func TestProperty(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	configs := []struct {
		name string
		cfg  Config
	}{
		{"utc", DefaultConfig()},
		{"strict shanghai", Config{Location: shanghai, Strict: true, Schema: genAttrs}},
		{"fixed zone", Config{Location: time.FixedZone("X", -5*3600), Schema: genAttrs[:3]}},
	}
	seeds := 3
	if os.Getenv("SEGKIT_PROPERTY_SEEDS") != "" {
		seeds, _ = strconv.Atoi(os.Getenv("SEGKIT_PROPERTY_SEEDS"))
	}
	if testing.Short() {
		seeds = 3
	}
	for _, c := range configs {
		// Value bitmaps kept and used, kept but declined for the bit-sliced
		// comparison (maxValueOr 1), and dropped early (3 values); event
		// counts in a byte per customer, or by the bit-sliced adder (and
		// block counters summed in arrays, or by the adder).
		for _, lim := range []struct {
			vb, vor int
			dense   bool
			ranks   bool // recency ranks used
			updates bool // and updated after small batches
		}{{64, 32, true, true, true}, {64, 1, false, false, false}, {3, 32, true, true, false}} {
			for seed := range seeds {
				t.Run(fmt.Sprintf("%s/vals%d-or%d-dense%v/seed%d", c.name, lim.vb, lim.vor, lim.dense, seed), func(t *testing.T) {
					oldVB, oldOr, oldDense, oldRanks, oldUpd, oldVol := maxValueBitmaps, maxValueOr, denseCount, useRanks, rankUpdates, minDenseVolume
					maxValueBitmaps, maxValueOr, denseCount, useRanks, rankUpdates = lim.vb, lim.vor, lim.dense, lim.ranks, lim.updates
					if lim.dense {
						minDenseVolume = 0 // block counters built and checked with arrays at any size
					}
					defer func() {
						maxValueBitmaps, maxValueOr, denseCount, useRanks, rankUpdates, minDenseVolume = oldVB, oldOr, oldDense, oldRanks, oldUpd, oldVol
					}()
					h := newHarness(t, randSource(uint64(seed)), c.cfg)
					h.run(250, 25)
				})
			}
		}
	}
}

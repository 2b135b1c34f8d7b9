package bitmapindex

import (
	"fmt"
	"time"
)

// zoneInfo is how a time zone is persisted: by IANA name, or as a fixed
// offset east of UTC with a name.
type zoneInfo struct {
	name   string
	fixed  bool
	offset int // seconds east of UTC, for fixed zones
}

// probes are instants at which two zones must agree to be taken as the same.
var probes = func() []time.Time {
	var ts []time.Time
	for y := 1950; y <= 2060; y += 5 {
		ts = append(ts, time.Date(y, 1, 15, 12, 0, 0, 0, time.UTC), time.Date(y, 7, 15, 12, 0, 0, 0, time.UTC))
	}
	return ts
}()

func sameZone(a, b *time.Location) bool {
	for _, t := range probes {
		_, oa := t.In(a).Zone()
		_, ob := t.In(b).Zone()
		if oa != ob {
			return false
		}
	}
	return true
}

// zoneOf decides how loc is persisted.
func zoneOf(loc *time.Location) (zoneInfo, error) {
	name := loc.String()
	if l, err := time.LoadLocation(name); err == nil && sameZone(l, loc) {
		return zoneInfo{name: name}, nil
	}
	_, off := probes[0].In(loc).Zone()
	if sameZone(loc, time.FixedZone(name, off)) {
		return zoneInfo{name: name, fixed: true, offset: off}, nil
	}
	return zoneInfo{}, fmt.Errorf("bitmapindex: location %q can be neither loaded by name nor written as a fixed offset", name)
}

// location returns the zone as a *time.Location.
func (z zoneInfo) location() (*time.Location, error) {
	if z.fixed {
		if z.offset < -18*3600 || z.offset > 18*3600 {
			return nil, corruptf("fixed zone offset %d out of range", z.offset)
		}
		return time.FixedZone(z.name, z.offset), nil
	}
	l, err := time.LoadLocation(z.name)
	if err != nil {
		return nil, fmt.Errorf("bitmapindex: snapshot time zone %q: %w", z.name, err)
	}
	return l, nil
}

package lifecycle_test

import (
	"fmt"
	"slices"
	"time"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/lifecycle"
)

// Stages from logins instead of purchases, for an app that does not live
// on transactions: the reasons name the event.
func ExampleBuild() {
	day := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	var events []segkit.Event
	for _, d := range []string{"2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26", "2026-02-02"} {
		events = append(events, segkit.Event{Customer: "u1", Name: "login", At: day(d)})
	}
	events = append(events, segkit.Event{Customer: "u2", Name: "login", At: day("2026-02-10")})
	events = append(events, segkit.Event{Customer: "u2", Name: "share", At: day("2026-02-11")}) // another event: not counted
	h, err := lifecycle.Build(lifecycle.Source{Events: slices.Values(events), Activity: "login"})
	if err != nil {
		panic(err)
	}
	snap, err := h.Stages(day("2026-03-15"), lifecycle.DefaultConfig())
	if err != nil {
		panic(err)
	}
	for _, a := range snap.Assignments {
		fmt.Println(a.Customer, a.Stage, "—", a.Reason)
	}
	// Output:
	// u1 sleeping — no login for 41 days (> 21 days = max(3 × typical gap 7 days, longest gap 7 days))
	// u2 sleeping — 1 login day(s); no login for 33 days (> 21 days = 3 × population typical gap 7 days)
}

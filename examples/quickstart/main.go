// Quickstart: generate a small customer population, index it, and select
// segments with rules — the first thing to run after cloning segkit:
//
//	go run ./examples/quickstart
//
// It needs no files: the population (20,000 customers with tags, attributes,
// and a year of logins, trial classes and purchases) is generated from a
// fixed seed, so every run prints the same numbers.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/segment"
	"github.com/segkit/segkit/synth"
)

func main() {
	if err := run(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// run is the example; it writes what it finds to w.
func run(w io.Writer) error {
	ctx := context.Background()

	// 1. A population: 20,000 customers whose personas (college students,
	//    young mothers, office workers, …) drive their tags and behaviour.
	g, err := synth.New(synth.Reference(20_000))
	if err != nil {
		return err
	}
	ix, err := bitmapindex.New(bitmapindex.DefaultConfig())
	if err != nil {
		return err
	}
	if err := g.Load(ctx, ix, synth.DefaultLoadConfig()); err != nil {
		return err
	}
	v := ix.View() // an immutable snapshot: evaluate as much as you like
	now := time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC)
	fmt.Fprintf(w, "%d customers, %d tags, %d attributes, events %v\n\n", v.Len(), len(v.Tags()), len(v.Schema()), v.Events())

	// 2. Rules select segments; compile once, evaluate on any view.
	rules := []struct{ name, rule string }{
		{"students, first trial this week", `has("undergrad") && firstWithin("trial_class", "7d")`},
		{"trial taken, not yet paid", `did("trial_class") && !did("purchase")`},
		{"30 days without login (recall)", `!didWithin("login", "30d")`},
		{"repeat buyers, not VIP", `countWithin("purchase", "1y") >= 2 && !vip`},
		{"office workers 26–30 in tier-1 cities", `has("office_worker") && age in 26..30 && city in ["Beijing", "Shanghai", "Guangzhou", "Shenzhen"]`},
	}
	for _, r := range rules {
		rule, err := segment.Compile(r.rule, segment.WithSchema(v.Schema()))
		if err != nil {
			return err
		}
		n, err := rule.Count(ctx, v, now)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%-40s %6d  %s\n", r.name, n, r.rule)
	}

	// 3. Named segments reference each other; a registry evaluates them in
	//    dependency order.
	reg := segment.NewRegistry(segment.WithSchemaOf(ix)) // sees attributes models add later
	err = reg.DefineAll(
		segment.Definition{Name: "mothers", Rule: `has("mother")`},
		segment.Definition{Name: "side_income_prospects", Rule: `inSegment("mothers") && has("side_income") && !did("purchase")`},
	)
	if err != nil {
		return err
	}
	members, err := reg.Eval(ctx, "side_income_prospects", v, now)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nside_income_prospects: %d members, first few:", members.Len())
	i := 0
	for key := range members.Keys() {
		if i == 3 {
			break
		}
		fmt.Fprint(w, " ", key)
		i++
	}
	fmt.Fprintln(w)

	// 4. Explain shows where a segment loses its members.
	rule := segment.MustCompile(`has("undergrad") && age in 18..24 && !didWithin("purchase", "30d")`)
	plan, err := rule.Explain(ctx, v, now)
	if err != nil {
		return err
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, plan)
	return nil
}

package persona_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/segkit/segkit/bitmapindex"
	"github.com/segkit/segkit/persona"
	"github.com/segkit/segkit/segment"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const definitions = `{"personas": [
  {"name": "student_jobseeker", "description": "College student looking for a job",
   "conditions": [{"rule": "has(\"undergrad\")", "weight": 3},
                  {"rule": "didWithin(\"job_fair\", \"30d\")", "weight": 2},
                  {"rule": "age < 24", "weight": 0.5}],
   "min_score": 3.5, "priority": 10},
  {"name": "young_mother", "description": "Young mother wanting side income",
   "conditions": [{"rule": "has(\"mother\")", "weight": 3},
                  {"rule": "has(\"side_income\")", "weight": 2},
                  {"rule": "age in 22..35", "weight": 1}],
   "min_score": 4}
]}`

// customers builds a tiny index: tags, an age attribute and job-fair visits.
func customers() *bitmapindex.Index {
	ix, _ := bitmapindex.New(bitmapindex.Config{Schema: []bitmapindex.Attribute{{Name: "age", Kind: bitmapindex.KindInt}}})
	b := ix.NewBatch()
	add := func(key string, age int64, tags ...string) {
		b.Set(key, "age", bitmapindex.Int(age))
		for _, t := range tags {
			b.AddTag(key, t)
		}
	}
	add("ann", 21, "undergrad")
	add("bo", 22, "undergrad")
	add("cui", 29, "mother", "side_income")
	add("dai", 38, "mother")
	add("eli", 40, "mother", "side_income", "undergrad")
	b.Record("bo", "job_fair", now.AddDate(0, 0, -3), 0)
	if err := b.Commit(); err != nil {
		panic(err)
	}
	return ix
}

func Example() {
	defs, err := persona.ParseDefinitions([]byte(definitions))
	if err != nil {
		fmt.Println(err)
		return
	}
	cat, err := persona.Compile(defs, persona.DefaultConfig())
	if err != nil {
		fmt.Println(err)
		return
	}
	ix := customers()
	a, err := cat.Assign(context.Background(), ix.View(), now)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range cat.Names() {
		m, _ := a.Members(name)
		fmt.Println(name, slices.Collect(m.Keys()))
	}
	fmt.Println("unassigned", slices.Collect(a.Unassigned().Keys()))
	// Output:
	// student_jobseeker [ann bo]
	// young_mother [cui eli]
	// unassigned [dai]
}

func ExampleCatalog_AssignProfile() {
	defs, _ := persona.ParseDefinitions([]byte(definitions))
	cat := persona.MustCompile(defs, persona.DefaultConfig())
	// eli is a mother with side income who is also an undergraduate: she
	// qualifies for both personas, young_mother scoring higher.
	p := bitmapindex.Profile{
		Key:   "eli",
		Tags:  map[string]bool{"mother": true, "side_income": true, "undergrad": true},
		Attrs: map[string]bitmapindex.Value{"age": bitmapindex.Int(40)},
	}
	ranks, err := cat.AssignProfile(p, now)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range ranks {
		fmt.Printf("%s %.1f\n", s.Persona, s.Score)
	}
	// Output:
	// young_mother 5.0
}

func ExampleAssignment_Top() {
	defs, _ := persona.ParseDefinitions([]byte(definitions))
	defs[0].MinScore = 3 // eli's 3 points as a student now qualify too
	cat := persona.MustCompile(defs, persona.DefaultConfig())
	v := customers().View()
	a, _ := cat.Assign(context.Background(), v, now)
	id, _ := v.ID("eli")
	fmt.Println(a.Top(id, 2))
	// Output:
	// [{young_mother 5} {student_jobseeker 3}]
}

func ExampleCompile_ruleError() {
	_, err := persona.Compile([]persona.Definition{{
		Name: "night_owl",
		Conditions: []persona.Condition{
			{Rule: `has("late_login")`, Weight: 2},
			{Rule: "didWithin(\"login\", \"7d\") &&\n  hass(\"night_shift\")", Weight: 1},
		},
		MinScore: 2,
	}}, persona.DefaultConfig())
	fmt.Println(err)
	var pe *persona.Error
	if errors.As(err, &pe) {
		fmt.Println(pe.Persona, pe.Condition, pe.Line, pe.Column)
	}
	// Output:
	// persona: persona 0 "night_owl": condition 1: rule 2:3: unknown function hass (did you mean has?)
	//  |   hass("night_shift")
	//  | ..^
	// night_owl 1 2 3
}

func ExampleUpdate() {
	defs, _ := persona.ParseDefinitions([]byte(definitions))
	cat := persona.MustCompile(defs, persona.DefaultConfig())
	ix := customers()
	a, _ := cat.Assign(context.Background(), ix.View(), now)
	if err := persona.Update(ix, persona.Output{Assignment: a}, persona.DefaultIndexConfig()); err != nil {
		fmt.Println(err)
		return
	}
	// The persona is now an attribute that rules select on.
	rule := segment.MustCompile(`persona == "young_mother" && !has("side_income") || persona == "student_jobseeker" && age > 21`)
	s, _ := rule.Eval(context.Background(), ix.View(), now)
	fmt.Println(slices.Collect(s.Keys()))
	// Output:
	// [bo]
}

func ExampleAssignment_Report() {
	defs, _ := persona.ParseDefinitions([]byte(definitions))
	cat := persona.MustCompile(defs, persona.DefaultConfig())
	a, _ := cat.Assign(context.Background(), customers().View(), now)
	cfg := persona.DefaultReportConfig()
	cfg.MinCount = 1
	cfg.Top = 2
	r, _ := a.Report(cfg)
	r.WriteText(os.Stdout)
	// Output:
	// Personas: 5 customers, 4 assigned (80.0%), 1 unassigned
	//
	// persona            members  share  eligible  description
	// student_jobseeker        2  40.0%         2  College student looking for a job
	// young_mother             2  40.0%         2  Young mother wanting side income
	//
	// student_jobseeker: 2 members (40.0%), 2 eligible
	//   trait          count  in persona  population  lift
	//   tag undergrad      2      100.0%       60.0%  1.67
	//
	// young_mother: 2 members (40.0%), 2 eligible
	//   trait            count  in persona  population  lift
	//   tag side_income      2      100.0%       40.0%  2.50
	//   tag mother           2      100.0%       60.0%  1.67
	//
	// Overlap of eligible customers:
	//   none
}

func ExampleComputePreferences() {
	day := 24 * time.Hour
	records := []persona.Behavior{
		{Customer: "ann", Tag: "hiking", Type: "purchase", At: now.Add(-2 * day)},
		{Customer: "ann", Tag: "yoga", Type: "browse", At: now.Add(-1 * day)},
		{Customer: "ann", Tag: "yoga", Type: "browse", At: now.Add(-40 * day)},
		{Customer: "bo", Tag: "hiking", Type: "search", At: now.Add(-10 * day)},
		{Customer: "bo", Tag: "chess", Type: "favorite", At: now.Add(-90 * day)},
	}
	cfg := persona.DefaultPreferenceConfig() // purchase 4 > favorite 3 > search 2 > browse 1, 30-day half-life
	cfg.Top = 2
	prefs, err := persona.ComputePreferences(slices.Values(records), now, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	for customer, tags := range prefs.All() {
		fmt.Print(customer, ":")
		for _, t := range tags {
			fmt.Printf(" %s %.2f", t.Tag, t.Score)
		}
		fmt.Println()
	}
	// Output:
	// ann: hiking 3.82 yoga 1.93
	// bo: hiking 1.59 chess 0.53
}

func ExampleKMeans() {
	// Two groups of customers: frequent recent buyers and lapsed ones.
	f := persona.Features{Names: []string{"recency_days", "frequency"}}
	for i := range 20 {
		f.Add(fmt.Sprintf("frequent%02d", i), float64(2+i%5), float64(20+i%7))
		f.Add(fmt.Sprintf("lapsed%02d", i), float64(150+10*(i%6)), float64(1+i%2))
	}
	cfg := persona.DefaultKMeansConfig()
	cfg.K = 2
	cfg.Transforms = map[string]persona.Transform{"recency_days": persona.TransformLog1p, "frequency": persona.TransformLog1p}
	c, err := persona.KMeans(f, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("sizes %v, silhouette %.2f\n", c.Sizes, c.Silhouette)
	profiles, _ := c.Profiles(nil, persona.DefaultReportConfig())
	for _, p := range profiles {
		fmt.Printf("cluster %d: %s\n", p.Cluster, p.Summary())
	}
	// Output:
	// sizes [20 20], silhouette 0.92
	// cluster 0: recency_days low (−1.0σ), frequency high (+1.0σ)
	// cluster 1: recency_days high (+1.0σ), frequency low (−1.0σ)
}

func ExampleChooseK() {
	f := persona.Features{Names: []string{"x", "y"}}
	for i := range 30 {
		c := float64(i % 3 * 10) // three groups
		f.Add(fmt.Sprint(i), c+float64(i%4)*0.3, c-float64(i%5)*0.2)
	}
	scores, _ := persona.ChooseK(f, []int{2, 3, 4}, persona.DefaultKMeansConfig())
	for _, s := range scores {
		fmt.Printf("k=%d inertia=%.2f silhouette=%.2f\n", s.K, s.Inertia, s.Silhouette)
	}
	// Output:
	// k=2 inertia=14.97 silhouette=0.72
	// k=3 inertia=0.09 silhouette=0.96
	// k=4 inertia=0.07 silhouette=0.76
}

package compare

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/segkit/segkit"
	"github.com/segkit/segkit/synth"
)

// ExprSegments are the segments of [Segments] in the expr baseline's
// language (durations as day counts).
var ExprSegments = map[string]string{
	"repeat_buyers": `countWithin("purchase", 365) >= 2`,
}

// exprEnv is what a rule sees of one customer in the expr baseline: the
// attributes as fields (nil when missing), times as day numbers, and
// functions over the customer's tags and events (see newExprEngine).
type exprEnv struct {
	Age         any      `expr:"age"`
	City        string   `expr:"city"`
	Gender      any      `expr:"gender"`
	Occupation  any      `expr:"occupation"`
	Spend       float64  `expr:"spend"`
	SignupAt    int      `expr:"signup_at"`
	LastLoginAt int      `expr:"last_login_at"`
	VIP         bool     `expr:"vip"`
	Interests   []string `expr:"interests"`
}

// exprCustomer is one customer as the baseline keeps it in memory.
type exprCustomer struct {
	tags        []uint16 // codes, ascending
	age         int16    // 0: missing
	city        uint16   // into exprEngine.strs
	gender, occ uint16   // into exprEngine.strs; 0: missing
	spend       float64
	signup      int32 // day numbers
	lastLogin   int32
	vip         bool
	interests   []string
	events      [][]int32 // by event code: the day of every occurrence, ascending
	purchases   []exprPurchase
}

// exprPurchase is one purchase: its day, amount and category code.
type exprPurchase struct {
	day      int32
	category uint8
	cents    int64
}

// exprEngine is the naive baseline: a compiled expr program run once per
// customer over that customer's values. With a sample below the population
// size it keeps and evaluates only the first Sample customers (a population
// is a prefix of every larger one) and the harness extrapolates its times.
type exprEngine struct {
	sample int
	p      *Population
	cust   []exprCustomer
	strs   []string
	progs  []*vm.Program
	segs   map[string]*vm.Program
	cur    *exprCustomer
	env    exprEnv
	m      vm.VM
	today  int32
	heap   int64
}

func newExprEngine(sample int) *exprEngine { return &exprEngine{sample: sample} }

func (e *exprEngine) Name() string { return "expr" }

func (e *exprEngine) Describe() string {
	return "github.com/expr-lang/expr program run once per customer over a struct env (the naive baseline)"
}

// Sampled returns the number of customers the baseline evaluates.
func (e *exprEngine) Sampled() int { return e.sample }

func (e *exprEngine) Load(ctx context.Context, p *Population, rules []Rule) error {
	before := heapAfterGC()
	e.p = p
	if e.sample <= 0 || e.sample > p.N {
		e.sample = p.N
	}
	e.today = int32(p.Today)
	intern := map[string]uint16{"": 0}
	e.strs = []string{""}
	str := func(s string) uint16 {
		if k, ok := intern[s]; ok {
			return k
		}
		k := uint16(len(e.strs))
		e.strs = append(e.strs, s)
		intern[s] = k
		return k
	}
	e.cust = make([]exprCustomer, 0, e.sample)
	for row := range p.Rows() {
		if len(e.cust) == e.sample {
			break
		}
		if len(e.cust)%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		c := &row.Rec.Customer
		ec := exprCustomer{
			age: int16(c.Age), city: str(c.City), gender: str(c.Gender), occ: str(c.Occupation),
			spend:     float64(row.SpendCents) / 100,
			signup:    int32(segkit.DayOf(c.SignupAt, time.UTC)),
			lastLogin: int32(segkit.DayOf(c.LastLoginAt, time.UTC)),
			vip:       c.VIP,
			tags:      make([]uint16, len(row.Tags)),
			events:    make([][]int32, len(p.EventNames)+1),
		}
		for i, t := range row.Tags {
			ec.tags[i] = uint16(t)
		}
		if len(c.Interests) > 0 {
			ec.interests = make([]string, len(c.Interests))
			for i, s := range c.Interests {
				ec.interests[i] = p.Interests[p.InterestCode[s]-1]
			}
		}
		for _, d := range row.Daily {
			for range d.N {
				ec.events[d.Event] = append(ec.events[d.Event], int32(d.Day))
			}
		}
		if len(row.Purchases) > 0 {
			ec.purchases = make([]exprPurchase, len(row.Purchases))
			for i, pu := range row.Purchases {
				ec.purchases[i] = exprPurchase{day: int32(pu.Day), category: uint8(pu.Category), cents: pu.Cents}
			}
		}
		e.cust = append(e.cust, ec)
	}
	opts := e.options()
	e.segs = map[string]*vm.Program{}
	for name, src := range ExprSegments {
		prog, err := expr.Compile(src, opts...)
		if err != nil {
			return fmt.Errorf("compare: expr: segment %s: %w", name, err)
		}
		e.segs[name] = prog
	}
	e.progs = make([]*vm.Program, len(rules))
	for i, r := range rules {
		prog, err := expr.Compile(r.Expr, opts...)
		if err != nil {
			return fmt.Errorf("compare: expr: rule %s: %w", r.Name, err)
		}
		e.progs[i] = prog
	}
	e.heap = heapAfterGC() - before
	return nil
}

// options declares the env and the functions; the functions read the
// customer being evaluated (e.cur).
func (e *exprEngine) options() []expr.Option {
	days := func(event string) []int32 {
		code, ok := e.p.EventCode[event]
		if !ok {
			return nil
		}
		return e.cur.events[code]
	}
	// inWindow counts the occurrences with 0 ≤ today − day < n.
	inWindow := func(ds []int32, n int) int {
		c := 0
		for _, d := range ds {
			if k := e.today - d; k >= 0 && int(k) < n {
				c++
			}
		}
		return c
	}
	// purchasesIn returns the sum of the amounts (cents) and the number of
	// the purchases with 0 ≤ today − day < n.
	purchasesIn := func(event string, n int) (sum int64, count int, err error) {
		if event != synth.EventPurchase {
			return 0, 0, fmt.Errorf("compare: expr: only purchases carry amounts, not %q", event)
		}
		for _, pu := range e.cur.purchases {
			if k := e.today - pu.day; k >= 0 && int(k) < n {
				sum += pu.cents
				count++
			}
		}
		return sum, count, nil
	}
	day := func(s string) (int32, error) {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return 0, fmt.Errorf("compare: expr: %w", err)
		}
		return int32(segkit.DayOf(t, time.UTC)), nil
	}
	return []expr.Option{
		expr.Env(exprEnv{}),
		expr.Function("didWithinWhere", func(params ...any) (any, error) {
			if params[0].(string) != synth.EventPurchase {
				return nil, fmt.Errorf("compare: expr: only purchases carry a category, not %q", params[0])
			}
			code := uint8(e.p.CategoryCode[params[2].(string)])
			n := params[1].(int)
			for _, pu := range e.cur.purchases {
				if k := e.today - pu.day; k >= 0 && int(k) < n && pu.category == code {
					return true, nil
				}
			}
			return false, nil
		}, new(func(string, int, string) bool)),
		expr.Function("sumWithin", func(params ...any) (any, error) {
			sum, _, err := purchasesIn(params[0].(string), params[1].(int))
			return float64(sum) / 100, err
		}, new(func(string, int) float64)),
		// avgWithin is NaN without purchases: every comparison with it is
		// false, as for a missing average.
		expr.Function("avgWithin", func(params ...any) (any, error) {
			sum, n, err := purchasesIn(params[0].(string), params[1].(int))
			if n == 0 {
				return math.NaN(), err
			}
			return float64(sum) / float64(100*n), err
		}, new(func(string, int) float64)),
		expr.Function("didBetween", func(params ...any) (any, error) {
			a, err := day(params[1].(string))
			if err != nil {
				return nil, err
			}
			b, err := day(params[2].(string))
			if err != nil {
				return nil, err
			}
			for _, d := range days(params[0].(string)) {
				if d >= a && d <= b {
					return true, nil
				}
			}
			return false, nil
		}, new(func(string, string, string) bool)),
		expr.Function("didThen", func(params ...any) (any, error) {
			as, bs, n := days(params[0].(string)), days(params[1].(string)), int32(params[2].(int))
			for _, a := range as {
				if a > e.today {
					break
				}
				for _, b := range bs {
					if b >= a && b-a < n && b <= e.today {
						return true, nil
					}
				}
			}
			return false, nil
		}, new(func(string, string, int) bool)),
		expr.AsBool(),
		expr.Function("has", func(params ...any) (any, error) {
			code := e.p.TagCode[params[0].(string)]
			_, ok := slices.BinarySearch(e.cur.tags, uint16(code))
			return code != 0 && ok, nil
		}, new(func(string) bool)),
		expr.Function("daysSince", func(params ...any) (any, error) {
			return int(e.today) - params[0].(int), nil
		}, new(func(int) int)),
		expr.Function("within", func(params ...any) (any, error) {
			k := int(e.today) - params[0].(int)
			return k >= 0 && k < params[1].(int), nil
		}, new(func(int, int) bool)),
		expr.Function("did", func(params ...any) (any, error) {
			ds := days(params[0].(string))
			return len(ds) > 0 && ds[0] <= e.today, nil
		}, new(func(string) bool)),
		expr.Function("didWithin", func(params ...any) (any, error) {
			return inWindow(days(params[0].(string)), params[1].(int)) > 0, nil
		}, new(func(string, int) bool)),
		expr.Function("countWithin", func(params ...any) (any, error) {
			return inWindow(days(params[0].(string)), params[1].(int)), nil
		}, new(func(string, int) int)),
		expr.Function("firstWithin", func(params ...any) (any, error) {
			ds := days(params[0].(string))
			if len(ds) == 0 {
				return false, nil
			}
			k := e.today - ds[0]
			return k >= 0 && int(k) < params[1].(int), nil
		}, new(func(string, int) bool)),
		expr.Function("inSegment", func(params ...any) (any, error) {
			prog, ok := e.segs[params[0].(string)]
			if !ok {
				return nil, fmt.Errorf("compare: expr: no segment %q", params[0])
			}
			var m vm.VM // the outer VM is running
			return m.Run(prog, &e.env)
		}, new(func(string) bool)),
	}
}

func (e *exprEngine) Count(ctx context.Context, i int) (int64, error) {
	prog := e.progs[i]
	var n int64
	for k := range e.cust {
		if k%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
		c := &e.cust[k]
		e.cur = c
		e.env = exprEnv{
			City: e.strs[c.city], Spend: c.spend, SignupAt: int(c.signup), LastLoginAt: int(c.lastLogin),
			VIP: c.vip, Interests: c.interests,
		}
		if c.age != 0 {
			e.env.Age = int(c.age)
		}
		if c.gender != 0 {
			e.env.Gender = e.strs[c.gender]
		}
		if c.occ != 0 {
			e.env.Occupation = e.strs[c.occ]
		}
		out, err := e.m.Run(prog, &e.env)
		if err != nil {
			return 0, fmt.Errorf("compare: expr: customer %d: %w", k, err)
		}
		if out.(bool) {
			n++
		}
	}
	return n, nil
}

func (e *exprEngine) Memory(context.Context) (Memory, error) {
	return Memory{Bytes: e.heap, How: fmt.Sprintf("Go heap after GC for %d customers' values", e.sample)}, nil
}

func (e *exprEngine) Close() error {
	*e = exprEngine{sample: e.sample}
	return nil
}

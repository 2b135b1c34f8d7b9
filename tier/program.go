package tier

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Program is a membership program as data: ordered levels with their entry
// and retention criteria and benefits, the qualification window, the upgrade,
// downgrade and validity policies, and the points rules. It is what
// [ParseProgram] reads from JSON and what [Compile] turns into an [Engine].
//
// Zero values of the policy fields mean the usual choice, written on each
// field. A Program is a plain value; it is not safe to modify while another
// goroutine reads it, but Compile copies what it needs.
type Program struct {
	// Name is shown in audit output; optional.
	Name string `json:"name,omitempty"`
	// TimeZone is the IANA zone whose calendar days, months and years the
	// program counts in ("Asia/Shanghai"); empty means UTC. "Local" is
	// rejected: a program must not depend on the machine it runs on.
	TimeZone string `json:"time_zone,omitempty"`
	// Metrics declares the host-defined counters (lower-case identifiers)
	// that criteria and earn rules may name besides the built-in ones
	// (spend, orders, items, points, nights, stays, fees). Values of these
	// metrics arrive as [Activity] records.
	Metrics []string `json:"metrics,omitempty"`
	// Window is the qualification window the criteria are measured over.
	Window Window `json:"window"`
	// Review is when levels are reviewed (period ends); zero means the
	// window's natural period: a calendar year for calendar_year, the
	// membership year for anniversary_year, each calendar month for rolling.
	Review Review `json:"review,omitzero"`
	// Upgrade is when met entry criteria raise the level; empty means
	// immediately.
	Upgrade UpgradePolicy `json:"upgrade,omitempty"`
	// Downgrade is when unmet retention criteria lower the level.
	Downgrade Downgrade `json:"downgrade,omitzero"`
	// Validity is how long an earned (or requalified) level is guaranteed;
	// zero means no guarantee beyond the next review.
	Validity Validity `json:"validity,omitzero"`
	// Lifetime grants a level for good after enough time at or above it.
	Lifetime []Lifetime `json:"lifetime,omitempty"`
	// RevokeOnRefund reverses, at the refund, an upgrade earned since the
	// last review when a refund takes the member below that level's entry
	// criteria. Without it a refund only counts at the next review.
	RevokeOnRefund bool `json:"revoke_on_refund,omitempty"`
	// Points are the earning and expiry rules of the points ledger.
	Points Points `json:"points,omitzero"`
	// Growth is the growth value (成长值), when the program has one.
	Growth *Growth `json:"growth,omitempty"`
	// Levels, lowest first. The first is the base level every customer holds
	// without qualifying; it takes no criteria. At most 32 levels.
	Levels []LevelSpec `json:"levels"`
}

// WindowKind names a qualification window. It is a plain value.
type WindowKind string

// The qualification windows.
const (
	// CalendarYear measures from January 1 of the evaluation day's year.
	CalendarYear WindowKind = "calendar_year"
	// Rolling measures the last Window.Months months up to the evaluation day.
	Rolling WindowKind = "rolling"
	// AnniversaryYear measures from the last anniversary of the join date.
	AnniversaryYear WindowKind = "anniversary_year"
)

// Window is a qualification window. It is a plain value, safe to copy.
type Window struct {
	Kind WindowKind `json:"kind"`
	// Months is the length of a rolling window, 1..120; only for Rolling.
	Months int `json:"months,omitempty"`
}

// Anchor says where review periods start. It is a plain value.
type Anchor string

// Review anchors.
const (
	// AnchorCalendar starts periods on January 1 (Review.Months must divide 12).
	AnchorCalendar Anchor = "calendar"
	// AnchorJoin starts periods on the customer's join date.
	AnchorJoin Anchor = "join"
)

// Review is the review schedule: periods of Months months from Anchor; the
// review happens at the end of a period's last day and its outcome takes
// effect the next day. It is a plain value, safe to copy.
type Review struct {
	// Months per period, 1..120; 0 means the window's default.
	Months int `json:"months,omitempty"`
	// Anchor of the periods; empty means calendar, except for
	// anniversary_year windows whose default is join.
	Anchor Anchor `json:"anchor,omitempty"`
}

// UpgradePolicy says when met entry criteria raise the level. It is a plain
// value.
type UpgradePolicy string

// Upgrade policies.
const (
	// UpgradeImmediate raises the level on the day the criteria are met:
	// they are checked after every record that adds to a metric, and at every
	// review (a refund leaving a rolling window can raise a sum by itself).
	UpgradeImmediate UpgradePolicy = "immediate"
	// UpgradeAtPeriodEnd raises it at the next review, effective the day after.
	UpgradeAtPeriodEnd UpgradePolicy = "period_end"
)

// DowngradePolicy says when unmet retention criteria lower the level. It is a
// plain value.
type DowngradePolicy string

// Downgrade policies.
const (
	// DowngradeAtPeriodEnd lowers the level at a review that finds the
	// retention criteria unmet, effective the day after the review.
	DowngradeAtPeriodEnd DowngradePolicy = "period_end"
	// DowngradeNever keeps every level once earned.
	DowngradeNever DowngradePolicy = "never"
	// DowngradeAfterGrace starts a grace period of GraceDays at such a review;
	// the level drops when the grace ends unless the retention criteria are
	// met again before.
	DowngradeAfterGrace DowngradePolicy = "grace"
)

// Downgrade is the downgrade policy. It is a plain value, safe to copy.
type Downgrade struct {
	// Policy; empty means DowngradeAtPeriodEnd.
	Policy DowngradePolicy `json:"policy,omitempty"`
	// GraceDays of a DowngradeAfterGrace policy, 1..3660.
	GraceDays int `json:"grace_days,omitempty"`
	// MaxDrop is the soft landing: a review lowers the level by at most this
	// many levels; 0 means no limit (straight to the highest level whose
	// retention criteria are met).
	MaxDrop int `json:"max_drop,omitempty"`
}

// ValidityKind names a status validity rule. It is a plain value.
type ValidityKind string

// Status validity rules.
const (
	// ValidNone guarantees nothing: every review may lower the level.
	ValidNone ValidityKind = "none"
	// ValidFollowingYear: status earned on any day of year Y lasts through
	// December 31 of year Y+1.
	ValidFollowingYear ValidityKind = "following_year"
	// ValidMonths: status lasts Validity.Months months from the day earned.
	ValidMonths ValidityKind = "months"
)

// Validity is the status validity rule: a level earned, or requalified at a
// review, cannot be lowered by a review before the guarantee ends. It is a
// plain value, safe to copy.
type Validity struct {
	// Kind; empty means ValidNone.
	Kind ValidityKind `json:"kind,omitempty"`
	// Months for ValidMonths, 1..120.
	Months int `json:"months,omitempty"`
}

// Lifetime grants Level (and no review will lower the member below it) once
// the member has held it or a higher level for Years years in total, a year
// counting 365 days. It is a plain value, safe to copy.
type Lifetime struct {
	Level string `json:"level"`
	Years int    `json:"years"`
}

// Points are the points-ledger rules. It is a plain value; do not modify its
// slices while another goroutine reads them.
type Points struct {
	// PerUnit is the base earn rate: points per unit of purchase amount.
	PerUnit float64 `json:"per_unit,omitempty"`
	// Rules add points on top of the base rate.
	Rules []EarnRule `json:"rules,omitempty"`
	// ExpiryDays: points earned on day d expire at the start of day d+ExpiryDays
	// (first in, first out); 0 means they do not expire by age.
	ExpiryDays int `json:"expiry_days,omitempty"`
	// InactivityMonths: the whole positive balance expires at the start of the
	// day InactivityMonths months after the last activity; 0 means never.
	InactivityMonths int `json:"inactivity_months,omitempty"`
}

// EarnRule adds points for a purchase or an activity. Per-unit points are
// multiplied by the member's level multiplier; Bonus is not. It is a plain
// value; do not modify it while another goroutine reads it.
type EarnRule struct {
	// Name identifies the rule in the ledger; required and unique.
	Name string `json:"name"`
	// Metric is "" or "spend" for purchases, otherwise an activity metric
	// (nights, stays, fees or a declared one).
	Metric string `json:"metric,omitempty"`
	// PerUnit points per unit of purchase amount or activity value.
	PerUnit float64 `json:"per_unit,omitempty"`
	// Bonus points per qualifying purchase or activity record.
	Bonus int64 `json:"bonus,omitempty"`
	// MinAmount is the smallest purchase amount or activity value the rule
	// applies to.
	MinAmount float64 `json:"min_amount,omitempty"`
	// From and To (YYYY-MM-DD, inclusive, optional) limit the rule to a
	// promotion period.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Levels limits the rule to members at these levels; empty means all.
	Levels []string `json:"levels,omitempty"`
}

// LevelSpec is one level of a program. It is a plain value; do not modify it
// while another goroutine reads it.
type LevelSpec struct {
	// Name is unique within the program (case-insensitively).
	Name string `json:"name"`
	// Entry criteria to reach the level; required except for the base level.
	Entry *Criteria `json:"entry,omitempty"`
	// Retain criteria to keep the level at a review; nil means the entry
	// criteria. They may be lower than the entry criteria, never higher.
	Retain *Criteria `json:"retain,omitempty"`
	// Multiplier of per-unit points earned at this level; 0 means 1.
	Multiplier float64 `json:"multiplier,omitempty"`
	// Benefits are named values for the host: numbers, strings or booleans
	// ("discount": 0.1, "lounge": true, "desk": "priority").
	Benefits map[string]any `json:"benefits,omitempty"`
}

// Criteria is a condition on the metrics of the qualification window: either
// a leaf — Metric ≥ Min ("at least"), or, with Max set, Metric ≤ *Max ("at
// most", for metrics where lower is better: complaints, a credit-risk level)
// — or a group of conditions of which Any (at least one) or All must hold.
// Exactly one of Metric, Any and All is set; a leaf with Max has no Min. It
// is a plain value; do not modify it while another goroutine reads it.
//
// An at-most condition can only become met when its metric falls: when
// contributions leave the window, which is looked at on review days, or
// through negative activity values.
type Criteria struct {
	Metric string     `json:"metric,omitempty"`
	Min    float64    `json:"min,omitempty"`
	Max    *float64   `json:"max,omitempty"`
	Any    []Criteria `json:"any,omitempty"`
	All    []Criteria `json:"all,omitempty"`
}

// AtLeast returns the leaf criterion metric ≥ min.
func AtLeast(metric string, min float64) Criteria { return Criteria{Metric: metric, Min: min} }

// AtMost returns the leaf criterion metric ≤ max.
func AtMost(metric string, max float64) Criteria { return Criteria{Metric: metric, Max: &max} }

// AnyOf returns a criterion met when at least one of cs is.
func AnyOf(cs ...Criteria) *Criteria { return &Criteria{Any: cs} }

// AllOf returns a criterion met when all of cs are.
func AllOf(cs ...Criteria) *Criteria { return &Criteria{All: cs} }

// The built-in metrics. Purchases ([segkit.Transaction]) feed spend (sum of
// amounts, refunds negative), orders (purchases counted; a fully refunded
// order no longer counts) and items (sum of quantities); points is the
// qualifying points earned; nights, stays and fees, like the metrics a
// program declares, come from [Activity] records.
const (
	MetricSpend  = "spend"
	MetricOrders = "orders"
	MetricItems  = "items"
	MetricPoints = "points"
	MetricNights = "nights"
	MetricStays  = "stays"
	MetricFees   = "fees"
)

var builtinMetrics = []string{MetricSpend, MetricOrders, MetricItems, MetricPoints, MetricNights, MetricStays, MetricFees, MetricGrowth}

// ParseProgram decodes a program from JSON strictly (unknown fields, trailing
// data and documents over 1 MiB are errors) and validates it. Validation
// problems are returned as a *ProgramError.
func ParseProgram(data []byte) (Program, error) {
	var p Program
	if len(data) > maxProgramBytes {
		return p, fmt.Errorf("tier: program json: %d bytes exceeds the limit of %d", len(data), maxProgramBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Program{}, fmt.Errorf("tier: program json: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Program{}, errors.New("tier: program json: data after the program object")
	}
	if err := p.Validate(); err != nil {
		return Program{}, err
	}
	// An empty list of earn rules is no rules: normalised so that marshalling
	// the program and parsing it again gives the same program.
	if len(p.Points.Rules) == 0 {
		p.Points.Rules = nil
	}
	if p.Growth != nil && len(p.Growth.Rules) == 0 {
		p.Growth.Rules = nil
	}
	return p, nil
}

// MarshalIndent returns the program as indented JSON that ParseProgram reads back.
func (p Program) MarshalIndent() ([]byte, error) {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("tier: program json: %w", err)
	}
	return b, nil
}

// review returns the review schedule with defaults filled in.
func (p Program) review() Review {
	r := p.Review
	if r.Anchor == "" {
		r.Anchor = AnchorCalendar
		if p.Window.Kind == AnniversaryYear && r.Months == 0 {
			r.Anchor = AnchorJoin
		}
	}
	if r.Months == 0 {
		r.Months = 12
		if p.Window.Kind == Rolling {
			r.Months = 1
		}
	}
	return r
}

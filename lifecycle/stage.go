package lifecycle

import "fmt"

// Stage is a customer's lifecycle stage. It is a small comparable value,
// safe for concurrent use; the
// zero value, StageNone, means "no stage" (a customer not known at the
// evaluation date). String returns the identifier written to the index
// attribute lifecycle_stage ("at_risk"); Label and Chinese return display
// names.
type Stage uint8

const (
	// StageNone is the zero value: not evaluated, or not known yet.
	StageNone Stage = iota
	// Prospect is a known customer without any purchase.
	Prospect
	// New is a customer whose first purchase is recent, or who has bought
	// on one day only.
	New
	// Growing is a repeat buyer not yet mature.
	Growing
	// Mature is an established repeat buyer (enough purchase days and tenure).
	Mature
	// AtRisk is the first step of decline: overdue by the customer's standards.
	AtRisk
	// Sleeping is a deep decline: longer inactive than ever before.
	Sleeping
	// Churned is a customer considered lost.
	Churned
	// Reactivated is a customer who came back after having churned.
	Reactivated

	numStages = iota
)

var stageInfo = [numStages]struct{ id, label, zh string }{
	StageNone:   {"none", "None", "无"},
	Prospect:    {"prospect", "Prospect", "潜在客户"},
	New:         {"new", "New", "新客户"},
	Growing:     {"growing", "Growing", "成长客户"},
	Mature:      {"mature", "Mature", "成熟客户"},
	AtRisk:      {"at_risk", "At risk", "风险客户"},
	Sleeping:    {"sleeping", "Sleeping", "沉睡客户"},
	Churned:     {"churned", "Churned", "流失客户"},
	Reactivated: {"reactivated", "Reactivated", "回流客户"},
}

// AllStages returns every stage except StageNone, in lifecycle order.
func AllStages() []Stage {
	return []Stage{Prospect, New, Growing, Mature, AtRisk, Sleeping, Churned, Reactivated}
}

// String returns the stage's identifier: "prospect", "new", "growing",
// "mature", "at_risk", "sleeping", "churned", "reactivated" or "none".
func (s Stage) String() string {
	if s >= numStages {
		return fmt.Sprintf("Stage(%d)", uint8(s))
	}
	return stageInfo[s].id
}

// Label returns the English display name ("At risk").
func (s Stage) Label() string {
	if s >= numStages {
		return s.String()
	}
	return stageInfo[s].label
}

// Chinese returns the Chinese display name (风险客户).
func (s Stage) Chinese() string {
	if s >= numStages {
		return s.String()
	}
	return stageInfo[s].zh
}

// Valid reports whether s is a defined stage other than StageNone.
func (s Stage) Valid() bool { return s > StageNone && s < numStages }

// ParseStage returns the stage with the given identifier (as String returns).
func ParseStage(id string) (Stage, error) {
	for s := range Stage(numStages) {
		if stageInfo[s].id == id {
			return s, nil
		}
	}
	return StageNone, fmt.Errorf("lifecycle: unknown stage %q", id)
}

// Phase returns the phase of the classic five-phase lifecycle the stage
// belongs to: Prospect and New → acquisition; Growing and Reactivated →
// growth; Mature → maturity; AtRisk and Sleeping → decline; Churned →
// departure.
func (s Stage) Phase() Phase {
	switch s {
	case Prospect, New:
		return Acquisition
	case Growing, Reactivated:
		return Growth
	case Mature:
		return Maturity
	case AtRisk, Sleeping:
		return Decline
	case Churned:
		return Departure
	}
	return PhaseNone
}

// Phase is one of the five phases of the customer lifecycle
// (获取期 → 提升期 → 成熟期 → 衰退期 → 离开期). It is a small comparable
// value, safe for concurrent use; the zero value is PhaseNone.
type Phase uint8

const (
	PhaseNone   Phase = iota
	Acquisition       // 获取期
	Growth            // 提升期
	Maturity          // 成熟期
	Decline           // 衰退期
	Departure         // 离开期

	numPhases = iota
)

var phaseInfo = [numPhases]struct{ id, zh string }{
	PhaseNone:   {"none", "无"},
	Acquisition: {"acquisition", "获取期"},
	Growth:      {"growth", "提升期"},
	Maturity:    {"maturity", "成熟期"},
	Decline:     {"decline", "衰退期"},
	Departure:   {"departure", "离开期"},
}

// String returns "acquisition", "growth", "maturity", "decline",
// "departure" or "none".
func (p Phase) String() string {
	if p >= numPhases {
		return fmt.Sprintf("Phase(%d)", uint8(p))
	}
	return phaseInfo[p].id
}

// Chinese returns the phase's Chinese name: 获取期, 提升期, 成熟期, 衰退期, 离开期.
func (p Phase) Chinese() string {
	if p >= numPhases {
		return p.String()
	}
	return phaseInfo[p].zh
}

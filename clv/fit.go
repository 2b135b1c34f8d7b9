package clv

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize"
)

// FitConfig controls a maximum-likelihood fit. The zero value is usable and
// means the defaults of [DefaultFitConfig]. A FitConfig is a plain value.
//
// Every model is fitted in log-parameter space (θ = log p, so parameters
// stay positive) by gonum's BFGS quasi-Newton method, minimising
//
//	−LL(p)/N + Penalty · Σ p_k²
//
// where LL is the total log-likelihood of the N customers and p the natural
// parameters (the L2 penalty of the lifetimes library). Reported
// log-likelihoods are unpenalised totals.
type FitConfig struct {
	// Penalty is the L2 coefficient; 0 fits by plain maximum likelihood.
	// It must be finite and non-negative.
	Penalty float64
	// MaxIterations bounds the optimiser's major iterations; 0 means 1000.
	MaxIterations int
	// GradientTolerance is the convergence threshold on the largest
	// component of the objective's gradient with respect to θ; 0 means 1e-8.
	// (Much smaller values are below the precision of the Pareto/NBD's
	// finite-difference gradient.)
	GradientTolerance float64
	// Init holds starting values of the natural parameters in the model's
	// order (r, α, a, b for BG/NBD); nil means the model's defaults.
	Init []float64
}

// DefaultFitConfig returns the defaults: no penalty, at most 1000
// iterations, gradient tolerance 1e-8, model-chosen starting values.
func DefaultFitConfig() FitConfig {
	return FitConfig{MaxIterations: 1000, GradientTolerance: 1e-8}
}

func (c FitConfig) withDefaults() FitConfig {
	d := DefaultFitConfig()
	if c.MaxIterations <= 0 {
		c.MaxIterations = d.MaxIterations
	}
	if c.GradientTolerance <= 0 {
		c.GradientTolerance = d.GradientTolerance
	}
	return c
}

// Param is one named model parameter, a plain value.
type Param struct {
	Name  string
	Value float64
}

// FitReport describes a fit: what was estimated, how well and how the
// optimiser ended. It is a plain value.
type FitReport struct {
	Model  string  // "bgnbd", "mbgnbd", "paretonbd", "gammagamma"
	N      int     // customers the likelihood was summed over
	Params []Param // in the model's order
	// LogLik is the total unpenalised log-likelihood at Params.
	LogLik float64
	// Objective is the minimised value: −LogLik/N plus the penalty term.
	Objective   float64
	Penalty     float64
	Iterations  int // major iterations of the optimiser
	Evaluations int // objective evaluations
	// GradientNorm is the largest absolute component of the objective's
	// gradient with respect to the log-parameters at the end.
	GradientNorm float64
	Converged    bool
	Status       string // the optimiser's final status
}

// Param returns the value of the named parameter.
func (r FitReport) Param(name string) (float64, bool) {
	for _, p := range r.Params {
		if p.Name == name {
			return p.Value, true
		}
	}
	return 0, false
}

func (r FitReport) diagnostics() string {
	var b strings.Builder
	for i, p := range r.Params {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s=%.6g", p.Name, p.Value)
	}
	fmt.Fprintf(&b, "; loglik %.6g; %d iterations, %d evaluations; gradient %.3g; status %s", r.LogLik, r.Iterations, r.Evaluations, r.GradientNorm, r.Status)
	return b.String()
}

// problem is a fit in log-parameter space.
type problem struct {
	model string
	names []string
	n     int // customers, the divisor of the objective
	// loglik returns the total log-likelihood at natural parameters p; when
	// grad is non-nil it also stores d loglik / d p_k there.
	loglik func(p, grad []float64) float64
	// analytic says loglik fills grad; otherwise central differences are used.
	analytic bool
}

// fit minimises the penalised mean negative log-likelihood with BFGS and
// returns the natural parameters. On failure the report holds the
// diagnostics of the last point.
func (pr problem) fit(init []float64, cfg FitConfig) (est []float64, rep FitReport, err error) {
	defer func() {
		if r := recover(); r != nil {
			rep = FitReport{Model: pr.model, N: pr.n, Penalty: cfg.Penalty}
			est, err = nil, &FitError{Model: pr.model, Report: rep, Err: fmt.Errorf("optimiser failed: %v", r)}
		}
	}()
	return pr.fitInner(init, cfg)
}

func (pr problem) fitInner(init []float64, cfg FitConfig) ([]float64, FitReport, error) {
	cfg = cfg.withDefaults()
	dim := len(pr.names)
	rep := FitReport{Model: pr.model, N: pr.n, Penalty: cfg.Penalty}
	fail := func(err error) ([]float64, FitReport, error) {
		return nil, rep, &FitError{Model: pr.model, Report: rep, Err: err}
	}
	if math.IsNaN(cfg.Penalty) || math.IsInf(cfg.Penalty, 0) || cfg.Penalty < 0 {
		return fail(fmt.Errorf("penalty %v must be finite and non-negative", cfg.Penalty))
	}
	if cfg.Init != nil {
		init = cfg.Init
	}
	if len(init) != dim {
		return fail(fmt.Errorf("%d starting values for %d parameters (%s)", len(init), dim, strings.Join(pr.names, ", ")))
	}
	theta0 := make([]float64, dim)
	for i, v := range init {
		if !(v > 0) || math.IsInf(v, 0) {
			return fail(fmt.Errorf("%w: starting value %s=%v must be finite and positive", ErrInvalidParams, pr.names[i], v))
		}
		theta0[i] = math.Log(v)
	}
	n := float64(pr.n)
	p := make([]float64, dim)
	gp := make([]float64, dim)
	obj := func(theta []float64, grad []float64) float64 {
		pen := 0.0
		for i, t := range theta {
			p[i] = math.Exp(t)
			pen += p[i] * p[i]
		}
		var ll float64
		if grad != nil {
			ll = pr.loglik(p, gp)
		} else {
			ll = pr.loglik(p, nil)
		}
		f := -ll/n + cfg.Penalty*pen
		if math.IsNaN(f) || math.IsInf(f, 0) {
			f = math.Inf(1)
		}
		for i := range grad {
			// chain rule for p = exp(θ)
			grad[i] = -gp[i]*p[i]/n + 2*cfg.Penalty*p[i]*p[i]
		}
		return f
	}
	prob := optimize.Problem{Func: func(theta []float64) float64 { return obj(theta, nil) }}
	if pr.analytic {
		prob.Grad = func(grad, theta []float64) { obj(theta, grad) }
	} else {
		prob.Grad = func(grad, theta []float64) {
			fd.Gradient(grad, prob.Func, theta, &fd.Settings{Formula: fd.Central})
		}
	}
	settings := &optimize.Settings{
		GradientThreshold: cfg.GradientTolerance,
		MajorIterations:   cfg.MaxIterations,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-14, Relative: 1e-15, Iterations: 20},
	}
	res, err := optimize.Minimize(prob, theta0, settings, &optimize.BFGS{})
	if res == nil {
		return fail(fmt.Errorf("optimiser: %w", err))
	}
	est := make([]float64, dim)
	for i, t := range res.X {
		est[i] = math.Exp(t)
		rep.Params = append(rep.Params, Param{pr.names[i], est[i]})
	}
	rep.Iterations = res.MajorIterations
	rep.Evaluations = res.FuncEvaluations
	rep.Status = res.Status.String()
	rep.Objective = res.F
	rep.LogLik = pr.loglik(est, nil)
	g := make([]float64, dim)
	prob.Grad(g, res.X)
	rep.GradientNorm = floats.Norm(g, math.Inf(1))
	for i, v := range est {
		if !(v > 0) || math.IsInf(v, 0) || math.IsNaN(v) {
			return fail(fmt.Errorf("%w: %s=%v", ErrInvalidParams, pr.names[i], v))
		}
	}
	if math.IsNaN(rep.LogLik) || math.IsInf(rep.LogLik, 0) {
		return fail(fmt.Errorf("%w: log-likelihood %v", ErrInvalidParams, rep.LogLik))
	}
	// BFGS stops at the gradient threshold, or earlier when the line search
	// can no longer make progress in floating point. The latter is accepted
	// when the gradient is small anyway.
	accept := math.Max(cfg.GradientTolerance, 1e-6)
	switch {
	case res.Status == optimize.GradientThreshold:
		rep.Converged = true
	case rep.GradientNorm <= accept && (res.Status == optimize.FunctionConvergence || err != nil):
		rep.Converged = true
		rep.Status += fmt.Sprintf(" (no further progress; accepted at gradient %.3g)", rep.GradientNorm)
	}
	if !rep.Converged {
		if err != nil {
			return fail(fmt.Errorf("%w: %w", ErrNotConverged, err))
		}
		return fail(ErrNotConverged)
	}
	return est, rep, nil
}

// group is a distinct (x, t_x, T) history with the number of customers
// sharing it; likelihoods are summed over groups with weights.
type group struct {
	x      int
	tx, T  float64
	weight float64
}

type groupKey struct {
	x     int
	tx, T float64
}

// groupSummaries validates data and collapses identical histories.
func groupSummaries(data []Summary) ([]group, error) {
	if err := ValidateSummaries(data); err != nil {
		return nil, err
	}
	idx := make(map[groupKey]int, len(data))
	var out []group
	for _, s := range data {
		k := groupKey{s.Frequency, s.Recency, s.T}
		if i, ok := idx[k]; ok {
			out[i].weight++
			continue
		}
		idx[k] = len(out)
		out = append(out, group{x: s.Frequency, tx: s.Recency, T: s.T, weight: 1})
	}
	return out, nil
}

func checkFitInput(model string, data []Summary) ([]group, int, error) {
	if len(data) == 0 {
		return nil, 0, &FitError{Model: model, Report: FitReport{Model: model}, Err: ErrNoData}
	}
	groups, err := groupSummaries(data)
	if err != nil {
		return nil, 0, err
	}
	repeat := 0
	for _, g := range groups {
		if g.x > 0 {
			repeat++
		}
	}
	if repeat == 0 {
		return nil, 0, &FitError{Model: model, Report: FitReport{Model: model, N: len(data)}, Err: ErrNoRepeatBuyers}
	}
	return groups, len(data), nil
}

// checkParams reports whether all values are finite and positive.
func checkParams(model string, names []string, vals ...float64) error {
	for i, v := range vals {
		if !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: %s %s=%v must be finite and positive", ErrInvalidParams, model, names[i], v)
		}
	}
	return nil
}

package train

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"leadscore/features"
	"leadscore/predict"
)

// EvalConfig says how a call list is judged.
type EvalConfig struct {
	// AsOf is the list's date; zero takes the rows' as_of.
	AsOf time.Time
	// Target is the question the list answers: for conversion a lead
	// counts when it opened a deal within HorizonDays of AsOf that was won;
	// for opportunity when its deal open at AsOf was won.
	Target      features.TargetKind
	HorizonDays int
	// Ks are the list lengths to measure; nil means 50, 100, 500 and the
	// length of the list down to the end of each grade.
	Ks []int
}

// Evaluation is how a ranked call list fared: for the list as ranked (the
// blend), the model's probability alone and the rule points alone (when
// the list has any), the
// AUC, the share of conversions among the first k leads and the lift by
// decile; and the conversion rate per grade, queue and owner.
type Evaluation struct {
	AsOf        string              `json:"as_of"`
	Target      features.TargetKind `json:"target"`
	HorizonDays int                 `json:"horizon_days,omitempty"`
	HorizonEnd  string              `json:"horizon_end,omitempty"`
	// OutcomesThrough is the newest deal opening or closing in the
	// outcomes file; Complete says it reaches the horizon's end (else the
	// counts are a floor: conversions yet to happen are missing).
	OutcomesThrough string `json:"outcomes_through"`
	Complete        bool   `json:"complete"`
	// DealsSkipped counts the deals file's bad rows skipped (--max-bad-rows).
	DealsSkipped int         `json:"deals_skipped,omitempty"`
	Rows         int         `json:"rows"`
	Positives    int         `json:"positives"`
	BaseRate     float64     `json:"base_rate"`
	Lists        []ListEval  `json:"lists"`
	Grades       []GroupEval `json:"grades"`
	Queues       []GroupEval `json:"queues"`
	Owners       []GroupEval `json:"owners,omitempty"`
}

// ListEval is one ordering of the leads: "call list" (the ranked order),
// "model" (probability) or "rules" (rule points). AUC is NaN, null in
// JSON, when the leads are all converted or none is: then no ordering is
// better than another.
type ListEval struct {
	Name        string            `json:"name"`
	AUC         predict.Undefined `json:"auc"`
	PrecisionAt []predict.AtK     `json:"precision_at"`
	Deciles     []predict.Decile  `json:"deciles"`
}

// GroupEval is the conversions of one grade, queue or owner. Lift is
// NaN, null in JSON, when no lead of the list converted.
type GroupEval struct {
	Name      string            `json:"name"`
	Rows      int               `json:"rows"`
	Positives int               `json:"positives"`
	Rate      float64           `json:"rate"`
	Lift      predict.Undefined `json:"lift"`
	// Revenue is the amount of the won deals that converted the group's
	// leads (the deals file's amount column; conversion target).
	Revenue float64 `json:"revenue"`
}

// Converted returns, per ranked lead, whether it converted as the target
// defines it, judged by the outcomes.
func Converted(ranked []predict.Ranked, o *features.Outcomes, cfg EvalConfig) []bool {
	y := make([]bool, len(ranked))
	end := cfg.AsOf.AddDate(0, 0, cfg.HorizonDays)
	for i, r := range ranked {
		if cfg.Target == features.TargetOpportunity {
			deal, opened := "", time.Time{}
			if r.DealID != nil {
				deal = *r.DealID
			}
			if r.DealOpened != nil {
				opened, _ = time.Parse(time.RFC3339Nano, *r.DealOpened) // a bad text names no deal: any counts
			}
			y[i] = o.WonDealAt(r.EntityID, deal, opened, cfg.AsOf)
		} else {
			y[i] = o.Converted(r.EntityID, cfg.AsOf, end)
		}
	}
	return y
}

// Evaluate judges a ranked call list (in rank order) by the outcomes.
func Evaluate(ranked []predict.Ranked, o *features.Outcomes, cfg EvalConfig) (*Evaluation, error) {
	if len(ranked) == 0 {
		return nil, errors.New("evaluate: the ranked list is empty")
	}
	if cfg.Target == "" {
		cfg.Target = features.TargetConversion
	}
	if cfg.AsOf.IsZero() {
		t, err := time.Parse(time.RFC3339, ranked[0].AsOf)
		if err != nil {
			return nil, fmt.Errorf("evaluate: the ranked rows carry no as_of date (%q): give the date", ranked[0].AsOf)
		}
		cfg.AsOf = t
	}
	if cfg.Target == features.TargetConversion && cfg.HorizonDays <= 0 {
		return nil, errors.New("evaluate: a conversion list needs the horizon")
	}
	if cfg.Target == features.TargetOpportunity {
		cfg.HorizonDays = 0
	}
	if o.Len() >= 10 && !slices.ContainsFunc(ranked, func(r predict.Ranked) bool { return o.HasEntity(r.EntityID) }) {
		// Ids written differently in the deals file (e001 for E001)
		// would judge every lead unconverted.
		return nil, &features.SchemaError{Path: o.Source, Err: fmt.Errorf("none of the %d deals is of a lead of the list: the deals have ids such as %q, the list such as %q",
			o.Len(), o.IDs[0], ranked[0].EntityID)}
	}
	y := Converted(ranked, o, cfg)
	ev := &Evaluation{AsOf: cfg.AsOf.Format(time.DateOnly), Target: cfg.Target, HorizonDays: cfg.HorizonDays, Rows: len(ranked)}
	last := o.Through()
	ev.OutcomesThrough = last.Format(time.DateOnly)
	ev.Complete = !last.Before(cfg.AsOf)
	if cfg.HorizonDays > 0 {
		end := cfg.AsOf.AddDate(0, 0, cfg.HorizonDays)
		ev.HorizonEnd = end.Format(time.DateOnly)
		ev.Complete = !last.Before(end.AddDate(0, 0, -1))
	}
	ev.Positives = positives(y)
	ev.BaseRate = float64(ev.Positives) / float64(len(y))
	ks := cfg.Ks
	if ks == nil {
		ks = listLengths(ranked)
	}
	order := make([]float64, len(ranked)) // the ranked order as a score
	prob := make([]float64, len(ranked))
	rules := make([]float64, len(ranked))
	for i, r := range ranked {
		order[i], prob[i], rules[i] = -float64(i), r.Probability, r.RulePoints
	}
	ev.Lists = append(ev.Lists, judge("call list", order, y, ks), judge("model", prob, y, ks))
	// A list without rule points (a flat table, no rules) has no rules
	// ordering to judge.
	if slices.ContainsFunc(rules, func(r float64) bool { return r != 0 }) {
		ev.Lists = append(ev.Lists, judge("rules", rules, y, ks))
	}
	revenue := make([]float64, len(ranked))
	if cfg.Target == features.TargetConversion {
		end := cfg.AsOf.AddDate(0, 0, cfg.HorizonDays)
		for i, r := range ranked {
			if y[i] {
				revenue[i] = o.ConvertedValue(r.EntityID, cfg.AsOf, end)
			}
		}
	}
	ev.Grades = groups(ranked, y, revenue, func(r *predict.Ranked) string { return r.Grade })
	ev.Queues = groups(ranked, y, revenue, func(r *predict.Ranked) string { return r.Queue })
	if slices.ContainsFunc(ranked, func(r predict.Ranked) bool { return r.Owner != "" }) {
		ev.Owners = groups(ranked, y, revenue, func(r *predict.Ranked) string { return r.Owner })
		sortGroups(ev.Owners)
	}
	return ev, nil
}

// judge measures one ordering of the leads; ties in score keep the ranked
// order.
func judge(name string, score []float64, y []bool, ks []int) ListEval {
	all := make([]int, len(score))
	for i := range all {
		all[i] = i
	}
	return ListEval{Name: name, AUC: predict.Undefined(AUC(score, y)), PrecisionAt: PrecisionAtK(score, y, [][]int{all}, ks, 1), Deciles: Deciles(score, y)}
}

// listLengths are 50, 100 and 500 leads, and the list down to the end of
// each grade but the last, in increasing order.
func listLengths(ranked []predict.Ranked) []int {
	ks := []int{50, 100, 500}
	for i := 1; i < len(ranked); i++ {
		if ranked[i].Grade != ranked[i-1].Grade {
			ks = append(ks, i)
		}
	}
	slices.Sort(ks)
	return slices.Compact(ks)
}

// groups counts rows and conversions per key, in order of first
// appearance down the list.
func groups(ranked []predict.Ranked, y []bool, revenue []float64, key func(*predict.Ranked) string) []GroupEval {
	at := map[string]int{}
	var out []GroupEval
	pos := 0
	for i := range ranked {
		k := key(&ranked[i])
		if k == "" {
			k = "(none)"
		}
		j, ok := at[k]
		if !ok {
			j = len(out)
			at[k] = j
			out = append(out, GroupEval{Name: k})
		}
		out[j].Rows++
		out[j].Revenue += revenue[i]
		if y[i] {
			out[j].Positives++
			pos++
		}
	}
	base := float64(pos) / float64(len(ranked))
	for j := range out {
		out[j].Rate = float64(out[j].Positives) / float64(out[j].Rows)
		out[j].Lift = predict.Undefined(math.NaN())
		if base > 0 {
			out[j].Lift = predict.Undefined(out[j].Rate / base)
		}
	}
	return out
}

// List returns the evaluation of the named ordering, nil if none.
func (e *Evaluation) List(name string) *ListEval {
	i := slices.IndexFunc(e.Lists, func(l ListEval) bool { return l.Name == name })
	if i < 0 {
		return nil
	}
	return &e.Lists[i]
}

// At returns the precision among the first k leads, NaN when the list is
// shorter.
func (l *ListEval) At(k int) float64 {
	i := slices.IndexFunc(l.PrecisionAt, func(a predict.AtK) bool { return a.K == k })
	if i < 0 {
		return math.NaN()
	}
	return l.PrecisionAt[i].Precision
}

// sortGroups orders groups by name, for owners, whose list order says
// little.
func sortGroups(g []GroupEval) {
	slices.SortFunc(g, func(a, b GroupEval) int { return cmp.Compare(a.Name, b.Name) })
}

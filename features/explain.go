package features

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ExplainConfig configures Explain.
type ExplainConfig struct {
	// Events is the events table. Required.
	Events Source
	// Profiles is the entities table, nil if none (attribute rules then do
	// not hold).
	Profiles *Profiles
	// Rules to explain. Required.
	Rules *RuleSet
	// EntityID is the entity whose ledger is wanted. Required.
	EntityID string
	// AsOf is the evaluation date: only events with ts < AsOf count.
	AsOf time.Time
	// BadRows is the bad-row policy; nil fails on the first bad row.
	BadRows *BadRows
}

// Explanation is one entity's rule ledger as of a date.
type Explanation struct {
	EntityID string
	AsOf     time.Time
	// Events is the number of the entity's events before AsOf; Later the
	// number at or after it (not used).
	Events, Later int
	// Like is, when no event has EntityID, the first that has an id
	// differing from it only in case (ids compare exactly).
	Like string
	// Entries lists every award the rules considered, in rule order and
	// then by time: counted, expired, or not granted, each with Why.
	Entries []Award
	// Raw is each group's sum of active points before its cap.
	Raw []float64
	// Points are the capped totals, as the feature table has them.
	Points Points
}

// Explain streams the events, keeps the one entity's (its events only are
// held in memory) and evaluates every rule with the reasons each award
// counts or not. The totals equal the feature table's rule columns for the
// same entity and date.
func Explain(ctx context.Context, cfg ExplainConfig) (*Explanation, error) {
	if cfg.Rules == nil || cfg.EntityID == "" || cfg.AsOf.IsZero() {
		return nil, errors.New("features: ExplainConfig needs Rules, EntityID and AsOf")
	}
	if err := CheckTime(cfg.AsOf); err != nil {
		return nil, fmt.Errorf("features: ExplainConfig.AsOf: %w", err)
	}
	rs := cfg.Rules
	x := &Explanation{EntityID: cfg.EntityID, AsOf: cfg.AsOf.UTC()}
	var state ruleRow
	first := int64(noTime)
	matches := make([][]int64, len(rs.Rules))
	asOf := cfg.AsOf.UnixNano()
	keep := func(events []Event) error {
		for i := range events {
			e := &events[i]
			if e.EntityID != cfg.EntityID {
				if x.Like == "" && strings.EqualFold(e.EntityID, cfg.EntityID) {
					x.Like = strings.Clone(e.EntityID)
				}
				continue
			}
			ts := e.TS.UnixNano()
			if ts >= asOf {
				x.Later++
				continue
			}
			x.Events++
			if first == noTime || ts < first {
				first = ts
			}
			for _, ri := range rs.byType[e.Type] {
				if rs.Rules[ri].Event.match(e) {
					matches[ri] = append(matches[ri], ts)
				}
			}
			rs.add(&state, e, ts, x.AsOf) // inactivity clocks
		}
		return nil
	}
	// The files of a pattern or folder, as Build reads them; a field any
	// of them has can match.
	fields := map[string]bool{}
	open := func(ctx context.Context, src Source, bad *BadRows) (*EventReader, error) {
		er, err := OpenEvents(ctx, src, bad)
		if err == nil {
			for i := range rs.Rules {
				if ev := rs.Rules[i].Event; ev != nil {
					for _, w := range ev.Where {
						fields[w.Field] = fields[w.Field] || er.hasField(w.Field)
					}
				}
			}
		}
		return er, err
	}
	if _, err := StreamFiles(ctx, cfg.Events, cfg.BadRows, open, keep); err != nil {
		return nil, err
	}
	prow := cfg.Profiles.Row(cfg.EntityID)
	x.Raw = make([]float64, len(rs.Groups))
	for i := range rs.Rules {
		r := &rs.Rules[i]
		var entries []Award
		switch {
		case r.Event != nil:
			entries = r.ledger(matches[i], x.AsOf, true)
			if len(entries) == 0 {
				why := "no matching " + r.Event.Type + " event before the as-of date"
				for _, w := range r.Event.Where {
					if !fields[w.Field] {
						why = fmt.Sprintf("never matches: the events have no column %q", w.Field)
						break
					}
				}
				entries = []Award{{Rule: r.Name, Group: r.Group, Points: r.Points, Why: why}}
			}
		case r.Inactive != nil:
			entries = []Award{r.explainInactive(state.last(i), first, x.AsOf)}
		default:
			entries = []Award{r.explainAttribute(cfg.Profiles, prow)}
		}
		for _, a := range entries {
			if a.Active {
				x.Raw[rs.groupIndex(a.Group)] += a.Points
			}
		}
		x.Entries = append(x.Entries, entries...)
	}
	// The totals come from the same evaluation Build runs, on the same
	// events, so they cannot drift from the feature table.
	x.Points = rs.evaluate(&state, first, x.AsOf, cfg.Profiles, prow, false)
	return x, nil
}

func (r *Rule) explainInactive(last, first int64, asOf time.Time) Award {
	a, ok := r.inactiveAward(last, first, asOf)
	if ok {
		a.Why = validity(a)
		if last == noTime {
			a.Why += fmt.Sprintf(" (no %s since the first event)", r.Inactive.Type)
		} else {
			a.Why += fmt.Sprintf(" (last %s on %s)", r.Inactive.Type, time.Unix(0, last).UTC().Format(time.DateOnly))
		}
		return a
	}
	a = Award{Rule: r.Name, Label: r.Label, Group: r.Group, Points: r.Points}
	switch {
	case last == noTime && r.Inactive.OnlyIfSeen:
		a.Why = fmt.Sprintf("not applicable: no %s before the as-of date", r.Inactive.Type)
	case last == noTime:
		a.Why = "not applicable: no events"
	default:
		lt := time.Unix(0, last).UTC()
		a.Why = fmt.Sprintf("not reached: last %s on %s, applies from %s", r.Inactive.Type, lt.Format(time.DateOnly),
			r.Inactive.For.Add(lt).Format(time.DateOnly))
	}
	return a
}

func (r *Rule) explainAttribute(p *Profiles, row int) Award {
	a := Award{Rule: r.Name, Label: r.Label, Group: r.Group, Points: r.Points, Active: row >= 0}
	var why []byte
	for _, c := range r.Attribute {
		val := "missing"
		if col := p.Column(c.Field); col != nil && row >= 0 && !col.IsNull(row) {
			val = col.Text(row)
		} else if p != nil && col == nil {
			val = "no column of the entities file"
		}
		holds := row >= 0 && c.holds(p, row)
		a.Active = a.Active && holds
		if len(why) > 0 {
			why = append(why, ", "...)
		}
		why = fmt.Appendf(why, "%s is %s", c.Field, val)
	}
	if row < 0 {
		a.Why = "does not hold: the entity has no profile"
	} else if a.Active {
		a.Why = "holds: " + string(why)
	} else {
		a.Why = "does not hold: " + string(why)
	}
	return a
}

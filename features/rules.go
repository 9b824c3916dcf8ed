package features

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// RuleSet is a set of point rules with optional caps per group and on the
// total. It is usually read from YAML with ParseRules; DefaultRules returns
// the source articles' examples.
type RuleSet struct {
	Version int
	Total   Cap
	Groups  []Group
	Rules   []Rule
	// Path names the file the rules were read from; Builtin is set for
	// DefaultRules, which are written for any data and so only warn of a
	// rule that tests a column the inputs lack (see checkRules).
	Path    string
	Builtin bool

	byType         map[string][]int // event type → indexes of event rules
	inactiveByType map[string][]int // event type → indexes of inactivity rules
}

// Group is a named group of rules with its own cap.
type Group struct {
	Name string
	Cap  Cap
}

// Cap bounds a sum of points. A nil bound is no bound.
type Cap struct {
	Min, Max *float64
}

func (c Cap) apply(x float64) float64 {
	if c.Min != nil && x < *c.Min {
		x = *c.Min
	}
	if c.Max != nil && x > *c.Max {
		x = *c.Max
	}
	return x
}

// Rule awards points. Exactly one of Event, Inactive and Attribute is set.
type Rule struct {
	Name string
	// Label says in words what earns the award, for the call list
	// ("requested a quotation"); "" shows the name.
	Label  string
	Group  string
	Points float64
	// Event grants an award for each matching event (subject to Repeat),
	// valid for ValidFor from the event's time.
	Event *EventCond
	// Inactive grants an award when no event of a type has happened for a
	// period: granted when the period is reached, it counts while the
	// inactivity lasts (until the next event of the type), or, when the
	// rule gives a ValidFor, for that long at most.
	Inactive *InactiveCond
	// Attribute grants an award while every condition on the entity profile
	// holds. It does not expire.
	Attribute []Cond
	ValidFor  Period // zero for attribute rules, and for inactivity rules that last while inactive
	Repeat    Repeat
	Line      int // where the rule starts in its file; 0 when not read from one
}

// EventCond matches events of a type whose fields satisfy every condition.
type EventCond struct {
	Type  string
	Where []Cond
}

// InactiveCond is "no event of Type for For".
type InactiveCond struct {
	Type string
	For  Period
	// OnlyIfSeen restricts the rule to entities that had at least one event
	// of Type before the as-of date ("no order for 6 months" applies only to
	// entities that ordered). Otherwise an entity that never had such an
	// event is measured from its first event of any type.
	OnlyIfSeen bool
}

// Cond compares a field with a value. Field is "value", "channel", "type" or
// a property name (event rules), or an attribute name (attribute rules).
// Op is one of = != in > >= < <= contains. For = and != two numbers compare
// numerically and text compares case-insensitively; in takes a list.
type Cond struct {
	Field string
	Op    string
	Value string   // for every operator but in
	List  []string // for in
	num   float64
	isNum bool
}

// Period is a calendar period: N days, weeks, months or years. Months and
// years follow the calendar (time.AddDate), so 1 month after 31 January is
// 3 March in a non-leap year, as Go normalises it.
type Period struct {
	N    int
	Unit string // "day", "week", "month" or "year"
}

// Add returns t moved forward by the period.
func (p Period) Add(t time.Time) time.Time {
	switch p.Unit {
	case "day":
		return t.AddDate(0, 0, p.N)
	case "week":
		return t.AddDate(0, 0, 7*p.N)
	case "month":
		return t.AddDate(0, p.N, 0)
	}
	return t.AddDate(p.N, 0, 0)
}

func (p Period) String() string {
	if p.N == 1 {
		return "1 " + p.Unit
	}
	return strconv.Itoa(p.N) + " " + p.Unit + "s"
}

// ParsePeriod reads "6 months", "3 mo", "90 days", "90d", "2 weeks", "2w",
// "1 year", "1y".
func ParsePeriod(s string) (Period, error) {
	t := strings.TrimSpace(strings.ToLower(s))
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	n, err := strconv.Atoi(t[:i])
	if err != nil || n <= 0 {
		return Period{}, fmt.Errorf("period %q: want a positive whole number and a unit, as in \"6 months\"", s)
	}
	unit := strings.TrimSpace(t[i:])
	var p Period
	switch unit {
	case "d", "day", "days":
		p = Period{n, "day"}
	case "w", "week", "weeks":
		p = Period{n, "week"}
	case "mo", "month", "months":
		p = Period{n, "month"}
	case "y", "year", "years":
		p = Period{n, "year"}
	default:
		return Period{}, fmt.Errorf("period %q: unknown unit %q (want days, weeks, months or years)", s, unit)
	}
	if n > maxPeriodDays || p.days() > maxPeriodDays {
		return Period{}, fmt.Errorf("period %q: longer than 100 years", s)
	}
	return p, nil
}

// maxPeriodDays bounds a period, so that a time moved by it stays within
// reach of the supported range.
const maxPeriodDays = 36525

// days returns the period's length in days, months and years counted at
// their longest.
func (p Period) days() int {
	switch p.Unit {
	case "day":
		return p.N
	case "week":
		return 7 * p.N
	case "month":
		return 31 * p.N
	}
	return 366 * p.N
}

// Repeat says how often one entity can earn an event rule's award.
type Repeat struct {
	// Kind is "every" (each matching event), "once" (the first matching
	// event only), "max" (the first N matching events) or "per_period" (at
	// most one award per Per, counted from the previous award).
	Kind string
	N    int
	Per  Period
}

func (r Repeat) String() string {
	switch r.Kind {
	case "max":
		return fmt.Sprintf("at most %d times", r.N)
	case "per_period":
		return "at most once per " + r.Per.String()
	case "once":
		return "once per entity"
	}
	return "every time"
}

// Award is one grant of a rule's points to an entity.
type Award struct {
	Rule    string    `json:"rule"`
	Label   string    `json:"label,omitempty"` // the rule's words for people
	Group   string    `json:"group"`
	Points  float64   `json:"points"`
	Granted time.Time `json:"granted"`          // zero for attribute rules
	Expires time.Time `json:"expires"`          // zero for attribute rules, and while an inactivity lasts
	Active  bool      `json:"active,omitempty"` // set by Explain
	Why     string    `json:"why,omitempty"`    // set by Explain
}

// awardJSON is the compact form written into the rule_awards column.
type awardJSON struct {
	Rule    string  `json:"rule"`
	Label   string  `json:"label,omitempty"`
	Points  float64 `json:"points"`
	Granted string  `json:"granted,omitempty"`
	Expires string  `json:"expires,omitempty"`
}

// AwardsJSON encodes active awards for the rule_awards column: a JSON array
// of {rule, points, granted, expires} with RFC 3339 times (omitted for
// attribute rules), in the order of the rules file and then by grant time.
func AwardsJSON(aw []Award) string {
	out := make([]awardJSON, len(aw))
	for i, a := range aw {
		out[i] = awardJSON{Rule: a.Rule, Label: a.Label, Points: a.Points}
		if !a.Granted.IsZero() {
			out[i].Granted = a.Granted.Format(time.RFC3339)
		}
		if !a.Expires.IsZero() {
			out[i].Expires = a.Expires.Format(time.RFC3339)
		}
	}
	b, _ := json.Marshal(out) // cannot fail: plain strings and finite floats
	return string(b)
}

// ParseAwardsJSON decodes the rule_awards column.
func ParseAwardsJSON(s string) ([]Award, error) {
	if s == "" {
		return nil, nil
	}
	var in []awardJSON
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, fmt.Errorf("rule_awards: %w", err)
	}
	out := make([]Award, len(in))
	for i, a := range in {
		out[i] = Award{Rule: a.Rule, Label: a.Label, Points: a.Points}
		if a.Granted != "" {
			g, err := time.Parse(time.RFC3339, a.Granted)
			if err != nil {
				return nil, fmt.Errorf("rule_awards: %w", err)
			}
			out[i].Granted = g
		}
		if a.Expires != "" {
			e, err := time.Parse(time.RFC3339, a.Expires)
			if err != nil {
				return nil, fmt.Errorf("rule_awards: %w", err)
			}
			out[i].Expires = e
		}
	}
	return out, nil
}

// index prepares the set for evaluation.
func (rs *RuleSet) index() {
	rs.byType = map[string][]int{}
	rs.inactiveByType = map[string][]int{}
	for i, r := range rs.Rules {
		if r.Event != nil {
			rs.byType[r.Event.Type] = append(rs.byType[r.Event.Type], i)
		}
		if r.Inactive != nil {
			rs.inactiveByType[r.Inactive.Type] = append(rs.inactiveByType[r.Inactive.Type], i)
		}
	}
}

// MaxEventRules is how many event rules a rule set may have: the rules an
// event matches are kept as a 64-bit mask.
const MaxEventRules = 64

// eventRules counts the event rules.
func (rs *RuleSet) eventRules() int {
	n := 0
	for i := range rs.Rules {
		if rs.Rules[i].Event != nil {
			n++
		}
	}
	return n
}

// MaxTotal returns what predict divides rule points by to get a rule score
// from −1 to 1: the cap on the total when one is set, otherwise the largest
// total, after group caps, that the positive rules reach with one award
// each, or, for a set of negative rules only, the magnitude of the lowest
// total the negative rules reach likewise. ParseRules guarantees it is
// positive.
func (rs *RuleSet) MaxTotal() float64 {
	if rs.Total.Max != nil {
		return *rs.Total.Max
	}
	reach := func(sign float64) float64 {
		sum := 0.0
		for _, g := range rs.Groups {
			s := 0.0
			for _, r := range rs.Rules {
				if r.Group == g.Name && r.Points*sign > 0 {
					s += r.Points
				}
			}
			sum += g.Cap.apply(s)
		}
		return rs.Total.apply(sum) * sign
	}
	if up := reach(1); up > 0 {
		return up
	}
	return reach(-1)
}

// match reports whether an event satisfies every condition.
func (c *EventCond) match(e *Event) bool {
	for i := range c.Where {
		w := &c.Where[i]
		var s string
		var ok bool
		switch w.Field {
		case "value":
			if !e.HasValue {
				return false
			}
			if !w.compareNum(e.Value) {
				return false
			}
			continue
		case "channel":
			s, ok = e.Channel, e.Channel != ""
		case "type":
			s, ok = e.Type, true
		default:
			s, ok = e.Prop(w.Field)
		}
		if !ok || !w.compareText(s) {
			return false
		}
	}
	return true
}

func (w *Cond) compareNum(x float64) bool {
	switch w.Op {
	case "=":
		return w.isNum && x == w.num
	case "!=":
		return !w.isNum || x != w.num
	case ">":
		return x > w.num
	case ">=":
		return x >= w.num
	case "<":
		return x < w.num
	case "<=":
		return x <= w.num
	}
	return w.compareText(strconv.FormatFloat(x, 'g', -1, 64))
}

func (w *Cond) compareText(s string) bool {
	switch w.Op {
	case "in":
		for _, v := range w.List {
			if strings.EqualFold(s, v) {
				return true
			}
			if x, err := strconv.ParseFloat(s, 64); err == nil {
				if y, err := strconv.ParseFloat(v, 64); err == nil && x == y {
					return true
				}
			}
		}
		return false
	case "contains":
		return strings.Contains(strings.ToLower(s), strings.ToLower(w.Value))
	}
	if x, err := strconv.ParseFloat(s, 64); err == nil && w.isNum {
		return w.compareNum(x)
	}
	switch w.Op {
	case "=":
		return strings.EqualFold(s, w.Value)
	case "!=":
		return !strings.EqualFold(s, w.Value)
	}
	return false // ordering operators need numbers
}

// holds evaluates an attribute condition for one profile row. A missing
// attribute makes every operator but != false.
func (w *Cond) holds(p *Profiles, row int) bool {
	col := p.Column(w.Field)
	if col == nil || row < 0 || col.IsNull(row) {
		return w.Op == "!="
	}
	if col.Kind == KindFloat {
		return w.compareNum(col.Float[row])
	}
	return w.compareText(col.Text(row))
}

// ruleAcc accumulates, for one row and one event rule, the matching event
// times that can still matter at the row's as-of date.
type ruleAcc struct {
	ts []int64 // unix nanoseconds
}

// addMatch records a matching event at ts for a row whose as-of is asOf.
func (r *Rule) addMatch(acc *ruleAcc, ts int64, asOf time.Time) {
	switch r.Repeat.Kind {
	case "every":
		// Only awards still valid at asOf can count.
		if r.ValidFor.Add(time.Unix(0, ts).UTC()).After(asOf) {
			acc.ts = append(acc.ts, ts)
		}
	case "once":
		if len(acc.ts) == 0 {
			acc.ts = append(acc.ts, ts)
		} else if ts < acc.ts[0] {
			acc.ts[0] = ts
		}
	case "max":
		i, _ := slices.BinarySearch(acc.ts, ts)
		if i < r.Repeat.N {
			acc.ts = slices.Insert(acc.ts, i, ts)
			if len(acc.ts) > r.Repeat.N {
				acc.ts = acc.ts[:r.Repeat.N]
			}
		}
	default: // per_period needs the whole history to chain awards
		acc.ts = append(acc.ts, ts)
	}
}

// ledger returns the awards an event rule grants from the matching times
// (before asOf), each marked active when asOf < Expires. With explain, the
// matches the repeat policy did not reward are returned too (not active,
// with Why), and every entry says why it counts or not.
func (r *Rule) ledger(ts []int64, asOf time.Time, explain bool) []Award {
	slices.Sort(ts)
	var out []Award
	var next, last time.Time // per_period: earliest time of the next award; the previous award
	granted := 0
	for _, t := range ts {
		g := time.Unix(0, t).UTC()
		skip := ""
		switch r.Repeat.Kind {
		case "once":
			if granted > 0 {
				skip = "not granted: once per entity, awarded on " + out[0].Granted.Format(time.DateOnly)
			}
		case "max":
			if granted >= r.Repeat.N {
				skip = fmt.Sprintf("not granted: at most %d times, reached", r.Repeat.N)
			}
		case "per_period":
			if g.Before(next) {
				skip = fmt.Sprintf("not granted: within %s of the award on %s", r.Repeat.Per, last.Format(time.DateOnly))
			} else {
				next, last = r.Repeat.Per.Add(g), g
			}
		}
		if skip != "" {
			if !explain {
				if r.Repeat.Kind == "per_period" {
					continue
				}
				return out
			}
			out = append(out, Award{Rule: r.Name, Label: r.Label, Group: r.Group, Points: r.Points, Granted: g, Why: skip})
			continue
		}
		granted++
		exp := r.ValidFor.Add(g)
		a := Award{Rule: r.Name, Label: r.Label, Group: r.Group, Points: r.Points, Granted: g, Expires: exp, Active: asOf.Before(exp)}
		if explain {
			a.Why = validity(a)
		}
		out = append(out, a)
	}
	return out
}

func validity(a Award) string {
	if a.Expires.IsZero() {
		return "counted: while it lasts"
	}
	if a.Active {
		return "counted: valid until " + a.Expires.Format(time.DateOnly)
	}
	return "expired on " + a.Expires.Format(time.DateOnly)
}

// inactiveAward returns the award of an inactivity rule given the last
// event of its type (lastOfType, noTime if none) and the entity's first
// event of any type (first, noTime if none), or false when none applies.
func (r *Rule) inactiveAward(lastOfType, first int64, asOf time.Time) (Award, bool) {
	ref := lastOfType
	if ref == noTime {
		if r.Inactive.OnlyIfSeen || first == noTime {
			return Award{}, false
		}
		ref = first
	}
	g := r.Inactive.For.Add(time.Unix(0, ref).UTC())
	if g.After(asOf) {
		return Award{}, false
	}
	if r.ValidFor.N == 0 { // while the inactivity lasts: it does at asOf
		return Award{Rule: r.Name, Label: r.Label, Group: r.Group, Points: r.Points, Granted: g, Active: true}, true
	}
	exp := r.ValidFor.Add(g)
	return Award{Rule: r.Name, Label: r.Label, Group: r.Group, Points: r.Points, Granted: g, Expires: exp, Active: asOf.Before(exp)}, true
}

// ruleRow is the per-row evaluation state of a RuleSet. Its slices are
// allocated on the row's first relevant event, so rows that no rule looks
// at cost nothing.
type ruleRow struct {
	acc        []ruleAcc // per rule (event rules only use it)
	lastOfType []int64   // per rule: inactive rules' last event time as a stamp (stampOf), 0 if none
}

// last returns an inactivity rule's last event time, noTime if none.
func (rr *ruleRow) last(i int) int64 {
	if rr.lastOfType == nil || rr.lastOfType[i] == 0 {
		return noTime
	}
	return timeOfStamp(rr.lastOfType[i])
}

// matches returns an event rule's kept matching times.
func (rr *ruleRow) matches(i int) []int64 {
	if rr.acc == nil {
		return nil
	}
	return rr.acc[i].ts
}

// ruleIndex lists the rules an event type feeds: event rules on the type
// and inactivity rules watching it.
type ruleIndex struct {
	event, inactive []int
}

// indexFor returns the rules an event type feeds.
func (rs *RuleSet) indexFor(typ string) ruleIndex {
	return ruleIndex{event: rs.byType[typ], inactive: rs.inactiveByType[typ]}
}

// add feeds one event (with ts < asOf) to a row's state.
func (rs *RuleSet) add(rr *ruleRow, e *Event, ts int64, asOf time.Time) {
	rs.addIndexed(rr, rs.indexFor(e.Type), e, ts, asOf)
}

// addIndexed is add with the event type's rules already looked up.
func (rs *RuleSet) addIndexed(rr *ruleRow, ix ruleIndex, e *Event, ts int64, asOf time.Time) {
	if len(ix.event)+len(ix.inactive) == 0 {
		return
	}
	for _, i := range ix.event {
		r := &rs.Rules[i]
		if r.Event.match(e) {
			if rr.acc == nil {
				rr.acc = make([]ruleAcc, len(rs.Rules))
			}
			r.addMatch(&rr.acc[i], ts, asOf)
		}
	}
	for _, i := range ix.inactive {
		if rr.lastOfType == nil {
			rr.lastOfType = make([]int64, len(rs.Rules))
		}
		if stampOf(ts) > rr.lastOfType[i] {
			rr.lastOfType[i] = stampOf(ts)
		}
	}
}

// Points is the rule evaluation of one row: the capped total, the capped
// sum per group (in RuleSet.Groups order) and the active awards.
type Points struct {
	Total  float64
	Groups []float64
	Awards []Award
}

// evaluate computes a row's points as of asOf. first is the entity's first
// event time (noTime if none); prof and prow locate its profile (prow -1 if none).
func (rs *RuleSet) evaluate(rr *ruleRow, first int64, asOf time.Time, prof *Profiles, prow int, all bool) Points {
	var awards []Award
	for i := range rs.Rules {
		r := &rs.Rules[i]
		switch {
		case r.Event != nil:
			awards = append(awards, r.ledger(rr.matches(i), asOf, false)...)
		case r.Inactive != nil:
			if a, ok := r.inactiveAward(rr.last(i), first, asOf); ok {
				awards = append(awards, a)
			}
		default:
			holds := prow >= 0
			for j := range r.Attribute {
				holds = holds && r.Attribute[j].holds(prof, prow)
			}
			if holds {
				awards = append(awards, Award{Rule: r.Name, Label: r.Label, Group: r.Group, Points: r.Points, Active: true})
			}
		}
	}
	p := Points{Groups: make([]float64, len(rs.Groups))}
	kept := awards[:0]
	for _, a := range awards {
		if !a.Active && !all {
			continue
		}
		kept = append(kept, a)
		if a.Active {
			p.Groups[rs.groupIndex(a.Group)] += a.Points
		}
	}
	p.Awards = kept
	for g := range p.Groups {
		p.Groups[g] = rs.Groups[g].Cap.apply(p.Groups[g]) + 0
		p.Total += p.Groups[g]
	}
	p.Total = rs.Total.apply(p.Total) + 0 // + 0 turns -0 into 0 for stable output
	return p
}

func (rs *RuleSet) groupIndex(name string) int {
	for i, g := range rs.Groups {
		if g.Name == name {
			return i
		}
	}
	panic("features: rule group " + name + " not declared") // ParseRules guarantees it
}

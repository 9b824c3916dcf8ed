package features

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func parseRules(t *testing.T, y string) *RuleSet {
	t.Helper()
	rs, err := ParseRules(strings.NewReader(y), "rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func d(s string) time.Time {
	t, err := ParseTime(s)
	if err != nil {
		panic(err)
	}
	return t
}

// pointsAt evaluates rules for one entity's events at asOf through Build.
func pointsAt(t *testing.T, rs *RuleSet, events string, at time.Time, prof *Profiles) (float64, *Table) {
	t.Helper()
	tb := build(t, "entity_id,ts,type,value,justified\n"+events, Config{AsOf: at, Rules: rs, Profiles: prof, AllEntities: prof != nil})
	if tb.NumRows() == 0 {
		return 0, tb
	}
	return tb.Column("rule_points").Float[0], tb
}

func TestRuleExpiry(t *testing.T) {
	rs := parseRules(t, `version: 1
groups: [{name: g}]
rules:
  - {name: rfq, group: g, points: 15, event: {type: rfq}, valid_for: 3 months}
`)
	// b's event keeps every date after the first event of the file.
	ev := "a,2024-11-03 10:00:00,rfq,,\nb,2024-01-01 00:00:00,page_view,,\n"
	tests := []struct {
		at   string
		want float64
	}{
		{"2024-11-03 10:00:00", 0}, // the event itself is not before D
		{"2024-11-03 10:00:01", 15},
		{"2025-02-02", 15},          // the day before it expires
		{"2025-02-03 09:59:59", 15}, // a second before
		{"2025-02-03 10:00:00", 0},  // expired: valid while D < granted + 3 months
		{"2025-06-01", 0},
	}
	for _, tt := range tests {
		if got, _ := pointsAt(t, rs, ev, d(tt.at), nil); got != tt.want {
			t.Errorf("points at %s = %v, want %v", tt.at, got, tt.want)
		}
	}
}

func TestRuleRepeatPolicies(t *testing.T) {
	const events = "a,2024-01-01,dl,,\na,2024-01-10,dl,,\na,2024-02-05,dl,,\na,2024-02-20,dl,,\n"
	tests := []struct {
		repeat string
		want   float64
	}{
		{"every", 4},
		{"once", 1},
		{"{max: 2}", 2},
		{"{max: 9}", 4},
		// Awards on 01-01, then the first event at least a month later
		// (02-05); 02-20 is within a month of it.
		{"{once_per: 1 month}", 2},
		{"{once_per: 10 days}", 3}, // 01-01, 01-10 (not ≥ 01-11) → 02-05, 02-20 → 01-01, 02-05, 02-20
	}
	for _, tt := range tests {
		rs := parseRules(t, `version: 1
groups: [{name: g}]
rules:
  - {name: dl, group: g, points: 1, event: {type: dl}, valid_for: 1 year, repeat: `+tt.repeat+`}
`)
		if got, _ := pointsAt(t, rs, events, d("2024-03-01"), nil); got != tt.want {
			t.Errorf("repeat %s: points = %v, want %v", tt.repeat, got, tt.want)
		}
	}
}

func TestRuleInactivity(t *testing.T) {
	rs := parseRules(t, `version: 1
groups: [{name: g}]
rules:
  - name: no_order
    group: g
    points: -10
    inactive: {type: order, for: 6 months, only_if_seen: true}
    valid_for: 3 months
`)
	const ordered = "a,2024-01-15,order,100,\na,2024-03-01,page_view,,\n"
	tests := []struct {
		at   string
		want float64
	}{
		{"2024-07-14", 0},   // 6 months not yet reached
		{"2024-07-15", -10}, // reached: granted at 2024-07-15
		{"2024-10-14", -10}, // the day before it expires
		{"2024-10-15", 0},   // expired
	}
	for _, tt := range tests {
		if got, _ := pointsAt(t, rs, ordered, d(tt.at), nil); got != tt.want {
			t.Errorf("points at %s = %v, want %v", tt.at, got, tt.want)
		}
	}
	// A later order resets the clock.
	if got, _ := pointsAt(t, rs, ordered+"a,2024-05-01,order,5,\n", d("2024-08-01"), nil); got != 0 {
		t.Errorf("after a recent order: points = %v, want 0", got)
	}
	// An entity that never ordered is not penalised.
	if got, _ := pointsAt(t, rs, "a,2023-01-01,page_view,,\n", d("2024-08-01"), nil); got != 0 {
		t.Errorf("never ordered: points = %v, want 0", got)
	}
}

func TestRuleConditionsAndCaps(t *testing.T) {
	rs := parseRules(t, `version: 1
total: {max: 40, min: -5}
groups:
  - {name: buy, max: 30}
  - {name: service}
rules:
  - {name: big, group: buy, points: 20, event: {type: order, where: [{field: value, op: ">", value: 10000}]}, valid_for: 6 months}
  - {name: bad_complaint, group: service, points: -10, event: {type: complaint, where: [{field: justified, op: "=", value: "false"}]}, valid_for: 6 months}
`)
	tests := []struct {
		name   string
		events string
		want   float64
	}{
		{"small order", "a,2024-05-01,order,10000,\n", 0},
		{"big order", "a,2024-05-01,order,10000.01,\n", 20},
		{"group cap", "a,2024-05-01,order,20000,\na,2024-05-02,order,20000,\n", 30},
		{"justified complaint", "a,2024-05-01,complaint,,true\n", 0},
		{"unjustified complaint floors at total min", "a,2024-05-01,complaint,,false\n", -5},
		{"FALSE matches case-insensitively", "a,2024-05-01,complaint,,FALSE\na,2024-05-02,order,50000,\n", 10},
	}
	for _, tt := range tests {
		if got, _ := pointsAt(t, rs, tt.events, d("2024-06-01"), nil); got != tt.want {
			t.Errorf("%s: points = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRuleAttributes(t *testing.T) {
	prof := &Profiles{IDs: []string{"a"}, index: map[string]int{"a": 0}, Columns: []Column{
		{Name: "decision_maker", Kind: KindString, Str: []string{"true"}},
		{Name: "employees", Kind: KindFloat, Float: []float64{49}},
		{Name: "industry", Kind: KindString, Str: []string{"Software"}},
		{Name: "budget", Kind: KindFloat, Float: []float64{math.NaN()}},
	}}
	rs := parseRules(t, `version: 1
groups: [{name: fit}]
rules:
  - {name: dm, group: fit, points: 15, attribute: [{field: decision_maker, op: "=", value: "true"}]}
  - {name: size, group: fit, points: 10, attribute: [{field: employees, op: ">=", value: 50}]}
  - {name: ind, group: fit, points: 5, attribute: [{field: industry, op: in, value: [software, finance]}]}
  - {name: budget, group: fit, points: 5, attribute: [{field: budget, op: ">", value: 0}]}
`)
	got, tb := pointsAt(t, rs, "a,2024-05-01,page_view,,\n", d("2024-06-01"), prof)
	if got != 20 {
		t.Errorf("points = %v, want 20 (dm + industry)", got)
	}
	if aw := tb.Column("rule_awards").Str[0]; aw != `[{"rule":"dm","points":15},{"rule":"ind","points":5}]` {
		t.Errorf("rule_awards = %s", aw)
	}
}

// TestRulesThatCannotCount: a rules file's rule testing a column the
// events or entities lack, or a type the events spell in another case,
// stops the build at the rule's line; the built-in rules and a type no
// event has yet are logged.
func TestRulesThatCannotCount(t *testing.T) {
	prof := &Profiles{IDs: []string{"a"}, index: map[string]int{"a": 0}, Columns: []Column{
		{Name: "employees", Kind: KindFloat, Float: []float64{60}},
	}}
	events := writeFile(t, "events.csv", "entity_id,ts,type,value,justified\na,2024-05-01,rfq,,\na,2024-05-02,complaint,,false\n")
	head := "version: 1\ngroups: [{name: g}]\nrules:\n  - {name: ok, group: g, points: 5, event: {type: rfq}, valid_for: 1 year}\n"
	for _, tt := range []struct{ name, rule, want string }{
		{"event column", `{name: r, group: g, points: 5, event: {type: complaint, where: [{field: justifed, op: "=", value: "false"}]}, valid_for: 1 year}`,
			`rules.yaml:5: rule "r": the events have no column "justifed" (they have "entity_id", "ts", "type", "value", "justified")`},
		{"optional contract column", `{name: r, group: g, points: 5, event: {type: rfq, where: [{field: channel, op: "=", value: email}]}, valid_for: 1 year}`,
			`the events have no column "channel"`},
		{"attribute column", `{name: r, group: g, points: 5, attribute: [{field: employes, op: ">", value: 50}]}`,
			`rules.yaml:5: rule "r": the entities have no column "employes" (they have "employees")`},
		{"type in another case", `{name: r, group: g, points: 5, event: {type: RFQ}, valid_for: 1 year}`,
			`rules.yaml:5: rule "r": no event has type "RFQ"; the events have "rfq" (types compare exactly)`},
		{"inactivity type in another case", `{name: r, group: g, points: -5, inactive: {type: Complaint, for: 1 month}}`,
			`no event has type "Complaint"; the events have "complaint"`},
	} {
		rs, err := ParseRules(strings.NewReader(head+"  - "+tt.rule+"\n"), "rules.yaml")
		if err != nil {
			t.Fatal(err)
		}
		cfg := Config{Events: Source{Path: events}, AsOf: d("2024-06-01"), Rules: rs, Profiles: prof}
		_, err = Build(context.Background(), cfg)
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want a ConfigError with %q", tt.name, err, tt.want)
		}
		// A plan (leadscore-beam's workers) checks when it resolves.
		plan, err := NewEntityPlan(cfg)
		if err == nil {
			err = plan.Resolve(context.Background(), Counts{Types: []string{"complaint", "rfq"}, Used: []int64{1, 1}, Valued: []bool{false, false}})
		}
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: plan error %v, want a ConfigError with %q", tt.name, err, tt.want)
		}
	}
	// A derived type on a column the events lack (as a model's spec meets
	// an export that dropped it) is bad input, for Build and a plan.
	spec := Spec{Derived: []DerivedType{{Name: "pricing_visit", Type: "page_view", Where: map[string][]string{"page": {"pricing"}}}}}
	cfg := Config{Events: Source{Path: events}, AsOf: d("2024-06-01"), Spec: spec}
	_, berr := Build(context.Background(), cfg)
	plan, perr := NewEntityPlan(cfg)
	if perr == nil {
		perr = plan.Resolve(context.Background(), Counts{Types: []string{"complaint", "rfq"}, Used: []int64{1, 1}, Valued: []bool{false, false}})
	}
	for _, err := range []error{berr, perr} {
		var se *SchemaError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), `no column "page", which the feature spec's derived type "pricing_visit" tests`) {
			t.Errorf("derived type on a missing column: %v, want a SchemaError", err)
		}
	}
	// A type no event has yet, an attribute rule no entity meets (a CRM
	// writing Yes where the rule says true), and the built-in rules on
	// events without their columns, build and log the rules that award
	// nothing.
	var log bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&log, nil))
	rs, err := ParseRules(strings.NewReader(head+"  - {name: later, group: g, points: 5, event: {type: webinar}, valid_for: 1 year}\n"+
		"  - {name: dm, group: g, points: 5, attribute: [{field: decision_maker, op: \"=\", value: \"true\"}]}\n"), "rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	yes := &Profiles{IDs: []string{"a"}, index: map[string]int{"a": 0}, Columns: []Column{{Name: "decision_maker", Kind: KindString, Str: []string{"Yes"}}}}
	bare := writeFile(t, "bare.csv", "entity_id,ts,type\na,2024-05-01,rfq\n")
	for _, cfg := range []Config{
		{Events: Source{Path: events}, AsOf: d("2024-06-01"), Rules: rs, Profiles: yes, Logger: logger},
		{Events: Source{Path: bare}, AsOf: d("2024-06-01"), Rules: DefaultRules(), Logger: logger},
	} {
		if _, err := Build(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{`later: no event has type \"webinar\"`, `unjustified_complaint: the events have no column \"justified\"`,
		`dm: no entity of the entities file meets it (decision_maker has \"Yes\")`,
		`decision_maker: it tests the entities' column \"decision_maker\", and no entities file is given`} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log %s\nwants %s", log.String(), want)
		}
	}
}

func TestDefaultRulesLedger(t *testing.T) {
	// The source articles' examples, as of 2025-01-01.
	events := strings.Join([]string{
		"a,2024-11-03,rfq,,",              // +15 until 2025-02-03
		"a,2024-09-01,rfq,,",              // expired 2024-12-01
		"a,2024-12-20,order,12000,",       // +50 until 2025-06-20
		"a,2024-10-15,catalog_download,,", // +5 until 2025-01-15
		"a,2024-03-01,newsletter_signup,,",
		"a,2024-12-01,discount,25,",     // -15
		"a,2024-12-02,complaint,,false", // -10
		"a,2024-12-03,complaint,,true",  // 0
		"a,2024-12-04,unsubscribe,,",    // -10
	}, "\n") + "\n"
	got, tb := pointsAt(t, DefaultRules(), events, d("2025-01-01"), nil)
	// purchase 50 (cap 50), engagement 15+5+5-10 = 15, service -25, fit 0.
	if got != 40 {
		t.Errorf("rule_points = %v, want 40", got)
	}
	for col, want := range map[string]float64{"rule_points_purchase": 50, "rule_points_engagement": 15, "rule_points_service": -25, "rule_points_fit": 0} {
		if g := tb.Column(col).Float[0]; g != want {
			t.Errorf("%s = %v, want %v", col, g, want)
		}
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		give string
		line int
		want string // in the message, when set
	}{
		{"unquoted > in a flow mapping", "version: 1\ngroups: [{name: g}]\nrules:\n  - name: a\n    group: g\n    points: 1\n    event:\n      type: x\n      where: [{field: value, op: >=, value: 3}]\n    valid_for: 1 day\n", 9,
			`rules.yaml:9: found character that cannot start any token (YAML reads an unquoted >= as a mark of its own: quote the operator, op: ">=")`},
		{"unquoted != in a flow mapping", "version: 1\ngroups: [{name: g}]\nrules:\n  - name: a\n    group: g\n    points: 1\n    event: {type: x, where: [{field: plan, op: !=, value: free}]}\n    valid_for: 1 day\n", 7,
			`(YAML reads an unquoted != as a mark of its own: quote the operator, op: "!=")`},
		{"unquoted > in a block", "version: 1\ngroups: [{name: g}]\nrules:\n  - name: a\n    group: g\n    points: 1\n    valid_for: 1 day\n    event:\n      type: x\n      where:\n        - field: value\n          op: >\n          value: 3\n", 13,
			`condition on "value": no operator (want = != in > >= < <= contains; YAML reads an unquoted > or != as marks of its own: quote it, op: ">")`},
		{"an unknown key beside an unquoted > in a block", "version: 1\ngroups: [{name: g}]\nrules:\n  - name: a\n    group: g\n    points: 1\n    valid_for: 1 day\n    event:\n      type: x\n      where:\n        - field: value\n          op: >\n          value: 3\n    colour: red\n", 14,
			`unknown key "colour"`},
		{"no group", "version: 1\nrules:\n  - name: a\n    points: 1\n    event: {type: x}\n    valid_for: 1 day\n", 3,
			`rule "a": no group: each rule belongs to one of the groups the file declares`},
		{"unknown key", "version: 1\ngroups: [{name: g}]\nrules:\n  - name: a\n    group: g\n    points: 1\n    colour: red\n    event: {type: x}\n    valid_for: 1 day\n", 7, ""},
		{"bad period", "version: 1\ngroups: [{name: g}]\nrules:\n  - name: a\n    group: g\n    points: 1\n    event: {type: x}\n    valid_for: 3 fortnights\n", 8, ""},
		{"unknown operator", "version: 1\ngroups: [{name: g}]\nrules:\n  - name: a\n    group: g\n    points: 1\n    event:\n      type: x\n      where: [{field: value, op: \"~\", value: 3}]\n    valid_for: 1 day\n", 9, ""},
		{"undeclared group", "version: 1\ngroups: [{name: g}]\nrules:\n  - name: a\n    group: h\n    points: 1\n    event: {type: x}\n    valid_for: 1 day\n", 5, ""},
		{"two conditions", "version: 1\ngroups: [{name: g}]\nrules:\n  - name: a\n    group: g\n    points: 1\n    event: {type: x}\n    inactive: {type: x, for: 1 day}\n    valid_for: 1 day\n", 4, ""},
		{"no valid_for", "version: 1\ngroups: [{name: g}]\nrules:\n  - name: a\n    group: g\n    points: 1\n    event: {type: x}\n", 4, ""},
		{"bad repeat", "version: 1\ngroups: [{name: g}]\nrules:\n  - name: a\n    group: g\n    points: 1\n    event: {type: x}\n    valid_for: 1 day\n    repeat: sometimes\n", 9, ""},
		{"duplicate name", "version: 1\ngroups: [{name: g}]\nrules:\n  - {name: a, group: g, points: 1, event: {type: x}, valid_for: 1 day}\n  - {name: a, group: g, points: 1, event: {type: x}, valid_for: 1 day}\n", 5, ""},
		{"wrong version", "version: 2\ngroups: [{name: g}]\nrules: []\n", 1, ""},
		{"not yaml", "version: 1\ngroups: [\n", 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRules(strings.NewReader(tt.give), "rules.yaml")
			var re *ConfigError
			if !errors.As(err, &re) {
				t.Fatalf("error = %v, want a *ConfigError", err)
			}
			if re.Line != tt.line {
				t.Errorf("line = %d, want %d (%v)", re.Line, tt.line, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want %q in it", err, tt.want)
			}
		})
	}
}

func TestDefaultRulesParse(t *testing.T) {
	rs := DefaultRules()
	if len(rs.Rules) != 11 || rs.MaxTotal() != 100 {
		t.Errorf("default rules: %d rules, max total %v", len(rs.Rules), rs.MaxTotal())
	}
}

// TestInactivityLasts: an inactivity rule without valid_for keeps its
// award while the inactivity lasts, however long, and the next event of
// its type ends it.
func TestInactivityLasts(t *testing.T) {
	rs := parseRules(t, `version: 1
groups: [{name: g}]
rules:
  - {name: no_order, label: no order for 6 months, group: g, points: -10, inactive: {type: order, for: 6 months, only_if_seen: true}}
`)
	const ordered = "a,2024-01-15,order,100,\na,2024-03-01,page_view,,\n"
	for _, at := range []string{"2024-07-15", "2025-01-15", "2026-06-01"} {
		got, tb := pointsAt(t, rs, ordered, d(at), nil)
		if got != -10 {
			t.Errorf("points at %s = %v, want -10 while no order", at, got)
		}
		if aw := tb.Column("rule_awards").Str[0]; !strings.Contains(aw, `"label":"no order for 6 months"`) || strings.Contains(aw, "expires") {
			t.Errorf("awards %s: want the label and no expiry", aw)
		}
	}
	if got, _ := pointsAt(t, rs, ordered+"a,2025-12-01,order,5,\n", d("2026-01-01"), nil); got != 0 {
		t.Errorf("after a new order: points = %v, want 0", got)
	}
}

// TestConditionsOnTable: the rules' conditions decode from YAML with their
// lines and test a table's rows.
func TestConditionsOnTable(t *testing.T) {
	var cfg struct {
		When Conditions `yaml:"when"`
	}
	if err := yaml.Unmarshal([]byte("when: [{field: employees, op: \">=\", value: 250}, {field: industry, op: in, value: [Retail, software]}]\n"), &cfg); err != nil {
		t.Fatal(err)
	}
	tb := &Table{Columns: []Column{
		{Name: "employees", Kind: KindFloat, Float: []float64{300, 300, 10, math.NaN()}},
		{Name: "industry", Kind: KindString, Str: []string{"retail", "finance", "software", "retail"}},
	}}
	var got []bool
	for i := range 4 {
		got = append(got, cfg.When.Holds(tb, i))
	}
	if !slices.Equal(got, []bool{true, false, false, false}) || cfg.When.String() != "employees >= 250 and industry in [Retail, software]" {
		t.Errorf("holds %v, %q", got, cfg.When)
	}
	err := yaml.Unmarshal([]byte("when:\n  - {field: x, op: \">\", value: many}\n"), &cfg)
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("a bad condition: %v", err)
	}
}

// TestMaskLimits: the records carry the derived types and the event rules
// an event matches as 64-bit masks, so a spec takes at most MaxDerived
// derived types and a rule set at most MaxEventRules event rules; the last
// of each still counts.
func TestMaskLimits(t *testing.T) {
	derived := func(n int) Spec {
		var s Spec
		for i := range n {
			s.Derived = append(s.Derived, DerivedType{Name: fmt.Sprintf("p%d", i), Type: "page_view", Where: map[string][]string{"page": {fmt.Sprint(i)}}})
		}
		return s
	}
	if err := derived(MaxDerived + 1).Validate(); err == nil {
		t.Errorf("%d derived types: no error", MaxDerived+1)
	}
	events := fmt.Sprintf("entity_id,ts,type,value,page\na,2024-06-30 10:00:00,page_view,,%d\n", MaxDerived-1)
	tb := build(t, events, Config{AsOf: asOf, Spec: derived(MaxDerived)})
	if got := value(t, tb, 0, fmt.Sprintf("p%d_count_7d", MaxDerived-1)); got != 1 {
		t.Errorf("derived type %d: count %v, want 1", MaxDerived, got)
	}

	ruleSet := func(n int) string {
		var b strings.Builder
		b.WriteString("version: 1\ngroups: [{name: g}]\nrules:\n")
		for i := range n {
			fmt.Fprintf(&b, "  - {name: r%d, group: g, points: 1, event: {type: page_view, where: [{field: page, op: \"=\", value: \"%d\"}]}, valid_for: 1 year}\n", i, i)
		}
		return b.String()
	}
	_, err := ParseRules(strings.NewReader(ruleSet(MaxEventRules+1)), "many.yaml")
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Line != 4+MaxEventRules {
		t.Errorf("%d event rules: error %v, want a ConfigError at line %d", MaxEventRules+1, err, 4+MaxEventRules)
	}
	rs, err := ParseRules(strings.NewReader(ruleSet(MaxEventRules)), "many.yaml")
	if err != nil {
		t.Fatal(err)
	}
	events = fmt.Sprintf("entity_id,ts,type,value,page\na,2024-06-30 10:00:00,page_view,,%d\n", MaxEventRules-1)
	tb = build(t, events, Config{AsOf: asOf, Rules: rs})
	if got := value(t, tb, 0, "rule_points"); got != 1 {
		t.Errorf("event rule %d: rule_points %v, want 1", MaxEventRules, got)
	}
	// A rule set made in code is checked too.
	rs.Rules = append(rs.Rules, rs.Rules[0])
	cfg := Config{AsOf: asOf, Rules: rs, Events: Source{Path: writeFile(t, "events.csv", events)}}
	if err := cfg.Validate(); err == nil {
		t.Errorf("a RuleSet of %d event rules: no error", MaxEventRules+1)
	}
}

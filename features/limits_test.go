package features

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestSpecLimits: windows beyond ten years, too many windows or types, and
// two listed types that make one column name are refused.
func TestSpecLimits(t *testing.T) {
	many := make([]int, MaxWindows+1)
	for i := range many {
		many[i] = i + 1
	}
	types := make([]string, MaxTypes+1)
	for i := range types {
		types[i] = fmt.Sprintf("t%d", i)
	}
	tests := []struct {
		name string
		spec Spec
	}{
		{"window of 300 years", Spec{WindowsDays: []int{30, 109575}}},
		{"window just past ten years", Spec{WindowsDays: []int{30, MaxWindowDays + 1}}},
		{"too many windows", Spec{WindowsDays: append(many, 30), Aggregations: []string{"count"}}},
		{"too many types", Spec{Types: types}},
		{"a type twice", Spec{Types: []string{"page_view", "page_view"}}},
		{"two types, one column", Spec{Types: []string{"Page View", "page_view"}}},
	}
	for _, tt := range tests {
		if err := tt.spec.Validate(); err == nil {
			t.Errorf("%s: Validate() = nil, want an error", tt.name)
		}
	}
	if err := (Spec{WindowsDays: []int{30, MaxWindowDays}}).Validate(); err != nil {
		t.Errorf("ten-year window: %v", err)
	}
	_, err := ParseSpec(strings.NewReader("version: 1\ntypes: [page_view, page_view]\n"), "spec.yaml")
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Errorf("spec file with a type twice: %v, want a *ConfigError", err)
	}
}

// TestTooManyEventTypes: with types: all, data with more than MaxTypes
// types is a schema error, not a table of unbounded width.
func TestTooManyEventTypes(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("entity_id,ts,type\n")
	for i := range MaxTypes + 1 {
		fmt.Fprintf(&sb, "a,2024-01-01,type%d\n", i)
	}
	_, err := Build(context.Background(), Config{Events: Source{Path: writeFile(t, "events.csv", sb.String())}, AsOf: asOf})
	var se *SchemaError
	if !errors.As(err, &se) {
		t.Errorf("error = %v, want a *SchemaError", err)
	}
}

// TestColumnCollisions: an attribute or cutoff column named like a
// generated feature, or like each other, and two event types that map to
// one column name, are schema errors naming both sides.
func TestColumnCollisions(t *testing.T) {
	const events = "entity_id,ts,type\na,2024-01-01,rfq\n"
	tests := []struct {
		name     string
		events   string
		entities string
		cutoffs  string
		rules    bool
		want     string
	}{
		{"attribute ts", events, "entity_id,ts\na,x\n", "", false, `"ts"`},
		{"attribute events_total", events, "entity_id,events_total\na,3\n", "", false, "events_total"},
		{"attribute like a type's feature", events, "entity_id,rfq_count_30d\na,3\n", "", false, "rfq_count_30d"},
		{"attribute rule_points", events, "entity_id,rule_points\na,3\n", "", true, "rule_points"},
		{"attribute data_quality", events, "entity_id,data_quality\na,3\n", "", false, "data_quality"},
		{"cutoff column like an attribute", events, "entity_id,won\na,1\n", "entity_id,ts,won\na,2024-06-01,true\n", false, `"won"`},
		{"two types, one column", "entity_id,ts,type\na,2024-01-01,Page View\na,2024-01-02,page_view\n", "", "", false,
			`event types "Page View", "page_view" all make columns named page_view_… (column names keep only a-z, 0-9 and _): read them as one type with --rename-type "Page View=page_view"`},
		{"a type like a built-in", "entity_id,ts,type\na,2024-01-01,Events\n", "", "", false, `"events_count_7d" is generated twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Events: Source{Path: writeFile(t, "events.csv", tt.events)}}
			if tt.entities != "" {
				p, err := ReadProfiles(context.Background(), Source{Path: writeFile(t, "entities.csv", tt.entities)}, nil)
				if err != nil {
					t.Fatal(err)
				}
				cfg.Profiles = p
			}
			if tt.cutoffs != "" {
				c, err := ReadCutoffs(context.Background(), Source{Path: writeFile(t, "cutoffs.csv", tt.cutoffs)}, nil)
				if err != nil {
					t.Fatal(err)
				}
				cfg.Cutoffs = c
			} else {
				cfg.AsOf = asOf
			}
			if tt.rules {
				cfg.Rules = DefaultRules()
			}
			_, err := Build(context.Background(), cfg)
			var se *SchemaError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want a *SchemaError naming %s", err, tt.want)
			}
		})
	}
}

// TestRulesNumbers: points and caps must be finite and bounded, total.max
// positive; the error names the line.
func TestRulesNumbers(t *testing.T) {
	const head = "version: 1\ngroups: [{name: g}]\nrules:\n"
	tests := []struct {
		name string
		give string
		line int
	}{
		{"points NaN", head + "  - name: a\n    group: g\n    points: .nan\n    event: {type: x}\n    valid_for: 1 day\n", 6},
		{"points Inf", head + "  - name: a\n    group: g\n    points: .inf\n    event: {type: x}\n    valid_for: 1 day\n", 6},
		{"points 1e308", head + "  - name: a\n    group: g\n    points: 1e308\n    event: {type: x}\n    valid_for: 1 day\n", 6},
		{"total max 0", "version: 1\ntotal: {max: 0}\ngroups: [{name: g}]\nrules:\n  - {name: a, group: g, points: 1, event: {type: x}, valid_for: 1 day}\n", 2},
		{"group max NaN", "version: 1\ngroups: [{name: g, max: .nan}]\nrules:\n  - {name: a, group: g, points: 1, event: {type: x}, valid_for: 1 day}\n", 2},
		{"period of 1000 years", head + "  - {name: a, group: g, points: 1, event: {type: x}, valid_for: 1000 years}\n", 4},
		{"period overflowing", head + "  - {name: a, group: g, points: 1, event: {type: x}, valid_for: 99999999999999999 days}\n", 4},
		{"every rule zero", head + "  - {name: a, group: g, points: 0, event: {type: x}, valid_for: 1 day}\n", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRules(strings.NewReader(tt.give), "rules.yaml")
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Line != tt.line {
				t.Errorf("error = %v, want a *ConfigError on line %d", err, tt.line)
			}
		})
	}
	// Negative rules alone scale by the lowest total they reach.
	rs := parseRules(t, head+"  - {name: a, group: g, points: -10, event: {type: x}, valid_for: 1 day}\n")
	if rs.MaxTotal() != 10 {
		t.Errorf("negative rules: MaxTotal = %v, want 10", rs.MaxTotal())
	}
}

// TestRulesAlias: a YAML alias in a condition is its anchor's value, not
// the anchor's name.
func TestRulesAlias(t *testing.T) {
	rs := parseRules(t, `version: 1
groups: [{name: g}]
rules:
  - {name: a, group: g, points: 5, event: {type: page_view, where: [{field: justified, op: "=", value: &p pricing}]}, valid_for: 1 year}
  - {name: b, group: g, points: 7, event: {type: page_view, where: [{field: justified, op: in, value: [*p, demo]}]}, valid_for: 1 year}
`)
	got, _ := pointsAt(t, rs, "a,2024-06-01,page_view,,pricing\n", d("2024-07-01"), nil)
	if got != 12 {
		t.Errorf("points = %v, want 12 (both rules match justified = pricing)", got)
	}
}

// TestMatchCombinations: a record indexes what it matches among the
// combinations seen, so events may match up to 65,536 combinations of
// derived types and event rules (none included); one more is a schema
// error, not a wrong count.
func TestMatchCombinations(t *testing.T) {
	const flags = 17
	var spec Spec
	header := "entity_id,ts,type,value"
	for k := range flags {
		spec.Derived = append(spec.Derived, DerivedType{Name: fmt.Sprintf("f%d", k), Type: "page_view", Where: map[string][]string{fmt.Sprintf("p%d", k): {"y"}}})
		header += fmt.Sprintf(",p%d", k)
	}
	events := func(n int) string {
		var b strings.Builder
		b.WriteString(header + "\n")
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, "e%d,2024-06-30 10:00:00,page_view,", i%50)
			for k := range flags {
				if i>>k&1 == 1 {
					b.WriteString(",y")
				} else {
					b.WriteString(",n")
				}
			}
			b.WriteByte('\n')
		}
		return b.String()
	}
	// Events 1 to 65,535 match every non-empty set of f0 to f15.
	tb := build(t, events(math.MaxUint16), Config{AsOf: asOf, Spec: spec})
	var f15 float64
	for row := range tb.NumRows() {
		f15 += value(t, tb, row, "f15_count_7d")
	}
	if f15 != 1<<15 {
		t.Errorf("f15 counted %v events, want %d", f15, 1<<15)
	}
	cfg := Config{AsOf: asOf, Spec: spec, Events: Source{Path: writeFile(t, "events.csv", events(math.MaxUint16+1))}}
	var se *SchemaError
	if _, err := Build(context.Background(), cfg); !errors.As(err, &se) || !strings.Contains(err.Error(), "combinations") {
		t.Errorf("%d combinations: error %v, want a SchemaError about combinations", math.MaxUint16+1, err)
	}
}

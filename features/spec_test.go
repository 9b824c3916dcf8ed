package features

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func TestSpecAggregations(t *testing.T) {
	const events = `entity_id,ts,type,value
a,2024-06-30 12:00:00,order,100
a,2024-06-30 18:00:00,order,40
a,2024-06-20 00:00:00,order,
a,2024-06-10 00:00:00,order,300
a,2024-06-24 00:00:01,order,5
`
	spec := Spec{WindowsDays: []int{7, 30}, Aggregations: []string{"count", "sum", "mean", "max", "distinct_days"}}
	tb := build(t, events, Config{AsOf: asOf, Spec: spec})
	tests := []struct {
		col  string
		want float64
	}{
		{"order_count_7d", 3},       // 06-30 ×2, 06-24 00:00:01 (06-24 00:00 is D − 7 d)
		{"order_value_sum_7d", 145}, // 100 + 40 + 5
		{"order_value_mean_7d", 145.0 / 3},
		{"order_value_max_7d", 100},
		{"order_active_days_7d", 2}, // 06-30, 06-24
		{"order_count_30d", 5},
		{"order_value_mean_30d", 445.0 / 4}, // the event without a value is not in the mean
		{"order_value_max_30d", 300},
		{"order_active_days_30d", 4}, // 06-30, 06-24, 06-20, 06-10
	}
	for _, tt := range tests {
		if got := value(t, tb, 0, tt.col); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("%s = %v, want %v", tt.col, got, tt.want)
		}
	}
	for _, absent := range []string{"order_days_since_last", "order_trend", "order_count_90d"} {
		if tb.Column(absent) != nil {
			t.Errorf("column %s present though the spec leaves it out", absent)
		}
	}
	// Mean and max with no valued event in the window are null.
	tb = build(t, "entity_id,ts,type,value\na,2024-06-01,order,\na,2024-01-01,order,3\n", Config{AsOf: asOf, Spec: spec})
	if got := value(t, tb, 0, "order_value_mean_30d"); !math.IsNaN(got) {
		t.Errorf("mean with no values = %v, want null", got)
	}
}

// TestWindowsInAnyOrder: the windows may be listed in any order; each
// column is the same as with the windows sorted, for events within every
// window, some and none (older than the longest, still read for trend and
// active days).
func TestWindowsInAnyOrder(t *testing.T) {
	events := "entity_id,ts,type,value\n"
	for i, days := range []int{0, 1, 3, 6, 7, 8, 13, 20, 29, 30, 31, 45, 59, 60, 61, 80, 89, 90, 91, 120} {
		events += fmt.Sprintf("a,%s,order,%d.25\n", asOf.Add(-time.Duration(days)*24*time.Hour-time.Duration(i)*time.Minute).Format(time.RFC3339), i)
		events += fmt.Sprintf("a,%s,page_view,\n", asOf.Add(-time.Duration(days)*24*time.Hour+time.Hour).Format(time.RFC3339))
	}
	aggs := []string{"count", "sum", "mean", "max", "distinct_days", "days_since", "trend"}
	sorted := build(t, events, Config{AsOf: asOf, Spec: Spec{WindowsDays: []int{7, 14, 30}, Aggregations: aggs}})
	for _, ws := range [][]int{{30, 7, 14}, {14, 30, 7}} {
		got := build(t, events, Config{AsOf: asOf, Spec: Spec{WindowsDays: ws, Aggregations: aggs}})
		for _, c := range sorted.Columns {
			if c.Kind != KindFloat {
				continue
			}
			if want, g := value(t, sorted, 0, c.Name), value(t, got, 0, c.Name); math.Float64bits(want) != math.Float64bits(g) {
				t.Errorf("windows %v: %s = %v, with the windows sorted %v", ws, c.Name, g, want)
			}
		}
	}
	if got := value(t, sorted, 0, "order_count_14d"); got != 6 {
		t.Errorf("order_count_14d = %v, want 6 (1 to 13 days back; the as-of instant is out)", got)
	}
}

// TestTopTypesPooling checks that pooling the rarer types as "other" gives
// what a spec that lists the kept types with "other" gives: the merge of the
// pooled types' aggregates is exact.
func TestTopTypesPooling(t *testing.T) {
	const events = `entity_id,ts,type,value
a,2024-06-30,page_view,
a,2024-06-29,page_view,
a,2024-06-28,page_view,
b,2024-06-01,page_view,
a,2024-06-20,rfq,
b,2024-05-01,rfq,
a,2024-06-25,order,10
b,2024-03-01,webinar,
a,2024-06-15,complaint,
`
	all := []string{"count", "sum", "mean", "max", "distinct_days", "days_since", "trend"}
	top := build(t, events, Config{AsOf: asOf, Spec: Spec{TopTypes: 2, Aggregations: all}})
	listed := build(t, events, Config{AsOf: asOf, Spec: Spec{Types: []string{"page_view", "rfq"}, Other: true, ValueTypes: []string{"other"}, Aggregations: all}})
	if strings.Join(top.Names(), ",") != strings.Join(listed.Names(), ",") {
		t.Fatalf("columns differ:\n%v\n%v", top.Names(), listed.Names())
	}
	for _, c := range top.Columns {
		for i := range top.NumRows() {
			if c.Text(i) != listed.Column(c.Name).Text(i) {
				t.Errorf("%s[%d]: top-K %q, listed %q", c.Name, i, c.Text(i), listed.Column(c.Name).Text(i))
			}
		}
	}
	if got := value(t, top, 0, "other_count_365d"); got != 2 { // order + complaint
		t.Errorf("other_count_365d for a = %v, want 2", got)
	}
	if got := value(t, top, 1, "other_days_since_last"); got != 122 { // webinar on 03-01
		t.Errorf("other_days_since_last for b = %v, want 122", got)
	}
	if top.Column("order_count_7d") != nil {
		t.Error("a pooled type kept its own column")
	}
}

func TestDefaultSpecFile(t *testing.T) {
	s, err := ParseSpec(bytes.NewReader(DefaultSpecYAML()), "spec.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s.Hash() != (Spec{}).Hash() {
		t.Errorf("the printed default spec %+v hashes differently from the default", s)
	}
}

func TestParseSpec(t *testing.T) {
	s, err := ParseSpec(strings.NewReader("version: 1\ntypes: [rfq, order, other]\nwindows: [14, 30]\naggregations: [count, mean, trend]\nattributes: [industry]\n"), "s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !s.Other || len(s.Types) != 2 || s.WindowsDays[0] != 14 || s.Attributes[0] != "industry" {
		t.Errorf("parsed %+v", s)
	}
	s, err = ParseSpec(strings.NewReader("version: 1\nderived:\n  - name: pricing_visit\n    type: page_view\n    where: {page: [pricing, plans]}\n    phrase: visited the pricing page\n"), "s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if d := s.Derived; len(d) != 1 || d[0].Name != "pricing_visit" || d[0].Type != "page_view" || len(d[0].Where["page"]) != 2 || d[0].Phrase != "visited the pricing page" {
		t.Errorf("parsed derived types %+v", s.Derived)
	}
	bad := []string{
		"version: 1\nderived:\n  - {name: Pricing Visit, type: page_view, where: {page: [pricing]}}\n",
		"version: 1\nderived:\n  - {name: pricing_visit, type: page_view}\n",
		"version: 1\nderived:\n  - {name: pricing_visit, where: {page: [pricing]}}\n",
		"version: 1\nderived:\n  - {name: pricing_visit, type: page_view, where: {page: []}}\n",
		"version: 1\nderived:\n  - {name: p, type: page_view, where: {page: [x]}}\n  - {name: p, type: page_view, where: {page: [y]}}\n",
		"version: 1\nderived:\n  - {name: p, type: page_view, where: {page: [x]}, colour: red}\n",
		"version: 1\ncolour: red\n",
		"version: 1\naggregations: [count, median]\n",
		"version: 1\nwindows: [7, 0]\n",
		"version: 1\nwindows: [7, 90]\naggregations: [trend]\n",
		"version: 1\ntypes: {top: 0}\n",
		"version: 1\ntypes: some\n",
		"version: 2\n",
		"",
	}
	for _, give := range bad {
		_, err := ParseSpec(strings.NewReader(give), "s.yaml")
		var re *ConfigError
		if !errors.As(err, &re) {
			t.Errorf("ParseSpec(%q) error = %v, want a *ConfigError", give, err)
		}
	}
}

func TestDedupe(t *testing.T) {
	const events = "entity_id,ts,type,value\na,2024-06-01,rfq,\na,2024-06-01,rfq,\na,2024-06-01,rfq,1\na,2024-06-02,rfq,\n"
	tb := build(t, events, Config{AsOf: asOf})
	if got := value(t, tb, 0, "rfq_count_365d"); got != 4 {
		t.Errorf("without dedupe: %v, want 4", got)
	}
	tb = build(t, events, Config{AsOf: asOf, Dedupe: true})
	if got := value(t, tb, 0, "rfq_count_365d"); got != 3 {
		t.Errorf("with dedupe: %v, want 3 (only the exact duplicate goes)", got)
	}
	if tb.Meta[MetaDuplicatesSkipped] != "1" {
		t.Errorf("duplicates_skipped = %q", tb.Meta[MetaDuplicatesSkipped])
	}
}

func TestSpecAttributes(t *testing.T) {
	prof := &Profiles{IDs: []string{"a"}, index: map[string]int{"a": 0}, Columns: []Column{
		{Name: "industry", Kind: KindString, Str: []string{""}},
		{Name: "employees", Kind: KindFloat, Float: []float64{12}},
	}}
	tb := build(t, "entity_id,ts,type\na,2024-06-01,rfq\n", Config{AsOf: asOf, Profiles: prof, Spec: Spec{Attributes: []string{"employees"}}})
	if tb.Column("industry") != nil || value(t, tb, 0, "data_quality") != 1 {
		t.Errorf("attributes subset: columns %v", tb.Names())
	}
	_, err := Build(context.Background(), Config{Events: Source{Path: writeFile(t, "e.csv", "entity_id,ts,type\na,2024-06-01,rfq\n")},
		AsOf: asOf, Profiles: prof, Spec: Spec{Attributes: []string{"budget"}}})
	if err == nil {
		t.Error("an attribute missing from the entities table: want an error")
	}
}

// TestRulesIgnoreSpec: rule points see every event, whatever types the
// spec gives columns to or pools as "other".
func TestRulesIgnoreSpec(t *testing.T) {
	const events = `entity_id,ts,type,value,justified
a,2024-06-01,rfq,,
a,2024-06-02,catalog_download,,
a,2024-06-03,order,20000,
a,2024-06-04,complaint,,false
b,2024-05-01,discount,30,
b,2024-05-02,unsubscribe,,
`
	rules := DefaultRules()
	plain := build(t, events, Config{AsOf: asOf, Rules: rules})
	for _, spec := range []Spec{{Types: []string{"rfq"}, Other: true}, {Types: []string{"page_view"}}, {TopTypes: 1}} {
		got := build(t, events, Config{AsOf: asOf, Rules: rules, Spec: spec})
		for _, col := range []string{"rule_points", "rule_points_engagement", "rule_points_purchase", "rule_points_service", "rule_awards"} {
			for i := range 2 {
				if g, w := got.Column(col).Text(i), plain.Column(col).Text(i); g != w {
					t.Errorf("spec %+v: %s[%d] = %s, want %s", spec, col, i, g, w)
				}
			}
		}
	}
}

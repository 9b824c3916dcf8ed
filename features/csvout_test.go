package features

import (
	"encoding/csv"
	"strings"
	"testing"
)

func TestSpreadsheetSafe(t *testing.T) {
	tests := []struct{ give, want string }{
		{`=HYPERLINK("http://x","y")`, `'=HYPERLINK("http://x","y")`},
		{"+4915112345678 ", "'+4915112345678 "},
		{"@SUM(1+1)", "'@SUM(1+1)"},
		{"-2+3", "'-2+3"},
		{"\tcmd", "'\tcmd"},
		{"\rcmd", "'\rcmd"},
		{"-12.5", "-12.5"},
		{"+3", "+3"},
		{"-1e6", "-1e6"},
		{"E00042", "E00042"},
		{"a=b", "a=b"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := SpreadsheetSafe(tt.give); got != tt.want {
			t.Errorf("SpreadsheetSafe(%q) = %q, want %q", tt.give, got, tt.want)
		}
	}
}

// TestCSVOutputsAreSafe: the feature table's CSV and the quarantine file
// (its record column included) carry no cell a spreadsheet would run.
func TestCSVOutputsAreSafe(t *testing.T) {
	ids := []string{`=HYPERLINK("http://x","y")`, "@SUM(1+1)", "-2+3", "+4915112345678"}
	tb := &Table{Columns: []Column{{Name: "entity_id", Kind: KindString, Str: ids}, {Name: "x", Kind: KindFloat, Float: []float64{-1, 2, -3.5, 4}}}}
	var sb strings.Builder
	if err := tb.WriteCSV(&sb); err != nil {
		t.Fatal(err)
	}
	assertNoFormula(t, sb.String())
	var q strings.Builder
	qu := NewQuarantine(&q)
	bad := &BadRows{Max: 10, Quarantine: qu}
	p := writeFile(t, "events.csv", "entity_id,ts,type\n\"=1+2\",2024-99-01,rfq\n@x,2024-01-01,\n")
	if _, err := readAllEvents(t, Source{Path: p}, bad); err != nil {
		t.Fatal(err)
	}
	if err := qu.Close(); err != nil {
		t.Fatal(err)
	}
	assertNoFormula(t, q.String())
	if !strings.Contains(q.String(), "'=1+2") || !strings.Contains(q.String(), "'@x") {
		t.Errorf("quarantine records not neutralised:\n%s", q.String())
	}
}

// assertNoFormula fails when a cell of CSV text, or of a CSV record held in
// a cell, starts a formula.
func assertNoFormula(t *testing.T, text string) {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		for _, cell := range rec {
			if cell != SpreadsheetSafe(cell) {
				t.Errorf("cell %q would run as a formula", cell)
			}
			if inner, err := csv.NewReader(strings.NewReader(cell)).Read(); err == nil && len(inner) > 1 {
				for _, c := range inner {
					if c != SpreadsheetSafe(c) {
						t.Errorf("cell %q of a quarantined record would run as a formula", c)
					}
				}
			}
		}
	}
}

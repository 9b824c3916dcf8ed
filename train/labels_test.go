package train

import (
	"log/slog"
	"strings"
	"testing"

	"leadscore/features"
)

func statusTable(vals ...string) *features.Table {
	c := features.Column{Name: "Status", Kind: features.KindString, Str: vals}
	return &features.Table{Columns: []features.Column{c}}
}

// TestOutcomeLists: value lists match without regard to case or spacing;
// rows matching neither side are left out and reported by value; a list
// that matches nothing names the column's values.
func TestOutcomeLists(t *testing.T) {
	tb := statusTable("Won", "closed  won", "WON", "Lost", "LOST ", "Open", "In Progress", "Open", "")
	tb.Columns[0].Str[8] = ""
	log := slog.New(slog.DiscardHandler)
	kept, y, lc, err := outcomes(tb, &Config{Label: "Status", Positive: "won, Closed Won", Negative: "lost,closed lost"}, log)
	if err != nil {
		t.Fatal(err)
	}
	if kept.NumRows() != 5 || !y[0] || !y[1] || !y[2] || y[3] || y[4] {
		t.Errorf("kept %d rows, labels %v", kept.NumRows(), y)
	}
	if lc.LeftOut != "Open 2, (missing) 1, In Progress 1" {
		t.Errorf("left out %q", lc.LeftOut)
	}
	// Without --negative every other value is a failure, reported.
	_, y, lc, err = outcomes(tb, &Config{Label: "Status", Positive: "won"}, log)
	if err != nil || len(y) != 8 || lc.Negative != "Open 2, In Progress 1, LOST  1, Lost 1, closed  won 1" {
		t.Errorf("positive only: %d labels, negative %q (%v)", len(y), lc.Negative, err)
	}
	_, _, _, err = outcomes(tb, &Config{Label: "Status", Positive: "yes"}, log)
	if err == nil || !strings.Contains(err.Error(), "matches no value") || !strings.Contains(err.Error(), "Open 2") {
		t.Errorf("a list matching nothing: %v", err)
	}
	_, _, _, err = outcomes(tb, &Config{Label: "Status", Positive: "won", Negative: "closed"}, log)
	if err == nil || !strings.Contains(err.Error(), "--negative") {
		t.Errorf("a negative list matching nothing: %v", err)
	}
}

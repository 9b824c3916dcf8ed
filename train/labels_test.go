package train

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
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

// TestOutcomesWithoutLists: read as true/false, a label column with
// missing values trains on the rows that have one, reported; every row
// labelled reports nothing; a value that is no boolean names its line and
// column in the file, and a missing label column the file and its columns.
func TestOutcomesWithoutLists(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	tb := statusTable("1", "", "0", "yes", "")
	kept, y, lc, err := outcomes(tb, &Config{Label: "Status"}, log)
	if err != nil || kept.NumRows() != 3 || !y[0] || y[1] || !y[2] {
		t.Fatalf("kept %v, labels %v, %v", kept, y, err)
	}
	if lc == nil || lc.LeftOut != "(missing) 2" || lc.Positive != "1 1, yes 1" {
		t.Errorf("label counts %+v", lc)
	}
	if _, _, lc, err := outcomes(statusTable("1", "0"), &Config{Label: "Status"}, log); err != nil || lc != nil {
		t.Errorf("all labelled: counts %+v, %v", lc, err)
	}

	path := filepath.Join(t.TempDir(), "export.csv")
	os.WriteFile(path, []byte("id,Won\na,1\n,\nb,maybe\n"), 0o644)
	ft, err := features.ReadTable(context.Background(), features.Source{Path: path}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var re *features.RowError
	if _, _, _, err := outcomes(ft, &Config{Label: "Won"}, log); !errors.As(err, &re) || re.Line != 4 || re.Column != 3 || !strings.Contains(err.Error(), "--positive") {
		t.Errorf("a label that is no boolean: %v, want line 4 column 3", err)
	}
	var ce *ColumnError
	if _, _, _, err := outcomes(ft, &Config{Label: "won"}, log); !errors.As(err, &ce) || ce.Path != path || !strings.Contains(err.Error(), "have id, Won") {
		t.Errorf("a missing label column: %v, want a *ColumnError naming the file and its columns", err)
	}
}

package pipeline

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestColumnMappingNames: a mapping whose name is no contract column (a
// misspelt chanel would leave the channel column unread) is a usage error
// naming the option; a role's own mapping is checked against its file's
// contract, the shared ones against every file's.
func TestColumnMappingNames(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   Reading
		role string
		want string // "" for no error
	}{
		{"shared, misspelt", Reading{FileReading: FileReading{Columns: []string{"chanel=Source"}}}, "events", `--col: "chanel=Source" maps "chanel", which is no contract column`},
		{"shared, another file's", Reading{FileReading: FileReading{Columns: []string{"won=Stage"}}}, "events", ""},
		{"role, another file's", Reading{Roles: map[string]*FileReading{"events": {Columns: []string{"won=Stage"}}}}, "events",
			`--events-col: "won=Stage" maps "won", which is no contract column of the events file (entity_id, ts, type, value, channel)`},
		{"outcomes", Reading{Roles: map[string]*FileReading{"outcomes": {Columns: []string{"closed_at=Close Date", "deal_id=Id"}}}}, "outcomes", ""},
		{"orders from events", Reading{Roles: map[string]*FileReading{"orders": {Columns: []string{"value=Amount", "quantity=Qty"}}}}, "orders", ""},
	} {
		_, err := tt.in.Source(tt.role, "f.csv")
		var ue *UsageError
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (!errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: %v, want a UsageError with %s", tt.name, err, tt.want)
		}
	}
}

// TestFlatTableUnixTimes: seconds since 1970 are one column's format in a
// flat table, never the whole table's (every amount would read as a time).
func TestFlatTableUnixTimes(t *testing.T) {
	ft := FlatTable{Path: "t.csv", TimeFormat: "Created=unix"}
	if src, err := ft.Source(nil); err != nil || src.Times["Created"] != "unix" || src.TimeLayout != "" {
		t.Errorf("Created=unix: %+v, %v", src, err)
	}
	for _, f := range []string{"unix", "unix_ms", "excel", "=unix", "Created=bogus"} {
		ft.TimeFormat = f
		var ue *UsageError
		if _, err := ft.Source(nil); !errors.As(err, &ue) {
			t.Errorf("--time-format %s: %v, want a usage error", f, err)
		}
	}
}

// TestReadingNA: --na is every file's, --ROLE-na one file's instead.
func TestReadingNA(t *testing.T) {
	in := Reading{FileReading: FileReading{NA: []string{"-"}, NumberFormat: "1.234,5"},
		Roles: map[string]*FileReading{"entities": {NA: []string{"unknown"}}}}
	ev, err1 := in.Source("events", "e.csv")
	en, err2 := in.Source("entities", "n.csv")
	if err1 != nil || err2 != nil || !slices.Equal(ev.CSV.NA, []string{"-"}) || !slices.Equal(en.CSV.NA, []string{"unknown"}) || en.CSV.NumberFormat != "1.234,5" {
		t.Errorf("events %+v (%v), entities %+v (%v)", ev.CSV, err1, en.CSV, err2)
	}
}

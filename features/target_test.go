package features

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSnapshotLabels checks snapshot rows and labels by hand at the
// horizon's edges: a deal opened exactly on the snapshot date counts, one
// opened exactly a horizon later does not, one whose win became known only
// after the outcomes' end does not, and the population filters leave out
// customers and contacts with an open deal.
func TestSnapshotLabels(t *testing.T) {
	events := writeFile(t, "events.csv", `entity_id,ts,type
a,2024-01-05,page_view
b,2024-01-10,page_view
c,2024-01-15,page_view
d,2024-02-20,page_view
e,2024-01-02,page_view
`)
	deals := writeFile(t, "deals.csv", `entity_id,ts,won,closed_at
a,2024-03-01,true,2024-03-20
b,2024-04-01,true,2024-04-15
c,2024-03-10,true,2024-06-20
d,2024-03-05,false,2024-03-25
e,2024-02-15,true,2024-02-25
`)
	o, err := ReadOutcomes(context.Background(), Source{Path: deals}, nil)
	if err != nil {
		t.Fatal(err)
	}
	day := func(s string) time.Time { return d(s) }
	dates, err := SnapshotDates("monthly", day("2024-01-01"), day("2024-06-01"), 31)
	if err != nil {
		t.Fatal(err)
	}
	if len(dates) != 5 || !dates[4].Equal(day("2024-05-01")) {
		t.Fatalf("snapshot dates %v, want 2024-01-01 to 2024-05-01 (05-01 + 31 days is 06-01, the end)", dates)
	}
	if short, _ := SnapshotDates("monthly", day("2024-01-01"), day("2024-06-01"), 32); len(short) != 4 {
		t.Errorf("with a 32-day horizon: %v, want up to 2024-04-01", short)
	}
	build := func(tg Target) map[string]bool {
		t.Helper()
		tb, err := Build(context.Background(), Config{Events: Source{Path: events}, Snapshots: dates, Target: &tg, Outcomes: o, OutcomesKnown: day("2024-06-01")})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for i, id := range tb.Column("entity_id").Str {
			out[id+"@"+tb.Column("ts").Time[i].Format("01-02")] = tb.Column("converted").Bool[i]
		}
		return out
	}
	got := build(Target{Kind: TargetConversion, HorizonDays: 31})
	want := map[string]bool{
		// a: the deal opened 03-01 is in [02-01, 03-03) and [03-01, 04-01)
		"a@02-01": true, "a@03-01": true, "a@04-01": false, "a@05-01": false,
		// b: opened 04-01: exactly at 03-01 + 31 days (excluded), exactly at 04-01 (included)
		"b@02-01": false, "b@03-01": false, "b@04-01": true, "b@05-01": false,
		// c: won, but closed 06-20, after the outcomes end on 06-01
		"c@02-01": false, "c@03-01": false, "c@04-01": false, "c@05-01": false,
		// d: first event 02-20; its deal was lost
		"d@03-01": false, "d@04-01": false, "d@05-01": false,
		// e: won 02-15, a customer from 02-25
		"e@02-01": true, "e@03-01": false, "e@04-01": false, "e@05-01": false,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s: row %v label %v, want a row labelled %v", k, ok, g, v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d rows, want %d: %v", len(got), len(want), got)
	}
	filtered := build(Target{Kind: TargetConversion, HorizonDays: 31, ExcludeCustomers: true, ExcludeOpenDeals: true})
	for _, gone := range []string{"e@03-01", "e@04-01", "c@04-01", "a@04-01"} {
		if _, ok := filtered[gone]; ok {
			t.Errorf("%s kept: a customer or a contact with an open deal", gone)
		}
	}
	if _, ok := filtered["d@04-01"]; !ok {
		t.Error("d@04-01 left out: its deal closed 03-25")
	}
}

// TestNegativeSampling keeps every positive and the share of negatives
// asked for, the same ones on every run.
func TestNegativeSampling(t *testing.T) {
	var ev, dl []byte
	ev = append(ev, "entity_id,ts,type\n"...)
	dl = append(dl, "entity_id,ts,won,closed_at\n"...)
	for i := range 2000 {
		id := "E" + itoa3(i)
		ev = append(ev, id+",2024-01-02,page_view\n"...)
		if i%10 == 0 {
			dl = append(dl, id+",2024-02-10,true,2024-02-20\n"...)
		}
	}
	events, deals := writeFile(t, "events.csv", string(ev)), writeFile(t, "deals.csv", string(dl))
	o, err := ReadOutcomes(context.Background(), Source{Path: deals}, nil)
	if err != nil {
		t.Fatal(err)
	}
	run := func() (pos, neg int) {
		tb, err := Build(context.Background(), Config{Events: Source{Path: events}, Snapshots: []time.Time{d("2024-02-01")},
			Target: &Target{Kind: TargetConversion, HorizonDays: 30, SampleNegatives: 0.25, Seed: 7}, Outcomes: o, OutcomesKnown: d("2024-06-01")})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range tb.Column("converted").Bool {
			if l {
				pos++
			} else {
				neg++
			}
		}
		return pos, neg
	}
	pos, neg := run()
	if pos != 200 || neg < 380 || neg > 520 {
		t.Errorf("%d positives (want 200), %d negatives (want about 450 of 1800)", pos, neg)
	}
	if p2, n2 := run(); p2 != pos || n2 != neg {
		t.Error("sampling differs between runs")
	}
}

func itoa3(i int) string {
	return string([]byte{byte('0' + i/1000%10), byte('0' + i/100%10), byte('0' + i/10%10), byte('0' + i%10)})
}

// TestDealsAsOf checks which deals an opportunity model trains on and
// scores: trained on the deals open on each snapshot date that closed
// before the outcomes' end (one row per date a deal was open), scored on
// the deals open on the run's date; a deal opened on a date is not open
// on it, one closing on it is. Each row names its deal: deal_id, when it
// opened, and its row in the file, skipped rows counted.
func TestDealsAsOf(t *testing.T) {
	deals := writeFile(t, "deals.csv", `deal_id,entity_id,ts,won,closed_at,amount
D1,a,2024-01-10,true,2024-02-01,100
D2,b,2024-01-20,false,2024-03-01,250
D3,,2024-01-25,true,2024-02-02,
D4,c,2024-02-10,,,
D5,d,2024-03-01,true,2024-03-05,7
D6,c,2024-02-11T09:30:00Z,,,40
`)
	o, err := ReadOutcomes(context.Background(), Source{Path: deals}, &BadRows{Max: 1})
	if err != nil {
		t.Fatal(err)
	}
	at := d("2024-03-01")
	dates := []time.Time{d("2024-01-15"), d("2024-02-01"), d("2024-02-15"), at}
	snaps, err := o.OpenDealsAt(dates, d("2024-03-03"))
	if err != nil {
		t.Fatal(err)
	}
	if names := columnNames(snaps.Extra); !slices.Equal(names, []string{"won", "deal_id", "deal_opened", "deal_row", "deal_amount"}) {
		t.Fatalf("training rows' columns %v", names)
	}
	var got []string
	for i, id := range snaps.IDs {
		got = append(got, fmt.Sprintf("%s@%s:%v:%s:%s:%v", id, snaps.TS[i].Format("01-02"), snaps.Extra[0].Bool[i], snaps.Extra[1].Str[i],
			snaps.Extra[2].Time[i].Format("01-02"), snaps.Extra[3].Float[i]))
	}
	want := []string{"a@01-15:true:D1:01-10:1", "a@02-01:true:D1:01-10:1", "b@02-01:false:D2:01-20:2", "b@02-15:false:D2:01-20:2", "b@03-01:false:D2:01-20:2"}
	if !slices.Equal(got, want) {
		t.Errorf("training rows %v,\nwant %v: a open from 01-10 to 02-01, b from 01-20 to 03-01; c never closed; d opens on 03-01 and closes after the end", got, want)
	}
	if len(snaps.Snapshots) != 4 || !snaps.Known.Equal(d("2024-03-03")) {
		t.Errorf("snapshots %v, known %v", snaps.Snapshots, snaps.Known)
	}
	open := o.OpenDeals(at)
	got = nil
	for i, id := range open.IDs {
		got = append(got, fmt.Sprintf("%s:%s:%s:%v:%v", id, open.Extra[0].Str[i], open.Extra[1].Time[i].Format(time.RFC3339), open.Extra[2].Float[i], open.Extra[3].Float[i]))
	}
	want = []string{"b:D2:2024-01-20T00:00:00Z:2:250", "c:D4:2024-02-10T00:00:00Z:4:NaN", "c:D6:2024-02-11T09:30:00Z:6:40"}
	if !slices.Equal(got, want) {
		t.Errorf("open deals %v,\nwant %v (b closes on the date; c has two open; the row without an entity is row 3)", got, want)
	}

	// Judging a list of open deals: each row by its own deal, named by
	// deal_id, else by when it opened; a row naming neither counts any.
	jan10, jan15 := d("2024-01-10"), d("2024-01-15")
	for _, c := range []struct {
		id, deal string
		opened   time.Time
		want     bool
	}{
		{"a", "D1", time.Time{}, true}, {"a", "D9", time.Time{}, false},
		{"a", "", jan10, true}, {"a", "", jan10.Add(time.Hour), false}, {"a", "", time.Time{}, true},
	} {
		if got := o.WonDealAt(c.id, c.deal, c.opened, jan15); got != c.want {
			t.Errorf("WonDealAt(%s, %q, %v) = %v", c.id, c.deal, c.opened, got)
		}
	}

	// A won or lost deal in a file with close times needs its own, on or
	// after its opening; an open deal's close date is an expected one.
	for _, c := range []struct{ row, want string }{
		{"D9,e,2024-01-10,true,", `field "closed_at": empty for a deal won or lost`},
		{"D9,e,2024-01-10,lost,2024-01-09", `field "closed_at": before the deal opened (ts 2024-01-10T00:00:00Z)`},
	} {
		f := writeFile(t, "closes.csv", "deal_id,entity_id,ts,won,closed_at\nD8,e,2024-01-10,,2024-03-01\n"+c.row+"\n")
		_, err := ReadOutcomes(context.Background(), Source{Path: f, Won: []string{"true"}, Lost: []string{"lost"}}, nil)
		var re *RowError
		if !errors.As(err, &re) || re.Line != 3 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want a bad row 3: %s", c.row, err, c.want)
		}
	}

	// A deal_id twice (a stage-history export) is a bad row at the second.
	history := writeFile(t, "history.csv", "deal_id,entity_id,ts,won,closed_at\nD1,a,2024-01-10,,\nD2,b,2024-01-11,,\nD1,a,2024-01-10,true,2024-02-01\n")
	_, err = ReadOutcomes(context.Background(), Source{Path: history}, nil)
	var re *RowError
	if !errors.As(err, &re) || re.Line != 4 || re.Column != 1 || !strings.Contains(err.Error(), `duplicate deal_id "D1" (first at data row 1)`) {
		t.Errorf("a deal_id twice: %v", err)
	}

	// Without close times no deal was open on a date: an error that
	// names the file and the column, not an empty table.
	noClose := writeFile(t, "stages.csv", "entity_id,ts,won\na,2024-01-10,true\nc,2024-02-10,\n")
	if o, err = ReadOutcomes(context.Background(), Source{Path: noClose}, nil); err != nil {
		t.Fatal(err)
	}
	_, err = o.OpenDealsAt(dates, d("2024-03-03"))
	var se *SchemaError
	if !errors.As(err, &se) || se.Path != noClose || !strings.Contains(err.Error(), "closed_at") {
		t.Errorf("deals without closed_at: %v, want a *SchemaError for %s naming closed_at", err, noClose)
	}
}

// TestOutcomeValues: with won and lost values (a CRM's stage names,
// matched without regard to case or spacing) a deals file's other values
// are open deals; as cutoffs, such a row has no outcome and is a bad row.
func TestOutcomeValues(t *testing.T) {
	path := filepath.Join(t.TempDir(), "deals.csv")
	os.WriteFile(path, []byte("entity_id,ts,Stage\na,2024-01-02,Closed Won\nb,2024-01-03,closed  LOST\nc,2024-01-04,Negotiation\nd,2024-01-05,\n"), 0o644)
	src := Source{Path: path, Columns: map[string]string{"won": "Stage"}, Won: []string{"closed won"}, Lost: []string{"Closed Lost"}}
	o, err := ReadOutcomes(context.Background(), src, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !o.Won[0] || o.Won[1] || o.Closed[0] == noTime || o.Closed[1] == noTime || o.Closed[2] != noTime || o.Closed[3] != noTime {
		t.Errorf("won %v, closed %v: want a won, b lost, c and d open", o.Won, o.Closed)
	}
	var re *RowError
	if _, err := ReadOutcomes(context.Background(), Source{Path: path, Columns: src.Columns}, nil); !errors.As(err, &re) || re.Line != 2 {
		t.Errorf("without the values: %v, want an error at line 2", err)
	}
	bad := &BadRows{Max: 5}
	c, err := ReadCutoffs(context.Background(), Source{Path: path, Columns: src.Columns, Won: src.Won, Lost: src.Lost}, bad)
	if err != nil || len(c.IDs) != 2 || bad.Count() != 2 || !strings.Contains(bad.Err().Error(), "neither a won nor a lost value") {
		t.Errorf("cutoffs: %v rows, %d bad (%v), %v", c, bad.Count(), bad.Err(), err)
	}
	// Lists that miss the file's closed stages would read every deal as
	// open, or none as lost: an error naming the values the file has. A
	// file of open deals alone is none.
	for _, tt := range []struct {
		won, lost []string
		want      string
	}{
		{[]string{"Won"}, []string{"Lost"}, `no deal is won: no cell of column "Stage" (won) is "Won", but it has "Closed Won", "closed  LOST"`},
		{[]string{"Closed Won"}, []string{"Lost", "Dead"}, `no deal is lost: no cell of column "Stage" (won) is "Lost" or "Dead", but it has "closed  LOST"`},
	} {
		_, err := ReadOutcomes(context.Background(), Source{Path: path, Columns: src.Columns, Won: tt.won, Lost: tt.lost}, nil)
		var se *SchemaError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("won %q, lost %q: %v, want a SchemaError with %s", tt.won, tt.lost, err, tt.want)
		}
	}
	// HubSpot's internal stage names, and hyphens or underscores, are the
	// same stages; a sign still tells numbers apart.
	hub := filepath.Join(t.TempDir(), "hub.csv")
	os.WriteFile(hub, []byte("entity_id,ts,Stage\na,2024-01-02,closedwon\nb,2024-01-03,CLOSED_LOST\nc,2024-01-04,closed-won\nd,2024-01-05,appointmentscheduled\n"), 0o644)
	if o, err := ReadOutcomes(context.Background(), Source{Path: hub, Columns: src.Columns, Won: src.Won, Lost: src.Lost}, nil); err != nil ||
		!o.Won[0] || o.Won[1] || o.Closed[1] == noTime || !o.Won[2] || o.Closed[3] != noTime {
		t.Errorf("HubSpot stages: %+v, %v", o, err)
	}
	for a, b := range map[string]string{"Closed Won": "closedwon", " In  Progress ": "in-progress"} {
		if NormValue(a) != NormValue(b) {
			t.Errorf("NormValue(%q) = %q, NormValue(%q) = %q: want one value", a, NormValue(a), b, NormValue(b))
		}
	}
	if NormValue("-1") == NormValue("1") || NormValue("1 000") == NormValue("1000") {
		t.Error("NormValue takes a number's sign or its spacing for nothing")
	}
	open := filepath.Join(t.TempDir(), "open.csv")
	os.WriteFile(open, []byte("entity_id,ts,Stage\na,2024-01-02,Prospecting\nb,2024-01-03,Engaging\n"), 0o644)
	if o, err := ReadOutcomes(context.Background(), Source{Path: open, Columns: src.Columns, Won: src.Won, Lost: src.Lost}, nil); err != nil || o.Len() != 2 {
		t.Errorf("open deals alone: %v, %v", o, err)
	}
}

// columnNames returns the names of cols.
func columnNames(cols []Column) []string {
	var names []string
	for _, c := range cols {
		names = append(names, c.Name)
	}
	return names
}

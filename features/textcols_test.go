package features

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseNumberAs(t *testing.T) {
	for _, tt := range []struct {
		s, format string
		want      float64
		ok        bool
	}{
		{"1,234.50", NumberComma, 1234.5, true},
		{"$1,234.50", NumberComma, 1234.5, true},
		{"-$12", NumberComma, -12, true},
		{"1,234,567", NumberComma, 1234567, true},
		{"1234.5", NumberComma, 1234.5, true},
		{"15%", NumberComma, 15, true},
		{"1.234,50", NumberDot, 1234.5, true},
		{"12,5", NumberDot, 12.5, true},
		{"1.234.567,1 €", NumberDot, 1234567.1, true},
		{"12,34,5", NumberComma, 0, false},
		{"1,23", NumberComma, 0, false},
		{"1.2.3", NumberDot, 0, false},
		{"abc", NumberComma, 0, false},
		{"", NumberComma, 0, false},
		{"1,234.5", NumberPlain, 0, false},
		{"1e5", NumberComma, 0, false},
		// Multi-currency CRMs, accounting and ERP exports, and
		// spreadsheets in locales that group with spaces or apostrophes.
		{"USD 1,234.50", NumberComma, 1234.5, true},
		{"1.234,50 EUR", NumberDot, 1234.5, true},
		{"EUR12,5", NumberDot, 12.5, true},
		{"(1,200.00)", NumberComma, -1200, true},
		{"($1,200.00)", NumberComma, -1200, true},
		{"(12", NumberComma, 0, false},
		{"(-12)", NumberComma, 0, false},
		{"1.234,50-", NumberDot, -1234.5, true},
		{"-12-", NumberComma, 0, false},
		{"1 234,50", NumberDot, 1234.5, true},
		{"1\u00a0234\u00a0567,5", NumberDot, 1234567.5, true},
		{"1\u202f234,5", NumberDot, 1234.5, true},
		{"1 234.50", NumberComma, 1234.5, true},
		{"1'234.50", NumberComma, 1234.5, true},
		{"1\u2019234.50", NumberComma, 1234.5, true},
		{"1 234,50", NumberComma, 0, false},
		{"1 2345", NumberDot, 0, false},
		{"1 234,567.5", NumberComma, 0, false}, // two ways of grouping
		{"030 1234 5678", NumberComma, 0, false},
		{"1 234", NumberPlain, 0, false},
		{"XYZ 12", NumberComma, 0, false},
	} {
		got, ok := ParseNumberAs(tt.s, tt.format)
		if ok != tt.ok || ok && math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("ParseNumberAs(%q, %s) = %v, %v; want %v, %v", tt.s, tt.format, got, ok, tt.want, tt.ok)
		}
	}
}

func TestTimeLayout(t *testing.T) {
	at := func(y int, mo time.Month, d, h, mi, sec int) time.Time {
		return time.Date(y, mo, d, h, mi, sec, 0, time.UTC)
	}
	for _, tt := range []struct {
		format string
		cells  []string
		want   time.Time
	}{
		{"dd.mm.yyyy", []string{"05.03.2024", "5.3.2024"}, at(2024, 3, 5, 0, 0, 0)},
		{"dd.mm.yyyy HH:MM", []string{"05.03.2024 14:07", "5.3.2024 14:07"}, at(2024, 3, 5, 14, 7, 0)},
		// UCI Online Retail's InvoiceDate, as its SOURCE.md spells it and
		// as Excel and Java would.
		{"M/D/YY H:MM", []string{"12/1/10 8:26", "12/01/10 08:26"}, at(2010, 12, 1, 8, 26, 0)},
		{"m/d/yy h:mm", []string{"12/1/10 8:26"}, at(2010, 12, 1, 8, 26, 0)},
		{"MM/dd/yyyy HH:mm:ss", []string{"12/01/2010 08:26:00"}, at(2010, 12, 1, 8, 26, 0)},
		{"yyyy-mm-ddTHH:MM:SS", []string{"2024-03-05T14:07:09", "2024-03-05T14:07:09.25"}, at(2024, 3, 5, 14, 7, 9)},
		{"mm/dd/yyyy hh:mm AM/PM", []string{"03/05/2024 02:07 PM"}, at(2024, 3, 5, 14, 7, 0)},
		{"m/d/yyyy h:mm tt", []string{"3/5/2024 2:07 PM"}, at(2024, 3, 5, 14, 7, 0)},
		{"dd-mmm-yyyy", []string{"05-Mar-2024", "05-MAR-2024"}, at(2024, 3, 5, 0, 0, 0)},
		{"ddd, d mmmm yyyy", []string{"Tue, 5 March 2024"}, at(2024, 3, 5, 0, 0, 0)},
		{"yyyymmdd", []string{"20240305"}, at(2024, 3, 5, 0, 0, 0)},
		{"02.01.2006", []string{"05.03.2024"}, at(2024, 3, 5, 0, 0, 0)},
	} {
		layout, err := TimeLayout(tt.format)
		if err != nil {
			t.Errorf("TimeLayout(%q): %v", tt.format, err)
			continue
		}
		for _, c := range tt.cells {
			got, err := time.Parse(layout, c)
			if err != nil || !got.Truncate(time.Second).Equal(tt.want) {
				t.Errorf("%q read with %q (layout %q) = %v, %v; want %v", c, tt.format, layout, got, err, tt.want)
			}
		}
	}
	for _, bad := range []string{"dd.mm", "dd.mm.yyyy HH:NN", "mm.mm.yyyy", "dd.mm.yyy", "ddddd.mm.yyyy"} {
		if _, err := TimeLayout(bad); err == nil {
			t.Errorf("TimeLayout(%q) accepted", bad)
		}
	}
}

// TestDetectDates: the date forms of spreadsheet exports are detected
// without a time format: two-digit years, unpadded numbers, month names,
// a 12-hour clock.
func TestDetectDates(t *testing.T) {
	for _, tt := range []struct {
		cells   []string
		pattern string
		want    time.Time
	}{
		{[]string{"12/1/10 8:26", "12/13/10 14:05"}, "mm/dd/yy", time.Date(2010, 12, 1, 8, 26, 0, 0, time.UTC)},
		{[]string{"1/12/10", "13/12/10"}, "dd/mm/yy", time.Date(2010, 12, 1, 0, 0, 0, 0, time.UTC)},
		{[]string{"05-Mar-2024", "17-MAR-2024"}, "dd-mmm-yyyy", time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)},
		{[]string{"3/5/2024 2:07 PM", "3/25/2024 11:30 AM"}, "mm/dd/yyyy", time.Date(2024, 3, 5, 14, 7, 0, 0, time.UTC)},
		// Month names in full, and US exports' "Mar 5, 2024".
		{[]string{"5 March 2024", "17 JUNE 2024"}, "dd mmmm yyyy", time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)},
		{[]string{"Mar 5, 2024", "Jun 17, 2024 3:10 PM"}, "mmm dd, yyyy", time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)},
		{[]string{"March 5, 2024", "June 17, 2024"}, "mmmm dd, yyyy", time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)},
		// Salesforce reports: a comma before the time of day.
		{[]string{"3/5/2024, 2:07 PM", "3/14/2024, 11:30 AM"}, "mm/dd/yyyy", time.Date(2024, 3, 5, 14, 7, 0, 0, time.UTC)},
		{[]string{"14.03.2024, 09:30", "15.03.2024, 17:05:09"}, "dd.mm.yyyy", time.Date(2024, 3, 14, 9, 30, 0, 0, time.UTC)},
	} {
		ts, used, ok, err := detectTimes("d", tt.cells, "")
		if err != nil || !ok || used != tt.pattern || !ts[0].Equal(tt.want) {
			t.Errorf("%q: %v as %q (%v, %v); want %v as %q", tt.cells, ts, used, ok, err, tt.want, tt.pattern)
		}
	}
	// Events in such a report, with the pattern given.
	layout, _ := TimeLayout("mm/dd/yyyy")
	events := writeFile(t, "events.csv", "entity_id,ts,type\na,\"3/5/2024, 2:07 PM\",rfq\na,\"5/14/2024, 11:30 AM\",rfq\n")
	if tb, err := Build(context.Background(), Config{Events: Source{Path: events, TimeLayout: layout}, AsOf: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)}); err != nil || tb.Column("rfq_count_30d").Float[0] != 1 {
		t.Errorf("events at \"3/5/2024, 2:07 PM\": %v", err)
	}
	// Version numbers are no dates.
	if _, _, ok, err := detectTimes("d", []string{"1.2.10", "2.11.15"}, ""); ok || err != nil {
		t.Errorf("version numbers read as dates (%v)", err)
	}
	// 12/1/10 alone is the first of December or the twelfth of January.
	if _, _, _, err := detectTimes("d", []string{"12/1/10", "11/2/10"}, ""); err == nil {
		t.Error("day-first and month-first readings were not reported")
	}
}

// TestDigitDates: with a digits-only time format (as SAP exports dates),
// a column of numbers that all read as dates is dates, leading zeros put
// back; other numbers stay numbers.
func TestDigitDates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "export.csv")
	os.WriteFile(path, []byte("id,Created,Birthday,Visits\n10000001,20240305,01021997,3\n10000002,,31121999,12\n"), 0o644)
	for _, src := range []Source{
		{Path: path, TimeLayout: "yyyymmdd", Times: map[string]string{"Birthday": "ddmmyyyy"}},
		{Path: path, Times: map[string]string{"Created": "20060102", "Birthday": "ddmmyyyy"}},
	} {
		tb, err := ReadTable(context.Background(), src, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c := tb.Column("Created"); c.Kind != KindTime || !c.Time[0].Equal(time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)) || !c.Time[1].IsZero() {
			t.Errorf("Created %+v", c)
		}
		if c := tb.Column("Birthday"); c.Kind != KindTime || !c.Time[0].Equal(time.Date(1997, 2, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("Birthday %+v", c)
		}
		for _, name := range []string{"id", "Visits"} {
			if c := tb.Column(name); c.Kind != KindFloat {
				t.Errorf("%s read as %v", name, c.Kind)
			}
		}
	}
}

// TestReadTableMessy reads a CRM export's habits: thousands separators,
// currency and percent signs, n/a, day-first dates; an ambiguous column
// is an error naming it, its examples and the flag.
func TestReadTableMessy(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "export.csv")
	os.WriteFile(path, []byte(`id,Amount,Discount,Created,Seats,Note
1,"1,234.50",15%,03.04.2024,"1,200",n/a
2,"$2,000.00",5%,13.04.2024,"3,400",x
3,n/a,,28.02.2024,"2,000",n/a
4,750,0%,01.12.2023,"1,100",n/a
`), 0o644)
	tb, err := ReadTable(context.Background(), Source{Path: path, Numbers: map[string]string{"Seats": NumberComma}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	amount := tb.Column("Amount")
	if amount.Kind != KindFloat || amount.Float[0] != 1234.5 || amount.Float[1] != 2000 || !math.IsNaN(amount.Float[2]) || amount.Float[3] != 750 {
		t.Errorf("Amount %+v", amount)
	}
	if d := tb.Column("Discount"); d.Kind != KindFloat || d.Float[0] != 15 {
		t.Errorf("Discount %+v", d)
	}
	if c := tb.Column("Created"); c.Kind != KindTime || !c.Time[1].Equal(time.Date(2024, 4, 13, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Created %+v", c)
	}
	if s := tb.Column("Seats"); s.Kind != KindFloat || s.Float[1] != 3400 {
		t.Errorf("Seats %+v", s)
	}
	reads := map[string]ColumnRead{}
	for _, r := range tb.ColumnReads() {
		reads[r.Column] = r
	}
	if reads["Amount"].Number != NumberComma || reads["Created"].Time != "dd.mm.yyyy" || tb.Column("Note").Kind != KindString {
		t.Errorf("reads %+v", reads)
	}

	// "1,200" alone could be 1200 or 1.2; "03/04/2024" alone 3 April or 4 March.
	for _, tt := range []struct{ data, flag string }{
		{"id,Seats\n1,\"1,200\"\n2,\"3,400\"\n", "--number-format"},
		{"id,Created\n1,03/04/2024\n2,05/06/2024\n", "--time-format"},
	} {
		os.WriteFile(path, []byte(tt.data), 0o644)
		_, err := ReadTable(context.Background(), Source{Path: path}, nil, nil)
		var ae *AmbiguousError
		if !errors.As(err, &ae) || !strings.Contains(err.Error(), tt.flag) || len(ae.Examples) == 0 {
			t.Errorf("ambiguous column: %v", err)
		}
	}
	// A time format settles the dates.
	tb, err = ReadTable(context.Background(), Source{Path: path, TimeLayout: "01/02/2006"}, nil, nil)
	if err != nil || !tb.Column("Created").Time[0].Equal(time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("with mm/dd/yyyy: %v", err)
	}
}

// TestEventAndEntityNumbers: the number rules of flat tables hold in event
// values (cell by cell: one reading only) and entity attributes (by
// column).
func TestEventAndEntityNumbers(t *testing.T) {
	for s, want := range map[string]float64{"1,234.50": 1234.5, "$2,000.00": 2000, "12,5": 12.5, "15%": 15, "1234.5": 1234.5,
		"USD 1,234.50": 1234.5, "(300.00)": -300, "1\u00a0234,50": 1234.5, "2.000,00-": -2000} {
		if got, _, err := parseNum(s, ""); err != nil || got != want {
			t.Errorf("parseNum(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	if _, _, err := parseNum("1,234", ""); err == nil || !errors.Is(err, ErrBadNumber) || !strings.Contains(err.Error(), "could be") {
		t.Errorf("parseNum(1,234): %v", err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "entities.csv")
	os.WriteFile(path, []byte("entity_id,budget,seats\na,\"12,500.00\",\"1,200\"\nb,n/a,\"3,400\"\n"), 0o644)
	_, err := ReadProfiles(context.Background(), Source{Path: path}, nil)
	var ae *AmbiguousError
	if !errors.As(err, &ae) || !IsBadInput(err) {
		t.Errorf("seats 1,200 and 3,400: %v, want an ambiguous column", err)
	}
	if !strings.Contains(err.Error(), `--entities-number-format "1,234.5" or "1.234,5" (number_format: in pipeline.yaml)`) {
		t.Errorf("the ambiguous column does not name the setting that decides: %v", err)
	}
	p, err := ReadProfiles(context.Background(), Source{Path: path, Numbers: map[string]string{"seats": NumberComma}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Columns {
		if c.Name == "budget" && (c.Kind != KindFloat || c.Float[0] != 12500 || !math.IsNaN(c.Float[1])) || c.Name == "seats" && c.Float[1] != 3400 {
			t.Errorf("%s: %+v", c.Name, c)
		}
	}
	// The file's own format settles every column, and reads a cell that
	// is a plain decimal otherwise ("1.500") in it.
	dots := filepath.Join(dir, "dots.csv")
	os.WriteFile(dots, []byte("entity_id,budget,seats\na,\"12.500,00\",1.200\nb,n/a,1.500\n"), 0o644)
	p, err = ReadProfiles(context.Background(), Source{Path: dots, CSV: CSVOptions{NumberFormat: NumberDot}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := p.Column("seats"); c.Kind != KindFloat || c.Float[0] != 1200 || c.Float[1] != 1500 {
		t.Errorf("seats in 1.234,5: %+v", c)
	}
	if c := p.Column("budget"); c.Float[0] != 12500 {
		t.Errorf("budget in 1.234,5: %+v", c)
	}
	// An event's value likewise: the cell is read in the format alone.
	for s, want := range map[string]float64{"1.234": 1234, "2.500,50": 2500.5, "12": 12} {
		if got, _, err := parseNum(s, NumberDot); err != nil || got != want {
			t.Errorf("parseNum(%q, 1.234,5) = %v, %v; want %v", s, got, err, want)
		}
	}
	if _, _, err := parseNum("1,234.50", NumberDot); !errors.Is(err, ErrBadNumber) {
		t.Errorf("1,234.50 in 1.234,5: %v, want a bad number", err)
	}
	if _, _, err := parseNum("1,234", ""); err == nil || !strings.Contains(err.Error(), `--number-format "1,234.5" or "1.234,5"`) {
		t.Errorf("an ambiguous cell does not name the setting: %v", err)
	}
	// A placeholder for unknown makes a column of numbers text, noted;
	// given as NA it is a missing value, in entities and events alike.
	dash := filepath.Join(dir, "dash.csv")
	os.WriteFile(dash, []byte("entity_id,employees\na,250\nb,-\nc,1000\n"), 0o644)
	p, err = ReadProfiles(context.Background(), Source{Path: dash}, nil)
	if err != nil || p.Column("employees").Kind != KindString || len(p.Notes) != 1 || !strings.Contains(p.Notes[0], `column "employees" read as text: 2 of 3 values are numbers, but also "-"`) {
		t.Errorf("a dash: %v, notes %q", err, p.Notes)
	}
	// A text column is no such column, however few its values.
	os.WriteFile(filepath.Join(dir, "one.csv"), []byte("entity_id,industry\na,software\n"), 0o644)
	if p, err := ReadProfiles(context.Background(), Source{Path: filepath.Join(dir, "one.csv")}, nil); err != nil || len(p.Notes) != 0 {
		t.Errorf("one text value: %v, notes %q", err, p.Notes)
	}
	p, err = ReadProfiles(context.Background(), Source{Path: dash, CSV: CSVOptions{NA: []string{"-"}}}, nil)
	if c := p.Column("employees"); err != nil || c.Kind != KindFloat || !math.IsNaN(c.Float[1]) || c.Float[2] != 1000 || len(p.Notes) != 0 {
		t.Errorf("a dash as NA: %+v, %v", c, err)
	}
	events := filepath.Join(dir, "events.csv")
	os.WriteFile(events, []byte("entity_id,ts,type,value\na,2024-01-02,order,-\nb,2024-01-03,order,12\n"), 0o644)
	if _, err := Build(context.Background(), Config{Events: Source{Path: events}, AsOf: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)}); !IsBadInput(err) {
		t.Errorf("a dash for a value: %v, want bad input", err)
	}
	tb, err := Build(context.Background(), Config{Events: Source{Path: events, CSV: CSVOptions{NA: []string{"-"}}}, AsOf: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil || tb.Column("order_value_sum_30d").Float[0] != 0 || tb.Column("order_count_30d").Float[0] != 1 {
		t.Errorf("a dash as NA for a value: %v", err)
	}
}

// TestCorruptParquetFooter: a file whose footer length claims more bytes
// than it has is refused at once, before a reader allocates for it (a
// 9-byte file once took seconds and hundreds of megabytes).
func TestCorruptParquetFooter(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{"len.parquet": "PAR10PAR1", "huge.parquet": "PAR1\x00\x00\xff\xfePAR1", "zero.parquet": "PAR1\x00\x00\x00\x00PAR1"} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(data), 0o644)
		start := time.Now()
		_, err := OpenEvents(context.Background(), Source{Path: p}, nil)
		if !IsBadInput(err) || time.Since(start) > time.Second {
			t.Errorf("%s: %v after %v, want bad input at once", name, err, time.Since(start))
		}
		f, _ := os.Open(p)
		_, err = ReadParquetTable(context.Background(), f, name)
		f.Close()
		if !IsBadInput(err) {
			t.Errorf("%s: table reader: %v", name, err)
		}
	}
}

// TestDateAgesLeavePassthrough: a feature table's pass-through dates (a
// deals file's closed_at, when an open deal opened) never become ages a
// model could learn from; a flat table's dates do.
func TestDateAgesLeavePassthrough(t *testing.T) {
	day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	dates := func(name string) Column {
		return Column{Name: name, Kind: KindTime, Time: []time.Time{day.AddDate(0, 0, -3), day.AddDate(0, 0, 20)}}
	}
	tb := &Table{Meta: map[string]string{MetaPassthrough: "won,closed_at,deal_opened"},
		Columns: []Column{dates("ts"), dates("closed_at"), dates("deal_opened"), dates("signed_up")}}
	tb.Columns[0].Time = []time.Time{day, day}
	if added := AddDateAges(tb, "ts"); !slices.Equal(added, []string{"signed_up_days_before_ts"}) {
		t.Errorf("added %v, want only signed_up's age", added)
	}
	if got := tb.Column("signed_up_days_before_ts").Float; got[0] != 3 || got[1] != -20 {
		t.Errorf("ages %v, want 3 and -20", got)
	}
}

// TestSeparatorHint: a file read with the default comma whose header has
// none but semicolons, tabs or bars (quoted as R and Excel write them, or
// not) names the --sep that reads it; with it, it reads.
func TestSeparatorHint(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ name, text, want, sep string }{
		{"quoted semicolons", "\"age\";\"job\";\"y\"\n58;\"management\";\"no\"\n", "the separator looks like ';': add --sep ';'", ";"},
		{"semicolons", "age;job;y\n58;management;no\n", `header has one column "age;job;y": the separator looks like ';': add --sep ';'`, ";"},
		{"tabs", "age\tjob\ty\n58\tmanagement\tno\n", "the separator looks like tab: add --sep tab", "\t"},
		{"bars", "age|job|y\n58|management|no\n", "the separator looks like '|': add --sep '|'", "|"},
	} {
		p := filepath.Join(dir, "t.csv")
		os.WriteFile(p, []byte(tt.text), 0o644)
		_, err := ReadTable(context.Background(), Source{Path: p}, nil, nil)
		var se *SchemaError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want a SchemaError with %s", tt.name, err, tt.want)
		}
		if tb, err := ReadTable(context.Background(), Source{Path: p, CSV: CSVOptions{Sep: rune(tt.sep[0])}}, nil, nil); err != nil || len(tb.Columns) != 3 {
			t.Errorf("%s with the separator: %v", tt.name, err)
		}
	}
}

// TestNotText: a workbook, a Parquet file, a gzip file or JSON records
// given as CSV are named as what they are, not read as text with quotes
// out of place.
func TestNotText(t *testing.T) {
	dir := t.TempDir()
	var pq bytes.Buffer
	tb := &Table{Columns: []Column{{Name: "entity_id", Kind: KindString, Str: []string{"a"}}}}
	if err := tb.WriteParquet(&pq); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("entity_id,ts,type\na,2024-01-01,rfq\n"))
	zw.Close()
	for name, tt := range map[string]struct {
		body []byte
		want string
	}{
		"export.csv": {[]byte("PK\x03\x04\x14\x00\x06\x00\"quoted\",x"), "a ZIP archive (an Excel .xlsx workbook?)"},
		"old.csv":    {[]byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00"), "an Excel 97-2003 workbook (.xls)"},
		"table.csv":  {pq.Bytes(), "a Parquet file, not CSV text: name it .parquet"},
		"events.csv": {gz.Bytes(), "gzip-compressed, not CSV text: name it .csv.gz"},
		"ev.jsonl":   {[]byte("{\"entity_id\":\"a\",\"ts\":\"2024-01-01\",\"type\":\"rfq\"}\n"), "JSON records, not CSV text"},
		"ev.json":    {[]byte("\xEF\xBB\xBF[\n  {\"entity_id\": \"a\"}\n]"), "JSON records, not CSV text"},
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, tt.body, 0o644)
		_, err := ReadTable(context.Background(), Source{Path: p}, nil, nil)
		var se *SchemaError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want a SchemaError with %s", name, err, tt.want)
		}
		if _, err := OpenEvents(context.Background(), Source{Path: p}, nil); !errors.As(err, &se) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s as events: %v, want a SchemaError with %s", name, err, tt.want)
		}
	}
}

// TestRecordedFormatMissing: a column a model read as numbers that now
// holds a dash is an error pointing at --na, which reads it as missing.
func TestRecordedFormatMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.csv")
	os.WriteFile(path, []byte("id,Deal\n1,\"1,200.50\"\n2,-\n"), 0o644)
	src := Source{Path: path, Numbers: map[string]string{"Deal": NumberComma}}
	if _, err := ReadTable(context.Background(), src, nil, nil); err == nil || !strings.Contains(err.Error(), `(row 2: "-"; a value that means missing goes to --na)`) {
		t.Errorf("a dash: %v", err)
	}
	tb, err := ReadTable(context.Background(), src, []string{"-"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := tb.Column("Deal"); c.Kind != KindFloat || c.Float[0] != 1200.5 || !math.IsNaN(c.Float[1]) {
		t.Errorf("with --na -: %+v", c)
	}
}

// TestDateAgeNames: a date's age is named from the date and the time
// column, and either name is found in it again.
func TestDateAgeNames(t *testing.T) {
	name := DateAgeName("Create Date", "ts")
	if name != "Create Date_days_before_ts" {
		t.Fatalf("DateAgeName = %q", name)
	}
	if d, ok := DateOfAge(name, "ts"); !ok || d != "Create Date" {
		t.Errorf("DateOfAge = %q, %v", d, ok)
	}
	if _, ok := DateOfAge(name, "Created"); ok {
		t.Error("DateOfAge with another time column")
	}
	if _, ok := DateOfAge("ts", ""); ok {
		t.Error("DateOfAge without a time column")
	}
	if d, r, ok := SplitDateAge("a_days_before_b_days_before_ts"); !ok || d != "a_days_before_b" || r != "ts" {
		t.Errorf("SplitDateAge = %q, %q, %v", d, r, ok)
	}
	if _, _, ok := SplitDateAge("page_view_days_since_last"); ok {
		t.Error("SplitDateAge of a days-since column")
	}
}

// TestLeadingZeroCodes: numbers written with leading zeros are codes
// (postal codes), kept as written with a note in flat tables (CSV, both
// readers, and Parquet text) and entities; a column's own number format
// reads them as numbers, and numbers such as 0.5 stay numbers.
func TestLeadingZeroCodes(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("id,Zip,Share,Visits\n")
	for i := range 5000 {
		zip := strconv.Itoa(10000 + i)
		if i == 4999 { // in the last of the block reader's blocks alone
			zip = "02134"
		}
		fmt.Fprintf(&b, "L%d,%s,0.%d,%d\n", i, zip, i%10, i%7)
	}
	path := filepath.Join(dir, "leads.csv")
	os.WriteFile(path, []byte(b.String()), 0o644)
	var zips Table
	for _, src := range []Source{
		{Path: path},
		{Path: path, Text: map[string]bool{"id": true}}, // the row reader
	} {
		tb, err := ReadTable(context.Background(), src, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		zip := tb.Column("Zip")
		if zip.Kind != KindString || zip.Str[4999] != "02134" || zip.Str[0] != "10000" {
			t.Fatalf("Zip read as %v", zip.Kind)
		}
		for _, name := range []string{"Share", "Visits"} {
			if c := tb.Column(name); c.Kind != KindFloat {
				t.Errorf("%s read as %v", name, c.Kind)
			}
		}
		var read ColumnRead
		for _, r := range tb.ColumnReads() {
			if r.Column == "Zip" {
				read = r
			}
		}
		if !read.Text || !strings.Contains(read.Note, `leading zeros, as codes are ("02134"); --number-format "Zip=1234.5"`) {
			t.Errorf("Zip read %+v", read)
		}
		zips = Table{Columns: []Column{*tb.Column("id"), *zip}}
	}
	tb, err := ReadTable(context.Background(), Source{Path: path, Numbers: map[string]string{"Zip": NumberPlain}}, nil, nil)
	if err != nil || tb.Column("Zip").Kind != KindFloat || tb.Column("Zip").Float[4999] != 2134 {
		t.Errorf("Zip=1234.5: %v", err)
	}
	pq := filepath.Join(dir, "leads.parquet")
	var buf bytes.Buffer
	if err := zips.WriteParquet(&buf); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(pq, buf.Bytes(), 0o644)
	if tb, err := ReadTable(context.Background(), Source{Path: pq}, nil, nil); err != nil || tb.Column("Zip").Kind != KindString {
		t.Errorf("Parquet text codes: %v", err)
	}
	ents := filepath.Join(dir, "entities.csv")
	os.WriteFile(ents, []byte("entity_id,Zip,Seats\na,02134,\"1.200\"\nb,10001,3\n"), 0o644)
	p, err := ReadProfiles(context.Background(), Source{Path: ents, CSV: CSVOptions{NumberFormat: NumberDot}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := p.Column("Zip"); c.Kind != KindString || c.Str[0] != "02134" || len(p.Notes) != 1 || !strings.Contains(p.Notes[0], `column "Zip" read as text: numbers written with leading zeros`) {
		t.Errorf("entities Zip %+v, notes %q", c, p.Notes)
	}
	if c := p.Column("Seats"); c.Kind != KindFloat || c.Float[0] != 1200 {
		t.Errorf("entities Seats %+v", c)
	}
}

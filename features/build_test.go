package features

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

var asOf = time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)

func build(t *testing.T, events string, cfg Config) *Table {
	t.Helper()
	cfg.Events = Source{Path: writeFile(t, "events.csv", events)}
	tb, err := Build(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func value(t *testing.T, tb *Table, row int, col string) float64 {
	t.Helper()
	c := tb.Column(col)
	if c == nil {
		t.Fatalf("no column %q (have %s)", col, strings.Join(tb.Names(), ", "))
	}
	return c.Float[row]
}

// TestBuildHandComputed checks each default feature against values worked out
// by hand, with events exactly at D, exactly at D − W, after D, and with
// offsets.
func TestBuildHandComputed(t *testing.T) {
	const events = `entity_id,ts,type,value
a,2024-07-01 00:00:00,rfq,                 # exactly at D: excluded
a,2024-06-30T23:59:59Z,rfq,
a,2024-07-01T01:30:00+02:00,rfq,           # 2024-06-30 23:30 UTC: included
a,2024-06-01 00:00:00,rfq,                 # exactly D − 30 days: included in 30d
a,2024-05-31 23:59:59,rfq,                 # one second older: 90d only
a,2024-06-24 00:00:00,order,100
a,2024-06-30 12:00:00,order,50.5
a,2023-07-02 00:00:00,order,1000           # D − 365 days: included in 365d
a,2023-07-01 23:59:59,order,7              # older than 365 days
a,2025-01-01 00:00:00,order,99999          # after D: excluded
b,2024-06-15 06:00:00,page_view,
`
	// Strip the comments: they document the rows for the reader.
	var sb strings.Builder
	for _, l := range strings.Split(events, "\n") {
		if i := strings.Index(l, "#"); i >= 0 {
			l = strings.TrimSpace(l[:i])
		}
		if l != "" {
			sb.WriteString(l + "\n")
		}
	}
	tb := build(t, sb.String(), Config{AsOf: asOf})
	if tb.NumRows() != 2 || tb.Column("entity_id").Str[0] != "a" || tb.Column("entity_id").Str[1] != "b" {
		t.Fatalf("rows = %v, want a, b", tb.Column("entity_id").Str)
	}
	day := 86400.0
	tests := []struct {
		col  string
		row  int
		want float64
	}{
		{"rfq_count_7d", 0, 2},
		{"rfq_count_30d", 0, 3},
		{"rfq_count_90d", 0, 4},
		{"rfq_count_365d", 0, 4},
		{"rfq_days_since_last", 0, 1 / day},
		{"order_count_7d", 0, 2},
		{"order_value_sum_7d", 0, 150.5},
		{"order_count_365d", 0, 3},
		{"order_value_sum_365d", 0, 1150.5},
		{"order_days_since_last", 0, 0.5},
		{"events_total", 0, 8},
		{"events_count_30d", 0, 5},
		{"tenure_days", 0, 365 + 1/day}, // 2023-07-01 23:59:59 → 2024-07-01, across 29 Feb
		{"active_days_30d", 0, 3},       // 06-01, 06-24, 06-30 (three events there)
		{"active_days_90d", 0, 4},       // plus 05-31
		{"rfq_trend", 0, (3 - 1) / (1.0 + 1)},
		{"page_view_count_30d", 1, 1},
		{"page_view_days_since_last", 1, 15.75},
		{"rfq_count_365d", 1, 0},
		{"order_value_sum_30d", 1, 0},
		{"tenure_days", 1, 15.75},
	}
	for _, tt := range tests {
		if got := value(t, tb, tt.row, tt.col); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s[%d] = %v, want %v", tt.col, tt.row, got, tt.want)
		}
	}
	if got := value(t, tb, 1, "rfq_days_since_last"); !math.IsNaN(got) {
		t.Errorf("rfq_days_since_last for b = %v, want null", got)
	}
	if tb.Column("page_view_value_sum_30d") != nil {
		t.Error("page_view carries no values but got a value-sum column")
	}
}

// TestPointInTime checks that events at or after the as-of date never change
// any feature: adding random later events leaves the table identical.
func TestPointInTime(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	types := []string{"order", "rfq", "page_view", "complaint"}
	var before, after strings.Builder
	before.WriteString("entity_id,ts,type,value,justified\n")
	for range 400 {
		ts := asOf.Add(-time.Duration(r.Int64N(int64(400 * 24 * time.Hour))))
		before.WriteString(eventLine(r, types, ts))
	}
	after.WriteString(before.String())
	for range 400 {
		ts := asOf.Add(time.Duration(r.Int64N(int64(30 * 24 * time.Hour))))
		if r.IntN(10) == 0 {
			ts = asOf // exactly at D
		}
		after.WriteString(eventLine(r, types, ts))
	}
	cfg := Config{AsOf: asOf, Rules: DefaultRules()}
	a := build(t, before.String(), cfg)
	b := build(t, after.String(), cfg)
	var ab, bb bytes.Buffer
	if err := a.WriteParquet(&ab); err != nil {
		t.Fatal(err)
	}
	if err := b.WriteParquet(&bb); err != nil {
		t.Fatal(err)
	}
	// Only the entity set may differ (an entity whose only events are later
	// has no row); compare the common table byte for byte.
	if !bytes.Equal(ab.Bytes(), bb.Bytes()) {
		t.Error("events at or after the as-of date changed the feature table")
	}
}

func eventLine(r *rand.Rand, types []string, ts time.Time) string {
	typ := types[r.IntN(len(types))]
	val, just := "", ""
	switch typ {
	case "order":
		val = []string{"500", "15000"}[r.IntN(2)]
	case "complaint":
		just = []string{"true", "false"}[r.IntN(2)]
	}
	return strings.Join([]string{string(rune('a' + r.IntN(5))), ts.Format(time.RFC3339), typ, val, just}, ",") + "\n"
}

// TestCutoffsMatchAsOf checks that a cutoff row computes exactly what an
// as-of run at the same moment computes, rules included.
func TestCutoffsMatchAsOf(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var sb strings.Builder
	sb.WriteString("entity_id,ts,type,value,justified\n")
	for range 600 {
		sb.WriteString(eventLine(r, []string{"order", "rfq", "catalog_download", "complaint", "discount"},
			asOf.Add(time.Duration(r.Int64N(int64(500*24*time.Hour)))-300*24*time.Hour)))
	}
	events := sb.String()
	dates := []time.Time{asOf.AddDate(0, -3, 0), asOf, asOf.AddDate(0, 2, 11)}
	var cut strings.Builder
	cut.WriteString("entity_id,ts,won\n")
	for _, d := range dates {
		for _, id := range []string{"a", "b", "c", "d", "e"} {
			cut.WriteString(id + "," + d.Format(time.RFC3339) + ",true\n")
		}
	}
	cutoffs, err := ReadCutoffs(context.Background(), Source{Path: writeFile(t, "cut.csv", cut.String())}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rules := DefaultRules()
	ct := build(t, events, Config{Cutoffs: cutoffs, Rules: rules})
	for di, d := range dates {
		at := build(t, events, Config{AsOf: d, Rules: rules})
		for k := range 5 {
			row := di*5 + k
			for _, col := range at.Columns {
				cc := ct.Column(col.Name)
				if col.Name == "ts" {
					continue
				}
				if cc == nil {
					if col.Kind == KindFloat && col.Float[k] == 0 {
						continue // a type absent at this date: the cutoff table has it, zero
					}
					t.Fatalf("cutoff table lacks %s", col.Name)
				}
				if got, want := cc.Text(row), col.Text(k); got != want {
					t.Errorf("date %s entity %s %s: cutoff %q, as-of %q", d.Format(time.DateOnly), at.Column("entity_id").Str[k], col.Name, got, want)
				}
			}
		}
	}
}

func TestParquetRoundTrip(t *testing.T) {
	tb := &Table{Columns: []Column{
		{Name: "entity_id", Kind: KindString, Str: []string{"a", "b", ""}},
		{Name: "ts", Kind: KindTime, Time: []time.Time{asOf, asOf.Add(time.Second), {}}},
		{Name: "x", Kind: KindFloat, Float: []float64{1.5, math.NaN(), -2}},
		{Name: "won", Kind: KindBool, Bool: []bool{true, false, true}},
	}, Meta: map[string]string{MetaAsOf: "2024-07-01T00:00:00Z"}}
	var buf bytes.Buffer
	if err := tb.WriteParquet(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := ReadParquetTable(context.Background(), bytes.NewReader(buf.Bytes()), "mem")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Names(), ",") != "entity_id,ts,x,won" {
		t.Fatalf("columns = %v", got.Names())
	}
	for i := range 3 {
		for j := range tb.Columns {
			if g, w := got.Columns[j].Text(i), tb.Columns[j].Text(i); g != w && !(tb.Columns[j].Kind == KindTime && i == 2 && g == "0001-01-01T00:00:00Z") {
				t.Errorf("row %d %s = %q, want %q", i, tb.Columns[j].Name, g, w)
			}
		}
	}
	if got.Meta[MetaAsOf] != "2024-07-01T00:00:00Z" || got.Meta[MetaSchemaVersion] != SchemaVersion {
		t.Errorf("meta = %v", got.Meta)
	}
	var again bytes.Buffer
	if err := tb.WriteParquet(&again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("writing the same table twice gave different bytes")
	}
}

// Counts, sums, trends and rule points are never null: they are written
// as REQUIRED columns and read back the same, while tenure, means, maxima
// and the days since the latest event stay OPTIONAL. A NaN in a required
// column fails the write with the column's name, through the dictionary
// (whole numbers) and the plain (distinct fractions) encodings alike.
func TestRequiredColumns(t *testing.T) {
	const events = `entity_id,ts,type,value
a,2024-06-30 10:00:00,order,12.5
a,2024-05-01 10:00:00,page_view,
b,2024-06-15 06:00:00,page_view,
`
	tb := build(t, events, Config{AsOf: asOf, Rules: DefaultRules()})
	var buf bytes.Buffer
	if err := tb.WriteParquet(&buf); err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range pf.Schema().Fields() {
		want := !slices.Contains([]string{"entity_id", "ts", "tenure_days", "rule_awards"}, f.Name()) &&
			!strings.HasSuffix(f.Name(), "_days_since_last") && !strings.Contains(f.Name(), "_value_mean_") &&
			!strings.Contains(f.Name(), "_value_max_")
		if f.Required() != want {
			t.Errorf("column %s: required %v, want %v", f.Name(), f.Required(), want)
		}
	}
	back, err := ReadParquetTable(context.Background(), bytes.NewReader(buf.Bytes()), "mem")
	if err != nil {
		t.Fatal(err)
	}
	for j, c := range tb.Columns {
		for i := range tb.NumRows() {
			if g, w := back.Columns[j].Text(i), c.Text(i); g != w {
				t.Errorf("row %d %s = %q, want %q", i, c.Name, g, w)
			}
		}
	}

	whole, fractions := make([]float64, 5000), make([]float64, 5000)
	for i := range whole {
		whole[i], fractions[i] = float64(i%7), float64(i)/3
	}
	for _, v := range [][]float64{whole, fractions} {
		ok := &Table{Columns: []Column{{Name: "n", Kind: KindFloat, Required: true, Float: v}}}
		if err := ok.WriteParquet(io.Discard); err != nil {
			t.Fatal(err)
		}
		bad := slices.Clone(v)
		bad[4321] = math.NaN()
		nan := &Table{Columns: []Column{{Name: "n", Kind: KindFloat, Required: true, Float: bad}}}
		if err := nan.WriteParquet(io.Discard); err == nil || !strings.Contains(err.Error(), `column "n": null value in a required column`) {
			t.Errorf("NaN in a required column: %v", err)
		}
	}
}

// A derived type counts the events of its base type whose properties
// match, with the aggregates of any type, and leaves the base type's
// columns as they are.
func TestDerivedTypes(t *testing.T) {
	const events = `entity_id,ts,type,value,page,channel
a,2024-06-30 10:00:00,page_view,,pricing,web
a,2024-06-29 10:00:00,page_view,,pricing,email
a,2024-06-20 10:00:00,page_view,,blog,web
a,2024-05-01 10:00:00,page_view,,pricing,web
a,2024-07-01 00:00:00,page_view,,pricing,web
a,2024-06-25 00:00:00,order,300,,web
a,2024-06-26 00:00:00,order,50,,fair
b,2024-06-15 06:00:00,page_view,,home,web
b,2024-06-16 06:00:00,form_submit,,pricing,web
`
	spec := Spec{Derived: []DerivedType{
		{Name: "pricing_visit", Type: "page_view", Where: map[string][]string{"page": {"pricing"}}, Phrase: "visited the pricing page"},
		{Name: "web_order", Type: "order", Where: map[string][]string{"channel": {"web", "phone"}}},
	}}
	if err := spec.Validate(); err != nil {
		t.Fatal(err)
	}
	tb := build(t, events, Config{AsOf: asOf, Spec: spec})
	for _, tc := range []struct {
		col  string
		a, b float64
	}{
		{"pricing_visit_count_7d", 2, 0}, // the one at D is excluded
		{"pricing_visit_count_90d", 3, 0},
		{"page_view_count_90d", 4, 1}, // the base type keeps every page
		{"pricing_visit_days_since_last", (14.0 / 24), math.NaN()},
		{"web_order_count_30d", 1, 0},
		{"web_order_value_sum_30d", 300, 0},
		{"order_value_sum_30d", 350, 0},
	} {
		for row, want := range []float64{tc.a, tc.b} {
			got := value(t, tb, row, tc.col)
			if !(got == want || math.Abs(got-want) < 1e-12 || math.IsNaN(got) && math.IsNaN(want)) {
				t.Errorf("%s row %d = %v, want %v", tc.col, row, got, want)
			}
		}
	}
	res, err := tb.Resolved()
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Derived) != 2 || res.Derived[0].Phrase != "visited the pricing page" {
		t.Errorf("resolved spec lost the derived types: %+v", res.Derived)
	}
	// A derived type may not take the name of a type in the data.
	clash := Spec{Derived: []DerivedType{{Name: "order", Type: "page_view", Where: map[string][]string{"page": {"pricing"}}}}}
	cfg := Config{AsOf: asOf, Spec: clash, Events: Source{Path: writeFile(t, "events.csv", events)}}
	var se *SchemaError
	if _, err := Build(context.Background(), cfg); !errors.As(err, &se) || !strings.Contains(err.Error(), `"order"`) {
		t.Errorf("a derived type named like an event type: error %v, want a *SchemaError naming it", err)
	}
	// The resolved spec rebuilds the same columns.
	again := build(t, events, Config{AsOf: asOf, Spec: res})
	if strings.Join(again.Names(), ",") != strings.Join(tb.Names(), ",") {
		t.Errorf("rebuilt columns %v, want %v", again.Names(), tb.Names())
	}
}

// TestOrderIndependent: the same events in any order (grouped by entity,
// in time order, shuffled, reversed) give the same table, value sums and
// the sign of a zero included, with event rules (records carry what they
// match) and without.
func TestOrderIndependent(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	types := []string{"page_view", "order", "rfq", "email_open", "discount"}
	var lines []string
	for e := range 300 {
		var ts time.Time
		for range 1 + r.IntN(40) {
			// A third of the events share the instant of the one before,
			// as the lines of one invoice do.
			if ts.IsZero() || r.IntN(3) > 0 {
				ts = asOf.Add(-time.Duration(r.IntN(400*24)) * time.Hour)
			}
			typ := types[r.IntN(len(types))]
			v := ""
			if typ == "order" || typ == "discount" {
				v = strconv.FormatFloat(float64(r.IntN(100000))/100, 'f', 2, 64)
			}
			lines = append(lines, fmt.Sprintf("E%03d,%s,%s,%s", e, ts.Format(time.RFC3339), typ, v))
		}
	}
	// Orders at one instant whose sum depends on the order of addition:
	// ties are broken by value too; E998's instant mixes in other types
	// and an order without a value, E997's holds negative values, and
	// E996's maximum is one of two zeros (-0 and 0 are equal, but not the
	// same bits).
	for _, v := range []string{"4.9", "0.3", "2.3", "0.1", "1.1", "0.7", "0.2"} {
		lines = append(lines, fmt.Sprintf("E999,%s,order,%s", asOf.Add(-time.Hour).Format(time.RFC3339), v))
	}
	for _, tv := range []string{"order,4.9", "page_view,", "order,0.3", "discount,2.3", "order,", "order,0.1", "discount,0.7"} {
		lines = append(lines, fmt.Sprintf("E998,%s,%s", asOf.Add(-time.Hour).Format(time.RFC3339), tv))
	}
	for _, v := range []string{"-4.9", "0.3", "-2.3", "0.1", "-0", "1.1", "0"} {
		lines = append(lines, fmt.Sprintf("E997,%s,order,%s", asOf.Add(-time.Hour).Format(time.RFC3339), v))
	}
	for _, v := range []string{"-0", "0"} {
		lines = append(lines, fmt.Sprintf("E996,%s,order,%s", asOf.Add(-time.Hour).Format(time.RFC3339), v))
	}
	spec := Spec{Aggregations: []string{"count", "sum", "mean", "max", "distinct_days", "days_since", "trend"}}
	for _, rules := range []*RuleSet{DefaultRules(), nil} {
		orderIndependent(t, r, lines, Config{AsOf: asOf, Spec: spec, Rules: rules})
	}
}

// orderIndependent builds the table of lines in file order, in time order
// (ties in file order), shuffled and reversed, and fails unless all four
// are equal.
func orderIndependent(t *testing.T, r *rand.Rand, lines []string, cfg Config) {
	t.Helper()
	var want *Table
	for order := range 4 {
		ls := slices.Clone(lines)
		switch order {
		case 1:
			slices.SortStableFunc(ls, func(a, b string) int { return strings.Compare(strings.Split(a, ",")[1], strings.Split(b, ",")[1]) })
		case 2:
			r.Shuffle(len(ls), func(i, j int) { ls[i], ls[j] = ls[j], ls[i] })
		case 3:
			slices.Reverse(ls)
		}
		got := build(t, "entity_id,ts,type,value\n"+strings.Join(ls, "\n")+"\n", cfg)
		if want == nil {
			want = got
			continue
		}
		for c := range want.Columns {
			wc, gc := &want.Columns[c], &got.Columns[c]
			for i := range wc.Len() {
				if wc.Kind == KindFloat && math.Float64bits(wc.Float[i]) != math.Float64bits(gc.Float[i]) || wc.Text(i) != gc.Text(i) {
					t.Fatalf("order %d: %s row %d: %v, in file order %v", order, wc.Name, i, gc.Text(i), wc.Text(i))
				}
			}
		}
	}
}

// TestShardedEvents: an events pattern reads every file it matches, and
// the table equals the one of the same events in one file.
func TestShardedEvents(t *testing.T) {
	dir := t.TempDir()
	header := "entity_id,ts,type,value\n"
	shards := []string{
		"a,2024-06-01T10:00:00Z,order,10\nb,2024-05-01T00:00:00Z,page_view,\n",
		"a,2024-06-20T00:00:00Z,page_view,\nc,2024-08-01T00:00:00Z,order,5\n",
		"b,2024-06-30T23:00:00Z,order,7.5\n",
	}
	for i, s := range shards {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("part-%d.csv", i)), []byte(header+s), 0o644)
	}
	one := build(t, header+strings.Join(shards, ""), Config{AsOf: asOf})
	many, err := Build(context.Background(), Config{Events: Source{Path: filepath.Join(dir, "part-*.csv")}, AsOf: asOf})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(one.Names(), many.Names()) || one.NumRows() != 2 || many.NumRows() != 2 {
		t.Fatalf("sharded: %v (%d rows), one file: %v (%d rows)", many.Names(), many.NumRows(), one.Names(), one.NumRows())
	}
	for c := range one.Columns {
		for i := range one.Columns[c].Len() {
			if one.Columns[c].Text(i) != many.Columns[c].Text(i) {
				t.Errorf("%s row %d: %s sharded, %s in one file", one.Columns[c].Name, i, many.Columns[c].Text(i), one.Columns[c].Text(i))
			}
		}
	}
	if _, err := Build(context.Background(), Config{Events: Source{Path: filepath.Join(dir, "none-*.csv")}, AsOf: asOf}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a pattern matching nothing: %v", err)
	}

	// The same shards as Spark writes a table: a folder of partitions,
	// with its marker files and checksums beside them.
	spark := filepath.Join(t.TempDir(), "events.csv")
	for i, s := range shards {
		part := filepath.Join(spark, fmt.Sprintf("dt=2024-0%d", i+1))
		os.MkdirAll(part, 0o755)
		os.WriteFile(filepath.Join(part, fmt.Sprintf("part-%05d.csv", i)), []byte(header+s), 0o644)
		os.WriteFile(filepath.Join(part, fmt.Sprintf(".part-%05d.csv.crc", i)), []byte("crc"), 0o644)
	}
	os.WriteFile(filepath.Join(spark, "_SUCCESS"), nil, 0o644)
	os.MkdirAll(filepath.Join(spark, "_temporary", "0"), 0o755)
	os.WriteFile(filepath.Join(spark, "_temporary", "0", "part-9.csv"), []byte(header+"z,2024-01-01,order,1\n"), 0o644)
	folder, err := Build(context.Background(), Config{Events: Source{Path: spark}, AsOf: asOf})
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := errors.Join(one.WriteParquet(&a), folder.WriteParquet(&b)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("a folder of shards: a table other than the one file's")
	}
	files, err := ShardFiles(spark)
	if want := []string{"dt=2024-01/part-00000.csv", "dt=2024-02/part-00001.csv", "dt=2024-03/part-00002.csv"}; err != nil || len(files) != len(want) {
		t.Errorf("the folder's files: %v, %v", files, err)
	} else {
		for i := range want {
			if files[i] != filepath.Join(spark, want[i]) {
				t.Errorf("file %d: %s, want %s", i, files[i], want[i])
			}
		}
	}
	// A folder of both kinds, of neither, an empty one; a folder where a
	// deals file goes.
	odd := t.TempDir()
	os.WriteFile(filepath.Join(odd, "a.parquet"), nil, 0o644)
	os.WriteFile(filepath.Join(odd, "b.csv"), nil, 0o644)
	os.MkdirAll(filepath.Join(odd, "none"), 0o755)
	os.WriteFile(filepath.Join(odd, "none", "000000_0"), nil, 0o644)
	os.MkdirAll(filepath.Join(odd, "empty"), 0o755)
	for path, want := range map[string]string{odd: "both Parquet and CSV files", filepath.Join(odd, "none"): "without .parquet or .csv files (" + filepath.Join(odd, "none", "000000_0") + ")",
		filepath.Join(odd, "empty"): "an empty folder"} {
		var se *SchemaError
		if _, err := ShardFiles(path); !errors.As(err, &se) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want a SchemaError with %q", path, err, want)
		}
	}
	if _, err := ReadOutcomes(context.Background(), Source{Path: spark}, nil); err == nil || !strings.Contains(err.Error(), "a folder, not a file: only events and entities may be folders of files") {
		t.Errorf("a folder of deals: %v", err)
	}
}

// TestShardedEntities: an entities pattern reads every shard, in name
// order, as one table; shards with other columns are a *SchemaError, and
// an id in two shards a duplicate.
func TestShardedEntities(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ent-0.csv"), []byte("entity_id,industry,employees\na,retail,10\nb,,\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "ent-1.csv"), []byte("entity_id,industry,employees\nc,software,250\n"), 0o644)
	p, err := ReadProfiles(context.Background(), Source{Path: filepath.Join(dir, "ent-*.csv")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.IDs, []string{"a", "b", "c"}) || p.Column("employees").Kind != KindFloat || p.Column("industry").Str[2] != "software" {
		t.Errorf("profiles %v, columns %+v", p.IDs, p.Columns)
	}
	os.WriteFile(filepath.Join(dir, "ent-2.csv"), []byte("entity_id,industry\nd,retail\n"), 0o644)
	var se *SchemaError
	if _, err := ReadProfiles(context.Background(), Source{Path: filepath.Join(dir, "ent-*.csv")}, nil); !errors.As(err, &se) || !strings.Contains(err.Error(), "ent-2.csv") {
		t.Errorf("a shard with other columns: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "ent-2.csv"), []byte("entity_id,industry,employees\na,retail,3\n"), 0o644)
	var re *RowError
	if _, err := ReadProfiles(context.Background(), Source{Path: filepath.Join(dir, "ent-*.csv")}, nil); !errors.As(err, &re) || !strings.Contains(err.Error(), "ent-2.csv:2") {
		t.Errorf("an id in two shards: %v", err)
	}
}

// TestKeepOnEveryCore builds tables from time-ordered events, several
// batches of them, on one core and on several: the records a batch
// appends to the partitions on every core, with the types, matches and
// fingerprints numbered before, give the same tables. The events carry
// values, duplicates (dropped by their fingerprints), and a property a
// derived type tests (read a row at a time) or none (read a column at a
// time, rules matching).
func TestKeepOnEveryCore(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	r := rand.New(rand.NewPCG(21, 22))
	types := []string{"page_view", "email_open", "order", "webinar", "rfq"}
	var rows, plain strings.Builder
	rows.WriteString("entity_id,ts,type,value,page\n")
	plain.WriteString("entity_id,ts,type,value\n")
	ts := asOf.AddDate(0, -9, 0)
	for range 3 * batchEvents {
		ts = ts.Add(time.Duration(r.IntN(600)) * time.Second)
		typ := types[r.IntN(len(types))]
		v := ""
		if typ == "order" || r.IntN(4) == 0 {
			v = strconv.Itoa(r.IntN(1000))
		}
		line := fmt.Sprintf("E%04d,%s,%s,%s", r.IntN(3000), ts.Format(time.RFC3339), typ, v)
		page := []string{"home", "pricing", "blog"}[r.IntN(3)]
		n := 1 + r.IntN(4)/3 // a quarter twice
		for range n {
			fmt.Fprintf(&rows, "%s,%s\n", line, page)
			fmt.Fprintf(&plain, "%s\n", line)
		}
	}
	spec := Spec{TopTypes: 5, Aggregations: []string{"count", "sum", "mean", "max", "days_since"},
		Derived: []DerivedType{{Name: "pricing_view", Type: "page_view", Where: map[string][]string{"page": {"pricing"}}}}}
	for _, c := range []struct {
		name string
		cfg  Config
	}{
		{"rows", Config{Events: Source{Path: writeFile(t, "rows.csv", rows.String())}, AsOf: asOf, Spec: spec, Rules: DefaultRules(), Dedupe: true}},
		{"columns", Config{Events: Source{Path: writeFile(t, "plain.csv", plain.String())}, AsOf: asOf, Rules: DefaultRules()}},
		{"columns, deduped", Config{Events: Source{Path: writeFile(t, "plain2.csv", plain.String())}, AsOf: asOf, Dedupe: true}},
	} {
		var want *Table
		for _, procs := range []int{1, 2, 3, 8} {
			runtime.GOMAXPROCS(procs)
			got, err := Build(context.Background(), c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if want == nil {
				want = got
				if got.NumRows() < 2900 {
					t.Fatalf("%s: %d rows", c.name, got.NumRows())
				}
				continue
			}
			if err := sameTable(got, want); err != nil {
				t.Errorf("%s, %d cores: %v", c.name, procs, err)
			}
		}
	}
}

// TestSortByID sorts entities as their ids compare, for ids that share a
// prefix, ids shorter than it plus eight bytes, ids ending in zero bytes
// or differing only after their first eight bytes past the prefix (all
// of one key, in "zeros"), and ids with nothing in common; on one core
// and on several.
func TestSortByID(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	r := rand.New(rand.NewPCG(9, 10))
	sets := map[string][]string{
		"one shape":   {},
		"edge bytes":  {"anon-", "anon-\x00", "anon-\x00\x00", "anon-1", "anon-12345678", "anon-123456789", "anon-12345678a", "anon-1234567\xff", "anon-\xff"},
		"no prefix":   {"b", "a", "ab", "", "zz", "a\x00"},
		"single":      {"only"},
		"long shared": {},
		"tied keys":   {},
		"zeros":       {},
	}
	for i := range 50000 {
		n := i*179 + r.IntN(179) // distinct ids below 9,000,000
		sets["one shape"] = append(sets["one shape"], fmt.Sprintf("anon-%07d", n))
		if i < onCores+64 {
			sets["zeros"] = append(sets["zeros"], "z"+strings.Repeat("\x00", i))
		}
		if i < 6000 {
			sets["long shared"] = append(sets["long shared"], fmt.Sprintf("0031U00001%08dx%d", i%50, i))
			// Three keys, each of thousands of ids.
			sets["tied keys"] = append(sets["tied keys"], fmt.Sprintf("%c-12345678-%d", 'a'+i%3, r.IntN(1e9)))
		}
	}
	for name, ids := range sets {
		// Runs as partitions give them: ids spread by their hash, each
		// partition's sorted.
		var e engine
		for _, id := range ids {
			p := &e.parts[hashID(id)%5]
			p.ids = append(p.ids, id)
		}
		var refs []entityRef
		for k := range 5 {
			p := &e.parts[k]
			slices.Sort(p.ids)
			for j := range p.ids {
				refs = append(refs, entityRef{part: uint16(k), k: int32(j)})
			}
		}
		want := slices.Sorted(slices.Values(ids))
		for _, procs := range []int{1, 2, 3} {
			runtime.GOMAXPROCS(procs)
			e.ents = e.sortByID(slices.Clone(refs))
			for i := range want {
				if got := e.entID(i); got != want[i] {
					t.Fatalf("%s, %d cores: entity %d is %q, want %q", name, procs, i, got, want[i])
				}
			}
		}
		// A partition's ids, as group sorts them.
		id := func(i int32) string { return ids[i] }
		keys := idKeys(len(ids), id)
		sortIDKeys(keys, id)
		for i := range want {
			if got := ids[keys[i].i]; got != want[i] {
				t.Fatalf("%s: sortIDKeys: id %d is %q, want %q", name, i, got, want[i])
			}
		}
	}
	// Keys whose higher bytes vary only in the second half: every core's
	// keys decide which byte spreads them.
	keys := make([]idKey, 3*onCores)
	for i := range keys {
		k := uint64(len(keys) - i)
		if i >= len(keys)/2 {
			k <<= 40
		}
		keys[i] = idKey{key: k, i: int32(i)}
	}
	byKey := func(i int32) string { return fmt.Sprintf("%016x", keys[i].key) }
	for _, procs := range []int{2, 3} {
		runtime.GOMAXPROCS(procs)
		got := sortIDKeysOnCores(slices.Clone(keys), byKey)
		if !slices.IsSortedFunc(got, func(a, b idKey) int { return cmp.Compare(a.key, b.key) }) {
			t.Errorf("%d cores: keys out of order", procs)
		}
	}
}

// TestSpecTypeInAnotherCase: a spec listing a type the events spell in
// another case (RFQ for rfq) is bad input, not columns of zeros with the
// events pooled into other.
func TestSpecTypeInAnotherCase(t *testing.T) {
	events := writeFile(t, "events.csv", "entity_id,ts,type\na,2024-05-01,rfq\na,2024-05-02,page_view\n")
	cfg := Config{Events: Source{Path: events}, AsOf: d("2024-06-01"), Spec: Spec{Types: []string{"RFQ", "page_view"}, Other: true}}
	_, err := Build(context.Background(), cfg)
	var se *SchemaError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), `the feature spec's types: no event has type "RFQ"; the events have "rfq" (types compare exactly)`) {
		t.Errorf("spec type in another case: %v, want a SchemaError", err)
	}
	// A listed type no event has at all is a type that has not happened.
	cfg.Spec.Types = []string{"complaint", "page_view", "rfq"}
	if tb, err := Build(context.Background(), cfg); err != nil || tb.Column("complaint_count_30d") == nil {
		t.Errorf("a listed type without events: %v", err)
	}
}

// TestEntitiesJoin: an entities file none of whose ids the events use (ids
// in another case, or another column) is bad input naming both; a file
// missing some entities is logged; a few new leads alone are no error.
func TestEntitiesJoin(t *testing.T) {
	var ev, ents, lower, other strings.Builder
	ev.WriteString("entity_id,ts,type\n")
	ents.WriteString("entity_id,industry\n")
	lower.WriteString("entity_id,industry\n")
	other.WriteString("entity_id,industry\n")
	for i := range 12 {
		fmt.Fprintf(&ev, "E%02d,2024-05-01,rfq\n", i)
		if i%2 == 0 {
			fmt.Fprintf(&ents, "E%02d,retail\n", i)
		}
		fmt.Fprintf(&lower, "e%02d,retail\n", i)
		fmt.Fprintf(&other, "L%02d,retail\n", i)
	}
	events := writeFile(t, "events.csv", ev.String())
	profiles := func(name, text string) *Profiles {
		p, err := ReadProfiles(context.Background(), Source{Path: writeFile(t, name, text)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for name, tt := range map[string]struct{ text, want string }{
		"lower.csv": {lower.String(), `none of the 12 entities with events is in this entities file: the events have ids such as "E00", the file such as "e00"; ids compare exactly, and these differ in case`},
		"other.csv": {other.String(), `the file such as "L00"; is entity_id mapped to the column of the ids the events use`},
	} {
		cfg := Config{Events: Source{Path: events}, Profiles: profiles(name, tt.text), AsOf: d("2024-06-01")}
		_, err := Build(context.Background(), cfg)
		var se *SchemaError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want a SchemaError with %s", name, err, tt.want)
		}
		// A plan (leadscore-beam's table stage) checks when it assembles.
		if _, err := planTable(t, cfg); !errors.As(err, &se) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s, plan: %v, want a SchemaError with %s", name, err, tt.want)
		}
	}
	var log bytes.Buffer
	tb, err := Build(context.Background(), Config{Events: Source{Path: events}, Profiles: profiles("half.csv", ents.String()), AsOf: d("2024-06-01"),
		Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil || tb.NumRows() != 12 || !strings.Contains(log.String(), "missing=6 of=12 first=E01") {
		t.Errorf("half the entities: %v, log %s", err, log.String())
	}
	// Deals (labels of snapshot rows) and cutoffs none of whose ids has
	// events: rows of zeros and labels of no one's.
	var deals strings.Builder
	deals.WriteString("entity_id,ts,won,closed_at\n")
	for i := range 12 {
		fmt.Fprintf(&deals, "e%02d,2024-05-10,true,2024-05-20\n", i)
	}
	o, c := readDeals(t, deals.String())
	for name, cfg := range map[string]Config{
		"deals":   {Snapshots: []time.Time{d("2024-05-02"), d("2024-06-01")}, Target: &Target{Kind: TargetConversion, HorizonDays: 30}, Outcomes: o, OutcomesKnown: d("2024-08-01")},
		"cutoffs": {Cutoffs: c},
	} {
		cfg.Events = Source{Path: events}
		_, err := Build(context.Background(), cfg)
		var se *SchemaError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), `of an entity with events: the file has ids such as "e00", the events such as "E00"; ids compare exactly, and these differ in case`) {
			t.Errorf("%s: %v, want a SchemaError", name, err)
		}
	}
	few := writeFile(t, "few.csv", "entity_id,ts,type\nnew1,2024-05-01,rfq\n")
	if _, err := Build(context.Background(), Config{Events: Source{Path: few}, Profiles: profiles("half2.csv", ents.String()), AsOf: d("2024-06-01")}); err != nil {
		t.Errorf("one new lead: %v", err)
	}
}

// readDeals reads a deals file of text as outcomes and as cutoffs.
func readDeals(t *testing.T, text string) (*Outcomes, *Cutoffs) {
	t.Helper()
	path := writeFile(t, "deals.csv", text)
	o, err := ReadOutcomes(context.Background(), Source{Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ReadCutoffs(context.Background(), Source{Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return o, c
}

// planTable builds cfg's as-of table through an EntityPlan, one worker.
func planTable(t *testing.T, cfg Config) (*Table, error) {
	t.Helper()
	p, err := NewEntityPlan(cfg)
	if err != nil {
		return nil, err
	}
	er, err := OpenEvents(context.Background(), cfg.Events, nil)
	if err != nil {
		return nil, err
	}
	defer er.Close()
	byID := map[string][]Record{}
	err = Stream(context.Background(), er, func(batch []Event) error {
		for i := range batch {
			if r, ok := p.Record(&batch[i]); ok {
				byID[batch[i].EntityID] = append(byID[batch[i].EntityID], r)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var total Counts
	for _, id := range sortedKeys(byID) {
		c, err := p.Count(id, byID[id])
		if err != nil {
			return nil, err
		}
		total = MergeCounts(total, c)
	}
	final, err := NewEntityPlan(cfg)
	if err != nil {
		return nil, err
	}
	if err := final.Resolve(context.Background(), total); err != nil {
		return nil, err
	}
	var rows []EntityRow
	for _, id := range sortedKeys(byID) {
		row, ok, err := final.Row(id, byID[id])
		if err != nil {
			return nil, err
		}
		if ok {
			rows = append(rows, row)
		}
	}
	return final.Table(rows)
}

// Events that all fall on or after the last moment leave every row
// without activity: a date typed a year early, not a CRM.
func TestEventsAfterEveryMoment(t *testing.T) {
	events := writeFile(t, "events.csv", "entity_id,ts,type\nA,2024-05-01,rfq\nB,2024-03-01 08:00:00,visit\nA,2024-06-01,visit\n")
	o, c := readDeals(t, "entity_id,ts,won,closed_at\nA,2023-05-10,true,2023-05-20\nB,2023-06-10,false,2023-07-01\n")
	for _, tt := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"as-of", Config{AsOf: d("2024-03-01 08:00:00")}, "every one of the 3 events falls on or after the as-of date, 2024-03-01T08:00:00Z (the earliest on 2024-03-01T08:00:00Z)"},
		{"snapshots", Config{Snapshots: []time.Time{d("2023-01-01"), d("2023-02-01")}, Target: &Target{Kind: TargetConversion, HorizonDays: 30}, Outcomes: o, OutcomesKnown: d("2024-08-01")},
			"falls on or after the last snapshot date, 2023-02-01T00:00:00Z"},
		{"cutoffs", Config{Cutoffs: c}, "falls on or after the latest cutoff, 2023-06-10T00:00:00Z"},
	} {
		tt.cfg.Events = Source{Path: events}
		_, err := Build(context.Background(), tt.cfg)
		var se *SchemaError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want a SchemaError with %q", tt.name, err, tt.want)
		}
	}
	// One event before the date is a table, if a thin one.
	if tb := build(t, "entity_id,ts,type\nA,2024-05-01,rfq\nB,2024-02-29,visit\n", Config{AsOf: d("2024-03-01")}); tb.NumRows() != 1 {
		t.Errorf("one event before the date: %d rows, want 1", tb.NumRows())
	}
	// No event at all is an empty table, as for a CRM not yet in use.
	if tb := build(t, "entity_id,ts,type\n", Config{AsOf: d("2024-03-01")}); tb.NumRows() != 0 {
		t.Errorf("no events: %d rows", tb.NumRows())
	}
}

// TestIDHint: why a file's ids join none of the events'.
func TestIDHint(t *testing.T) {
	for _, tt := range []struct {
		ids, others []string
		want        string
	}{
		{[]string{"e01"}, []string{"E01"}, "differ in case"},
		{[]string{"123.0", "77.0"}, []string{"00123"}, "one number written two ways"},
		{[]string{"0042"}, []string{"42"}, "one number written two ways"},
		{[]string{"L01"}, []string{"E01"}, "is entity_id mapped to the column of the ids the events use --x?"},
		{[]string{"1.5"}, []string{"15"}, "is entity_id mapped"},
	} {
		if got := idHint(tt.ids, tt.others, " --x"); !strings.Contains(got, tt.want) {
			t.Errorf("idHint(%q, %q) = %q, want %q", tt.ids, tt.others, got, tt.want)
		}
	}
}

// TestEntityDates: an entities column of dates (a contact's Create Date,
// in any pattern a flat table's may be, NA for none) is a time column of
// the entities and of the feature table, missing for an entity without a
// row or a date; dates that read day-first and month-first stay text with
// a note naming --entities-time-format, which settles them.
func TestEntityDates(t *testing.T) {
	ctx := context.Background()
	ent := writeFile(t, "ent.csv", "entity_id,Create Date,Closed,industry\na,05.01.2024 10:00,03/04/2024,retail\nb,NA,04/03/2024,\nc,20.11.2023 08:30,,software\n")
	p, err := ReadProfiles(ctx, Source{Path: ent}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cd, closed := p.Column("Create Date"), p.Column("Closed")
	if cd == nil || cd.Kind != KindTime || !cd.Time[0].Equal(time.Date(2024, 1, 5, 10, 0, 0, 0, time.UTC)) || !cd.IsNull(1) ||
		!cd.Time[2].Equal(time.Date(2023, 11, 20, 8, 30, 0, 0, time.UTC)) {
		t.Fatalf("Create Date %+v", cd)
	}
	if closed == nil || closed.Kind != KindString || len(p.Notes) != 1 || !strings.Contains(p.Notes[0], `column "Closed" is kept as text`) ||
		!strings.Contains(p.Notes[0], "--entities-time-format") {
		t.Errorf("Closed %+v, notes %q", closed, p.Notes)
	}
	p, err = ReadProfiles(ctx, Source{Path: ent, Times: map[string]string{"Closed": "dd/mm/yyyy"}}, nil)
	if c := p.Column("Closed"); err != nil || c.Kind != KindTime || c.Time[0].Month() != time.April || len(p.Notes) != 0 {
		t.Errorf("Closed with its format: %+v, %v, notes %q", c, err, p.Notes)
	}
	tb := build(t, "entity_id,ts,type\na,2024-02-01,page_view\nc,2024-02-03,page_view\nd,2024-02-04,page_view\n", Config{AsOf: asOf, Profiles: p})
	c := tb.Column("Create Date")
	if c == nil || c.Kind != KindTime || tb.NumRows() != 3 || !c.Time[0].Equal(cd.Time[0]) || !c.Time[1].Equal(cd.Time[2]) || !c.IsNull(2) {
		t.Errorf("the feature table's Create Date: %+v", c)
	}
	var buf bytes.Buffer
	if err := tb.WriteParquet(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadParquetTable(ctx, bytes.NewReader(buf.Bytes()), "f.parquet")
	if err != nil || back.Column("Create Date").Kind != KindTime || !back.Column("Create Date").Time[1].Equal(cd.Time[2]) {
		t.Errorf("read back: %v", err)
	}
}

// TestPhaseLog checks that a debug log tells each phase of a build, in
// order, with what it counted, and that an info log tells none of them.
func TestPhaseLog(t *testing.T) {
	events := writeFile(t, "events.csv", `entity_id,ts,type,value
a,2024-06-01,rfq,
b,2024-06-02,order,10
a,2024-06-03,order,5
c,2024-08-01,rfq,
`)
	type record struct {
		Msg      string
		RowsRead int `json:"rows_read"`
		Entities int
		Rows     int
	}
	run := func(level slog.Level, parquet bool) []record {
		var buf bytes.Buffer
		cfg := Config{Events: Source{Path: events}, AsOf: asOf, Logger: slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: level}))}
		var err error
		if parquet {
			_, _, err = BuildParquet(context.Background(), cfg, io.Discard, nil)
		} else {
			_, err = Build(context.Background(), cfg)
		}
		if err != nil {
			t.Fatal(err)
		}
		var out []record
		for line := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
			var r record
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			out = append(out, r)
		}
		return out
	}
	for _, parquet := range []bool{false, true} {
		last := record{Msg: "rows computed", Rows: 2}
		if parquet {
			last.Msg = "rows computed and written"
		}
		want := []record{{Msg: "events read", RowsRead: 4}, {Msg: "events grouped by entity", Entities: 2}, {Msg: "rows placed", Rows: 2}, last}
		got := run(slog.LevelDebug, parquet)
		if len(got) != len(want)+1 || !slices.Equal(got[:len(want)], want) || got[len(want)].Msg != "features built" {
			t.Errorf("parquet %v: debug log %+v, want %+v then features built", parquet, got, want)
		}
		if got := run(slog.LevelInfo, parquet); len(got) != 1 || got[0].Msg != "features built" {
			t.Errorf("parquet %v: info log %+v, want features built alone", parquet, got)
		}
	}
}

package features

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"leadscore/datasets"
)

func sampleFile(t *testing.T, name string) string {
	t.Helper()
	b, err := fs.ReadFile(datasets.Sample(), name)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestExplainMatchesBuild checks that the ledger's totals equal the feature
// table's rule columns on the embedded sample, entity by entity.
func TestExplainMatchesBuild(t *testing.T) {
	ctx := context.Background()
	events := Source{Path: sampleFile(t, "events.parquet")}
	prof, err := ReadProfiles(ctx, Source{Path: sampleFile(t, "entities.parquet")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rules := DefaultRules()
	at := datasets.SampleEnd.AddDate(0, -2, -3)
	tb, err := Build(ctx, Config{Events: events, Profiles: prof, AsOf: at, Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	ids := tb.Column("entity_id").Str
	var sawExpired bool
	for row := 0; row < len(ids); row += 97 {
		x, err := Explain(ctx, ExplainConfig{Events: events, Profiles: prof, Rules: rules, EntityID: ids[row], AsOf: at})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := x.Points.Total, tb.Column("rule_points").Float[row]; got != want {
			t.Errorf("%s: explain total %v, feature table %v", ids[row], got, want)
		}
		for g, grp := range rules.Groups {
			if got, want := x.Points.Groups[g], tb.Column("rule_points_" + grp.Name).Float[row]; got != want {
				t.Errorf("%s: explain %s %v, feature table %v", ids[row], grp.Name, got, want)
			}
		}
		var active []Award
		for _, a := range x.Entries {
			if a.Active {
				a.Why = ""
				active = append(active, a)
			}
			sawExpired = sawExpired || strings.HasPrefix(a.Why, "expired")
		}
		if got, want := AwardsJSON(active), tb.Column("rule_awards").Str[row]; got != want {
			t.Errorf("%s: explain awards %s, feature table %s", ids[row], got, want)
		}
	}
	if !sawExpired {
		t.Error("the sampled ledgers had no expired award")
	}
}

func TestExplainReasons(t *testing.T) {
	rs := parseRules(t, `version: 1
groups: [{name: g}]
rules:
  - {name: nl, group: g, points: 5, event: {type: newsletter_signup}, valid_for: 1 year, repeat: once}
  - {name: wb, group: g, points: 3, event: {type: webinar}, valid_for: 1 month, repeat: {once_per: 1 month}}
  - {name: quiet, group: g, points: -10, inactive: {type: order, for: 6 months, only_if_seen: true}, valid_for: 3 months}
  - {name: paid, group: g, points: 2, event: {type: webinar, where: [{field: channel, op: "=", value: paid}]}, valid_for: 1 month}
  - {name: big, group: g, points: 4, attribute: [{field: employes, op: ">", value: 50}]}
`)
	p := writeFile(t, "e.csv", "entity_id,ts,type\na,2024-01-01,newsletter_signup\na,2024-03-01,newsletter_signup\n"+
		"a,2024-05-01,webinar\na,2024-05-10,webinar\nb,2024-05-10,webinar\n")
	prof := &Profiles{IDs: []string{"a"}, index: map[string]int{"a": 0}, Columns: []Column{{Name: "employees", Kind: KindFloat, Float: []float64{60}}}}
	x, err := Explain(context.Background(), ExplainConfig{Events: Source{Path: p}, Profiles: prof, Rules: rs, EntityID: "a", AsOf: d("2024-05-20")})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"counted: valid until 2025-01-01",
		"not granted: once per entity, awarded on 2024-01-01",
		"counted: valid until 2024-06-01",
		"not granted: within 1 month of the award on 2024-05-01",
		"not applicable: no order before the as-of date",
		`never matches: the events have no column "channel"`,
		"does not hold: employes is no column of the entities file",
	}
	if len(x.Entries) != len(want) {
		t.Fatalf("%d entries, want %d: %+v", len(x.Entries), len(want), x.Entries)
	}
	for i, w := range want {
		if x.Entries[i].Why != w {
			t.Errorf("entry %d: %q, want %q", i, x.Entries[i].Why, w)
		}
	}
	if x.Points.Total != 8 || x.Events != 4 {
		t.Errorf("total %v from %d events, want 8 from 4", x.Points.Total, x.Events)
	}
}

// TestRenameTypes: an events file that spells its types several ways,
// read with RenameTypes, gives the table (and the ledgers) of the file
// that spells each one way, on every reader: Parquet's column and event
// paths, CSV.
func TestRenameTypes(t *testing.T) {
	ctx := context.Background()
	orig, ev := sampleEvents(t)
	spell := map[string][]string{"page_view": {"Page View", "page view", "page_view"}, "email_open": {"E-Mail geöffnet"},
		"rfq": {"Request for Quote", "RFQ"}, "order": {"Order", "order"}} // rfq and order: the rules' types
	rename := map[string]string{}
	for to, froms := range spell {
		for _, from := range froms {
			rename[from] = to
		}
	}
	types := ev.Column("type").Str
	renamed := 0
	for i, typ := range types {
		if s := spell[typ]; s != nil {
			types[i] = s[i%len(s)]
			renamed++
		}
	}
	if renamed == 0 {
		t.Fatal("the sample has no page_view or email_open event")
	}
	dir := t.TempDir()
	var pq bytes.Buffer
	if err := ev.WriteParquet(&pq); err != nil {
		t.Fatal(err)
	}
	var csv bytes.Buffer
	if err := ev.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	rules := DefaultRules()
	at := datasets.SampleEnd.AddDate(0, -1, 0)
	want, err := Build(ctx, Config{Events: orig, AsOf: at, Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"spelt.parquet": pq.Bytes(), "spelt.csv": csv.Bytes()} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, data, 0o644)
		if _, err := Build(ctx, Config{Events: Source{Path: path}, AsOf: at}); err == nil || !strings.Contains(err.Error(), `event types "Order", "order" all make columns named order_…`) {
			t.Errorf("%s without RenameTypes: %v", name, err)
		}
		src := Source{Path: path, RenameTypes: rename}
		for _, withRules := range []*RuleSet{nil, rules} { // rules read events whole
			got, err := Build(ctx, Config{Events: src, AsOf: at, Rules: withRules})
			if err != nil {
				t.Fatal(err)
			}
			w := want
			if withRules == nil {
				if w, err = Build(ctx, Config{Events: orig, AsOf: at}); err != nil {
					t.Fatal(err)
				}
			}
			if err := sameTable(got, w); err != nil {
				t.Errorf("%s (rules %v): %v", name, withRules != nil, err)
			}
		}
		sameLedgers(t, name, src, orig, rules, want.Column("entity_id").Str, 5, at)
	}
	// Events read whole from columns (a file without properties).
	var bare Table
	for _, name := range []string{"entity_id", "ts", "type", "value"} {
		bare.Columns = append(bare.Columns, *ev.Column(name))
	}
	pq.Reset()
	if err := bare.WriteParquet(&pq); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "bare.parquet")
	os.WriteFile(path, pq.Bytes(), 0o644)
	er, err := OpenEvents(ctx, Source{Path: path, RenameTypes: rename}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer er.Close()
	n := 0
	err = Stream(ctx, er, func(events []Event) error {
		for _, e := range events {
			if e.Type != rename[e.Type] && rename[e.Type] != "" {
				return fmt.Errorf("an event of type %q", e.Type)
			}
			n++
		}
		return nil
	})
	if err != nil || n != len(types) {
		t.Errorf("bare.parquet: %d of %d events, %v", n, len(types), err)
	}
	for _, bad := range []map[string]string{{"Page View": ""}, {"": "page_view"}, {"Page View": "page view", "page view": "page_view"}} {
		if err := CheckRenameTypes(bad); err == nil {
			t.Errorf("CheckRenameTypes(%q) = nil", bad)
		}
	}
	if err := CheckRenameTypes(map[string]string{"page_view": "page_view", "Page View": "page_view"}); err != nil {
		t.Errorf("a type read as itself: %v", err)
	}
}

// TestPartitionedEvents: events as Spark writes them partitioned by
// type (events/type=page_view/part-0.parquet, the column in the folder's
// name, not the files) give the table and the ledgers of one file, in
// Parquet and CSV; the folder's value is unescaped as Hive escapes it and
// renamed as any type. A partition of nulls is an error naming its file.
func TestPartitionedEvents(t *testing.T) {
	ctx := context.Background()
	orig, ev := sampleEvents(t)
	byType := map[string][]int{}
	for i, typ := range ev.Column("type").Str {
		byType[typ] = append(byType[typ], i)
	}
	var rest []Column // every column but type
	for _, c := range ev.Columns {
		if c.Name != "type" {
			rest = append(rest, c)
		}
	}
	rules := DefaultRules()
	at := datasets.SampleEnd.AddDate(0, -1, 0)
	want, err := Build(ctx, Config{Events: orig, AsOf: at, Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{"parquet", "csv"} {
		root := filepath.Join(t.TempDir(), "events."+ext)
		for typ, rows := range byType {
			folder := "type=" + typ
			if typ == "page_view" {
				folder = "type=Page%20View" // Hive's escape of "Page View"
			}
			writePart(t, filepath.Join(root, folder), ext, rest, rows)
		}
		src := Source{Path: root, RenameTypes: map[string]string{"Page View": "page_view"}}
		got, err := Build(ctx, Config{Events: src, AsOf: at, Rules: rules})
		if err != nil {
			t.Fatal(err)
		}
		if err := sameTable(got, want); err != nil {
			t.Errorf("partitioned %s: %v", ext, err)
		}
		sameLedgers(t, "partitioned "+ext, src, orig, rules, want.Column("entity_id").Str, 3, at)
		nulls := filepath.Join(root, "type=__HIVE_DEFAULT_PARTITION__")
		os.MkdirAll(nulls, 0o755)
		data, _ := os.ReadFile(filepath.Join(root, "type=order", "part-00000."+ext))
		os.WriteFile(filepath.Join(nulls, "part-00000."+ext), data, 0o644)
		var se *SchemaError
		if _, err := Build(ctx, Config{Events: src, AsOf: at}); !errors.As(err, &se) || !strings.Contains(err.Error(), "__HIVE_DEFAULT_PARTITION__") || !strings.Contains(err.Error(), "no type") {
			t.Errorf("a partition of nulls: %v", err)
		}
	}
	if pc := partitionFields(Source{Path: filepath.Join("a", "Type=x", "dt=2024-01-01", "p.csv")}, nil, func(string) bool { return false }); pc.typ != "x" || !pc.typed {
		t.Errorf("partitionFields = %+v", pc)
	}
}

// TestPartitionedEventColumns: events Spark wrote partitioned by channel
// and a property (channel=web/justified=false/part-00000.parquet, no
// such columns in the files) give those columns from the folders' names
// to a derived type on the channel and the default rule on justified: the
// table, with and without --dedupe, and the ledgers of the one file, in
// Parquet and CSV. A partition of nulls is an empty channel, no
// property.
func TestPartitionedEventColumns(t *testing.T) {
	ctx := context.Background()
	orig, ev := sampleEvents(t)
	part := func(name string, i int) string {
		if v := ev.Column(name).Str[i]; v != "" {
			return url.PathEscape(v)
		}
		return "__HIVE_DEFAULT_PARTITION__"
	}
	byFolder := map[string][]int{}
	for i := range ev.NumRows() {
		folder := filepath.Join("channel="+part("channel", i), "justified="+part("justified", i))
		byFolder[folder] = append(byFolder[folder], i)
	}
	var rest []Column
	for _, c := range ev.Columns {
		if c.Name != "channel" && c.Name != "justified" {
			rest = append(rest, c)
		}
	}
	spec := Spec{Derived: []DerivedType{{Name: "paid_visit", Type: "page_view", Where: map[string][]string{"channel": {"paid_search"}}}}}
	rules := DefaultRules()
	at := datasets.SampleEnd.AddDate(0, -1, 0)
	for _, dedupe := range []bool{false, true} {
		want, err := Build(ctx, Config{Events: orig, AsOf: at, Rules: rules, Spec: spec, Dedupe: dedupe})
		if err != nil {
			t.Fatal(err)
		}
		if c := want.Column("paid_visit_count_365d"); c == nil || slices.Max(c.Float) == 0 {
			t.Fatal("no paid visits in the sample")
		}
		for _, ext := range []string{"parquet", "csv"} {
			root := filepath.Join(t.TempDir(), "events."+ext)
			for folder, rows := range byFolder {
				writePart(t, filepath.Join(root, folder), ext, rest, rows)
			}
			src := Source{Path: root}
			got, err := Build(ctx, Config{Events: src, AsOf: at, Rules: rules, Spec: spec, Dedupe: dedupe})
			if err != nil {
				t.Fatalf("%s, dedupe %v: %v", ext, dedupe, err)
			}
			if err := sameTable(got, want); err != nil {
				t.Errorf("partitioned %s, dedupe %v: %v", ext, dedupe, err)
			}
			if !dedupe {
				sameLedgers(t, "partitioned "+ext, src, orig, rules, want.Column("entity_id").Str, 3, at)
			}
		}
	}
	src := Source{Path: filepath.Join("a", "Channel=x", "type=y", "dt=2024-01-01", "entity_id=z", "p.csv")}
	pc := partitionFields(src, []string{"entity_id", "ts", "dt"}, func(string) bool { return true })
	if pc.channelName != "Channel" || pc.channel != "x" || pc.typ != "y" || !pc.typed || len(pc.props) != 0 {
		t.Errorf("partitionFields = %+v", pc)
	}
}

// sampleEvents returns the embedded sample's events file and its table.
// writePart writes the rows of columns cols as dir/part-00000.ext, Parquet
// or CSV, as Spark writes a partition of a table.
func writePart(t *testing.T, dir, ext string, cols []Column, rows []int) {
	t.Helper()
	var part Table
	for _, c := range cols {
		part.Columns = append(part.Columns, c.pick(rows))
	}
	var buf bytes.Buffer
	write := part.WriteParquet
	if ext == "csv" {
		write = part.WriteCSV
	}
	if err := write(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "part-00000."+ext), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func sampleEvents(t *testing.T) (Source, *Table) {
	t.Helper()
	src := Source{Path: sampleFile(t, "events.parquet")}
	f, err := os.Open(src.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ev, err := ReadParquetTable(context.Background(), f, src.Path)
	if err != nil {
		t.Fatal(err)
	}
	return src, ev
}

// sameLedgers checks that n entities spread over ids have the same
// ledgers in events src as in want.
func sameLedgers(t *testing.T, name string, src, want Source, rules *RuleSet, ids []string, n int, at time.Time) {
	t.Helper()
	for row := 0; row < len(ids); row += len(ids) / n {
		x, err := Explain(context.Background(), ExplainConfig{Events: src, Rules: rules, EntityID: ids[row], AsOf: at})
		y, err2 := Explain(context.Background(), ExplainConfig{Events: want, Rules: rules, EntityID: ids[row], AsOf: at})
		if err != nil || err2 != nil || AwardsJSON(x.Entries) != AwardsJSON(y.Entries) {
			t.Errorf("%s: the ledger of %s: %v, %v", name, ids[row], err, err2)
		}
	}
}

// TestPartitionedEntities: an entities table Spark wrote partitioned by
// two of its columns (industry=retail/country=PL/part-00000.parquet, no
// such columns in the files) gives the rows those columns from the
// folders' names, as the same table with those columns last, in Parquet
// and CSV, named by its folder or a pattern: the same feature table and
// rule points. A null partition is a missing value; a value is unescaped.
func TestPartitionedEntities(t *testing.T) {
	ctx := context.Background()
	events, _ := sampleEvents(t)
	f, err := os.Open(sampleFile(t, "entities.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	ent, err := ReadParquetTable(ctx, f, f.Name())
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"industry", "country"}
	var want, rest Table // the columns but the keys, then (want) the keys
	for _, c := range ent.Columns {
		if !slices.Contains(keys, c.Name) {
			rest.Columns = append(rest.Columns, c)
		}
	}
	want.Columns = append(slices.Clone(rest.Columns), *ent.Column("industry"), *ent.Column("country"))
	// A value Hive escapes, for one industry.
	ind := want.Column("industry").Str
	for i, v := range ind {
		if v == "retail" {
			ind[i] = "retail & e/commerce"
		}
	}
	folder := func(v string) string {
		if v == "" {
			return "__HIVE_DEFAULT_PARTITION__"
		}
		return strings.NewReplacer("/", "%2F", "&", "%26", " ", "%20").Replace(v)
	}
	rows := map[string][]int{}
	for i := range ind {
		dir := filepath.Join("industry="+folder(ind[i]), "country="+folder(want.Column("country").Str[i]))
		rows[dir] = append(rows[dir], i)
	}
	at := datasets.SampleEnd.AddDate(0, -1, 0)
	rules := DefaultRules()
	build := func(src Source) *Table {
		t.Helper()
		prof, err := ReadProfiles(ctx, src, nil)
		if err != nil {
			t.Fatal(err)
		}
		tb, err := Build(ctx, Config{Events: events, AsOf: at, Rules: rules, Profiles: prof})
		if err != nil {
			t.Fatal(err)
		}
		return tb
	}
	wantPath := filepath.Join(t.TempDir(), "entities.parquet")
	var buf bytes.Buffer
	if err := want.WriteParquet(&buf); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(wantPath, buf.Bytes(), 0o644)
	wantTable := build(Source{Path: wantPath})
	if wantTable.Column("industry") == nil || wantTable.Column("rule_points") == nil {
		t.Fatal("the feature table has no industry or rule points")
	}
	for _, ext := range []string{"parquet", "csv"} {
		root := filepath.Join(t.TempDir(), "entities."+ext)
		for dir, picked := range rows {
			writePart(t, filepath.Join(root, dir), ext, rest.Columns, picked)
		}
		for _, path := range []string{root, filepath.Join(root, "industry=*", "*", "part-*."+ext)} {
			if err := sameTable(build(Source{Path: path}), wantTable); err != nil {
				t.Errorf("%s: %v", path, err)
			}
		}
	}
	// A column the files hold is theirs, whatever a folder says.
	if names, values := partitionColumns("/d", "/d/Country=XX/industry=a%20b/p.csv", []string{"entity_id", "country"}); !slices.Equal(names, []string{"industry"}) || !slices.Equal(values, []string{"a b"}) {
		t.Errorf("partitionColumns = %v, %v", names, values)
	}
	if names, _ := partitionColumns("", "/d/industry=a/p.csv", nil); names != nil {
		t.Errorf("a single file's folders are no partitions: %v", names)
	}
}

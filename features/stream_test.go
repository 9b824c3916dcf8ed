package features

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// streamCases are a table's configuration in each mode, with rules,
// attributes and entities whose rows fall in several batches.
func streamCases(t *testing.T) map[string]Config {
	t.Helper()
	r := rand.New(rand.NewPCG(5, 6))
	types := []string{"page_view", "order", "rfq", "email_open", "complaint"}
	var ev, ent, cut, deals strings.Builder
	ev.WriteString("entity_id,ts,type,value,justified\n")
	ent.WriteString("entity_id,industry,employees\n")
	cut.WriteString("entity_id,ts,deal\n")
	deals.WriteString("entity_id,ts,won,closed_at\n")
	start := asOf.AddDate(-1, 0, 0)
	for e := range 60 {
		id := fmt.Sprintf("E%02d", e)
		for range r.IntN(30) {
			ts := start.Add(time.Duration(r.Int64N(int64(420 * 24 * time.Hour))))
			typ := types[r.IntN(len(types))]
			v, just := "", ""
			if typ == "order" {
				v = fmt.Sprint(r.IntN(5000))
			}
			if typ == "complaint" {
				just = "true"
			}
			fmt.Fprintf(&ev, "%s,%s,%s,%s,%s\n", id, ts.Format(time.RFC3339), typ, v, just)
		}
		if e%3 != 0 {
			fmt.Fprintf(&ent, "%s,%s,%d\n", id, []string{"retail", "", "energy"}[e%3], e*10)
		}
		if e%4 == 0 {
			opened := start.AddDate(0, 2+e%9, e%20)
			fmt.Fprintf(&deals, "%s,%s,%t,%s\n", id, opened.Format(time.DateOnly), e%8 == 0, opened.AddDate(0, 1, 0).Format(time.DateOnly))
		}
	}
	// Cutoffs out of time order, an entity's several apart, some before
	// any event and some of entities without events.
	for k := range 150 {
		id := fmt.Sprintf("E%02d", r.IntN(66))
		ts := start.Add(time.Duration(r.Int64N(int64(400 * 24 * time.Hour))))
		fmt.Fprintf(&cut, "%s,%s,D%d\n", id, ts.Format(time.RFC3339), k%5)
	}
	ctx := context.Background()
	events := Source{Path: writeFile(t, "events.csv", ev.String())}
	prof, err := ReadProfiles(ctx, Source{Path: writeFile(t, "entities.csv", ent.String())}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cutoffs, err := ReadCutoffs(ctx, Source{Path: writeFile(t, "cut.csv", cut.String())}, nil)
	if err != nil {
		t.Fatal(err)
	}
	o, err := ReadOutcomes(ctx, Source{Path: writeFile(t, "deals.csv", deals.String())}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dates, err := SnapshotDates("monthly", start.AddDate(0, 1, 0), asOf.AddDate(0, 2, 0), 30)
	if err != nil {
		t.Fatal(err)
	}
	spec := Spec{Aggregations: []string{"count", "sum", "mean", "max", "distinct_days", "days_since", "trend"}}
	return map[string]Config{
		"as-of":     {Events: events, AsOf: asOf, Profiles: prof, AllEntities: true, Rules: DefaultRules(), Spec: spec},
		"cutoffs":   {Events: events, Cutoffs: cutoffs, Profiles: prof, Rules: DefaultRules(), Spec: spec},
		"snapshots": {Events: events, Snapshots: dates, Target: &Target{Kind: TargetConversion, HorizonDays: 30}, Outcomes: o, OutcomesKnown: asOf.AddDate(0, 3, 0), Profiles: prof, Rules: DefaultRules()},
	}
}

// TestSnapshotsMatchCutoffs checks the snapshot table against cutoff rows
// at the same contacts and dates: every feature and rule column equal, as
// text.
func TestSnapshotsMatchCutoffs(t *testing.T) {
	cfg := streamCases(t)["snapshots"]
	snap, err := Build(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	cut := &Cutoffs{IDs: snap.Column("entity_id").Str, TS: snap.Column("ts").Time}
	ct, err := Build(context.Background(), Config{Events: cfg.Events, Cutoffs: cut, Profiles: cfg.Profiles, Rules: cfg.Rules})
	if err != nil {
		t.Fatal(err)
	}
	compared := 0
	for _, col := range ct.Columns {
		sc := snap.Column(col.Name)
		if sc == nil {
			continue
		}
		compared++
		for i := range snap.NumRows() {
			if got, want := sc.Text(i), col.Text(i); got != want {
				t.Fatalf("row %d (%s at %s) %s: snapshot %q, cutoff %q", i, cut.IDs[i], cut.TS[i].Format(time.DateOnly), col.Name, got, want)
			}
		}
	}
	if compared < 50 || snap.NumRows() < 50 {
		t.Fatalf("%d columns of %d rows compared", compared, snap.NumRows())
	}
}

// TestRowBatches: rows computed a few at a time, entities resuming from
// one batch to the next (or starting over when their moments go back) and
// their records gathered into id order (many visits per entity), equal
// those computed at once, bit for bit.
func TestRowBatches(t *testing.T) {
	for name, cfg := range streamCases(t) {
		whole, err := Build(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if whole.NumRows() < 50 {
			t.Fatalf("%s: %d rows, too few to cut", name, whole.NumRows())
		}
		for _, size := range []int{1, 2, 7, 64} {
			if err := sameTable(buildInBatches(t, cfg, size), whole); err != nil {
				t.Fatalf("%s, batches of %d: %v", name, size, err)
			}
		}
	}
}

// buildInBatches builds cfg's table size rows at a time, each batch in the
// room of the one before, as BuildParquet's are.
func buildInBatches(t *testing.T, cfg Config, size int) *Table {
	t.Helper()
	b, err := prepare(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var got *Table
	var last *rowsOut
	room := func(n int) *rowsOut {
		if last == nil {
			return b.e.newRowsOut(b.l, n, false)
		}
		return last.reuse(n)
	}
	err = b.e.rowBatches(context.Background(), b.l, b.rows, size, room, func(lo int, rows []placed, out *rowsOut) error {
		bt := b.e.batchTable(lo, rows, out)
		if got == nil {
			got = bt.concat(Table{Columns: make([]Column, len(bt.Columns))})
		} else {
			got = got.concat(*bt)
		}
		last = out
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestOldPart: windows whose old part (the records only the widest window
// holds) is counted as the moments advance equal windows counted from
// scratch at every moment, bit for bit, in every mode and in batches that
// resume it. The values have cents and magnitudes far apart, so that a sum
// taken in another order than time order would differ in its last bits,
// and a third of the events fall at midnight, on the edges of the windows
// of midnight moments; derived types count into the old part too.
func TestOldPart(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	types := []string{"page_view", "order", "rfq", "discount"}
	var ev strings.Builder
	ev.WriteString("entity_id,ts,type,value,page\n")
	start := asOf.AddDate(-3, 0, 0)
	for e := range 40 {
		for range r.IntN(80) {
			ts := start.Add(time.Duration(r.Int64N(int64(3 * 365 * 24 * time.Hour))))
			if r.IntN(3) == 0 {
				ts = ts.Truncate(24 * time.Hour) // on a window's edge at midnight moments
			}
			typ := types[r.IntN(len(types))]
			v := ""
			if typ == "order" || typ == "discount" {
				v = fmt.Sprintf("%.2f", []float64{0.1, 1e6, 3.3e-3, 17}[r.IntN(4)]*(1+r.Float64()))
			}
			fmt.Fprintf(&ev, "E%02d,%s,%s,%s,%s\n", e, ts.Format(time.RFC3339), typ, v, []string{"pricing", "blog"}[r.IntN(2)])
		}
	}
	var cut strings.Builder
	cut.WriteString("entity_id,ts\n")
	for range 300 {
		ts := start.Add(time.Duration(r.Int64N(int64(3 * 365 * 24 * time.Hour))))
		fmt.Fprintf(&cut, "E%02d,%s\n", r.IntN(40), ts.Format(time.RFC3339))
	}
	ctx := context.Background()
	events := Source{Path: writeFile(t, "events.csv", ev.String())}
	cutoffs, err := ReadCutoffs(ctx, Source{Path: writeFile(t, "cut.csv", cut.String())}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dates, err := SnapshotDates("monthly", start.AddDate(0, 6, 0), asOf, 30)
	if err != nil {
		t.Fatal(err)
	}
	deals, err := ReadOutcomes(ctx, Source{Path: writeFile(t, "deals.csv", "entity_id,ts,won\nE03,2023-03-05,true\nE11,2023-09-20,false\n")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	target := &Target{Kind: TargetConversion, HorizonDays: 30}
	derived := []DerivedType{{Name: "pricing_visit", Type: "page_view", Where: map[string][]string{"page": {"pricing"}}},
		{Name: "pricing_order", Type: "order", Where: map[string][]string{"page": {"pricing"}}}}
	for _, windows := range [][]int{{7, 30, 90, 365}, {30, 120, 400}} {
		spec := Spec{WindowsDays: windows, Aggregations: []string{"count", "sum", "mean", "max", "days_since", "trend"}, Derived: derived}
		for mode, cfg := range map[string]Config{
			"as-of":     {Events: events, AsOf: asOf, Spec: spec},
			"cutoffs":   {Events: events, Cutoffs: cutoffs, Spec: spec},
			"snapshots": {Events: events, Snapshots: dates, Target: target, Outcomes: deals, OutcomesKnown: asOf, Spec: spec},
		} {
			name := fmt.Sprintf("%s, windows %v", mode, windows)
			b, err := prepare(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if a := newAcc(b.e, b.l); a.wide == 0 || !a.oldValues {
				t.Fatalf("%s: no old part (wide %d, values %v)", name, a.wide, a.oldValues)
			}
			windowsFromScratch = true
			want, err := Build(ctx, cfg)
			windowsFromScratch = false
			if err != nil {
				t.Fatal(err)
			}
			for _, size := range []int{1, 7, want.NumRows()} {
				if err := sameTable(buildInBatches(t, cfg, size), want); err != nil {
					t.Errorf("%s, batches of %d: %v", name, size, err)
				}
			}
		}
	}
}

// concat returns a new table with the rows of t, then those of u.
func (t *Table) concat(u Table) *Table {
	out := &Table{Meta: t.Meta, Columns: make([]Column, len(t.Columns))}
	for i := range t.Columns {
		a, b := &t.Columns[i], &u.Columns[i]
		out.Columns[i] = Column{Name: a.Name, Kind: a.Kind, Float: slices.Concat(a.Float, b.Float), Str: slices.Concat(a.Str, b.Str),
			Bool: slices.Concat(a.Bool, b.Bool), Time: slices.Concat(a.Time, b.Time)}
	}
	return out
}

// TestBuildParquet: the streamed file is the bytes WriteParquet writes
// of Build's table, with what stamp adds in its metadata.
func TestBuildParquet(t *testing.T) {
	for name, cfg := range streamCases(t) {
		tb, err := Build(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		tb.Meta["leadscore.test"] = "stamped"
		var want, got bytes.Buffer
		if err := tb.WriteParquet(&want); err != nil {
			t.Fatal(err)
		}
		rows, cols, err := BuildParquet(context.Background(), cfg, &got, func(meta map[string]string) error {
			meta["leadscore.test"] = "stamped"
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if rows != tb.NumRows() || cols != len(tb.Columns) {
			t.Errorf("%s: BuildParquet says %d rows × %d columns, the table has %d × %d", name, rows, cols, tb.NumRows(), len(tb.Columns))
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%s: streamed file (%d bytes) differs from the table's (%d bytes)", name, got.Len(), want.Len())
		}
	}
}

// TestParquetWriterPieces: a table written in pieces of whole row groups
// gives the bytes of the table written whole.
func TestParquetWriterPieces(t *testing.T) {
	n := 2*rowGroupRows + 1234
	tb := &Table{Meta: map[string]string{"k": "v"}, Columns: []Column{
		{Name: "entity_id", Kind: KindString, Str: make([]string, n)},
		{Name: "x", Kind: KindFloat, Float: make([]float64, n)},
		{Name: "ts", Kind: KindTime, Time: make([]time.Time, n)},
		{Name: "ok", Kind: KindBool, Bool: make([]bool, n)},
	}}
	for i := range n {
		tb.Columns[0].Str[i] = fmt.Sprintf("E%07d", i)
		tb.Columns[1].Float[i] = float64(i % 97)
		if i%13 == 0 {
			tb.Columns[1].Float[i] = math.NaN()
		}
		tb.Columns[2].Time[i] = asOf.Add(time.Duration(i) * time.Second)
		tb.Columns[3].Bool[i] = i%3 == 0
	}
	var want bytes.Buffer
	if err := tb.WriteParquet(&want); err != nil {
		t.Fatal(err)
	}
	for _, piece := range []int{rowGroupRows, 2 * rowGroupRows} {
		var got bytes.Buffer
		pw, err := newParquetWriter(&got, tb, func(c *Column) int { return c.textChunkBytes() })
		if err != nil {
			t.Fatal(err)
		}
		for lo := 0; lo < n; lo += piece {
			p := tb.slice(lo, min(lo+piece, n))
			if err := pw.write(&p); err != nil {
				t.Fatal(err)
			}
		}
		if err := pw.close(tb.Meta); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("pieces of %d rows: %d bytes, whole: %d bytes", piece, got.Len(), want.Len())
		}
	}
	// A short row group ends the file's rows: more would cut row groups
	// where the whole table does not.
	pw, err := newParquetWriter(io.Discard, tb, func(c *Column) int { return c.textChunkBytes() })
	if err != nil {
		t.Fatal(err)
	}
	first, rest := tb.slice(0, 1000), tb.slice(1000, n)
	if err := pw.write(&first); err != nil {
		t.Fatal(err)
	}
	if err := pw.write(&rest); err == nil {
		t.Error("rows after a short row group were taken")
	}
}

// failingWriter fails every write after the first limit bytes.
type failingWriter struct{ limit int }

var errDiskFull = errors.New("disk full")

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.limit {
		return 0, errDiskFull
	}
	f.limit -= len(p)
	return len(p), nil
}

// TestBuildParquetWriteError: a write that fails in the first row group
// stops the build with its error while later row groups are computed.
func TestBuildParquetWriteError(t *testing.T) {
	var ent strings.Builder
	ent.WriteString("entity_id,segment\n")
	for i := range rowGroupRows + rowGroupRows/2 {
		fmt.Fprintf(&ent, "P%07d,s%d\n", i, i%5)
	}
	ctx := context.Background()
	prof, err := ReadProfiles(ctx, Source{Path: writeFile(t, "entities.csv", ent.String())}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Events: Source{Path: writeFile(t, "events.csv", "entity_id,ts,type\nP0000001,2024-01-02,order\n")},
		AsOf: asOf, Profiles: prof, AllEntities: true}
	for _, limit := range []int{0, 100_000} {
		_, _, err := BuildParquet(ctx, cfg, &failingWriter{limit: limit}, nil)
		if !errors.Is(err, errDiskFull) {
			t.Errorf("a writer failing after %d bytes: %v, want %v", limit, err, errDiskFull)
		}
	}
}

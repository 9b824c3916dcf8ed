package features

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestEntityPlanMatchesBuild computes a table entity by entity, as a
// distributed engine would (records made by one plan, counts by three
// others, each over a share of the entities, merged in any order, rows
// by yet another), and finds it equal to Build's, bit for bit, metadata
// included: derived types, rules, duplicates dropped, types pooled into
// other, ties in time between types, events after the as-of date and
// profiles without events.
func TestEntityPlanMatchesBuild(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	types := []string{"page_view", "order", "rfq", "email_open", "discount", "webinar", "call"}
	var lines []string
	for e := range 200 {
		for range 1 + r.IntN(30) {
			ts := asOf.Add(-time.Duration(r.IntN(300*24)-24) * time.Hour) // a few after the as-of date
			typ := types[r.IntN(len(types))]
			v := ""
			if typ == "order" || typ == "discount" || typ == "webinar" {
				v = strconv.FormatFloat(float64(r.IntN(100000))/100, 'f', 2, 64)
			}
			page := []string{"home", "pricing", "blog"}[r.IntN(3)]
			line := fmt.Sprintf("E%03d,%s,%s,%s,%s", e, ts.Format(time.RFC3339), typ, v, page)
			lines = append(lines, line)
			if r.IntN(8) == 0 {
				lines = append(lines, line) // a duplicate
			}
			if r.IntN(8) == 0 { // another type at the same moment
				lines = append(lines, fmt.Sprintf("E%03d,%s,%s,%s,%s", e, ts.Format(time.RFC3339), types[r.IntN(len(types))], "1.5", page))
			}
		}
	}
	r.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	events := writeFile(t, "events.csv", "entity_id,ts,type,value,page\n"+strings.Join(lines, "\n")+"\n")
	var prof strings.Builder
	prof.WriteString("entity_id,industry\n")
	for e := range 230 { // 30 without events
		fmt.Fprintf(&prof, "E%03d,%s\n", e, []string{"retail", "", "software"}[e%3])
	}
	profiles, err := ReadProfiles(context.Background(), Source{Path: writeFile(t, "entities.csv", prof.String())}, nil)
	if err != nil {
		t.Fatal(err)
	}
	spec := Spec{TopTypes: 4, Aggregations: []string{"count", "sum", "mean", "max", "distinct_days", "days_since", "trend"},
		Derived: []DerivedType{{Name: "pricing_view", Type: "page_view", Where: map[string][]string{"page": {"pricing"}}}}}
	cfg := Config{Events: Source{Path: events}, AsOf: asOf, Spec: spec, Rules: DefaultRules(), Profiles: profiles, AllEntities: true, Dedupe: true}
	want, err := Build(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}

	plan := func() *EntityPlan {
		p, err := NewEntityPlan(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Read: records by entity.
	reader := plan()
	er, err := OpenEvents(context.Background(), cfg.Events, nil)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string][]Record{}
	err = Stream(context.Background(), er, func(batch []Event) error {
		for i := range batch {
			if rec, ok := reader.Record(&batch[i]); ok {
				byID[batch[i].EntityID] = append(byID[batch[i].EntityID], rec)
			}
		}
		return nil
	})
	er.Close()
	if err != nil {
		t.Fatal(err)
	}
	ids := sortedKeys(byID)
	r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	// Count on three workers; merge in another order.
	var parts []Counts
	for w := range 3 {
		p, total := plan(), Counts{}
		for k := w; k < len(ids); k += 3 {
			c, err := p.Count(ids[k], byID[ids[k]])
			if err != nil {
				t.Fatal(err)
			}
			total = MergeCounts(total, c)
		}
		parts = append(parts, total)
	}
	total := MergeCounts(parts[2], MergeCounts(parts[0], parts[1]))
	rowsPlan := plan()
	if err := rowsPlan.Resolve(context.Background(), total); err != nil {
		t.Fatal(err)
	}
	var rows []EntityRow
	for _, id := range ids {
		row, ok, err := rowsPlan.Row(id, byID[id])
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			rows = append(rows, row)
		}
	}
	final := plan()
	if err := final.Resolve(context.Background(), total); err != nil {
		t.Fatal(err)
	}
	got, err := final.Table(rows)
	if err != nil {
		t.Fatal(err)
	}

	if !slices.Equal(got.Names(), want.Names()) {
		t.Fatalf("columns %v, want %v", got.Names(), want.Names())
	}
	if got.NumRows() != want.NumRows() {
		t.Fatalf("%d rows, want %d", got.NumRows(), want.NumRows())
	}
	for c := range want.Columns {
		wc, gc := &want.Columns[c], &got.Columns[c]
		for i := range wc.Len() {
			if wc.Kind == KindFloat && math.Float64bits(wc.Float[i]) != math.Float64bits(gc.Float[i]) || wc.Text(i) != gc.Text(i) {
				t.Fatalf("%s row %d: %v, Build has %v", wc.Name, i, gc.Text(i), wc.Text(i))
			}
		}
	}
	for k, v := range want.Meta {
		if got.Meta[k] != v {
			t.Errorf("metadata %s: %q, Build has %q", k, got.Meta[k], v)
		}
	}
	if len(got.Meta) != len(want.Meta) {
		t.Errorf("metadata %v, Build has %v", got.Meta, want.Meta)
	}
	if want.Meta[MetaDuplicatesSkipped] == "0" || !strings.Contains(want.Meta[MetaSpec], "other") {
		t.Errorf("the data did not exercise duplicates and pooling: %v", want.Meta)
	}
}

// TestEntityPlanOrder: a plan refuses rows before its columns are known.
func TestEntityPlanOrder(t *testing.T) {
	p, err := NewEntityPlan(Config{Events: Source{Path: "events.csv"}, AsOf: asOf})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.Row("a", nil); err == nil {
		t.Error("Row before Resolve: no error")
	}
	if _, err := NewEntityPlan(Config{Events: Source{Path: "events.csv"}, Snapshots: []time.Time{asOf}}); err == nil {
		t.Error("a plan of snapshot rows: no error")
	}
}

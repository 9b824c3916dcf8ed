package predict

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"leadscore/features"
)

// tinyModel is p = σ(0.5 + 2·(x − 1)/2) on one numeric feature x.
func tinyModel(t *testing.T) *Model {
	t.Helper()
	m := &Model{Type: TypeLogistic, Label: "won",
		Features: []Feature{{Name: "x", Kind: Numeric, Impute: 1}},
		Design:   []DesignColumn{{Name: "x", Feature: 0, Role: RoleValue, Mean: 1, Scale: 2}},
		Logistic: &Logistic{Intercept: 0.5, Coef: []float64{2}, C: 1},
		Metrics:  Metrics{AUC: 0.8, AUCLow: 0.7, AUCHigh: 0.9}}
	if err := m.Finish(); err != nil {
		t.Fatal(err)
	}
	return m
}

func table(ids []string, x, rules []float64) *features.Table {
	t := &features.Table{Meta: map[string]string{features.MetaRulesMaxTotal: "100"}, Columns: []features.Column{
		{Name: "entity_id", Kind: features.KindString, Str: ids},
		{Name: "x", Kind: features.KindFloat, Float: x},
	}}
	if rules != nil {
		t.Columns = append(t.Columns, features.Column{Name: "rule_points", Kind: features.KindFloat, Float: rules})
	}
	return t
}

func TestScoreFormula(t *testing.T) {
	m := tinyModel(t)
	tb := table([]string{"c", "a", "b", "d"}, []float64{1, 3, math.NaN(), -5}, []float64{50, 150, -20, 0})
	ranked, sum, err := Score(context.Background(), m, tb, Config{})
	if err != nil {
		t.Fatal(err)
	}
	// Row by row: z = (x − 1)/2 (NaN imputed to 1), p = σ(0.5 + 2z),
	// score = round(100·clamp(0.7p + 0.3·clamp(r/100, −1, 1), 0, 1)): the
	// negative rule points of b lower its score.
	want := map[string]struct {
		p     float64
		score int32
		grade string
	}{
		"a": {sigmoid(2.5), int32(math.Round(100 * (0.7*sigmoid(2.5) + 0.3))), "A"},
		"c": {sigmoid(0.5), int32(math.Round(100 * (0.7*sigmoid(0.5) + 0.15))), "B"},
		"b": {sigmoid(0.5), int32(math.Round(100 * (0.7*sigmoid(0.5) - 0.06))), "C"},
		"d": {sigmoid(-5.5), int32(math.Round(100 * 0.7 * sigmoid(-5.5))), "D"},
	}
	order := []string{"a", "c", "b", "d"}
	for i, r := range ranked {
		w := want[r.EntityID]
		if r.EntityID != order[i] || r.Rank != int32(i+1) {
			t.Errorf("rank %d = %s, want %s", i+1, r.EntityID, order[i])
		}
		if math.Abs(r.Probability-w.p) > 1e-12 || r.Score != w.score || r.Grade != w.grade {
			t.Errorf("%s: p %v score %d grade %s, want p %v score %d grade %s", r.EntityID, r.Probability, r.Score, r.Grade, w.p, w.score, w.grade)
		}
	}
	if sum.PerGrade["A"] != 1 || sum.RulesOnly {
		t.Errorf("summary %+v", sum)
	}
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func TestScoreTiesByEntityID(t *testing.T) {
	ranked, _, err := Score(context.Background(), tinyModel(t), table([]string{"z", "b", "m"}, []float64{2, 2, 2}, nil), Config{})
	if err != nil {
		t.Fatal(err)
	}
	if ranked[0].EntityID != "b" || ranked[1].EntityID != "m" || ranked[2].EntityID != "z" {
		t.Errorf("order %s %s %s, want b m z", ranked[0].EntityID, ranked[1].EntityID, ranked[2].EntityID)
	}
}

// TestScoreCustomersOfNoLead: customers none of whom is a lead (ids
// written differently in the orders) are an error naming both; customers
// some of whom are leads fill their churn columns.
func TestScoreCustomersOfNoLead(t *testing.T) {
	ids := []string{"A0", "A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9"}
	tb := table(ids, make([]float64, len(ids)), nil)
	customers := map[string]Customer{}
	for _, id := range ids {
		customers[strings.ToLower(id)] = Customer{Segment: "Champions"}
	}
	_, _, err := Score(context.Background(), tinyModel(t), tb, Config{Customers: customers, CustomersFrom: "rfm.parquet"})
	var se *features.SchemaError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), `rfm.parquet: none of the 10 customers is a lead of the list: their ids are such as "a0", the leads' such as "A0"`) {
		t.Errorf("customers of no lead: %v", err)
	}
	customers["A3"] = Customer{Segment: "Lost"}
	ranked, _, err := Score(context.Background(), tinyModel(t), tb, Config{Customers: customers})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ranked {
		if (r.RFMSegment != nil) != (r.EntityID == "A3") {
			t.Errorf("%s: segment %v", r.EntityID, r.RFMSegment)
		}
	}
}

func TestScoreNoBetterThanChanceUsesRules(t *testing.T) {
	m := tinyModel(t)
	m.NoBetterThanChance = true
	ranked, sum, err := Score(context.Background(), m, table([]string{"a", "b"}, []float64{100, -100}, []float64{10, 80}), Config{})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.RulesOnly || ranked[0].EntityID != "b" || ranked[0].Score != 80 || ranked[1].Score != 10 {
		t.Errorf("rules-only ranking: %+v, summary %+v", ranked, sum)
	}
	if _, _, err := Score(context.Background(), m, table([]string{"a"}, []float64{1}, nil), Config{}); err == nil {
		t.Error("no better than chance and no rule points: want an error")
	}
}

func TestSchemaMismatch(t *testing.T) {
	m := tinyModel(t)
	tb := &features.Table{Columns: []features.Column{
		{Name: "entity_id", Kind: features.KindString, Str: []string{"a"}},
		{Name: "y", Kind: features.KindFloat, Float: []float64{1}},
	}}
	_, _, err := Score(context.Background(), m, tb, Config{})
	var se *SchemaError
	// The id is no column the model fails to use (it may be called
	// anything in the file).
	if !errors.As(err, &se) || len(se.Missing) != 1 || se.Missing[0] != "x" || !slices.Equal(se.Extra, []string{"y"}) {
		t.Fatalf("error = %#v, want missing [x], extra [y]", err)
	}
	tb.Columns[1] = features.Column{Name: "x", Kind: features.KindString, Str: []string{"high"}}
	if _, _, err := Score(context.Background(), m, tb, Config{}); !errors.As(err, &se) || len(se.WrongKind) != 1 {
		t.Fatalf("error = %v, want a wrong-kind *SchemaError", err)
	}
	// Numbers read as text (codes with leading zeros, which a model trained
	// on an older reading took as numbers) are the numbers they write.
	tb.Columns[1].Str = []string{"03"}
	asText, _, err := Score(context.Background(), m, tb, Config{})
	tb.Columns[1] = features.Column{Name: "x", Kind: features.KindFloat, Float: []float64{3}}
	asNumber, _, err2 := Score(context.Background(), m, tb, Config{})
	if err != nil || err2 != nil || asText[0].Probability != asNumber[0].Probability {
		t.Fatalf("x read as text %q: %+v, %v; as a number: %+v, %v", "03", asText, err, asNumber, err2)
	}
	tb.Columns[1] = features.Column{Name: "x", Kind: features.KindString, Str: []string{""}}
	// A column without a value, read as text (new leads nobody has filled
	// it in for), is missing values, scored as the model imputes them.
	ranked, _, err := Score(context.Background(), m, tb, Config{})
	if err != nil || len(ranked) != 1 || math.Abs(ranked[0].Probability-Sigmoid(0.5)) > 1e-12 {
		t.Fatalf("an empty column: %+v, %v; want x imputed", ranked, err)
	}
	// A date the model takes as its age before ts, empty on every row.
	m.Features[0].Name, m.Design[0].Name, m.Training.TimeColumn = "created_days_before_ts", "created_days_before_ts", "ts"
	tb = &features.Table{Columns: []features.Column{
		{Name: "entity_id", Kind: features.KindString, Str: []string{"a"}},
		{Name: "ts", Kind: features.KindTime, Time: []time.Time{time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)}},
		{Name: "created", Kind: features.KindString, Str: []string{""}}}}
	if ranked, _, err = Score(context.Background(), m, tb, Config{}); err != nil || len(ranked) != 1 || math.Abs(ranked[0].Probability-Sigmoid(0.5)) > 1e-12 {
		t.Errorf("an empty date column: %+v, %v; want its age imputed", ranked, err)
	}
}

func TestModelRoundTripAndTampering(t *testing.T) {
	m := tinyModel(t)
	var buf bytes.Buffer
	if err := m.Write(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := Read(bytes.NewReader(buf.Bytes()), "model.json")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != m.ID || got.Logistic.Coef[0] != 2 {
		t.Errorf("read back %+v", got)
	}
	tampered := []struct {
		name, from, to string
	}{
		{"extra coefficient", `"coef": [
      2
    ]`, `"coef": [2, 3]`},
		{"unknown field", `"label": "won"`, `"label": "won", "lable": "x"`},
		{"newer format", `"format_version": 1`, `"format_version": 2`},
		{"bad scale", `"scale": 2`, `"scale": 0`},
		{"unknown type", `"type": "logistic"`, `"type": "forest"`},
		{"truncated", `}`, ``},
	}
	for _, tt := range tampered {
		t.Run(tt.name, func(t *testing.T) {
			s := strings.Replace(buf.String(), tt.from, tt.to, 1)
			if s == buf.String() {
				t.Fatalf("edit %q did not apply", tt.from)
			}
			_, err := Read(strings.NewReader(s), "model.json")
			var me *ModelError
			if !errors.As(err, &me) {
				t.Errorf("error = %v, want a *ModelError", err)
			}
		})
	}
}

func TestWritersRoundTrip(t *testing.T) {
	dq, churn, pa, seg, clv, why := 0.75, true, 0.25, "At Risk", 120.5, "P(alive) low"
	rows := []Ranked{
		{Rank: 1, EntityID: "a", Score: 90, Grade: "A", Queue: "top-sellers", Owner: "Anna", Probability: 0.9, RulePoints: 40, RulePointsByGroup: `{"fit":20,"engagement":20}`, DataQuality: &dq, Reasons: `rfq 2× in the last 30 days (+0.42); "quoted", comma`,
			ChurnRisk: &churn, PAlive: &pa, RFMSegment: &seg, CLV: &clv, ChurnReason: &why, ModelID: "m", AsOf: "2025-01-01T00:00:00Z"},
		{Rank: 2, EntityID: "b", Score: 10, Grade: "D", Queue: "marketing-nurture", Probability: 0.1},
	}
	var pq bytes.Buffer
	if err := WriteParquet(&pq, rows, map[string]string{features.MetaModelID: "m"}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := ReadRankedParquet(bytes.NewReader(pq.Bytes()), int64(pq.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Reasons != rows[0].Reasons || *got[0].DataQuality != 0.75 || got[1].DataQuality != nil ||
		*got[0].RFMSegment != "At Risk" || *got[0].CLV != 120.5 || got[1].ChurnRisk != nil {
		t.Errorf("parquet round trip: %+v", got)
	}
	var csvBuf bytes.Buffer
	if err := WriteCSV(&csvBuf, rows, Summary{Rules: true, DataQuality: true, Customers: true, AsOf: "x"}); err != nil {
		t.Fatal(err)
	}
	// For people: fixed decimals, dates, groups in words.
	want := "rank,entity_id,score,grade,queue,owner,probability,rule_points,rule_points_by_group,data_quality,reasons,rule_awards,churn_risk,p_alive,rfm_segment,clv,churn_reason,model_id,as_of\r\n" +
		"1,a,90,A,top-sellers,Anna,0.9000,40,\"fit 20, engagement 20\",0.75,\"rfq 2× in the last 30 days (+0.42); \"\"quoted\"\", comma\",,true,0.2500,At Risk,120.50,P(alive) low,m,2025-01-01\r\n" +
		"2,b,10,D,marketing-nurture,,0.1000,0,,,,,,,,,,,\r\n"
	if csvBuf.String() != want {
		t.Errorf("CSV =\n%q\nwant\n%q", csvBuf.String(), want)
	}
	// A flat table's list has no rules, profiles, customers or date: those
	// columns are left out; kept columns come last, in both files.
	rows[0].Kept, rows[1].Kept = []string{"Web", "=cmd"}, []string{"", "x"}
	csvBuf.Reset()
	if err := WriteCSV(&csvBuf, rows, Summary{Kept: []string{"Lead Origin", "Company"}}); err != nil {
		t.Fatal(err)
	}
	if want := "rank,entity_id,score,grade,queue,owner,probability,reasons,model_id,Lead Origin,Company\r\n" +
		"1,a,90,A,top-sellers,Anna,0.9000,\"rfq 2× in the last 30 days (+0.42); \"\"quoted\"\", comma\",m,Web,'=cmd\r\n" +
		"2,b,10,D,marketing-nurture,,0.1000,,,,x\r\n"; csvBuf.String() != want {
		t.Errorf("flat CSV =\n%q\nwant\n%q", csvBuf.String(), want)
	}
	pq.Reset()
	if err := WriteParquet(&pq, rows, nil, []string{"Lead Origin", "Company"}); err != nil {
		t.Fatal(err)
	}
	at, err := features.ReadParquetTable(context.Background(), bytes.NewReader(pq.Bytes()), "ranked.parquet")
	if err != nil {
		t.Fatal(err)
	}
	if c := at.Column("Company"); c == nil || c.Str[0] != "=cmd" || at.Column("Lead Origin").IsNull(1) == false || at.Column("entity_id").Str[1] != "b" {
		t.Errorf("kept columns in Parquet: %v", at.Names())
	}
	if back, err := ReadRankedParquet(bytes.NewReader(pq.Bytes()), int64(pq.Len())); err != nil || len(back) != 2 || back[0].EntityID != "a" {
		t.Errorf("ranked.parquet with kept columns read back: %v", err)
	}
}

// TestDescribe words features from the descriptors Build records: no
// column name is parsed.
func TestDescribe(t *testing.T) {
	events := filepath.Join(t.TempDir(), "events.csv")
	os.WriteFile(events, []byte("entity_id,ts,type,value,page\na,2024-06-20,rfq,,\na,2024-06-10,order,12500,\na,2024-06-27 06:00,webinar,,\n"+
		"a,2024-06-28 12:00,page_view,,pricing\na,2024-06-01,page_view,,home\nb,2024-06-01,order,5,\n"), 0o644)
	spec := features.Spec{Derived: []features.DerivedType{{Name: "pricing_visit", Type: "page_view", Where: map[string][]string{"page": {"pricing"}},
		Phrase: "visited the pricing page", Noun: "pricing-page visit"}, {Name: "big_order", Type: "order", Where: map[string][]string{"page": {"x"}}}}}
	tb, err := features.Build(context.Background(), features.Config{Events: features.Source{Path: events}, AsOf: time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC), Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	desc, err := tb.Descriptors()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		row  int
		want string
	}{
		{"rfq_count_30d", 0, "sent requests for quotation once in the last 30 days"},
		{"rfq_count_7d", 0, "no requests for quotation in the last 7 days"},
		{"order_value_sum_90d", 0, "orders worth 12,500 in the last 90 days"},
		{"webinar_days_since_last", 0, "last webinar 3 days ago"},
		{"webinar_days_since_last", 1, "no webinar yet"},
		{"page_view_trend", 0, "page view activity rising (last 30 days vs the 30 before)"},
		{"events_count_90d", 0, "5 interactions in the last 90 days"},
		{"events_count_7d", 1, "no interactions in the last 7 days"},
		{"events_total", 1, "1 interaction in total"},
		{"pricing_visit_count_30d", 0, "visited the pricing page once in the last 30 days"},
		{"pricing_visit_days_since_last", 0, "last pricing-page visit 2 days ago"},
		{"big_order_count_7d", 0, "no big orders in the last 7 days"},
		{"active_days_90d", 0, "active on 5 days in the last 90 days"},
	}
	for _, tt := range tests {
		d, ok := desc[tt.name]
		if !ok {
			t.Fatalf("no descriptor for %s", tt.name)
		}
		if got := Describe(&Feature{Name: tt.name, Kind: Numeric, Desc: &d}, tb.Column(tt.name), tt.row); got != tt.want {
			t.Errorf("Describe(%s, row %d) = %q, want %q", tt.name, tt.row, got, tt.want)
		}
	}
	// Means and maxima, with and without events in the window.
	vals := &features.Column{Kind: features.KindFloat, Float: []float64{12500.5, math.NaN()}}
	for _, tt := range []struct {
		agg  features.Agg
		row  int
		want string
	}{
		{features.AggMean, 0, "average order value 12,500.5 in the last 90 days"},
		{features.AggMax, 0, "largest order value 12,500.5 in the last 90 days"},
		{features.AggMean, 1, "no orders in the last 90 days"},
	} {
		d := features.Descriptor{Agg: tt.agg, Type: "order", WindowDays: 90, Phrase: "ordered", Noun: "order"}
		if got := Describe(&Feature{Name: "x", Kind: Numeric, Desc: &d}, vals, tt.row); got != tt.want {
			t.Errorf("%s row %d: %q, want %q", tt.agg, tt.row, got, tt.want)
		}
	}
	// A column of a flat table says its name and value.
	col := &features.Column{Kind: features.KindFloat, Float: []float64{250}}
	if got := Describe(&Feature{Name: "employees", Kind: Numeric}, col, 0); got != "employees = 250" {
		t.Errorf("flat column: %q", got)
	}
	// A date's age before the row's date (a feature table's ts) or a flat
	// table's time column.
	ages := &features.Column{Kind: features.KindFloat, Float: []float64{461.6, 0.2, -3.5, math.NaN()}}
	for _, tt := range []struct {
		name string
		row  int
		want string
	}{
		{"Create Date_days_before_ts", 0, "Create Date 461 days ago"},
		{"Create Date_days_before_ts", 1, "Create Date today"},
		{"Create Date_days_before_ts", 2, "Create Date 4 days after the list's date"},
		{"Create Date_days_before_ts", 3, "Create Date unknown"},
		{"Last_Contact_days_before_Created", 0, "Last Contact 461 days before Created"},
		{"Last_Contact_days_before_Created", 2, "Last Contact 4 days after Created"},
	} {
		if got := Describe(&Feature{Name: tt.name, Kind: Numeric}, ages, tt.row); got != tt.want {
			t.Errorf("Describe(%s, row %d) = %q, want %q", tt.name, tt.row, got, tt.want)
		}
	}
}

func TestCapacityGradesAndOwners(t *testing.T) {
	m := tinyModel(t)
	ids := []string{"a", "b", "c", "d", "e", "f", "g"}
	x := []float64{7, 6, 5, 4, 3, 2, 1} // scores fall with x's rank
	grades := []Grade{{Name: "A", Capacity: 2, Queue: "senior"}, {Name: "B", Capacity: 3, Queue: "team"}, {Name: "C", Queue: "nurture"}}
	reps := map[string][]Rep{"team": {{Name: "Ann", Weight: 2}, {Name: "Bo", Weight: 1}}}
	ranked, sum, err := Score(context.Background(), m, table(ids, x, nil), Config{Grades: grades, Reps: reps})
	if err != nil {
		t.Fatal(err)
	}
	wantGrade := "AABBBCC"
	wantOwner := []string{"", "", "Ann", "Bo", "Ann", "", ""}
	for i, r := range ranked {
		if r.Grade != string(wantGrade[i]) || r.Owner != wantOwner[i] {
			t.Errorf("rank %d (%s): grade %s owner %q, want %c %q", i+1, r.EntityID, r.Grade, r.Owner, wantGrade[i], wantOwner[i])
		}
	}
	if sum.PerQueue["team"] != 3 || sum.PerGrade["C"] != 2 {
		t.Errorf("summary %+v", sum)
	}
	// Smooth weighted round-robin over many leads: 2:1, interleaved.
	out := make([]Ranked, 9)
	for i := range out {
		out[i].Queue = "team"
	}
	assignOwners(out, reps, nil)
	got := ""
	for _, r := range out {
		got += r.Owner[:1]
	}
	if got != "ABAABAABA" {
		t.Errorf("owners %s, want ABAABAABA", got)
	}
}

// TestShareGrades: a conversion model grades its list by share by default
// (1%, 4%, 15%, the rest; at least one lead per share), and predict.yaml
// checks shares.
func TestShareGrades(t *testing.T) {
	m := tinyModel(t)
	m.Target = &features.Target{Kind: features.TargetConversion, HorizonDays: 90}
	n := 1000
	ids, x := make([]string, n), make([]float64, n)
	for i := range n {
		ids[i], x[i] = fmt.Sprintf("E%04d", i), float64(-i)
	}
	tb := table(ids, x, nil)
	tb.Meta[features.MetaAsOf] = "2025-01-01T00:00:00Z"
	ranked, sum, err := Score(context.Background(), m, tb, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.PerGrade["A"] != 10 || sum.PerGrade["B"] != 40 || sum.PerGrade["C"] != 150 || sum.PerGrade["D"] != 800 || ranked[9].Grade != "A" || ranked[10].Grade != "B" {
		t.Errorf("grades %v", sum.PerGrade)
	}
	for _, bad := range [][]Grade{
		{{Name: "A", Share: 0.6}, {Name: "B", Share: 0.6}, {Name: "C"}},
		{{Name: "A", Share: 0.1}, {Name: "B", Capacity: 5}, {Name: "C"}},
		{{Name: "A", Share: 1.5}, {Name: "B"}},
		{{Name: "A", Share: 0.1}, {Name: "B"}, {Name: "C"}},
	} {
		cfg := Config{Grades: bad}
		if err := cfg.Validate(); err == nil {
			t.Errorf("grades %+v accepted", bad)
		}
	}
}

func TestChannelSummary(t *testing.T) {
	tb := table([]string{"a", "b", "c"}, []float64{5, 1, 3}, nil)
	tb.Columns = append(tb.Columns, features.Column{Name: "lead_source", Kind: features.KindString, Str: []string{"web", "event", "web"}})
	_, sum, err := Score(context.Background(), tinyModel(t), tb, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Channels) != 2 || sum.Channels[0].Channel != "web" || sum.Channels[0].Leads != 2 {
		t.Errorf("channels %+v", sum.Channels)
	}
}

// Explaining only the top N changes nothing but the reasons of the rest:
// the same ranks, scores and grades, the same reasons for the N best.
func TestScoreExplainTop(t *testing.T) {
	m := tinyModel(t)
	n := 5000
	ids, x, rules := make([]string, n), make([]float64, n), make([]float64, n)
	for i := range n {
		ids[i] = fmt.Sprintf("E%05d", i)
		x[i] = math.Sin(float64(i)) * 3
		rules[i] = float64(i % 97)
	}
	tb := table(ids, x, rules)
	all, _, err := Score(context.Background(), m, tb, Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, top := range []int{1, 1500, n + 10} {
		got, _, err := Score(context.Background(), m, tb, Config{ExplainTop: top})
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			want := all[i]
			if i >= top {
				want.Reasons = ""
			}
			if !reflect.DeepEqual(got[i], want) {
				t.Fatalf("top %d, rank %d: %+v, want %+v", top, i+1, got[i], want)
			}
		}
		if got[0].Reasons == "" {
			t.Errorf("top %d: the best lead has no reasons", top)
		}
	}
}

// TestStrongest compares the selection of reasons with sorting every
// contribution (stable, largest first), on values with many ties.
func TestStrongest(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for trial := range 2000 {
		contrib := make([]float64, 1+r.IntN(40))
		for k := range contrib {
			contrib[k] = float64(r.IntN(9)-4) / 100 * float64(r.IntN(3))
		}
		n := 1 + r.IntN(4)
		idx := make([]int, len(contrib))
		for k := range idx {
			idx[k] = k
		}
		sort.SliceStable(idx, func(a, b int) bool { return contrib[idx[a]] > contrib[idx[b]] })
		var want []int
		for _, k := range idx[:min(n, len(idx))] {
			if contrib[k] > 0.005 {
				want = append(want, k)
			}
		}
		for j := len(idx) - 1; j >= max(0, len(idx)-n); j-- {
			if k := idx[j]; contrib[k] < -0.005 {
				want = append(want, k)
			}
		}
		if got := strongest(contrib, n); !slices.Equal(got, want) {
			t.Fatalf("trial %d, n %d, %v: got %v, want %v", trial, n, contrib, got, want)
		}
	}
}

// TestRank compares rank with a stable sort on score and entity_id, with
// ties in both (repeated ids keep their rows' order).
func TestRank(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	out := make([]Ranked, 5000)
	for i := range out {
		out[i] = Ranked{Score: int32(r.IntN(20)), EntityID: fmt.Sprint("e", r.IntN(800)), row: i}
	}
	want := slices.Clone(out)
	slices.SortStableFunc(want, func(a, b Ranked) int {
		if a.Score != b.Score {
			return int(b.Score - a.Score)
		}
		return strings.Compare(a.EntityID, b.EntityID)
	})
	rank(out)
	for i := range out {
		if out[i].row != want[i].row {
			t.Fatalf("position %d: row %d, want %d", i, out[i].row, want[i].row)
		}
	}
}

// TestRankedCSVHeaders: every header ranked.csv may have, whatever
// applies to the run, is one IsRankedCSVHeader knows (so a rerun with
// other options replaces the file); a CRM export's is not.
func TestRankedCSVHeaders(t *testing.T) {
	for mask := range 1 << 8 {
		on := func(bit int) bool { return mask&(1<<bit) != 0 }
		sum := Summary{DealIDs: on(0), Deals: on(1), Rules: on(2), DataQuality: on(3), Customers: on(4), Changes: on(5), Kept: []string{"Lead Origin"}}
		if on(6) {
			sum.AsOf = "2025-01-01T00:00:00Z"
		}
		if on(7) {
			sum.Verdict = "weak"
		}
		var b bytes.Buffer
		if err := WriteCSV(&b, []Ranked{{EntityID: "a", Kept: []string{"x"}}}, sum); err != nil {
			t.Fatal(err)
		}
		header, _, _ := strings.Cut(b.String(), "\n")
		header = strings.TrimSuffix(header, "\r")
		if !strings.HasSuffix(header, ",Lead Origin") {
			t.Fatalf("no kept column: %q", header)
		}
		if !IsRankedCSVHeader(strings.Split(header, ",")) {
			t.Errorf("%+v: header %q not known as a call list's", sum, header)
		}
	}
	for _, h := range [][]string{{"rank", "entity_id", "name"}, {"entity_id", "rank", "score", "grade", "queue", "owner", "probability"},
		{"rank", "entity_id", "grade", "score", "queue", "owner", "probability"}, {"Lead Number", "Status"}} {
		if IsRankedCSVHeader(h) {
			t.Errorf("%q taken for a call list's header", h)
		}
	}
}

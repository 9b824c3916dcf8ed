package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"leadscore/features"
	"leadscore/predict"
)

// TestPrecisionAtKHandComputed: per list, the share of positives among the
// k best; sampled negatives weigh more; lists shorter than k are skipped.
func TestPrecisionAtKHandComputed(t *testing.T) {
	p := []float64{0.9, 0.8, 0.7, 0.6, 0.5, 0.4}
	y := []bool{true, false, true, false, false, true}
	at := PrecisionAtK(p, y, [][]int{{0, 1, 2}, {3, 4, 5}}, []int{2, 4}, 1)
	// List 1's best two: 0.9 (yes), 0.8 (no); list 2's: 0.6 (no), 0.5
	// (no). Mean (1/2 + 0/2) / 2. No list has 4 rows.
	if len(at) != 1 || at[0].K != 2 || at[0].Precision != 0.25 || at[0].Lists != 2 || math.Abs(float64(at[0].Lift)-0.5) > 1e-12 {
		t.Errorf("got %+v, want k=2 precision 0.25 lift 0.5 over 2 lists", at)
	}
	// With negatives weighing 2 (half kept), a list of two rows fills a
	// call list of 3 with its first negative: 1 hit in a weight of 3.
	at = PrecisionAtK(p, y, [][]int{{0, 1, 2, 3, 4, 5}}, []int{3}, 2)
	if len(at) != 1 || math.Abs(at[0].Precision-1.0/3) > 1e-12 {
		t.Errorf("weighted: %+v, want 1/3", at)
	}
}

// TestSplitKeepsDates: the out-of-time cut never puts rows of one date
// on both sides.
func TestSplitKeepsDates(t *testing.T) {
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var times []time.Time
	for d, n := range []int{30, 30, 30, 30} {
		for range n {
			times = append(times, base.AddDate(0, d, 0))
		}
	}
	tr, va := Split(make([]bool, len(times)), times, 0.2, 1) // 24 of 120: inside the last date
	if len(va) != 30 || len(tr) != 90 {
		t.Fatalf("split %d / %d, want the last date's 30 rows to validate", len(tr), len(va))
	}
	for _, i := range va {
		if !times[i].Equal(base.AddDate(0, 3, 0)) {
			t.Fatalf("validation row at %v", times[i])
		}
	}
}

// snapshotTable is a snapshot-shaped table: rows per date, a signal x, and
// rule points that carry a second, independent signal.
func snapshotTable(n, dates int, seed uint64) *features.Table {
	r := rand.New(rand.NewPCG(seed, 1))
	tb := &features.Table{Meta: map[string]string{features.MetaSnapshots: "test", features.MetaRulesMaxTotal: "100"}}
	var ts []time.Time
	var x, rp []float64
	var y []bool
	for d := range dates {
		for range n {
			a, b := r.NormFloat64(), r.NormFloat64()
			ts = append(ts, time.Date(2024, time.Month(1+d), 1, 0, 0, 0, 0, time.UTC))
			x, rp = append(x, a), append(rp, math.Round(20*b))
			y = append(y, r.Float64() < predict.Sigmoid(-2.5+1.2*a+1.2*b))
		}
	}
	tb.Columns = []features.Column{{Name: "ts", Kind: features.KindTime, Time: ts}, {Name: "x", Kind: features.KindFloat, Float: x},
		{Name: "rule_points", Kind: features.KindFloat, Float: rp}, {Name: "won", Kind: features.KindBool, Bool: y}}
	return tb
}

// TestFitBlendUsesRules: when the rule points carry signal the model
// cannot see, the chosen blend gives them weight and beats the model
// alone on the validation rows.
func TestFitBlendUsesRules(t *testing.T) {
	tb := snapshotTable(1500, 5, 3)
	m, err := Train(context.Background(), tb, Config{Label: "won", TimeColumn: "ts", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	b := m.Blend
	if b == nil || len(b.Candidates) != blendSteps+1 || b.RulesMax != 100 {
		t.Fatalf("blend %+v", b)
	}
	alone := b.Candidates[blendSteps].AUC
	chosen := b.Candidates[int(math.Round(b.ModelWeight*blendSteps))].AUC
	if !(b.ModelWeight < 0.9 && b.ModelWeight > 0.1) || chosen <= alone+0.02 {
		t.Errorf("model weight %v (AUC %.3f), model alone %.3f: want a real share for the rules", b.ModelWeight, chosen, alone)
	}
}

// TestRefit: refitting keeps the validation metrics, counts every row in
// the training, and changes the model (it has seen the latest rows).
func TestRefit(t *testing.T) {
	for _, typ := range []predict.ModelType{predict.TypeLogistic, predict.TypeGBDT} {
		tb := snapshotTable(800, 5, 7)
		cfg := Config{Label: "won", TimeColumn: "ts", Seed: 1, Model: typ, GBDT: GBDTConfig{Rounds: 40}}
		plain, err := Train(context.Background(), tb, cfg)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Refit = true
		re, err := Train(context.Background(), tb, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if re.Metrics.AUC != plain.Metrics.AUC || !re.Training.Refit || re.Training.Rows != 4000 || plain.Training.Rows >= 4000 || re.ID == plain.ID {
			t.Errorf("%s: refit AUC %v vs %v, rows %d vs %d, refit %v", typ, re.Metrics.AUC, plain.Metrics.AUC, re.Training.Rows, plain.Training.Rows, re.Training.Refit)
		}
	}
}

// TestEvaluate judges a small list by hand: who converted within the
// horizon, and the counts per grade.
func TestEvaluate(t *testing.T) {
	deals := filepath.Join(t.TempDir(), "deals.csv")
	os.WriteFile(deals, []byte("entity_id,ts,won,closed_at\n"+
		"a,2024-07-10,true,2024-08-01\n"+ // converted
		"b,2024-06-20,true,2024-07-05\n"+ // opened before the list
		"c,2024-09-29,true,2024-10-10\n"+ // opened on the horizon's end: out
		"d,2024-08-01,false,2024-08-20\n"+ // lost
		"e,2024-09-28,true,\n"), 0o644) // won but no close time: a bad row, skipped
	bad := &features.BadRows{Max: 1}
	o, err := features.ReadOutcomes(context.Background(), features.Source{Path: deals}, bad)
	if err != nil || bad.Count() != 1 || !strings.Contains(bad.First().Error(), "deals.csv:6:") {
		t.Fatalf("%v; %d bad rows (%v), want e's", err, bad.Count(), bad.First())
	}
	ranked := []predict.Ranked{
		{EntityID: "a", Grade: "A", Probability: 0.9, RulePoints: 10},
		{EntityID: "b", Grade: "A", Probability: 0.8, RulePoints: 50},
		{EntityID: "c", Grade: "B", Probability: 0.2, RulePoints: 40},
		{EntityID: "d", Grade: "B", Probability: 0.3, RulePoints: 30},
		{EntityID: "e", Grade: "B", Probability: 0.1, RulePoints: 20},
	}
	ev, err := Evaluate(ranked, o, EvalConfig{AsOf: time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC), HorizonDays: 90, Ks: []int{2}})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Positives != 1 || ev.HorizonEnd != "2024-09-29" {
		t.Fatalf("positives %d, horizon end %s: want 1 (a; e's deal was skipped)", ev.Positives, ev.HorizonEnd)
	}
	list, model, rules := ev.List("call list"), ev.List("model"), ev.List("rules")
	if list.At(2) != 0.5 || model.AUC != 1 || rules.AUC != 0 {
		t.Errorf("call list p@2 %v, model AUC %v, rules AUC %v", list.At(2), model.AUC, rules.AUC)
	}
	if g := ev.Grades; len(g) != 2 || g[0].Name != "A" || g[0].Positives != 1 || g[1].Rows != 3 {
		t.Errorf("grades %+v", g)
	}
	// No lead converted after a later date: no ordering beats another, so
	// AUC and lift are undefined (NaN, null in JSON, "-" in text), not 0,
	// which would read as a list ranked backwards.
	ev, err = Evaluate(ranked, o, EvalConfig{AsOf: time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC), HorizonDays: 90, Ks: []int{2}})
	if err != nil || ev.Positives != 0 {
		t.Fatalf("%v, %d positives", err, ev.Positives)
	}
	if l := ev.List("call list"); !math.IsNaN(float64(l.AUC)) || !math.IsNaN(float64(ev.Grades[0].Lift)) {
		t.Errorf("no conversions: AUC %v, lift %v, want NaN", l.AUC, ev.Grades[0].Lift)
	}
	for _, d := range ev.List("model").Deciles {
		if !math.IsNaN(float64(d.Lift)) || !math.IsNaN(float64(d.Gain)) {
			t.Errorf("no conversions: decile %+v, want NaN lift and gain", d)
		}
	}
	if at := ev.List("model").PrecisionAt; len(at) != 1 || at[0].Precision != 0 || !math.IsNaN(float64(at[0].Lift)) {
		t.Errorf("no conversions: precision at %+v, want 0 with NaN lift", at)
	}
	var page strings.Builder
	if err := ev.WriteHTML(&page); err != nil || strings.Contains(page.String(), "0.000</td>") || !strings.Contains(page.String(), "<td>-</td><td>-</td>") ||
		!strings.Contains(page.String(), `<meta name="generator" content="leadscore">`) {
		t.Errorf("no conversions: HTML shows a lift or gain (%v)", err)
	}
	b, err := json.Marshal(ev)
	if err != nil || !strings.Contains(string(b), `"auc":null`) || !strings.Contains(string(b), `"lift":null`) {
		t.Errorf("JSON %s, %v: want null AUC and lift", b, err)
	}
	var back Evaluation
	if err := json.Unmarshal(b, &back); err != nil || !math.IsNaN(float64(back.List("call list").AUC)) || !math.IsNaN(float64(back.Grades[0].Lift)) || back.Grades[0].Rows != 2 {
		t.Errorf("read back: %+v, %v", back, err)
	}
	// A deals file none of whose deals is of a listed lead (ids in
	// another case) is bad input, not a list in which no one converted.
	var other strings.Builder
	other.WriteString("entity_id,ts,won,closed_at\n")
	for i := range 12 {
		fmt.Fprintf(&other, "x%d,2024-07-10,true,2024-08-01\n", i)
	}
	os.WriteFile(deals, []byte(other.String()), 0o644)
	if o2, err := features.ReadOutcomes(context.Background(), features.Source{Path: deals}, nil); err != nil {
		t.Fatal(err)
	} else if _, err := Evaluate(ranked, o2, EvalConfig{AsOf: time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC), HorizonDays: 90}); !errors.As(err, new(*features.SchemaError)) ||
		!strings.Contains(err.Error(), `none of the 12 deals is of a lead of the list: the deals have ids such as "x0", the list such as "a"`) {
		t.Errorf("deals of no listed lead: %v", err)
	}
	var text strings.Builder
	ev.WriteText(&text)
	if !regexp.MustCompile(`call list +- `).MatchString(text.String()) {
		t.Errorf("text:\n%s", text.String())
	}
}

// TestLoopWarnsWhenGradesInvert: a run whose A leads converted no better
// than its B leads is named.
func TestLoopWarnsWhenGradesInvert(t *testing.T) {
	var l Loop
	l.Add(LoopRun{AsOf: "2024-07-01", Evaluation: &Evaluation{Grades: []GroupEval{{Name: "A", Rows: 10, Rate: 0.3}, {Name: "B", Rows: 40, Rate: 0.1}}}})
	l.Add(LoopRun{AsOf: "2024-08-01", Evaluation: &Evaluation{Grades: []GroupEval{{Name: "A", Rows: 10, Rate: 0.1}, {Name: "B", Rows: 40, Rate: 0.1}}}})
	if len(l.Warnings) != 1 || !strings.Contains(l.Warnings[0], "2024-08-01") {
		t.Errorf("warnings %v", l.Warnings)
	}
}

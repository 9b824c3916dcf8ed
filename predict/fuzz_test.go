package predict

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"leadscore/features"
)

// FuzzReadModel: a hand-edited or corrupt model.json is an error, never a
// panic, and a model that loads can be re-encoded and loaded again.
func FuzzReadModel(f *testing.F) {
	m := &Model{Type: TypeLogistic, Label: "won",
		Features: []Feature{{Name: "x", Kind: Numeric, Impute: 1}, {Name: "c", Kind: Categorical, Levels: []string{"a"}}},
		Design: []DesignColumn{{Name: "x", Feature: 0, Role: RoleValue, Mean: 1, Scale: 2},
			{Name: "c=a", Feature: 1, Role: RoleLevel, Level: "a", Mean: 0.5, Scale: 0.5}},
		Logistic:    &Logistic{Intercept: 0.5, Coef: []float64{2, -1}, C: 1},
		Calibration: &Calibration{Method: "isotonic", X: []float64{0.1, 0.9}, Y: []float64{0.2, 0.8}}}
	if err := m.Finish(); err != nil {
		f.Fatal(err)
	}
	var b bytes.Buffer
	m.Write(&b)
	f.Add(b.Bytes())
	f.Add([]byte(`{"format_version":1,"type":"naive_bayes","features":[],"naive_bayes":{"prior_logit":0,"floor":0.01,"fields":[]}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Read(bytes.NewReader(data), "model.json")
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := m.Write(&out); err != nil {
			t.Fatal(err)
		}
		if _, err := Read(&out, "again"); err != nil {
			t.Fatalf("a loaded model does not load again: %v", err)
		}
	})
}

// FuzzParseConfig: predict.yaml never panics the parser.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("model_weight: 0.7\ngrades:\n  - {name: A, capacity: 5, queue: q}\n  - {name: B, queue: r}\nreps:\n  q: [{name: Ann, capacity: 2}]\n"))
	f.Add([]byte("grades: [{name: A, min_score: 50}, {name: B, min_score: 60}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseConfig(bytes.NewReader(data), "predict.yaml")
	})
}

// fuzzTable builds a table with every input of m: numeric columns with
// ordinary, missing and extreme (±1e15) values, categorical ones with
// known, unknown and missing levels, rule points and their groups.
func fuzzTable(m *Model) *features.Table {
	const n = 7
	ids := []string{"a", "b", "c", "d", "e", "f", "g"}
	t := &features.Table{Meta: map[string]string{features.MetaRulesMaxTotal: "100"},
		Columns: []features.Column{{Name: "entity_id", Kind: features.KindString, Str: ids},
			{Name: "rule_points", Kind: features.KindFloat, Float: []float64{0, 15, -10, 100, 250, -1e6, 1e6}},
			{Name: "rule_points_fit", Kind: features.KindFloat, Float: []float64{0, 15, -10, 100, 250, -1e6, 1e6}},
			{Name: "rule_awards", Kind: features.KindString, Str: []string{"", "[]", `[{"rule":"r","points":15}]`, "", "", "", ""}}}}
	for _, f := range m.Features {
		if t.Column(f.Name) != nil {
			continue
		}
		if f.Kind == Numeric {
			t.Columns = append(t.Columns, features.Column{Name: f.Name, Kind: features.KindFloat,
				Float: []float64{0, 1, -3.5, math.NaN(), 1e15, -1e15, 42}})
			continue
		}
		v := make([]string, n)
		for i := range v {
			switch {
			case i < len(f.Levels):
				v[i] = f.Levels[i]
			case i%2 == 0:
				v[i] = "never seen"
			}
		}
		t.Columns = append(t.Columns, features.Column{Name: f.Name, Kind: features.KindString, Str: v})
	}
	return t
}

// checkScored fails on anything Score returns that a writer could not
// write or a person could not read: scores outside 0-100, probabilities
// outside [0, 1], a summary that is not JSON.
func checkScored(t *testing.T, ranked []Ranked, sum Summary) {
	t.Helper()
	for _, r := range ranked {
		if r.Score < 0 || r.Score > 100 || !(r.Probability >= 0 && r.Probability <= 1) || !finite(r.RulePoints) {
			t.Fatalf("lead %s: score %d, probability %v, rule points %v", r.EntityID, r.Score, r.Probability, r.RulePoints)
		}
		if strings.Contains(r.Reasons, "Inf") || strings.Contains(r.Reasons, "NaN") {
			t.Fatalf("lead %s: reasons %q", r.EntityID, r.Reasons)
		}
	}
	if _, err := json.Marshal(sum); err != nil {
		t.Fatalf("summary is not JSON: %v", err)
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, ranked, sum); err != nil {
		t.Fatal(err)
	}
	if err := WriteCallList(&buf, ranked, sum); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range ranked {
		if seen[r.EntityID] {
			t.Fatalf("lead %s listed twice", r.EntityID)
		}
		seen[r.EntityID] = true
	}
}

// fuzzModels are models of each type, small enough for the fuzzer.
func fuzzModels(f *testing.F) []*Model {
	lr := &Model{Type: TypeLogistic, Label: "won",
		Features: []Feature{{Name: "x", Kind: Numeric, Impute: 1}, {Name: "c", Kind: Categorical, Levels: []string{"a", "b"}}},
		Design: []DesignColumn{{Name: "x", Feature: 0, Role: RoleValue, Mean: 1, Scale: 2},
			{Name: "c=a", Feature: 1, Role: RoleLevel, Level: "a", Mean: 0.5, Scale: 0.5}},
		Logistic: &Logistic{Intercept: 0.5, Coef: []float64{2, -1}, C: 1}}
	nb := &Model{Type: TypeNaiveBayes, Label: "won",
		Features:   []Feature{{Name: "x", Kind: Numeric}, {Name: "c", Kind: Categorical, Levels: []string{"a"}}},
		NaiveBayes: &NaiveBayes{PriorLogit: -1, Floor: 0.01, Fields: []NBField{{Edges: []float64{0, 10}, Values: []NBValue{{"b0", -0.5}, {"b2", 1}}}, {Values: []NBValue{{"a", 0.7}}}}}}
	tr := stump()
	tr.CatNodes, tr.CatRight = nil, nil
	gb := &Model{Type: TypeGBDT, Label: "won", Features: []Feature{{Name: "x", Kind: Numeric}},
		Trees:       &Trees{Base: -0.2, Trees: []Tree{tr}, GainImportance: []float64{1}},
		Calibration: &Calibration{Method: "platt", A: 1, B: 0}}
	for _, m := range []*Model{lr, nb, gb} {
		if err := m.Finish(); err != nil {
			f.Fatal(err)
		}
	}
	return []*Model{lr, nb, gb}
}

// FuzzConfigScore: predict.yaml, once it parses, scores any table without
// a panic and with every output in range.
func FuzzConfigScore(f *testing.F) {
	f.Add([]byte("model_weight: 0.7\ngrades:\n  - {name: A, capacity: 2, queue: q}\n  - {name: B, queue: r}\nreps:\n  q: [{name: Ann, weight: 2, max_leads: 1}, {name: Bo, weight: 1}]\nreasons: 20\n"))
	f.Add([]byte("suppress:\n  - [{field: rule_points, op: \">\", value: 100}]\n  - [{field: entity_id, op: in, value: [a, g]}]\ninclude_suppressed: true\n" +
		"queues:\n  - {name: big, grades: [A, B], when: [{field: rule_points_fit, op: \">=\", value: 15}]}\nmin_data_quality: 0.5\n" +
		"grades: [{name: A, share: 0.2, queue: q}, {name: B, share: 0.3, queue: r}, {name: C, queue: s}]\n" +
		"reps:\n  big: [{name: Eve, max_leads: 1}]\n  r: [{name: Cy, weight: 3}]\nkeep: [rule_awards]\n"))
	f.Add([]byte("grades: [{name: A, min_score: 50}, {name: B, min_score: 0}]\nrules_max: 1\ndrift_psi: 0.01\ndrift_limit: 100\n"))
	f.Add([]byte("model_weight: 0\nreasons: 1\nchannel_column: c\n"))
	models := fuzzModels(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(bytes.NewReader(data), "predict.yaml")
		if err != nil {
			return
		}
		for _, m := range models {
			ranked, sum, err := Score(context.Background(), m, fuzzTable(m), cfg)
			var de *DriftError
			var se *SchemaError // a column the settings test or keep is not in the table
			if err != nil && !errors.As(err, &de) && !errors.As(err, &se) {
				t.Fatalf("%s: %v", m.Type, err)
			}
			if err == nil {
				checkScored(t, ranked, sum)
			}
		}
	})
}

// FuzzModelScore: a model.json that loads scores a table with its inputs
// without a panic and with every output in range.
func FuzzModelScore(f *testing.F) {
	for _, m := range fuzzModels(f) {
		var b bytes.Buffer
		m.Write(&b)
		f.Add(b.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Read(bytes.NewReader(data), "model.json")
		if err != nil {
			return
		}
		ranked, sum, err := Score(context.Background(), m, fuzzTable(m), Config{})
		if err != nil {
			return // a schema mismatch (say, a feature named entity_id) is an error, not a panic
		}
		checkScored(t, ranked, sum)
	})
}

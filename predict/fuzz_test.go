package predict

import (
	"bytes"
	"testing"
)

// FuzzReadModel: a hand-edited or corrupt model.json is an error, never a
// panic, and a model that loads can be re-encoded and loaded again.
func FuzzReadModel(f *testing.F) {
	m := &Model{Type: "logistic", Label: "won",
		Features: []Feature{{Name: "x", Kind: "numeric", Impute: 1}, {Name: "c", Kind: "categorical", Levels: []string{"a"}}},
		Design: []DesignColumn{{Name: "x", Feature: 0, Role: "value", Mean: 1, Scale: 2},
			{Name: "c=a", Feature: 1, Role: "level", Level: "a", Mean: 0.5, Scale: 0.5}},
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

package train

import (
	"context"
	"math"
	"testing"

	"leadscore/features"
	"leadscore/predict"
)

// TestNaiveBayesTables checks the value tables against hand-computed
// smoothed frequencies, and the score against S_won / (S_won + S_lost).
func TestNaiveBayesTables(t *testing.T) {
	// 6 won (4 "web", 2 "event"), 6 lost (1 "web", 5 "event"); one rare
	// level "fax" (2 rows) is ignored.
	src := []string{"web", "web", "web", "web", "event", "event", "web", "event", "event", "event", "event", "event", "fax", "fax"}
	won := []bool{true, true, true, true, true, true, false, false, false, false, false, false, true, false}
	tb := &features.Table{Columns: []features.Column{
		{Name: "source", Kind: features.KindString, Str: src},
		{Name: "won", Kind: features.KindBool, Bool: won},
	}}
	m := &predict.Model{Type: predict.TypeNaiveBayes, Label: "won"}
	rows := make([]int, len(src))
	for i := range rows {
		rows[i] = i
	}
	nbInputs(m, tb, Config{Label: "won"}, rows)
	fitNB(m, tb, won, rows)
	// 7 won, 7 lost in all; kept values: event, web (K = 2), α = 1.
	web := math.Log((4.0+1)/(7+2)) - math.Log((1.0+1)/(7+2))
	event := math.Log((2.0+1)/(7+2)) - math.Log((5.0+1)/(7+2))
	f := &m.NaiveBayes.Fields[0]
	if got := f.LogRatio("web"); math.Abs(got-web) > 1e-12 {
		t.Errorf("log ratio of web = %v, want %v", got, web)
	}
	if got := f.LogRatio("event"); math.Abs(got-event) > 1e-12 {
		t.Errorf("log ratio of event = %v, want %v", got, event)
	}
	if got := f.LogRatio("fax"); got != 0 {
		t.Errorf("the rare level has log ratio %v, want 0 (ignored)", got)
	}
	if err := m.Finish(); err != nil {
		t.Fatal(err)
	}
	enc, err := predict.NewEncoder(m, tb)
	if err != nil {
		t.Fatal(err)
	}
	logit := enc.Explain(0, make([]float64, 1))
	// S_won / (S_won + S_lost) with P(won) = (7+1)/(7+1)… = ½ prior.
	sWon, sLost := 0.5*(4.0+1)/(7+2), 0.5*(1.0+1)/(7+2)
	if p := m.Probability(logit); math.Abs(p-sWon/(sWon+sLost)) > 1e-12 {
		t.Errorf("P(won | web) = %v, want %v", p, sWon/(sWon+sLost))
	}
}

func TestNaiveBayesTrain(t *testing.T) {
	// The noise table from TestTrainNoSignal, plus a field that carries the
	// outcome: naive Bayes must find it and be calibrated into [0.01, 0.99].
	n := 2000
	tb := &features.Table{Columns: []features.Column{
		{Name: "x", Kind: features.KindFloat, Float: make([]float64, n)},
		{Name: "won", Kind: features.KindBool, Bool: make([]bool, n)},
	}}
	for i := range n {
		tb.Columns[0].Float[i] = float64(i % 100)
		tb.Columns[1].Bool[i] = (i%100 > 60) != (i%7 == 0)
	}
	m, err := Train(context.Background(), tb, Config{Label: "won", Model: "naive_bayes", Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != predict.TypeNaiveBayes || m.Metrics.AUC < 0.8 || m.NoBetterThanChance {
		t.Errorf("naive Bayes: type %s, AUC %.3f", m.Type, m.Metrics.AUC)
	}
}

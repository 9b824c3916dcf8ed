package predict_test

import (
	"context"
	"fmt"

	"leadscore/features"
	"leadscore/predict"
)

// ExampleScore ranks three leads with a one-feature logistic model,
// blended 70/30 with their rule points (scaled by the rules' cap of 100).
func ExampleScore() {
	m := &predict.Model{Type: predict.TypeLogistic, Label: "won",
		Features: []predict.Feature{{Name: "visits", Kind: predict.Numeric}},
		Design:   []predict.DesignColumn{{Name: "visits", Feature: 0, Role: predict.RoleValue, Mean: 5, Scale: 3}},
		Logistic: &predict.Logistic{Intercept: -1, Coef: []float64{1.5}},
		Metrics:  predict.Metrics{AUC: 0.8, AUCLow: 0.75, AUCHigh: 0.85}}
	if err := m.Finish(); err != nil {
		fmt.Println(err)
		return
	}
	t := &features.Table{Meta: map[string]string{features.MetaRulesMaxTotal: "100"}, Columns: []features.Column{
		{Name: "entity_id", Kind: features.KindString, Str: []string{"anna", "ben", "cleo"}},
		{Name: "visits", Kind: features.KindFloat, Float: []float64{12, 2, 6}},
		{Name: "rule_points", Kind: features.KindFloat, Float: []float64{15, 90, 40}},
	}}
	ranked, sum, err := predict.Score(context.Background(), m, t, predict.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range ranked {
		fmt.Printf("%d %s score %d (p %.2f, rules %g) grade %s: %s\n", r.Rank, r.EntityID, r.Score, r.Probability, r.RulePoints, r.Grade, r.Reasons)
	}
	fmt.Println("model weight", sum.ModelWeight)
	// Output:
	// 1 anna score 69 (p 0.92, rules 15) grade B: visits = 12 (+45.9 points)
	// 2 cleo score 38 (p 0.38, rules 40) grade C: visits = 6 (+7.6 points)
	// 3 ben score 32 (p 0.08, rules 90) grade C: visits = 2 (-13.5 points)
	// model weight 0.7
}

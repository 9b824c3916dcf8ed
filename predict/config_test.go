package predict

import (
	"errors"
	"strings"
	"testing"

	"leadscore/features"
)

// TestParseConfigBounds: every numeric setting is checked for range and
// finiteness, and the error names the line of the bad key.
func TestParseConfigBounds(t *testing.T) {
	tests := []struct {
		name string
		give string
		line int
	}{
		{"reasons negative", "model_weight: 0.5\nreasons: -1\n", 2},
		{"reasons huge", "reasons: 1000000000000\n", 1},
		{"rules_max NaN", "rules_max: .nan\n", 1},
		{"rules_max infinite", "rules_max: .inf\n", 1},
		{"model_weight NaN", "model_weight: .nan\n", 1},
		{"model_weight above 1", "model_weight: 1.5\n", 1},
		{"drift_psi negative", "drift_psi: -0.1\n", 1},
		{"drift_limit NaN", "drift_limit: .nan\n", 1},
		{"min_score above 100", "grades:\n  - {name: A, min_score: 75}\n  - {name: B, min_score: 500}\n", 3},
		{"grade twice", "grades:\n  - {name: A, min_score: 75}\n  - {name: A, min_score: 5}\n", 3},
		{"capacity negative", "grades:\n  - {name: A, capacity: -5}\n  - {name: B}\n", 2},
		{"rep weight negative", "reps:\n  consultants:\n    - {name: Ann, weight: 1}\n    - {name: Bo, weight: -1}\n", 4},
		{"rep max_leads negative", "reps:\n  consultants:\n    - {name: Ann, max_leads: -2}\n", 3},
		{"queue rule without name", "queues:\n  - {grades: [A], when: [{field: x, op: \">\", value: 1}]}\n", 2},
		{"empty suppress list", "suppress:\n  - []\n", 2},
		{"min_data_quality", "min_data_quality: 1.5\n", 1},
		{"unknown key", "model_weight: 0.5\ncolour: red\n", 2},
		{"unknown key in a condition", "suppress:\n  - [{field: rule_points, op: \">\", value: 1}]\n  - [{field: x, op: \">\", value: 1, valeu: 2}]\n", 3},
		{"reps of no queue", "grades:\n  - {name: A, min_score: 50, queue: top-sellers}\n  - {name: B, queue: nurture}\nreps:\n  top-seller: [{name: Ann}]\n", 5},
		{"reps of a default queue misspelt", "reps:\n  consultant: [{name: Ann}]\n", 2},
		{"an unquoted operator", "reasons: 3\nsuppress:\n  - [{field: unsubscribe_count_365d, op: >, value: 0}]\n", 3},
		{"an unquoted operator in a block", "queues:\n  - name: big\n    when:\n      - field: employees\n        op: >=\n        value: 250\n", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig(strings.NewReader(tt.give), "predict.yaml")
			var ce *features.ConfigError
			if !errors.As(err, &ce) || ce.Line != tt.line {
				t.Errorf("error = %v, want a *features.ConfigError on line %d", err, tt.line)
			}
			if strings.HasPrefix(tt.name, "an unquoted operator") && !strings.Contains(err.Error(), "quote it") && !strings.Contains(err.Error(), "quote the operator") {
				t.Errorf("error = %v, want it to say to quote the operator", err)
			}
		})
	}
	c, err := ParseConfig(strings.NewReader("reasons: 20\nrules_max: 100\nmodel_weight: 0\n"), "predict.yaml")
	if err != nil || c.Reasons != 20 || *c.ModelWeight != 0 {
		t.Errorf("valid settings: %+v, %v", c, err)
	}
	// Reps of the default grades' queues, a queue rule's and the
	// complete-the-record queue; the error lists the queues there are.
	if _, err := ParseConfig(strings.NewReader("queues:\n  - {name: enterprise, when: [{field: employees, op: \">\", value: 250}]}\nreps:\n"+
		"  top-sellers: [{name: Ann}]\n  enterprise: [{name: Bo}]\n  complete-the-record: [{name: Cy}]\n"), "predict.yaml"); err != nil {
		t.Errorf("reps of existing queues: %v", err)
	}
	_, err = ParseConfig(strings.NewReader("reps:\n  top-seller: [{name: Ann}]\n"), "predict.yaml")
	if err == nil || !strings.Contains(err.Error(), `no queue "top-seller": leads go to complete-the-record, consultants, marketing-nurture, top-sellers`) {
		t.Errorf("misspelt queue: %v", err)
	}
	if _, err := ParseConfig(strings.NewReader(""), "predict.yaml"); err != nil {
		t.Errorf("empty file: %v", err)
	}
}

package predict

import (
	"bytes"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// configFile is the YAML form of the scoring settings.
type configFile struct {
	ModelWeight   *float64         `yaml:"model_weight"`
	RulesMax      float64          `yaml:"rules_max"`
	DriftPSI      float64          `yaml:"drift_psi"`
	DriftLimit    float64          `yaml:"drift_limit"`
	ChannelColumn string           `yaml:"channel_column"`
	Reasons       int              `yaml:"reasons"`
	Grades        []Grade          `yaml:"grades"`
	Reps          map[string][]Rep `yaml:"reps"`
}

// ParseConfig reads scoring settings from YAML (predict.yaml):
//
//	model_weight: 0.7          # the model's share of the score; rules get the rest
//	grades:                    # by score thresholds, highest first …
//	  - {name: A, min_score: 75, queue: top-sellers}
//	  - {name: B, min_score: 50, queue: consultants}
//	  - {name: C, min_score: 25, queue: consultants}
//	  - {name: D, min_score: 0, queue: marketing-nurture}
//	# … or by capacity: {name: A, capacity: 50, queue: top-sellers}, …
//	reps:                      # optional: sellers per queue, weighted
//	  top-sellers: [{name: Anna, capacity: 2}, {name: Ben, capacity: 1}]
//	drift_psi: 0.2             # warn above this PSI
//	drift_limit: 1.0           # fail (exit code 4) above this PSI; 0 = never
//	channel_column: lead_source
//
// Decoding is strict (unknown keys are errors) and the result is validated.
func ParseConfig(r io.Reader, name string) (Config, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return Config{}, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f configFile
	if err := dec.Decode(&f); err != nil && err != io.EOF {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	c := Config{ModelWeight: f.ModelWeight, RulesMax: f.RulesMax, DriftPSI: f.DriftPSI, DriftLimit: f.DriftLimit, ChannelColumn: f.ChannelColumn,
		Reasons: f.Reasons, Grades: f.Grades, Reps: f.Reps}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

package pipeline

import (
	"strings"

	"leadscore/predict"
)

// ExportXGBoost writes the gbdt model at model in XGBoost's JSON model
// format to out, and beside it (FILE.features.json) the input columns
// with their encoding; it returns the model and the side file's path.
func ExportXGBoost(model, out string) (*predict.Model, string, error) {
	if model == "" || out == "" {
		return nil, "", Usagef("--model and --out are required")
	}
	if err := namedAsWritten(namedOut{"--out", out, ".json"}); err != nil {
		return nil, "", err
	}
	var o Outputs
	defer o.Abort()
	o.Protect(model, modelFile(model))
	f, err := o.Create(out)
	if err != nil {
		return nil, "", err
	}
	side := strings.TrimSuffix(out, ".json") + ".features.json"
	sf, err := o.Create(side)
	if err != nil {
		return nil, "", err
	}
	m, err := readModel(model)
	if err != nil {
		return nil, "", err
	}
	if m.Trees == nil {
		return nil, "", Usagef("model %s is a %s model; only gbdt models export to XGBoost", m.ID, m.Type)
	}
	if err := m.WriteXGBoostJSON(f); err != nil {
		return nil, "", err
	}
	err = JSONWriter(map[string]any{"model_id": m.ID, "features": m.XGBoostFeatures(),
		"missing": "NaN", "output": "probability before calibration (binary:logistic)"})(sf)
	if err != nil {
		return nil, "", err
	}
	return m, side, o.Commit()
}

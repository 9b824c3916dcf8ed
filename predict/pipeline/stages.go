package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"leadscore/features"
	"leadscore/predict"
	"leadscore/rfm"
)

// LoadRules reads a rules file: "" means none, "default" the built-in
// rules.
func LoadRules(path string) (*features.RuleSet, error) {
	switch path {
	case "":
		return nil, nil
	case "default":
		return features.DefaultRules(), nil
	}
	f, err := openSetting("rules file", path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return features.ParseRules(f, path)
}

// LoadPredictConfig reads predict.yaml; "" gives the defaults.
func LoadPredictConfig(path string) (predict.Config, error) {
	if path == "" {
		return predict.Config{}, nil
	}
	f, err := openSetting("predict settings", path)
	if err != nil {
		return predict.Config{}, err
	}
	defer f.Close()
	return predict.ParseConfig(f, path)
}

// LoadSpec reads a feature spec file.
func LoadSpec(path string) (features.Spec, error) {
	f, err := openSetting("spec file", path)
	if err != nil {
		return features.Spec{}, err
	}
	defer f.Close()
	return features.ParseSpec(f, path)
}

// Customers turns the rfm stage's rows into what predict needs.
func Customers(cs []rfm.Customer) map[string]predict.Customer {
	out := make(map[string]predict.Customer, len(cs))
	for _, c := range cs {
		out[c.EntityID] = predict.Customer{ChurnRisk: c.ChurnRisk, PAlive: c.PAlive, Segment: c.Segment, CLV: c.CLV, Reason: c.ChurnReason}
	}
	return out
}

// QuarantinePath is where the rows skipped while writing out go: "" for
// no output, where skipped rows are only counted (see BadRows).
func QuarantinePath(out string) string {
	if out == "" {
		return ""
	}
	ext := filepath.Ext(out)
	return strings.TrimSuffix(out, ext) + ".quarantine.csv"
}

// BadRows sets up the bad-row policy of a run: with max > 0, skipped rows
// go to the CSV file quarantine (QuarantinePath of a command's output, or
// a run folder's quarantine.csv), an output of o that is kept only when
// some row was skipped; with quarantine "" they are only counted. max 0
// fails on the first bad row.
func BadRows(o *Outputs, quarantine string, max int) (*features.BadRows, error) {
	bad := &features.BadRows{Max: max}
	if max == 0 || quarantine == "" {
		return bad, nil
	}
	f, err := o.CreateOptional(quarantine, func() (bool, error) {
		if err := bad.Quarantine.Close(); err != nil {
			return false, fmt.Errorf("quarantine: %w", err)
		}
		return bad.Quarantine.Rows() > 0, nil
	})
	if err != nil {
		return nil, err
	}
	bad.Quarantine = features.NewQuarantine(f)
	return bad, nil
}

// SummaryPath is where a ranked file's summary goes: beside it, named
// after it (ranked.parquet → ranked.summary.json), so that two lists in
// one folder keep their own.
func SummaryPath(out string) string {
	return strings.TrimSuffix(out, filepath.Ext(out)) + ".summary.json"
}

// WriteRanked adds the ranked Parquet file, its summary beside it and, if
// their paths are set, the CSV and the HTML call list to o.
func WriteRanked(o *Outputs, parquetPath, csvPath, htmlPath string, ranked []predict.Ranked, m *predict.Model, sum predict.Summary) error {
	f, err := o.Create(parquetPath)
	if err != nil {
		return err
	}
	meta := map[string]string{features.MetaModelID: m.ID, features.MetaSchemaVersion: features.SchemaVersion}
	if sum.Verdict != "" {
		meta[features.MetaModelVerdict] = sum.Verdict
	}
	if err := predict.WriteParquet(f, ranked, meta, sum.Kept); err != nil {
		return err
	}
	sf, err := o.Create(SummaryPath(parquetPath))
	if err != nil {
		return err
	}
	enc := json.NewEncoder(sf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(sum); err != nil {
		return err
	}
	if csvPath != "" {
		cf, err := o.Create(csvPath)
		if err != nil {
			return err
		}
		cf.ReplacesCSVOf(predict.IsRankedCSVHeader)
		if err := predict.WriteCSV(cf, ranked, sum); err != nil {
			return err
		}
	}
	if htmlPath != "" {
		hf, err := o.Create(htmlPath)
		if err != nil {
			return err
		}
		if err := predict.WriteCallList(hf, ranked, sum); err != nil {
			return err
		}
	}
	return nil
}

// RFMMeta is the key/value metadata of rfm.parquet: the schema version,
// the fit's window and time unit, and the tool.
func RFMMeta(res *rfm.Result, tool string) map[string]string {
	return map[string]string{features.MetaSchemaVersion: features.SchemaVersion, features.MetaRFMWindow: res.Model.WindowStart + "/" + res.Model.WindowEnd,
		features.MetaRFMTimeUnit: res.Model.TimeUnit, features.MetaToolVersion: tool}
}

// WriteRFM adds rfm.parquet (at path) and, when modelPath is set, the
// fitted parameters (clv.json) to o.
func WriteRFM(o *Outputs, path, modelPath string, res *rfm.Result, tool string) error {
	f, err := o.Create(path)
	if err != nil {
		return err
	}
	if err := rfm.WriteParquet(f, res.Customers, RFMMeta(res, tool)); err != nil {
		return err
	}
	if modelPath == "" {
		return nil
	}
	mf, err := o.Create(modelPath)
	if err != nil {
		return err
	}
	return rfm.WriteModel(mf, res.Model)
}

// SaveModel adds model.json, metrics.json and, when given, report.html in
// dir to o.
func SaveModel(o *Outputs, dir string, m *predict.Model, report []byte) error {
	f, err := o.Create(filepath.Join(dir, "model.json"))
	if err != nil {
		return err
	}
	if err := m.Write(f); err != nil {
		return err
	}
	mf, err := o.Create(filepath.Join(dir, "metrics.json"))
	if err != nil {
		return err
	}
	enc := json.NewEncoder(mf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(struct {
		ModelID            string          `json:"model_id"`
		NoBetterThanChance bool            `json:"no_better_than_chance"`
		Metrics            predict.Metrics `json:"metrics"`
	}{m.ID, m.NoBetterThanChance, m.Metrics}); err != nil {
		return err
	}
	if report != nil {
		rf, err := o.Create(filepath.Join(dir, "report.html"))
		if err != nil {
			return err
		}
		if _, err := rf.Write(report); err != nil {
			return err
		}
	}
	return nil
}

// ReadEntities reads an entities file as a flat table for the columns a
// call list keeps (predict.Config.KeepFrom): every column as read, those
// named in keep also as written (features.Column.Written), and the
// contract's entity_id (after src.Columns) as written, as text named
// entity_id.
func ReadEntities(ctx context.Context, src features.Source, keep []string) (*features.Table, error) {
	name := "entity_id"
	if c, ok := src.Columns["entity_id"]; ok {
		name = c
	}
	src.Written = map[string]bool{name: true}
	for _, k := range keep {
		src.Written[k] = true
	}
	t, err := features.ReadTable(ctx, src, nil, nil)
	if err != nil {
		return nil, err
	}
	id := t.Column(name)
	if id == nil {
		return nil, &features.SchemaError{Path: src.Path, Err: fmt.Errorf("no %s column (have %s)", name, strings.Join(t.Names(), ", "))}
	}
	ids := make([]string, id.Len())
	for i := range ids {
		ids[i] = id.AsWritten(i)
	}
	*id = features.Column{Name: "entity_id", Kind: features.KindString, Str: ids}
	return t, nil
}

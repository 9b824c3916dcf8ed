package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"leadscore/datasets"
	"leadscore/features"
	"leadscore/predict"
)

// TestXGBoostExport trains a gbdt model (categorical columns with hundreds
// of levels, missing values, row and column sampling), exports it to
// XGBoost's JSON format, and has Debian's python3-xgboost predict the
// table: every row's probability must match leadscore's own (before
// calibration) within 1e-5. Skipped without python3-xgboost (.ci/run
// installs it).
func TestXGBoostExport(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import xgboost, numpy").Run(); err != nil {
		t.Skip("python3-xgboost not installed (apt-get install python3-xgboost)")
	}
	dir := t.TempDir()
	table := filepath.Join(dir, "leads.csv")
	var buf bytes.Buffer
	if err := datasets.GenerateLeads(context.Background(), datasets.LeadsConfig{Rows: 6000, Seed: 3}, &buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(table, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	modelDir := filepath.Join(dir, "gbdt")
	if code, _, stderr := runCLI(t, "train", "--table", table, "--label", "won", "--id", "lead_id", "--time-col", "created",
		"--model", "gbdt", "--rounds", "80", "--subsample", "0.8", "--colsample", "0.8", "--min-data-in-leaf", "10",
		"--out", modelDir, "-q"); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	out := filepath.Join(dir, "gbdt.xgb.json")
	if code, _, stderr := runCLI(t, "models", "export", "--model", modelDir, "--format", "xgboost-json", "--out", out); code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	m, err := predict.ReadFile(modelDir)
	if err != nil {
		t.Fatal(err)
	}
	cats := 0
	for _, tr := range m.Trees.Trees {
		cats += len(tr.CatNodes)
	}
	if cats == 0 {
		t.Fatal("the model has no categorical split: the test would not check them")
	}
	py := exec.Command("/usr/bin/python3", "testdata/xgb_predict.py", out, table)
	var stderr bytes.Buffer
	py.Stderr = &stderr
	got, err := py.Output()
	if err != nil {
		t.Fatalf("xgb_predict.py: %v: %s", err, stderr.String())
	}
	tab, err := features.ReadTable(context.Background(), features.Source{Path: table}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := predict.NewEncoder(m, tab)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(got))
	if len(lines) != tab.NumRows() {
		t.Fatalf("XGBoost predicted %d rows, the table has %d", len(lines), tab.NumRows())
	}
	worst := 0.0
	for i, l := range lines {
		xp, err := strconv.ParseFloat(l, 64)
		if err != nil {
			t.Fatal(err)
		}
		worst = math.Max(worst, math.Abs(xp-predict.Sigmoid(enc.Logit(i))))
	}
	t.Logf("%d rows, %d trees, %d categorical splits: largest difference %.2g", len(lines), len(m.Trees.Trees), cats, worst)
	if worst > 1e-5 {
		t.Errorf("XGBoost and leadscore differ by up to %.3g, want ≤ 1e-5", worst)
	}

	// XGBoost's own TreeSHAP (pred_contribs) on the exported trees gives
	// the same contributions and base value as leadscore's.
	py = exec.Command("/usr/bin/python3", "testdata/xgb_predict.py", out, table, "--contribs")
	py.Stderr = &stderr
	got, err = py.Output()
	if err != nil {
		t.Fatalf("xgb_predict.py --contribs: %v: %s", err, stderr.String())
	}
	rows := strings.Split(strings.TrimSpace(string(got)), "\n")
	phi := make([]float64, len(m.Features))
	worst = 0
	for i, line := range rows {
		f := strings.Fields(line)
		if len(f) != len(phi)+1 {
			t.Fatalf("row %d: %d contributions, want %d and the bias", i, len(f), len(phi))
		}
		enc.Explain(i, phi)
		for k, s := range f {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatal(err)
			}
			want := m.Trees.ExpectedLogit()
			if k < len(phi) {
				want = phi[k]
			}
			worst = math.Max(worst, math.Abs(v-want))
		}
	}
	t.Logf("TreeSHAP: largest difference from XGBoost's pred_contribs %.2g", worst)
	if worst > 1e-4 {
		t.Errorf("SHAP values differ from XGBoost's by up to %.3g, want ≤ 1e-4 (float32 there)", worst)
	}
}

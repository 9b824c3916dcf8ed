package train

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"leadscore/features"
)

// shared returns a file of ../shared/data, skipping the test without it.
func shared(t *testing.T, parts ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{"..", "..", "shared", "data"}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s is absent", p)
	}
	return p
}

func readShared(t *testing.T, path string, sep rune, na []string) *features.Table {
	t.Helper()
	tb, err := features.ReadTable(context.Background(), features.Source{Path: path, CSV: features.CSVOptions{Sep: sep}}, na, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// TestMavenLeak: the Maven CRM deals' close_value (0 for every lost deal)
// is filled in once a deal closes; training on the export as it comes
// stops at it, and at nothing else.
func TestMavenLeak(t *testing.T) {
	tb := readShared(t, shared(t, "maven_crm", "sales_pipeline.csv"), 0, nil)
	_, err := Train(context.Background(), tb, Config{Label: "deal_stage", Positive: "Won", Negative: "Lost", ID: "opportunity_id",
		TimeColumn: "engage_date"})
	var le *LeakError
	if !errors.As(err, &le) || len(le.Leaks) != 1 || le.Leaks[0].Column != "close_value" || math.Abs(le.Leaks[0].AUC-1) > 1e-12 {
		t.Fatalf("err %v: want close_value alone, AUC 1 (to rounding)", err)
	}
}

// TestMavenNoSignal: the Maven CRM deals carry no usable signal in their
// own columns (agent, product, account); the model must say so.
func TestMavenNoSignal(t *testing.T) {
	tb := readShared(t, shared(t, "maven_crm", "sales_pipeline.csv"), 0, nil)
	m, err := Train(context.Background(), tb, Config{Label: "deal_stage", Positive: "Won", Negative: "Lost", ID: "opportunity_id",
		Drop: []string{"close_value", "close_date"}, TimeColumn: "engage_date"})
	if err != nil {
		t.Fatal(err)
	}
	if !m.NoBetterThanChance || m.Training.Rows+m.Metrics.Rows != 6711 {
		t.Errorf("AUC %.3f [%.3f, %.3f] on %d+%d rows: want no better than chance on the 6,711 closed deals",
			m.Metrics.AUC, m.Metrics.AUCLow, m.Metrics.AUCHigh, m.Training.Rows, m.Metrics.Rows)
	}
}

// TestXEducation: the accuracy bars on the X Education leads
// (random stratified 80/20, seed 1): AUC ≥ 0.97 with all columns, ≥ 0.88
// without those that leak the outcome.
func TestXEducation(t *testing.T) {
	path := shared(t, "x_education_leads", "Leads.csv")
	leaky := []string{"Tags", "Lead Quality", "Lead Profile", "Asymmetrique Activity Index", "Asymmetrique Profile Index",
		"Asymmetrique Activity Score", "Asymmetrique Profile Score"}
	tests := []struct {
		name string
		drop []string
		min  float64
	}{
		{"all columns", nil, 0.97},
		{"without leaks", leaky, 0.88},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := readShared(t, path, 0, []string{"Select"})
			m, err := Train(context.Background(), tb, Config{Label: "Converted", ID: "Lead Number",
				Drop: append([]string{"Prospect ID"}, tt.drop...), Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			if m.Metrics.AUC < tt.min {
				t.Errorf("AUC %.4f, want ≥ %.2f", m.Metrics.AUC, tt.min)
			}
			t.Logf("AUC %.4f [%.4f, %.4f], calibration %s, ECE %.4f → %.4f", m.Metrics.AUC, m.Metrics.AUCLow, m.Metrics.AUCHigh,
				m.Metrics.Calibration, m.Metrics.ECERaw, m.Metrics.ECE)
		})
	}
}

// TestBankMatchesSklearn trains on UCI bank-full without duration, on
// exactly scikit-learn's 80/20 split (train_test_split, random_state 42;
// testdata/gen_bank_sklearn.py), and compares validation AUCs: within 0.005.
func TestBankMatchesSklearn(t *testing.T) {
	tb := readShared(t, shared(t, "uci_bank_marketing", "bank-full.csv"), ';', nil)
	b, err := os.ReadFile("testdata/bank_split.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		AUC       float64 `json:"auc"`
		ValidRows []int   `json:"valid_rows"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	m, err := Train(context.Background(), tb, Config{Label: "y", Positive: "yes", Drop: []string{"duration"}, ValidRows: ref.ValidRows, Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(m.Metrics.AUC-ref.AUC) > 0.005 {
		t.Errorf("AUC %.4f, scikit-learn %.4f on the same rows: want within 0.005", m.Metrics.AUC, ref.AUC)
	}
	t.Logf("AUC %.4f [%.4f, %.4f]; scikit-learn %.4f", m.Metrics.AUC, m.Metrics.AUCLow, m.Metrics.AUCHigh, ref.AUC)
}

// TestGBDTMatchesXGBoost trains the gradient-boosted trees on the splits
// and data of testdata/gbdt_xgboost.json (gen_gbdt_xgboost.py: XGBoost
// 1.7 hist, 300 rounds, eta 0.1, depth 6) with leadscore's defaults (300
// rounds, 31 leaves, learning rate 0.1): the validation AUC must be at
// least XGBoost's less 0.005.
func TestGBDTMatchesXGBoost(t *testing.T) {
	b, err := os.ReadFile("testdata/gbdt_xgboost.json")
	if err != nil {
		t.Fatal(err)
	}
	type ref struct {
		AUC       float64 `json:"auc"`
		ValidRows []int   `json:"valid_rows"`
	}
	var refs struct {
		Bank       ref `json:"bank"`
		XEducation ref `json:"x_education"`
	}
	if err := json.Unmarshal(b, &refs); err != nil {
		t.Fatal(err)
	}
	leaky := []string{"Tags", "Lead Quality", "Lead Profile", "Asymmetrique Activity Index", "Asymmetrique Profile Index",
		"Asymmetrique Activity Score", "Asymmetrique Profile Score"}
	tests := []struct {
		name string
		ref  ref
		read func(t *testing.T) *features.Table
		cfg  Config
	}{
		{"bank-full without duration", refs.Bank, func(t *testing.T) *features.Table {
			return readShared(t, shared(t, "uci_bank_marketing", "bank-full.csv"), ';', nil)
		}, Config{Label: "y", Positive: "yes", Drop: []string{"duration"}}},
		{"X Education without leaks", refs.XEducation, func(t *testing.T) *features.Table {
			return readShared(t, shared(t, "x_education_leads", "Leads.csv"), 0, []string{"Select"})
		}, Config{Label: "Converted", ID: "Lead Number", Drop: append([]string{"Prospect ID"}, leaky...)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Model, cfg.ValidRows, cfg.Seed = "gbdt", tt.ref.ValidRows, 1
			m, err := Train(context.Background(), tt.read(t), cfg) // t: a missing file skips the subtest
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: AUC %.4f [%.4f, %.4f], XGBoost %.4f on the same %d validation rows", tt.name, m.Metrics.AUC, m.Metrics.AUCLow, m.Metrics.AUCHigh, tt.ref.AUC, m.Metrics.Rows)
			if m.Metrics.AUC < tt.ref.AUC-0.005 {
				t.Errorf("AUC %.4f, XGBoost %.4f on the same rows: want at least XGBoost's less 0.005", m.Metrics.AUC, tt.ref.AUC)
			}
		})
	}
}

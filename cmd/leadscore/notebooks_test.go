package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestNotebooks executes every notebook in notebooks/ top to bottom, as
// the data team would: on the demo's latest run and backtest, and on a
// run folder of another shape (a fixed model, no orders and no rules, so
// no model/, no rfm stage and no rule columns) with a backtest whose list
// is no better than chance on a date. It needs Debian's jupyter-nbconvert, python3-pandas and
// python3-matplotlib (.ci/run installs them) and is skipped without them.
func TestNotebooks(t *testing.T) {
	jupyter, err := exec.LookPath("jupyter")
	if err != nil {
		t.Skip("jupyter is not installed (apt-get install jupyter-nbconvert python3-ipykernel python3-pandas python3-matplotlib)")
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import pandas, matplotlib").Run(); err != nil {
		t.Skip("python3-pandas or python3-matplotlib is not installed")
	}
	dir, _ := sharedDemo(t)
	other := t.TempDir()
	cfg := filepath.Join(other, "pipeline.yaml")
	os.WriteFile(cfg, []byte("out: runs\nevents: {path: "+dir+"/data/events.parquet}\nentities: {path: "+dir+"/data/entities.parquet}\nmodel: "+dir+"/runs/latest/model/model.json\n"), 0o644)
	if code, _, errs := runCLI(t, "run", "--config", cfg, "--as-of", "2024-12-01", "-q"); code != 0 {
		t.Fatalf("run: %s", errs)
	}
	books, _ := filepath.Glob("../../notebooks/*.ipynb")
	if len(books) < 4 {
		t.Fatalf("found %d notebooks, want 4", len(books))
	}
	// The other backtest: the demo's, but with a list no better than
	// chance on its first date, as a model with little to learn from gives.
	var bt map[string]any
	if b, err := os.ReadFile(filepath.Join(dir, "backtest", "backtest.json")); err != nil || json.Unmarshal(b, &bt) != nil {
		t.Fatalf("the demo's backtest.json: %v", err)
	}
	for _, l := range bt["dates"].([]any)[0].(map[string]any)["evaluation"].(map[string]any)["lists"].([]any) {
		if l := l.(map[string]any); l["name"] == "call list" {
			l["auc"] = 0.45
		}
	}
	weak, _ := json.Marshal(bt)
	os.MkdirAll(filepath.Join(other, "backtest"), 0o755)
	os.WriteFile(filepath.Join(other, "backtest", "backtest.json"), weak, 0o644)
	runs := map[string]string{"demo": filepath.Join(dir, "runs", "latest"), "other": filepath.Join(other, "runs", "2024-12-01")}
	backtests := map[string]string{"demo": filepath.Join(dir, "backtest"), "other": filepath.Join(other, "backtest")}
	for _, nb := range books {
		for name, run := range runs {
			t.Run(name+"/"+filepath.Base(nb), func(t *testing.T) {
				cmd := exec.Command(jupyter, "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=300",
					"--output-dir", t.TempDir(), nb)
				// The notebooks read Parquet through `leadscore export`: this
				// test binary is leadscore when LEADSCORE_RUN_MAIN is set.
				cmd.Env = append(os.Environ(), "LEADSCORE_RUN="+run, "LEADSCORE_BACKTEST="+backtests[name],
					"LEADSCORE_BIN="+os.Args[0], "LEADSCORE_RUN_MAIN=1")
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("%s failed: %v\n%s", nb, err, out)
				}
			})
		}
	}
}

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNotebooks executes every notebook in notebooks/ top to bottom, as
// the data team would: on the demo's latest run and backtest, and on a
// run folder of another shape (a fixed model, no orders and no rules, so
// no model/, no rfm stage and no rule columns). It needs Debian's jupyter-nbconvert, python3-pandas and
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
	runs := map[string]string{"demo": filepath.Join(dir, "runs", "latest"), "other": filepath.Join(other, "runs", "2024-12-01")}
	for _, nb := range books {
		for name, run := range runs {
			if name == "other" && strings.Contains(nb, "backtest") {
				continue
			}
			t.Run(name+"/"+filepath.Base(nb), func(t *testing.T) {
				cmd := exec.Command(jupyter, "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=300",
					"--output-dir", t.TempDir(), nb)
				// The notebooks read Parquet through `leadscore export`: this
				// test binary is leadscore when LEADSCORE_RUN_MAIN is set.
				cmd.Env = append(os.Environ(), "LEADSCORE_RUN="+run, "LEADSCORE_BACKTEST="+filepath.Join(dir, "backtest"),
					"LEADSCORE_BIN="+os.Args[0], "LEADSCORE_RUN_MAIN=1")
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("%s failed: %v\n%s", nb, err, out)
				}
			})
		}
	}
}

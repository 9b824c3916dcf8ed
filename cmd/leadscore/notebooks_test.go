package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestNotebooks runs the demo, then executes every notebook in notebooks/
// top to bottom against its output, as the data team would after
// `leadscore demo`. It needs Debian's jupyter-nbconvert, python3-pandas and
// python3-matplotlib (.ci/run installs them) and is skipped without them.
func TestNotebooks(t *testing.T) {
	jupyter, err := exec.LookPath("jupyter")
	if err != nil {
		t.Skip("jupyter is not installed (apt-get install jupyter-nbconvert python3-ipykernel python3-pandas python3-matplotlib)")
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import pandas, matplotlib").Run(); err != nil {
		t.Skip("python3-pandas or python3-matplotlib is not installed")
	}
	dir := t.TempDir()
	if code, _, errs := runCLI(t, "demo", "--out", dir, "-q"); code != 0 {
		t.Fatalf("demo: %s", errs)
	}
	books, _ := filepath.Glob("../../notebooks/*.ipynb")
	if len(books) < 3 {
		t.Fatalf("found %d notebooks, want 3", len(books))
	}
	for _, nb := range books {
		t.Run(filepath.Base(nb), func(t *testing.T) {
			cmd := exec.Command(jupyter, "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=300",
				"--output-dir", t.TempDir(), nb)
			cmd.Env = append(os.Environ(), "LEADSCORE_DEMO="+dir)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s failed: %v\n%s", nb, err, out)
			}
		})
	}
}

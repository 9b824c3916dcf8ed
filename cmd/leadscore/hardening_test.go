package main

import (
	"bytes"
	"fmt"
	"leadscore/predict/pipeline"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOutputIsInput: an output path naming an input (the same file, or a
// link to it) is a usage error and the input is left as it was.
func TestOutputIsInput(t *testing.T) {
	demoDir, _ := sharedDemo(t)
	// A copy of the demo's files: the commands here try to overwrite them.
	dir := t.TempDir()
	for from, to := range map[string]string{"data": "data", "runs/latest": "run"} {
		// os.DirFS of the link follows it; CopyFS does not copy links.
		if err := os.CopyFS(filepath.Join(dir, to), os.DirFS(filepath.Join(demoDir, from)+"/")); err != nil {
			t.Fatal(err)
		}
	}
	events := filepath.Join(dir, "data", "events.parquet")
	link := filepath.Join(dir, "events-link.parquet")
	os.Symlink(events, link)
	model := filepath.Join(dir, "run", "model")
	feats := filepath.Join(dir, "run", "features.parquet")
	rfmFile := filepath.Join(dir, "run", "rfm.parquet")
	// Links named as the outputs' kinds: the inputs behind them are found.
	modelCSV, rfmCSV := filepath.Join(dir, "model-link.csv"), filepath.Join(dir, "rfm-link.csv")
	os.Symlink(filepath.Join(model, "model.json"), modelCSV)
	os.Symlink(rfmFile, rfmCSV)
	tests := []struct {
		name  string
		input string
		args  []string
	}{
		{"features --out events", events, []string{"features", "--events", events, "--as-of", "2025-01-01", "--out", events}},
		{"features --out a link to events", events, []string{"features", "--events", events, "--as-of", "2025-01-01", "--out", link}},
		{"predict --out features", feats, []string{"predict", "--model", model, "--features", feats, "--out", feats}},
		{"predict --csv a link to model.json", filepath.Join(model, "model.json"), []string{"predict", "--model", model, "--features", feats, "--out", filepath.Join(dir, "r.parquet"), "--csv", modelCSV}},
		{"rfm --out orders", filepath.Join(dir, "data", "orders.parquet"), []string{"rfm", "--orders", filepath.Join(dir, "data", "orders.parquet"), "--as-of", "2025-01-01", "--out", filepath.Join(dir, "data", "orders.parquet")}},
		{"rfm --out previous", rfmFile, []string{"rfm", "--orders", filepath.Join(dir, "data", "orders.parquet"), "--as-of", "2025-01-01", "--previous", rfmFile, "--out", rfmFile}},
		{"export --out a link to in", rfmFile, []string{"export", "--in", rfmFile, "--out", rfmCSV}},
		{"models export --out model.json", filepath.Join(model, "model.json"), []string{"models", "export", "--model", model, "--out", filepath.Join(model, "model.json")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := os.ReadFile(tt.input)
			code, _, errs := runCLI(t, append(tt.args, "-q")...)
			after, _ := os.ReadFile(tt.input)
			if code != pipeline.ExitUsage || !strings.Contains(errs, "is the input") {
				t.Errorf("exit %d, stderr %q; want 2 naming the input", code, errs)
			}
			if len(before) == 0 || !bytes.Equal(before, after) {
				t.Errorf("%s changed", tt.input)
			}
		})
	}
}

// TestNoTemporaryFilesLeft: a features or rfm run that fails with too many
// bad rows leaves no temporary file (quarantine included) and no folder it
// made.
func TestNoTemporaryFilesLeft(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "events.csv")
	os.WriteFile(bad, []byte("entity_id,ts,type\na,2024-13-01,rfq\nb,2024-13-02,rfq\nc,2024-13-03,rfq\n"), 0o644)
	orders := filepath.Join(dir, "orders.csv")
	os.WriteFile(orders, []byte("entity_id,ts,amount\na,2024-01-01,x\nb,2024-01-02,y\nc,2024-01-03,z\n"), 0o644)
	for _, args := range [][]string{
		{"features", "--events", bad, "--as-of", "2025-01-01", "--max-bad-rows", "2", "--out", filepath.Join(dir, "new", "f.parquet")},
		{"rfm", "--orders", orders, "--as-of", "2025-01-01", "--max-bad-rows", "2", "--out", filepath.Join(dir, "new", "rfm.parquet")},
	} {
		code, _, errs := runCLI(t, append(args, "-q")...)
		if code != pipeline.ExitBadInput || !strings.Contains(errs, "too many bad rows") || strings.Contains(errs, "add --max-bad-rows") {
			t.Errorf("%s: exit %d, stderr %q; want 3, too many bad rows", args[0], code, errs)
		}
		// Stopped at the first bad row, the message says how to skip it.
		code, _, errs = runCLI(t, slices.Concat(args[:len(args)-4], args[len(args)-2:])...)
		if code != pipeline.ExitBadInput || !strings.Contains(errs, ":2:") || !strings.Contains(errs, "add --max-bad-rows N") {
			t.Errorf("%s without --max-bad-rows: exit %d, stderr %q; want 3, line 2 and the flag", args[0], code, errs)
		}
		if _, err := os.Stat(filepath.Join(dir, "new")); err == nil {
			t.Errorf("%s: the folder made for the output is left behind", args[0])
		}
		assertNoTemp(t, dir)
	}
	// Within the budget, the log line counts the rows and shows the first;
	// the quarantine file has them all.
	code, _, errs := runCLI(t, "features", "--events", bad, "--as-of", "2025-01-01", "--max-bad-rows", "3", "--out", filepath.Join(dir, "ok", "f.parquet"))
	if code != 0 || !strings.Contains(errs, "bad_rows=3") || !strings.Contains(errs, "events.csv:2:") || strings.Contains(errs, "events.csv:3:") {
		t.Errorf("three rows skipped: exit %d, log %q", code, errs)
	}
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", p)
		}
		return nil
	})
}

// TestSIGTERMLeavesNoQuarantine: a features run skipping bad rows and
// stopped by SIGTERM leaves neither the output nor the quarantine file,
// finished or temporary.
func TestSIGTERMLeavesNoQuarantine(t *testing.T) {
	dir := t.TempDir()
	events := filepath.Join(dir, "events.csv")
	var b bytes.Buffer
	b.WriteString("entity_id,ts,type\nx,2024-13-01,rfq\n")
	for i := range 3_000_000 {
		fmt.Fprintf(&b, "e%d,2024-01-%02d,rfq\n", i%50000, 1+i%28)
	}
	os.WriteFile(events, b.Bytes(), 0o644)
	out := filepath.Join(dir, "out")
	cmd := command("features", "--events", events, "--as-of", "2025-01-01", "--max-bad-rows", "5", "--out", filepath.Join(out, "f.parquet"), "-q")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
		if entries, _ := os.ReadDir(out); len(entries) > 0 {
			break
		}
		if time.Since(start) > 20*time.Second {
			cmd.Process.Kill()
			t.Fatal("the child never started writing")
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != pipeline.ExitInterrupted && code != 0 {
		t.Errorf("exit %d, want 130 (or 0 if it finished first)", code)
	}
	if cmd.ProcessState.ExitCode() == pipeline.ExitInterrupted {
		if _, err := os.Stat(out); err == nil {
			entries, _ := os.ReadDir(out)
			for _, e := range entries {
				t.Errorf("left behind: %s", e.Name())
			}
		}
	}
	assertNoTemp(t, dir)
}

// TestTreeZeros: --rounds 0 is refused (it trained 300 trees) and
// --lambda 0 trains without L2 on leaf values (it meant the default 1).
func TestTreeZeros(t *testing.T) {
	dir := t.TempDir()
	leads := filepath.Join(dir, "leads.csv")
	if code, _, errs := runCLI(t, "datasets", "leads", "--rows", "2000", "--out", leads); code != 0 {
		t.Fatalf("datasets leads: exit %d, %s", code, errs)
	}
	base := []string{"train", "--table", leads, "--label", "won", "--id", "lead_id", "--time-col", "created", "--model", "gbdt", "-q"}
	if code, _, errs := runCLI(t, append(base, "--rounds", "0", "--out", filepath.Join(dir, "m0"))...); code != pipeline.ExitUsage || !strings.Contains(errs, "--rounds: must be more than 0") {
		t.Errorf("--rounds 0: exit %d, %q", code, errs)
	}
	for lambda, want := range map[string]string{"0": `"lambda": 0,`, "": `"lambda": 1,`} {
		args := append(base, "--rounds", "5", "--out", filepath.Join(dir, "m"+lambda))
		if lambda != "" {
			args = append(args, "--lambda", lambda)
		}
		if code, _, errs := runCLI(t, args...); code != 0 {
			t.Fatalf("--lambda %q: exit %d, %s", lambda, code, errs)
		}
		b, _ := os.ReadFile(filepath.Join(dir, "m"+lambda, "model.json"))
		if !strings.Contains(string(b), want) {
			t.Errorf("--lambda %q: model.json has no %s", lambda, want)
		}
	}
}

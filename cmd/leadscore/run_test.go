package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pipelineFixture generates data, trains a model and writes pipeline.yaml
// in dir; it returns the config path.
func pipelineFixture(t *testing.T, dir string) string {
	t.Helper()
	data := filepath.Join(dir, "data")
	for _, s := range [][]string{
		{"datasets", "generate", "--out", data, "--entities", "2500", "--seed", "4"},
		{"features", "--events", data + "/events.csv", "--entities", data + "/entities.csv", "--cutoffs", data + "/deals.csv",
			"--rules", "default", "--out", dir + "/train.parquet"},
		{"train", "--features", dir + "/train.parquet", "--time-col", "ts", "--drop", "deal_id", "--out", dir + "/models/lr"},
	} {
		if code, out, errs := runCLI(t, append(s, "-q")...); code != 0 {
			t.Fatalf("%v: exit %d\n%s\n%s", s, code, out, errs)
		}
	}
	conf := "out: runs\nevents: {path: data/events.csv}\nentities: {path: data/entities.csv}\norders: {path: data/orders.csv}\nmodel: models/lr\nrules: default\n"
	p := filepath.Join(dir, "pipeline.yaml")
	os.WriteFile(p, []byte(conf), 0o644)
	return p
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	conf := pipelineFixture(t, dir)
	runs := filepath.Join(dir, "runs")
	code, out, errs := runCLI(t, "run", "--config", conf, "--as-of", "2024-12-01", "-q")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errs)
	}
	first, _ := os.ReadFile(filepath.Join(runs, "2024-12-01", "ranked.csv"))
	// A second date, then a rerun of the first: replaced in place, and
	// latest follows the newest run.
	if code, _, errs := runCLI(t, "run", "--config", conf, "--as-of", "2025-01-01", "-q"); code != 0 {
		t.Fatalf("second run: %s", errs)
	}
	if target, _ := os.Readlink(filepath.Join(runs, "latest")); target != "2025-01-01" {
		t.Errorf("latest -> %q, want 2025-01-01", target)
	}
	// The rerun uses one thread: every output but the manifest (which
	// records durations) is byte-identical.
	keep := map[string][]byte{}
	for _, name := range []string{"features.parquet", "rfm.parquet", "clv.json", "ranked.parquet", "ranked.csv", "summary.json"} {
		keep[name], _ = os.ReadFile(filepath.Join(runs, "2024-12-01", name))
	}
	old := runtime.GOMAXPROCS(1)
	code, _, errs = runCLI(t, "run", "--config", conf, "--as-of", "2024-12-01", "-q")
	runtime.GOMAXPROCS(old)
	if code != 0 {
		t.Fatalf("rerun: %s", errs)
	}
	for name, b := range keep {
		again, _ := os.ReadFile(filepath.Join(runs, "2024-12-01", name))
		if len(b) == 0 || string(b) != string(again) {
			t.Errorf("%s differs between a rerun with GOMAXPROCS=1 and the first run", name)
		}
	}
	if len(first) == 0 {
		t.Error("no ranked.csv")
	}
	var man manifest
	b, _ := os.ReadFile(filepath.Join(runs, "2024-12-01", "manifest.json"))
	if err := json.Unmarshal(b, &man); err != nil || man.Status != "ok" || man.Rows["ranked"] == 0 || man.Inputs["events"] == "" || man.ModelID == "" {
		t.Errorf("manifest %+v, %v", man, err)
	}
	assertNoLitter(t, runs)
	// A bad config is a configuration error.
	os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("out: runs\ncolour: red\n"), 0o644)
	if code, _, _ := runCLI(t, "run", "--config", filepath.Join(dir, "bad.yaml"), "--as-of", "2025-01-01", "-q"); code != exitUsage {
		t.Errorf("bad config: exit %d, want 2", code)
	}
	// A run that fails on its data keeps the previous outputs and says why.
	os.WriteFile(filepath.Join(dir, "data", "events.csv"), []byte("entity_id,ts,type\na,2024-02-30,rfq\n"), 0o644)
	before, _ := os.ReadFile(filepath.Join(runs, "2025-01-01", "ranked.csv"))
	if code, _, _ := runCLI(t, "run", "--config", conf, "--as-of", "2025-01-01", "-q"); code != exitBadInput {
		t.Errorf("bad events: exit %d, want 3", code)
	}
	after, _ := os.ReadFile(filepath.Join(runs, "2025-01-01", "ranked.csv"))
	if len(before) == 0 || string(before) != string(after) {
		t.Error("a failed run changed the previous outputs")
	}
	var failed manifest
	fb, _ := os.ReadFile(filepath.Join(runs, "2025-01-01.failed.json"))
	if err := json.Unmarshal(fb, &failed); err != nil || failed.Status != "failed" || failed.ExitCode != exitBadInput || !strings.Contains(failed.Error, "events.csv:2:") {
		t.Errorf("failure manifest %+v, %v", failed, err)
	}
}

// TestRunKilled kills a run with SIGKILL while it writes: the previous
// outputs stay intact, and the next run succeeds and leaves no litter.
func TestRunKilled(t *testing.T) {
	dir := t.TempDir()
	conf := pipelineFixture(t, dir)
	runs := filepath.Join(dir, "runs")
	if code, _, errs := runCLI(t, "run", "--config", conf, "--as-of", "2025-01-01", "-q"); code != 0 {
		t.Fatalf("run: %s", errs)
	}
	before, _ := os.ReadFile(filepath.Join(runs, "2025-01-01", "ranked.csv"))
	for _, delay := range []time.Duration{50 * time.Millisecond, 300 * time.Millisecond} {
		cmd := command("run", "--config", conf, "--as-of", "2025-01-01", "-q")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		now, _ := os.ReadFile(filepath.Join(runs, "2025-01-01", "ranked.csv"))
		if string(now) != string(before) {
			t.Fatalf("killed after %v: the previous ranked.csv changed", delay)
		}
	}
	if code, _, errs := runCLI(t, "run", "--config", conf, "--as-of", "2025-01-01", "-q"); code != 0 {
		t.Fatalf("run after the kills: %s", errs)
	}
	assertNoLitter(t, runs)
}

// assertNoLitter checks that OUT holds only date links, latest and .data,
// and that every folder in .data is the target of a date link.
func assertNoLitter(t *testing.T, runs string) {
	t.Helper()
	used := map[string]bool{}
	entries, _ := os.ReadDir(runs)
	for _, e := range entries {
		if e.Name() == ".data" {
			continue
		}
		target, err := os.Readlink(filepath.Join(runs, e.Name()))
		if err != nil {
			t.Errorf("%s is not a link: litter", e.Name())
			continue
		}
		used[filepath.Base(target)] = true
	}
	dirs, _ := os.ReadDir(filepath.Join(runs, ".data"))
	for _, d := range dirs {
		if !used[d.Name()] {
			t.Errorf("unlinked run folder left behind: .data/%s", d.Name())
		}
	}
}

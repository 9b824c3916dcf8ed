package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"leadscore/features/testfiles"
	"leadscore/predict/pipeline"
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
	for _, name := range []string{"features.parquet", "rfm.parquet", "clv.json", "ranked.parquet", "ranked.csv", "ranked.summary.json"} {
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
	var man pipeline.Manifest
	b, _ := os.ReadFile(filepath.Join(runs, "2024-12-01", "manifest.json"))
	if err := json.Unmarshal(b, &man); err != nil || man.Status != "ok" || man.Rows["ranked"] == 0 || man.Inputs["events"] == "" || man.ModelID == "" {
		t.Errorf("manifest %+v, %v", man, err)
	}
	assertNoLitter(t, runs)
	// Pages carry leadscore's mark, by which a rerun knows them as its own.
	for _, page := range []string{filepath.Join(runs, "2024-12-01", "calllist.html"), filepath.Join(dir, "models", "lr", "report.html")} {
		if b, err := os.ReadFile(page); err != nil || !strings.Contains(string(b), `<meta name="generator" content="leadscore">`) {
			t.Errorf("%s: no generator mark (%v)", page, err)
		}
	}
	// A bad config is a configuration error.
	os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("out: runs\ncolour: red\n"), 0o644)
	if code, _, _ := runCLI(t, "run", "--config", filepath.Join(dir, "bad.yaml"), "--as-of", "2025-01-01", "-q"); code != pipeline.ExitUsage {
		t.Errorf("bad config: exit %d, want 2", code)
	}
	// A run that fails on its data keeps the previous outputs and says why.
	os.WriteFile(filepath.Join(dir, "data", "events.csv"), []byte("entity_id,ts,type\na,2024-02-30,rfq\n"), 0o644)
	before, _ := os.ReadFile(filepath.Join(runs, "2025-01-01", "ranked.csv"))
	if code, _, errs := runCLI(t, "run", "--config", conf, "--as-of", "2025-01-01", "-q"); code != pipeline.ExitBadInput || !strings.Contains(errs, "max_bad_rows: N") ||
		strings.Contains(errs, "time_format") {
		t.Errorf("bad events: exit %d, stderr %q; want 3 and the config key that skips bad rows", code, errs)
	}
	// Day-first dates: the message names the config key that reads them.
	os.WriteFile(filepath.Join(dir, "data", "events.csv"), []byte("entity_id,ts,type\na,30.04.2024,rfq\n"), 0o644)
	if code, _, errs := runCLI(t, "run", "--config", conf, "--as-of", "2025-01-01", "-q"); code != pipeline.ExitBadInput ||
		!strings.Contains(errs, `"30.04.2024" reads as dd.mm.yyyy: set time_format: "dd.mm.yyyy" on that file in the config.`) {
		t.Errorf("day-first events: exit %d, stderr %q; want 3 and time_format", code, errs)
	}
	os.WriteFile(filepath.Join(dir, "data", "events.csv"), []byte("entity_id,ts,type\na,2024-02-30,rfq\n"), 0o644)
	after, _ := os.ReadFile(filepath.Join(runs, "2025-01-01", "ranked.csv"))
	if len(before) == 0 || string(before) != string(after) {
		t.Error("a failed run changed the previous outputs")
	}
	var failed pipeline.Manifest
	fb, _ := os.ReadFile(filepath.Join(runs, "2025-01-01.failed.json"))
	if err := json.Unmarshal(fb, &failed); err != nil || failed.Status != "failed" || failed.ExitCode != pipeline.ExitBadInput || !strings.Contains(failed.Error, "events.csv:2:") {
		t.Errorf("failure manifest %+v, %v", failed, err)
	}
	// With max_bad_rows the run skips the row into the run folder's
	// quarantine.csv (docs/outputs.md).
	os.WriteFile(filepath.Join(dir, "data", "events.csv"), []byte("entity_id,ts,type\na,2024-02-30,rfq\nb,2024-06-01,rfq\n"), 0o644)
	raw, _ := os.ReadFile(conf)
	skipping := filepath.Join(dir, "skipping.yaml")
	os.WriteFile(skipping, append(raw, "max_bad_rows: 5\n"...), 0o644)
	if code, out, errs := runCLI(t, "run", "--config", skipping, "--as-of", "2025-01-01", "-q"); code != 0 || !strings.Contains(out, "1 bad rows skipped (quarantine.csv)") {
		t.Fatalf("run with max_bad_rows: exit %d, %s%s", code, out, errs)
	}
	if q, err := os.ReadFile(filepath.Join(runs, "2025-01-01", "quarantine.csv")); err != nil || !strings.Contains(string(q), "2024-02-30") {
		t.Errorf("quarantine.csv: %q, %v", q, err)
	}
	// A previous call list that cannot be read (a disk that filled up)
	// does not stop the next run, but its owners are dealt afresh: the
	// manifest says so.
	prev := filepath.Join(runs, "2025-01-01", "ranked.parquet")
	os.Chmod(prev, 0o644)
	if err := os.Truncate(prev, 100); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCLI(t, "run", "--config", skipping, "--as-of", "2025-02-01", "-q"); code != 0 {
		t.Fatalf("run after a damaged one: exit %d, %s", code, errs)
	}
	b, _ = os.ReadFile(filepath.Join(runs, "2025-02-01", "manifest.json"))
	// (The one-event file also drifts and is stale.) What the scoring
	// table's build logged as a warning is in the manifest too: entity b
	// is in no entities row, and the built-in rules find no value column.
	if err := json.Unmarshal(b, &man); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"the previous run's call list (2025-01-01) cannot be read: owners were dealt afresh",
		"entities with events missing from the entities file: their rows have no attributes (missing=1, of=1, first=b)"} {
		if !slices.Contains(man.Warnings, want) {
			t.Errorf("after a damaged run: warnings %.300q lack %q", man.Warnings, want)
		}
	}
	if !slices.ContainsFunc(man.Warnings, func(w string) bool {
		return strings.HasPrefix(w, `rules that award no points on these inputs (rules=big_order: the events have no column "value"`)
	}) {
		t.Errorf("warnings %.300q lack the idle rules", man.Warnings)
	}
	// An events file without a row (a feed that delivered nothing) scores
	// the entities on their attributes, and the manifest says so first.
	os.WriteFile(filepath.Join(dir, "data", "events.csv"), []byte("entity_id,ts,type\n"), 0o644)
	if code, _, errs := runCLI(t, "run", "--config", skipping, "--as-of", "2025-03-01", "-q"); code != 0 {
		t.Fatalf("run without events: exit %d, %s", code, errs)
	}
	b, _ = os.ReadFile(filepath.Join(runs, "2025-03-01", "manifest.json"))
	man = pipeline.Manifest{}
	if err := json.Unmarshal(b, &man); err != nil || len(man.Warnings) == 0 ||
		man.Warnings[0] != "no event falls before the as-of date: every lead is scored on its attributes alone; is the events feed still running?" {
		t.Errorf("run without events: warnings %.300q, %v", man.Warnings, err)
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

// TestRunKeepsWritten: a column run's call list keeps from the entities
// file is carried as the file writes it, although the feature table joins
// it as a number: a phone +15550000007, not 1.5550000007e+10.
func TestRunKeepsWritten(t *testing.T) {
	dir := t.TempDir()
	conf := pipelineFixture(t, dir)
	ents := filepath.Join(dir, "data", "entities.csv")
	phone := map[string]string{}
	rewriteCSV(t, ents, ents, func(recs [][]string) [][]string {
		recs[0] = append(recs[0], "phone")
		for k, r := range recs[1:] {
			phone[r[0]] = fmt.Sprintf("+1555%07d", k)
			recs[1+k] = append(r, phone[r[0]])
		}
		return recs
	})
	os.WriteFile(filepath.Join(dir, "predict.yaml"), []byte("keep: [phone]\n"), 0o644)
	b, _ := os.ReadFile(conf)
	os.WriteFile(conf, append(b, "predict: predict.yaml\n"...), 0o644)
	if code, out, errs := runCLI(t, "run", "--config", conf, "--as-of", "2025-01-01", "-q"); code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errs)
	}
	recs := testfiles.ReadCSV(t, filepath.Join(dir, "runs", "2025-01-01", "ranked.csv"))
	id, kept := slices.Index(recs[0], "entity_id"), slices.Index(recs[0], "phone")
	if kept < 0 || len(recs) < 100 {
		t.Fatalf("ranked.csv: %d rows, columns %v", len(recs)-1, recs[0])
	}
	for _, r := range recs[1:] {
		if r[kept] != phone[r[id]] {
			t.Fatalf("lead %s: phone %q, want %q", r[id], r[kept], phone[r[id]])
		}
	}
}

// assertNoLitter checks that OUT holds only date links, latest, .data and
// the marker and lock files, and that every folder in .data is the target
// of a date link.
func assertNoLitter(t *testing.T, runs string) {
	t.Helper()
	used := map[string]bool{}
	entries, _ := os.ReadDir(runs)
	for _, e := range entries {
		if e.Name() == ".data" || e.Name() == ".leadscore" || e.Name() == ".lock" {
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

// TestRunOwnsItsFolder: run writes only into a folder of its own, never
// replaces or deletes what it did not write (a user's files in OUT/.data
// stay, even across a failed run), resolves out: from the config file's
// folder, and refuses a foreign folder or a regular file where a link
// goes.
func TestRunOwnsItsFolder(t *testing.T) {
	dir := t.TempDir()
	conf := pipelineFixture(t, dir)
	runs := filepath.Join(dir, "runs")
	os.MkdirAll(runs, 0o755)
	os.WriteFile(filepath.Join(runs, "report.xlsx"), []byte("keep me\n"), 0o644)
	// From another working folder: out: runs is next to the config.
	wd, _ := os.Getwd()
	os.Chdir(t.TempDir())
	code, _, errs := runCLI(t, "run", "--config", conf, "--as-of", "2024-12-01", "-q")
	os.Chdir(wd)
	if code != pipeline.ExitUsage || !strings.Contains(errs, "did not write") {
		t.Errorf("folder with a user's files: exit %d, %q; want 2", code, errs)
	}
	if b, _ := os.ReadFile(filepath.Join(runs, "report.xlsx")); string(b) != "keep me\n" {
		t.Error("the user's file was touched")
	}
	os.RemoveAll(runs)
	os.Chdir(t.TempDir())
	code, _, errs = runCLI(t, "run", "--config", conf, "--as-of", "2024-12-01", "-q")
	os.Chdir(wd)
	if code != 0 {
		t.Fatalf("run from another folder: exit %d: %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(runs, "2024-12-01", "ranked.csv")); err != nil {
		t.Errorf("out: runs not resolved beside the config: %v", err)
	}
	// Now the folder is leadscore's; a user's files in .data stay through a
	// successful run and a failed one.
	os.MkdirAll(filepath.Join(runs, ".data", "mine"), 0o755)
	os.WriteFile(filepath.Join(runs, ".data", "mine", "notes.csv"), []byte("keep me\n"), 0o644)
	if code, _, errs := runCLI(t, "run", "--config", conf, "--as-of", "2024-12-02", "-q"); code != 0 {
		t.Fatalf("second run: %s", errs)
	}
	events := filepath.Join(dir, "data", "events.csv")
	good, _ := os.ReadFile(events)
	os.WriteFile(events, []byte("entity_id,ts,type\na,2024-02-30,rfq\n"), 0o644)
	if code, _, _ := runCLI(t, "run", "--config", conf, "--as-of", "2024-12-03", "-q"); code != pipeline.ExitBadInput {
		t.Errorf("bad events: exit %d, want 3", code)
	}
	os.WriteFile(events, good, 0o644)
	if b, err := os.ReadFile(filepath.Join(runs, ".data", "mine", "notes.csv")); err != nil || string(b) != "keep me\n" {
		t.Errorf("a user's file in OUT/.data was touched: %q, %v", b, err)
	}
	// A regular file where a date's link goes is refused, and kept.
	os.WriteFile(filepath.Join(runs, "2025-01-01"), []byte("mine\n"), 0o644)
	if code, _, errs := runCLI(t, "run", "--config", conf, "--as-of", "2025-01-01", "-q"); code != pipeline.ExitUsage || !strings.Contains(errs, "not a link leadscore made") {
		t.Errorf("regular file named like a date: exit %d, %q", code, errs)
	}
	if b, _ := os.ReadFile(filepath.Join(runs, "2025-01-01")); string(b) != "mine\n" {
		t.Error("the user's file named like a date was replaced")
	}
	// out: / is refused before anything is written.
	root := filepath.Join(dir, "root.yaml")
	raw, _ := os.ReadFile(conf)
	os.WriteFile(root, []byte(strings.Replace(string(raw), "out: runs", "out: /", 1)), 0o644)
	if code, _, errs := runCLI(t, "run", "--config", root, "--as-of", "2025-01-01", "-q"); code != pipeline.ExitUsage {
		t.Errorf("out: / : exit %d, %q; want 2", code, errs)
	}
	if _, err := os.Stat("/.leadscore"); err == nil {
		t.Error("/ was marked as leadscore's")
	}
}

// TestRunLockAndLatest: a run finds the out folder held (here by the test)
// and fails at once with exit code 5 naming the holder, or waits with
// --wait; a backfill of an older date leaves latest at the newest.
func TestRunLockAndLatest(t *testing.T) {
	dir := t.TempDir()
	conf := pipelineFixture(t, dir)
	runs := filepath.Join(dir, "runs")
	if code, _, errs := runCLI(t, "run", "--config", conf, "--as-of", "2025-01-01", "-q"); code != 0 {
		t.Fatalf("run: %s", errs)
	}
	if code, _, errs := runCLI(t, "run", "--config", conf, "--as-of", "2024-11-01", "-q"); code != 0 {
		t.Fatalf("backfill: %s", errs)
	}
	if target, _ := os.Readlink(filepath.Join(runs, "latest")); target != "2025-01-01" {
		t.Errorf("after a backfill latest -> %q, want 2025-01-01", target)
	}
	lock, err := os.OpenFile(filepath.Join(runs, ".lock"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	lock.Truncate(0)
	lock.WriteAt([]byte("4242 2025-01-02T03:04:05Z\n"), 0)
	code, _, errs := runCLI(t, "run", "--config", conf, "--as-of", "2025-01-02", "-q")
	if code != pipeline.ExitBusy || !strings.Contains(errs, "pid 4242") {
		t.Errorf("held folder: exit %d, %q; want 5 naming pid 4242", code, errs)
	}
	waiting := command("run", "--config", conf, "--as-of", "2025-01-02", "--wait", "-q")
	if err := waiting.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(700 * time.Millisecond)
	if _, err := os.Lstat(filepath.Join(runs, "2025-01-02")); err == nil {
		t.Error("a waiting run wrote while the folder was held")
	}
	syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if err := waiting.Wait(); err != nil {
		t.Fatalf("waiting run: %v", err)
	}
	if target, _ := os.Readlink(filepath.Join(runs, "latest")); target != "2025-01-02" {
		t.Errorf("latest -> %q, want 2025-01-02", target)
	}
	assertNoLitter(t, runs)
}

// TestConcurrentRuns: two runs started together on one out folder both end
// well with --wait, whatever their dates; without it each ends with 0 or 5,
// never another failure.
func TestConcurrentRuns(t *testing.T) {
	dir := t.TempDir()
	conf := pipelineFixture(t, dir)
	for round, wait := range []bool{true, false} {
		var cmds []*exec.Cmd
		for _, date := range []string{"2024-12-01", "2024-12-02", "2024-12-01"} {
			args := []string{"run", "--config", conf, "--as-of", date, "-q"}
			if wait {
				args = append(args, "--wait")
			}
			c := command(args...)
			var stderr bytes.Buffer
			c.Stderr = &stderr
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			cmds = append(cmds, c)
		}
		for _, c := range cmds {
			c.Wait()
			code := c.ProcessState.ExitCode()
			if code != 0 && (wait || code != pipeline.ExitBusy) {
				t.Errorf("round %d: exit %d: %s", round, code, c.Stderr.(*bytes.Buffer).String())
			}
		}
	}
	assertNoLitter(t, filepath.Join(dir, "runs"))
}

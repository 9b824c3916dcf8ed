package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func touch(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("user data\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestClaim: a new or empty folder, or one that holds only what runs
// write, becomes leadscore's; a folder with anything else is refused, and
// so is a marked folder where a date or latest is not leadscore's link.
func TestClaim(t *testing.T) {
	fresh := filepath.Join(t.TempDir(), "runs")
	if err := claim(fresh); err != nil {
		t.Fatalf("new folder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(fresh, folderMarker)); err != nil {
		t.Errorf("no marker: %v", err)
	}
	foreign := t.TempDir()
	touch(t, filepath.Join(foreign, "notes.txt"))
	var oe *OwnershipError
	if err := claim(foreign); !errors.As(err, &oe) {
		t.Errorf("folder with a user's file: %v, want an *OwnershipError", err)
	}
	if _, err := os.Stat(filepath.Join(foreign, folderMarker)); err == nil {
		t.Error("a refused folder was marked")
	}
	if err := claim("/"); !errors.As(err, &oe) {
		t.Errorf("out: / : %v, want an *OwnershipError", err)
	}
	// A folder from before markers: only run-shaped entries.
	old := t.TempDir()
	os.MkdirAll(filepath.Join(old, dataName, "2024-12-01-123"), 0o755)
	os.Symlink(filepath.Join(dataName, "2024-12-01-123"), filepath.Join(old, "2024-12-01"))
	os.Symlink("2024-12-01", filepath.Join(old, latestName))
	touch(t, filepath.Join(old, "2024-12-02.failed.json"))
	if err := claim(old); err != nil {
		t.Errorf("a run folder from before markers: %v", err)
	}
	for _, name := range []string{latestName, "2025-01-01"} {
		dir := t.TempDir()
		if err := claim(dir); err != nil {
			t.Fatal(err)
		}
		touch(t, filepath.Join(dir, name))
		if err := claim(dir); !errors.As(err, &oe) {
			t.Errorf("a regular file named %s: %v, want an *OwnershipError", name, err)
		}
	}
}

// TestCleanDataKeepsForeignEntries: only unlinked run folders with the run
// marker, and empty folders (a run killed before it marked its folder),
// are removed from OUT/.data.
func TestCleanDataKeepsForeignEntries(t *testing.T) {
	out := t.TempDir()
	if err := claim(out); err != nil {
		t.Fatal(err)
	}
	linked, _ := newRunFolder(out, "2025-01-01")
	swapLink(out, "2025-01-01", filepath.Join(dataName, filepath.Base(linked)))
	stale, _ := newRunFolder(out, "2025-01-01")
	touch(t, filepath.Join(out, dataName, "mine", "keep.csv"))
	touch(t, filepath.Join(out, dataName, "notes.txt"))
	unmarked := filepath.Join(out, dataName, "2025-01-01-123")
	if err := os.Mkdir(unmarked, 0o755); err != nil {
		t.Fatal(err)
	}
	cleanData(out)
	for _, p := range []string{linked, filepath.Join(out, dataName, "mine", "keep.csv"), filepath.Join(out, dataName, "notes.txt")} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed", p)
		}
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("an unlinked run folder was kept")
	}
	if _, err := os.Stat(unmarked); err == nil {
		t.Error("an empty, unmarked folder was kept")
	}
}

// TestCleanDataAfterStoppedRemoval: a removal of a run folder stopped
// after some of its files (a run killed while it cleaned up) leaves the
// folder marked, and the next clean-up removes the rest.
func TestCleanDataAfterStoppedRemoval(t *testing.T) {
	out := t.TempDir()
	if err := claim(out); err != nil {
		t.Fatal(err)
	}
	stale, err := newRunFolder(out, "2025-01-01")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"features.parquet", "ranked.csv", "rfm.parquet", filepath.Join("model", "model.json")} {
		touch(t, filepath.Join(stale, name))
	}
	removed := 0
	removeAll = func(p string) error {
		if removed == 2 {
			return errors.New("killed")
		}
		removed++
		return os.RemoveAll(p)
	}
	defer func() { removeAll = os.RemoveAll }()
	cleanData(out)
	if _, err := os.Stat(filepath.Join(stale, runMarker)); err != nil {
		t.Fatalf("the stopped removal took the marker: %v", err)
	}
	removeAll = os.RemoveAll
	cleanData(out)
	if _, err := os.Stat(stale); err == nil {
		t.Error("the half-removed run folder was kept")
	}
}

// TestLatestIsNewest: a backfill of an older date leaves latest at the
// newest date.
func TestLatestIsNewest(t *testing.T) {
	out := t.TempDir()
	for _, d := range []string{"2025-01-02", "2024-12-01"} {
		dir, _ := newRunFolder(out, d)
		swapLink(out, d, filepath.Join(dataName, filepath.Base(dir)))
		if err := pointLatest(out); err != nil {
			t.Fatal(err)
		}
	}
	if target, _ := os.Readlink(filepath.Join(out, latestName)); target != "2025-01-02" {
		t.Errorf("latest -> %s, want 2025-01-02", target)
	}
}

// TestLock: a second holder fails at once naming the first, or waits.
func TestLock(t *testing.T) {
	out := t.TempDir()
	unlock, err := lockFolder(context.Background(), out, false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = lockFolder(context.Background(), out, false)
	var le *LockedError
	if !errors.As(err, &le) || le.PID != os.Getpid() || le.Since.IsZero() || !strings.Contains(err.Error(), "pid") {
		t.Errorf("second lock: %v, want a *LockedError naming this process", err)
	}
	got := make(chan error, 1)
	go func() {
		u, err := lockFolder(context.Background(), out, true)
		if err == nil {
			u()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("a waiting lock returned while held: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	unlock()
	select {
	case err := <-got:
		if err != nil {
			t.Errorf("waiting lock: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a waiting lock did not get the lock once released")
	}
	ctx, cancel := context.WithCancel(context.Background())
	unlock, _ = lockFolder(context.Background(), out, false)
	defer unlock()
	cancel()
	if _, err := lockFolder(ctx, out, true); !errors.Is(err, context.Canceled) {
		t.Errorf("waiting on a cancelled context: %v", err)
	}
}

package pipeline

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOutputsRefuseInputs: an output that is an input, by the same path,
// another spelling of it, or a symbolic link to it, is refused before
// anything is written; the input is untouched.
func TestOutputsRefuseInputs(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "events.csv")
	touch(t, in)
	link := filepath.Join(dir, "link.csv")
	os.Symlink(in, link)
	for _, out := range []string{in, filepath.Join(dir, ".", "sub", "..", "events.csv"), link} {
		err := WriteFile(out, func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err }, in)
		var oe *OverwriteError
		if !errors.As(err, &oe) {
			t.Errorf("output %s: %v, want an *OverwriteError", out, err)
		}
	}
	if b, _ := os.ReadFile(in); string(b) != "user data\n" {
		t.Errorf("input changed: %q", b)
	}
	var o Outputs
	defer o.Abort()
	if _, err := o.Create(filepath.Join(dir, "a.csv")); err != nil {
		t.Fatal(err)
	}
	var oe *OverwriteError
	if _, err := o.Create(filepath.Join(dir, "a.csv")); !errors.As(err, &oe) {
		t.Errorf("the same output twice: %v", err)
	}
}

// TestOutputsAbortLeavesNothing: an aborted set removes its temporary
// files, the optional ones included, and the folders it made, but not
// folders that were there before.
func TestOutputsAbortLeavesNothing(t *testing.T) {
	root := t.TempDir()
	var o Outputs
	f, err := o.Create(filepath.Join(root, "new", "deeper", "a.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("half")
	q, err := o.CreateOptional(filepath.Join(root, "a.quarantine.csv"), func() (bool, error) { return true, nil })
	if err != nil {
		t.Fatal(err)
	}
	q.WriteString("bad rows")
	o.Abort()
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		t.Errorf("left behind: %s", e.Name())
	}
	if _, err := os.Stat(root); err != nil {
		t.Errorf("the folder that was there before is gone: %v", err)
	}
}

// TestOutputsOptional: an optional output is committed only when its keep
// says so, and its error fails the commit.
func TestOutputsOptional(t *testing.T) {
	root := t.TempDir()
	var o Outputs
	o.Create(filepath.Join(root, "a.csv"))
	o.CreateOptional(filepath.Join(root, "empty.csv"), func() (bool, error) { return false, nil })
	kept, _ := o.CreateOptional(filepath.Join(root, "kept.csv"), func() (bool, error) { return true, nil })
	kept.WriteString("x")
	if err := o.Commit(); err != nil {
		t.Fatal(err)
	}
	var names []string
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "a.csv,kept.csv" {
		t.Errorf("files %v, want a.csv and kept.csv", names)
	}
	var o2 Outputs
	o2.CreateOptional(filepath.Join(root, "b.csv"), func() (bool, error) { return true, errors.New("flush failed") })
	if err := o2.Commit(); err == nil {
		t.Error("a failing optional output committed")
	}
	if _, err := os.Stat(filepath.Join(root, "b.csv")); err == nil {
		t.Error("b.csv written")
	}
}

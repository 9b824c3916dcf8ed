package main

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"leadscore/features"
)

// atomicFile is an output written to a temporary file in the target
// directory and renamed into place by Commit, so that a reader never sees a
// half-written file. Abort (or a Commit that fails) removes the temporary.
type atomicFile struct {
	*os.File
	path string
	done bool
}

func createAtomic(path string) (*atomicFile, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, err
	}
	return &atomicFile{File: f, path: path}, nil
}

// Commit closes the file and renames it into place.
func (a *atomicFile) Commit() error {
	if a.done {
		return nil
	}
	a.done = true
	if err := a.File.Close(); err != nil {
		os.Remove(a.File.Name())
		return err
	}
	if err := os.Chmod(a.File.Name(), 0o644); err != nil {
		os.Remove(a.File.Name())
		return err
	}
	if err := os.Rename(a.File.Name(), a.path); err != nil {
		os.Remove(a.File.Name())
		return err
	}
	return nil
}

// Abort removes the temporary file; it is a no-op after Commit.
func (a *atomicFile) Abort() {
	if a.done {
		return
	}
	a.done = true
	a.File.Close()
	os.Remove(a.File.Name())
}

// outputs is a set of atomic files committed together: either all of them
// appear or none does.
type outputs struct{ files []*atomicFile }

func (o *outputs) create(path string) (*atomicFile, error) {
	f, err := createAtomic(path)
	if err != nil {
		return nil, err
	}
	o.files = append(o.files, f)
	return f, nil
}

// commit renames every file into place; abort removes what was not committed.
func (o *outputs) commit() error {
	for _, f := range o.files {
		if err := f.Commit(); err != nil {
			o.abort()
			return err
		}
	}
	return nil
}

func (o *outputs) abort() {
	for _, f := range o.files {
		f.Abort()
	}
}

// writeFile writes one file atomically: write fills a temporary file, which
// is renamed to path only when write succeeds.
func writeFile(path string, write func(io.Writer) error) error {
	var o outputs
	defer o.abort()
	f, err := o.create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		return err
	}
	return o.commit()
}

// parseColumns turns repeated --col name=column flags into a mapping.
func parseColumns(flags []string) (map[string]string, error) {
	m := map[string]string{}
	for _, f := range flags {
		name, col, ok := strings.Cut(f, "=")
		name, col = strings.TrimSpace(name), strings.TrimSpace(col)
		if !ok || name == "" || col == "" {
			return nil, usageErrorf("--col %q: want name=column, as in --col entity_id=\"Lead Number\"", f)
		}
		m[name] = col
	}
	return m, nil
}

// parseSep reads --sep: a single character, or "tab"/"\t".
func parseSep(s string) (rune, error) {
	switch s {
	case "", ",":
		return ',', nil
	case "tab", `\t`, "\t":
		return '\t', nil
	}
	r := []rune(s)
	if len(r) != 1 || r[0] == '"' || r[0] == '\n' || r[0] == '\r' {
		return 0, usageErrorf("--sep %q: want one character such as ';' or 'tab'", s)
	}
	return r[0], nil
}

// parseDate reads a date flag in any of the data contract's timestamp forms.
func parseDate(flag, s string) (time.Time, error) {
	t, err := features.ParseTime(s)
	if err == nil {
		err = features.CheckTime(t)
	}
	if err != nil {
		return time.Time{}, usageErrorf("--%s: %v", flag, err)
	}
	return t, nil
}

// source builds a features.Source from common input flags.
func source(path string, cols map[string]string, sep rune) features.Source {
	return features.Source{Path: path, Columns: cols, CSV: features.CSVOptions{Sep: sep}}
}

// quarantinePath is where skipped rows go for an output file.
func quarantinePath(out string) string {
	ext := filepath.Ext(out)
	return strings.TrimSuffix(out, ext) + ".quarantine.csv"
}

// badRowsFor sets up the bad-row policy for a run writing out: with
// maxBad > 0 skipped rows go to a quarantine CSV next to out, committed with
// the other outputs (and only when some row was skipped).
func badRowsFor(o *outputs, out string, maxBad int) (*features.BadRows, func() error, error) {
	if maxBad < 0 {
		return nil, nil, usageErrorf("--max-bad-rows must be 0 or more, got %d", maxBad)
	}
	if maxBad == 0 {
		return &features.BadRows{}, func() error { return nil }, nil
	}
	f, err := createAtomic(quarantinePath(out))
	if err != nil {
		return nil, nil, err
	}
	q := features.NewQuarantine(f)
	bad := &features.BadRows{Max: maxBad, Quarantine: q}
	finish := func() error {
		if err := q.Close(); err != nil {
			f.Abort()
			return fmt.Errorf("quarantine: %w", err)
		}
		if q.Rows() == 0 {
			f.Abort()
			return nil
		}
		o.files = append(o.files, f)
		return nil
	}
	return bad, finish, nil
}

// fingerprints returns "name size=N sha256=HEX" for each input file by
// role (empty paths are skipped). Each file is read once more, to hash it.
func fingerprints(inputs map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for role, path := range inputs {
		if path == "" {
			continue
		}
		fp, err := fileFingerprint(path)
		if err != nil {
			return nil, err
		}
		out[role] = fp
	}
	return out, nil
}

// stamp records input fingerprints (leadscore.input.<role>) and the tool
// version in a table's metadata. Names, not paths, are stored, so a rerun
// elsewhere on the same data gives the same bytes.
func stamp(t *features.Table, fps map[string]string) {
	for role, fp := range fps {
		t.Meta["leadscore.input."+role] = fp
	}
	t.Meta["leadscore.tool_version"] = toolVersion()
}

// fileFingerprint returns "name size=N sha256=HEX" for a file.
func fileFingerprint(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", fmt.Errorf("fingerprint %s: %w", path, err)
	}
	return fmt.Sprintf("%s size=%d sha256=%x", filepath.Base(path), n, h.Sum(nil)), nil
}

// version is leadscore's release version.
const version = "0.1.0-dev"

// toolVersion is the release version and, when the build recorded it, the
// VCS revision.
func toolVersion() string {
	v := "leadscore " + version
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
		if s.Key == "vcs.modified" && s.Value == "true" {
			v += "+dirty"
		}
	}
	return v
}

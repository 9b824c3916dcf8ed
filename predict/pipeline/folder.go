package pipeline

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// A run folder OUT holds what leadscore wrote and nothing else:
//
//	OUT/.leadscore              the marker: this folder is leadscore's
//	OUT/.lock                   held by the run in progress (pid, start)
//	OUT/.data/<date>-<random>/  one folder per run, marked by .leadscore-run
//	OUT/<date>                  a symbolic link to the date's current run
//	OUT/latest                  a symbolic link to the newest date
//	OUT/<date>.failed.json      why the last run for a date failed
//
// Nothing else in OUT is touched: a run refuses a folder that holds other
// entries where it would write (OwnershipError), and cleans up only run
// folders that carry its marker.
const (
	folderMarker = ".leadscore"
	runMarker    = ".leadscore-run"
	lockName     = ".lock"
	dataName     = ".data"
	latestName   = "latest"
)

var (
	dateName   = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	failedName = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}\.failed\.json$`)
)

// OwnershipError reports an out folder, or an entry in it, that leadscore
// did not write and will not replace: a usage error.
type OwnershipError struct {
	Path   string
	Reason string
}

func (e *OwnershipError) Error() string {
	return fmt.Sprintf("%s: %s; leadscore writes only into an empty folder or one it made (with a %s marker), and replaces only what it wrote",
		e.Path, e.Reason, folderMarker)
}

// claim makes sure OUT is leadscore's to write into: a new or empty folder
// is marked as leadscore's; a folder without the marker is accepted only
// when every entry has the shape of a run folder's (one written before
// markers existed) and is then marked. Any other folder is refused.
func claim(out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	marker := filepath.Join(out, folderMarker)
	if st, err := os.Lstat(marker); err == nil {
		if !st.Mode().IsRegular() {
			return &OwnershipError{Path: marker, Reason: "is not the marker file leadscore writes"}
		}
		return checkEntries(out)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !ownShape(out, e) {
			return &OwnershipError{Path: out, Reason: fmt.Sprintf("holds %s, which leadscore did not write", e.Name())}
		}
	}
	return os.WriteFile(marker, []byte("This folder holds leadscore's nightly runs. Do not put other files here.\n"), 0o644)
}

// checkEntries refuses a marked folder in which one of the names leadscore
// writes is taken by something else.
func checkEntries(out string) error {
	entries, err := os.ReadDir(out)
	if err != nil {
		return err
	}
	for _, e := range entries {
		switch name := e.Name(); {
		case name == latestName || dateName.MatchString(name):
			if !ownShape(out, e) {
				return &OwnershipError{Path: filepath.Join(out, name), Reason: "is not a link leadscore made"}
			}
		case name == dataName && !e.IsDir():
			return &OwnershipError{Path: filepath.Join(out, name), Reason: "is not a folder"}
		}
	}
	return nil
}

// ownShape reports whether an entry of OUT is one leadscore writes: the
// data folder, the lock and marker, failure manifests, and links from a
// date or latest into the data folder or to a date.
func ownShape(out string, e fs.DirEntry) bool {
	name := e.Name()
	switch {
	case name == dataName:
		return e.IsDir()
	case name == lockName || name == folderMarker || strings.HasPrefix(name, ".link-"):
		return e.Type().IsRegular() || e.Type()&fs.ModeSymlink != 0
	case failedName.MatchString(name):
		return e.Type().IsRegular()
	case name == latestName || dateName.MatchString(name):
		if e.Type()&fs.ModeSymlink == 0 {
			return false
		}
		target, err := os.Readlink(filepath.Join(out, name))
		if err != nil {
			return false
		}
		return strings.HasPrefix(target, dataName+string(filepath.Separator)) && !strings.Contains(target[len(dataName)+1:], string(filepath.Separator)) ||
			name == latestName && dateName.MatchString(target)
	}
	return false
}

// newRunFolder makes an empty, marked run folder under OUT/.data.
func newRunFolder(out, date string) (string, error) {
	data := filepath.Join(out, dataName)
	if err := os.MkdirAll(data, 0o755); err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(data, date+"-")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, runMarker), nil, 0o644); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, os.Chmod(dir, 0o755)
}

// removeAll is os.RemoveAll; a test stops it half way.
var removeAll = os.RemoveAll

// removeRunFolder removes a run folder, if it carries the run marker. The
// marker goes last, so that a removal stopped half way (the process
// killed) leaves a folder the next run still knows for its own and
// finishes removing.
func removeRunFolder(dir string) {
	marker := filepath.Join(dir, runMarker)
	if st, err := os.Lstat(marker); err != nil || !st.Mode().IsRegular() {
		return
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != runMarker {
			if removeAll(filepath.Join(dir, e.Name())) != nil {
				return
			}
		}
	}
	os.Remove(marker)
	os.Remove(dir)
}

// cleanData removes the run folders under OUT/.data that no date link
// points at (replaced runs, killed ones) and that carry the run marker,
// and empty folders there (a run killed between making its folder and
// marking it). Other entries are left alone.
func cleanData(out string) {
	used := map[string]bool{}
	links, _ := os.ReadDir(out)
	for _, l := range links {
		if !dateName.MatchString(l.Name()) {
			continue
		}
		if target, err := os.Readlink(filepath.Join(out, l.Name())); err == nil {
			used[filepath.Base(target)] = true
		}
	}
	dirs, _ := os.ReadDir(filepath.Join(out, dataName))
	for _, d := range dirs {
		if d.IsDir() && !used[d.Name()] {
			dir := filepath.Join(out, dataName, d.Name())
			removeRunFolder(dir)
			os.Remove(dir) // only an empty folder goes
		}
	}
}

// swapLink points OUT/name at target by renaming a new symbolic link over
// the old one: readers see the old target or the new, never neither.
func swapLink(out, name, target string) error {
	tmp := filepath.Join(out, ".link-"+name)
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(out, name))
}

// pointLatest points OUT/latest at the newest date that has a run, so
// that a backfill of an older date does not move it back.
func pointLatest(out string) error {
	entries, err := os.ReadDir(out)
	if err != nil {
		return err
	}
	newest := ""
	for _, e := range entries {
		if dateName.MatchString(e.Name()) && e.Type()&fs.ModeSymlink != 0 && e.Name() > newest {
			newest = e.Name()
		}
	}
	if newest == "" {
		return nil
	}
	return swapLink(out, latestName, newest)
}

// previousRun returns the newest run date before asOf in OUT, "" if
// none: the run whose call list a new one continues.
func previousRun(out string, asOf time.Time) string {
	entries, err := os.ReadDir(out)
	if err != nil {
		return ""
	}
	date, prev := dateOf(asOf), ""
	for _, e := range entries {
		if n := e.Name(); dateName.MatchString(n) && e.Type()&fs.ModeSymlink != 0 && n < date && n > prev {
			prev = n
		}
	}
	return prev
}

// LockedError reports that another run holds the out folder: the second
// run fails at once (or waits, with Options.Wait).
type LockedError struct {
	Path  string
	PID   int
	Since time.Time
}

func (e *LockedError) Error() string {
	holder := "another run"
	if e.PID > 0 {
		holder = fmt.Sprintf("run pid %d, started %s", e.PID, e.Since.UTC().Format(time.RFC3339))
	}
	return fmt.Sprintf("%s is in use by %s: wait for it to end, or run with --wait", e.Path, holder)
}

// readHolder reads the pid and start time a lock file records.
func readHolder(path string) (int, time.Time) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, time.Time{}
	}
	pidText, sinceText, _ := strings.Cut(strings.TrimSpace(string(b)), " ")
	pid, _ := strconv.Atoi(pidText)
	since, _ := time.Parse(time.RFC3339, sinceText)
	return pid, since
}

package pipeline

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"leadscore/features"
)

// Outputs is a set of files written together. Each is written to a
// temporary file beside its target and renamed into place by Commit, so a
// reader sees all of them or none of them, never a half-written file.
// An output replaces an existing file only when leadscore wrote it, as
// far as the file can tell (see ForeignFileError).
// Abort removes every temporary file, and the folders Create made for them
// when they are left empty; it is safe to defer right away and a no-op
// after Commit. The zero value is ready to use.
type Outputs struct {
	files   []*File
	dirs    []string // folders Create made, in the order made
	protect []string // inputs that no output may overwrite
}

// File is one output being written.
type File struct {
	*os.File
	path   string
	keep   func() (bool, error) // nil, or whether Commit should keep the file
	closed bool                 // finished, waiting to be renamed
	done   bool
	// csvKind, when set, tells a CSV file of this output's kind by its
	// header, which options may change from run to run.
	csvKind func(header []string) bool
}

// ReplacesCSVOf lets a CSV output replace a CSV file whose header kind
// accepts (its own kind's, written with other options), besides one with
// the new file's header.
func (f *File) ReplacesCSVOf(kind func(header []string) bool) { f.csvKind = kind }

// OverwriteError reports an output that would replace one of the run's
// inputs: a usage error, since writing it would destroy what is being read.
type OverwriteError struct {
	Output, Input string
}

func (e *OverwriteError) Error() string {
	if e.Input == "" {
		return fmt.Sprintf("%s is named as an output twice", e.Output)
	}
	return fmt.Sprintf("the output %s is the input %s: choose another output path", e.Output, e.Input)
}

// ForeignFileError reports an output path that holds a file leadscore
// may not have written, which it does not replace: where a Parquet output
// goes, a Parquet file another tool wrote (or a file that is no Parquet);
// where a CSV output goes, a CSV file with another header (a rerun writes
// the header it wrote before; CSV carries no mark of its writer), unless
// the output tells its kind's headers (ReplacesCSVOf); where a
// JSON output goes, anything but a JSON object whose first key is the new
// one's; where an HTML page goes, a page without leadscore's generator
// mark. A usage error: the path is wrong.
type ForeignFileError struct {
	Path, Why string
}

func (e *ForeignFileError) Error() string {
	return fmt.Sprintf("%s exists and leadscore will not replace it: %s; remove it or choose another path", e.Path, e.Why)
}

// Protect names input files that no output may be: Create refuses a path
// that is the same file as one of them (or will be, once written) with an
// *OverwriteError. Empty paths are ignored.
func (o *Outputs) Protect(inputs ...string) {
	for _, p := range inputs {
		if p != "" {
			o.protect = append(o.protect, p)
		}
	}
}

// Create starts writing the output path.
func (o *Outputs) Create(path string) (*File, error) {
	return o.create(path, nil)
}

// CreateOptional starts writing an output that Commit keeps only if keep
// returns true then (a quarantine file with no rows is not kept); keep may
// also finish the file, and its error fails the commit.
func (o *Outputs) CreateOptional(path string, keep func() (bool, error)) (*File, error) {
	return o.create(path, keep)
}

func (o *Outputs) create(path string, keep func() (bool, error)) (*File, error) {
	for _, in := range o.protect {
		if samePath(path, in) {
			return nil, &OverwriteError{Output: path, Input: in}
		}
	}
	for _, f := range o.files {
		if samePath(path, f.path) {
			return nil, &OverwriteError{Output: path}
		}
	}
	if features.FormatOf(path) == features.FormatParquet {
		if err := checkParquetTarget(path); err != nil {
			return nil, err
		}
	}
	dir := filepath.Dir(path)
	if err := o.mkdirAll(dir); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, err
	}
	f := &File{File: tmp, path: path, keep: keep}
	o.files = append(o.files, f)
	return f, nil
}

// mkdirAll makes dir and its missing parents, remembering which it made.
func (o *Outputs) mkdirAll(dir string) error {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i := len(missing) - 1; i >= 0; i-- {
		o.dirs = append(o.dirs, missing[i])
	}
	return nil
}

// Commit renames every file into place (dropping optional files whose
// keep says no), once each is known to replace no file leadscore did not
// write. On an error it aborts what is left.
func (o *Outputs) Commit() error {
	for _, f := range o.files {
		err := f.finish()
		if err == nil && !f.done {
			err = checkTextTarget(f.path, f.File.Name(), f.csvKind)
		}
		if err != nil {
			o.Abort()
			return err
		}
	}
	for _, f := range o.files {
		if err := f.commit(); err != nil {
			o.Abort()
			return err
		}
	}
	o.dirs = nil
	return nil
}

// existingFile opens path when it holds a file with something in it: nil
// for a path with nothing there, or an empty file (which any output may
// replace).
func existingFile(path string) (*os.File, int64, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) || err == nil && st.Mode().IsRegular() && st.Size() == 0 {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	if !st.Mode().IsRegular() {
		return nil, 0, &ForeignFileError{Path: path, Why: "it is no regular file"}
	}
	f, err := os.Open(path)
	return f, st.Size(), err
}

// checkParquetTarget refuses a Parquet output's path that holds a file
// leadscore did not write.
func checkParquetTarget(path string) error {
	f, size, err := existingFile(path)
	if f == nil {
		return err
	}
	defer f.Close()
	if features.WrittenByLeadscore(f, size) {
		return nil
	}
	return &ForeignFileError{Path: path, Why: "it is a Parquet file another tool wrote, or no Parquet file, and leadscore replaces only its own"}
}

// checkTextTarget refuses a CSV, JSON or HTML (.html, .htm) output's path
// (written to tmp) that holds a file of another kind than the new one: a
// CSV file with another header (that kind, when set, does not accept),
// anything but a JSON object with the new one's first key, a page without
// leadscore's generator mark (or, from before it, a title of
// leadscore's). An output named otherwise (export --out table.txt) is
// checked as the kind its content is (contentKind); one named as Parquet
// was checked when it was created.
func checkTextTarget(path, tmp string, kind func(header []string) bool) error {
	ext := outputExt(path)
	switch {
	case features.FormatOf(path) == features.FormatParquet:
		return nil // checked when created (Outputs.create)
	case ext != ".csv" && ext != ".json" && ext != ".html":
		var err error
		if ext, err = contentKind(tmp); err != nil {
			return err
		}
		if ext == ".parquet" {
			return checkParquetTarget(path)
		}
	}
	f, _, err := existingFile(path)
	if f == nil {
		return err
	}
	defer f.Close()
	head := make([]byte, 64<<10)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return err
	}
	head = head[:n]
	if ext == ".html" {
		for _, mark := range []string{generatorMark, "<title>leadscore", "<title>Call list"} {
			if bytes.Contains(head, []byte(mark)) {
				return nil
			}
		}
		return &ForeignFileError{Path: path, Why: "it is no page leadscore wrote (they carry " + generatorMark + ")"}
	}
	nf, err := os.Open(tmp)
	if err != nil {
		return err
	}
	defer nf.Close()
	if ext == ".json" {
		had, has := firstKey(bytes.NewReader(head)), firstKey(nf)
		if had == has && had != "" {
			return nil
		}
		return &ForeignFileError{Path: path, Why: fmt.Sprintf("a JSON output replaces only a JSON object of its kind, whose first key is %q, and this file's is %q", has, clip(had, 40))}
	}
	b, err := io.ReadAll(io.LimitReader(nf, 64<<10))
	if err != nil {
		return err
	}
	had, has := firstLine(head), firstLine(b)
	if had == has {
		return nil
	}
	if kind != nil {
		if h, err := csv.NewReader(strings.NewReader(had)).Read(); err == nil && kind(h) {
			return nil
		}
	}
	return &ForeignFileError{Path: path, Why: fmt.Sprintf("a CSV output replaces only a CSV file with its header (a rerun), and its header is %q, this output's %q",
		clip(had, 60), clip(has, 60))}
}

// contentKind names the kind of a new output by its first bytes, as the
// extension it would have: .parquet, .json (an object), .html (a page),
// else .csv.
func contentKind(tmp string) (string, error) {
	f, err := os.Open(tmp)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return "", err
	}
	head = bytes.TrimLeft(head[:n], " \t\r\n")
	switch {
	case bytes.HasPrefix(head, []byte("PAR1")):
		return ".parquet", nil
	case bytes.HasPrefix(head, []byte("{")):
		return ".json", nil
	case bytes.HasPrefix(head, []byte("<")):
		return ".html", nil
	}
	return ".csv", nil
}

// generatorMark is the mark in the head of every page leadscore writes.
const generatorMark = `<meta name="generator" content="leadscore">`

// firstKey returns the first key of the JSON object r holds, "" when r
// holds no object.
func firstKey(r io.Reader) string {
	d := json.NewDecoder(r)
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	k, _ := d.Token()
	s, _ := k.(string)
	return s
}

// firstLine returns the first line of b without its line end and a UTF-8
// byte-order mark.
func firstLine(b []byte) string {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return string(bytes.TrimSuffix(bytes.TrimPrefix(line, []byte("\xEF\xBB\xBF")), []byte("\r")))
}

// Abort removes the files not yet committed and the folders made for them
// that are empty.
func (o *Outputs) Abort() {
	for _, f := range o.files {
		f.abort()
	}
	for i := len(o.dirs) - 1; i >= 0; i-- {
		os.Remove(o.dirs[i]) // fails, as it should, when not empty
	}
	o.dirs = nil
}

// finish asks an optional file whether to keep it (dropping it if not)
// and closes it, ready to be renamed into place.
func (f *File) finish() error {
	if f.done || f.closed {
		return nil
	}
	if f.keep != nil {
		keep, err := f.keep()
		if err != nil || !keep {
			f.abort()
			return err
		}
	}
	f.closed = true
	err := f.File.Close()
	if err == nil {
		err = os.Chmod(f.File.Name(), 0o644)
	}
	return err
}

func (f *File) commit() error {
	if f.done {
		return nil
	}
	if err := f.finish(); err != nil || f.done {
		return err
	}
	f.done = true
	name := f.File.Name()
	err := os.Rename(name, f.path)
	if err != nil {
		os.Remove(name)
	}
	return err
}

func (f *File) abort() {
	if f.done {
		return
	}
	f.done = true
	if !f.closed {
		f.File.Close()
	}
	os.Remove(f.File.Name())
}

// WriteFile writes one file atomically: write fills a temporary file,
// renamed to path only when write succeeds. protect lists inputs path must
// not be.
func WriteFile(path string, write func(io.Writer) error, protect ...string) error {
	return WriteFiles(map[string]func(io.Writer) error{path: write}, protect...)
}

// WriteFiles writes each named file (an empty name is skipped) through its
// writer as WriteFile does, all or none, never over one of protect.
func WriteFiles(files map[string]func(io.Writer) error, protect ...string) error {
	var o Outputs
	defer o.Abort()
	o.Protect(protect...)
	if err := o.writeAll(files); err != nil {
		return err
	}
	return o.Commit()
}

// writeAll creates each file of files ("" paths aside) as an output of o
// and writes it.
func (o *Outputs) writeAll(files map[string]func(io.Writer) error) error {
	for path, write := range files {
		if path == "" {
			continue
		}
		f, err := o.Create(path)
		if err != nil {
			return err
		}
		if err := write(f); err != nil {
			return err
		}
	}
	return nil
}

// samePath reports whether two paths name the same file: the same file on
// disk when both exist, else the same absolute path once the folders'
// symbolic links are resolved.
func samePath(a, b string) bool {
	sa, ea := os.Stat(a)
	sb, eb := os.Stat(b)
	switch {
	case ea == nil && eb == nil:
		return os.SameFile(sa, sb)
	case ea == nil || eb == nil:
		return false // one exists, the other does not
	}
	return resolved(a) == resolved(b)
}

// resolved returns the absolute path of p with its folder's symbolic links
// resolved as far as they exist.
func resolved(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	dir, base := filepath.Dir(abs), filepath.Base(abs)
	if d, err := filepath.EvalSymlinks(dir); err == nil {
		dir = d
	}
	return filepath.Join(dir, base)
}

// parquetOut refuses an --out path not named .parquet, for a job whose
// output is Parquet (what it is, in the message): given ranked.csv, a
// spreadsheet would show its bytes. csv says how to have it as CSV.
func parquetOut(path, what, csv string) error {
	if outputExt(path) == ".parquet" {
		return nil
	}
	return Usagef("--out %q: %s Parquet; name the file .parquet%s", path, what, csv)
}

// outputExt is an output path's extension in lower case, .htm as .html.
func outputExt(path string) string {
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".htm" {
		return ".html"
	}
	return ext
}

// namedOut is an output a flag names and the extension its content has.
type namedOut struct{ flag, path, ext string }

// namedAsWritten refuses an output (none when its path is "") whose extension is that
// of another kind leadscore writes (.parquet, .csv, .json, .html or .htm):
// --csv list.parquet would be CSV under a Parquet name, which every
// reader of the name then fails on. Other extensions (.txt, .tsv) pass.
func namedAsWritten(outs ...namedOut) error {
	for _, o := range outs {
		switch ext := outputExt(o.path); ext {
		case ".parquet", ".csv", ".json", ".html":
			if ext != o.ext {
				return Usagef("%s %q: what it writes is %s; name the file %s", o.flag, o.path, strings.ToUpper(o.ext[1:]), o.ext)
			}
		}
	}
	return nil
}

package features

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Format is the file format of an input table.
type Format int

// Formats. FormatAuto picks Parquet for names ending in .parquet or .pq and
// CSV otherwise.
const (
	FormatAuto Format = iota
	FormatCSV
	FormatParquet
)

// FormatOf returns the format implied by a file name (a .gz suffix, for
// gzip-compressed CSV, is looked through).
func FormatOf(path string) Format {
	p := strings.TrimSuffix(strings.ToLower(path), ".gz")
	if strings.HasSuffix(p, ".parquet") || strings.HasSuffix(p, ".pq") {
		return FormatParquet
	}
	return FormatCSV
}

// CSVOptions configures CSV input. The zero value reads comma-separated UTF-8.
type CSVOptions struct {
	// Sep is the field separator; zero means ','.
	Sep rune
	// Encoding is the text encoding: "" or "utf-8", or "cp1252" (Windows-1252,
	// which covers Latin-1's printable characters), decoded to UTF-8.
	Encoding string
	// NumberFormat is how the file writes numbers with separators,
	// NumberComma or NumberDot: its cells are read in that format alone
	// ("1.234" is 1234 in NumberDot). "" reads a cell that only one format
	// reads, and an entities column that only one format reads.
	NumberFormat string
	// NA lists the cell values (after trimming spaces) that mean missing,
	// such as "-" or "unknown": they read as empty cells.
	NA []string
}

// Source describes one input table: where it is, how to read it, and how its
// columns map to the names of the data contract.
type Source struct {
	// Path is the file to read. It also names the file in error messages.
	Path string
	// Format of the file; FormatAuto decides by the file extension.
	Format Format
	// CSV options, used for CSV files.
	CSV CSVOptions
	// Columns maps a contract name (entity_id, ts, type, value, …) to the
	// column name in the file. Contract names not in the map are looked up
	// as they are.
	Columns map[string]string
	// RenameTypes maps an events file's spellings of event types to the
	// types they are read as ("Page View" → page_view): a CRM whose
	// sources spell one type several ways, or in words leadscore's column
	// names cannot keep ("E-Mail geöffnet").
	RenameTypes map[string]string
	// Digest, when set (DigestWhileReading), receives the file's SHA-256
	// as the file is read.
	Digest *Digest
	// TimeLayout, when set, is the Go time layout of text timestamps (such
	// as "1/2/06 15:04" for 12/1/10 8:26), tried before the contract's
	// forms. Times without a zone are UTC. A flat table (ReadTable) also
	// takes a pattern such as "dd.mm.yyyy HH:MM" (see TimeLayout).
	TimeLayout string
	// Numbers gives the number format of columns of a flat table (column →
	// NumberComma, NumberDot or NumberPlain), Times their time format (a
	// pattern or a Go layout); other text columns are detected.
	Numbers map[string]string
	Times   map[string]string
	// Text names columns of a flat table kept as the file writes them,
	// read neither as numbers nor as dates (codes, version numbers); codes
	// written with leading zeros are read so unasked (readText).
	Text map[string]bool
	// Written names columns of a flat CSV table (by the header's name or
	// the one reading gives it, such as Email.1) whose cells are also kept
	// as the file writes them (Column.Written), however they are read:
	// a call list carries a phone number +15550000699 as written while
	// the column may read as a number.
	Written map[string]bool
	// Won and Lost, when set, are the values of a deals or cutoffs file's
	// won column that mean won and lost (a CRM's stages: "Closed Won"),
	// compared without regard to case or spacing; any other value is a
	// deal still open. Unset, the column holds true/false, 1/0, yes/no or
	// won/lost.
	Won, Lost []string
}

// outcomeReader reads the won cells of a deals or cutoffs file as its
// Source says, with the Won and Lost values normalised once.
type outcomeReader struct {
	lists bool
	won   map[string]bool // NormValue of a value: true won, false lost
	// With the lists: how many cells were won and lost, and the first
	// few other values that read as an outcome (true, won, "Closed-Lost"):
	// stages the lists misspell, not open ones ("Prospecting").
	nWon, nLost int
	others      []string
}

func newOutcomeReader(src Source) *outcomeReader {
	o := &outcomeReader{lists: len(src.Won)+len(src.Lost) > 0, won: map[string]bool{}}
	for _, v := range src.Lost {
		o.won[NormValue(v)] = false
	}
	for _, v := range src.Won {
		o.won[NormValue(v)] = true
	}
	return o
}

// read reads a won cell (not empty): won, and whether the deal's outcome
// is known (false: still open, only with Won and Lost lists).
func (o *outcomeReader) read(s string) (won, known bool, err error) {
	if !o.lists {
		w, ok := ParseBool(s)
		if !ok && missingToken(s) {
			return false, false, nil // no outcome: open
		}
		if !ok {
			return false, false, fmt.Errorf("outcome %q is not one of true/false, 1/0, yes/no, won/lost (or give the won and lost values)", s)
		}
		return w, true, nil
	}
	won, known = o.won[NormValue(s)]
	switch {
	case known && won:
		o.nWon++
	case known:
		o.nLost++
	case len(o.others) < 5 && looksClosed(s) && !slices.Contains(o.others, s):
		o.others = append(o.others, s)
	}
	return won, known, nil
}

// looksClosed reports whether a stage that is neither a won nor a lost
// value reads as an outcome all the same.
func looksClosed(s string) bool {
	if _, ok := ParseBool(s); ok {
		return true
	}
	s = strings.ToLower(s)
	return strings.Contains(s, "won") || strings.Contains(s, "lost") || strings.Contains(s, "closed")
}

// unmatched returns a *SchemaError for a deals file in which no cell is
// one of the won values, or none one of the lost ones, while others read
// as outcomes: the lists do not spell the file's closed stages, and every
// deal would be read as still open (or none as lost). A file of open
// deals alone (every stage "Prospecting" or the like) is no error.
func (o *outcomeReader) unmatched(src Source) error {
	if !o.lists || len(o.others) == 0 || o.nWon > 0 && o.nLost > 0 {
		return nil
	}
	side, list := "won", src.Won
	if o.nWon > 0 {
		side, list = "lost", src.Lost
	}
	col := "the won column"
	if c := src.column("won"); c != "won" {
		col = fmt.Sprintf("column %q (won)", c)
	}
	return &SchemaError{Path: src.Path, Err: fmt.Errorf("no deal is %s: no cell of %s is %s, but it has %s (any value not listed is a deal still open: give the stages the file writes)",
		side, col, strings.Join(quoteAll(list), " or "), strings.Join(quoteAll(o.others), ", "))}
}

// format is the file's format: Format, or the one its name says.
func (src Source) format() Format {
	if src.Format == FormatAuto {
		return FormatOf(src.Path)
	}
	return src.Format
}

// ShardFiles lists the files an input path names: the path itself; for a
// pattern of sharded files (filepath.Match syntax, such as
// events/part-*.parquet), the files it matches, in name order; for a
// folder, its data files (folderFiles). Events and entities may be
// sharded.
func ShardFiles(path string) ([]string, error) {
	if !strings.ContainsAny(path, "*?[") {
		if st, err := os.Stat(path); err == nil && st.IsDir() {
			return folderFiles(path)
		}
		return []string{path}, nil
	}
	paths, err := filepath.Glob(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err) // filepath.ErrBadPattern
	}
	if len(paths) == 0 {
		return nil, &SchemaError{Path: path, Err: noFile("no file matches")}
	}
	return paths, nil
}

// folderFiles lists the data files of a table written as a folder, as
// Spark, Hive and pyarrow write one: the Parquet (.parquet, .pq) or CSV
// (.csv, .csv.gz) files in it and in its subfolders (partitions such as
// dt=2024-01-01/, whose values give the files' rows the columns they
// lack: folderPartitions), in path order, leaving out
// names that start with _ or . (_SUCCESS, checksums). A folder with
// files of both kinds, or of neither, is a *SchemaError.
func folderFiles(dir string) ([]string, error) {
	var files, other []string
	kinds := map[Format]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if name := d.Name(); p != dir && (strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".")) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		lower := strings.ToLower(p)
		switch {
		case strings.HasSuffix(lower, ".parquet"), strings.HasSuffix(lower, ".pq"):
			kinds[FormatParquet] = true
		case strings.HasSuffix(lower, ".csv"), strings.HasSuffix(lower, ".csv.gz"):
			kinds[FormatCSV] = true
		default:
			other = append(other, p)
			return nil
		}
		files = append(files, p)
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case len(kinds) > 1:
		return nil, &SchemaError{Path: dir, Err: errors.New("a folder with both Parquet and CSV files: which are the table?")}
	case len(files) == 0 && len(other) > 0:
		return nil, &SchemaError{Path: dir, Err: fmt.Errorf("a folder without .parquet or .csv files (%s)", strings.Join(other[:min(3, len(other))], ", "))}
	case len(files) == 0:
		return nil, &SchemaError{Path: dir, Err: noFile("an empty folder")}
	}
	return files, nil
}

// OpenInput opens an input file. A file that is not there is a
// *SchemaError naming it (bad input: the export did not arrive, or its
// name changed), which still matches fs.ErrNotExist; so is a folder,
// where an input that cannot be sharded is read.
func OpenInput(path string) (*os.File, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &SchemaError{Path: path, Err: noFile("no such file")}
	}
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, &SchemaError{Path: path, Err: errors.New("a folder, not a file: only events and entities may be folders of files")}
	}
	return f, nil
}

// noFile is the error of an input that is not there; it matches
// fs.ErrNotExist.
type noFile string

func (e noFile) Error() string { return string(e) }

func (noFile) Is(target error) bool { return target == fs.ErrNotExist }

// CheckInput reports, as OpenInput and ShardFiles do, an input path that
// names no file, or, for an input that may be sharded (events, entities),
// a pattern or folder that holds none.
func CheckInput(path string, sharded bool) error {
	paths := []string{path}
	if sharded {
		var err error
		if paths, err = ShardFiles(path); err != nil {
			return err
		}
	}
	for _, p := range paths {
		f, err := OpenInput(p)
		if err != nil {
			return err
		}
		f.Close()
	}
	return nil
}

// column returns the file column that holds contract column name.
func (s Source) column(name string) string {
	if c, ok := s.Columns[name]; ok {
		return c
	}
	return name
}

// rows is a forward-only cursor over a table's rows. Cell accessors take the
// column index in Header order. The row's cells are valid until Next.
type rows interface {
	Header() []string
	// Next advances to the next row; it returns io.EOF at the end. A returned
	// *RowError concerns a row that could not be split into cells at all; the
	// cursor stays usable after it.
	Next() error
	// Str returns the cell as text; null reports a missing value (an empty
	// CSV field or a Parquet null).
	Str(col int) (s string, null bool)
	// Num returns the cell as a float.
	Num(col int) (f float64, null bool, err error)
	// Time returns the cell as a UTC time.
	Time(col int) (t time.Time, null bool, err error)
	// Pos returns the 1-based line and column of a cell (row index and 0 for
	// Parquet).
	Pos(col int) (line, column int)
	// Record returns the current row as text, for quarantine files.
	Record() []string
	Close() error
}

// projector is a rows reader that can leave columns unchecked, before the
// first Next: a bad cell in them does not make a bad row. With decode
// false it does not decode them either, and they read as nulls.
type projector interface {
	skip(cols []int, decode bool)
}

// openRows opens a table for reading.
func openRows(ctx context.Context, src Source) (rows, error) {
	f, err := OpenInput(src.Path)
	if err != nil {
		return nil, err
	}
	var r rows
	switch {
	case src.format() == FormatParquet:
		r, err = newPageRows(f, src.Path)
	case strings.HasSuffix(strings.ToLower(src.Path), ".gz"):
		var zr *gzip.Reader
		if zr, err = gzip.NewReader(src.hashing(f)); err != nil {
			err = &SchemaError{Path: src.Path, Err: fmt.Errorf("not a gzip file: %w", err)}
			break
		}
		r, err = newCSVRows(zr, gzipFile{zr, f}, false, src.Path, src.CSV, src.TimeLayout)
	default:
		r, err = newCSVRows(src.hashing(f), f, true, src.Path, src.CSV, src.TimeLayout)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// notText names the kind of file whose first bytes are head when it is a
// binary format, or JSON, that CSV reading would take for text with a
// quote out of place, "" for any other; with what to do.
func notText(head []byte) string {
	// JSON Lines ({"entity_id": ...} a line) or an array of objects; no
	// CSV header starts so.
	js := bytes.TrimLeft(bytes.TrimPrefix(head, utf8BOM), " \t\r\n")
	if arr, ok := bytes.CutPrefix(js, []byte("[")); ok {
		js = bytes.TrimLeft(arr, " \t\r\n")
	}
	switch {
	case bytes.HasPrefix(js, []byte(`{"`)):
		return "JSON records, not CSV text: leadscore reads CSV and Parquet; write the records out as either, a column per field"
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return "a ZIP archive (an Excel .xlsx workbook?), not CSV text: save the sheet as \"CSV UTF-8\" in Excel, or unzip it"
	case bytes.HasPrefix(head, []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")):
		return "an Excel 97-2003 workbook (.xls), not CSV text: save the sheet as \"CSV UTF-8\" in Excel"
	case bytes.HasPrefix(head, []byte("PAR1")):
		return "a Parquet file, not CSV text: name it .parquet"
	case bytes.HasPrefix(head, []byte("\x1f\x8b")):
		return "gzip-compressed, not CSV text: name it .csv.gz"
	}
	return ""
}

// gzipFile closes both the gzip stream and the file under it.
type gzipFile struct {
	*gzip.Reader
	f *os.File
}

func (g gzipFile) Close() error {
	g.Reader.Close()
	return g.f.Close()
}

// ---- CSV ----

type csvRows struct {
	layouts   []string // the file's time layout, then with times of day (withTimeOfDay); nil without one
	hit       int      // the layout that read the last time: a file keeps to one
	numFormat string   // CSVOptions.NumberFormat
	na        []string // CSVOptions.NA
	// styles follows the number cells' styles when there is no numFormat.
	styles *numberStyles
	path   string
	c      io.Closer
	r      *csv.Reader
	header []string
	rec    []string
	rows   int // records read
	// lines is added to the reader's line numbers: the line before the
	// first it reads (a block of the file read alone).
	lines int
	// plain is set for a UTF-8 file on disk with line feeds, which
	// streamCSV may cut into blocks.
	plain bool
	// syntax is set when the last record broke the CSV syntax (a quote
	// out of place), after which the reader's idea of where records end
	// is its own.
	syntax bool
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// newCSVRows reads the CSV text of in; c closes what in reads, and onDisk
// says that in reads a file on disk as it is (not decompressed).
func newCSVRows(in io.Reader, c io.Closer, onDisk bool, path string, opt CSVOptions, layout string) (*csvRows, error) {
	if err := CheckEncoding(opt.Encoding); err != nil {
		return nil, &SchemaError{Path: path, Err: err}
	}
	// Excel's "Unicode Text" is UTF-16 with a byte-order mark, whatever
	// the encoding setting says.
	br := bufio.NewReaderSize(in, 1<<20)
	if head, _ := br.Peek(64); notText(head) != "" {
		return nil, &SchemaError{Path: path, Err: errors.New(notText(head))}
	}
	utf16 := false
	if b, err := br.Peek(2); err == nil && (b[0] == 0xFF && b[1] == 0xFE || b[0] == 0xFE && b[1] == 0xFF) {
		br = bufio.NewReaderSize(transform.NewReader(br, unicode.BOMOverride(unicode.UTF8.NewDecoder())), 1<<20)
		utf16 = true
	} else if isCP1252(opt.Encoding) {
		br = bufio.NewReaderSize(charmap.Windows1252.NewDecoder().Reader(br), 1<<20)
	}
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, utf8BOM) {
		br.Discard(3)
	}
	// Excel's "sep=;" first line says the separator; the header follows.
	directive := 0
	if head, _ := br.Peek(16); len(head) > 0 {
		if sep, n := sepDirective(head); n > 0 {
			if opt.Sep != 0 && opt.Sep != ',' && opt.Sep != sep {
				return nil, &SchemaError{Path: path, Err: fmt.Errorf("the file's first line says sep=%c, and the separator given is %q", sep, opt.Sep)}
			}
			opt.Sep = sep
			br.Discard(n)
			directive = 1
		}
	}
	// Classic Mac and some Excel exports end lines with a bare CR, which
	// encoding/csv does not split on. A file whose first megabyte has CRs
	// and no LF is read with CR as the line end.
	var src io.Reader = br
	if head, _ := br.Peek(1 << 20); bytes.IndexByte(head, '\r') >= 0 && bytes.IndexByte(head, '\n') < 0 {
		src = crToLF{br}
	}
	aligned := opt.Sep == ' '
	if aligned {
		src = &lineEndTrimmer{r: src}
	}
	cr := csv.NewReader(src)
	if opt.Sep != 0 {
		cr.Comma = opt.Sep
	}
	// Space-separated columns are aligned with runs of spaces, often
	// leading ones too: each field's leading spaces are skipped, which
	// makes a run one separator, and the spaces ending a line are dropped.
	cr.TrimLeadingSpace = aligned
	cr.ReuseRecord = true
	// The separator a header with no comma looks written with, for a
	// file read with the default one.
	var otherSep string
	if opt.Sep == 0 || opt.Sep == ',' {
		otherSep = separatorOf(br)
	}
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &SchemaError{Path: path, Err: errors.New("empty file: no header row")}
	}
	if err != nil {
		if otherSep != "" {
			return nil, &SchemaError{Path: path, Err: fmt.Errorf("the header is no comma-separated row (%v); the separator looks like %s: add --sep %s", err, otherSep, otherSep)}
		}
		return nil, csvError(path, err)
	}
	header = append([]string(nil), header...)
	for i, h := range header {
		if !utf8.ValidString(h) {
			return nil, &RowError{Path: path, Line: 1 + directive, Column: i + 1, Err: fmt.Errorf("header: %w", ErrInvalidUTF8)}
		}
		header[i] = strings.TrimSpace(h)
	}
	if len(header) == 1 && otherSep != "" {
		return nil, &SchemaError{Path: path, Err: fmt.Errorf("header has one column %q: the separator looks like %s: add --sep %s", header[0], otherSep, otherSep)}
	}
	var layouts []string
	if layout != "" {
		layouts = withTimeOfDay(layout)
	}
	// A file with a directive is read front to back: the readers of its
	// blocks take the first line for the header.
	rows := &csvRows{path: path, c: c, r: cr, header: header, layouts: layouts, numFormat: opt.NumberFormat, na: opt.NA, lines: directive,
		plain: onDisk && !isCP1252(opt.Encoding) && !utf16 && src == io.Reader(br) && directive == 0}
	if opt.NumberFormat == "" {
		rows.styles = &numberStyles{}
	}
	return rows, nil
}

// sepDirective reads the line "sep=X" that Excel writes (and reads) before
// a CSV file's header to name its separator X: X, and the bytes of the
// line with its end; 0, 0 when head does not start with one.
func sepDirective(head []byte) (rune, int) {
	if len(head) < 5 || !bytes.EqualFold(head[:4], []byte("sep=")) || head[4] >= utf8.RuneSelf || head[4] == '\r' || head[4] == '\n' {
		return 0, 0
	}
	n := 5
	switch {
	case bytes.HasPrefix(head[n:], []byte("\r\n")):
		n += 2
	case len(head) > n && (head[n] == '\n' || head[n] == '\r'):
		n++
	case len(head) > n:
		return 0, 0 // more on the line: a header that starts so
	}
	return rune(head[4]), n
}

// separatorOf returns the separator the first line of br looks written
// with when it has no comma: ';', tab or '|' (as --sep spells it), the
// most frequent; "" when it has a comma or none of them.
func separatorOf(br *bufio.Reader) string {
	head, _ := br.Peek(64 << 10)
	if i := bytes.IndexAny(head, "\r\n"); i >= 0 {
		head = head[:i]
	}
	if bytes.IndexByte(head, ',') >= 0 {
		return ""
	}
	best, most := "", 0
	for _, c := range []struct {
		b    byte
		flag string
	}{{';', "';'"}, {'\t', "tab"}, {'|', "'|'"}} {
		if n := bytes.Count(head, []byte{c.b}); n > most {
			best, most = c.flag, n
		}
	}
	return best
}

// lineEndTrimmer drops the spaces and tabs that end a line (or the text),
// keeping every other byte where it was in its line.
type lineEndTrimmer struct {
	r       io.Reader
	held    []byte // bytes read and not yet returned from next on
	next    int
	ready   int // held[:ready] may be returned; the rest are blanks held back
	chunk   []byte
	readErr error
}

func (t *lineEndTrimmer) Read(p []byte) (int, error) {
	for t.next == t.ready {
		if t.readErr != nil {
			return 0, t.readErr // the blanks held end the text: dropped
		}
		blanks := t.held[t.ready:]
		t.held = append(t.held[:0], blanks...)
		t.next, t.ready = 0, 0
		if t.chunk == nil {
			t.chunk = make([]byte, 64<<10)
		}
		n, err := t.r.Read(t.chunk)
		t.readErr = err
		for _, b := range t.chunk[:n] {
			switch b {
			case ' ', '\t':
				t.held = append(t.held, b)
				continue
			case '\n', '\r':
				t.held = t.held[:t.ready]
			}
			t.held = append(t.held, b)
			t.ready = len(t.held)
		}
	}
	n := copy(p, t.held[t.next:t.ready])
	t.next += n
	return n, nil
}

// crToLF turns every CR into LF, for files whose lines end with a bare CR.
type crToLF struct{ r io.Reader }

func (c crToLF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i, b := range p[:n] {
		if b == '\r' {
			p[i] = '\n'
		}
	}
	return n, err
}

func csvError(path string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &RowError{Path: path, Line: pe.Line, Column: pe.Column, StartLine: pe.StartLine, Err: pe.Err}
	}
	return damaged(path, 0, err)
}

// damaged reports a read that failed below the CSV layer: a gzip stream
// cut short or corrupt, or an I/O error, after rows data rows. Bad data
// that no row policy can skip.
func damaged(path string, rows int, err error) error {
	return &SchemaError{Path: path, Err: fmt.Errorf("the file is damaged or cut short after data row %d: %w", rows, err)}
}

func (r *csvRows) Header() []string { return r.header }

func (r *csvRows) Next() error {
	rec, err := r.r.Read()
	r.syntax = false
	if err == io.EOF {
		return io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			r.rec = nil
			if errors.Is(pe.Err, csv.ErrFieldCount) {
				r.rec = rec
				line, _ := r.r.FieldPos(0)
				return &RowError{Path: r.path, Line: r.lines + line, Column: 1,
					Err: fmt.Errorf("row has %d fields, header has %d", len(rec), len(r.header))}
			}
			r.syntax = true
			start := pe.StartLine
			if start > 0 {
				start += r.lines
			}
			return &RowError{Path: r.path, Line: r.lines + pe.Line, Column: pe.Column, StartLine: start, Err: pe.Err}
		}
		return damaged(r.path, r.rows, err)
	}
	r.rows++
	r.rec = rec
	if recordText(rec) {
		return nil
	}
	for i, s := range rec {
		if !utf8.ValidString(s) {
			line, col := r.Pos(i)
			return &RowError{Path: r.path, Line: line, Column: col, Field: r.header[i],
				Err: fmt.Errorf("%w (a Windows-1252 or Latin-1 file? use --encoding cp1252)", ErrInvalidUTF8)}
		}
		if strings.IndexByte(s, 0) >= 0 {
			line, col := r.Pos(i)
			return &RowError{Path: r.path, Line: line, Column: col, Field: r.header[i], Err: ErrNULByte}
		}
	}
	return nil
}

// recordText reports whether every field of rec is valid UTF-8 without a
// NUL byte, checking them at once when they lie one after another in
// memory, as encoding/csv hands them out (one string per record): the
// span is checked, and every field must start a character. False means
// some field may be bad; the caller checks them one by one.
func recordText(rec []string) bool {
	var first *byte
	var base, size uintptr
	for _, f := range rec {
		if f == "" {
			continue
		}
		if !utf8.RuneStart(f[0]) {
			return false
		}
		p := unsafe.StringData(f)
		at := uintptr(unsafe.Pointer(p))
		if first == nil {
			first, base = p, at
		} else if at != base+size {
			return false
		}
		size += uintptr(len(f))
	}
	if first == nil {
		return true
	}
	span := unsafe.String(first, int(size))
	return utf8.ValidString(span) && strings.IndexByte(span, 0) < 0
}

func (r *csvRows) Str(col int) (string, bool) {
	s := r.missing(trimCell(r.rec[col]))
	return s, s == ""
}

// missing returns "" for a cell value listed in CSVOptions.NA, else s.
func (r *csvRows) missing(s string) string {
	if r.na != nil && s != "" && slices.Contains(r.na, s) {
		return ""
	}
	return s
}

func (r *csvRows) Num(col int) (float64, bool, error) {
	s, null := r.Str(col)
	return r.num(r, col, s, null)
}

// num reads cell s (null as Str returns it) of column col of rs, which is
// r or the plainRows around it, as a number: in the file's number format,
// else on its own, its style noted (numberStyles).
func (r *csvRows) num(rs rows, col int, s string, null bool) (float64, bool, error) {
	v, null, err := numOfText(s, null, r.numFormat)
	if err == nil && !null && r.styles != nil {
		err = r.styles.note(rs, col, s)
	}
	return v, null, err
}

func (r *csvRows) Time(col int) (time.Time, bool, error) {
	return r.timeCell(r.Str(col))
}

// timeCell is Time of a cell whose text is s, null when empty: in the
// file's layout (with or without a time of day) when it has one, else as
// ParseTime reads it.
func (r *csvRows) timeCell(s string, null bool) (time.Time, bool, error) {
	if null {
		return time.Time{}, true, nil
	}
	// At most one layout reads a cell; the one that read the last is
	// tried first.
	for k := range r.layouts {
		j := (r.hit + k) % len(r.layouts)
		if t, err := ParseIn(r.layouts[j], s); err == nil {
			r.hit = j
			return t, false, nil
		}
	}
	t, err := ParseTime(s)
	if err != nil && missingToken(s) {
		return time.Time{}, true, nil
	}
	if err != nil && r.layouts != nil {
		err = fmt.Errorf("%w (nor the layout %q)", err, r.layouts[0])
	}
	return t, false, err
}

func (r *csvRows) Pos(col int) (int, int) {
	if col >= len(r.rec) {
		col = len(r.rec) - 1
	}
	if col < 0 {
		return 0, 0
	}
	line, c := r.r.FieldPos(col)
	return r.lines + line, c
}

func (r *csvRows) Record() []string { return r.rec }

func (r *csvRows) Close() error { return r.c.Close() }

// parseNum parses a text cell of an event or cutoff file as a number:
// plainly written (ParseNumber), or with thousands separators or a
// decimal comma, a currency or percent sign, when the cell reads as one
// number only ("1,234.50", "12,5", "$2,000"). A cell that reads two ways
// ("1,234") is an error saying so. With a format (NumberComma,
// NumberDot) the cell is read in it alone.
func parseNum(s, format string) (float64, bool, error) {
	if format != "" {
		if v, ok := ParseNumberAs(s, format); ok {
			return v, false, nil
		}
		if _, err := ParseNumber(s); err != nil && !errors.Is(err, ErrBadNumber) {
			return 0, false, err // out of range, not finite
		}
		return 0, false, fmt.Errorf("%q is no number written %s: %w", s, format, ErrBadNumber)
	}
	f, err := ParseNumber(s)
	if err == nil || !errors.Is(err, ErrBadNumber) {
		return f, false, err
	}
	a, okA := ParseNumberAs(s, NumberComma)
	b, okB := ParseNumberAs(s, NumberDot)
	switch {
	case okA && okB && a != b:
		return 0, false, fmt.Errorf("%q could be %v (%s) or %v (%s); say how the file writes numbers with --number-format %q or %q (number_format: in pipeline.yaml): %w",
			s, a, NumberComma, b, NumberDot, NumberComma, NumberDot, ErrBadNumber)
	case okA:
		return a, false, nil
	case okB:
		return b, false, nil
	}
	return f, false, err
}

// timeOfText reads a text cell (s, null as Str returns them) as a
// time.
func timeOfText(s string, null bool) (time.Time, bool, error) {
	if null {
		return time.Time{}, true, nil
	}
	t, err := ParseTime(s)
	if err != nil && missingToken(s) {
		return time.Time{}, true, nil
	}
	return t, false, err
}

// missingID reports whether an id cell is a marker of a missing value (an
// id R writes as NA, pandas reads as none): a bad row, as an empty id is,
// not an entity named NA. It answers most ids from their length and first
// byte, as every event's id asks it.
func missingID(s string) bool {
	if len(s) < 2 || len(s) > 8 {
		return false
	}
	switch s[0] {
	case 'N', 'n', '#', '-', '<':
		return missingToken(s)
	}
	return false
}

// numOfText reads a text cell (s, null as Str returns them) as a number,
// in format when one is given (see parseNum). A cell that is no number
// but a missing value's marker (missingToken) is missing, as in a flat
// table's columns of numbers; NaN, a number, is an error (not finite).
func numOfText(s string, null bool, format string) (float64, bool, error) {
	if null {
		return 0, true, nil
	}
	v, null, err := parseNum(s, format)
	if errors.Is(err, ErrBadNumber) && missingToken(s) {
		return 0, true, nil
	}
	return v, null, err
}

// emptyCellError is the RowError of a cell that must hold a value and
// holds none: empty, or a marker of a missing value (NA, a value of
// --na), which it names.
func emptyCellError(r rows, path string, col int) *RowError {
	err := ErrEmptyField
	if rec := r.Record(); col < len(rec) && trimCell(rec[col]) != "" {
		err = missingCell(trimCell(rec[col]))
	}
	return cellError(r, path, col, err)
}

// missingCell is the text of a cell that means no value; it matches
// ErrEmptyField.
type missingCell string

func (m missingCell) Error() string { return fmt.Sprintf("%q means no value", string(m)) }

func (missingCell) Is(target error) bool { return target == ErrEmptyField }

// cellError builds a RowError for a cell.
func cellError(r rows, path string, col int, err error) *RowError {
	line, c := r.Pos(col)
	return &RowError{Path: path, Line: line, Column: c, Field: r.Header()[col], Err: err}
}

// findColumns resolves contract columns to indexes in the header. A
// contract column is the file's column it is mapped to, else the column of
// its name, else the one column whose name differs from it only in case,
// spaces, hyphens and underscores (Quantity, Entity ID, CLOSED_AT; see
// NormValue), which no other contract column took. Two such columns are an
// error asking for a mapping. Required columns must be found; optional
// ones may be absent (index -1), and one mapped to "" is absent even when
// the file has a column of its name.
func findColumns(src Source, header []string, required, optional []string) (map[string]int, error) {
	seen := make(map[string]int, len(header))
	for i, h := range header {
		if h == "" {
			continue // unnamed: a spreadsheet's empty header cells (see nameUnnamed)
		}
		if _, dup := seen[h]; dup {
			return nil, &SchemaError{Path: src.Path, Err: fmt.Errorf("column %q appears twice in the header", h)}
		}
		seen[h] = i
	}
	names := slices.Concat(required, optional)
	idx := make(map[string]int, len(names))
	taken := map[int]bool{}
	var loose []string
	for _, name := range names {
		idx[name] = -1
		c, mapped := src.Columns[name]
		if !mapped {
			c = name
		}
		if i, ok := seen[c]; ok && c != "" {
			idx[name], taken[i] = i, true
		} else if mapped && c != "" && !slices.Contains(required, name) {
			return nil, &SchemaError{Path: src.Path, Err: fmt.Errorf("column %q (mapped from %s) is not in the header", c, name)}
		} else if !mapped {
			loose = append(loose, name)
		}
	}
	for _, name := range loose {
		var like []int
		for i, h := range header {
			if !taken[i] && NormValue(h) == NormValue(name) {
				like = append(like, i)
			}
		}
		switch len(like) {
		case 0:
		case 1:
			idx[name], taken[like[0]] = like[0], true
		default:
			return nil, &SchemaError{Path: src.Path, Err: fmt.Errorf("columns %q and %q could both be %s: say which with --col %s=COLUMN",
				header[like[0]], header[like[1]], name, name)}
		}
	}
	var missing []string
	for _, name := range required {
		if idx[name] >= 0 {
			continue
		}
		switch c, mapped := src.Columns[name]; {
		case mapped && c == "":
			missing = append(missing, fmt.Sprintf("%s (mapped to no column)", name))
		case mapped:
			missing = append(missing, fmt.Sprintf("%q (mapped from %s)", c, name))
		default:
			missing = append(missing, strconv.Quote(name))
		}
	}
	if len(missing) > 0 {
		return nil, &SchemaError{Path: src.Path, Err: fmt.Errorf("missing required column %s (have %s; map columns with --col name=column)",
			strings.Join(missing, ", "), strings.Join(quoteAll(header), ", "))}
	}
	return idx, nil
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

// ParseSep reads a field separator as users write it: one character, or
// "tab" (also "\t") or "space"; "" means a comma. With a space, runs of
// spaces are one separator (columns aligned with spaces).
func ParseSep(s string) (rune, error) {
	switch s {
	case "", ",":
		return ',', nil
	case "tab", `\t`, "\t":
		return '\t', nil
	case "space", " ":
		return ' ', nil
	}
	r := []rune(s)
	if len(r) != 1 || r[0] == '"' || r[0] == '\n' || r[0] == '\r' || r[0] == utf8.RuneError {
		return 0, fmt.Errorf("separator %q: want one character such as ';', 'tab' or 'space'", s)
	}
	return r[0], nil
}

// CheckEncoding checks a text encoding's name: "" or utf-8, or cp1252
// (also windows-1252, latin1, iso-8859-1).
func CheckEncoding(enc string) error {
	switch strings.ToLower(enc) {
	case "", "utf-8", "utf8":
		return nil
	}
	if isCP1252(enc) {
		return nil
	}
	return fmt.Errorf("unknown encoding %q (want utf-8 or cp1252)", enc)
}

func isCP1252(enc string) bool {
	switch strings.ToLower(enc) {
	case "cp1252", "windows-1252", "latin1", "iso-8859-1":
		return true
	}
	return false
}

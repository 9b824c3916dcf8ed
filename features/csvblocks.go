package features

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/sync/errgroup"
)

// csvBlockSize is the size of the blocks of lines readCSVBlocks parses
// concurrently. Tests shrink it to put block boundaries everywhere.
var csvBlockSize = 4 << 20

// readCSVBlocks reads a plain UTF-8 CSV file into a table with every core:
// the file is cut into blocks of whole records (a cut falls on a line end
// after an even number of quote characters, so never inside a quoted field
// of a well-formed file), each block is parsed by its own encoding/csv
// reader, and numeric columns become floats inside the block, so the table
// never holds a string per numeric cell. The columns named in text stay
// as written, neither numbers nor times; those marked in written (by
// place; nil for none) keep their cells beside what they read as.
//
// It returns ok = false, and no table, when the file is not for this path:
// compressed, in another encoding, with bare-CR line ends or a sep= line
// before the header, or with any row
// the sequential reader would report (a parse error, a wrong field count,
// invalid UTF-8 or a NUL byte anywhere). The caller then reads the file
// with the sequential reader, which names the line and column and applies
// the bad-row policy; errors come from one place. Kinds are inferred as
// the sequential reader infers them, so both give equal tables.
func readCSVBlocks(ctx context.Context, src Source, header []string, na []string, text map[string]bool, written []bool) (_ *Table, ok bool, _ error) {
	enc := strings.ToLower(src.CSV.Encoding)
	if strings.HasSuffix(strings.ToLower(src.Path), ".gz") || (enc != "" && enc != "utf-8" && enc != "utf8") {
		return nil, false, nil
	}
	data, err := os.ReadFile(src.Path)
	if err != nil {
		return nil, false, err
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if _, n := sepDirective(data[:min(len(data), 16)]); n > 0 {
		return nil, false, nil // Excel's sep= line: the sequential reader's
	}
	// The sequential reader's test for bare-CR line ends, on the same
	// first megabyte.
	if head := data[:min(len(data), 1<<20)]; bytes.IndexByte(head, '\r') >= 0 && bytes.IndexByte(head, '\n') < 0 {
		return nil, false, nil
	}
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return nil, false, nil
	}
	sep := src.CSV.Sep
	if sep == 0 {
		sep = ','
	}
	if sep == ' ' {
		return nil, false, nil // aligned columns: the sequential reader's
	}
	// Skip the header record (the caller has validated it).
	hr := csv.NewReader(bytes.NewReader(data))
	hr.Comma = sep
	if _, err := hr.Read(); err != nil {
		return nil, false, nil
	}
	body := data[hr.InputOffset():]
	blocks := splitCSVBlocks(body, csvBlockSize)
	if len(blocks) == 0 {
		return nil, false, nil // a header alone: nothing to gain
	}

	keep := make([]bool, len(header))
	for j, name := range header {
		keep[j] = text[name]
	}
	if written == nil {
		written = make([]bool, len(header))
	}
	parsed := make([]csvBlock, len(blocks))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	failed := make([]bool, len(blocks))
	for b, blk := range blocks {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			var ok bool
			parsed[b], ok = parseCSVBlock(blk, sep, len(header), na, keep, written)
			failed[b] = !ok
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, false, err
	}
	if slices.Contains(failed, true) {
		return nil, false, nil
	}

	n := 0
	for _, p := range parsed {
		n += p.rows
	}
	t := &Table{Meta: map[string]string{}, Columns: make([]Column, len(header))}
	g.SetLimit(runtime.GOMAXPROCS(0))
	for j, name := range header {
		g.Go(func() error {
			t.Columns[j] = mergeCSVColumn(name, j, parsed, blocks, sep, len(header), na, n, keep[j], written[j])
			return nil
		})
	}
	g.Wait()
	return t, true, nil
}

// splitCSVBlocks cuts body into blocks of about size bytes, each a run of
// whole records.
func splitCSVBlocks(body []byte, size int) [][]byte {
	var blocks [][]byte
	for len(body) > size {
		cut := recordsEnd(body, size)
		blocks = append(blocks, body[:cut])
		body = body[cut:]
	}
	if len(body) > 0 {
		blocks = append(blocks, body)
	}
	return blocks
}

// recordsEnd returns the end of the last line within the first size bytes
// of body that follows an even number of quote characters: in a
// well-formed file, the end of a record. When no line ends there (a record
// longer than size), the window doubles; len(body) when none ends at all.
func recordsEnd(body []byte, size int) int {
	for end := min(size, len(body)); ; end = min(2*end, len(body)) {
		if cut := lastRecordEnd(body[:end]); cut > 0 {
			return cut
		}
		if end == len(body) {
			return len(body)
		}
	}
}

// lastRecordEnd returns the end of the last line of b that follows an even
// number of quote characters, 0 when there is none.
func lastRecordEnd(b []byte) int {
	quotes := bytes.Count(b, []byte{'"'})
	for p := len(b); ; {
		nl := bytes.LastIndexByte(b[:p], '\n')
		if nl < 0 {
			return 0
		}
		quotes -= bytes.Count(b[nl:p], []byte{'"'})
		if quotes%2 == 0 {
			return nl + 1
		}
		p = nl
	}
}

// csvBlock is one block's columns: floats where every non-empty cell of
// the block parsed as a finite number, text otherwise.
type csvBlock struct {
	rows int
	cols []blockColumn
}

type blockColumn struct {
	float  []float64 // nil when the block's cells are not all numbers
	text   []string  // the cells, when float is nil or the column keeps them
	values bool      // whether any cell is non-empty
}

// parseCSVBlock parses one block, the columns where keep is set kept as
// text, those where written is set keeping their cells beside their
// numbers; ok is false when a record is malformed.
func parseCSVBlock(blk []byte, sep rune, width int, na []string, keep, written []bool) (csvBlock, bool) {
	if plainSyntax(blk, sep) {
		if out, ok, retry := parsePlainBlock(blk, sep, width, na, keep, written); !retry {
			return out, ok
		}
	}
	return parseBlockCells(blk, sep, width, na, keep, written)
}

// parseBlockCells is parseCSVBlock by way of the block's cells as text
// (readBlockCells), for any block.
func parseBlockCells(blk []byte, sep rune, width int, na []string, keep, written []bool) (csvBlock, bool) {
	cells := readBlockCells(blk, sep, width, na, nil)
	if cells == nil {
		return csvBlock{}, false
	}
	out := csvBlock{rows: len(cells[0]), cols: make([]blockColumn, width)}
	for j, col := range cells {
		if keep[j] {
			out.cols[j] = blockColumn{text: col, values: true}
			continue
		}
		fs, values, isFloat, big := parseFloats(col)
		if big >= 0 {
			return csvBlock{}, false // the sequential reader names the cell
		}
		if isFloat {
			out.cols[j] = blockColumn{float: fs, values: values}
			if written[j] {
				out.cols[j].text = col
			}
		} else {
			out.cols[j] = blockColumn{text: col, values: true}
		}
	}
	return out, true
}

// probeRows is how many records parsePlainBlock reads to decide which
// columns to read as numbers.
const probeRows = 64

// parsePlainBlock is parseCSVBlock for a block plainSyntax accepts, without
// a string per numeric cell: each record is cut once, its cells trimmed
// and matched against na as readBlockCells does, and the cells of a
// numeric column parsed as parseFloats parses them, straight into the
// column's floats. A column is numeric when its cells among the block's
// first probeRows records are numbers or empty. retry is set, and the
// block left to the cells' way, when a later cell of a numeric column is
// not a number; ok is false where parseCSVBlock's would be.
func parsePlainBlock(blk []byte, sep rune, width int, na []string, keep, written []bool) (out csvBlock, ok, retry bool) {
	data := unsafe.String(unsafe.SliceData(blk), len(blk))
	rec := make([]string, width)
	// next reads p's next record into rec, trimmed and with na cells
	// emptied; it skips blank records (every cell blank before na is
	// matched, as blankRecord) and reports false at the end or at a
	// malformed record (bad).
	var bad bool
	next := func(p *plainRows) bool {
		for {
			if err := p.Next(); err != nil {
				bad = err != io.EOF
				return false
			}
			blank := true
			for j := range rec {
				c := trimCell(p.cell(j))
				blank = blank && c == ""
				if slices.Contains(na, c) {
					c = ""
				}
				rec[j] = c
			}
			if !blank {
				return true
			}
		}
	}
	num := make([]bool, width)
	for j := range num {
		num[j] = !keep[j]
	}
	probe := newPlainRows(data, sep, width)
	for k := 0; k < probeRows && next(probe); k++ {
		for j, c := range rec {
			if num[j] && c != "" {
				_, num[j], _ = cellNumber(c)
			}
		}
	}
	if bad {
		return csvBlock{}, false, false
	}
	est := bytes.Count(blk, []byte{'\n'}) + 1
	cols := make([]blockColumn, width)
	for j := range cols {
		if num[j] {
			cols[j].float = make([]float64, 0, est)
		}
		if !num[j] || written[j] {
			cols[j].text = make([]string, 0, est)
		}
		cols[j].values = !num[j]
	}
	p := newPlainRows(data, sep, width)
	rows := 0
	for next(p) {
		rows++
		for j, c := range rec {
			col := &cols[j]
			if col.text != nil {
				col.text = append(col.text, c)
			}
			if !num[j] {
				continue
			}
			if c == "" {
				col.float = append(col.float, math.NaN())
				continue
			}
			f, number, big := cellNumber(c)
			switch {
			case !number:
				return csvBlock{}, false, true
			case big:
				return csvBlock{}, false, false // the sequential reader names the cell
			}
			col.float, col.values = append(col.float, f), true
		}
	}
	if bad {
		return csvBlock{}, false, false
	}
	return csvBlock{rows: rows, cols: cols}, true, false
}

// readBlockCells returns the trimmed cells of a block column by column (the
// columns in only, when only is set), or nil when a record is malformed.
func readBlockCells(blk []byte, sep rune, width int, na []string, only []bool) [][]string {
	r := csv.NewReader(bytes.NewReader(blk))
	r.Comma = sep
	r.FieldsPerRecord = width
	r.ReuseRecord = true
	read := r.Read
	if plainSyntax(blk, sep) {
		// readCSVBlocks checked the whole file for invalid UTF-8 and NUL
		// bytes, and its bytes do not change while the table lives: the
		// cells may be substrings of them.
		p := newPlainRows(unsafe.String(unsafe.SliceData(blk), len(blk)), sep, width)
		read = func() ([]string, error) {
			err := p.Next()
			return p.Record(), err
		}
	}
	est := bytes.Count(blk, []byte{'\n'}) + 1
	cells := make([][]string, width)
	for j := range cells {
		if only == nil || only[j] {
			cells[j] = make([]string, 0, est)
		}
	}
	for {
		rec, err := read()
		if err != nil {
			if err == io.EOF {
				break
			}
			return nil
		}
		if blankRecord(rec) {
			continue
		}
		for j, s := range rec {
			if only != nil && !only[j] {
				continue
			}
			s = strings.TrimSpace(s)
			if slices.Contains(na, s) {
				s = ""
			}
			cells[j] = append(cells[j], s)
		}
	}
	return cells
}

// parseFloats parses text cells as numbers: empty cells are NaN, values
// reports a non-empty cell, and isFloat is false (and fs nil) at the first
// cell that is not a decimal number or is written as a code is (zeroLed).
// big is the index of the first decimal beyond MaxMagnitude (its value is
// NaN), −1 when there is none.
func parseFloats(cells []string) (fs []float64, values, isFloat bool, big int) {
	fs = make([]float64, len(cells))
	big = -1
	for i, s := range cells {
		if s == "" {
			fs[i] = math.NaN()
			continue
		}
		f, number, beyond := cellNumber(s)
		if !number {
			return nil, false, false, -1
		}
		if beyond {
			f = math.NaN()
			if big < 0 {
				big = i
			}
		}
		fs[i], values = f, true
	}
	return fs, values, true, big
}

// cellNumber reads a non-empty cell as a number: number is false when it
// is not a decimal number or is written as a code is (zeroLed), big when
// it is one beyond MaxMagnitude.
func cellNumber(s string) (f float64, number, big bool) {
	f, syntax, err := decimalValue(s)
	if !syntax || zeroLed(s) {
		return 0, false, false
	}
	return f, true, err != nil
}

// mergeCSVColumn joins column j of the blocks into one column with the
// kind the sequential reader infers: float when every block's cells are
// numbers and some cell is non-empty; otherwise text (or time, when every
// non-empty cell is a timestamp), re-reading the text of the blocks where
// the column was numeric. A column kept as text is text; a written one
// keeps its cells (Column.Written).
func mergeCSVColumn(name string, j int, parsed []csvBlock, blocks [][]byte, sep rune, width int, na []string, n int, keep, written bool) Column {
	allFloat, values := true, false
	for _, p := range parsed {
		allFloat = allFloat && p.cols[j].float != nil
		values = values || p.cols[j].values
	}
	numbers := allFloat && values
	var cells []string
	if written || !numbers {
		only := make([]bool, width)
		only[j] = true
		cells = make([]string, 0, n)
		for b := range parsed {
			c := &parsed[b].cols[j]
			if c.text == nil {
				c.text = readBlockCells(blocks[b], sep, width, na, only)[j]
			}
			cells = append(cells, c.text...)
			c.text = nil
			if !numbers {
				c.float = nil
			}
		}
	}
	var w []string
	if written {
		w = cells
	}
	if numbers {
		out := make([]float64, 0, n)
		for b := range parsed {
			out = append(out, parsed[b].cols[j].float...)
			parsed[b].cols[j].float = nil
		}
		return Column{Name: name, Kind: KindFloat, Float: out, Written: w}
	}
	if keep {
		return Column{Name: name, Kind: KindString, Str: cells, Written: w}
	}
	return inferTime(Column{Name: name, Kind: KindString, Str: cells, Written: w})
}

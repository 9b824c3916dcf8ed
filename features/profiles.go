package features

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// Profiles holds the entities table: one row per entity with its attribute
// columns (numeric or categorical), in memory. Memory grows with the number
// of entities × attributes.
type Profiles struct {
	Source  string // file the profiles came from
	IDs     []string
	Columns []Column // attribute columns in file order, each len(IDs) long
	// Notes name the columns read as text although nearly every value is
	// a number (a placeholder such as "-" for unknown): their values are
	// categories, not numbers, unless the placeholder is given as NA.
	Notes []string
	index map[string]int
}

// Row returns the row of an entity, or -1.
func (p *Profiles) Row(id string) int {
	if p == nil {
		return -1
	}
	if i, ok := p.index[id]; ok {
		return i
	}
	return -1
}

// Column returns the named attribute column, or nil.
func (p *Profiles) Column(name string) *Column {
	if p == nil {
		return nil
	}
	for i := range p.Columns {
		if p.Columns[i].Name == name {
			return &p.Columns[i]
		}
	}
	return nil
}

// ReadProfiles reads an entities table, from one file or a pattern of
// shards with the same columns (ShardFiles). Files in a folder partitioned
// by a column, as Spark's partitionBy writes them (industry=Retail/), hold
// no such column: their rows get it from the folder's name (see
// partitionColumns). Column kinds are inferred: a column whose non-empty
// values are all numbers is numeric, any other is categorical. A
// duplicated entity id is a *RowError.
func ReadProfiles(ctx context.Context, src Source, bad *BadRows) (*Profiles, error) {
	paths, err := ShardFiles(src.Path)
	if err != nil {
		return nil, err
	}
	pr := &profileReader{p: &Profiles{Source: src.Path, index: map[string]int{}}, root: shardRoot(src.Path)}
	for _, path := range paths {
		s := src
		s.Path = path
		if err := pr.read(ctx, s, bad); err != nil {
			return nil, err
		}
	}
	// The partition columns come after the files' own.
	for k, name := range pr.parts {
		pr.attrCols = append(pr.attrCols, len(pr.header))
		pr.header = append(pr.header, name)
		pr.cells = append(pr.cells, pr.partCells[k])
	}
	p := pr.p
	for j, c := range pr.attrCols {
		name := pr.header[c]
		if name == "" {
			// A spreadsheet's header cells past its data: a column with
			// no value is none; one with values is named as a flat
			// table's (nameUnnamed).
			if !slices.ContainsFunc(pr.cells[j], func(s string) bool { return s != "" }) {
				continue
			}
			name = unnamedName(c, func(name string) bool {
				return slices.Contains(pr.header, name) || slices.ContainsFunc(p.Columns, func(c Column) bool { return c.Name == name })
			})
		}
		col, big := inferColumn(name, pr.cells[j])
		if big >= 0 {
			at := pr.lines[big]
			return nil, bigValueError(paths[at.file], at.line, col.Name, pr.cells[j][big])
		}
		// Numbers as CRM exports write them, by the rules of flat tables
		// (ReadTable); in a CSV file that groups thousands with dots,
		// cells that read as plain decimals ("1.234") are in that format
		// too.
		format := cmp.Or(src.Numbers[col.Name], src.CSV.NumberFormat)
		codes := ""
		if col.Kind == KindString {
			codes = codesNote(pr.cells[j], src.Numbers[col.Name])
		}
		if codes == "" && (col.Kind == KindString && col.Str != nil || col.Kind == KindFloat && format == NumberDot && src.format() != FormatParquet) {
			vals, _, ok, err := detectNumbers(col.Name, pr.cells[j], format)
			if ae := (*AmbiguousError)(nil); errors.As(err, &ae) {
				ae.Flag = fmt.Sprintf("--entities-number-format %q or %q (number_format: in pipeline.yaml), how the file writes its numbers", NumberComma, NumberDot)
			}
			if err != nil {
				return nil, &SchemaError{Path: src.Path, Err: err}
			}
			if ok {
				col = Column{Name: col.Name, Kind: KindFloat, Float: vals}
			} else if note := mostlyNumbers(pr.cells[j]); note != "" && col.Kind == KindString {
				p.Notes = append(p.Notes, fmt.Sprintf("column %q %s", col.Name, note))
			}
		}
		if col.Kind == KindString && col.Str != nil {
			// Dates (a contact's Create Date) are times, which the feature
			// table carries as such and a model takes as their age before
			// each row's date; text a model cannot use otherwise.
			ts, _, ok, err := detectTimes(col.Name, col.Str, cmp.Or(src.Times[col.Name], src.TimeLayout))
			if ae := (*AmbiguousError)(nil); errors.As(err, &ae) {
				ae.Flag = fmt.Sprintf("--entities-time-format %s or %s (time_format: in pipeline.yaml)", ae.Choices[0], ae.Choices[1])
				p.Notes = append(p.Notes, fmt.Sprintf("column %q is kept as text: %v", col.Name, err))
			} else if err != nil {
				return nil, &SchemaError{Path: src.Path, Err: err}
			}
			if ok {
				col = Column{Name: col.Name, Kind: KindTime, Time: ts}
			} else if codes != "" {
				p.Notes = append(p.Notes, fmt.Sprintf("column %q %s", col.Name, codes))
			}
		}
		if col.Kind == KindString && col.Str == nil {
			col.Str = make([]string, len(p.IDs))
		}
		p.Columns = append(p.Columns, col)
	}
	return p, nil
}

// profileReader gathers the rows of an entities table's files.
type profileReader struct {
	p        *Profiles
	header   []string // the first file's
	idCol    int
	attrCols []int
	cells    [][]string // per attribute column, its text per kept row
	lines    []struct{ file, line int }
	files    int

	// The folder the files were named by, and the columns its partition
	// folders name, in the order met, with their text per kept row.
	root      string
	parts     []string
	partCells [][]string
}

// shardRoot returns the folder an entities path names its files below: the
// path when it is a folder, the folder before the first pattern character
// of a pattern; "" for a single file, which has no partitions.
func shardRoot(path string) string {
	if i := strings.IndexAny(path, "*?["); i >= 0 {
		return filepath.Dir(path[:i] + "x")
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return path
	}
	return ""
}

// partitionColumns returns the columns and values that the folders between
// root and the file at path name (industry=Retail/region=EU/part-0.csv;
// folderPartitions). A column the file's header already has is the
// file's.
func partitionColumns(root, path string, header []string) (names, values []string) {
	if root == "" {
		return nil, nil
	}
	rel, err := filepath.Rel(root, filepath.Dir(path))
	if err != nil || rel == "." {
		return nil, nil
	}
	for _, p := range folderPartitions(rel, header) {
		names, values = append(names, p.Name), append(values, p.Value)
	}
	return names, values
}

// read adds the rows of one file, whose columns must be the first's.
func (pr *profileReader) read(ctx context.Context, src Source, bad *BadRows) error {
	r, err := openRows(ctx, src)
	if err != nil {
		return err
	}
	defer r.Close()
	// Attributes of one name (two records' Email fields) are told apart
	// as flat tables' columns are; the id's name must be the id's alone.
	header, renamed := distinctNames(r.Header())
	if pr.files == 0 {
		idx, err := findColumns(src, header, entityRequired, nil)
		if err != nil {
			return err
		}
		pr.header, pr.idCol = header, idx["entity_id"]
		for _, i := range renamed {
			if was := r.Header()[i]; was == r.Header()[pr.idCol] {
				return &SchemaError{Path: src.Path, Err: fmt.Errorf("column %q appears twice in the header: which one is the id?", was)}
			}
			pr.p.Notes = append(pr.p.Notes, renamedNote(i, r.Header()[i], header[i]))
		}
		for i := range pr.header {
			if i != pr.idCol {
				pr.attrCols = append(pr.attrCols, i)
			}
		}
		pr.cells = make([][]string, len(pr.attrCols))
	} else if !slices.Equal(header, pr.header) {
		return &SchemaError{Path: src.Path, Err: fmt.Errorf("columns %s differ from the first shard's (%s)", strings.Join(r.Header(), ","), strings.Join(pr.header, ","))}
	}
	file := pr.files
	pr.files++
	// The file's partition values, by their column in pr.parts: a column
	// first met here is empty for the rows before.
	names, values := partitionColumns(pr.root, src.Path, header)
	partOf := make([]int, len(names))
	for i, name := range names {
		if partOf[i] = slices.Index(pr.parts, name); partOf[i] < 0 {
			partOf[i] = len(pr.parts)
			pr.parts = append(pr.parts, name)
			pr.partCells = append(pr.partCells, make([]string, len(pr.lines)))
		}
	}
	for n := 0; ; n++ {
		if n%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err == nil {
			err = profileRow(r, src.Path, pr.idCol, pr.p)
		}
		if err != nil {
			var re *RowError
			if !errors.As(err, &re) {
				return err
			}
			if err := bad.handle(re, r.Record()); err != nil {
				return err
			}
			continue
		}
		line, _ := r.Pos(pr.idCol)
		pr.lines = append(pr.lines, struct{ file, line int }{file, line})
		for j, c := range pr.attrCols {
			s, _ := r.Str(c)
			pr.cells[j] = append(pr.cells[j], s)
		}
		for k := range pr.partCells {
			pr.partCells[k] = append(pr.partCells[k], "")
		}
		for i, k := range partOf {
			pr.partCells[k][len(pr.lines)-1] = values[i]
		}
	}
}

func profileRow(r rows, path string, idCol int, p *Profiles) error {
	id, null := r.Str(idCol)
	if null || missingID(id) {
		return emptyCellError(r, path, idCol)
	}
	if prev, dup := p.index[id]; dup {
		return cellError(r, path, idCol, fmt.Errorf("duplicate entity_id %q (first at data row %d)", id, prev+1))
	}
	p.index[id] = len(p.IDs)
	p.IDs = append(p.IDs, id)
	return nil
}

// Cutoffs is a cutoff table: rows of (entity, moment), each asking for the
// entity's features as they were just before that moment. A deals file is a
// cutoff table whose moment is when the deal opened. Other columns (such as
// won) are passed through to the feature table unchanged.
type Cutoffs struct {
	Source string // file the cutoffs came from
	IDs    []string
	TS     []time.Time
	Extra  []Column
	// Snapshots, when set, are the dates these cutoffs were taken on (the
	// deals open on each, Outcomes.OpenDealsAt): the table's metadata
	// lists them as a snapshot table's, and Known as its outcomes' end.
	Snapshots []time.Time
	Known     time.Time
}

// Len returns the number of cutoff rows.
func (c *Cutoffs) Len() int { return len(c.IDs) }

// ReadCutoffs reads a cutoff table with columns entity_id and ts. A column
// named won (after mapping) is read as the deal outcome, a bool; every other
// column is passed through with its kind inferred like entity attributes.
func ReadCutoffs(ctx context.Context, src Source, bad *BadRows) (*Cutoffs, error) {
	r, err := openRows(ctx, src)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	idx, err := findColumns(src, r.Header(), cutoffRequired, cutoffOptional)
	if err != nil {
		return nil, err
	}
	wonCol, outcome := idx["won"], newOutcomeReader(src)
	var extra []int
	for i := range r.Header() {
		if i != idx["entity_id"] && i != idx["ts"] && i != wonCol {
			extra = append(extra, i)
		}
	}
	c := &Cutoffs{Source: src.Path}
	var won []bool
	var lines []int // each kept row's line, for errors found by column
	cells := make([][]string, len(extra))
	for n := 0; ; n++ {
		if n%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		err := r.Next()
		if err == io.EOF {
			break
		}
		var id string
		var ts time.Time
		var w bool
		if err == nil {
			id, ts, w, err = cutoffRow(r, src.Path, idx["entity_id"], idx["ts"], wonCol, outcome)
		}
		if err != nil {
			var re *RowError
			if !errors.As(err, &re) {
				return nil, err
			}
			if err := bad.handle(re, r.Record()); err != nil {
				return nil, err
			}
			continue
		}
		line, _ := r.Pos(idx["entity_id"])
		lines = append(lines, line)
		c.IDs = append(c.IDs, id)
		c.TS = append(c.TS, ts)
		won = append(won, w)
		for j, col := range extra {
			s, _ := r.Str(col)
			cells[j] = append(cells[j], s)
		}
	}
	if wonCol >= 0 {
		c.Extra = append(c.Extra, Column{Name: "won", Kind: KindBool, Bool: won})
	}
	for j, col := range extra {
		cc, big := inferColumn(r.Header()[col], cells[j])
		if big >= 0 {
			return nil, bigValueError(src.Path, lines[big], cc.Name, cells[j][big])
		}
		if cc.Kind == KindString && cc.Str == nil {
			cc.Str = make([]string, len(c.IDs))
		}
		c.Extra = append(c.Extra, cc)
	}
	return c, nil
}

func cutoffRow(r rows, path string, idCol, tsCol, wonCol int, outcome *outcomeReader) (string, time.Time, bool, error) {
	id, null := r.Str(idCol)
	if null || missingID(id) {
		return "", time.Time{}, false, emptyCellError(r, path, idCol)
	}
	ts, null, err := r.Time(tsCol)
	if err != nil {
		return "", time.Time{}, false, cellError(r, path, tsCol, err)
	}
	if null {
		return "", time.Time{}, false, emptyCellError(r, path, tsCol)
	}
	if err := CheckTime(ts); err != nil {
		return "", time.Time{}, false, cellError(r, path, tsCol, err)
	}
	if wonCol < 0 {
		return id, ts, false, nil
	}
	s, null := r.Str(wonCol)
	if null {
		return "", time.Time{}, false, cellError(r, path, wonCol, ErrEmptyField)
	}
	w, known, err := outcome.read(s)
	if err == nil && !known {
		err = fmt.Errorf("outcome %q is neither a won nor a lost value: a cutoff row needs its outcome", s)
	}
	if err != nil {
		return "", time.Time{}, false, cellError(r, path, wonCol, err)
	}
	return id, ts, w, nil
}

// sortedKeys returns a map's keys in ascending order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

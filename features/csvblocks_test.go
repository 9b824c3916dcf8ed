package features

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// readRows reads path with the sequential reader alone.
func readRows(t *testing.T, src Source, na []string, text map[string]bool) *Table {
	t.Helper()
	r, err := openRows(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tb, err := readCSVRows(context.Background(), r, src.Path, na, nil, text, writtenColumns(r.Header(), src.Written))
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// sameTable reports the first difference between two tables: floats
// compared bit for bit (any NaN equals any NaN), and the cells kept as
// written.
func sameTable(a, b *Table) error {
	if len(a.Columns) != len(b.Columns) {
		return fmt.Errorf("%d columns vs %d", len(a.Columns), len(b.Columns))
	}
	for j := range a.Columns {
		ca, cb := &a.Columns[j], &b.Columns[j]
		if ca.Name != cb.Name || ca.Kind != cb.Kind || ca.Len() != cb.Len() {
			return fmt.Errorf("column %d: %q %v ×%d vs %q %v ×%d", j, ca.Name, ca.Kind, ca.Len(), cb.Name, cb.Kind, cb.Len())
		}
		if (ca.Written == nil) != (cb.Written == nil) || !slices.Equal(ca.Written, cb.Written) {
			return fmt.Errorf("column %q: kept as written %v vs %v", ca.Name, ca.Written != nil, cb.Written != nil)
		}
		for i := range ca.Len() {
			var same bool
			switch ca.Kind {
			case KindFloat:
				x, y := ca.Float[i], cb.Float[i]
				same = math.Float64bits(x) == math.Float64bits(y) || (math.IsNaN(x) && math.IsNaN(y))
			case KindString:
				same = ca.Str[i] == cb.Str[i]
			case KindTime:
				same = ca.Time[i].Equal(cb.Time[i])
			case KindBool:
				same = ca.Bool[i] == cb.Bool[i]
			}
			if !same {
				return fmt.Errorf("column %q row %d: %v vs %v", ca.Name, i, ca.Text(i), cb.Text(i))
			}
		}
	}
	return nil
}

// TestReadCSVBlocksMatchesRows reads a table with quoted fields, line feeds
// inside them, n/a markers and padded numbers, with CRLF and with LF line
// ends (where blocks without quotes are cut without encoding/csv), in blocks
// of many sizes, and requires the sequential reader's table; also with a
// number, a time and a mixed column kept as text, and with every column
// keeping its cells as written.
func TestReadCSVBlocksMatchesRows(t *testing.T) {
	for _, eol := range []string{"\r\n", "\n"} {
		readCSVBlocksMatchesRows(t, eol)
	}
}

func readCSVBlocksMatchesRows(t *testing.T, eol string) {
	var b strings.Builder
	b.WriteString("\xEF\xBB\xBFid, amount ,note,mixed,empty,created,channel" + eol)
	for i := range 300 {
		note := fmt.Sprintf("plain %d", i)
		switch i % 7 {
		case 1:
			note = fmt.Sprintf("\"quoted, with comma %d\"", i)
		case 2:
			note = fmt.Sprintf("\"two\nlines %d, and \"\"quotes\"\"\"", i)
		case 3:
			note = "\"\"" // a quoted empty field
		}
		mixed := fmt.Sprint(i % 13)
		if i == 250 {
			mixed = "n/a-text" // text far from the start: numeric in earlier blocks
		}
		amount := fmt.Sprintf(" %d.%02d ", i*3, i%100)
		if i%11 == 0 {
			amount = "Select"
		}
		channel := []string{"web", "email", "Select", " fair "}[i%4]
		created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 37 * time.Hour).Format(time.RFC3339)
		fmt.Fprintf(&b, "L%04d,%s,%s,%s,,%s,%s%s", i, amount, note, mixed, created, channel, eol)
		if i%37 == 5 {
			b.WriteString(",,,,,," + eol + " , ,,,,," + eol) // blank records: no rows
		}
	}
	b.WriteString(",,,,,," + eol)
	path := filepath.Join(t.TempDir(), "t.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	na := []string{"Select"}
	defer func(n int) { csvBlockSize = n }(csvBlockSize)
	all := map[string]bool{"id": true, "amount": true, "note": true, "mixed": true, "empty": true, "created": true, "channel": true}
	textCols := map[string]bool{"amount": true, "created": true, "mixed": true}
	plain := readRows(t, Source{Path: path}, na, nil)
	asText := readRows(t, Source{Path: path}, na, all)
	for _, c := range []struct {
		text, written map[string]bool
	}{{nil, nil}, {textCols, nil}, {nil, all}, {textCols, all}} {
		text, src := c.text, Source{Path: path, Written: c.written}
		want := readRows(t, src, na, text)
		for j := range want.Columns {
			w := &want.Columns[j]
			if c.written == nil && w.Written != nil {
				t.Fatalf("column %q keeps its cells unasked", w.Name)
			}
			if c.written != nil && !slices.Equal(w.Written, asText.Columns[j].Str) {
				t.Fatalf("column %q: the cells kept differ from the cells read as text", w.Name)
			}
			if p := &plain.Columns[j]; c.text == nil && w.Kind != p.Kind {
				t.Fatalf("column %q reads as %v when kept as written, %v otherwise", w.Name, w.Kind, p.Kind)
			}
		}
		if want.NumRows() != 300 {
			t.Fatalf("%d rows, want 300 (blank records are no rows)", want.NumRows())
		}
		if got := want.Column("mixed").Kind; got != KindString {
			t.Fatalf("mixed column read as %v, want text", got)
		}
		wantKind := KindTime
		if text["created"] {
			wantKind = KindString
		}
		if got := want.Column("created").Kind; got != wantKind {
			t.Fatalf("text %v: created read as %v, want %v", text, got, wantKind)
		}
		for _, size := range []int{1, 5, 64, 999, 1 << 20} {
			csvBlockSize = size
			got, ok, err := readCSVBlocks(context.Background(), src, want.Names(), na, text, writtenColumns(want.Names(), src.Written))
			if err != nil || !ok {
				t.Fatalf("line end %q, text %v, written %v, block size %d: ok=%v err=%v", eol, text, c.written, size, ok, err)
			}
			if err := sameTable(got, want); err != nil {
				t.Errorf("line end %q, text %v, written %v, block size %d: %v", eol, text, c.written, size, err)
			}
		}
	}
}

func TestSplitCSVBlocksKeepsQuotedLineEnds(t *testing.T) {
	body := []byte("a,\"x\ny\",1\nb,\"\"\"\n\",2\nc,z,3\n")
	for size := 1; size <= len(body); size++ {
		blocks := splitCSVBlocks(body, size)
		var joined []byte
		for _, blk := range blocks {
			if blk[len(blk)-1] != '\n' {
				t.Fatalf("size %d: block %q does not end a line", size, blk)
			}
			if strings.Count(string(blk), "\"")%2 != 0 {
				t.Fatalf("size %d: block %q cuts a quoted field", size, blk)
			}
			joined = append(joined, blk...)
		}
		if string(joined) != string(body) {
			t.Fatalf("size %d: blocks do not rebuild the body", size)
		}
	}
}

// Every malformed CSV of the corpus goes to the sequential reader, which
// names the line and applies the bad-row policy.
func TestReadCSVBlocksDeclinesBadFiles(t *testing.T) {
	dir := filepath.Join("..", "cmd", "leadscore", "testdata", "corpus")
	for _, name := range []string{"ragged.csv", "bare_quote.csv", "invalid_utf8.csv", "nul_byte.csv"} {
		src := Source{Path: filepath.Join(dir, name)}
		r, err := openRows(context.Background(), src)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		header := r.Header()
		r.Close()
		defer func(n int) { csvBlockSize = n }(csvBlockSize)
		csvBlockSize = 16
		if _, ok, err := readCSVBlocks(context.Background(), src, header, nil, nil, nil); ok || err != nil {
			t.Errorf("%s: ok=%v err=%v, want declined", name, ok, err)
		}
		if _, err := ReadTable(context.Background(), src, nil, nil); err == nil {
			t.Errorf("%s: ReadTable accepted a malformed file", name)
		}
	}
}

// The real data sets read the same both ways.
func TestReadCSVBlocksRealData(t *testing.T) {
	files := []struct {
		path string
		sep  rune
		na   []string
	}{
		{"../../shared/data/x_education_leads/Leads.csv", ',', []string{"Select"}},
		{"../../shared/data/uci_bank_marketing/bank-full.csv", ';', nil},
		{"../../shared/data/maven_crm/sales_pipeline.csv", ',', nil},
	}
	for _, f := range files {
		if _, err := os.Stat(f.path); err != nil {
			t.Logf("skipping %s: %v", f.path, err)
			continue
		}
		src := Source{Path: f.path, CSV: CSVOptions{Sep: f.sep}}
		want := readRows(t, src, f.na, nil)
		defer func(n int) { csvBlockSize = n }(csvBlockSize)
		csvBlockSize = 1 << 16
		got, ok, err := readCSVBlocks(context.Background(), src, want.Names(), f.na, nil, nil)
		if err != nil || !ok {
			t.Fatalf("%s: ok=%v err=%v", f.path, ok, err)
		}
		if err := sameTable(got, want); err != nil {
			t.Errorf("%s: %v", f.path, err)
		}
	}
}

// TestTableRowError: an error about a row of a table read from a file
// names the row's line and the field's column there, past blank records,
// a record over two lines and a skipped bad row, also once rows were
// picked; a Parquet table names the row.
func TestTableRowError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.csv")
	os.WriteFile(path, []byte("id,note,won\na,\"two\nlines\",1\n,,\nb,x,1,extra\nc,y,maybe\n,,\n"), 0o644)
	bad := &BadRows{Max: 1}
	tb, err := ReadTable(context.Background(), Source{Path: path}, nil, bad)
	if err != nil {
		t.Fatal(err)
	}
	if tb.NumRows() != 2 {
		t.Fatalf("%d rows, want 2", tb.NumRows())
	}
	var re *RowError
	if err := tb.RowError(1, "won", ErrBadNumber); !errors.As(err, &re) || re.Path != path || re.Line != 6 || re.Column != 5 || re.Field != "won" {
		t.Errorf("row 2: %v, want %s:6:5", err, path)
	}
	picked := tb.Rows([]int{1})
	if err := picked.RowError(0, "won", ErrBadNumber); !errors.As(err, &re) || re.Line != 6 {
		t.Errorf("picked row: %v, want line 6", err)
	}
	sliced := tb.slice(1, 2)
	if err := sliced.RowError(0, "note", ErrBadNumber); !errors.As(err, &re) || re.Line != 6 || re.Column != 3 {
		t.Errorf("sliced row: %v, want line 6 column 3", err)
	}
	if err := (&Table{}).RowError(4, "won", ErrBadNumber); errors.As(err, &re) || !strings.Contains(err.Error(), "row 5") {
		t.Errorf("a table from no file: %v", err)
	}
	pq := filepath.Join(dir, "t.parquet")
	f, _ := os.Create(pq)
	if err := tb.WriteParquet(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	tp, err := ReadTable(context.Background(), Source{Path: pq}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tp.RowError(1, "won", ErrBadNumber); !errors.As(err, &re) || re.Path != pq || re.Line != 2 {
		t.Errorf("Parquet row 2: %v", err)
	}
}

// TestUnnamedColumns: columns a header leaves without a name get one, so
// that no setting's empty value can name them.
func TestUnnamedColumns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.csv")
	os.WriteFile(path, []byte(",column_1,Won\n1,a,1\n2,b,0\n"), 0o644)
	tb, err := ReadTable(context.Background(), Source{Path: path}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tb.Names(), ","); got != "column_1_,column_1,Won" {
		t.Errorf("names %s", got)
	}
}

// TestWrittenFollowsRows: a column's cells kept as written follow its rows
// when a table is cut or its rows picked, and a column read as a number
// or a date keeps them; AsWritten falls back on Text without them.
func TestWrittenFollowsRows(t *testing.T) {
	tb := readWritten(t, "id,phone,signed,amount\na,+15550000001,01.02.2024,\"1,000.50\"\nb,+15550000002,02.03.2024,12\nc,+15550000003,03.04.2024,7\n", "phone", "signed")
	if k := tb.Column("phone").Kind; k != KindFloat {
		t.Fatalf("phone reads as %v, want numbers", k)
	}
	if k := tb.Column("signed").Kind; k != KindTime {
		t.Fatalf("signed reads as %v, want dates", k)
	}
	row := func(u *Table, i int) string {
		return u.Column("phone").AsWritten(i) + " " + u.Column("signed").AsWritten(i) + " " + u.Column("amount").AsWritten(i)
	}
	if got, want := row(tb, 0), "+15550000001 01.02.2024 1000.5"; got != want {
		t.Errorf("row 0: %q, want %q", got, want)
	}
	picked := tb.Rows([]int{2, 0})
	cut := tb.slice(1, 3)
	for _, c := range []struct {
		got  string
		want string
	}{{row(picked, 0), "+15550000003 03.04.2024 7"}, {row(picked, 1), "+15550000001 01.02.2024 1000.5"}, {row(&cut, 0), "+15550000002 02.03.2024 12"}} {
		if c.got != c.want {
			t.Errorf("%q, want %q", c.got, c.want)
		}
	}
}

// TestWrittenByReadName: a column is kept as written by the name reading
// gives it, a doubled header's phone.1 or an unnamed column's column_4,
// without keeping the column whose name it shares in the file.
func TestWrittenByReadName(t *testing.T) {
	tb := readWritten(t, "id,phone,phone,\na,+15550000001,+16660000001,\"1,000.50\"\nb,+15550000002,+16660000002,7\n", "phone.1", "column_4")
	if got := tb.Names(); !slices.Equal(got, []string{"id", "phone", "phone.1", "column_4"}) {
		t.Fatalf("columns %v", got)
	}
	for _, c := range []struct{ name, want string }{{"phone", "1.5550000001e+10"}, {"phone.1", "+16660000001"}, {"column_4", "1,000.50"}} {
		if got := tb.Column(c.name).AsWritten(0); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// readWritten reads a CSV file of content with the columns named kept as
// written.
func readWritten(t *testing.T, content string, written ...string) *Table {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.csv")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	src := Source{Path: path, Written: map[string]bool{}}
	for _, name := range written {
		src.Written[name] = true
	}
	tb, err := ReadTable(context.Background(), src, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// TestPlainBlockMatchesCells checks parsePlainBlock against the cells' way
// (parseBlockCells) on random plain blocks: numbers with and without
// decimals and spaces around them, empty and NA cells, blank records and
// empty lines, codes with a leading zero, text, and a column numeric for
// many records before a word (which must send the block back: retry).
// Where the fast path answers, its block must be the same, floats bit for
// bit; a number beyond MaxMagnitude must fail the block as the cells' way
// does.
func TestPlainBlockMatchesCells(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	na := []string{"NA", "n/a"}
	cell := func(kind, row int) string {
		switch kind {
		case 0: // numbers, some missing
			switch r.IntN(12) {
			case 0:
				return ""
			case 1:
				return "NA"
			case 2:
				return " 12.5 "
			}
			return fmt.Sprint(r.IntN(200000) - 1000)
		case 1: // decimals
			return fmt.Sprintf("%.*f", r.IntN(4), r.NormFloat64()*1e4)
		case 2: // text
			return []string{"north", "south", "n/a", "", " east"}[r.IntN(5)]
		case 3: // codes after numbers
			if row > 50 && r.IntN(8) == 0 {
				return "0042"
			}
			return fmt.Sprint(r.IntN(90) + 10)
		case 4: // numbers, then a word late in the block
			if row == 300 {
				return "unknown"
			}
			return fmt.Sprint(r.IntN(9))
		case 5: // empty throughout
			return ""
		}
		return "x"
	}
	var fast, retried int
	for trial := range 200 {
		width := 1 + r.IntN(5)
		kinds := make([]int, width)
		for j := range kinds {
			kinds[j] = r.IntN(6)
		}
		keep, written := make([]bool, width), make([]bool, width)
		for j := range keep {
			keep[j], written[j] = r.IntN(6) == 0, r.IntN(5) == 0
		}
		var b strings.Builder
		rows := 1 + r.IntN(400)
		for i := range rows {
			switch r.IntN(40) {
			case 0:
				b.WriteString("\n") // an empty line
			case 1:
				b.WriteString(strings.Repeat(" ,", width-1) + " \n") // a blank record
			}
			for j, k := range kinds {
				if j > 0 {
					b.WriteByte(',')
				}
				b.WriteString(cell(k, i))
			}
			b.WriteByte('\n')
		}
		if trial%25 == 7 {
			b.WriteString(strings.Repeat("3e16,", width-1) + "3e16\n")
		}
		retry, err := samePlainBlock([]byte(b.String()), width, na, keep, written)
		if err != nil {
			t.Fatalf("trial %d (kinds %v, keep %v, written %v): %v", trial, kinds, keep, written, err)
		}
		if retry {
			retried++
		} else {
			fast++
		}
	}
	if fast < 100 || retried < 10 {
		t.Errorf("%d blocks read the fast way, %d sent back: the cases are not both covered", fast, retried)
	}
}

// samePlainBlock reports the first difference between parsePlainBlock and
// parseBlockCells on a block, floats compared bit for bit; retry is set
// when the fast path sent the block back.
func samePlainBlock(blk []byte, width int, na []string, keep, written []bool) (retry bool, _ error) {
	want, wantOK := parseBlockCells(blk, ',', width, na, keep, written)
	got, ok, retry := parsePlainBlock(blk, ',', width, na, keep, written)
	switch {
	case retry:
		return true, nil
	case ok != wantOK:
		return false, fmt.Errorf("ok %v, the cells' way %v", ok, wantOK)
	case !ok:
		return false, nil
	case got.rows != want.rows:
		return false, fmt.Errorf("%d rows, want %d", got.rows, want.rows)
	}
	for j := range want.cols {
		g, w := got.cols[j], want.cols[j]
		if g.values != w.values || (g.float == nil) != (w.float == nil) || !slices.Equal(g.text, w.text) ||
			!slices.EqualFunc(g.float, w.float, func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }) {
			return false, fmt.Errorf("column %d: got %+v, want %+v", j, g, w)
		}
	}
	return false, nil
}

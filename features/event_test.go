package features

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf16"
)

// writeFile writes content to a file in a test's temporary directory.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// readAllEvents reads every event of a source.
func readAllEvents(t *testing.T, src Source, bad *BadRows) ([]Event, error) {
	t.Helper()
	er, err := OpenEvents(context.Background(), src, bad)
	if err != nil {
		return nil, err
	}
	defer er.Close()
	var out []Event
	buf := make([]Event, 3) // small, to cross batch boundaries
	for {
		n, err := er.Read(buf)
		for _, e := range buf[:n] {
			e.Props = append([]Prop(nil), e.Props...)
			out = append(out, e)
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

func TestReadEventsCSVForms(t *testing.T) {
	tests := []struct {
		name string
		give string
		sep  rune
	}{
		{"plain", "entity_id,ts,type,value,channel,justified\na,2024-01-02,order,12.5,web,\nb,2024-01-03 10:00:00,complaint,,,false\n", 0},
		{"bom", "\uFEFFentity_id,ts,type,value,channel,justified\na,2024-01-02,order,12.5,web,\nb,2024-01-03 10:00:00,complaint,,,false\n", 0},
		{"crlf", "entity_id,ts,type,value,channel,justified\r\na,2024-01-02,order,12.5,web,\r\nb,2024-01-03 10:00:00,complaint,,,false\r\n", 0},
		{"quoted", "\"entity_id\",\"ts\",\"type\",\"value\",\"channel\",\"justified\"\n\"a\",\"2024-01-02\",\"order\",\"12.5\",\"web\",\"\"\n\"b\",\"2024-01-03 10:00:00\",complaint,,,\"false\"\n", 0},
		{"semicolon", "entity_id;ts;type;value;channel;justified\na;2024-01-02;order;12.5;web;\nb;2024-01-03 10:00:00;complaint;;;false\n", ';'},
		{"no final newline", "entity_id,ts,type,value,channel,justified\na,2024-01-02,order,12.5,web,\nb,2024-01-03 10:00:00,complaint,,,false", 0},
		{"offset", "entity_id,ts,type,value,channel,justified\na,2024-01-02T01:00:00+01:00,order,12.5,web,\nb,2024-01-03T10:00:00Z,complaint,,,false\n", 0},
	}
	want := []Event{
		{EntityID: "a", TS: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), Type: "order", Value: 12.5, HasValue: true, Channel: "web"},
		{EntityID: "b", TS: time.Date(2024, 1, 3, 10, 0, 0, 0, time.UTC), Type: "complaint", Props: []Prop{{"justified", "false"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "events.csv", tt.give)
			got, err := readAllEvents(t, Source{Path: p, CSV: CSVOptions{Sep: tt.sep}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			assertEvents(t, got, want)
		})
	}
}

func assertEvents(t *testing.T, got, want []Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.EntityID != w.EntityID || !g.TS.Equal(w.TS) || g.Type != w.Type || g.Value != w.Value ||
			g.HasValue != w.HasValue || g.Channel != w.Channel || len(g.Props) != len(w.Props) {
			t.Errorf("event %d = %+v, want %+v", i, g, w)
			continue
		}
		for j := range w.Props {
			if g.Props[j] != w.Props[j] {
				t.Errorf("event %d prop %d = %v, want %v", i, j, g.Props[j], w.Props[j])
			}
		}
	}
}

func TestReadEventsQuotedNewline(t *testing.T) {
	p := writeFile(t, "e.csv", "entity_id,ts,type,note\na,2024-01-02,form_submit,\"line one\nline two, with comma\"\nb,2024-01-03,rfq,\"say \"\"hi\"\"\"\n")
	got, err := readAllEvents(t, Source{Path: p}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d events, want 2", len(got))
	}
	if v, _ := got[0].Prop("note"); v != "line one\nline two, with comma" {
		t.Errorf("note = %q", v)
	}
	if v, _ := got[1].Prop("note"); v != `say "hi"` {
		t.Errorf("note = %q", v)
	}
}

func TestReadEventsColumnMapping(t *testing.T) {
	p := writeFile(t, "crm.csv", "Lead Number,created_at,activity,Amount\n7001,2024-05-01 08:00:00,order,99\n")
	src := Source{Path: p, Columns: map[string]string{"entity_id": "Lead Number", "ts": "created_at", "type": "activity", "value": "Amount"}}
	got, err := readAllEvents(t, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	assertEvents(t, got, []Event{{EntityID: "7001", TS: time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC), Type: "order", Value: 99, HasValue: true}})
}

func TestReadEventsSchemaErrors(t *testing.T) {
	tests := []struct {
		name string
		give string
		cols map[string]string
	}{
		{"empty file", "", nil},
		{"missing type", "entity_id,ts\na,2024-01-01\n", nil},
		{"duplicate column", "entity_id,ts,type,ts\na,2024-01-01,x,2024-01-01\n", nil},
		{"mapped column absent", "id,ts,type\na,2024-01-01,x\n", map[string]string{"entity_id": "Lead Number"}},
		{"optional mapped column absent", "entity_id,ts,type\na,2024-01-01,x\n", map[string]string{"value": "Amount"}},
		{"wrong separator", "entity_id;ts;type\na;2024-01-01;x\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "events.csv", tt.give)
			_, err := readAllEvents(t, Source{Path: p, Columns: tt.cols}, nil)
			var se *SchemaError
			if !errors.As(err, &se) {
				t.Fatalf("error = %v, want a *SchemaError", err)
			}
			if !strings.Contains(err.Error(), p) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

// TestReadEventsBadRows checks each bad-row case's position. In each input,
// ∑ marks the spot (line and byte column) the error must point at; it is
// removed before parsing.
func TestReadEventsBadRows(t *testing.T) {
	const head = "entity_id,ts,type,value\n"
	tests := []struct {
		name  string
		give  string
		field string
		want  error
	}{
		{"bad float", head + "a,2024-01-01,order,1\nb,2024-01-02,order,∑12.5x\n", "value", nil},
		{"number that reads two ways", head + "a,2024-01-01,order,∑\"1,234\"\n", "value", ErrBadNumber},
		{"infinite", head + "a,2024-01-01,order,∑Inf\n", "value", ErrNotFinite},
		{"nan", head + "a,2024-01-01,order,∑NaN\n", "value", ErrNotFinite},
		{"empty id", head + "∑,2024-01-01,order,1\n", "entity_id", ErrEmptyField},
		{"id too long", head + "a,2024-01-01,order,1\n∑" + strings.Repeat("x", MaxIDBytes+1) + ",2024-01-01,order,1\n", "entity_id", ErrIDTooLong},
		{"empty ts", head + "a,∑,order,1\n", "ts", ErrEmptyField},
		{"impossible date", head + "a,∑2024-02-30,order,1\n", "ts", ErrBadTime},
		{"garbage date", head + "a,2024-01-01,order,1\na,∑31/12/2024,order,1\n", "ts", ErrBadTime},
		{"empty type", head + "a,2024-01-01,∑,1\n", "type", ErrEmptyField},
		{"nul byte", head + "a,2024-01-01,∑ord\x00er,1\n", "type", ErrNULByte},
		{"invalid utf8", head + "a,2024-01-01,∑ord\xffer,1\n", "type", ErrInvalidUTF8},
		{"too many fields", head + "a,2024-01-01,order,1\n∑b,2024-01-01,order,1,extra\n", "", nil},
		{"too few fields", head + "∑b,2024-01-01,order\n", "", nil},
		{"bare quote", head + "a,2024-01-01,or∑\"der,1\n", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, col := markPos(tt.give)
			p := writeFile(t, "events.csv", strings.Replace(tt.give, "∑", "", 1))
			_, err := readAllEvents(t, Source{Path: p}, nil)
			var re *RowError
			if !errors.As(err, &re) {
				t.Fatalf("error = %v, want a *RowError", err)
			}
			if re.Line != line || re.Column != col || re.Field != tt.field {
				t.Errorf("error at %d:%d field %q, want %d:%d field %q (%v)", re.Line, re.Column, re.Field, line, col, tt.field, err)
			}
			if re.Path != p {
				t.Errorf("error path %q, want %q", re.Path, p)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
		})
	}
}

// markPos returns the 1-based line and byte column of the ∑ marker.
func markPos(s string) (int, int) {
	i := strings.Index(s, "∑")
	before := s[:i]
	line := strings.Count(before, "\n") + 1
	col := i - strings.LastIndex(before, "\n")
	return line, col
}

func TestRowErrorFormat(t *testing.T) {
	err := &RowError{Path: "events.csv", Line: 1042, Column: 17, Field: "amount", Err: errors.New(`parsing "12,5": invalid syntax`)}
	want := `events.csv:1042:17: field "amount": parsing "12,5": invalid syntax`
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}

func TestBadRowsQuarantine(t *testing.T) {
	const in = "entity_id,ts,type,value\na,2024-01-01,order,1\n,2024-01-02,order,2\nb,2024-02-30,order,3\nc,2024-01-03,order,x\nd,2024-01-04,order,4\n"
	p := writeFile(t, "events.csv", in)
	var qbuf strings.Builder
	q := NewQuarantine(&qbuf)
	bad := &BadRows{Max: 3, Quarantine: q}
	got, err := readAllEvents(t, Source{Path: p}, bad)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].EntityID != "a" || got[1].EntityID != "d" {
		t.Errorf("kept %+v, want rows a and d", got)
	}
	if bad.Count() != 3 || q.Rows() != 3 {
		t.Errorf("Count() = %d, quarantined %d, want 3", bad.Count(), q.Rows())
	}
	lines := strings.Split(strings.TrimSpace(qbuf.String()), "\n")
	if len(lines) != 4 || lines[0] != "file,line,column,field,reason,record" {
		t.Fatalf("quarantine =\n%s", qbuf.String())
	}
	for i, wantLine := range []string{"3", "4", "5"} {
		if f := strings.Split(lines[i+1], ","); f[1] != wantLine {
			t.Errorf("quarantine row %d line = %s, want %s: %s", i+1, f[1], wantLine, lines[i+1])
		}
	}

	// One more bad row than allowed fails.
	bad = &BadRows{Max: 2}
	if _, err := readAllEvents(t, Source{Path: p}, bad); !errors.Is(err, ErrTooManyBadRows) {
		t.Errorf("error = %v, want ErrTooManyBadRows", err)
	}
}

func TestReadEventsCROnlyAndCP1252(t *testing.T) {
	// Bare CR line ends and a Windows-1252 pound sign (0xA3), as Excel's
	// classic Mac CSV export writes them.
	p := writeFile(t, "retail.csv", "entity_id,ts,type,note\r12345,12/1/10 8:26,order,gift \xa310\r12346,12/1/10 9:01,order,plain")
	_, err := readAllEvents(t, Source{Path: p}, nil)
	if !errors.Is(err, ErrInvalidUTF8) {
		t.Fatalf("without an encoding: error = %v, want ErrInvalidUTF8", err)
	}
	var re *RowError
	if errors.As(err, &re); re.Line != 2 || re.Field != "note" {
		t.Errorf("error at line %d field %q, want line 2 field note", re.Line, re.Field)
	}
	src := Source{Path: p, CSV: CSVOptions{Encoding: "cp1252"}, TimeLayout: "1/2/06 15:04"}
	got, err := readAllEvents(t, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].EntityID != "12346" || !got[0].TS.Equal(time.Date(2010, 12, 1, 8, 26, 0, 0, time.UTC)) {
		t.Fatalf("events %+v", got)
	}
	if v, _ := got[0].Prop("note"); v != "gift £10" {
		t.Errorf("note = %q, want %q", v, "gift £10")
	}
}

// TestReadEventsTimeFormat: a time format that names the date alone also
// reads the cells that carry a time of day, 24-hour or 12-hour; a cell in
// neither form is an error naming the layout.
func TestReadEventsTimeFormat(t *testing.T) {
	p := writeFile(t, "export.csv", "entity_id,ts,type\na,05.03.2024,call\nb,5.3.2024 14:07,call\nc,05.03.2024 2:07:30 PM,call\n")
	layout, err := TimeLayout("dd.mm.yyyy")
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAllEvents(t, Source{Path: p, TimeLayout: layout}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Time{time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 5, 14, 7, 0, 0, time.UTC), time.Date(2024, 3, 5, 14, 7, 30, 0, time.UTC)}
	for i, ev := range got {
		if !ev.TS.Equal(want[i]) {
			t.Errorf("row %d: %v, want %v", i+1, ev.TS, want[i])
		}
	}
	p = writeFile(t, "bad.csv", "entity_id,ts,type\na,05.03.2024,call\nb,2024/03/05,call\n")
	var re *RowError
	if _, err := readAllEvents(t, Source{Path: p, TimeLayout: layout}, nil); !errors.As(err, &re) || re.Line != 3 || !strings.Contains(err.Error(), layout) {
		t.Errorf("error = %v, want one at line 3 naming %q", err, layout)
	}
}

// TestReadAlignedColumns: a file whose columns are aligned with spaces
// (leading ones, runs, trailing ones before CRLF, as CDNOW's log) reads
// with the space separator; a bad cell is reported at its column in the
// file as written.
func TestReadAlignedColumns(t *testing.T) {
	p := writeFile(t, "log.txt", " entity_id   ts          type   value\r\n   00001   2024-01-02  order  11.77  \r\n 00002  2024-01-03 order 3\t\r\n")
	got, err := readAllEvents(t, Source{Path: p, CSV: CSVOptions{Sep: ' '}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].EntityID != "00001" || got[0].Value != 11.77 || got[1].Type != "order" || got[1].Value != 3 {
		t.Fatalf("events %+v", got)
	}
	p = writeFile(t, "bad.txt", " entity_id   ts          type   value\n   00001   2024-01-02  order  11,7,7\n")
	var re *RowError
	if _, err := readAllEvents(t, Source{Path: p, CSV: CSVOptions{Sep: ' '}}, nil); !errors.As(err, &re) || re.Line != 2 || re.Column != 31 {
		t.Errorf("error = %v, want line 2 column 31 (where 11,7,7 starts)", err)
	}
	if sep, err := ParseSep("space"); err != nil || sep != ' ' {
		t.Errorf("ParseSep(space) = %q, %v", sep, err)
	}
}

// TestLineEndTrimmer: blanks that end a line or the text go, whatever the
// reads' sizes; others stay.
func TestLineEndTrimmer(t *testing.T) {
	in := " a  b \t\r\n\tc d  \n\n  e \t "
	want := " a  b\r\n\tc d\n\n  e"
	for _, size := range []int{1, 2, 3, 7, 64} {
		got, err := io.ReadAll(&lineEndTrimmer{r: iotest.OneByteReader(strings.NewReader(in)), chunk: make([]byte, size)})
		if err != nil || string(got) != want {
			t.Errorf("chunks of %d: %q, %v; want %q", size, got, err, want)
		}
	}
}

// TestReadUTF16: a file in UTF-16 with a byte-order mark (Excel's
// "Unicode Text", tab-separated), little or big endian, reads as events
// and as a flat table, whatever --encoding says.
func TestReadUTF16(t *testing.T) {
	text := "entity_id\tts\ttype\tnote\r\nM\u00fcller\t2024-01-02\torder\t\u20ac5\r\nb\t2024-01-03\tcall\tx\r\n"
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		units := utf16.Encode([]rune("\ufeff" + text))
		b := make([]byte, 2*len(units))
		for i, u := range units {
			order.PutUint16(b[2*i:], u)
		}
		p := writeFile(t, "unicode.txt", string(b))
		for _, enc := range []string{"", "cp1252"} {
			got, err := readAllEvents(t, Source{Path: p, CSV: CSVOptions{Sep: '\t', Encoding: enc}}, nil)
			if err != nil || len(got) != 2 || got[0].EntityID != "M\u00fcller" {
				t.Fatalf("%v, encoding %q: %+v, %v", order, enc, got, err)
			}
			if v, _ := got[0].Prop("note"); v != "\u20ac5" {
				t.Errorf("%v: note %q", order, v)
			}
		}
		tb, err := ReadTable(context.Background(), Source{Path: p, CSV: CSVOptions{Sep: '\t'}}, nil, nil)
		if err != nil || tb.NumRows() != 2 || tb.Column("entity_id").Str[0] != "M\u00fcller" {
			t.Errorf("%v: table %v, %v", order, tb, err)
		}
	}
}

// TestReadOrdersQuantity: an order line's value is its unit price times
// its quantity, whether the quantity column is mapped or found by a name
// that differs in case only; mapped to no column, the price alone.
func TestReadOrdersQuantity(t *testing.T) {
	p := writeFile(t, "lines.csv", "Customer ID,InvoiceDate,Price,Quantity\nc1,2024-01-02,2.5,4\nc1,2024-01-03,2.5,-2\n")
	for _, c := range []struct {
		quantity      string // its mapping; "none" for no mapping
		first, second float64
	}{{"Quantity", 10, -5}, {"none", 10, -5}, {"", 2.5, 2.5}} {
		src := Source{Path: p, Columns: map[string]string{"entity_id": "Customer ID", "ts": "InvoiceDate", "amount": "Price"}}
		if c.quantity != "none" {
			src.Columns["quantity"] = c.quantity
		}
		er, err := OpenOrders(context.Background(), src, nil)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]Event, 4)
		n, _ := er.Read(buf)
		er.Close()
		if n != 2 || buf[0].Value != c.first || buf[1].Value != c.second || buf[0].Type != "order" {
			t.Errorf("quantity mapped to %q: orders %+v", c.quantity, buf[:n])
		}
		if _, ok := buf[0].Prop("Quantity"); ok != (c.quantity == "") {
			t.Errorf("quantity mapped to %q: Quantity a property: %v", c.quantity, ok)
		}
	}
}

// TestContractColumnsByLooseName: a contract column is found by a name
// that differs in case, spaces, hyphens and underscores when the file has
// none of its own name; an exact name or a mapping comes first, two
// candidates are an error naming both, and a required column mapped to no
// column is missing.
func TestContractColumnsByLooseName(t *testing.T) {
	p := writeFile(t, "ev.csv", "Entity ID,TS,TYPE,value,VALUE,Channel\na,2024-01-02,click,3,4,web\n")
	got, err := readAllEvents(t, Source{Path: p}, nil)
	if err != nil || len(got) != 1 || got[0].EntityID != "a" || got[0].Type != "click" || got[0].Value != 3 || got[0].Channel != "web" {
		t.Fatalf("events %+v, %v", got, err)
	}
	if v, ok := got[0].Prop("VALUE"); !ok || v != "4" {
		t.Errorf("VALUE as property: %q, %v", v, ok)
	}
	p = writeFile(t, "ev.csv", "entity_id,ts,type,Value,VALUE\na,2024-01-02,click,3,4\n")
	_, err = readAllEvents(t, Source{Path: p}, nil)
	var se *SchemaError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), `columns "Value" and "VALUE" could both be value: say which with --col value=COLUMN`) {
		t.Errorf("two candidates: %v", err)
	}
	if got, err = readAllEvents(t, Source{Path: p, Columns: map[string]string{"value": "VALUE"}}, nil); err != nil || got[0].Value != 4 {
		t.Errorf("mapped: %+v, %v", got, err)
	}
	_, err = readAllEvents(t, Source{Path: p, Columns: map[string]string{"type": "", "value": "Value"}}, nil)
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "missing required column type (mapped to no column)") {
		t.Errorf("required mapped to none: %v", err)
	}
}

// TestTypeCache: names that share a cache slot (same length, first and
// last byte) keep their own ids, a name read again from another string
// (as CSV blocks give it) is found, and an empty name is a type too.
func TestTypeCache(t *testing.T) {
	e := &engine{typeID: map[string]uint16{}}
	var c typeCache
	names := []string{"a1x", "a2x", "a3x", "web_visit", "email_open", "", "a1x"}
	want := map[string]uint16{}
	for round := range 3 {
		for _, n := range names {
			id, ok := c.lookup(e, strings.Clone(n)) // a fresh string each time
			if !ok {
				t.Fatalf("round %d: %q not given an id", round, n)
			}
			if w, seen := want[n]; seen && w != id {
				t.Fatalf("round %d: %q has id %d, earlier %d", round, n, id, w)
			}
			want[n] = id
			if e.typeNames[id] != n {
				t.Fatalf("id %d names %q, looked up as %q", id, e.typeNames[id], n)
			}
		}
	}
	if len(e.typeNames) != 6 {
		t.Errorf("%d types, want 6", len(e.typeNames))
	}
}

// TestExcelSepLine: the "sep=;" line Excel writes before a CSV file's
// header names the separator: events and flat tables read as without it,
// errors name the file's own lines, a separator given otherwise is an
// error, and a header that merely starts so is a header.
func TestExcelSepLine(t *testing.T) {
	p := writeFile(t, "ev.csv", "sep=;\r\nentity_id;ts;type;value\r\na;2024-01-02;order;3\r\nb;2024-01-03;order;x\r\n")
	got, err := readAllEvents(t, Source{Path: p}, &BadRows{Max: 1})
	if err != nil || len(got) != 1 || got[0].EntityID != "a" || got[0].Value != 3 {
		t.Fatalf("events %+v, %v", got, err)
	}
	_, err = readAllEvents(t, Source{Path: p}, nil)
	var re *RowError
	if !errors.As(err, &re) || re.Line != 4 || re.Field != "value" {
		t.Errorf("bad row: %v, want line 4", err)
	}
	if _, err := readAllEvents(t, Source{Path: p, CSV: CSVOptions{Sep: '\t'}}, nil); err == nil || !strings.Contains(err.Error(), "the file's first line says sep=;") {
		t.Errorf("tab given: %v", err)
	}
	flat := writeFile(t, "leads.csv", "SEP=,\nid,region,won\n1,north,yes\n2,south,no\n")
	tb, err := ReadTable(context.Background(), Source{Path: flat}, nil, nil)
	if err != nil || tb.NumRows() != 2 || strings.Join(tb.Names(), ",") != "id,region,won" || tb.Column("region").Str[1] != "south" {
		t.Errorf("flat table: %v, %v", tb, err)
	}
	head := writeFile(t, "odd.csv", "sep=x,entity_id,ts,type\n1,a,2024-01-02,order\n")
	if got, err := readAllEvents(t, Source{Path: head}, nil); err != nil || len(got) != 1 || got[0].EntityID != "a" {
		t.Errorf("a header starting sep=: %+v, %v", got, err)
	}
}

// TestBlankHeaderCells: header cells a spreadsheet leaves empty past its
// data (",," ending the header) are no duplicate names: an events file
// reads, an entities file drops such a column without a value and names
// one with values column_N, and a flat table names them column_N.
func TestBlankHeaderCells(t *testing.T) {
	ev := writeFile(t, "ev.csv", "entity_id,ts,type,,\na,2024-01-02,page_view,,\n")
	if got, err := readAllEvents(t, Source{Path: ev}, nil); err != nil || len(got) != 1 || got[0].Type != "page_view" {
		t.Errorf("events: %+v, %v", got, err)
	}
	ent := writeFile(t, "ent.csv", "entity_id,industry,,,\na,software,,7,\nb,retail,,,\n")
	p, err := ReadProfiles(context.Background(), Source{Path: ent}, nil)
	if err != nil || len(p.Columns) != 2 || p.Columns[0].Name != "industry" || p.Columns[1].Name != "column_4" || p.Columns[1].Float[0] != 7 {
		t.Errorf("entities: %+v, %v", p, err)
	}
	flat := writeFile(t, "leads.csv", "id,region,,\n1,north,,\n2,south,,\n")
	tb, err := ReadTable(context.Background(), Source{Path: flat}, nil, nil)
	if err != nil || strings.Join(tb.Names(), ",") != "id,region,column_3,column_4" {
		t.Errorf("flat table: %v, %v", tb, err)
	}
}

// TestDuplicateHeaderNames: an export of two records' fields has two
// columns of one name (Email). A flat table and an entities file read the
// later ones as pandas does, Email.1 and Email.2 (Email.1_ where the file
// has an Email.1), and say so; an entities file whose id's name is
// doubled, and an events file, stop: which column is meant is unknown.
func TestDuplicateHeaderNames(t *testing.T) {
	ctx := context.Background()
	flat := writeFile(t, "leads.csv", "id,Email,Amount,Email,Email.1,Email\n1,a@x,\"1,200.50\",b@x,c,d@x\n2,e@x,7,,,\n")
	text := func(name string, s ...string) Column { return Column{Name: name, Kind: KindString, Str: s} }
	same := &Table{Columns: []Column{{Name: "id", Kind: KindFloat, Float: []float64{1, 2}}, text("Email", "a@x", "e@x"),
		{Name: "Amount", Kind: KindFloat, Float: []float64{1200.5, 7}}, text("Email", "b@x", ""), text("Email.1", "c", ""), text("Email", "d@x", "")}}
	var buf bytes.Buffer
	if err := same.WriteParquet(&buf); err != nil {
		t.Fatal(err)
	}
	pq := filepath.Join(t.TempDir(), "leads.parquet")
	if err := os.WriteFile(pq, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{flat, pq} {
		tb, err := ReadTable(ctx, Source{Path: path}, nil, nil)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if got := strings.Join(tb.Names(), ","); got != "id,Email,Amount,Email.1_,Email.1,Email.2" {
			t.Errorf("%s: columns %s", path, got)
		}
		if c := tb.Column("Email.2"); c == nil || c.Str[0] != "d@x" {
			t.Errorf("%s: Email.2 %+v", path, c)
		}
		var notes []string
		for _, r := range tb.ColumnReads() {
			if r.Note != "" {
				notes = append(notes, r.Column+": "+r.Note)
			}
		}
		want := []string{`Email.1_: column 4 of the header is a second "Email": read as "Email.1_"`,
			`Email.2: column 6 of the header is a second "Email": read as "Email.2"`}
		if !slices.Equal(notes, want) {
			t.Errorf("%s: notes %q, want %q", path, notes, want)
		}
	}
	ent := writeFile(t, "ent.csv", "entity_id,Email,industry,Email\na,x@y,retail,z@y\n")
	p, err := ReadProfiles(ctx, Source{Path: ent}, nil)
	if err != nil || len(p.Columns) != 3 || p.Columns[2].Name != "Email.1" || p.Columns[2].Str[0] != "z@y" ||
		len(p.Notes) != 1 || !strings.Contains(p.Notes[0], `second "Email": read as "Email.1"`) {
		t.Errorf("entities: %+v, %v", p, err)
	}
	for _, header := range []string{"entity_id,Email,entity_id", "Entity ID,Email,Entity ID"} {
		ent = writeFile(t, "ent.csv", header+"\na,x@y,b\n")
		if _, err := ReadProfiles(ctx, Source{Path: ent}, nil); err == nil || !strings.Contains(err.Error(), "appears twice in the header: which one is the id?") {
			t.Errorf("%s: %v, want the id's name doubled", header, err)
		}
	}
	ev := writeFile(t, "ev.csv", "entity_id,ts,type,page,page\na,2024-01-02,page_view,x,y\n")
	if _, err := readAllEvents(t, Source{Path: ev}, nil); err == nil || !strings.Contains(err.Error(), `column "page" appears twice`) {
		t.Errorf("events: %v, want the doubled column named", err)
	}
}

// TestMissingMarkers: a value cell that is one of pandas' and R's
// markers of a missing value (R's write.csv writes NA) is an event
// without a value, read row by row, in blocks and from Parquet text; an
// order's amount or quantity, or an event's time, so written is a bad row
// that names the marker. NaN stays a number that is not finite (an
// error). A deal R wrote with NA for its outcome and close date is open.
func TestMissingMarkers(t *testing.T) {
	ctx := context.Background()
	csvText := "\"\",\"entity_id\",\"ts\",\"type\",\"value\"\n\"1\",\"a\",\"2024-01-02 10:00:00\",\"order\",NA\n\"2\",\"a\",\"2024-01-03\",\"order\",12.5\n" +
		"\"3\",\"b\",\"2024-01-03\",\"order\",null\n\"4\",\"b\",\"2024-01-04\",\"order\",#N/A\n"
	path := writeFile(t, "r.csv", csvText)
	got, err := readAllEvents(t, Source{Path: path}, nil)
	if err != nil || len(got) != 4 || got[0].HasValue || !got[1].HasValue || got[2].HasValue || got[3].HasValue {
		t.Fatalf("events %+v, %v", got, err)
	}
	// Build reads a plain file on disk in blocks.
	tb, err := Build(ctx, Config{Events: Source{Path: path}, AsOf: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if c := tb.Column("order_value_sum_30d"); c == nil || c.Float[0] != 12.5 || c.Float[1] != 0 {
		t.Errorf("order_value_sum_30d %+v", c)
	}
	text := func(s ...string) Column { return Column{Name: "", Kind: KindString, Str: s} }
	id, typ, val := text("a", "b"), text("order", "order"), text("NA", "3")
	id.Name, typ.Name, val.Name = "entity_id", "type", "value"
	pt := &Table{Columns: []Column{id, {Name: "ts", Kind: KindTime, Time: []time.Time{time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), time.Date(2024, 1, 3, 0, 0, 0, 0, time.UTC)}}, typ, val}}
	var buf bytes.Buffer
	if err := pt.WriteParquet(&buf); err != nil {
		t.Fatal(err)
	}
	pq := filepath.Join(t.TempDir(), "ev.parquet")
	os.WriteFile(pq, buf.Bytes(), 0o644)
	if got, err := readAllEvents(t, Source{Path: pq}, nil); err != nil || len(got) != 2 || got[0].HasValue || got[1].Value != 3 {
		t.Errorf("Parquet text values: %+v, %v", got, err)
	}
	for give, want := range map[string]string{
		"entity_id,ts,amount\na,2024-01-02,NA\n":              `o.csv:2:14: field "amount": "NA" means no value`,
		"entity_id,ts,amount,quantity\na,2024-01-02,3,null\n": `o.csv:2:16: field "quantity": "null" means no value`,
		"entity_id,ts,amount\na,2024-01-02,\n":                `o.csv:2:14: field "amount": empty value`,
		"entity_id,ts,type,value\na,2024-01-02,order,NaN\n":   "not finite",
		"entity_id,ts,type,value\na,NA,order,1\n":             `o.csv:2:3: field "ts": "NA" means no value`,
	} {
		o := writeFile(t, "o.csv", give)
		open := OpenOrders
		if strings.Contains(give, "type") {
			open = OpenEvents
		}
		er, err := open(ctx, Source{Path: o}, nil)
		if err == nil {
			_, err = er.Read(make([]Event, 2))
			er.Close()
		}
		if err == nil || !strings.Contains(err.Error(), want) || want != "not finite" && !errors.Is(err, ErrEmptyField) {
			t.Errorf("%q: %v, want %q", give, err, want)
		}
	}
	// An id R wrote as NA (a customer without one) is a bad row, as an
	// empty id is, in rows and in Parquet's columns: no entity named NA.
	for _, tok := range MissingTokens {
		if !missingID(tok) {
			t.Errorf("missingID(%q) = false", tok)
		}
	}
	for _, id := range []string{"N0001", "Nadia", "na-123", "E1", "#12"} {
		if missingID(id) {
			t.Errorf("missingID(%q) = true", id)
		}
	}
	naID := writeFile(t, "naid.csv", "\"entity_id\",\"ts\",\"type\"\nNA,\"2024-01-02\",\"x\"\n\"a\",\"2024-01-03\",\"x\"\n")
	if _, err := readAllEvents(t, Source{Path: naID}, nil); err == nil || !strings.Contains(err.Error(), `naid.csv:2:1: field "entity_id": "NA" means no value`) {
		t.Errorf("an NA id: %v", err)
	}
	bad := &BadRows{Max: 1}
	if got, err := readAllEvents(t, Source{Path: naID}, bad); err != nil || len(got) != 1 || got[0].EntityID != "a" || bad.Count() != 1 {
		t.Errorf("an NA id skipped: %+v, %v", got, err)
	}
	// Numbers in the value column, as the column reader (cleanColumns)
	// takes events.
	ids, types := text("NA", "a", "null"), text("order", "order", "order")
	ids.Name, types.Name = "entity_id", "type"
	day := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	pt = &Table{Columns: []Column{ids, {Name: "ts", Kind: KindTime, Time: []time.Time{day, day, day}}, types,
		{Name: "value", Kind: KindFloat, Float: []float64{1, 2, 3}}}}
	buf.Reset()
	if err := pt.WriteParquet(&buf); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(pq, buf.Bytes(), 0o644)
	bad = &BadRows{Max: 2}
	if got, err := readAllEvents(t, Source{Path: pq}, bad); err != nil || len(got) != 1 || got[0].EntityID != "a" || bad.Count() != 2 {
		t.Errorf("Parquet NA ids skipped: %+v, %v (%d bad)", got, err, bad.Count())
	}
	deals := writeFile(t, "deals.csv", "\"deal_id\",\"entity_id\",\"ts\",\"won\",\"closed_at\",\"amount\"\n"+
		"\"d1\",\"a\",\"2024-01-02\",TRUE,\"2024-02-01\",100\n\"d2\",\"b\",\"2024-01-05\",NA,NA,NA\n")
	o, err := ReadOutcomes(ctx, Source{Path: deals}, nil)
	if err != nil || len(o.Won) != 2 || !o.Won[0] || o.Won[1] || o.Closed[1] != noTime {
		t.Errorf("deals: %+v, %v", o, err)
	}
}

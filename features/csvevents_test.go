package features

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// eventsFile writes an events CSV with quoted cells holding separators,
// quotes and line breaks, records longer than a block, and, with bad,
// rows of every kind a row can be bad in. Row grouped (when not -1) has the
// value "1.234,50", row dotted 2.500: numbers written two ways.
func eventsFile(t *testing.T, name string, bad, crlf, bom bool, stray int, strayRow string, grouped, dotted int) string {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 8))
	var sb strings.Builder
	if bom {
		sb.Write(utf8BOM)
	}
	nl := "\n"
	if crlf {
		nl = "\r\n"
	}
	sb.WriteString("entity_id,ts,type,value,note" + nl)
	for i := range 400 {
		ts := asOf.Add(-time.Duration(r.IntN(300*24)) * time.Hour).Format(time.RFC3339)
		note := []string{"", "plain", `"a, b"`, `"line one` + "\n" + `line two"`, `"say ""hi"""`, `"` + strings.Repeat("long ", 40) + `"`}[r.IntN(6)]
		row := fmt.Sprintf("E%02d,%s,%s,%d,%s", r.IntN(30), ts, []string{"order", "page_view", "rfq"}[r.IntN(3)], r.IntN(900), note)
		if bad && i%37 == 5 {
			row = []string{
				"E01," + ts + ",order",            // too few fields
				"E02,not a time,order,1,",         // bad timestamp
				"," + ts + ",order,1,",            // no entity
				"E03," + ts + ",order,1,\xff\xfe", // invalid UTF-8
				"E04," + ts + ",order,1,a\x00b",   // NUL byte
				"E05," + ts + ",order,1.2.3,",     // bad number
				"E06," + ts + ",order,1,x,y,z",    // too many fields
			}[i/37%7]
		}
		if i == stray {
			row = "E07," + ts + ",order,1," + strayRow
		}
		switch i {
		case grouped:
			row = "E08," + ts + `,order,"1.234,50",`
		case dotted:
			row = "E09," + ts + ",order,2.500,"
		}
		sb.WriteString(row + nl)
	}
	return writeFile(t, name, sb.String())
}

// streamed is what reading an events file gives: every event, the
// quarantine, the rows counted and the error.
type streamed struct {
	events     []string
	quarantine string
	rows       int
	err        string
}

// streamEvents reads an events file: how is "rows" (the sequential
// reader), "blocks" (Stream), or "columns" (streamColumns, with a reader
// that leaves out every column beyond the contract's, as ingest opens
// one) or "bare rows" (the sequential reader leaving them out too).
func streamEvents(t *testing.T, path string, maxBad int, how string) streamed {
	t.Helper()
	var q bytes.Buffer
	bad := &BadRows{Max: maxBad, Quarantine: NewQuarantine(&q)}
	var need map[string]bool
	if how == "columns" || how == "bare rows" {
		need = map[string]bool{}
	}
	er, err := openEvents(context.Background(), Source{Path: path}, bad, need, false)
	if err != nil {
		t.Fatal(err)
	}
	defer er.Close()
	if cr, ok := er.r.(*csvRows); !ok || !cr.plain {
		t.Fatalf("%s is not read in blocks", path)
	}
	var out streamed
	add := func(e *Event) {
		out.events = append(out.events, fmt.Sprintf("%s|%s|%s|%v|%v|%v", e.EntityID, e.TS.Format(time.RFC3339Nano), e.Type, e.Value, e.HasValue, e.Props))
	}
	each := func(batch []Event) error {
		for i := range batch {
			add(&batch[i])
		}
		return nil
	}
	switch how {
	case "rows", "bare rows":
		err = streamRows(context.Background(), er, each)
	case "blocks":
		err = Stream(context.Background(), er, each)
	case "columns":
		if !er.columnar() {
			t.Fatalf("%s is not read a column at a time", path)
		}
		err = streamColumns(context.Background(), er, func(b *eventColumns) error {
			for i := range b.len() {
				add(&Event{EntityID: b.id[i], TS: time.Unix(0, b.ts[i]).UTC(), Type: b.typ[i], Value: b.value[i], HasValue: b.valued[i]})
			}
			return nil
		})
	default:
		t.Fatalf("no reading %q", how)
	}
	if err != nil {
		out.err = err.Error()
	}
	bad.Quarantine.Close()
	out.quarantine, out.rows = q.String(), er.Rows()
	return out
}

// TestStreamCSVBlocks: events files read in blocks (down to a few bytes,
// so that records and quoted line breaks straddle every cut) give the
// sequential reader's events, bad rows, row count and errors, line numbers
// included; a record that breaks the CSV syntax sends the rest of the
// file to the sequential reader.
func TestStreamCSVBlocks(t *testing.T) {
	defer func(n int) { csvBlockSize = n }(csvBlockSize)
	cases := []struct {
		name            string
		bad, crlf, bom  bool
		stray           int
		strayRow        string
		grouped, dotted int
	}{
		{"clean", false, false, false, -1, "", -1, -1},
		{"bad rows", true, false, false, -1, "", -1, -1},
		{"crlf and bom", true, true, true, -1, "", -1, -1},
		{"stray quotes", true, false, false, 200, `a "stray" quote`, -1, -1},
		{"odd stray quote", true, false, false, 200, `a "stray quote`, -1, -1},
		{"odd stray quote first", false, false, false, 0, `a "stray quote`, -1, -1},
		{"unclosed quote", true, false, false, 300, `"never closed`, -1, -1},
		{"grouped then dotted numbers", true, false, false, -1, "", 120, 260},
		{"dotted then grouped numbers", true, false, false, -1, "", 262, 118},
		{"mixed numbers after a stray quote", true, false, false, 200, `a "stray quote`, 100, 300},
	}
	for _, c := range cases {
		path := eventsFile(t, strings.ReplaceAll(c.name, " ", "_")+".csv", c.bad, c.crlf, c.bom, c.stray, c.strayRow, c.grouped, c.dotted)
		for _, maxBad := range []int{0, 5, 1000} {
			rows, bare := streamEvents(t, path, maxBad, "rows"), streamEvents(t, path, maxBad, "bare rows")
			if c.name == "clean" && (rows.err != "" || len(rows.events) != 400) {
				t.Fatalf("clean file: %d events, error %q", len(rows.events), rows.err)
			}
			if mixed := c.grouped >= 0; maxBad == 1000 && mixed != strings.Contains(rows.err, "dots group thousands") {
				t.Fatalf("%s: error %q", c.name, rows.err)
			}
			for _, size := range []int{4 << 20, 4096, 400, 16} {
				csvBlockSize = size
				for _, how := range []string{"blocks", "columns"} {
					want := rows
					if how == "columns" {
						want = bare
					}
					got := streamEvents(t, path, maxBad, how)
					what := fmt.Sprintf("%s, %s, --max-bad-rows %d, blocks of %d bytes", c.name, how, maxBad, csvEventBlock())
					if got.err != want.err {
						t.Errorf("%s: error %q, want %q", what, got.err, want.err)
					}
					if got.rows != want.rows || got.quarantine != want.quarantine {
						t.Errorf("%s: %d rows, quarantine\n%s\nwant %d rows, quarantine\n%s", what, got.rows, got.quarantine, want.rows, want.quarantine)
					}
					if want.err == "" && strings.Join(got.events, "\n") != strings.Join(want.events, "\n") {
						t.Errorf("%s: %d events differ from the sequential reader's %d", what, len(got.events), len(want.events))
					}
				}
				csvBlockSize = 4 << 20
			}
		}
	}
}

// TestStreamTransient: with EventReader.transient, the events of plain
// blocks view memory that later blocks reuse; what outlives fn (the bad
// rows' records and errors, kept by BadRows) must not, so the errors
// read after the whole file equal the sequential reader's.
func TestStreamTransient(t *testing.T) {
	defer func(n int) { csvBlockSize = n }(csvBlockSize)
	var sb strings.Builder
	sb.WriteString("entity_id,ts,type,value\n")
	for i := range 3000 {
		ts := asOf.Add(-time.Duration(i) * time.Hour).Format(time.RFC3339)
		switch i % 97 {
		case 13:
			ts = fmt.Sprintf("2024-13-%02dT10:00:00Z", i%28+1) // a month that is not
		case 41:
			fmt.Fprintf(&sb, "E%03d,%s,order,%d.%d.%d\n", i%50, ts, i, i, i)
			continue
		}
		fmt.Fprintf(&sb, "E%03d,%s,order,%d\n", i%50, ts, i)
	}
	path := writeFile(t, "events.csv", sb.String())
	read := func(transient bool) (events, errs, quarantine string) {
		var q bytes.Buffer
		bad := &BadRows{Max: 1000, Quarantine: NewQuarantine(&q)}
		er, err := OpenEvents(context.Background(), Source{Path: path}, bad)
		if err != nil {
			t.Fatal(err)
		}
		defer er.Close()
		er.transient = transient
		var ev strings.Builder
		read := streamRows
		if transient {
			read = Stream
		}
		err = read(context.Background(), er, func(batch []Event) error {
			for _, e := range batch {
				fmt.Fprintf(&ev, "%s|%s|%s|%v\n", e.EntityID, e.TS.Format(time.RFC3339Nano), e.Type, e.Value)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		bad.Quarantine.Close()
		var es []string
		for _, e := range bad.first {
			es = append(es, e.Error())
		}
		return ev.String(), strings.Join(es, "\n"), q.String()
	}
	wantEv, wantErrs, wantQ := read(false)
	csvBlockSize = 4096
	gotEv, gotErrs, gotQ := read(true)
	if gotEv != wantEv || gotQ != wantQ {
		t.Errorf("transient blocks: events or quarantine differ from the sequential reader's")
	}
	if gotErrs != wantErrs {
		t.Errorf("errors read after the file:\n%s\nwant\n%s", gotErrs, wantErrs)
	}

	// A block's bad rows keep nothing of its memory, which the next block
	// overwrites.
	er, err := OpenEvents(context.Background(), Source{Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer er.Close()
	er.transient = true
	data := []byte(sb.String()[len("entity_id,ts,type,value\n"):])
	b := &eventBlock{data: data, first: 2, lines: bytes.Count(data, []byte{'\n'})}
	er.parseBlock(er.r.(*csvRows), b, false)
	if len(b.bad) == 0 || len(b.events) == 0 {
		t.Fatalf("%d events, %d bad rows", len(b.events), len(b.bad))
	}
	seen := func() string { return fmt.Sprint(b.bad[0].rec, b.bad[0].err, b.bad[len(b.bad)-1].rec) }
	before := seen()
	for i := range data {
		data[i] = 'x'
	}
	if after := seen(); after != before {
		t.Errorf("bad rows view the block: %s, then %s", before, after)
	}
}

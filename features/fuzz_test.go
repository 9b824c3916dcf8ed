package features

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// FuzzReadEventsCSV feeds arbitrary bytes to the CSV events reader: it must
// never panic, and it either returns an error or yields events that keep
// the contract (an id, a type, a time).
func FuzzReadEventsCSV(f *testing.F) {
	for _, seed := range []string{
		"entity_id,ts,type,value\na,2024-01-01,order,12.5\n",
		"\uFEFFentity_id,ts,type\r\na,2024-01-01T10:00:00+02:00,rfq\r\n",
		"entity_id,ts,type,note\na,2024-01-02,form,\"multi\nline\"\n",
		"entity_id;ts;type\na;2024-01-01;x\n",
		"entity_id,ts,type,value\na,2024-02-30,order,1\n,2024-01-01,order,x\n",
		"entity_id,ts,type\na,2024-01-01,or\"der\n",
		"entity_id,ts,type\ra,12/1/10 8:26,order\r",
		"entity_id,ts,type\na,2024-01-1 UTC,order\nb,2024-03-01 12:30:05 UTC,order\n",
		"sep=;\r\nEntity ID;TS;Type;Value;;\r\na;2024-01-01;order;\"1.234,50\";;\r\nb;2024-01-02;order;2.500;;\r\n",
		"\"\",\"entity_id\",\"ts\",\"type\",\"value\"\n\"1\",\"a\",\"2024-01-02\",\"order\",NA\n\"2\",\"a\",NA,\"x\",null\n",
		"{\"entity_id\":\"a\",\"ts\":\"2024-01-01\",\"type\":\"x\"}\n",
		"",
	} {
		f.Add([]byte(seed))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "events.csv")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []*BadRows{nil, {Max: 1 << 20}} {
			er, err := OpenEvents(t.Context(), Source{Path: p}, bad)
			if err != nil {
				if !IsBadInput(err) && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("open: an error that is not bad input: %v", err)
				}
				continue
			}
			buf := make([]Event, 7)
			for {
				n, err := er.Read(buf)
				for _, e := range buf[:n] {
					if e.EntityID == "" || e.Type == "" || e.TS.IsZero() {
						t.Fatalf("an event breaks the contract: %+v", e)
					}
				}
				if err != nil {
					break
				}
			}
			er.Close()
		}
	})
}

// FuzzReadEventsParquet: arbitrary bytes named .parquet never panic,
// whether read as events or as a table. The seeds are small real files
// (data pages v1 and v2, dictionary and delta encodings, nulls, Snappy
// and ZSTD), so mutations reach the pages and not only the footer; two
// are Arrow C++'s (dictionary fallback, byte-stream-split, page indexes).
func FuzzReadEventsParquet(f *testing.F) {
	f.Add([]byte("PAR1"))
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"))
	f.Add([]byte("entity_id,ts,type\n"))
	for _, v := range []int{1, 2} {
		var wide, more bytes.Buffer
		opts := []parquet.WriterOption{parquet.PageBufferSize(128), parquet.MaxRowsPerRowGroup(20), parquet.DataPageVersion(v),
			parquet.Compression(&parquet.Snappy)}
		if err := writeAll(&wide, wideRows(30), opts); err != nil {
			f.Fatal(err)
		}
		opts[3] = parquet.Compression(&parquet.Zstd)
		if err := writeAll(&more, moreRows(30), opts); err != nil {
			f.Fatal(err)
		}
		f.Add(wide.Bytes())
		f.Add(more.Bytes())
	}
	for _, name := range []string{"events_pyarrow_defaults.parquet", "events_zstd_v2_split.parquet"} {
		b, err := os.ReadFile(filepath.Join(arrowCppDir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "events.parquet")
		os.WriteFile(p, data, 0o644)
		if _, err := ReadParquetTable(t.Context(), bytes.NewReader(data), p); err != nil && !IsBadInput(err) {
			t.Fatalf("an error that is not bad input: %v", err)
		}
		er, err := OpenEvents(t.Context(), Source{Path: p}, nil)
		if err != nil {
			return
		}
		defer er.Close()
		buf := make([]Event, 16)
		for {
			if _, err := er.Read(buf); err != nil {
				return
			}
		}
	})
}

// FuzzParseRules: the rules parser returns a rule set or an error, never
// panics, and accepts its own default file.
func FuzzParseRules(f *testing.F) {
	f.Add(DefaultRulesYAML())
	f.Add([]byte("version: 1\ngroups: [{name: g}]\nrules:\n  - {name: a, group: g, points: 1, event: {type: x, where: [{field: value, op: in, value: [1, 2]}]}, valid_for: 3 mo, repeat: {once_per: 2 weeks}}\n"))
	f.Add([]byte("version: 1\nrules: [{name: a}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := ParseRules(bytes.NewReader(data), "rules.yaml")
		if err == nil && len(rs.Rules) == 0 {
			t.Fatal("a rule set without rules parsed")
		}
	})
}

// FuzzParseSpec: the spec parser never panics.
func FuzzParseSpec(f *testing.F) {
	f.Add(DefaultSpecYAML())
	f.Add([]byte("version: 1\ntypes: {top: 3}\nwindows: [1, 366]\naggregations: [distinct_days]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSpec(bytes.NewReader(data), "spec.yaml")
		if err == nil && s.Validate() != nil {
			t.Fatal("ParseSpec accepted an invalid spec")
		}
	})
}

// FuzzPlainBlock checks that a plain CSV block reads the same by
// parsePlainBlock as by its cells (samePlainBlock), whatever its bytes,
// with the first column kept as text or as written.
func FuzzPlainBlock(f *testing.F) {
	for _, seed := range []string{"1,2\n3,4\n", " 1 ,NA\n,\n\n007,x\n", "1e16,2\n", "-0.5,.5\n5.,+3\n"} {
		f.Add([]byte(seed), uint8(2), false, false)
		f.Add([]byte(seed), uint8(2), true, true)
	}
	f.Fuzz(func(t *testing.T, blk []byte, width uint8, keep0, written0 bool) {
		w := int(width%4) + 1
		if !plainSyntax(blk, ',') {
			return
		}
		keep, written := make([]bool, w), make([]bool, w)
		keep[0], written[0] = keep0, written0
		if _, err := samePlainBlock(blk, w, []string{"NA"}, keep, written); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzReadTable feeds arbitrary bytes to the flat-table reader, with and
// without a time format: it must never panic, fail only with bad input,
// and read every column whole (as many values as rows), numbers finite.
func FuzzReadTable(f *testing.F) {
	for _, seed := range []string{
		"id,Amount,Created\n1,\"1,234.50\",03.04.2024\n2,$2,000.00,13.04.2024\n",
		"id,x\n1,\"1,200\"\n2,\"3,400\"\n",
		"id,d\n1,03/04/2024\n2,05/06/2024 10:00\n",
		"id,p,q\n1,15%,1.234,5\n2,n/a,12,5\n",
		"a;b\n1;2\n",
		"id,Email,d,Email,Email.1,Email\n1,a,05.01.2024 10:00,b,c,d\n2,,NA,,,\n",
		"",
	} {
		f.Add([]byte(seed), false, false)
		f.Add([]byte(seed), false, true)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, layout, text bool) {
		p := filepath.Join(dir, "table.csv")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		src := Source{Path: p}
		if layout {
			src.TimeLayout = "dd.mm.yyyy HH:MM"
		}
		if text {
			src.Text = map[string]bool{"id": true}
		}
		tb, err := ReadTable(t.Context(), src, nil, nil)
		if err != nil {
			if !IsBadInput(err) && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("an error that is not bad input: %v", err)
			}
			return
		}
		for _, c := range tb.Columns {
			if c.Len() != tb.NumRows() {
				t.Fatalf("column %q holds %d values for %d rows", c.Name, c.Len(), tb.NumRows())
			}
			if text && c.Name == "id" && c.Kind != KindString {
				t.Fatalf("column id, kept as text, read as %v", c.Kind)
			}
			for _, v := range c.Float {
				if math.IsInf(v, 0) {
					t.Fatalf("column %q holds %v", c.Name, v)
				}
			}
		}
		// Keeping every column's cells as written changes no column.
		src.Written = map[string]bool{}
		for _, name := range tb.Names() {
			src.Written[name] = true
		}
		tw, err := ReadTable(t.Context(), src, nil, nil)
		if err != nil {
			t.Fatalf("with the cells kept as written: %v", err)
		}
		for j := range tw.Columns {
			c := &tw.Columns[j]
			if c.Written != nil && len(c.Written) != tw.NumRows() {
				t.Fatalf("column %q kept %d cells for %d rows", c.Name, len(c.Written), tw.NumRows())
			}
			c.Written = nil
		}
		if err := sameTable(tw, tb); err != nil {
			t.Fatalf("with the cells kept as written: %v", err)
		}
	})
}

// FuzzReadOutcomes feeds arbitrary bytes to the deals reader, with and
// without a quarantine: it must never panic, and it either returns bad
// input or deals that keep the contract (an entity, a known opening, a
// close no earlier than it, deal ids once each, each entity's deals by
// opening time).
func FuzzReadOutcomes(f *testing.F) {
	for _, seed := range []string{
		"entity_id,ts,won\na,2024-01-10,true\nb,2024-02-01,\n",
		"deal_id,entity_id,ts,won,closed_at,amount\nD1,a,2024-01-10,won,2024-02-01,\"1,234.50\"\nD2,a,2024-01-05,lost,2024-01-20,\nD1,b,2024-03-01,,,\n",
		"deal_id,entity_id,ts,won,closed_at\nD1,a,2024-01-10,true,2024-01-09\nD2,,2024-01-10,true,2024-01-11\n",
		"entity_id;ts;won\na;10.01.2024;yes\n",
		"",
	} {
		f.Add([]byte(seed))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "deals.csv")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []*BadRows{nil, {Max: 1 << 20}} {
			o, err := ReadOutcomes(t.Context(), Source{Path: p}, bad)
			if err != nil {
				if !IsBadInput(err) && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("an error that is not bad input: %v", err)
				}
				continue
			}
			seen := map[string]bool{}
			for i, id := range o.IDs {
				if id == "" || o.Opened[i] == noTime || (o.Closed[i] != noTime && o.Closed[i] < o.Opened[i]) {
					t.Fatalf("deal %d breaks the contract: %q opened %d closed %d", i, id, o.Opened[i], o.Closed[i])
				}
				if o.DealID != nil && o.DealID[i] != "" {
					if seen[o.DealID[i]] {
						t.Fatalf("deal_id %q kept twice", o.DealID[i])
					}
					seen[o.DealID[i]] = true
				}
			}
			for id, ds := range o.byID {
				for k, i := range ds {
					if o.IDs[i] != id || k > 0 && o.Opened[ds[k-1]] > o.Opened[i] {
						t.Fatalf("entity %q: deals %v out of place", id, ds)
					}
				}
			}
		}
	})
}

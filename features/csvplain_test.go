package features

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestPlainRowsMatchCSV reads random quote-free blocks with plainRows and
// with encoding/csv (csvRows) and requires the same records, bad rows,
// errors and cell positions, line for line.
func TestPlainRowsMatchCSV(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	cells := []string{"", " ", "a", "E000123", "2024-01-05", "12.5", " x y ", "é", "日本", "\t"}
	for trial := range 300 {
		sep := []rune{',', ';', '\t', '|'}[r.IntN(4)]
		header := []string{"a", "b", "c"}[:1+r.IntN(3)]
		var b strings.Builder
		for range r.IntN(40) {
			switch r.IntN(10) {
			case 0:
				b.WriteString("\n") // an empty line
				continue
			case 1: // a wrong number of fields
				for k := range len(header) + 1 + r.IntN(2) {
					if k > 0 {
						b.WriteRune(sep)
					}
					b.WriteString(cells[r.IntN(len(cells))])
				}
			default:
				for k := range header {
					if k > 0 {
						b.WriteRune(sep)
					}
					b.WriteString(cells[r.IntN(len(cells))])
				}
			}
			b.WriteString("\n")
		}
		if r.IntN(3) == 0 {
			b.WriteString(cells[2]) // a last line without its line feed
		}
		data := []byte(b.String())
		first := 1 + r.IntN(1000)
		cr := &csvRows{path: "e.csv", r: csv.NewReader(nil), header: header}
		cr.r.Comma = sep
		p := cr.plainBlock(data, first, trial%2 == 0)
		if p == nil {
			t.Fatalf("trial %d: a plain block was refused", trial)
		}
		c := cr.resume(bytes.NewReader(data), first)
		want, got := readAll(c), readAll(p)
		if !slices.Equal(got, want) || p.rows != c.rows {
			t.Fatalf("trial %d, separator %q:\n%q\nplain: %q\ncsv:   %q", trial, sep, data, got, want)
		}
	}
	cr := &csvRows{path: "e.csv", r: csv.NewReader(nil), header: []string{"a"}}
	for _, refused := range []string{"a\"b\n", "a\r\n", "a\x00\n", "a\xff\n"} {
		if cr.plainBlock([]byte(refused), 1, false) != nil {
			t.Errorf("%q: read as plain", refused)
		}
	}
}

// readAll describes every record rs reads: its error or its row count, and
// each cell with its position.
func readAll(rs rows) []string {
	var out []string
	for {
		err := rs.Next()
		if err == io.EOF {
			return out
		}
		s := "ok"
		if err != nil {
			s = err.Error()
		}
		for i, c := range rs.Record() {
			line, col := rs.Pos(i)
			s += fmt.Sprintf(" [%q %d:%d]", c, line, col)
		}
		out = append(out, s)
	}
}

// TestCutLine: cutLine finds every separator up to the line feed as a byte
// loop does, among the bytes that fool a word test (those one bit away,
// the high bit, zero) and from every offset.
func TestCutLine(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for trial := range 2000 {
		sep := []byte{',', ';', '\t', '|', 0x01, 0x7f}[trial%6]
		alphabet := []byte{sep, '\n', sep ^ 1, '\n' ^ 1, 0x80, 0x81, 0, 'a', 0xff}
		data := make([]byte, r.IntN(40))
		for i := range data {
			if r.IntN(4) == 0 {
				data[i] = alphabet[r.IntN(len(alphabet))]
			} else {
				data[i] = alphabet[2+r.IntN(len(alphabet)-2)]
			}
		}
		for from := range len(data) + 1 {
			var want []int
			end := from
			for ; end < len(data) && data[end] != '\n'; end++ {
				if data[end] == sep {
					want = append(want, end+1)
				}
			}
			want = append(want, end+1)
			got, gotEnd := cutLine(data, from, sep, nil)
			if !slices.Equal(got, want) || gotEnd != end {
				t.Fatalf("%q from %d, separator %q: %v, %d, want %v, %d", data, from, sep, got, gotEnd, want, end)
			}
		}
	}
}

package features

import (
	"encoding/csv"
	"io"
)

// SpreadsheetSafe neutralises a text cell that a spreadsheet would run as a
// formula (OWASP's CSV injection): a value starting with =, +, -, @, a tab
// or a carriage return gets a leading single quote, which spreadsheets
// read as "text" and do not show. Numbers (-12.5, +3) are left as they are.
func SpreadsheetSafe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if isDecimal(s) {
			return s
		}
		return "'" + s
	}
	return s
}

// CSVWriter is a csv.Writer for files people open in spreadsheets: every
// cell it writes goes through SpreadsheetSafe. Every CSV file leadscore
// writes (feature tables, ranked lists, quarantine files, validation
// tables) uses it.
type CSVWriter struct {
	*csv.Writer
	rec []string
}

// NewCSVWriter returns a CSVWriter writing to w.
func NewCSVWriter(w io.Writer) *CSVWriter { return &CSVWriter{Writer: csv.NewWriter(w)} }

// Write writes one record with its cells neutralised.
func (w *CSVWriter) Write(record []string) error {
	w.rec = w.rec[:0]
	for _, s := range record {
		w.rec = append(w.rec, SpreadsheetSafe(s))
	}
	return w.Writer.Write(w.rec)
}

package features

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// BadRows is the bad-row policy shared by the readers of one run. The zero
// value fails on the first bad row. With Max > 0, up to Max bad rows (over
// all inputs of the run) are skipped; each is written to Quarantine when it
// is set, and the first ten are kept for the report.
type BadRows struct {
	// Max is the number of bad rows that may be skipped; 0 fails on the first.
	Max int
	// Quarantine receives every skipped row; nil keeps only the count.
	Quarantine *Quarantine

	n     int
	first []error
}

// Count returns the number of bad rows skipped so far.
func (b *BadRows) Count() int {
	if b == nil {
		return 0
	}
	return b.n
}

// Err returns the first ten skipped rows' errors joined, or nil.
func (b *BadRows) Err() error {
	if b == nil {
		return nil
	}
	return errors.Join(b.first...)
}

// First returns the first skipped row's error, or nil: what a log line
// shows beside the count (the quarantine file has every row).
func (b *BadRows) First() error {
	if b == nil || len(b.first) == 0 {
		return nil
	}
	return b.first[0]
}

// handle decides what happens to a bad row: it returns nil when the row is
// skipped, and the error (wrapped when the budget is spent) otherwise.
func (b *BadRows) handle(err *RowError, record []string) error {
	if b == nil || b.Max == 0 || errors.Is(err, ErrMixedNumbers) {
		return err
	}
	if b.n >= b.Max {
		return fmt.Errorf("%w (--max-bad-rows %d): %w", ErrTooManyBadRows, b.Max, err)
	}
	b.n++
	if len(b.first) < 10 {
		b.first = append(b.first, err)
	}
	if b.Quarantine != nil {
		if qerr := b.Quarantine.write(err, record); qerr != nil {
			return fmt.Errorf("quarantine: %w", qerr)
		}
	}
	return nil
}

// Quarantine writes skipped rows as CSV with the columns
// file,line,column,field,reason,record, where record is the original row
// re-encoded as one CSV line.
type Quarantine struct {
	w      *CSVWriter
	header bool
	n      int
}

// NewQuarantine returns a Quarantine writing to w.
func NewQuarantine(w io.Writer) *Quarantine {
	return &Quarantine{w: NewCSVWriter(w)}
}

// Rows returns the number of rows written.
func (q *Quarantine) Rows() int { return q.n }

func (q *Quarantine) write(e *RowError, record []string) error {
	if !q.header {
		q.header = true
		if err := q.w.Write([]string{"file", "line", "column", "field", "reason", "record"}); err != nil {
			return err
		}
	}
	var sb strings.Builder
	rw := NewCSVWriter(&sb)
	rw.Write(sanitize(record))
	rw.Flush()
	q.n++
	return q.w.Write([]string{e.Path, strconv.Itoa(e.Line), strconv.Itoa(e.Column), e.Field,
		e.Err.Error(), strings.TrimRight(sb.String(), "\n")})
}

// sanitize makes a record safe to re-encode: NUL bytes and invalid UTF-8 are
// replaced so that the quarantine file itself is valid text.
func sanitize(rec []string) []string {
	out := make([]string, len(rec))
	for i, s := range rec {
		s = strings.ToValidUTF8(s, "\uFFFD")
		out[i] = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	return out
}

// Close flushes the quarantine file and returns the first write error.
func (q *Quarantine) Close() error {
	q.w.Flush()
	return q.w.Error()
}

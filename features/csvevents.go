package features

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"runtime"
	"slices"
	"sync"
)

// csvEventBlock is the size of the blocks streamCSV parses: small, since a
// few are in flight at once, each with its events.
func csvEventBlock() int { return max(csvBlockSize/4, 1) }

// eventBlock is a run of whole records of an events file and, once parsed,
// its events and bad rows.
type eventBlock struct {
	buf   []byte // the block's memory, reused once its events are used
	data  []byte
	off   int64 // where data starts in the file
	first int   // the file line data starts on
	lines int   // line feeds in data
	head  bool  // data starts with the header
	done  chan struct{}

	events []Event
	cols   eventColumns // the events, when the block is parsed into columns
	bad    []badRow
	rows   int  // records read, good and bad
	syntax bool // a record broke the CSV syntax: the block is not used
	// styles records the block's number cells, for the file's (see
	// numberStyles).
	styles numberStyles
}

// badRow is a bad row met in a block: its error, its cells and its
// number among the block's records, from 1.
type badRow struct {
	err *RowError
	rec []string
	row int
}

// streamCSV is Stream for a plain CSV file: the file is read in blocks of
// whole records (cut at a line end after an even number of quotes, see
// lastRecordEnd), each block's records parsed on every core into events
// (eventBlock.events) or, with columns, into eventBlock.cols, and the
// blocks handed to fn, their bad rows to the bad-row policy, in file
// order. Errors name the file's own lines. A block in which a record
// breaks the CSV syntax (where the cut itself may be wrong) and everything
// after it are read by the sequential reader instead, which reports such
// rows as it always does; the result is the sequential reader's, event for
// event and error for error.
func streamCSV(ctx context.Context, er *EventReader, cr *csvRows, columns bool, fn func(b *eventBlock) error) error {
	f, err := os.Open(cr.path)
	if err != nil {
		return err
	}
	defer f.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := runtime.GOMAXPROCS(0)
	work := make(chan *eventBlock)
	order := make(chan *eventBlock, 2*workers)
	// Blocks whose events fn has used give their memory to new ones; at
	// most order's, the workers' and two more are in flight.
	spare := make(chan *eventBlock, 3*workers+2)
	var wg sync.WaitGroup
	var readErr error
	wg.Go(func() {
		defer close(work)
		defer close(order)
		readErr = cutBlocks(ctx, er.src.hashing(f), csvEventBlock(), spare, func(b *eventBlock) bool {
			select {
			case order <- b:
			case <-ctx.Done():
				return false
			}
			select {
			case work <- b:
				return true
			case <-ctx.Done():
				return false
			}
		})
	})
	for range workers {
		wg.Go(func() {
			for b := range work {
				er.parseBlock(cr, b, columns)
				close(b.done)
			}
		})
	}
	err = consumeBlocks(ctx, er, cr, order, spare, columns, fn)
	cancel()
	for range order { // let the reader stop
	}
	wg.Wait()
	if err == nil && readErr != nil && !errors.Is(readErr, context.Canceled) {
		err = damaged(cr.path, er.rows, readErr)
	}
	return err
}

// consumeBlocks hands the parsed blocks to fn and their bad rows to the
// policy in file order; from a block with a syntax error on, the file is
// read sequentially, and its batches handed to fn as blocks.
func consumeBlocks(ctx context.Context, er *EventReader, cr *csvRows, order <-chan *eventBlock, spare chan<- *eventBlock, columns bool, fn func(b *eventBlock) error) error {
	for b := range order {
		select {
		case <-b.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if b.syntax {
			var rest eventBlock
			return er.streamFrom(ctx, cr, b, func(events []Event) error {
				rest.events = events
				if columns {
					rest.cols.reset()
					for i := range events {
						rest.cols.add(&events[i])
					}
				}
				return fn(&rest)
			})
		}
		// The file's numbers read two ways from a cell of this block
		// on: its bad rows before that cell are met first.
		var mixed *RowError
		mixedRow := 0
		if cr.styles != nil {
			mixed, mixedRow = cr.styles.merge(&b.styles, cr.path)
		}
		for _, br := range b.bad {
			if mixed != nil && (br.err.Line > mixed.Line || br.err.Line == mixed.Line && br.err.Column >= mixed.Column) {
				break
			}
			if err := er.bad.handle(br.err, br.rec); err != nil {
				er.rows += br.row // as far as the sequential reader gets
				return err
			}
		}
		if mixed != nil {
			er.rows += mixedRow
			return mixed
		}
		er.rows += b.rows
		if err := fn(b); err != nil {
			return err
		}
		select {
		case spare <- b:
		default:
		}
	}
	return ctx.Err()
}

// cutBlocks reads r into blocks of whole records of about size bytes, the
// first starting with the header (a byte-order mark removed), and hands
// them to emit in order until the end, an error or emit's false. A block
// from spare lends its memory.
func cutBlocks(ctx context.Context, r io.Reader, size int, spare <-chan *eventBlock, emit func(*eventBlock) bool) error {
	var pending []byte
	var off int64
	line, head := 1, true
	for ctx.Err() == nil {
		b := &eventBlock{}
		select {
		case old := <-spare:
			b.buf, b.events, b.cols = old.buf, old.events[:0], old.cols
		default:
		}
		if need := max(size, 2*len(pending)); cap(b.buf) < need {
			b.buf = make([]byte, need)
		}
		data := b.buf[:cap(b.buf)]
		copy(data, pending)
		n, err := io.ReadFull(r, data[len(pending):])
		data = data[:len(pending)+n]
		end := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !end {
			return err
		}
		skip := 0
		if head && bytes.HasPrefix(data, utf8BOM) {
			skip = len(utf8BOM)
		}
		cut := len(data)
		if !end {
			if cut = lastRecordEnd(data); cut <= skip {
				pending = append(pending[:0], data...) // a record longer than the block: read on
				continue
			}
		}
		lines := bytes.Count(data[:cut], []byte{'\n'})
		if cut > skip {
			b.data, b.off, b.first, b.lines, b.head, b.done = data[skip:cut], off+int64(skip), line, lines, head, make(chan struct{})
			if !emit(b) {
				return ctx.Err()
			}
		}
		if end {
			return nil
		}
		line += lines
		off += int64(cut)
		pending, head = append(pending[:0], data[cut:]...), false
	}
	return ctx.Err()
}

// parseBlock parses a block's records as er's reader would: the same
// checks, the same errors with the file's line numbers, into b.events or,
// with columns, b.cols. With er.transient the events of a plain block view
// its memory, which is reused once fn has seen them; a block with a bad
// row, whose record and error outlive fn, is parsed again from a copy.
func (er *EventReader) parseBlock(cr *csvRows, b *eventBlock, columns bool) {
	er.parseBlockFrom(cr, b, er.transient, columns)
	if er.transient && len(b.bad) > 0 {
		b.bad, b.rows, b.syntax = nil, 0, false
		er.parseBlockFrom(cr, b, false, columns)
	}
}

// parseBlockFrom is parseBlock, the events viewing the block's memory
// when view is set.
func (er *EventReader) parseBlockFrom(cr *csvRows, b *eventBlock, view, columns bool) {
	b.events = b.events[:0]
	b.cols.reset()
	b.styles = numberStyles{rows: &b.rows}
	var styles *numberStyles
	if cr.styles != nil {
		styles = &b.styles
	}
	var src rows
	var br *csvRows // nil when the block is plain text (plainRows)
	if p := cr.plainBlock(b.data, b.first, view); p != nil {
		src, p.styles = p, styles
		if b.head && p.skip() != nil { // the header, read and checked at open
			b.syntax = true
			return
		}
	} else {
		br = cr.resume(bytes.NewReader(b.data), b.first)
		src, br.styles = br, styles
		if b.head {
			if _, err := br.r.Read(); err != nil {
				b.syntax = true
				return
			}
		}
	}
	// er's settings, which no one changes while the file is read.
	w := EventReader{src: er.src, r: src, col: er.col, props: er.props, fixedType: er.fixedType, parts: er.parts, orders: er.orders}
	if n := b.lines + 1; !columns && cap(b.events) < n {
		b.events = make([]Event, 0, n)
	}
	var e Event
	for {
		err := src.Next()
		if err == io.EOF {
			return
		}
		if br != nil && br.syntax {
			b.syntax = true
			return
		}
		b.rows++
		switch {
		case err != nil:
		case columns:
			if err = w.parse(&e); err == nil {
				b.cols.add(&e)
			}
		default:
			// Parse in place: cap(b.events) is the block's lines at least.
			k := len(b.events)
			b.events = b.events[:k+1]
			if err = w.parse(&b.events[k]); err != nil {
				b.events = b.events[:k]
			}
		}
		if err != nil {
			var re *RowError
			if !errors.As(err, &re) {
				b.syntax = true // not a row's fault: let the sequential reader meet it
				return
			}
			b.bad = append(b.bad, badRow{re, slices.Clone(src.Record()), b.rows})
		}
	}
}

// resume returns a reader of the records of cr's file that src holds,
// from the file's line first on, with cr's header and settings.
func (cr *csvRows) resume(src io.Reader, first int) *csvRows {
	r := csv.NewReader(src)
	r.Comma, r.ReuseRecord, r.FieldsPerRecord = cr.r.Comma, true, len(cr.header)
	return &csvRows{path: cr.path, r: r, header: cr.header, layouts: cr.layouts, numFormat: cr.numFormat, na: cr.na, lines: first - 1}
}

// streamFrom reads the file sequentially from block b on and streams its
// events.
func (er *EventReader) streamFrom(ctx context.Context, cr *csvRows, b *eventBlock, fn func(batch []Event) error) error {
	if b.head { // nothing read yet: cr stands just after the header
		return streamRows(ctx, er, fn)
	}
	f, err := os.Open(cr.path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(b.off, io.SeekStart); err != nil {
		return err
	}
	br := cr.resume(bufio.NewReaderSize(f, 1<<20), b.first)
	br.rows = er.rows
	if cr.styles != nil {
		br.styles = cr.styles.clone() // the blocks before b
	}
	w := *er
	w.r, w.rows = br, 0
	err = streamRows(ctx, &w, fn)
	er.rows += w.rows
	return err
}

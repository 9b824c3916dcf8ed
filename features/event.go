package features

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// Event is one row of the events table: something an entity (a contact or an
// account) did or had done to it at a moment.
type Event struct {
	EntityID string
	TS       time.Time // UTC
	Type     string
	Value    float64 // meaningful when HasValue
	HasValue bool
	Channel  string
	// Props holds the row's other columns with a non-empty value, in header
	// order. Names are shared between events of one file.
	Props []Prop
}

// Prop is an extra column of an event row, kept as text.
type Prop struct {
	Name, Value string
}

// Prop returns the value of the named property and whether it is present.
// The channel and the value are fields of their own, not properties.
func (e *Event) Prop(name string) (string, bool) {
	for _, p := range e.Props {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}

// EventReader streams events from a table in batches. Memory use is one
// batch, whatever the file size.
type EventReader struct {
	src   Source
	r     rows
	bad   *BadRows
	col   eventCols
	props []int // header indexes of property columns
	rows  int
	// fixedType, when set, is every row's type: orders' "order", or the
	// type a Hive partition's folder names (partitionFields).
	fixedType string
	// parts are the other columns the folders name and the file lacks:
	// each row's channel or properties.
	parts  partCols
	orders bool // an orders file: a row's amount is required
	// runs, when set, is r when its columns are cleanable: Read takes runs
	// of clean rows from it (cleanEvents).
	runs *pageRows
	// transient lets Stream hand out events whose strings view memory it
	// reuses once fn returns: for a caller that copies what it keeps.
	transient bool
}

// eventColumns is a batch of events held column by column: what ingest
// keeps of each event (entity, time, type, value), without an Event per
// row.
type eventColumns struct {
	id, typ []string
	ts      []int64 // unix ns
	value   []float64
	valued  []bool
}

func (b *eventColumns) reset() {
	b.id, b.typ, b.ts, b.value, b.valued = b.id[:0], b.typ[:0], b.ts[:0], b.value[:0], b.valued[:0]
}

func (b *eventColumns) len() int { return len(b.id) }

// add appends an event.
func (b *eventColumns) add(e *Event) {
	b.id, b.typ = append(b.id, e.EntityID), append(b.typ, e.Type)
	b.ts, b.value, b.valued = append(b.ts, e.TS.UnixNano()), append(b.value, e.Value), append(b.valued, e.HasValue)
}

// eventCols holds the header index of each contract column, −1 when the
// file has none.
type eventCols struct {
	id, ts, typ, value, quantity, channel int
}

func eventColsOf(idx map[string]int) eventCols {
	at := func(name string) int {
		if i, ok := idx[name]; ok {
			return i
		}
		return -1
	}
	return eventCols{id: at("entity_id"), ts: at("ts"), typ: at("type"), value: at("value"), quantity: at("quantity"), channel: at("channel")}
}

// The contract's columns of each kind of file, required and optional:
// the names a column mapping (Source.Columns) maps.
var (
	eventRequired   = []string{"entity_id", "ts", "type"}
	eventOptional   = []string{"value", "channel"}
	orderRequired   = []string{"entity_id", "ts", "amount"}
	orderOptional   = []string{"quantity"}
	entityRequired  = []string{"entity_id"}
	cutoffRequired  = []string{"entity_id", "ts"}
	cutoffOptional  = []string{"won"}
	outcomeRequired = []string{"entity_id", "ts", "won"}
	outcomeOptional = []string{"closed_at", "amount", "deal_id"}
)

// ContractColumns returns the contract's column names of a kind of file
// ("events", "entities", "cutoffs", "deals" or "orders"), those a column
// mapping can map; nil for another kind.
func ContractColumns(kind string) []string {
	switch kind {
	case "events":
		return slices.Concat(eventRequired, eventOptional)
	case "entities":
		return slices.Clone(entityRequired)
	case "cutoffs":
		return slices.Concat(cutoffRequired, cutoffOptional)
	case "deals":
		return slices.Concat(outcomeRequired, outcomeOptional)
	case "orders":
		return slices.Concat(orderRequired, orderOptional)
	}
	return nil
}

// hasField reports whether the file has the column a rule or derived type
// tests: type always, value and channel when the file has them, any other
// name when it is one of its columns besides the contract's.
func (er *EventReader) hasField(f string) bool {
	switch f {
	case "type":
		return true
	case "value":
		return er.col.value >= 0
	case "channel":
		return er.col.channel >= 0 || er.parts.channelName != ""
	}
	return slices.ContainsFunc(er.props, func(c int) bool { return er.r.Header()[c] == f }) ||
		slices.ContainsFunc(er.parts.props, func(p Prop) bool { return p.Name == f })
}

// columns returns the file's columns, then those its folders give it.
func (er *EventReader) columns() []string {
	cols := slices.Clone(er.r.Header())
	if er.parts.channelName != "" {
		cols = append(cols, er.parts.channelName)
	}
	for _, p := range er.parts.props {
		cols = append(cols, p.Name)
	}
	return cols
}

// OpenEvents opens an events table. bad may be nil (fail on the first bad
// row). The caller must Close the reader. A missing or duplicated required
// column is a *SchemaError.
func OpenEvents(ctx context.Context, src Source, bad *BadRows) (*EventReader, error) {
	return openEvents(ctx, src, bad, nil, true)
}

// openEvents is OpenEvents for a reader of some of the columns: besides
// the contract's entity_id, ts, type and value, the ones need names
// (channel and properties). In a Parquet file the others are not checked
// (bad text in them is no bad row) and, unless all, not decoded: they stay
// empty in every Event. A nil need reads and checks every column.
func openEvents(ctx context.Context, src Source, bad *BadRows, need map[string]bool, all bool) (*EventReader, error) {
	r, err := openRows(ctx, src)
	if err != nil {
		return nil, err
	}
	parts := partitionFields(src, r.Header(), func(name string) bool { return need == nil || all || need[name] })
	idx, err := findColumns(src, r.Header(), eventRequired, eventOptional)
	// A file without a type column in a folder that names it (Spark's
	// partitionBy: events/type=page_view/part-0.parquet) has that type.
	partType := ""
	if err != nil && parts.typed {
		partType = parts.typ
		if idx, err = findColumns(src, r.Header(), []string{"entity_id", "ts"}, eventOptional); err == nil {
			idx["type"] = -1
			if partType == "" {
				err = &SchemaError{Path: src.Path, Err: errors.New("its folder name gives every row no type (a Hive partition of nulls)")}
			}
		}
	}
	if err != nil {
		r.Close()
		return nil, err
	}
	used := map[int]bool{}
	for _, i := range idx {
		used[i] = true
	}
	col := eventColsOf(idx)
	var props, skip []int
	if need != nil && col.channel >= 0 && !need["channel"] {
		skip = append(skip, col.channel)
		if !all {
			col.channel = -1
		}
	}
	for i, name := range r.Header() {
		if used[i] {
			continue
		}
		if need != nil && !need[name] {
			skip = append(skip, i)
			if !all {
				continue
			}
		}
		props = append(props, i)
	}
	if p, ok := r.(projector); ok && len(skip) > 0 {
		p.skip(skip, all)
	}
	er := newEventReader(src, r, bad, col, props, partType, false)
	if er.parts = parts; !parts.none() {
		er.runs = nil // its events hold more than the columns
	}
	return er, nil
}

// partCols are the columns that the folders of an events file's path
// name and the file does not hold (folderPartitions): its type, and the
// channel and properties its rows get.
type partCols struct {
	typ                  string // the type, when typed
	typed                bool
	channelName, channel string // the channel's column name ("" for none), and value
	props                []Prop
}

// none reports whether the folders give the rows no channel or property.
func (pc *partCols) none() bool { return pc.channelName == "" && len(pc.props) == 0 }

// partitionFields returns the columns the folders of src's path name that
// the file, whose columns are header, lacks: the type, and the channel
// and properties wanted (by name; "channel" for the channel). The other
// contract columns come from the file alone.
func partitionFields(src Source, header []string, wanted func(name string) bool) partCols {
	var pc partCols
	contract := map[string]string{} // normalised name → contract name
	for _, name := range append(slices.Clone(eventRequired), eventOptional...) {
		contract[NormValue(cmp.Or(src.Columns[name], name))] = name
	}
	for _, p := range folderPartitions(filepath.Dir(src.Path), header) {
		switch name, isContract := contract[NormValue(p.Name)]; {
		case name == "type":
			pc.typ, pc.typed = p.Value, true
		case name == "channel":
			if wanted("channel") {
				pc.channelName, pc.channel = p.Name, p.Value
			}
		case !isContract && wanted(p.Name):
			pc.props = append(pc.props, p)
		}
	}
	return pc
}

// folderPartitions returns the columns and values that the Hive-style
// folders of dir name (hivePartition), in path order, leaving out the
// columns header holds (names compared as findColumns compares them).
// Where two folders name one column, the innermost gives its value.
func folderPartitions(dir string, header []string) []Prop {
	var out []Prop
	at := map[string]int{} // normalised name → its place in out
	for _, d := range strings.Split(filepath.ToSlash(dir), "/") {
		k, v, ok := hivePartition(d)
		norm := NormValue(k)
		if !ok || slices.ContainsFunc(header, func(h string) bool { return NormValue(h) == norm }) {
			continue
		}
		if i, seen := at[norm]; seen {
			out[i].Value = v
			continue
		}
		at[norm] = len(out)
		out = append(out, Prop{Name: k, Value: v})
	}
	return out
}

// hivePartition reads a folder name as Hive, Spark and pyarrow write a
// partition's: column=value, the value escaped as a path segment
// ("Page%20View"), Hive's partition of nulls (__HIVE_DEFAULT_PARTITION__)
// read as "".
func hivePartition(dir string) (column, value string, ok bool) {
	column, value, ok = strings.Cut(dir, "=")
	if !ok || column == "" {
		return "", "", false
	}
	if value == "__HIVE_DEFAULT_PARTITION__" {
		return column, "", true
	}
	if u, err := url.PathUnescape(value); err == nil {
		value = u
	}
	return column, value, true
}

// newEventReader returns the reader of events of r, whose contract
// columns are col and property columns props (type fixedType when set;
// for orders, the value required).
func newEventReader(src Source, r rows, bad *BadRows, col eventCols, props []int, fixedType string, orders bool) *EventReader {
	er := &EventReader{src: src, r: r, bad: bad, col: col, props: props, fixedType: fixedType, orders: orders}
	if pr, ok := r.(*pageRows); ok && len(props) == 0 && pr.cleanable(&er.col, fixedType) {
		er.runs = pr
	}
	return er
}

// OpenOrders opens an orders table (entity_id, ts, amount) as a stream of
// events of type "order" whose value is the amount. With an optional
// quantity column (order lines), the amount is a unit price and the value is
// amount × quantity. Other columns are kept as properties. An empty amount
// or quantity is a bad row.
func OpenOrders(ctx context.Context, src Source, bad *BadRows) (*EventReader, error) {
	r, err := openRows(ctx, src)
	if err != nil {
		return nil, err
	}
	idx, err := findColumns(src, r.Header(), orderRequired, orderOptional)
	if err != nil {
		r.Close()
		return nil, err
	}
	idx["value"], idx["type"], idx["channel"] = idx["amount"], -1, -1
	used := map[int]bool{idx["entity_id"]: true, idx["ts"]: true, idx["amount"]: true, idx["quantity"]: true}
	var props []int
	for i := range r.Header() {
		if !used[i] {
			props = append(props, i)
		}
	}
	src.RenameTypes = nil // no type column: every row is an order
	return newEventReader(src, r, bad, eventColsOf(idx), props, "order", true), nil
}

// CheckRenameTypes checks a Source.RenameTypes: every spelling and type
// named, and no type itself renamed to another (renames are read once,
// not in chains).
func CheckRenameTypes(m map[string]string) error {
	for _, from := range slices.Sorted(maps.Keys(m)) {
		to := m[from]
		switch next, ok := m[to]; {
		case from == "" || to == "":
			return fmt.Errorf("%q=%q: name both the spelling and the type", from, to)
		case ok && next != to:
			return fmt.Errorf("%q is read as %q, which is read as %q: name the type a spelling ends as", from, to, next)
		}
	}
	return nil
}

// renamed returns the type an events file's spelling t is read as
// (Source.RenameTypes).
func (er *EventReader) renamed(t string) string {
	if to, ok := er.src.RenameTypes[t]; ok {
		return to
	}
	return t
}

// cleanColumns appends to b up to max of the clean rows that follow
// (pageRows.cleanColumns), their types renamed as parse renames them, and
// returns how many; the reader must have runs.
func (er *EventReader) cleanColumns(b *eventColumns, max int) int {
	k := er.runs.cleanColumns(&er.col, er.fixedType, er.orders, b, max)
	if len(er.src.RenameTypes) > 0 {
		for i := b.len() - k; i < b.len(); i++ {
			b.typ[i] = er.renamed(b.typ[i])
		}
	}
	return k
}

// cleanEvents reads into buf the clean rows that follow, as cleanColumns
// does, and returns how many.
func (er *EventReader) cleanEvents(buf []Event) int {
	b := &er.runs.run
	b.reset()
	k := er.cleanColumns(b, len(buf))
	for j := range k {
		e := &buf[j]
		*e = Event{EntityID: b.id[j], TS: time.Unix(0, b.ts[j]).UTC(), Type: b.typ[j], Value: b.value[j], HasValue: b.valued[j], Props: e.Props[:0]}
	}
	return k
}

// Rows returns the number of rows read so far, good and bad.
func (er *EventReader) Rows() int { return er.rows }

// readColumns fills b with up to max events, like Read (io.EOF once the
// table ends); the reader must have runs.
func (er *EventReader) readColumns(b *eventColumns, max int) error {
	b.reset()
	var one [1]Event
	for b.len() < max {
		if k := er.cleanColumns(b, max-b.len()); k > 0 {
			er.rows += k
			continue
		}
		n, err := er.Read(one[:])
		if n == 1 {
			b.add(&one[0])
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Read fills buf with up to len(buf) events and returns how many it read. At
// the end of the table it returns 0, io.EOF. Bad rows are handled by the
// BadRows policy; an error it does not absorb is returned (a *RowError).
func (er *EventReader) Read(buf []Event) (int, error) {
	n := 0
	for n < len(buf) {
		if er.runs != nil {
			k := er.cleanEvents(buf[n:])
			er.rows += k
			if n += k; n == len(buf) {
				break
			}
		}
		err := er.r.Next()
		if err == io.EOF {
			if n == 0 {
				return 0, io.EOF
			}
			return n, nil
		}
		er.rows++
		if err == nil {
			err = er.parse(&buf[n])
		}
		if err != nil {
			var re *RowError
			if !errors.As(err, &re) {
				return n, err
			}
			if err := er.bad.handle(re, er.r.Record()); err != nil {
				return n, err
			}
			continue
		}
		n++
	}
	return n, nil
}

// parse reads the current row as an event. EventReader.cleanEvents accepts
// exactly the rows this reads without an error; a check added here is
// added there (TestCleanEventsMatchRowPath).
func (er *EventReader) parse(e *Event) error {
	r, path, col := er.r, er.src.Path, &er.col
	id, null := r.Str(col.id)
	if null || missingID(id) {
		return emptyCellError(r, path, col.id)
	}
	if len(id) > MaxIDBytes {
		return cellError(r, path, col.id, ErrIDTooLong)
	}
	ts, null, err := r.Time(col.ts)
	if err != nil {
		return cellError(r, path, col.ts, err)
	}
	if null {
		return emptyCellError(r, path, col.ts)
	}
	if err := CheckTime(ts); err != nil {
		return cellError(r, path, col.ts, err)
	}
	typ := er.fixedType
	if typ == "" {
		if typ, null = r.Str(col.typ); null {
			return cellError(r, path, col.typ, ErrEmptyField)
		}
	}
	*e = Event{EntityID: id, TS: ts, Type: er.renamed(typ), Props: e.Props[:0]}
	if c := col.value; c >= 0 {
		v, null, err := r.Num(c)
		if err != nil {
			return cellError(r, path, c, err)
		}
		if null && er.orders {
			return emptyCellError(r, path, c)
		}
		e.Value, e.HasValue = v, !null
	}
	if c := col.quantity; c >= 0 {
		q, null, err := r.Num(c)
		if err != nil {
			return cellError(r, path, c, err)
		}
		if null {
			return emptyCellError(r, path, c)
		}
		e.Value *= q
	}
	if c := col.channel; c >= 0 {
		e.Channel, _ = r.Str(c)
	} else {
		e.Channel = er.parts.channel
	}
	for _, c := range er.props {
		if s, null := r.Str(c); !null {
			e.Props = append(e.Props, Prop{Name: r.Header()[c], Value: s})
		}
	}
	for _, p := range er.parts.props {
		if p.Value != "" {
			e.Props = append(e.Props, p)
		}
	}
	return nil
}

// Close closes the underlying file.
func (er *EventReader) Close() error { return er.r.Close() }

// fingerprint returns a 64-bit FNV-1a hash of every field of the event. It
// is deterministic across runs and machines.
func (e *Event) fingerprint() uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	str := func(s string) {
		for i := 0; i < len(s); i++ {
			h = (h ^ uint64(s[i])) * prime
		}
		h = (h ^ 0xff) * prime // field separator
	}
	num := func(x uint64) {
		for i := 0; i < 8; i++ {
			h = (h ^ (x & 0xff)) * prime
			x >>= 8
		}
	}
	str(e.EntityID)
	num(uint64(e.TS.UnixNano()))
	str(e.Type)
	if e.HasValue {
		num(math.Float64bits(e.Value))
	} else {
		str("")
	}
	str(e.Channel)
	for _, p := range e.Props {
		str(p.Name)
		str(p.Value)
	}
	return h
}

// Stream reads every event of er and hands them to fn in batches, in file
// order. A goroutine reads and decodes the next batches while fn works, so
// reading and processing overlap; a plain CSV file is parsed a block at a
// time on every core (streamCSV). fn's batch is valid until fn returns. It
// returns the first error of the reader or of fn.
func Stream(ctx context.Context, er *EventReader, fn func(batch []Event) error) error {
	if cr, ok := er.r.(*csvRows); ok && cr.plain {
		return streamCSV(ctx, er, cr, false, func(b *eventBlock) error { return fn(b.events) })
	}
	return streamRows(ctx, er, fn)
}

// StreamFiles streams, as Stream does, the events of every file of src's
// path (one file, a pattern of shards or a folder: ShardFiles), one file
// after the other, each opened with open (OpenEvents, or a caller's
// wrapper of it), and returns the rows read, good and bad.
func StreamFiles(ctx context.Context, src Source, bad *BadRows, open func(context.Context, Source, *BadRows) (*EventReader, error), fn func(batch []Event) error) (int, error) {
	paths, err := ShardFiles(src.Path)
	if err != nil {
		return 0, err
	}
	rows := 0
	for _, p := range paths {
		s := src
		s.Path = p
		er, err := open(ctx, s, bad)
		if err != nil {
			return rows, err
		}
		err = Stream(ctx, er, fn)
		rows += er.Rows()
		er.Close()
		if err != nil {
			return rows, err
		}
	}
	return rows, nil
}

// batchEvents is how many events a batch of Stream holds.
const batchEvents = 1 << 13

// columnar reports whether streamColumns reads er a column at a time:
// its events hold nothing but the contract's entity, time, type and value
// (no channel, no property), and it reads clean Parquet (runs) or plain
// CSV.
func (er *EventReader) columnar() bool {
	if er.runs != nil {
		return true
	}
	cr, ok := er.r.(*csvRows)
	return ok && cr.plain && er.col.channel < 0 && len(er.props) == 0 && er.parts.none()
}

// streamBatches hands fn every event of er as columns, as the feature
// stage keeps them: from a columnar reader directly (events nil), from any
// other a batch of Events at a time, copied into b (events the batch).
func streamBatches(ctx context.Context, er *EventReader, fn func(b *eventColumns, events []Event) error) error {
	if er.columnar() {
		return streamColumns(ctx, er, func(b *eventColumns) error { return fn(b, nil) })
	}
	var b eventColumns
	return Stream(ctx, er, func(events []Event) error {
		b.reset()
		for i := range events {
			b.add(&events[i])
		}
		return fn(&b, events)
	})
}

// streamColumns is Stream for a columnar reader, handing fn the events a
// column each (eventColumns).
func streamColumns(ctx context.Context, er *EventReader, fn func(b *eventColumns) error) error {
	if cr, ok := er.r.(*csvRows); ok {
		return streamCSV(ctx, er, cr, true, func(b *eventBlock) error { return fn(&b.cols) })
	}
	var bufs [3]*eventColumns
	for i := range bufs {
		bufs[i] = new(eventColumns)
	}
	return overlap(ctx, bufs, func(b *eventColumns) error { return er.readColumns(b, batchEvents) }, fn)
}

// streamRows is Stream reading the rows one after another. The reader
// stops at the first error, fn's included.
func streamRows(ctx context.Context, er *EventReader, fn func(batch []Event) error) error {
	type batch struct {
		ev []Event
		n  int
	}
	var bufs [3]*batch
	for i := range bufs {
		bufs[i] = &batch{ev: make([]Event, batchEvents)}
	}
	return overlap(ctx, bufs, func(b *batch) error {
		var err error
		b.n, err = er.Read(b.ev)
		return err
	}, func(b *batch) error { return fn(b.ev[:b.n]) })
}

// overlap fills the buffers with read on a goroutine, in turn, while fn
// works on the one filled before, in order. read returns io.EOF with the
// last buffer (which fn gets), or its error after what it filled; the
// reading stops at the first error, fn's or read's, which overlap returns.
func overlap[B any](ctx context.Context, bufs [3]B, read func(B) error, fn func(B) error) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	g, gctx := errgroup.WithContext(ctx)
	type filled struct {
		b   B
		err error
	}
	free := make(chan B, len(bufs))
	full := make(chan filled, len(bufs))
	for _, b := range bufs {
		free <- b
	}
	g.Go(func() error {
		defer close(full)
		for {
			if err := gctx.Err(); err != nil {
				return err
			}
			var b B
			select {
			case b = <-free:
			case <-gctx.Done():
				return gctx.Err()
			}
			err := read(b)
			full <- filled{b: b, err: err}
			if err != nil {
				return nil // the consumer reports it
			}
		}
	})
	var first error
	for f := range full {
		if first == nil {
			if err := ctx.Err(); err != nil {
				first = err
			} else if err := fn(f.b); err != nil {
				first = err
			} else if f.err != nil && f.err != io.EOF {
				first = f.err
			}
			if first != nil {
				stop()
			}
		}
		free <- f.b
	}
	if err := g.Wait(); err != nil && first == nil {
		first = err
	}
	return first
}

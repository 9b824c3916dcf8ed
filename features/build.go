package features

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

const dayNanos = int64(24 * time.Hour)

// MaxSnapshots bounds the dates of a snapshot table (ten years of weeks).
const MaxSnapshots = 522

// Config configures Build.
type Config struct {
	// Events is the events table. Required.
	Events Source
	// Profiles is the entities table, nil if none. Its attributes are joined
	// as they are, and data_quality measures how many are present.
	Profiles *Profiles
	// AsOf is the date the features describe: only events with ts < AsOf are
	// used. Exactly one of AsOf, Cutoffs and Snapshots is set.
	AsOf time.Time
	// Cutoffs asks for one row per cutoff row, each from its entity's events
	// before that row's ts.
	Cutoffs *Cutoffs
	// Snapshots asks for one row per entity and date, for every date
	// before which the entity has an event: a training table of the
	// population as it was on each date. At most MaxSnapshots dates.
	Snapshots []time.Time
	// Target, when set, says what the rows are for and is recorded in the
	// table. With Outcomes it also selects the rows: in snapshot mode
	// (conversion) the population's rows, each labelled (Target.Label)
	// from the deals known before OutcomesKnown, negatives sampled as
	// asked; in as-of mode the population alone.
	Target        *Target
	Outcomes      *Outcomes
	OutcomesKnown time.Time
	// Spec chooses types and windows; the zero value is the default set.
	Spec Spec
	// Rules, when set, adds rule_points, rule_points_<group> and
	// rule_awards, evaluated in the same pass over the events.
	Rules *RuleSet
	// AllEntities adds a row (zero counts) for each profile with no event
	// before the as-of date. As-of mode only.
	AllEntities bool
	// Dedupe skips exact duplicate events (same entity, time, type, value,
	// channel and properties). It holds a 64-bit fingerprint per distinct
	// event (about 40 bytes each); two different events whose fingerprints
	// collide, a chance of about n²/2⁶⁵ for n events, would be taken for
	// duplicates. Without it duplicates count as given.
	Dedupe bool
	// BadRows is the bad-row policy; nil fails on the first bad row.
	BadRows *BadRows
	// Logger receives one line per stage; nil discards.
	Logger *slog.Logger
	// Progress, when set, is called after each batch of events with the
	// number of event rows read so far.
	Progress func(rows int64)
}

// Validate checks the configuration and names the bad field.
func (c *Config) Validate() error {
	if c.Events.Path == "" {
		return errors.New("features: Config.Events.Path is empty")
	}
	modes := 0
	for _, set := range []bool{!c.AsOf.IsZero(), c.Cutoffs != nil, len(c.Snapshots) > 0} {
		if set {
			modes++
		}
	}
	if modes != 1 {
		return errors.New("features: set exactly one of Config.AsOf, Config.Cutoffs and Config.Snapshots")
	}
	if c.AllEntities && c.AsOf.IsZero() {
		return errors.New("features: Config.AllEntities applies to as-of mode only")
	}
	if !c.AsOf.IsZero() {
		if err := CheckTime(c.AsOf); err != nil {
			return fmt.Errorf("features: Config.AsOf: %w", err)
		}
	}
	if t := c.Target; t != nil {
		if err := t.Validate(); err != nil {
			return err
		}
	}
	if t := c.Target; len(c.Snapshots) > 0 && (t == nil || t.Kind != TargetConversion || c.Outcomes == nil || c.OutcomesKnown.IsZero()) {
		return errors.New("features: snapshot rows need a conversion Target with Outcomes and OutcomesKnown")
	}
	if len(c.Snapshots) > MaxSnapshots {
		return fmt.Errorf("features: Config.Snapshots: %d dates, at most %d", len(c.Snapshots), MaxSnapshots)
	}
	for _, s := range c.Snapshots {
		if err := CheckTime(s); err != nil {
			return fmt.Errorf("features: Config.Snapshots: %w", err)
		}
	}
	if p := c.Profiles; p != nil {
		for _, a := range c.Spec.Attributes {
			if p.Column(a) == nil {
				return fmt.Errorf("features: spec attribute %q is not a column of the entities table", a)
			}
		}
	}
	if rs := c.Rules; rs != nil && rs.eventRules() > MaxEventRules {
		return fmt.Errorf("features: Config.Rules: %d event rules, at most %d", rs.eventRules(), MaxEventRules)
	}
	return c.Spec.Validate()
}

// noTime stands for "no such event" where a time in unix nanoseconds is
// expected; every supported time is later.
const noTime = math.MinInt64

// stampOf maps a supported time (unix ns) to a positive number in the same
// order, so that zero-initialised per-row state can mean "none" (the epoch
// itself is a valid time). timeOfStamp inverts it.
func stampOf(ts int64) int64    { return ts - minNanos + 1 }
func timeOfStamp(s int64) int64 { return s + minNanos - 1 }

var minNanos = MinTime.UnixNano()

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && (a < 0) {
		q--
	}
	return q
}

// UTCDay returns the number of the UTC calendar date of t, counted from
// 1970-01-01 (day 0); earlier dates are negative.
func UTCDay(t time.Time) int64 { return floorDiv(t.Unix(), 86400) }

// Build computes a point-in-time feature table in one pass over the events.
// Only events with ts strictly before a row's moment (its as-of date,
// cutoff or snapshot date) count; later events are skipped, not errors.
//
// Feature definitions, for a row with as-of moment D, event type T and
// window W days (all times UTC, a day is 86,400 s):
//
//	{T}_count_{W}d      count of T events with D − W days ≤ ts < D
//	{T}_value_sum_{W}d  sum of their values (types that carry values)
//	{T}_days_since_last (D − latest ts of T) / 1 day; null when none
//	{T}_trend           (n₃₀ − n₃₀′) / (n₃₀′ + 1), where n₃₀ counts T in
//	                    the last 30 days and n₃₀′ in the 30 days before
//	events_total        count of events with ts < D
//	events_count_{W}d   count of events of any type with D − W days ≤ ts < D
//	tenure_days         (D − earliest ts) / 1 day
//	active_days_{30,90}d distinct UTC calendar dates of events in the window
//
// Entity attributes follow as they are, then data_quality (the share of
// attribute columns present for the entity) and missing_fields (their names,
// comma-separated). With rules, rule_points, rule_points_{group} and
// rule_awards (JSON, see AwardsJSON) close the table.
//
// In as-of mode rows are sorted by entity_id; in cutoff mode they keep the
// cutoff file's order; snapshot rows are sorted by date, then entity_id,
// with the target's label after ts.
//
// The events are read once and kept, compactly, in partitions by entity
// (see engine); each entity's rows are then computed from its events in
// time order, on every core. Memory grows with the events kept (about 40
// bytes each) and the output; BuildParquet holds a few row groups of the
// output instead of all of it. Values are added in time order, so the table
// is the same, to the last bit, whatever the order of the input file and
// the number of cores. Bad rows are handled by cfg.BadRows; the error is a
// *RowError or *SchemaError for bad input.
func Build(ctx context.Context, cfg Config) (*Table, error) {
	b, err := prepare(ctx, cfg)
	if err != nil {
		return nil, err
	}
	var t *Table
	n := len(b.rows)
	err = b.e.rowBatches(ctx, b.l, b.rows, max(n, 1), func(int) *rowsOut { return b.e.newRowsOut(b.l, n, false) }, func(_ int, rows []placed, out *rowsOut) error {
		t = b.e.batchTable(0, rows, out)
		return nil
	})
	if err != nil {
		return nil, err
	}
	t.Meta = b.meta
	b.log.Debug("rows computed", "rows", n, "duration", time.Since(b.placed).Round(time.Millisecond))
	b.done(t.NumRows(), len(t.Columns))
	return t, nil
}

// BuildParquet builds the table Build would and writes it to w as
// WriteParquet would, computing and writing one row group at a time, so
// that memory holds the events and a few row groups, not the table. The
// bytes are WriteParquet's but for one case: a text attribute whose
// distinct values hold more than 64 MiB is written without a dictionary
// (WriteParquet looks at the row groups, BuildParquet at the entities
// file). stamp, when set, may add to the table's metadata before the
// footer is written. It returns the table's shape.
func BuildParquet(ctx context.Context, cfg Config, w io.Writer, stamp func(meta map[string]string) error) (rows, columns int, err error) {
	bd, err := prepare(ctx, cfg)
	if err != nil {
		return 0, 0, err
	}
	e := bd.e
	// A batch of rows is computed while the previous is written; the
	// written batch's feature values make room for the next. A failed
	// write stops the computing (wctx) and drains the batches.
	type batch struct {
		t   *Table
		out *rowsOut
	}
	batches := make(chan batch)
	spare := make(chan *rowsOut, 1)
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	var pw *parquetWriter
	var g errgroup.Group
	g.Go(func() error {
		var err error
		for b := range batches {
			if err == nil {
				if err = writeBatch(&pw, w, b.t, e.textBytes); err != nil {
					stop()
				} else {
					select {
					case spare <- b.out:
					default:
					}
				}
			}
		}
		return err
	})
	cerr := e.rowBatches(wctx, bd.l, bd.rows, rowGroupRows, func(n int) *rowsOut {
		select {
		case out := <-spare:
			return out.reuse(n)
		default:
			return e.newRowsOut(bd.l, n, true)
		}
	}, func(lo int, rows []placed, out *rowsOut) error {
		batches <- batch{e.batchTable(lo, rows, out), out}
		return nil
	})
	close(batches)
	if err := cmp.Or(g.Wait(), cerr); err != nil {
		return 0, 0, err
	}
	columns = len(pw.shape.Columns)
	if stamp != nil {
		if err := stamp(bd.meta); err != nil {
			return 0, 0, err
		}
	}
	if err := pw.close(bd.meta); err != nil {
		return 0, 0, err
	}
	bd.log.Debug("rows computed and written", "rows", len(bd.rows), "duration", time.Since(bd.placed).Round(time.Millisecond))
	bd.done(len(bd.rows), columns)
	return len(bd.rows), columns, nil
}

// writeBatch writes a batch of rows to *pw, starting it at the first.
func writeBatch(pw **parquetWriter, w io.Writer, t *Table, textBytes func(*Column) int) error {
	if *pw == nil {
		var err error
		if *pw, err = newParquetWriter(w, t, textBytes); err != nil {
			return err
		}
	}
	return (*pw).write(t)
}

// built is a Build whose events are read and grouped and whose rows are
// placed: what is left is computing them.
type built struct {
	e      *engine
	l      *layout
	rows   []placed
	meta   map[string]string
	start  time.Time
	placed time.Time // when prepare ended
	log    *slog.Logger
}

// prepare reads the events, groups them, decides the columns and places
// the rows.
func prepare(ctx context.Context, cfg Config) (*built, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b := &built{start: time.Now(), log: cfg.Logger}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	e := newEngine(&cfg)
	// Each phase's wall time goes to the debug log, for whoever asks
	// where a run's time went.
	phase := time.Now()
	if err := e.ingest(ctx); err != nil {
		return nil, err
	}
	b.log.Debug("events read", "rows_read", e.read, "duration", time.Since(phase).Round(time.Millisecond))
	if err := e.checkMoments(); err != nil {
		return nil, err
	}
	if err := e.checkTested(b.log); err != nil {
		return nil, err
	}
	e.remap = e.sortTypes()
	phase = time.Now()
	if err := e.each(ctx, func(p *partition) error { e.group(p); return nil }); err != nil {
		return nil, err
	}
	if b.log.Enabled(ctx, slog.LevelDebug) {
		entities := 0
		for k := range e.parts {
			entities += len(e.parts[k].ids)
		}
		b.log.Debug("events grouped by entity", "entities", entities, "duration", time.Since(phase).Round(time.Millisecond))
	}
	l, err := e.resolveTypes(e.totals())
	if err != nil {
		return nil, err
	}
	e.attrs = e.joinAttributes()
	b.meta, err = e.tableMeta(l)
	if err != nil {
		return nil, err
	}
	phase = time.Now()
	if b.rows, err = e.place(b.log); err != nil {
		return nil, err
	}
	b.placed = time.Now()
	b.log.Debug("rows placed", "rows", len(b.rows), "duration", b.placed.Sub(phase).Round(time.Millisecond))
	b.e, b.l = e, l
	e.moments = nil // the placed rows hold the cutoffs now
	return b, nil
}

// done logs what the Build did.
func (b *built) done(rows, columns int) {
	e, l := b.e, b.l
	b.log.Info("features built", "rows_read", e.read, "events_used", l.used, "events_after_as_of", e.late, "duplicates_skipped", l.dups,
		"bad_rows", e.cfg.BadRows.Count(), "rows", rows, "columns", columns, "event_types", len(e.typeNames),
		"duration", time.Since(b.start).Round(time.Millisecond))
}

// newRowsOut makes room for n rows' feature and rule values, with counts
// as int32 when asked (for a table written as it is computed, whose
// columns go to the writer alone).
func (e *engine) newRowsOut(l *layout, n int, counts bool) *rowsOut {
	out := &rowsOut{cols: e.columns(l, n, counts), done: make([]bool, n)}
	if rs := e.rs; rs != nil {
		out.total, out.awards = make([]float64, n), make([]string, n)
		out.groups = make([][]float64, len(rs.Groups))
		for g := range out.groups {
			out.groups[g] = make([]float64, n)
		}
	}
	return out
}

// reuse readies out, made for at least n rows, for n more.
func (out *rowsOut) reuse(n int) *rowsOut {
	for c := range out.cols {
		if out.cols[c].n != nil {
			out.cols[c].n = out.cols[c].n[:n]
		} else {
			out.cols[c].v = out.cols[c].v[:n]
		}
	}
	if out.total != nil {
		out.total, out.awards = out.total[:n], out.awards[:n]
		for g := range out.groups {
			out.groups[g] = out.groups[g][:n]
		}
	}
	out.done = out.done[:n]
	clear(out.done)
	return out
}

// batchTable makes the table of computed rows, rows[0] being row lo of
// the whole: the key columns, the features, the attributes and the rule
// columns, without metadata.
func (e *engine) batchTable(lo int, rows []placed, out *rowsOut) *Table {
	t := &Table{}
	ids := make([]string, len(rows))
	ts := make([]time.Time, len(rows))
	for i, r := range rows {
		ids[i], ts[i] = e.rowID(r), timeOf(r.d)
	}
	t.Columns = append(t.Columns, Column{Name: "entity_id", Kind: KindString, Str: ids}, Column{Name: "ts", Kind: KindTime, Time: ts})
	switch c := e.cfg.Cutoffs; {
	case c != nil:
		for _, col := range c.Extra {
			t.Columns = append(t.Columns, col.slice(lo, lo+len(rows)))
		}
	case e.snapshots != nil:
		label := make([]bool, len(rows))
		for i, r := range rows {
			label[i] = r.label
		}
		t.Columns = append(t.Columns, Column{Name: e.cfg.Target.Label(), Kind: KindBool, Bool: label})
	}
	for _, c := range out.cols {
		t.Columns = append(t.Columns, Column{Name: c.name, Kind: KindFloat, Required: c.kind.total(), Float: c.v, counts: c.n})
	}
	e.attrs.columns(t, e, rows)
	if rs := e.rs; rs != nil {
		t.Columns = append(t.Columns, Column{Name: "rule_points", Kind: KindFloat, Required: true, Float: out.total})
		for g, grp := range rs.Groups {
			t.Columns = append(t.Columns, Column{Name: "rule_points_" + grp.Name, Kind: KindFloat, Required: true, Float: out.groups[g]})
		}
		t.Columns = append(t.Columns, Column{Name: "rule_awards", Kind: KindString, Str: out.awards})
	}
	return t
}

// joinDates lists dates in RFC 3339, comma-separated.
func joinDates(dates []time.Time) string {
	s := make([]string, len(dates))
	for i, d := range dates {
		s[i] = d.UTC().Format(time.RFC3339)
	}
	return strings.Join(s, ",")
}

// tableMeta returns the table's metadata, once its columns are known, and
// checks their names.
func (e *engine) tableMeta(l *layout) (map[string]string, error) {
	out := e.newRowsOut(l, 0, false)
	t := e.batchTable(0, nil, out)
	if err := e.checkNames(t.Columns[:e.keyColumns()+len(out.cols)]); err != nil {
		return nil, err
	}
	meta := map[string]string{}
	var passthrough []string
	switch c := e.cfg.Cutoffs; {
	case c != nil:
		for _, col := range c.Extra {
			passthrough = append(passthrough, col.Name)
		}
		meta[MetaCutoffs] = filepath.Base(c.Source)
		if len(c.Snapshots) > 0 {
			meta[MetaSnapshots] = joinDates(c.Snapshots)
			meta[MetaOutcomesKnown] = c.Known.UTC().Format(time.RFC3339)
		}
	case e.snapshots != nil:
		dates := make([]time.Time, len(e.snapshots))
		for i, s := range e.snapshots {
			dates[i] = timeOf(s)
		}
		meta[MetaSnapshots] = joinDates(dates)
		passthrough = append(passthrough, e.cfg.Target.Label())
		meta[MetaOutcomesKnown] = e.cfg.OutcomesKnown.UTC().Format(time.RFC3339)
	default:
		meta[MetaAsOf] = e.cfg.AsOf.UTC().Format(time.RFC3339)
	}
	if tg := e.cfg.Target; tg != nil {
		b, _ := json.Marshal(tg) // plain data: cannot fail
		meta[MetaTarget] = string(b)
	}
	meta[MetaPassthrough] = strings.Join(passthrough, ",")

	desc := make(map[string]Descriptor, len(out.cols))
	for _, c := range out.cols {
		desc[c.name] = c.desc
	}
	meta[MetaAttributes] = ""
	if a := e.attrs; a != nil {
		var names []string
		for _, col := range a.cols {
			names = append(names, col.Name)
			desc[col.Name] = Descriptor{Agg: AggAttribute}
		}
		desc["data_quality"] = Descriptor{Agg: AggDataQuality}
		meta[MetaAttributes] = strings.Join(names, ",")
	}
	if rs := e.rs; rs != nil {
		meta[MetaRulesMaxTotal] = formatTotal(rs.MaxTotal())
	}
	descJSON, _ := json.Marshal(desc) // plain data: cannot fail
	meta[MetaFeatures] = string(descJSON)
	meta[MetaNewestEvent] = "" // no event: an events file without a row
	if e.newest != noTime {
		meta[MetaNewestEvent] = timeOf(e.newest).Format(time.RFC3339Nano)
	}
	e.resolvedSpec(meta, l)
	if e.cfg.Dedupe {
		meta[MetaDuplicatesSkipped] = strconv.FormatInt(l.dups, 10)
	}
	return meta, nil
}

// keyColumns is the number of columns before the features: entity_id, ts
// and a cutoff file's other columns or the snapshots' label.
func (e *engine) keyColumns() int {
	switch {
	case e.cfg.Cutoffs != nil:
		return 2 + len(e.cfg.Cutoffs.Extra)
	case e.snapshots != nil:
		return 3
	}
	return 2
}

// resolvedSpec records the spec this Build applied: the types and value
// types it made columns for (after top-K pooling), which a scoring run
// must rebuild, and the spec's hash.
func (e *engine) resolvedSpec(meta map[string]string, l *layout) {
	var valueTypes []string
	for s, name := range l.names {
		if l.valued[s] {
			valueTypes = append(valueTypes, name)
		}
	}
	meta[MetaSpecHash] = e.spec.Hash()
	res := e.spec.normalized()
	res.Types, res.ValueTypes, res.TopTypes, res.Other = slices.Clone(l.names[:l.nTypes]), valueTypes, 0, l.other
	if res.Other {
		res.Types = slices.DeleteFunc(res.Types, func(s string) bool { return s == "other" })
	}
	if res.Types == nil {
		res.Types = []string{}
	}
	resJSON, _ := json.Marshal(res) // plain data: cannot fail
	meta[MetaSpec] = string(resJSON)
}

// attrJoin is the entity attributes a table joins, with each profile's
// data_quality and missing_fields worked out once.
type attrJoin struct {
	p       *Profiles
	cols    []Column  // the attribute columns the spec keeps
	quality []float64 // per profile row, then one for an entity without a profile
	missing []string  // likewise
}

// joinAttributes prepares the attributes the spec keeps; nil without
// profiles.
func (e *engine) joinAttributes() *attrJoin {
	p := e.cfg.Profiles
	if p == nil {
		return nil
	}
	a := &attrJoin{p: p}
	for _, col := range p.Columns {
		if e.spec.Attributes == nil || slices.Contains(e.spec.Attributes, col.Name) {
			a.cols = append(a.cols, col)
		}
	}
	n := len(p.IDs)
	a.quality, a.missing = make([]float64, n+1), make([]string, n+1)
	var miss []string
	for row := range n + 1 {
		miss = miss[:0]
		for _, col := range a.cols {
			if row == n || col.IsNull(row) {
				miss = append(miss, col.Name)
			}
		}
		a.quality[row] = 1
		if len(a.cols) > 0 {
			a.quality[row] = 1 - float64(len(miss))/float64(len(a.cols))
		}
		a.missing[row] = strings.Join(miss, ",")
	}
	return a
}

// columns adds the attributes of the rows' entities, then data_quality
// and missing_fields.
func (a *attrJoin) columns(t *Table, e *engine, rows []placed) {
	if a == nil {
		return
	}
	n := len(rows)
	prow := make([]int, n)
	none := len(a.p.IDs)
	for j, r := range rows {
		if prow[j] = e.profileRow(r); prow[j] < 0 {
			prow[j] = none
		}
	}
	for _, col := range a.cols {
		out := Column{Name: col.Name, Kind: col.Kind}
		switch col.Kind {
		case KindFloat:
			out.Float = make([]float64, n)
		case KindTime:
			out.Time = make([]time.Time, n)
		default:
			out.Str = make([]string, n)
		}
		for j, pr := range prow {
			switch {
			case col.Kind == KindFloat && pr == none:
				out.Float[j] = math.NaN()
			case col.Kind == KindFloat:
				out.Float[j] = col.Float[pr]
			case pr == none: // the zero time and "" are missing
			case col.Kind == KindTime:
				out.Time[j] = col.Time[pr]
			default:
				out.Str[j] = col.Str[pr]
			}
		}
		t.Columns = append(t.Columns, out)
	}
	dq := make([]float64, n)
	missing := make([]string, n)
	for j, pr := range prow {
		dq[j], missing[j] = a.quality[pr], a.missing[pr]
	}
	t.Columns = append(t.Columns, Column{Name: "data_quality", Kind: KindFloat, Float: dq},
		Column{Name: "missing_fields", Kind: KindString, Str: missing})
}

// textBytes bounds the bytes of the distinct values of a text column of
// the table, as a Parquet chunk's dictionary holds them: an attribute's or
// missing_fields' from the profiles, a cutoff file's column from its
// largest row group, entity_id and rule_awards (never dictionary-encoded)
// none.
func (e *engine) textBytes(c *Column) int {
	if a := e.attrs; a != nil {
		if c.Name == "missing_fields" {
			return distinctBytes(a.missing)
		}
		for i := range a.cols {
			if a.cols[i].Name == c.Name {
				return distinctBytes(a.cols[i].Str)
			}
		}
	}
	if cut := e.cfg.Cutoffs; cut != nil {
		for i := range cut.Extra {
			if cut.Extra[i].Name == c.Name {
				return cut.Extra[i].textChunkBytes()
			}
		}
	}
	return 0
}

// checkNames refuses a table two of whose columns would share a name: an
// entity attribute or a cutoff file's column named like a feature or like
// each other, or two event types that give the same column name. cols are
// the key columns (see keyColumns) and the features; the attribute and
// rule columns follow them.
func (e *engine) checkNames(cols []Column) error {
	passEnd := e.keyColumns()
	type named struct{ name, from string }
	var all []named
	for i, c := range cols {
		from := "a generated feature"
		if i >= 2 && i < passEnd {
			from = "the label column"
			if e.cfg.Cutoffs != nil {
				from = "a column of " + e.cfg.Cutoffs.Source
			}
		}
		all = append(all, named{c.Name, from})
	}
	if p := e.cfg.Profiles; p != nil {
		for _, c := range p.Columns {
			if e.cfg.Spec.Attributes == nil || slices.Contains(e.cfg.Spec.Attributes, c.Name) {
				all = append(all, named{c.Name, "a column of " + p.Source})
			}
		}
		all = append(all, named{"data_quality", "a generated feature"}, named{"missing_fields", "a generated feature"})
	}
	if rs := e.cfg.Rules; rs != nil {
		all = append(all, named{"rule_points", "a rule column"}, named{"rule_awards", "a rule column"})
		for _, g := range rs.Groups {
			all = append(all, named{"rule_points_" + g.Name, "a rule column"})
		}
	}
	seen := make(map[string]string, len(all))
	for _, c := range all {
		if from, dup := seen[c.name]; dup {
			if from == c.from {
				return &SchemaError{Path: e.cfg.Events.Path, Err: fmt.Errorf("the column %q is generated twice: an event type named like a built-in feature gives it (column names keep only a-z, 0-9 and _); read the type as another with --rename-type (rename_types: in pipeline.yaml)", c.name)}
			}
			return &SchemaError{Path: e.cfg.Events.Path, Err: fmt.Errorf("column %q would be both %s and %s: rename one of them", c.name, from, c.from)}
		}
		seen[c.name] = c.from
	}
	return nil
}

// columnName makes an event type usable in a column name: lower case, with
// runs of other characters than a-z and 0-9 turned into one underscore.
func columnName(s string) string {
	var sb strings.Builder
	under := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			sb.WriteRune(r)
			under = false
		} else if !under && sb.Len() > 0 {
			sb.WriteByte('_')
			under = true
		}
	}
	out := strings.TrimRight(sb.String(), "_")
	if out == "" {
		return "type"
	}
	return out
}

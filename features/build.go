package features

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
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
		if len(c.Snapshots) > 0 && (t.Kind != TargetConversion || c.Outcomes == nil || c.OutcomesKnown.IsZero()) {
			return errors.New("features: snapshot rows need a conversion Target with Outcomes and OutcomesKnown")
		}
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
// bytes each) and the output. Values are added in time order, so the table
// is the same, to the last bit, whatever the order of the input file and
// the number of cores. Bad rows are handled by cfg.BadRows; the error is a
// *RowError or *SchemaError for bad input.
func Build(ctx context.Context, cfg Config) (*Table, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	start := time.Now()
	e := newEngine(&cfg)
	if err := e.ingest(ctx); err != nil {
		return nil, err
	}
	e.remap = e.sortTypes()
	if err := e.each(ctx, func(p *partition) error { e.group(p); return nil }); err != nil {
		return nil, err
	}
	l, err := e.resolveTypes(e.totals())
	if err != nil {
		return nil, err
	}
	rows := e.place()
	t, out, err := e.newTable(l, rows)
	if err != nil {
		return nil, err
	}
	if err := e.computeRows(ctx, l, rows, out); err != nil {
		return nil, err
	}
	e.finish(t, l, out)
	log.Info("features built", "rows_read", e.read, "events_used", l.used, "events_after_as_of", e.late, "duplicates_skipped", l.dups,
		"bad_rows", cfg.BadRows.Count(), "rows", t.NumRows(), "columns", len(t.Columns), "event_types", len(e.typeNames),
		"duration", time.Since(start).Round(time.Millisecond))
	return t, nil
}

// newTable starts the table of the placed rows: the key columns, then the
// feature columns of layout l (in out, to be computed).
func (e *engine) newTable(l *layout, rows []placed) (*Table, *rowsOut, error) {
	t := &Table{Meta: map[string]string{}}
	passEnd := e.keyColumns(t, rows)
	out := &rowsOut{cols: e.columns(l, len(rows)), done: make([]bool, len(rows))}
	for _, c := range out.cols {
		t.Columns = append(t.Columns, Column{Name: c.name, Kind: KindFloat, Float: c.v})
	}
	if err := e.checkNames(t.Columns, passEnd); err != nil {
		return nil, nil, err
	}
	if rs := e.rs; rs != nil {
		out.total, out.awards = make([]float64, len(rows)), make([]string, len(rows))
		out.groups = make([][]float64, len(rs.Groups))
		for g := range out.groups {
			out.groups[g] = make([]float64, len(rows))
		}
	}
	return t, out, nil
}

// finish closes the table once its rows are computed: the attributes, the
// rule columns and the metadata.
func (e *engine) finish(t *Table, l *layout, out *rowsOut) {
	desc := make(map[string]Descriptor, len(out.cols))
	for _, c := range out.cols {
		desc[c.name] = c.desc
	}
	e.attributeColumns(t, t.Columns[0].Str, desc)
	if rs := e.rs; rs != nil {
		t.Columns = append(t.Columns, Column{Name: "rule_points", Kind: KindFloat, Float: out.total})
		for g, grp := range rs.Groups {
			t.Columns = append(t.Columns, Column{Name: "rule_points_" + grp.Name, Kind: KindFloat, Float: out.groups[g]})
		}
		t.Columns = append(t.Columns, Column{Name: "rule_awards", Kind: KindString, Str: out.awards})
		t.Meta[MetaRulesMaxTotal] = formatTotal(rs.MaxTotal())
	}
	descJSON, _ := json.Marshal(desc) // plain data: cannot fail
	t.Meta[MetaFeatures] = string(descJSON)
	if e.newest != noTime {
		t.Meta[MetaNewestEvent] = timeOf(e.newest).Format(time.RFC3339Nano)
	}
	e.resolvedSpec(t, l)
	if e.cfg.Dedupe {
		t.Meta[MetaDuplicatesSkipped] = strconv.FormatInt(l.dups, 10)
	}
}

// keyColumns adds entity_id, ts (the row's moment) and a cutoff file's
// other columns; it returns where they end.
func (e *engine) keyColumns(t *Table, rows []placed) int {
	ids := make([]string, len(rows))
	ts := make([]time.Time, len(rows))
	for i, r := range rows {
		ids[i], ts[i] = r.id, timeOf(r.d)
	}
	t.Columns = append(t.Columns, Column{Name: "entity_id", Kind: KindString, Str: ids}, Column{Name: "ts", Kind: KindTime, Time: ts})
	var passthrough []string
	switch c := e.cfg.Cutoffs; {
	case c != nil:
		for _, col := range c.Extra {
			t.Columns = append(t.Columns, col)
			passthrough = append(passthrough, col.Name)
		}
		t.Meta[MetaCutoffs] = filepath.Base(c.Source)
	case e.snapshots != nil:
		dates := make([]string, len(e.snapshots))
		for i, s := range e.snapshots {
			dates[i] = timeOf(s).Format(time.RFC3339)
		}
		t.Meta[MetaSnapshots] = strings.Join(dates, ",")
		label := make([]bool, len(rows))
		for i, r := range rows {
			label[i] = r.label
		}
		t.Columns = append(t.Columns, Column{Name: e.cfg.Target.Label(), Kind: KindBool, Bool: label})
		passthrough = append(passthrough, e.cfg.Target.Label())
		t.Meta[MetaOutcomesKnown] = e.cfg.OutcomesKnown.UTC().Format(time.RFC3339)
	default:
		t.Meta[MetaAsOf] = e.cfg.AsOf.UTC().Format(time.RFC3339)
	}
	if tg := e.cfg.Target; tg != nil {
		b, _ := json.Marshal(tg) // plain data: cannot fail
		t.Meta[MetaTarget] = string(b)
	}
	t.Meta[MetaPassthrough] = strings.Join(passthrough, ",")
	return len(t.Columns)
}

// resolvedSpec records the spec this Build applied: the types and value
// types it made columns for (after top-K pooling), which a scoring run
// must rebuild, and the spec's hash.
func (e *engine) resolvedSpec(t *Table, l *layout) {
	var valueTypes []string
	for s, name := range l.names {
		if l.valued[s] {
			valueTypes = append(valueTypes, name)
		}
	}
	t.Meta[MetaSpecHash] = e.spec.Hash()
	res := e.spec.normalized()
	res.Types, res.ValueTypes, res.TopTypes, res.Other = slices.Clone(l.names[:l.nTypes]), valueTypes, 0, l.other
	if res.Other {
		res.Types = slices.DeleteFunc(res.Types, func(s string) bool { return s == "other" })
	}
	if res.Types == nil {
		res.Types = []string{}
	}
	resJSON, _ := json.Marshal(res) // plain data: cannot fail
	t.Meta[MetaSpec] = string(resJSON)
}

// attributeColumns joins the entity attributes the spec keeps, then
// data_quality and missing_fields.
func (e *engine) attributeColumns(t *Table, ids []string, desc map[string]Descriptor) {
	p := e.cfg.Profiles
	if p == nil {
		t.Meta[MetaAttributes] = ""
		return
	}
	n := len(ids)
	prow := make([]int, n)
	for j, id := range ids {
		prow[j] = p.Row(id)
	}
	var cols []Column
	var attrs []string
	for _, col := range p.Columns {
		if e.spec.Attributes == nil || slices.Contains(e.spec.Attributes, col.Name) {
			cols = append(cols, col)
		}
	}
	for _, col := range cols {
		attrs = append(attrs, col.Name)
		desc[col.Name] = Descriptor{Agg: AggAttribute}
		out := Column{Name: col.Name, Kind: col.Kind}
		if col.Kind == KindFloat {
			out.Float = make([]float64, n)
		} else {
			out.Str = make([]string, n)
		}
		for j, pr := range prow {
			switch {
			case col.Kind == KindFloat && pr < 0:
				out.Float[j] = math.NaN()
			case col.Kind == KindFloat:
				out.Float[j] = col.Float[pr]
			case pr >= 0:
				out.Str[j] = col.Str[pr]
			}
		}
		t.Columns = append(t.Columns, out)
	}
	dq := make([]float64, n)
	missing := make([]string, n)
	for j, pr := range prow {
		var miss []string
		for _, col := range cols {
			if pr < 0 || col.IsNull(pr) {
				miss = append(miss, col.Name)
			}
		}
		if len(cols) > 0 {
			dq[j] = 1 - float64(len(miss))/float64(len(cols))
		} else {
			dq[j] = 1
		}
		missing[j] = strings.Join(miss, ",")
	}
	desc["data_quality"] = Descriptor{Agg: AggDataQuality}
	t.Columns = append(t.Columns, Column{Name: "data_quality", Kind: KindFloat, Float: dq},
		Column{Name: "missing_fields", Kind: KindString, Str: missing})
	t.Meta[MetaAttributes] = strings.Join(attrs, ",")
}

// checkNames refuses a table two of whose columns would share a name: an
// entity attribute or a cutoff file's column named like a feature or like
// each other, or two event types that give the same column name. cols are
// the fixed and cutoff columns (the first passEnd) and the features; the
// attribute and rule columns follow them.
func (e *engine) checkNames(cols []Column, passEnd int) error {
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
				return &SchemaError{Path: e.cfg.Events.Path, Err: fmt.Errorf("the column %q is generated twice: two event types, or a type named like a built-in feature, give it (column names keep only a-z, 0-9 and _); rename the type", c.name)}
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

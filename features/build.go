package features

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/bits"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

const dayNanos = int64(24 * time.Hour)

// Config configures Build.
type Config struct {
	// Events is the events table. Required.
	Events Source
	// Profiles is the entities table, nil if none. Its attributes are joined
	// as they are, and data_quality measures how many are present.
	Profiles *Profiles
	// AsOf is the date the features describe: only events with ts < AsOf are
	// used. Exactly one of AsOf and Cutoffs is set.
	AsOf time.Time
	// Cutoffs asks for one row per cutoff row, each from its entity's events
	// before that row's ts.
	Cutoffs *Cutoffs
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
	if c.AsOf.IsZero() == (c.Cutoffs == nil) {
		return errors.New("features: set exactly one of Config.AsOf and Config.Cutoffs")
	}
	if c.AllEntities && c.Cutoffs != nil {
		return errors.New("features: Config.AllEntities applies to as-of mode only")
	}
	if !c.AsOf.IsZero() {
		if err := CheckTime(c.AsOf); err != nil {
			return fmt.Errorf("features: Config.AsOf: %w", err)
		}
	}
	return c.Spec.Validate()
}

// builder holds the state of one Build call. State is kept column-wise:
// one flat slice per quantity, indexed by output row (and window), so the
// garbage collector has no per-row pointers to trace and adding a row
// copies nothing. Memory is O(rows × types × windows), never O(events).
type builder struct {
	cfg      *Config
	win      []int64 // windows in ns
	nw       int
	dOff     []int // distinct_days: first bitset word of each window
	dw       int   // distinct_days: bitset words per row
	asOfMode bool

	types map[string]int
	names []string
	ts    []*typeState
	other int // the pooled type's id, −1 if none
	// derived holds the aggregates of Spec.Derived, in spec order; they
	// are never pooled.
	derived []*typeState

	// Per row.
	ids   []string
	d     []int64 // as-of, unix ns (exclusive)
	dDay  []int64 // UTC day number of d
	first []int64
	last  []int64
	n     []int64
	nWin  []int32  // [row][window] events of any type
	act30 []uint64 // bit k: an event on day dDay−k within 30 days
	act90 []uint64 // [row][2]: the same within 90 days
	rules []ruleRow

	tooManyTypes bool // types: all met more than MaxTypes types

	ruleByType []ruleIndex      // per type id: the rules it feeds (cached)
	ruleSeen   []bool           // per type id: ruleByType is set
	index      map[string]int32 // entity → its (first) row
	next       []int32          // cutoff mode: the entity's next row, −1 at the end
}

// typeState holds one event type's aggregates for every row.
type typeState struct {
	cnt      rowStore[int32]   // [row][window]
	sum      rowStore[float64] // [row][window]; off until the type has a value
	vcnt     rowStore[int32]   // [row][window] events with a value; with sum
	vmax     rowStore[float64] // [row][window] largest value; with sum, for max
	days     rowStore[uint64]  // [row][dw] distinct_days bitsets; off unless asked
	lastT    rowStore[int64]   // [row]: the latest ts as a stamp (stampOf), 0 if none
	prev30   rowStore[int32]   // [row]: events with 30 d < age ≤ 60 d
	total    int64             // events of the type (all rows), for top-K
	hasValue bool
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

func (b *builder) newRow(id string, d time.Time) int32 {
	ns := d.UnixNano()
	r := int32(len(b.ids))
	// The id may point into a reader's buffer (an Arrow batch, a CSV
	// record); copy it so that the row does not keep that buffer alive.
	b.ids = append(b.ids, strings.Clone(id))
	b.d = append(b.d, ns)
	b.dDay = append(b.dDay, floorDiv(ns, dayNanos))
	b.first = append(b.first, 0)
	b.last = append(b.last, 0)
	b.n = append(b.n, 0)
	b.act30 = append(b.act30, 0)
	b.act90 = append(b.act90, 0, 0)
	for range b.nw {
		b.nWin = append(b.nWin, 0)
	}
	if b.cfg.Rules != nil {
		b.rules = append(b.rules, ruleRow{})
	}
	for _, t := range b.ts {
		b.grow(t)
	}
	for _, t := range b.derived {
		b.grow(t)
	}
	return r
}

// reserve makes room for n rows, so that adding them copies nothing.
func (b *builder) reserve(n int) {
	b.ids = slices.Grow(b.ids, n)
	b.d, b.dDay = slices.Grow(b.d, n), slices.Grow(b.dDay, n)
	b.first, b.last, b.n = slices.Grow(b.first, n), slices.Grow(b.last, n), slices.Grow(b.n, n)
	b.nWin = slices.Grow(b.nWin, n*b.nw)
	b.act30, b.act90 = slices.Grow(b.act30, n), slices.Grow(b.act90, 2*n)
	if b.cfg.Rules != nil {
		b.rules = slices.Grow(b.rules, n)
	}
}

// grow extends a type's slices to the current number of rows.
func (b *builder) grow(t *typeState) {
	rows := len(b.ids)
	if rows <= len(t.lastT.pages)<<storeShift {
		return
	}
	t.cnt.grow(rows)
	t.sum.grow(rows)
	t.vcnt.grow(rows)
	t.vmax.grow(rows)
	t.days.grow(rows)
	t.lastT.grow(rows)
	t.prev30.grow(rows)
}

// typeID returns the id of an event type: its own, the pooled "other"'s,
// or −1 when the spec gives it no columns.
func (b *builder) typeID(t string) int {
	if id, ok := b.types[t]; ok {
		return id
	}
	if b.cfg.Spec.Types != nil {
		return b.other
	}
	if len(b.names) >= MaxTypes {
		b.tooManyTypes = true
		return -1
	}
	return b.addType(t)
}

func (b *builder) addType(name string) int {
	id := len(b.names)
	name = strings.Clone(name)
	b.types[name] = id
	b.names = append(b.names, name)
	b.ts = append(b.ts, b.newTypeState())
	return id
}

func (b *builder) newTypeState() *typeState {
	t := &typeState{cnt: rowStore[int32]{per: b.nw}, lastT: rowStore[int64]{per: 1}, prev30: rowStore[int32]{per: 1}}
	if b.cfg.Spec.has("distinct_days") {
		t.days.per = b.dw
	}
	b.grow(t)
	return t
}

// markValued records that a type carries values and gives it value slices.
func (b *builder) markValued(t *typeState) {
	t.hasValue = true
	if !t.sum.on() {
		rows := len(t.lastT.pages) << storeShift
		t.sum = newRowStore[float64](b.nw, rows)
		t.vcnt = newRowStore[int32](b.nw, rows)
		if b.cfg.Spec.has("max") {
			t.vmax = newRowStore[float64](b.nw, rows)
		}
	}
}

// ruleIdx returns the rules an event type feeds, cached by type id. Types
// without an id of their own (left out, or pooled into "other" with
// others) are looked up each time.
func (b *builder) ruleIdx(tid int, typ string) ruleIndex {
	if tid < 0 || b.names[tid] != typ {
		return b.cfg.Rules.indexFor(typ)
	}
	if tid >= len(b.ruleSeen) {
		b.ruleByType = append(b.ruleByType, make([]ruleIndex, tid+1-len(b.ruleByType))...)
		b.ruleSeen = append(b.ruleSeen, make([]bool, tid+1-len(b.ruleSeen))...)
	}
	if !b.ruleSeen[tid] {
		b.ruleByType[tid], b.ruleSeen[tid] = b.cfg.Rules.indexFor(typ), true
	}
	return b.ruleByType[tid]
}

// add folds one event into row r; events at or after the row's as-of date
// are ignored. tid is −1 for types without columns.
func (b *builder) add(r int32, e *Event, ts int64, tid int) {
	d := b.d[r]
	if ts >= d {
		return
	}
	if b.n[r] == 0 || ts < b.first[r] {
		b.first[r] = ts
	}
	if b.n[r] == 0 || ts > b.last[r] {
		b.last[r] = ts
	}
	b.n[r]++
	age := d - ts
	nw := b.nw
	base := int(r) * nw
	for w, wn := range b.win {
		if age <= wn {
			b.nWin[base+w]++
		}
	}
	k := b.dDay[r] - floorDiv(ts, dayNanos) // days back, 0 = D's date
	if age <= 90*dayNanos {
		b.act90[2*int(r)+int(k/64)] |= 1 << (k % 64)
		if age <= 30*dayNanos {
			b.act30[r] |= 1 << k
		}
	}
	if rs := b.cfg.Rules; rs != nil {
		ix := b.ruleIdx(tid, e.Type)
		if len(ix.event)+len(ix.inactive) > 0 {
			rs.addIndexed(&b.rules[r], ix, e, ts, time.Unix(0, d).UTC())
		}
	}
	if tid >= 0 {
		b.addTyped(b.ts[tid], r, e, ts, age, k)
	}
	for i := range b.cfg.Spec.Derived {
		if b.cfg.Spec.Derived[i].matches(e) {
			b.addTyped(b.derived[i], r, e, ts, age, k)
		}
	}
}

// addTyped folds event e, age before row r's as-of moment and k days
// back, into the aggregates of one type.
func (b *builder) addTyped(t *typeState, r int32, e *Event, ts, age, k int64) {
	cnt := t.cnt.row(int(r))
	for w, wn := range b.win {
		if age <= wn {
			cnt[w]++
		}
	}
	if e.HasValue && t.sum.on() {
		sum, vcnt := t.sum.row(int(r)), t.vcnt.row(int(r))
		var vmax []float64
		if t.vmax.on() {
			vmax = t.vmax.row(int(r))
		}
		for w, wn := range b.win {
			if age <= wn {
				if vmax != nil && (vcnt[w] == 0 || e.Value > vmax[w]) {
					vmax[w] = e.Value
				}
				sum[w] += e.Value
				vcnt[w]++
			}
		}
	}
	if t.days.on() {
		days := t.days.row(int(r))
		for w, wn := range b.win {
			if age <= wn {
				days[b.dOff[w]+int(k/64)] |= 1 << (k % 64)
			}
		}
	}
	if age > 30*dayNanos && age <= 60*dayNanos {
		*t.prev30.at(int(r))++
	}
	if last := t.lastT.at(int(r)); stampOf(ts) > *last {
		*last = stampOf(ts)
	}
}

// pool merges the types not among the top k (by event count, ties by name)
// into one type named "other". Every aggregate merges exactly: counts and
// sums add, maxima and last times take the largest, day sets unite.
func (b *builder) pool(k int) {
	if len(b.names) <= k {
		return
	}
	order := slices.Clone(b.names)
	slices.SortFunc(order, func(x, y string) int {
		tx, ty := b.ts[b.types[x]].total, b.ts[b.types[y]].total
		if tx != ty {
			if tx > ty {
				return -1
			}
			return 1
		}
		return strings.Compare(x, y)
	})
	o := b.newTypeState()
	for _, name := range order[k:] {
		t := b.ts[b.types[name]]
		o.total += t.total
		o.cnt.merge(&t.cnt, func(d *int32, v int32) { *d += v })
		if t.sum.on() {
			b.markValued(o)
			if t.vmax.on() {
				for p, page := range t.vmax.pages {
					tv, ov, oc := t.vcnt.pages[p], o.vmax.pages[p], o.vcnt.pages[p]
					for i, v := range page {
						if tv[i] > 0 && (oc[i] == 0 || v > ov[i]) {
							ov[i] = v
						}
					}
				}
			}
			o.sum.merge(&t.sum, func(d *float64, v float64) { *d += v })
			o.vcnt.merge(&t.vcnt, func(d *int32, v int32) { *d += v })
		}
		o.days.merge(&t.days, func(d *uint64, v uint64) { *d |= v })
		o.lastT.merge(&t.lastT, func(d *int64, v int64) { *d = max(*d, v) })
		o.prev30.merge(&t.prev30, func(d *int32, v int32) { *d += v })
	}
	keep := order[:k]
	slices.Sort(keep)
	names := append(keep, "other")
	ts := make([]*typeState, 0, k+1)
	for _, name := range keep {
		ts = append(ts, b.ts[b.types[name]])
	}
	ts = append(ts, o)
	b.names, b.ts, b.types, b.other = names, ts, map[string]int{}, k
	for i, name := range names {
		b.types[name] = i
	}
}

// Build computes a point-in-time feature table in one streaming pass over
// the events. Only events with ts strictly before a row's as-of moment are
// used; later events are skipped, not errors.
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
// cutoff file's order. Memory grows with rows × types × windows. One
// goroutine reads and decodes events while another aggregates them, in file
// order, so the result does not depend on scheduling. Bad rows are handled
// by cfg.BadRows; the error is a *RowError or *SchemaError for bad input.
func Build(ctx context.Context, cfg Config) (*Table, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	start := time.Now()
	if p := cfg.Profiles; p != nil {
		for _, a := range cfg.Spec.Attributes {
			if p.Column(a) == nil {
				return nil, fmt.Errorf("features: spec attribute %q is not a column of the entities table", a)
			}
		}
	}
	b := newBuilder(&cfg)
	fixedTypes := cfg.Spec.Types != nil
	er, err := OpenEvents(ctx, cfg.Events, cfg.BadRows)
	if err != nil {
		return nil, err
	}
	defer er.Close()

	asOf := cfg.AsOf.UnixNano()
	var used, late, dups int64
	var seen map[uint64]struct{}
	if cfg.Dedupe {
		seen = map[uint64]struct{}{}
	}
	var lastID string
	lastRow, lastOK := int32(-1), false
	err = Stream(ctx, er, func(events []Event) error {
		if cfg.Progress != nil {
			cfg.Progress(int64(er.Rows()))
		}
		for i := range events {
			e := &events[i]
			ts := e.TS.UnixNano()
			if b.asOfMode && ts >= asOf {
				late++
				continue
			}
			if seen != nil {
				h := e.fingerprint()
				if _, dup := seen[h]; dup {
					dups++
					continue
				}
				seen[h] = struct{}{}
			}
			// Events often come grouped by entity: the previous event's row
			// is found without hashing the id.
			ri, ok := lastRow, lastOK
			if e.EntityID != lastID {
				ri, ok = b.index[e.EntityID]
				if !ok && b.asOfMode {
					ri, ok = b.newRow(e.EntityID, cfg.AsOf), true
					b.index[b.ids[ri]] = ri
				}
				lastID, lastRow, lastOK = e.EntityID, ri, ok
			}
			if !ok {
				continue
			}
			tid := b.typeID(e.Type)
			if tid >= 0 {
				t := b.ts[tid]
				t.total++
				if e.HasValue && !fixedTypes && !t.hasValue {
					b.markValued(t)
				}
			}
			if e.HasValue && !fixedTypes {
				for i := range cfg.Spec.Derived {
					if t := b.derived[i]; !t.hasValue && cfg.Spec.Derived[i].matches(e) {
						b.markValued(t)
					}
				}
			}
			used++
			if b.asOfMode {
				b.add(ri, e, ts, tid)
				continue
			}
			for ; ri >= 0; ri = b.next[ri] {
				b.add(ri, e, ts, tid)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if b.tooManyTypes {
		return nil, &SchemaError{Path: cfg.Events.Path, Err: fmt.Errorf("the events have more than %d types: list the ones to keep in a spec (types: [...], with other to pool the rest)", MaxTypes)}
	}
	if cfg.Spec.TopTypes > 0 {
		b.pool(cfg.Spec.TopTypes)
	}
	for _, d := range cfg.Spec.Derived {
		if _, ok := b.types[d.Name]; ok {
			return nil, &SchemaError{Path: cfg.Events.Path, Err: fmt.Errorf("derived type %q has the name of an event type in the data: rename it in the spec", d.Name)}
		}
	}
	if b.asOfMode && cfg.AllEntities && cfg.Profiles != nil {
		for _, id := range cfg.Profiles.IDs {
			if _, ok := b.index[id]; !ok {
				ri := b.newRow(id, cfg.AsOf)
				b.index[b.ids[ri]] = ri
			}
		}
	}
	t, err := b.table()
	if err != nil {
		return nil, err
	}
	if cfg.Dedupe {
		t.Meta[MetaDuplicatesSkipped] = strconv.FormatInt(dups, 10)
	}
	log.Info("features built", "rows_read", er.Rows(), "events_used", used, "events_after_as_of", late, "duplicates_skipped", dups,
		"bad_rows", cfg.BadRows.Count(), "rows", t.NumRows(), "columns", len(t.Columns), "event_types", len(b.names),
		"duration", time.Since(start).Round(time.Millisecond))
	return t, nil
}

// newBuilder prepares the state of a Build: the windows, the spec's types
// (and "other"), the derived types, the types known to carry values, and
// in cutoff mode a row per cutoff, chained per entity.
func newBuilder(cfg *Config) *builder {
	b := &builder{cfg: cfg, types: map[string]int{}, index: map[string]int32{}, asOfMode: cfg.Cutoffs == nil}
	for _, w := range cfg.Spec.windows() {
		b.win = append(b.win, int64(w)*dayNanos)
		b.dOff = append(b.dOff, b.dw)
		b.dw += w/64 + 1
	}
	b.nw = len(b.win)
	b.other = -1
	for _, t := range cfg.Spec.Types {
		b.addType(t)
	}
	if cfg.Spec.Types != nil && cfg.Spec.Other {
		b.other = b.typeID("other")
		if b.other < 0 {
			b.other = b.addType("other")
		}
	}
	for range cfg.Spec.Derived {
		b.derived = append(b.derived, b.newTypeState())
	}
	for _, t := range cfg.Spec.ValueTypes {
		if id, ok := b.types[t]; ok {
			b.markValued(b.ts[id])
		}
		if i := slices.IndexFunc(cfg.Spec.Derived, func(d DerivedType) bool { return d.Name == t }); i >= 0 {
			b.markValued(b.derived[i])
		}
	}
	if c := cfg.Cutoffs; c != nil {
		n := c.Len()
		b.reserve(n)
		b.next = make([]int32, 0, n)
		tail := map[string]int32{}
		for i, id := range c.IDs {
			ri := b.newRow(id, c.TS[i])
			b.next = append(b.next, -1)
			if t, ok := tail[id]; ok {
				b.next[t] = ri
			} else {
				b.index[b.ids[ri]] = ri
			}
			tail[b.ids[ri]] = ri
		}
	}
	return b
}

// table turns the row states into columns, in steps: the key columns
// (and a cutoff file's), the feature columns with their descriptors, the
// entity attributes, the rule columns, and the resolved spec.
func (b *builder) table() (*Table, error) {
	order := make([]int, len(b.ids))
	for i := range order {
		order[i] = i
	}
	if b.asOfMode {
		sort.Slice(order, func(i, j int) bool { return b.ids[order[i]] < b.ids[order[j]] })
	}
	t := &Table{Meta: map[string]string{}}
	passEnd := b.keyColumns(t, order)
	fc := &featureCols{t: t, order: order, desc: map[string]Descriptor{}}
	b.activityColumns(fc)
	typeOrder, states := b.typeStates()
	for si, name := range typeOrder {
		b.typeColumns(fc, name, states[si])
	}
	if err := b.checkNames(t.Columns, passEnd); err != nil {
		return nil, err
	}
	fc.fill()
	b.attributeColumns(t, order, fc.desc)
	b.ruleColumns(t, order)
	descJSON, _ := json.Marshal(fc.desc) // plain data: cannot fail
	t.Meta[MetaFeatures] = string(descJSON)
	b.resolvedSpec(t, typeOrder, states)
	return t, nil
}

// keyColumns adds entity_id, ts (the row's as-of moment) and a cutoff
// file's other columns in output order; it returns where they end.
func (b *builder) keyColumns(t *Table, order []int) int {
	n := len(order)
	ids := make([]string, n)
	ts := make([]time.Time, n)
	for j, i := range order {
		ids[j] = b.ids[i]
		ts[j] = time.Unix(0, b.d[i]).UTC()
	}
	t.Columns = append(t.Columns, Column{Name: "entity_id", Kind: KindString, Str: ids}, Column{Name: "ts", Kind: KindTime, Time: ts})
	var passthrough []string
	if c := b.cfg.Cutoffs; c != nil {
		for _, col := range c.Extra {
			t.Columns = append(t.Columns, col.pick(order))
			passthrough = append(passthrough, col.Name)
		}
		t.Meta[MetaCutoffs] = filepath.Base(c.Source)
	} else {
		t.Meta[MetaAsOf] = b.cfg.AsOf.UTC().Format(time.RFC3339)
	}
	t.Meta[MetaPassthrough] = strings.Join(passthrough, ",")
	return len(t.Columns)
}

// featureCols gathers feature columns with their descriptors; their values
// are filled at the end, on every core: each reads the row state in output
// order, a cache miss per value.
type featureCols struct {
	t     *Table
	order []int
	desc  map[string]Descriptor
	fills []func()
}

// add declares a float column whose row r (in state order) is f(r).
func (fc *featureCols) add(name string, d Descriptor, f func(r int) float64) {
	v := make([]float64, len(fc.order))
	fc.fills = append(fc.fills, func() {
		for j, i := range fc.order {
			v[j] = f(i)
		}
	})
	fc.t.Columns = append(fc.t.Columns, Column{Name: name, Kind: KindFloat, Float: v})
	fc.desc[name] = d
}

func (fc *featureCols) fill() {
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, f := range fc.fills {
		g.Go(func() error { f(); return nil })
	}
	g.Wait() // the fills cannot fail
}

// activityColumns adds the columns over events of every type.
func (b *builder) activityColumns(fc *featureCols) {
	nw := b.nw
	day := float64(dayNanos)
	fc.add("events_total", Descriptor{Agg: AggCount}, func(r int) float64 { return float64(b.n[r]) })
	for w, days := range b.cfg.Spec.windows() {
		fc.add(fmt.Sprintf("events_count_%dd", days), Descriptor{Agg: AggCount, WindowDays: days},
			func(r int) float64 { return float64(b.nWin[r*nw+w]) })
	}
	fc.add("tenure_days", Descriptor{Agg: AggTenure}, func(r int) float64 {
		if b.n[r] == 0 {
			return math.NaN()
		}
		return float64(b.d[r]-b.first[r]) / day
	})
	fc.add("active_days_30d", Descriptor{Agg: AggDistinctDays, WindowDays: 30}, func(r int) float64 { return float64(bits.OnesCount64(b.act30[r])) })
	fc.add("active_days_90d", Descriptor{Agg: AggDistinctDays, WindowDays: 90}, func(r int) float64 {
		return float64(bits.OnesCount64(b.act90[2*r]) + bits.OnesCount64(b.act90[2*r+1]))
	})
}

// typeStates returns the event types in name order, then the derived ones
// in spec order, with their states.
func (b *builder) typeStates() ([]string, []*typeState) {
	names := slices.Clone(b.names)
	sort.Strings(names)
	states := make([]*typeState, 0, len(names)+len(b.derived))
	for _, name := range names {
		states = append(states, b.ts[b.types[name]])
	}
	for i, d := range b.cfg.Spec.Derived {
		states, names = append(states, b.derived[i]), append(names, d.Name)
	}
	return names, states
}

// typeColumns adds one event type's columns: the spec's aggregations per
// window, days since the last and the trend.
func (b *builder) typeColumns(fc *featureCols, name string, ts *typeState) {
	spec := b.cfg.Spec
	cname := columnName(name)
	phrase, noun := spec.wordsFor(name)
	cnt, sum, vcnt, vmax, lastT, prev := &ts.cnt, &ts.sum, &ts.vcnt, &ts.vmax, &ts.lastT, &ts.prev30
	perWindow := func(agg Agg, format string, f func(r, w int) float64) {
		if !spec.has(string(agg)) {
			return
		}
		for w, days := range spec.windows() {
			fc.add(fmt.Sprintf(format, cname, days), Descriptor{Agg: agg, Type: name, WindowDays: days, Phrase: phrase, Noun: noun},
				func(r int) float64 { return f(r, w) })
		}
	}
	perWindow(AggCount, "%s_count_%dd", func(r, w int) float64 { return float64(cnt.row(r)[w]) })
	if ts.hasValue {
		perWindow(AggSum, "%s_value_sum_%dd", func(r, w int) float64 { return sum.row(r)[w] + 0 })
		perWindow(AggMean, "%s_value_mean_%dd", func(r, w int) float64 {
			if vcnt.row(r)[w] == 0 {
				return math.NaN()
			}
			return sum.row(r)[w] / float64(vcnt.row(r)[w])
		})
		perWindow(AggMax, "%s_value_max_%dd", func(r, w int) float64 {
			if vcnt.row(r)[w] == 0 {
				return math.NaN()
			}
			return vmax.row(r)[w]
		})
	}
	perWindow(AggDistinctDays, "%s_active_days_%dd", func(r, w int) float64 {
		words := ts.days.row(r)[b.dOff[w] : b.dOff[w]+spec.windows()[w]/64+1]
		c := 0
		for _, x := range words {
			c += bits.OnesCount64(x)
		}
		return float64(c)
	})
	if spec.has("days_since") {
		fc.add(cname+"_days_since_last", Descriptor{Agg: AggDaysSince, Type: name, Phrase: phrase, Noun: noun}, func(r int) float64 {
			last := *lastT.at(r)
			if last == 0 {
				return math.NaN()
			}
			return float64(b.d[r]-timeOfStamp(last)) / float64(dayNanos)
		})
	}
	if spec.has("trend") {
		w30 := slices.Index(spec.windows(), 30)
		fc.add(cname+"_trend", Descriptor{Agg: AggTrend, Type: name, WindowDays: 30, Phrase: phrase, Noun: noun}, func(r int) float64 {
			p := float64(*prev.at(r))
			return (float64(cnt.row(r)[w30]) - p) / (p + 1)
		})
	}
}

// attributeColumns joins the entity attributes the spec keeps, then
// data_quality and missing_fields.
func (b *builder) attributeColumns(t *Table, order []int, desc map[string]Descriptor) {
	p := b.cfg.Profiles
	if p == nil {
		t.Meta[MetaAttributes] = ""
		return
	}
	n := len(order)
	prow := make([]int, n)
	for j, i := range order {
		prow[j] = p.Row(b.ids[i])
	}
	var cols []Column
	var attrs []string
	for _, col := range p.Columns {
		if b.cfg.Spec.Attributes == nil || slices.Contains(b.cfg.Spec.Attributes, col.Name) {
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

// ruleColumns evaluates the rules for every row: rule_points, one column
// per group and rule_awards.
func (b *builder) ruleColumns(t *Table, order []int) {
	rs := b.cfg.Rules
	if rs == nil {
		return
	}
	n := len(order)
	total := make([]float64, n)
	groups := make([][]float64, len(rs.Groups))
	for g := range groups {
		groups[g] = make([]float64, n)
	}
	awards := make([]string, n)
	// Rows are independent (each sorts only its own ledger): evaluated in
	// chunks on every core.
	var eg errgroup.Group
	eg.SetLimit(runtime.GOMAXPROCS(0))
	for lo := 0; lo < n; lo += 1 << 14 {
		eg.Go(func() error {
			for j := lo; j < min(lo+1<<14, n); j++ {
				i := order[j]
				first := b.first[i]
				if b.n[i] == 0 {
					first = noTime
				}
				pts := rs.evaluate(&b.rules[i], first, time.Unix(0, b.d[i]).UTC(), b.cfg.Profiles, b.cfg.Profiles.Row(b.ids[i]), false)
				total[j] = pts.Total
				for g := range groups {
					groups[g][j] = pts.Groups[g]
				}
				awards[j] = AwardsJSON(pts.Awards)
			}
			return nil
		})
	}
	eg.Wait() // the chunks cannot fail
	t.Columns = append(t.Columns, Column{Name: "rule_points", Kind: KindFloat, Float: total})
	for g, grp := range rs.Groups {
		t.Columns = append(t.Columns, Column{Name: "rule_points_" + grp.Name, Kind: KindFloat, Float: groups[g]})
	}
	t.Columns = append(t.Columns, Column{Name: "rule_awards", Kind: KindString, Str: awards})
	t.Meta[MetaRulesMaxTotal] = strconv.FormatFloat(rs.MaxTotal(), 'g', -1, 64)
}

// resolvedSpec records the spec this Build applied: the types and value
// types it made columns for (after top-K pooling), which a scoring run
// must rebuild, and the spec's hash.
func (b *builder) resolvedSpec(t *Table, names []string, states []*typeState) {
	var valueTypes []string
	for si, name := range names {
		if states[si].hasValue {
			valueTypes = append(valueTypes, name)
		}
	}
	typeOrder := names[:len(names)-len(b.derived)]
	t.Meta[MetaSpecHash] = b.cfg.Spec.Hash()
	res := b.cfg.Spec.normalized()
	res.Types, res.ValueTypes, res.TopTypes, res.Other = typeOrder, valueTypes, 0, b.other >= 0
	if res.Other {
		res.Types = slices.DeleteFunc(slices.Clone(typeOrder), func(s string) bool { return s == "other" })
	}
	if res.Types == nil {
		res.Types = []string{}
	}
	resJSON, _ := json.Marshal(res) // plain data: cannot fail
	t.Meta[MetaSpec] = string(resJSON)
}

// checkNames refuses a table two of whose columns would share a name: an
// entity attribute or a cutoff file's column named like a feature or like
// each other, or two event types that give the same column name. cols are
// the fixed and cutoff columns (the first passEnd) and the features; the
// attribute and rule columns follow them.
func (b *builder) checkNames(cols []Column, passEnd int) error {
	type named struct{ name, from string }
	var all []named
	for i, c := range cols {
		from := "a generated feature"
		if i >= 2 && i < passEnd {
			from = "a column of " + b.cfg.Cutoffs.Source
		}
		all = append(all, named{c.Name, from})
	}
	if p := b.cfg.Profiles; p != nil {
		for _, c := range p.Columns {
			if b.cfg.Spec.Attributes == nil || slices.Contains(b.cfg.Spec.Attributes, c.Name) {
				all = append(all, named{c.Name, "a column of " + p.Source})
			}
		}
		all = append(all, named{"data_quality", "a generated feature"}, named{"missing_fields", "a generated feature"})
	}
	if rs := b.cfg.Rules; rs != nil {
		all = append(all, named{"rule_points", "a rule column"}, named{"rule_awards", "a rule column"})
		for _, g := range rs.Groups {
			all = append(all, named{"rule_points_" + g.Name, "a rule column"})
		}
	}
	seen := make(map[string]string, len(all))
	for _, c := range all {
		if from, dup := seen[c.name]; dup {
			if from == c.from {
				return &SchemaError{Path: b.cfg.Events.Path, Err: fmt.Errorf("the column %q is generated twice: two event types, or a type named like a built-in feature, give it (column names keep only a-z, 0-9 and _); rename the type", c.name)}
			}
			return &SchemaError{Path: b.cfg.Events.Path, Err: fmt.Errorf("column %q would be both %s and %s: rename one of them", c.name, from, c.from)}
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

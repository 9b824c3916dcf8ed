package features

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/bits"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

const dayNanos = int64(24 * time.Hour)

// Spec chooses the default feature set's parameters. The zero value is the
// default: every event type seen, windows of 7, 30, 90 and 365 days.
type Spec struct {
	// Types are the event types that get per-type columns, even when absent
	// from the data; nil means every type seen. Events of other types still
	// count in events_total, activity and rules.
	Types []string
	// ValueTypes, with Types, are the types that get value-sum columns;
	// without Types, every type seen with a value does.
	ValueTypes []string
	// WindowsDays are the look-back windows of the count and sum features;
	// nil means 7, 30, 90, 365.
	WindowsDays []int
}

func (s Spec) windows() []int {
	if len(s.WindowsDays) == 0 {
		return []int{7, 30, 90, 365}
	}
	return s.WindowsDays
}

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
	// BadRows is the bad-row policy; nil fails on the first bad row.
	BadRows *BadRows
	// Logger receives one line per stage; nil discards.
	Logger *slog.Logger
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
	for _, w := range c.Spec.windows() {
		if w <= 0 {
			return fmt.Errorf("features: Config.Spec.WindowsDays: %d is not a positive number of days", w)
		}
	}
	return nil
}

// builder holds the state of one Build call. State is kept column-wise:
// one flat slice per quantity, indexed by output row (and window), so the
// garbage collector has no per-row pointers to trace and adding a row
// copies nothing. Memory is O(rows × types × windows), never O(events).
type builder struct {
	cfg      *Config
	win      []int64 // windows in ns
	nw       int
	asOfMode bool

	types    map[string]int
	names    []string
	hasValue []bool

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

	// Per type, per row.
	cnt    [][]int32   // [type][row][window]
	sum    [][]float64 // [type][row][window]; nil until the type has a value
	lastT  [][]int64   // [type][row], 0 if none
	prev30 [][]int32   // [type][row]: events with 30 d < age ≤ 60 d

	index map[string]int32 // entity → its (first) row
	next  []int32          // cutoff mode: the entity's next row, −1 at the end
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && (a < 0) {
		q--
	}
	return q
}

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
		b.rules = append(b.rules, b.cfg.Rules.newRow())
	}
	for t := range b.names {
		b.growType(t)
	}
	return r
}

// growType extends type t's slices to the current number of rows.
func (b *builder) growType(t int) {
	rows := len(b.ids)
	if k := rows*b.nw - len(b.cnt[t]); k > 0 {
		b.cnt[t] = append(b.cnt[t], make([]int32, k)...)
		if b.sum[t] != nil {
			b.sum[t] = append(b.sum[t], make([]float64, k)...)
		}
	}
	if k := rows - len(b.lastT[t]); k > 0 {
		b.lastT[t] = append(b.lastT[t], make([]int64, k)...)
		b.prev30[t] = append(b.prev30[t], make([]int32, k)...)
	}
}

// typeID returns the id of an event type, or -1 when the spec leaves it out.
func (b *builder) typeID(t string) int {
	if id, ok := b.types[t]; ok {
		return id
	}
	if b.cfg.Spec.Types != nil {
		return -1
	}
	return b.addType(t, false)
}

func (b *builder) addType(t string, values bool) int {
	id := len(b.names)
	t = strings.Clone(t)
	b.types[t] = id
	b.names = append(b.names, t)
	b.hasValue = append(b.hasValue, values)
	b.cnt = append(b.cnt, nil)
	b.sum = append(b.sum, nil)
	b.lastT = append(b.lastT, nil)
	b.prev30 = append(b.prev30, nil)
	b.growType(id)
	return id
}

// markValued records that type t carries values and gives it sums.
func (b *builder) markValued(t int) {
	b.hasValue[t] = true
	if b.sum[t] == nil {
		b.sum[t] = make([]float64, len(b.cnt[t]), cap(b.cnt[t]))
	}
}

// add folds one event into row r; events at or after the row's as-of date
// are ignored. tid is -1 for types without columns.
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
	if age <= 90*dayNanos {
		k := b.dDay[r] - floorDiv(ts, dayNanos)
		b.act90[2*int(r)+int(k/64)] |= 1 << (k % 64)
		if age <= 30*dayNanos {
			b.act30[r] |= 1 << k
		}
	}
	if b.cfg.Rules != nil {
		b.cfg.Rules.add(&b.rules[r], e, ts, time.Unix(0, d).UTC())
	}
	if tid < 0 {
		return
	}
	cnt := b.cnt[tid][base : base+nw]
	for w, wn := range b.win {
		if age <= wn {
			cnt[w]++
		}
	}
	if e.HasValue && b.sum[tid] != nil {
		sum := b.sum[tid][base : base+nw]
		for w, wn := range b.win {
			if age <= wn {
				sum[w] += e.Value
			}
		}
	}
	if age > 30*dayNanos && age <= 60*dayNanos {
		b.prev30[tid][r]++
	}
	if lt := b.lastT[tid]; lt[r] == 0 || ts > lt[r] {
		lt[r] = ts
	}
}

// batch is a block of events handed from the reader goroutine to the
// aggregator.
type batch struct {
	ev  []Event
	n   int
	err error
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
	b := &builder{cfg: &cfg, types: map[string]int{}, index: map[string]int32{}, asOfMode: cfg.Cutoffs == nil}
	for _, w := range cfg.Spec.windows() {
		b.win = append(b.win, int64(w)*dayNanos)
	}
	b.nw = len(b.win)
	for _, t := range cfg.Spec.Types {
		b.addType(t, false)
		if slices.Contains(cfg.Spec.ValueTypes, t) {
			b.markValued(b.types[t])
		}
	}
	fixedTypes := cfg.Spec.Types != nil
	if cfg.Cutoffs != nil {
		n := cfg.Cutoffs.Len()
		b.next = make([]int32, 0, n)
		tail := map[string]int32{}
		for i, id := range cfg.Cutoffs.IDs {
			ri := b.newRow(id, cfg.Cutoffs.TS[i])
			b.next = append(b.next, -1)
			if t, ok := tail[id]; ok {
				b.next[t] = ri
			} else {
				b.index[b.ids[ri]] = ri
			}
			tail[b.ids[ri]] = ri
		}
	}
	er, err := OpenEvents(ctx, cfg.Events, cfg.BadRows)
	if err != nil {
		return nil, err
	}
	defer er.Close()

	// The reader goroutine fills free buffers and sends them, in order, to
	// the aggregator, which hands them back when done.
	g, gctx := errgroup.WithContext(ctx)
	free := make(chan []Event, 3)
	full := make(chan batch, 3)
	for range 3 {
		free <- make([]Event, 1<<13)
	}
	g.Go(func() error {
		defer close(full)
		for {
			if err := gctx.Err(); err != nil {
				return err
			}
			var buf []Event
			select {
			case buf = <-free:
			case <-gctx.Done():
				return gctx.Err()
			}
			n, err := er.Read(buf)
			full <- batch{ev: buf, n: n, err: err}
			if err != nil {
				return nil // the aggregator reports it
			}
		}
	})
	asOf := cfg.AsOf.UnixNano()
	var used, late int64
	var readErr error
	for bt := range full {
		if readErr != nil || ctx.Err() != nil {
			continue // drain so the reader can finish
		}
		for i := range bt.ev[:bt.n] {
			e := &bt.ev[i]
			ts := e.TS.UnixNano()
			if b.asOfMode && ts >= asOf {
				late++
				continue
			}
			ri, ok := b.index[e.EntityID]
			if !ok {
				if !b.asOfMode {
					continue
				}
				ri = b.newRow(e.EntityID, cfg.AsOf)
				b.index[b.ids[ri]] = ri
			}
			tid := b.typeID(e.Type)
			if e.HasValue && tid >= 0 && !fixedTypes && !b.hasValue[tid] {
				b.markValued(tid)
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
		if bt.err != nil && bt.err != io.EOF {
			readErr = bt.err
		}
		free <- bt.ev
	}
	if err := g.Wait(); err != nil && readErr == nil {
		readErr = err
	}
	if readErr != nil {
		return nil, readErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if b.asOfMode && cfg.AllEntities && cfg.Profiles != nil {
		for _, id := range cfg.Profiles.IDs {
			if _, ok := b.index[id]; !ok {
				ri := b.newRow(id, cfg.AsOf)
				b.index[b.ids[ri]] = ri
			}
		}
	}
	t := b.table()
	log.Info("features built", "rows_read", er.Rows(), "events_used", used, "events_after_as_of", late,
		"bad_rows", cfg.BadRows.Count(), "rows", t.NumRows(), "columns", len(t.Columns), "event_types", len(b.names),
		"duration", time.Since(start).Round(time.Millisecond))
	return t, nil
}

// table turns the row states into columns.
func (b *builder) table() *Table {
	order := make([]int, len(b.ids))
	for i := range order {
		order[i] = i
	}
	if b.asOfMode {
		sort.Slice(order, func(i, j int) bool { return b.ids[order[i]] < b.ids[order[j]] })
	}
	n := len(order)
	t := &Table{Meta: map[string]string{}}
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
		t.Meta["leadscore.cutoffs"] = filepath.Base(c.Source)
	} else {
		t.Meta["leadscore.as_of"] = b.cfg.AsOf.UTC().Format(time.RFC3339)
	}
	t.Meta["leadscore.passthrough"] = strings.Join(passthrough, ",")

	floatCol := func(name string, f func(r int) float64) {
		v := make([]float64, n)
		for j, i := range order {
			v[j] = f(i)
		}
		t.Columns = append(t.Columns, Column{Name: name, Kind: KindFloat, Float: v})
	}
	nw := b.nw
	day := float64(dayNanos)
	floatCol("events_total", func(r int) float64 { return float64(b.n[r]) })
	for w, days := range b.cfg.Spec.windows() {
		floatCol(fmt.Sprintf("events_count_%dd", days), func(r int) float64 { return float64(b.nWin[r*nw+w]) })
	}
	floatCol("tenure_days", func(r int) float64 {
		if b.n[r] == 0 {
			return math.NaN()
		}
		return float64(b.d[r]-b.first[r]) / day
	})
	floatCol("active_days_30d", func(r int) float64 { return float64(bits.OnesCount64(b.act30[r])) })
	floatCol("active_days_90d", func(r int) float64 {
		return float64(bits.OnesCount64(b.act90[2*r]) + bits.OnesCount64(b.act90[2*r+1]))
	})

	typeOrder := slices.Clone(b.names)
	sort.Strings(typeOrder)
	w30 := slices.Index(b.cfg.Spec.windows(), 30)
	for _, name := range typeOrder {
		tid := b.types[name]
		cname := columnName(name)
		cnt, sum, lastT, prev := b.cnt[tid], b.sum[tid], b.lastT[tid], b.prev30[tid]
		for w, days := range b.cfg.Spec.windows() {
			floatCol(fmt.Sprintf("%s_count_%dd", cname, days), func(r int) float64 { return float64(cnt[r*nw+w]) })
		}
		if b.hasValue[tid] {
			for w, days := range b.cfg.Spec.windows() {
				floatCol(fmt.Sprintf("%s_value_sum_%dd", cname, days), func(r int) float64 { return sum[r*nw+w] + 0 })
			}
		}
		floatCol(cname+"_days_since_last", func(r int) float64 {
			if lastT[r] == 0 {
				return math.NaN()
			}
			return float64(b.d[r]-lastT[r]) / day
		})
		if w30 >= 0 {
			floatCol(cname+"_trend", func(r int) float64 {
				p := float64(prev[r])
				return (float64(cnt[r*nw+w30]) - p) / (p + 1)
			})
		}
	}

	var attrs []string
	if p := b.cfg.Profiles; p != nil {
		prow := make([]int, n)
		for j, i := range order {
			prow[j] = p.Row(b.ids[i])
		}
		for _, col := range p.Columns {
			attrs = append(attrs, col.Name)
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
			for _, col := range p.Columns {
				if pr < 0 || col.IsNull(pr) {
					miss = append(miss, col.Name)
				}
			}
			if len(p.Columns) > 0 {
				dq[j] = 1 - float64(len(miss))/float64(len(p.Columns))
			} else {
				dq[j] = 1
			}
			missing[j] = strings.Join(miss, ",")
		}
		t.Columns = append(t.Columns, Column{Name: "data_quality", Kind: KindFloat, Float: dq},
			Column{Name: "missing_fields", Kind: KindString, Str: missing})
	}
	t.Meta["leadscore.attributes"] = strings.Join(attrs, ",")

	if rs := b.cfg.Rules; rs != nil {
		total := make([]float64, n)
		groups := make([][]float64, len(rs.Groups))
		for g := range groups {
			groups[g] = make([]float64, n)
		}
		awards := make([]string, n)
		for j, i := range order {
			pts := rs.evaluate(&b.rules[i], b.first[i], time.Unix(0, b.d[i]).UTC(), b.cfg.Profiles, b.cfg.Profiles.Row(b.ids[i]), false)
			total[j] = pts.Total
			for g := range groups {
				groups[g][j] = pts.Groups[g]
			}
			awards[j] = AwardsJSON(pts.Awards)
		}
		t.Columns = append(t.Columns, Column{Name: "rule_points", Kind: KindFloat, Float: total})
		for g, grp := range rs.Groups {
			t.Columns = append(t.Columns, Column{Name: "rule_points_" + grp.Name, Kind: KindFloat, Float: groups[g]})
		}
		t.Columns = append(t.Columns, Column{Name: "rule_awards", Kind: KindString, Str: awards})
		t.Meta["leadscore.rules_max_total"] = strconv.FormatFloat(rs.MaxTotal(), 'g', -1, 64)
	}
	t.Meta["leadscore.event_types"] = strings.Join(typeOrder, ",")
	var valueTypes []string
	for _, name := range typeOrder {
		if b.hasValue[b.types[name]] {
			valueTypes = append(valueTypes, name)
		}
	}
	t.Meta["leadscore.value_types"] = strings.Join(valueTypes, ",")
	return t
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

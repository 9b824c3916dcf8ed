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

// row is the aggregation state of one output row: one entity at one as-of
// moment. Memory is O(types × windows) per row, never O(events).
type row struct {
	id     string
	d      int64 // as-of, unix ns (exclusive)
	dDay   int64 // UTC day number of d
	first  int64
	last   int64
	n      int64
	nWin   []int32   // [window] events of any type
	act30  uint64    // bit k: an event on day dDay-k, k ≤ 30, within 30 days
	act90  [2]uint64 // the same for 90 days
	cnt    []int32   // [type][window]
	sum    []float64 // [type][window]
	lastT  []int64   // [type] last event time, 0 if none
	prev30 []int32   // [type] events with 30 d < age ≤ 60 d
	rules  ruleRow
}

// builder holds the state of one Build call.
type builder struct {
	cfg      *Config
	win      []int64 // windows in ns
	types    map[string]int
	names    []string
	hasValue []bool
	rows     []row
	byEntity map[string][]int32 // entity → rows (cutoff mode) or its one row (as-of mode)
	asOfMode bool
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
	r := row{id: id, d: ns, dDay: floorDiv(ns, dayNanos)}
	if b.cfg.Rules != nil {
		r.rules = b.cfg.Rules.newRow()
	}
	b.rows = append(b.rows, r)
	return int32(len(b.rows) - 1)
}

// typeID returns the id of an event type, or -1 when the spec leaves it out.
func (b *builder) typeID(t string) int {
	if id, ok := b.types[t]; ok {
		return id
	}
	if b.cfg.Spec.Types != nil {
		return -1
	}
	id := len(b.names)
	b.types[t] = id
	b.names = append(b.names, t)
	b.hasValue = append(b.hasValue, false)
	return id
}

// add folds one event into a row; events at or after the row's as-of date
// are ignored.
func (b *builder) add(r *row, e *Event, ts int64, tid int) {
	if ts >= r.d {
		return
	}
	nw := len(b.win)
	if need := (tid + 1) * nw; tid >= 0 && len(r.cnt) < need {
		r.cnt = append(r.cnt, make([]int32, need-len(r.cnt))...)
		r.sum = append(r.sum, make([]float64, need-len(r.sum))...)
		r.lastT = append(r.lastT, make([]int64, tid+1-len(r.lastT))...)
		r.prev30 = append(r.prev30, make([]int32, tid+1-len(r.prev30))...)
	}
	if r.n == 0 || ts < r.first {
		r.first = ts
	}
	if r.n == 0 || ts > r.last {
		r.last = ts
	}
	r.n++
	age := r.d - ts
	if r.nWin == nil {
		r.nWin = make([]int32, len(b.win))
	}
	for w, wn := range b.win {
		if age <= wn {
			r.nWin[w]++
		}
	}
	if age <= 90*dayNanos {
		k := r.dDay - floorDiv(ts, dayNanos)
		r.act90[k/64] |= 1 << (k % 64)
		if age <= 30*dayNanos {
			r.act30 |= 1 << k
		}
	}
	if b.cfg.Rules != nil {
		b.cfg.Rules.add(&r.rules, e, ts, time.Unix(0, r.d).UTC())
	}
	if tid < 0 {
		return
	}
	base := tid * nw
	for w, wn := range b.win {
		if age <= wn {
			r.cnt[base+w]++
			if e.HasValue {
				r.sum[base+w] += e.Value
			}
		}
	}
	if age > 30*dayNanos && age <= 60*dayNanos {
		r.prev30[tid]++
	}
	if r.lastT[tid] == 0 || ts > r.lastT[tid] {
		r.lastT[tid] = ts
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
// cutoff file's order. Memory grows with rows × types × windows. Bad rows
// are handled by cfg.BadRows; the error is a *RowError or *SchemaError for
// bad input.
func Build(ctx context.Context, cfg Config) (*Table, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	start := time.Now()
	b := &builder{cfg: &cfg, types: map[string]int{}, byEntity: map[string][]int32{}, asOfMode: cfg.Cutoffs == nil}
	for _, w := range cfg.Spec.windows() {
		b.win = append(b.win, int64(w)*dayNanos)
	}
	for _, t := range cfg.Spec.Types {
		b.types[t] = len(b.names)
		b.names = append(b.names, t)
		b.hasValue = append(b.hasValue, slices.Contains(cfg.Spec.ValueTypes, t))
	}
	fixedTypes := cfg.Spec.Types != nil
	if cfg.Cutoffs != nil {
		for i, id := range cfg.Cutoffs.IDs {
			ri := b.newRow(id, cfg.Cutoffs.TS[i])
			b.byEntity[id] = append(b.byEntity[id], ri)
		}
	}
	er, err := OpenEvents(ctx, cfg.Events, cfg.BadRows)
	if err != nil {
		return nil, err
	}
	defer er.Close()
	asOf := cfg.AsOf.UnixNano()
	buf := make([]Event, 1<<14)
	var used, late int64
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, err := er.Read(buf)
		for i := range buf[:n] {
			e := &buf[i]
			ts := e.TS.UnixNano()
			if b.asOfMode {
				if ts >= asOf {
					late++
					continue
				}
				rs, ok := b.byEntity[e.EntityID]
				if !ok {
					rs = []int32{b.newRow(e.EntityID, cfg.AsOf)}
					b.byEntity[e.EntityID] = rs
				}
				tid := b.typeID(e.Type)
				b.add(&b.rows[rs[0]], e, ts, tid)
				used++
				if e.HasValue && tid >= 0 && !fixedTypes {
					b.hasValue[tid] = true
				}
				continue
			}
			rs := b.byEntity[e.EntityID]
			if len(rs) == 0 {
				continue
			}
			tid := b.typeID(e.Type)
			if e.HasValue && tid >= 0 && !fixedTypes {
				b.hasValue[tid] = true
			}
			used++
			for _, ri := range rs {
				b.add(&b.rows[ri], e, ts, tid)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if b.asOfMode && cfg.AllEntities && cfg.Profiles != nil {
		for _, id := range cfg.Profiles.IDs {
			if _, ok := b.byEntity[id]; !ok {
				b.byEntity[id] = []int32{b.newRow(id, cfg.AsOf)}
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
	order := make([]int, len(b.rows))
	for i := range order {
		order[i] = i
	}
	if b.asOfMode {
		sort.Slice(order, func(i, j int) bool { return b.rows[order[i]].id < b.rows[order[j]].id })
	}
	n := len(order)
	t := &Table{Meta: map[string]string{}}
	ids := make([]string, n)
	ts := make([]time.Time, n)
	for j, i := range order {
		ids[j] = b.rows[i].id
		ts[j] = time.Unix(0, b.rows[i].d).UTC()
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

	floatCol := func(name string, f func(r *row) float64) {
		v := make([]float64, n)
		for j, i := range order {
			v[j] = f(&b.rows[i])
		}
		t.Columns = append(t.Columns, Column{Name: name, Kind: KindFloat, Float: v})
	}
	floatCol("events_total", func(r *row) float64 { return float64(r.n) })
	for w, days := range b.cfg.Spec.windows() {
		floatCol(fmt.Sprintf("events_count_%dd", days), func(r *row) float64 {
			if r.nWin == nil {
				return 0
			}
			return float64(r.nWin[w])
		})
	}
	floatCol("tenure_days", func(r *row) float64 {
		if r.n == 0 {
			return math.NaN()
		}
		return float64(r.d-r.first) / float64(dayNanos)
	})
	floatCol("active_days_30d", func(r *row) float64 { return float64(bits.OnesCount64(r.act30)) })
	floatCol("active_days_90d", func(r *row) float64 {
		return float64(bits.OnesCount64(r.act90[0]) + bits.OnesCount64(r.act90[1]))
	})

	typeOrder := slices.Clone(b.names)
	sort.Strings(typeOrder)
	nw := len(b.win)
	for _, name := range typeOrder {
		tid := b.types[name]
		cname := columnName(name)
		for w, days := range b.cfg.Spec.windows() {
			floatCol(fmt.Sprintf("%s_count_%dd", cname, days), func(r *row) float64 {
				if len(r.lastT) <= tid {
					return 0
				}
				return float64(r.cnt[tid*nw+w])
			})
		}
		if b.hasValue[tid] {
			for w, days := range b.cfg.Spec.windows() {
				floatCol(fmt.Sprintf("%s_value_sum_%dd", cname, days), func(r *row) float64 {
					if len(r.lastT) <= tid {
						return 0
					}
					return r.sum[tid*nw+w] + 0
				})
			}
		}
		floatCol(cname+"_days_since_last", func(r *row) float64 {
			if len(r.lastT) <= tid || r.lastT[tid] == 0 {
				return math.NaN()
			}
			return float64(r.d-r.lastT[tid]) / float64(dayNanos)
		})
		floatCol(cname+"_trend", func(r *row) float64 {
			if len(r.lastT) <= tid {
				return 0
			}
			last30 := 0.0
			for w, days := range b.cfg.Spec.windows() {
				if days == 30 {
					last30 = float64(r.cnt[tid*nw+w])
				}
			}
			prev := float64(r.prev30[tid])
			return (last30 - prev) / (prev + 1)
		})
	}
	if !slices.Contains(b.cfg.Spec.windows(), 30) {
		// trend needs the 30-day count; without that window it is not defined.
		t.dropSuffix("_trend")
	}

	var attrs []string
	if p := b.cfg.Profiles; p != nil {
		prow := make([]int, n)
		for j, i := range order {
			prow[j] = p.Row(b.rows[i].id)
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
			r := &b.rows[i]
			first := int64(0)
			if r.n > 0 {
				first = r.first
			}
			pts := rs.evaluate(&r.rules, first, time.Unix(0, r.d).UTC(), b.cfg.Profiles, b.cfg.Profiles.Row(r.id), false)
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

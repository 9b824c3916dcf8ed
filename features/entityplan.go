package features

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// An EntityPlan computes as-of feature rows one entity at a time, for an
// engine that brings each entity's events together itself (leadscore-beam
// on Apache Beam): the records, their order, deduplication, the column set
// and every value are those of Build, by the same code. The walk is
//
//  1. Record, for every event, wherever it is read;
//  2. Count, per entity, over its records; the counts of all entities
//     merged (MergeCounts) and given to Resolve, which fixes the columns;
//  3. Row, per entity, with the resolved plan;
//  4. Table, once, over every row: the table Build would return.
//
// Records, Counts and EntityRows are plain data, to travel between
// workers. A plan is not safe for concurrent use; make one per worker.
type EntityPlan struct {
	e     *engine
	masks [3]bool
	rules map[string][]int // event rules per type name
	l     *layout
	a     *acc
	out   *rowsOut // one row's
	meta  map[string]string
}

// Record is an event as the feature stage keeps it.
type Record struct {
	Type     string
	TS       int64 // unix ns
	Value    float64
	HasValue bool
	// The derived types, event rules and fingerprint (for Dedupe) the
	// event matches, as bit masks.
	Derived, Rules, Fingerprint uint64
}

// Counts is what entities' records add to the column set: per event type
// (in name order) the records some row counts and whether one has a
// value, whether a derived type has a value, the duplicates dropped and
// the newest record.
type Counts struct {
	Types   []string
	Used    []int64
	Valued  []bool
	DValued []bool
	Dups    int64
	Newest  int64 // unix ns
}

// EntityRow is one entity's row: its feature values in column order and,
// with rules, its points per group and awards.
type EntityRow struct {
	ID         string
	Values     []float64
	RulePoints float64
	Groups     []float64
	Awards     string
}

// NewEntityPlan checks cfg (as-of mode; Events names the files for
// errors) and prepares a plan.
func NewEntityPlan(cfg Config) (*EntityPlan, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.AsOf.IsZero() {
		return nil, errors.New("features: an EntityPlan computes as-of rows")
	}
	p := &EntityPlan{e: newEngine(&cfg), rules: map[string][]int{}}
	p.masks = p.e.masks()
	if rs := p.e.rs; rs != nil {
		for i := range rs.Rules {
			if ev := rs.Rules[i].Event; ev != nil {
				p.rules[ev.Type] = append(p.rules[ev.Type], i)
			}
		}
	}
	return p, nil
}

// Record turns an event into its record; false for an event at or after
// the as-of date, which no row counts.
func (p *EntityPlan) Record(ev *Event) (Record, bool) {
	ts := ev.TS.UnixNano()
	if ts >= p.e.lastMom {
		return Record{}, false
	}
	r := Record{Type: ev.Type, TS: ts, Value: ev.Value, HasValue: ev.HasValue}
	if p.masks[0] || p.masks[1] {
		m := p.e.eventMasks(ev, p.rules[ev.Type])
		r.Derived, r.Rules = m.derived, m.rules
	}
	if p.masks[2] {
		r.Fingerprint = ev.fingerprint()
	}
	return r, true
}

// group puts one entity's records into a partition of their own and
// groups it as Build groups its partitions. Before Resolve, types get ids
// as they come; after it, the resolved ids.
func (p *EntityPlan) group(id string, records []Record) (*partition, error) {
	if len(id) > MaxIDBytes {
		return nil, fmt.Errorf("features: entity %.40q…: %w", id, ErrIDTooLong)
	}
	has := carryOf(p.masks)
	chunk := makeRecs(0, len(records), has) // one entity's size, not an ingest chunk's
	part := &partition{chunks: []*recs{&chunk}, arena: [][]byte{make([]byte, 0, min(arenaBlock, len(id)))}}
	for i := range records {
		r := &records[i]
		typ, ok := p.e.typeID[r.Type]
		if !ok {
			if p.l != nil {
				return nil, fmt.Errorf("features: entity %q: event type %q is not in the counts the plan was resolved with", id, r.Type)
			}
			if typ, ok = p.e.typeOf(r.Type); !ok {
				return nil, p.e.tooManyTypes()
			}
		}
		match, ok := p.e.matchOf(matched{r.Derived, r.Rules})
		if !ok {
			return nil, p.e.tooVariedMatches()
		}
		part.keep(id, rec{ts: r.TS, typ: typ}, r.Value, r.HasValue, match, r.Fingerprint, has)
	}
	p.e.group(part)
	return part, nil
}

// Count returns what one entity's records add to the column set.
func (p *EntityPlan) Count(id string, recs []Record) (Counts, error) {
	if p.l != nil {
		return Counts{}, errors.New("features: Count after Resolve")
	}
	part, err := p.group(id, recs)
	if err != nil {
		return Counts{}, err
	}
	c := Counts{DValued: part.dvalued, Dups: part.dups, Newest: noTime}
	seen := make([]bool, len(p.e.typeNames))
	for i := range recs {
		seen[p.e.typeID[recs[i].Type]] = true
		c.Newest = max(c.Newest, recs[i].TS)
	}
	for t, name := range p.e.typeNames {
		if seen[t] {
			c.Types = append(c.Types, name)
			c.Used = append(c.Used, part.used[t])
			c.Valued = append(c.Valued, part.valued[t])
		}
	}
	order := make([]int, len(c.Types))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(c.Types[a], c.Types[b]) })
	sorted := Counts{DValued: c.DValued, Dups: c.Dups, Newest: c.Newest}
	for _, i := range order {
		sorted.Types = append(sorted.Types, c.Types[i])
		sorted.Used = append(sorted.Used, c.Used[i])
		sorted.Valued = append(sorted.Valued, c.Valued[i])
	}
	return sorted, nil
}

// MergeCounts adds two Counts.
func MergeCounts(a, b Counts) Counts {
	if len(a.Types) == 0 {
		return b
	}
	if len(b.Types) == 0 {
		return a
	}
	m := Counts{Dups: a.Dups + b.Dups, Newest: max(a.Newest, b.Newest), DValued: make([]bool, max(len(a.DValued), len(b.DValued)))}
	for d := range m.DValued {
		m.DValued[d] = d < len(a.DValued) && a.DValued[d] || d < len(b.DValued) && b.DValued[d]
	}
	i, j := 0, 0
	for i < len(a.Types) || j < len(b.Types) {
		switch {
		case j == len(b.Types) || i < len(a.Types) && a.Types[i] < b.Types[j]:
			m.Types, m.Used, m.Valued = append(m.Types, a.Types[i]), append(m.Used, a.Used[i]), append(m.Valued, a.Valued[i])
			i++
		case i == len(a.Types) || b.Types[j] < a.Types[i]:
			m.Types, m.Used, m.Valued = append(m.Types, b.Types[j]), append(m.Used, b.Used[j]), append(m.Valued, b.Valued[j])
			j++
		default:
			m.Types, m.Used, m.Valued = append(m.Types, a.Types[i]), append(m.Used, a.Used[i]+b.Used[j]), append(m.Valued, a.Valued[i] || b.Valued[j])
			i++
			j++
		}
	}
	return m
}

// Resolve fixes the column set from the counts of every entity's records
// (merged with MergeCounts); a plan resolved computes rows. With rules or
// derived types it reads the events files' headers and checks what they
// test against them and the types, as Build does.
func (p *EntityPlan) Resolve(ctx context.Context, c Counts) error {
	e := p.e
	if !slices.IsSorted(c.Types) || len(c.Used) != len(c.Types) || len(c.Valued) != len(c.Types) {
		return errors.New("features: Resolve: counts not from Count and MergeCounts")
	}
	if e.spec.Types == nil && len(c.Types) > MaxTypes || len(c.Types) > math.MaxUint16 {
		return e.tooManyTypes()
	}
	e.typeNames, e.typeID, e.rulesOf = nil, map[string]uint16{}, nil
	for _, name := range c.Types {
		e.typeOf(name)
	}
	if e.rs != nil || len(e.spec.Derived) > 0 {
		if err := e.scanColumns(ctx); err != nil {
			return err
		}
		if err := e.checkTested(e.cfg.Logger); err != nil {
			return err
		}
	}
	tt := typeTotals{used: c.Used, valued: c.Valued, dvalued: make([]bool, len(e.spec.Derived)), dups: c.Dups}
	copy(tt.dvalued, c.DValued)
	l, err := e.resolveTypes(tt)
	if err != nil {
		return err
	}
	e.newest = noTime
	if len(c.Types) > 0 {
		e.newest = c.Newest
	}
	e.attrs = e.joinAttributes()
	if p.meta, err = e.tableMeta(l); err != nil {
		return err
	}
	p.l, p.a, p.out = l, newAcc(e, l), e.newRowsOut(l, 1, false)
	return nil
}

// Row computes an entity's as-of row from its records; false when it has
// none (no record before the as-of date, or outside the target's
// population).
func (p *EntityPlan) Row(id string, recs []Record) (EntityRow, bool, error) {
	if p.l == nil {
		return EntityRow{}, false, errors.New("features: Row before Resolve")
	}
	part, err := p.group(id, recs)
	if err != nil {
		return EntityRow{}, false, err
	}
	if len(part.ids) == 0 || !p.e.inPopulation(id) {
		return EntityRow{}, false, nil
	}
	out := p.out
	p.a.entity(part, int(part.start[0]), int(part.stop[0]), p.e.cfg.Profiles.Row(id), []moment{{d: p.e.lastMom}}, out, carried{})
	p.a.flush()
	r := EntityRow{ID: id, Values: make([]float64, len(out.cols))}
	for c := range out.cols {
		r.Values[c] = out.cols[c].v[0]
	}
	if out.total != nil {
		r.RulePoints, r.Awards = out.total[0], out.awards[0]
		for g := range out.groups {
			r.Groups = append(r.Groups, out.groups[g][0])
		}
	}
	return r, true, nil
}

// Table assembles the rows of every entity, in any order, into the table
// Build returns for the same events: sorted by entity id, with a row for
// each profile without events (AllEntities), the attributes, rule columns
// and metadata.
func (p *EntityPlan) Table(rows []EntityRow) (*Table, error) {
	if p.l == nil {
		return nil, errors.New("features: Table before Resolve")
	}
	e := p.e
	placedRows := make([]placed, 0, len(rows))
	e.others = make([]string, 0, len(rows))
	byID := make(map[string]int, len(rows))
	var seen []bool // profile rows with a row here
	if e.cfg.Profiles != nil {
		seen = make([]bool, len(e.cfg.Profiles.IDs))
	}
	var jc joinCount
	for i, r := range rows {
		if _, ok := byID[r.ID]; ok {
			return nil, fmt.Errorf("features: entity %q has two rows", r.ID)
		}
		byID[r.ID] = i
		placedRows = append(placedRows, placed{d: e.lastMom, ent: -1, other: int32(len(e.others))})
		e.others = append(e.others, r.ID)
		j := e.cfg.Profiles.Row(r.ID)
		jc.add(r.ID, j >= 0)
		if j >= 0 {
			seen[j] = true
		}
	}
	if err := jc.check(e.cfg.Profiles, e.cfg.Logger); err != nil {
		return nil, err
	}
	placedRows = e.profileRows(placedRows, seen)
	e.sortPlaced(placedRows)
	out := e.newRowsOut(p.l, len(placedRows), false)
	for pos, pr := range placedRows {
		i, ok := byID[e.rowID(pr)]
		if !ok {
			continue
		}
		r := &rows[i]
		if len(r.Values) != len(out.cols) || len(r.Groups) != len(out.groups) {
			return nil, fmt.Errorf("features: entity %q: a row of another plan", r.ID)
		}
		for c := range out.cols {
			out.cols[c].v[pos] = r.Values[c]
		}
		if out.total != nil {
			out.total[pos], out.awards[pos] = r.RulePoints, r.Awards
			for g := range out.groups {
				out.groups[g][pos] = r.Groups[g]
			}
		}
		out.done[pos] = true
	}
	e.emptyRows(p.a, placedRows, out)
	t := e.batchTable(0, placedRows, out)
	t.Meta = maps.Clone(p.meta)
	return t, nil
}

package features

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// TargetKind is the question a model answers.
type TargetKind string

// Targets.
const (
	// TargetConversion: will this contact open a deal, within the horizon,
	// that is won? Rows are contacts on a date; it is the question a call
	// list asks of every contact.
	TargetConversion TargetKind = "conversion"
	// TargetOpportunity: will this open deal be won? Rows are deals: at
	// their opening to train, open on the date to score.
	TargetOpportunity TargetKind = "opportunity"
)

// Target says what a table's rows are and what their label means: the
// question (Kind), how far ahead it looks (Horizon, for conversion) and
// which contacts are in the population.
type Target struct {
	Kind TargetKind `json:"kind"`
	// HorizonDays: a conversion counts when its deal opens within this
	// many days of the row's date.
	HorizonDays int `json:"horizon_days,omitempty"`
	// ExcludeCustomers leaves out contacts with a won deal closed before
	// the row's date; ExcludeOpenDeals those with a deal open on it.
	ExcludeCustomers bool `json:"exclude_customers,omitempty"`
	ExcludeOpenDeals bool `json:"exclude_open_deals,omitempty"`
	// SampleNegatives, in (0, 1], keeps that share of the rows labelled
	// negative (chosen by a hash of entity, date and Seed); 0 keeps all.
	// A model trained on such rows corrects its probabilities by it.
	SampleNegatives float64 `json:"sample_negatives,omitempty"`
	Seed            uint64  `json:"seed,omitempty"`
}

// Label is the name of a target's label column.
func (t *Target) Label() string {
	if t.Kind == TargetOpportunity {
		return "won"
	}
	return "converted"
}

// Validate checks the target and names the bad field.
func (t *Target) Validate() error {
	switch t.Kind {
	case TargetConversion:
		if t.HorizonDays <= 0 || t.HorizonDays > MaxWindowDays {
			return fmt.Errorf("features: Target.HorizonDays must be from 1 to %d, got %d", MaxWindowDays, t.HorizonDays)
		}
	case TargetOpportunity:
	default:
		return fmt.Errorf("features: Target.Kind %q: want conversion or opportunity", t.Kind)
	}
	if !(t.SampleNegatives >= 0 && t.SampleNegatives <= 1) {
		return fmt.Errorf("features: Target.SampleNegatives must be in [0, 1], got %g", t.SampleNegatives)
	}
	return nil
}

// Population describes the rows of a table in words a mismatch error can
// name: "contacts with an event before each date, leaving out customers".
func (t *Target) Population() string {
	if t == nil {
		return "rows of a flat table"
	}
	if t.Kind == TargetOpportunity {
		return "open deals"
	}
	s := "contacts with an event before the date"
	var out []string
	if t.ExcludeCustomers {
		out = append(out, "customers")
	}
	if t.ExcludeOpenDeals {
		out = append(out, "contacts with an open deal")
	}
	if len(out) > 0 {
		s += ", leaving out " + strings.Join(out, " and ")
	}
	return s
}

// SamePopulation reports whether two targets select the same rows
// (horizon and sampling aside).
func (t *Target) SamePopulation(o *Target) bool {
	if t == nil || o == nil {
		return t == o
	}
	return t.Kind == o.Kind && t.ExcludeCustomers == o.ExcludeCustomers && t.ExcludeOpenDeals == o.ExcludeOpenDeals
}

// ParseHorizon reads a horizon such as "90d", "90 days", "12 weeks" or
// "3 months" (30 days each) as days.
func ParseHorizon(s string) (int, error) {
	p, err := ParsePeriod(s)
	if err != nil {
		return 0, err
	}
	switch p.Unit {
	case "week":
		return 7 * p.N, nil
	case "month":
		return 30 * p.N, nil
	case "year":
		return 365 * p.N, nil
	}
	return p.N, nil
}

// Outcomes are deals: whose, when opened, and, once closed, when and
// whether won. A deal with no close time (or no outcome) is open.
type Outcomes struct {
	Source string
	IDs    []string
	Opened []int64 // unix ns
	Closed []int64 // unix ns, noTime while open
	Won    []bool
	Amount []float64        // the deal's value, NaN without an amount column or value
	DealID []string         // the deal's own id (deal_id), nil without the column
	row    []int32          // the deal's row in the file: 1 is the first under the header
	byID   map[string][]int // entity → its deals, by opening time

	// closeTimes: the file has a closed_at column. Without one a known
	// outcome counts from the deal's opening, so no deal is open on a
	// later date. amounts: it has an amount column.
	closeTimes, amounts bool
}

// ReadOutcomes reads a deals file: entity_id, ts (when the deal opened),
// won (true/false, 1/0, yes/no, won/lost, or one of src.Won and src.Lost;
// empty, or with those lists any other value, while open) and optionally
// closed_at (empty while open), amount (the deal's value) and deal_id
// (the CRM's id of the deal). Other columns are ignored.
func ReadOutcomes(ctx context.Context, src Source, bad *BadRows) (*Outcomes, error) {
	r, err := openRows(ctx, src)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	idx, err := findColumns(src, r.Header(), outcomeRequired, outcomeOptional)
	if err != nil {
		return nil, err
	}
	cols := outcomeCols{id: idx["entity_id"], ts: idx["ts"], won: idx["won"], closed: idx["closed_at"], amount: idx["amount"], deal: idx["deal_id"]}
	o := &Outcomes{Source: src.Path, closeTimes: cols.closed >= 0, amounts: cols.amount >= 0}
	var deals map[string]struct{} // the deal ids read so far
	if cols.deal >= 0 {
		o.DealID, deals = []string{}, map[string]struct{}{}
	}
	outcome := newOutcomeReader(src)
	for n := 1; ; n++ { // n: the record's row, skipped rows counted
		if n%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		err := r.Next()
		if err == io.EOF {
			break
		}
		if err == nil {
			err = o.read(r, src.Path, cols, outcome, n, deals)
		}
		if err != nil {
			var re *RowError
			if !errors.As(err, &re) {
				return nil, err
			}
			if err := bad.handle(re, r.Record()); err != nil {
				return nil, err
			}
		}
	}
	if err := outcome.unmatched(src); err != nil {
		return nil, err
	}
	o.byID = make(map[string][]int, len(o.IDs))
	for i, id := range o.IDs {
		o.byID[id] = append(o.byID[id], i)
	}
	for _, ds := range o.byID {
		slices.SortFunc(ds, func(a, b int) int { return cmpInt(o.Opened[a], o.Opened[b]) })
	}
	return o, nil
}

// outcomeCols are a deals file's columns, −1 for an optional one it
// lacks.
type outcomeCols struct{ id, ts, won, closed, amount, deal int }

// read appends the deal on the current row, the file's row n; deals holds
// the deal ids read so far.
func (o *Outcomes) read(r rows, path string, cols outcomeCols, outcome *outcomeReader, n int, deals map[string]struct{}) error {
	id, null := r.Str(cols.id)
	if null || missingID(id) {
		return emptyCellError(r, path, cols.id)
	}
	opened, null, err := r.Time(cols.ts)
	if err == nil && null {
		return emptyCellError(r, path, cols.ts)
	}
	if err == nil {
		err = CheckTime(opened)
	}
	if err != nil {
		return cellError(r, path, cols.ts, err)
	}
	closed := int64(noTime)
	if c := cols.closed; c >= 0 {
		t, null, err := r.Time(c)
		if err == nil && !null {
			err = CheckTime(t)
		}
		if err != nil {
			return cellError(r, path, c, err)
		}
		if !null {
			closed = t.UnixNano()
		}
	}
	amount := math.NaN()
	if c := cols.amount; c >= 0 {
		v, null, err := r.Num(c)
		if err != nil {
			return cellError(r, path, c, err)
		}
		if !null {
			amount = v
		}
	}
	won, known := false, false
	if s, null := r.Str(cols.won); !null {
		if won, known, err = outcome.read(s); err != nil {
			return cellError(r, path, cols.won, err)
		}
	}
	switch {
	case !known:
		won, closed = false, noTime // no outcome yet: open (a close date is an expected one)
	case cols.closed < 0:
		closed = opened.UnixNano() // no close times: a known outcome counts from the opening
	case closed == noTime:
		return cellError(r, path, cols.closed, errors.New("empty for a deal won or lost: its close time is when the outcome became known (empty is for a deal still open)"))
	case closed < opened.UnixNano():
		return cellError(r, path, cols.closed, fmt.Errorf("before the deal opened (ts %s)", opened.Format(time.RFC3339)))
	}
	if o.DealID != nil {
		deal, _ := r.Str(cols.deal)
		if deal != "" {
			// One hash of the id: a map that does not grow saw it before.
			seen := len(deals)
			deal = strings.Clone(deal)
			if deals[deal] = struct{}{}; len(deals) == seen {
				first := o.row[slices.Index(o.DealID, deal)]
				return cellError(r, path, cols.deal, fmt.Errorf("duplicate deal_id %q (first at data row %d): a deals file has one row per deal, not one per stage change", deal, first))
			}
		}
		o.DealID = append(o.DealID, deal)
	}
	o.IDs = append(o.IDs, strings.Clone(id))
	o.Opened = append(o.Opened, opened.UnixNano())
	o.Closed = append(o.Closed, closed)
	o.Won = append(o.Won, won)
	o.Amount = append(o.Amount, amount)
	o.row = append(o.row, int32(n))
	return nil
}

// Len returns the number of deals.
func (o *Outcomes) Len() int { return len(o.IDs) }

// HasEntity reports whether an entity has a deal in the file.
func (o *Outcomes) HasEntity(id string) bool { _, ok := o.byID[id]; return ok }

// customer reports whether the entity with these deals (rows of o) had a
// won deal closed before d.
func (o *Outcomes) customer(deals []int, d int64) bool {
	for _, i := range deals {
		if o.Won[i] && o.Closed[i] != noTime && o.Closed[i] < d {
			return true
		}
	}
	return false
}

// openAt reports whether the entity with these deals (rows of o) had one
// opened before d and not closed before it.
func (o *Outcomes) openAt(deals []int, d int64) bool {
	for _, i := range deals {
		if o.Opened[i] < d && (o.Closed[i] == noTime || o.Closed[i] >= d) {
			return true
		}
	}
	return false
}

// converts reports whether one of the entity's deals (rows of o) was
// opened in [from, to), won and closed before known (the outcome known by
// then).
func (o *Outcomes) converts(deals []int, from, to, known int64) bool {
	for _, i := range deals {
		if o.Opened[i] >= from && o.Opened[i] < to && o.Won[i] && o.Closed[i] != noTime && o.Closed[i] < known {
			return true
		}
	}
	return false
}

// OpenDeals returns the deals open at d as cutoff rows at d, with the
// deal's columns (see dealColumns): the population an opportunity model
// scores.
func (o *Outcomes) OpenDeals(d time.Time) *Cutoffs {
	c := &Cutoffs{Source: o.Source}
	var deals []int
	dn := d.UnixNano()
	for i, id := range o.IDs {
		if o.Opened[i] < dn && (o.Closed[i] == noTime || o.Closed[i] >= dn) {
			c.IDs, c.TS = append(c.IDs, id), append(c.TS, d)
			deals = append(deals, i)
		}
	}
	c.Extra = o.dealColumns(deals)
	return c
}

// OpenDealsAt returns, for an opportunity model's training rows, the
// deals open on each date (opened before it, not closed before it) whose
// outcome was known before known, each as of that date and labelled won:
// a deal open over several dates is a row on each, as the deals open on a
// run's date are what the model scores. Rows go by date, then in the
// file's order, with won and the deal's columns (see dealColumns). A file
// without close times is a *SchemaError: none of its closed deals was
// ever open on a date.
func (o *Outcomes) OpenDealsAt(dates []time.Time, known time.Time) (*Cutoffs, error) {
	if !o.closeTimes {
		return nil, &SchemaError{Path: o.Source, Err: errors.New("no closed_at column: the deals open on each date are known only from when each deal closed (map the file's column with --col closed_at=COLUMN)")}
	}
	c := &Cutoffs{Source: o.Source, Snapshots: dates, Known: known}
	var won []bool
	var deals []int
	kn := known.UnixNano()
	for _, d := range dates {
		dn := d.UnixNano()
		for i, id := range o.IDs {
			if o.Opened[i] < dn && o.Closed[i] != noTime && o.Closed[i] >= dn && o.Closed[i] < kn {
				c.IDs, c.TS = append(c.IDs, id), append(c.TS, d)
				won, deals = append(won, o.Won[i]), append(deals, i)
			}
		}
	}
	c.Extra = append([]Column{{Name: "won", Kind: KindBool, Bool: won}}, o.dealColumns(deals)...)
	return c, nil
}

// dealColumns are the columns that say which deal a row is about, for
// these deals (indexes of o): deal_id when the file has one, deal_opened,
// deal_row, the deal's row in the file (1 is the first under the header;
// skipped rows count), and deal_amount when the file has amounts (for the
// call list and its routing, never a feature: a CRM may fill it in at the
// close). An entity may have several deals open at once; its rows differ
// in these columns.
func (o *Outcomes) dealColumns(deals []int) []Column {
	opened := make([]time.Time, len(deals))
	rows := make([]float64, len(deals))
	for k, i := range deals {
		opened[k], rows[k] = timeOf(o.Opened[i]), float64(o.row[i])
	}
	var cols []Column
	if o.DealID != nil {
		ids := make([]string, len(deals))
		for k, i := range deals {
			ids[k] = o.DealID[i]
		}
		cols = append(cols, Column{Name: "deal_id", Kind: KindString, Str: ids})
	}
	cols = append(cols, Column{Name: "deal_opened", Kind: KindTime, Time: opened}, Column{Name: "deal_row", Kind: KindFloat, Float: rows})
	if o.amounts {
		amounts := make([]float64, len(deals))
		for k, i := range deals {
			amounts[k] = o.Amount[i]
		}
		cols = append(cols, Column{Name: "deal_amount", Kind: KindFloat, Float: amounts})
	}
	return cols
}

// Converted reports whether the entity opened a deal in [from, to) that
// the file records as won, whenever it closed: how a call list made on
// from is judged once the outcomes are in.
func (o *Outcomes) Converted(id string, from, to time.Time) bool {
	return o.converts(o.byID[id], from.UnixNano(), to.UnixNano(), math.MaxInt64)
}

// ConvertedValue is the total amount of the won deals the entity opened in
// [from, to) (those with an amount).
func (o *Outcomes) ConvertedValue(id string, from, to time.Time) float64 {
	f, t := from.UnixNano(), to.UnixNano()
	v := 0.0
	for _, i := range o.byID[id] {
		if o.Opened[i] >= f && o.Opened[i] < t && o.Won[i] && o.Closed[i] != noTime && !math.IsNaN(o.Amount[i]) {
			v += o.Amount[i]
		}
	}
	return v
}

// WonDealAt reports whether a deal of the entity open at d was won in the
// end: how an opportunity model's list of open deals is judged, a row per
// deal. The row names its deal by deal (its deal_id) when both the list
// and the file have ids, else by when it opened; a row that names neither
// (a list written without the deal columns) counts any deal of the entity
// open at d.
func (o *Outcomes) WonDealAt(id, deal string, opened, d time.Time) bool {
	dn := d.UnixNano()
	for _, i := range o.byID[id] {
		if !(o.Opened[i] < dn && o.Closed[i] != noTime && o.Closed[i] >= dn && o.Won[i]) {
			continue
		}
		switch {
		case deal != "" && o.DealID != nil:
			if o.DealID[i] == deal {
				return true
			}
		case !opened.IsZero():
			if o.Opened[i] == opened.UnixNano() {
				return true
			}
		default:
			return true
		}
	}
	return false
}

// Through returns the newest time the file records (a deal opening or
// closing): what happened after it is not in the file yet.
func (o *Outcomes) Through() time.Time {
	var last int64 = math.MinInt64
	for i, t := range o.Opened {
		last = max(last, t)
		if o.Closed[i] != noTime {
			last = max(last, o.Closed[i])
		}
	}
	if last == math.MinInt64 {
		return time.Time{}
	}
	return time.Unix(0, last).UTC()
}

// inPopulation reports whether the entity with these deals (rows of o) is
// at d in the target's population: not a customer, and without an open
// deal, as asked.
func (t *Target) inPopulation(o *Outcomes, deals []int, d int64) bool {
	return !(t.ExcludeCustomers && o.customer(deals, d) || t.ExcludeOpenDeals && o.openAt(deals, d))
}

// keep decides whether a conversion snapshot row (entity id, with these
// deals, at d) is in the target's population and, when so, its label and
// whether negative sampling keeps it. known is when the outcomes end: a deal counts only
// if it was known won by then.
func (t *Target) keep(o *Outcomes, id string, deals []int, d, known int64) (label, keep bool) {
	if !t.inPopulation(o, deals, d) {
		return false, false
	}
	label = o.converts(deals, d, d+int64(t.HorizonDays)*dayNanos, known)
	if label || t.SampleNegatives == 0 || t.SampleNegatives == 1 {
		return label, true
	}
	h := hashID(id) ^ uint32(d/dayNanos) ^ uint32(t.Seed*0x9e3779b9)
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	return false, float64(h)/float64(math.MaxUint32) < t.SampleNegatives
}

// SnapshotDates returns the dates from first up to last (exclusive) every
// step ("monthly": the same day of each month, "weekly": every 7 days), or
// the dates of a comma-separated list; with a conversion horizon, only
// those whose horizon ends by last, so that no label reads the future.
func SnapshotDates(step string, first, last time.Time, horizonDays int) ([]time.Time, error) {
	var out []time.Time
	switch step {
	case "monthly", "weekly":
		for i := 0; ; i++ {
			d := first.AddDate(0, i, 0)
			if step == "weekly" {
				d = first.AddDate(0, 0, 7*i)
			}
			if !d.Before(last) || len(out) > MaxSnapshots {
				break
			}
			out = append(out, d)
		}
	default:
		for _, s := range strings.Split(step, ",") {
			d, err := ParseTime(strings.TrimSpace(s))
			if err != nil {
				return nil, fmt.Errorf("snapshot date %w", err)
			}
			out = append(out, d)
		}
		slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
		out = slices.CompactFunc(out, func(a, b time.Time) bool { return a.Equal(b) })
	}
	kept := out[:0]
	for _, d := range out {
		if !d.AddDate(0, 0, horizonDays).After(last) {
			kept = append(kept, d)
		}
	}
	if len(kept) == 0 {
		return nil, fmt.Errorf("no snapshot date from %s whose %d-day horizon ends by %s", first.Format(time.DateOnly), horizonDays, last.Format(time.DateOnly))
	}
	if len(kept) > MaxSnapshots {
		return nil, fmt.Errorf("%d snapshot dates, at most %d", len(kept), MaxSnapshots)
	}
	return kept, nil
}

// Target returns the target a table's rows were built for (its metadata),
// nil when it records none.
func (t *Table) Target() (*Target, error) {
	raw, ok := t.Meta[MetaTarget]
	if !ok {
		return nil, nil
	}
	var tg Target
	if err := json.Unmarshal([]byte(raw), &tg); err != nil {
		return nil, fmt.Errorf("features: metadata %s: %w", MetaTarget, err)
	}
	return &tg, nil
}

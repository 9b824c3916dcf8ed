package predict

import (
	"math"
	"slices"
	"time"

	"leadscore/features"
)

// dealColumns returns a table's deal_id and deal_opened columns, nil
// where it has none of that kind: the columns that tell an account's open
// deals apart in an opportunity model's table.
func dealColumns(t *features.Table) (id, opened *features.Column) {
	if c := t.Column("deal_id"); c != nil && c.Kind == features.KindString {
		id = c
	}
	if c := t.Column("deal_opened"); c != nil && c.Kind == features.KindTime {
		opened = c
	}
	return id, opened
}

// dealAges returns each row's days since its deal opened (deal_opened
// to ts), or nil for a table without both columns.
func dealAges(t *features.Table) []float64 {
	_, opened := dealColumns(t)
	ts := t.Column("ts")
	if opened == nil || ts == nil || ts.Kind != features.KindTime {
		return nil
	}
	ages := make([]float64, t.NumRows())
	for i := range ages {
		ages[i] = math.NaN()
		if !opened.IsNull(i) && !ts.IsNull(i) {
			ages[i] = ts.Time[i].Sub(opened.Time[i]).Hours() / 24
		}
	}
	return ages
}

// TypicalDealAge returns the 99th percentile of the days the rows' deals
// had been open on their dates (Training.DealAgeDays), 0 for a table
// without open deals.
func TypicalDealAge(t *features.Table) float64 {
	var ages []float64
	for _, a := range dealAges(t) {
		if !math.IsNaN(a) {
			ages = append(ages, a)
		}
	}
	if len(ages) == 0 {
		return 0
	}
	slices.Sort(ages)
	return ages[(len(ages)-1)*99/100]
}

// olderThan is how many times Training.DealAgeDays a listed deal must
// have been open to count as older than the model saw: of the ages of
// deals that close like the training ones, next to none are.
const olderThan = 2

// olderDeals counts the listed leads whose deal has been open more than
// olderThan times as long as 99% of those the model learned from.
func olderDeals(m *Model, t *features.Table, out []Ranked) int {
	ages := dealAges(t)
	if ages == nil || m.Training.DealAgeDays <= 0 {
		return 0
	}
	n := 0
	for i := range out {
		if ages[out[i].row] > olderThan*m.Training.DealAgeDays {
			n++
		}
	}
	return n
}

// key identifies a lead from one list to the next: its entity, and for a
// row of an open-deal list its deal (deal_id, else when it opened).
func (r *Ranked) key() string {
	deal := r.DealID
	if deal == nil {
		deal = r.DealOpened
	}
	return leadKey(r.EntityID, deal)
}

// openedText is how a lead holds when its deal opened (Ranked.DealOpened).
func openedText(t time.Time) string { return t.Format(time.RFC3339Nano) }

// leadKey is an entity's key, or with deal (its deal_id, else when it
// opened, as Ranked holds it) its deal's.
func leadKey(entity string, deal *string) string {
	if deal == nil {
		return entity
	}
	return entity + "\x00" + *deal
}

// byKey looks a lead up in a map of the previous list's leads by key. A
// list written before leads named their deals keyed an open deal by its
// account alone: a deal not found by its key is looked up by that.
func byKey[V any](m map[string]V, r *Ranked) (V, bool) {
	v, ok := m[r.key()]
	if !ok && (r.DealID != nil || r.DealOpened != nil) {
		v, ok = m[r.EntityID]
	}
	return v, ok
}

// tableKeys returns the key (see Ranked.key) of each row of a scored
// table, or nil when it has no entity_id column.
func tableKeys(t *features.Table) []string {
	ids := t.Column("entity_id")
	if ids == nil || ids.Kind != features.KindString {
		return nil
	}
	dealID, dealAt := dealColumns(t)
	keys := make([]string, len(ids.Str))
	for i, id := range ids.Str {
		var deal *string
		switch {
		case dealID != nil && !dealID.IsNull(i):
			deal = &dealID.Str[i]
		case dealAt != nil && !dealAt.IsNull(i):
			at := openedText(dealAt.Time[i])
			deal = &at
		}
		keys[i] = leadKey(id, deal)
	}
	return keys
}

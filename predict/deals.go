package predict

import (
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

// key identifies a lead from one list to the next: its entity, and for a
// row of an open-deal list its deal (deal_id, else when it opened).
func (r *Ranked) key() string {
	switch {
	case r.DealID != nil:
		return r.EntityID + "\x00" + *r.DealID
	case r.DealOpened != nil:
		return r.EntityID + "\x00" + *r.DealOpened
	}
	return r.EntityID
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
		switch {
		case dealID != nil && !dealID.IsNull(i):
			keys[i] = id + "\x00" + dealID.Str[i]
		case dealAt != nil && !dealAt.IsNull(i):
			keys[i] = id + "\x00" + dealAt.Time[i].Format(time.RFC3339Nano)
		default:
			keys[i] = id
		}
	}
	return keys
}

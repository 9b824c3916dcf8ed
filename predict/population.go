package predict

import (
	"fmt"

	"leadscore/features"
)

// PopulationError reports a table whose rows are not the population the
// model was trained on: a conversion model ranks contacts on a date, an
// opportunity model open deals. Scoring other rows answers a question
// the model was not asked.
type PopulationError struct {
	Model, Table string
	Hint         string
}

func (e *PopulationError) Error() string {
	return fmt.Sprintf("the model was trained on %s, but this table holds %s: %s", e.Model, e.Table, e.Hint)
}

// checkPopulation compares the rows a table holds (its metadata) with
// the model's target. Models without a target (trained on a flat table)
// score any table.
func checkPopulation(m *Model, t *features.Table) error {
	mt := m.Target
	if mt == nil {
		return nil
	}
	tt, err := t.Target()
	if err != nil {
		return err
	}
	_, asOf := t.Meta[features.MetaAsOf]
	_, snaps := t.Meta[features.MetaSnapshots]
	_, cuts := t.Meta[features.MetaCutoffs]
	model := fmt.Sprintf("%s (%s target)", mt.Population(), mt.Kind)
	switch mt.Kind {
	case features.TargetConversion:
		if tt == nil && asOf {
			tt = &features.Target{Kind: features.TargetConversion} // every contact with an event
		}
		if (asOf || snaps) && tt.SamePopulation(mt) {
			return nil
		}
		table := "rows at deal openings or another cutoff file's moments"
		if asOf || snaps {
			table = tt.Population()
		}
		return &PopulationError{Model: model, Table: table,
			Hint: "build it with leadscore features --as-of D --model M (and the deals file as --outcomes when the model leaves customers or open deals out)"}
	default:
		if cuts && tt != nil && tt.Kind == features.TargetOpportunity {
			return nil
		}
		return &PopulationError{Model: model, Table: (&features.Target{Kind: features.TargetConversion}).Population(),
			Hint: "build it with leadscore features --as-of D --model M --outcomes deals.csv, which gives the deals open on D"}
	}
}

// Package features turns raw CRM events into point-in-time feature tables.
//
// It owns the data contract (docs/data-contract.md): the Event type, the CSV
// and Parquet readers with column mapping and a bad-row policy (BadRows,
// Quarantine, RowError), the entities (Profiles) and cutoff (Cutoffs) tables,
// the aggregation (Build) and the feature table (Table) with its Parquet
// form.
//
// Point-in-time correctness: a row describing an entity as of D uses only
// events with ts < D. In as-of mode every row shares D; in cutoff mode each
// row has its own (a deal's opening time), so a training table never sees
// what happened after the deal opened.
//
// Rule points (RuleSet) live here too, not in a package of their own,
// because they are evaluated in the same pass over the events as the
// features: a rules package would need the Event type and Build would need
// the rules, an import cycle.
//
// Build reads the events once in batches, keeps them compactly in
// partitions by entity, then computes each entity's rows from its events in
// time order (those of one instant by type, then value) on every core: the
// same table, sums to the last bit, whatever the input's order.
// Snapshot tables (Config.Snapshots, with a Target and Outcomes) give one
// labelled row per contact and date for training on the question a call
// list asks. An EntityPlan runs the same per-entity code for an engine that
// groups the events itself (leadscore-beam), one entity at a time.
//
//	t, err := features.Build(ctx, features.Config{
//		Events: features.Source{Path: "events.csv"},
//		AsOf:   time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
//		Rules:  features.DefaultRules(),
//	})
//	if err != nil { ... }
//	err = t.WriteParquet(w)
package features

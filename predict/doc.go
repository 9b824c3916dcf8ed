// Package predict owns the model format (model.json) and scores feature
// tables with it.
//
// A Model carries its input features, their preprocessing and the fitted
// parameters; Read validates a model file once (unknown fields, version,
// dimensions, finite numbers) and NewEncoder checks a table against it once,
// naming missing and mistyped columns in a *SchemaError.
//
// Score blends the model probability p with the row's rule points r:
//
//	score = round(100 · clamp(w·p + (1 − w)·clamp(r / R, −1, 1), 0, 1))
//
// leaves out the leads predict.yaml suppresses, grades the others (a
// conversion model's list by rank: A the top 1%, B the next 4%, C the next
// 15%, D the rest; otherwise by score: A ≥ 75, B ≥ 50, C ≥ 25, else D; each
// grade with a queue), routes them by queue rules and deals them to
// capped, weighted reps, keeping the previous run's owners, explains each
// with the strongest positive and negative contributions (coefficient ×
// standardised value, summed per input feature, for a logistic model;
// exact TreeSHAP values for a tree ensemble) in words with their effect in
// score points, and ranks by score descending, ties broken by data
// quality, the unrounded blend and entity_id. WriteParquet, WriteCSV and
// WriteCallList (one HTML page for sales) write the list.
//
// A tree ensemble (Trees) follows XGBoost's decision rules, scores rows on
// their bins among the thresholds in use (each node a 256-bit set of the
// bins that go right: branch-free, tree by tree over blocks of rows), and
// exports to XGBoost's JSON model format (WriteXGBoostJSON).
package predict

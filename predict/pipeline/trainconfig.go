package pipeline

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"leadscore/features"
	"leadscore/predict"
	"leadscore/train"
)

// DefaultHorizon is how soon after a date a won deal must open for a
// conversion target, unless train.horizon or --horizon says otherwise.
const DefaultHorizon = "90d"

// TrainConfig is pipeline.yaml's train: section: the run trains its model
// from the data before its as-of date, then scores with it.
//
//	train:
//	  target: conversion     # or opportunity (open deals, won or not)
//	  horizon: 90d           # conversion: a won deal opened within this
//	  snapshots: monthly     # or weekly, or a list of dates
//	  history: 12 months     # the first snapshot, before the as-of date
//	  model: gbdt            # or lr, nb
//	  options: {learning_rate: 0.05, early_stopping_rounds: 50}
//	  retrain: every run     # or a period such as 28d: reuse a newer model
//	  refit: true            # once validated, fit again on all the rows
//	  keep_table: false      # true: also write model/training.parquet
//	  drop: [lead_status]    # columns that must not be features
//	  allow_leaks: []        # columns kept although alone they decide the label
//
// Every key has a default; the defaults are those above, with the model's
// options at train's defaults but for gbdt's: learning_rate 0.05, lambda
// 10, min_data_in_leaf 100, early_stopping_rounds 50.
type TrainConfig struct {
	Target    string `yaml:"target"`
	Horizon   string `yaml:"horizon"`
	Snapshots string `yaml:"snapshots"`
	History   string `yaml:"history"`
	Model     string `yaml:"model"`
	// Spec is a feature spec file; empty means the default feature set.
	Spec    string       `yaml:"spec"`
	Options TrainOptions `yaml:"options"`
	// ExcludeCustomers and ExcludeOpenDeals narrow a conversion target's
	// population; SampleNegatives keeps that share of negative rows.
	ExcludeCustomers bool    `yaml:"exclude_customers"`
	ExcludeOpenDeals bool    `yaml:"exclude_open_deals"`
	SampleNegatives  float64 `yaml:"sample_negatives"`
	// Retrain is "every run", or a period: a run reuses the model of the
	// newest earlier run within it (same train: section, trained before
	// the new as-of date) instead of training.
	Retrain string `yaml:"retrain"`
	Seed    uint64 `yaml:"seed"`
	// Refit, true unless set false, fits the model again on all its rows
	// once validated (train.Config.Refit).
	Refit *bool `yaml:"refit"`
	// KeepTable writes the training rows to OUT/<date>/model/training.parquet,
	// for the data team and for comparisons with other tools.
	KeepTable bool `yaml:"keep_table"`
	// Drop lists columns that must not be features: an entities file's
	// fields that hold today's state rather than the state on each
	// snapshot date (a lead status, a lifecycle stage). AllowLeaks lists
	// columns to keep although on their own they all but decide the
	// label (train.Config.AllowLeaks); training stops at any other.
	// Empty lists leave the section's hash as it was without them.
	Drop       []string `yaml:"drop" json:",omitempty"`
	AllowLeaks []string `yaml:"allow_leaks" json:",omitempty"`
}

// TrainOptions are a model type's settings (train.Config and
// train.GBDTConfig); zero means the default.
type TrainOptions struct {
	C                   float64 `yaml:"c" json:"c,omitempty"`
	Rounds              int     `yaml:"rounds" json:"rounds,omitempty"`
	Leaves              int     `yaml:"leaves" json:"leaves,omitempty"`
	MaxDepth            int     `yaml:"max_depth" json:"max_depth,omitempty"`
	LearningRate        float64 `yaml:"learning_rate" json:"learning_rate,omitempty"`
	MinDataInLeaf       int     `yaml:"min_data_in_leaf" json:"min_data_in_leaf,omitempty"`
	Lambda              float64 `yaml:"lambda" json:"lambda,omitempty"`
	Subsample           float64 `yaml:"subsample" json:"subsample,omitempty"`
	Colsample           float64 `yaml:"colsample" json:"colsample,omitempty"`
	EarlyStoppingRounds *int    `yaml:"early_stopping_rounds" json:"early_stopping_rounds,omitempty"`
	MaxBins             int     `yaml:"max_bins" json:"max_bins,omitempty"`
}

// UnmarshalYAML reads the options, refusing a tree setting written as 0,
// which would mean its default (rounds: 0 trained 300 trees), and taking
// lambda: 0 as no L2 on leaf values (train.GBDTConfig's negative), not
// as a run's default 10. An unknown key is refused as the config's
// strict decoder would (features.KnownKeys).
func (o *TrainOptions) UnmarshalYAML(n *yaml.Node) error {
	type plain TrainOptions
	if err := n.Decode((*plain)(o)); err != nil {
		return err
	}
	if err := features.KnownKeys(n, TrainOptions{}); err != nil {
		return err
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if x, err := strconv.ParseFloat(v.Value, 64); v.Kind != yaml.ScalarNode || err != nil || x != 0 {
			continue
		}
		switch k.Value {
		case "lambda":
			o.Lambda = -1
		case "rounds", "leaves", "learning_rate", "min_data_in_leaf", "subsample", "colsample", "max_bins":
			return fmt.Errorf("line %d: train.options.%s: must be more than 0", v.Line, k.Value)
		}
	}
	return nil
}

// A run's gbdt, unless options say otherwise: snapshot rows are many and
// their labels rare and noisy, so it learns slowly, with larger leaves and
// stronger L2 on leaf values than train's defaults, and stops after 50
// rounds without a better holdout loss (BENCHMARKS.md, "Call list
// backtest", compares this with train's defaults).
const (
	defaultLearningRate  = 0.05
	defaultLambda        = 10
	defaultMinDataInLeaf = 100
	defaultEarlyStopping = 50
)

// ModelTypes maps the model names of the CLI and pipeline.yaml to types.
var ModelTypes = map[string]predict.ModelType{"lr": predict.TypeLogistic, "nb": predict.TypeNaiveBayes, "gbdt": predict.TypeGBDT}

// trainPlan is a train: section with its values parsed.
type trainPlan struct {
	target  features.Target
	history features.Period
	retrain *features.Period // nil: every run
	spec    features.Spec
	cfg     train.Config
	hash    string // of the section and the spec, for reuse
}

func (tc *TrainConfig) validate() error {
	_, err := tc.parse()
	return err
}

// parse checks the section and fills in the defaults; errors are
// *features.FieldError naming the key.
func (tc *TrainConfig) parse() (*trainPlan, error) {
	p := &trainPlan{}
	kind := features.TargetKind(or(tc.Target, string(features.TargetConversion)))
	p.target = features.Target{Kind: kind, ExcludeCustomers: tc.ExcludeCustomers, ExcludeOpenDeals: tc.ExcludeOpenDeals,
		SampleNegatives: tc.SampleNegatives, Seed: tc.Seed}
	switch kind {
	case features.TargetConversion:
		days, err := features.ParseHorizon(or(tc.Horizon, DefaultHorizon))
		if err != nil {
			return nil, features.FieldErrorf("train.horizon", "%v", err)
		}
		p.target.HorizonDays = days
	case features.TargetOpportunity:
		if tc.Horizon != "" || tc.ExcludeCustomers || tc.ExcludeOpenDeals || tc.SampleNegatives != 0 {
			return nil, features.FieldErrorf("train.target", "opportunity trains on the deals open on each snapshot date: horizon, exclude_* and sample_negatives are for conversion")
		}
	default:
		return nil, features.FieldErrorf("train.target", "%q: want conversion or opportunity", tc.Target)
	}
	if err := p.target.Validate(); err != nil {
		return nil, features.FieldErrorf("train.sample_negatives", "%v", err)
	}
	if step := or(tc.Snapshots, "monthly"); step != "monthly" && step != "weekly" {
		// A list of dates is checked now; which of them are used depends on
		// the run's as-of date.
		if _, err := features.SnapshotDates(step, time.Time{}, time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC), 0); err != nil {
			return nil, features.FieldErrorf("train.snapshots", "want monthly, weekly or a list of dates: %v", err)
		}
	}
	var err error
	if p.history, err = features.ParsePeriod(or(tc.History, "12 months")); err != nil {
		return nil, features.FieldErrorf("train.history", "%v", err)
	}
	if r := strings.TrimSpace(tc.Retrain); r != "" && r != "every run" {
		per, err := features.ParsePeriod(r)
		if err != nil {
			return nil, features.FieldErrorf("train.retrain", "want \"every run\" or a period such as 28d: %v", err)
		}
		p.retrain = &per
	}
	typ, ok := ModelTypes[or(tc.Model, "gbdt")]
	if !ok {
		return nil, features.FieldErrorf("train.model", "%q: want lr, nb or gbdt", tc.Model)
	}
	if err := tc.Options.check(typ); err != nil {
		return nil, err
	}
	o := tc.Options
	es := defaultEarlyStopping
	if o.EarlyStoppingRounds != nil {
		es = *o.EarlyStoppingRounds
	}
	if typ == predict.TypeGBDT {
		o.LearningRate = cmp.Or(o.LearningRate, defaultLearningRate)
		o.Lambda = cmp.Or(o.Lambda, defaultLambda)
		o.MinDataInLeaf = cmp.Or(o.MinDataInLeaf, defaultMinDataInLeaf)
	}
	p.cfg = train.Config{Model: typ, Label: p.target.Label(), TimeColumn: "ts", C: o.C, Seed: tc.Seed,
		GBDT: train.GBDTConfig{Rounds: o.Rounds, Leaves: o.Leaves, MaxDepth: o.MaxDepth, LearningRate: o.LearningRate, MinDataInLeaf: o.MinDataInLeaf,
			Lambda: o.Lambda, Subsample: o.Subsample, Colsample: o.Colsample, EarlyStoppingRounds: es, MaxBins: o.MaxBins}}
	p.cfg.Refit = tc.Refit == nil || *tc.Refit
	p.cfg.Drop, p.cfg.AllowLeaks = tc.Drop, tc.AllowLeaks
	if p.cfg.Seed == 0 {
		p.cfg.Seed = 1
	}
	if err := p.cfg.Validate(); err != nil {
		return nil, features.FieldErrorf("train.options", "%v", err)
	}
	b, _ := json.Marshal(tc) // plain data: cannot fail
	h := sha256.Sum256(b)
	p.hash = hex.EncodeToString(h[:8])
	return p, nil
}

// check refuses options that the model type does not have, so that a
// setting is never silently ignored.
func (o TrainOptions) check(typ predict.ModelType) error {
	trees := o.Rounds != 0 || o.Leaves != 0 || o.MaxDepth != 0 || o.LearningRate != 0 || o.MinDataInLeaf != 0 || o.Lambda != 0 ||
		o.Subsample != 0 || o.Colsample != 0 || o.EarlyStoppingRounds != nil || o.MaxBins != 0
	switch {
	case typ != predict.TypeGBDT && trees:
		return features.FieldErrorf("train.options", "tree options (rounds, leaves, learning_rate, …) are for model: gbdt")
	case typ != predict.TypeLogistic && o.C != 0:
		return features.FieldErrorf("train.options.c", "c is for model: lr")
	}
	return nil
}

// or returns s, or def when s is empty.
func or(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

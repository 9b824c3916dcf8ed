package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"leadscore/features"
	"leadscore/predict"
)

// TableJob describes a feature table to build: which rows (as of a date,
// per cutoff, or per contact and snapshot date), from which files, with
// which features.
type TableJob struct {
	Events   features.Source
	Entities *features.Source
	Cutoffs  *features.Source
	// Outcomes is the deals file: it labels snapshot rows, selects the
	// population a target asks for, and gives an opportunity model's
	// open deals.
	Outcomes *features.Source
	// Exactly one of AsOf, Cutoffs and Snapshots says the rows. Snapshots
	// is "monthly", "weekly" or a comma-separated list of dates, from
	// First up to Last (the outcomes' end): for a conversion target every
	// contact on each date, for an opportunity target the deals open on
	// each date that closed before Last, labelled won.
	AsOf        time.Time
	Snapshots   string
	First, Last time.Time
	// Target is what the rows are for; nil takes the model's.
	Target *features.Target
	// Model, when set, fixes the spec (and, without Target, the target).
	Model *predict.Model
	Spec  features.Spec
	Rules *features.RuleSet

	AllEntities, Dedupe bool
	BadRows             *features.BadRows
	Logger              *slog.Logger
	Progress            func(rows int64)
	// Build builds the table from the configuration; nil is features.Build.
	Build func(context.Context, features.Config) (*features.Table, error)
}

// BuildTable reads the job's files and builds its feature table.
func BuildTable(ctx context.Context, job TableJob) (*features.Table, error) {
	cfg, err := job.Config(ctx)
	if err != nil {
		return nil, err
	}
	if job.Build != nil {
		return job.Build(ctx, cfg)
	}
	return features.Build(ctx, cfg)
}

// Config reads the job's entities and outcomes and returns the
// configuration of its table.
func (job TableJob) Config(ctx context.Context) (features.Config, error) {
	var none features.Config
	var err error
	cfg := features.Config{Events: job.Events, Spec: job.Spec, Rules: job.Rules, AllEntities: job.AllEntities, Dedupe: job.Dedupe,
		BadRows: job.BadRows, Logger: job.Logger, Progress: job.Progress, Target: job.Target}
	if m := job.Model; m != nil {
		if m.FeatureSpec == nil {
			return none, fmt.Errorf("model %s was not trained on a feature table: it has no spec to follow", m.ID)
		}
		cfg.Spec = *m.FeatureSpec
		if cfg.Target == nil && m.Target != nil {
			t := *m.Target
			t.SampleNegatives, t.Seed = 0, 0
			cfg.Target = &t
		}
	}
	// The files read before the events go to the debug log beside the
	// build's own phases.
	log := logger(job.Logger)
	if job.Entities != nil {
		start := time.Now()
		if cfg.Profiles, err = features.ReadProfiles(ctx, *job.Entities, job.BadRows); err != nil {
			return none, err
		}
		log.Debug("entities read", "entities", len(cfg.Profiles.IDs), "duration", time.Since(start).Round(time.Millisecond))
		for _, note := range cfg.Profiles.Notes {
			log.Warn("entities: "+note, "file", job.Entities.Path)
		}
	}
	var outcomes *features.Outcomes
	if job.Outcomes != nil {
		start := time.Now()
		if outcomes, err = features.ReadOutcomes(ctx, *job.Outcomes, job.BadRows); err != nil {
			return none, err
		}
		log.Debug("deals read", "deals", outcomes.Len(), "duration", time.Since(start).Round(time.Millisecond))
	}
	tg := cfg.Target
	switch {
	case job.Snapshots != "":
		if tg == nil {
			return none, errors.New("snapshot rows are for a target: conversion (give its horizon) or opportunity")
		}
		if outcomes == nil {
			return none, errors.New("snapshot rows need the outcomes (a deals file) to label them")
		}
		horizon := 0
		if tg.Kind == features.TargetConversion {
			horizon = tg.HorizonDays
		}
		dates, err := features.SnapshotDates(job.Snapshots, job.First, job.Last, horizon)
		if err != nil {
			return none, &UsageError{Err: err} // the dates, horizon or history asked for
		}
		if tg.Kind == features.TargetOpportunity {
			if cfg.Cutoffs, err = outcomes.OpenDealsAt(dates, job.Last); err != nil {
				return none, err
			}
			cfg.AllEntities = false
			break
		}
		cfg.Snapshots, cfg.Outcomes, cfg.OutcomesKnown = dates, outcomes, job.Last
	case job.Cutoffs != nil:
		if cfg.Cutoffs, err = features.ReadCutoffs(ctx, *job.Cutoffs, job.BadRows); err != nil {
			return none, err
		}
	case tg != nil && tg.Kind == features.TargetOpportunity:
		if outcomes == nil {
			return none, errors.New("an opportunity model scores open deals: give the deals file (outcomes)")
		}
		cfg.Cutoffs, cfg.AllEntities = outcomes.OpenDeals(job.AsOf), false
	default:
		cfg.AsOf = job.AsOf
		if tg != nil && (tg.ExcludeCustomers || tg.ExcludeOpenDeals) {
			if outcomes == nil {
				return none, fmt.Errorf("the population (%s) needs the deals file (outcomes)", tg.Population())
			}
			cfg.Outcomes = outcomes
		}
	}
	return cfg, nil
}

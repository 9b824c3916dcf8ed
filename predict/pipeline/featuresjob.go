package pipeline

import (
	"context"
	"log/slog"

	"leadscore/features"
)

// FeaturesJob is a feature table to write, as 'leadscore features' asks
// for it: files, dates and settings as given, read and checked by Run.
type FeaturesJob struct {
	Reading
	Events, Entities, Cutoffs, Outcomes string
	// Exactly one of AsOf, Cutoffs and Snapshots says the rows; Snapshots
	// (monthly, weekly or D1,D2,...) runs from First to Last.
	AsOf, Snapshots, First, Last string
	// Target (conversion or opportunity), Horizon (90d) and the rest say
	// what the rows are for; see features.Target.
	Target, Horizon                    string
	ExcludeCustomers, ExcludeOpenDeals bool
	SampleNegatives                    float64
	Seed                               uint64
	// Rules is a rules file or "default"; Spec a spec file; Model a model
	// whose spec and population the rows follow.
	Rules, Spec, Model  string
	AllEntities, Dedupe bool
	Out                 string // a .parquet file

	Tool     string // recorded in the table's metadata
	Logger   *slog.Logger
	Progress func(rows int64)
}

// Run builds the table and writes it to Out a row group at a time, or
// writes nothing; it returns the table's shape.
func (j *FeaturesJob) Run(ctx context.Context) (rows, columns int, err error) {
	if j.Events == "" || j.Out == "" {
		return 0, 0, Usagef("--events and --out are required")
	}
	if err := parquetOut(j.Out, "feature tables are", ""); err != nil {
		return 0, 0, err
	}
	job, err := j.tableJob()
	if err != nil {
		return 0, 0, err
	}
	var o Outputs
	defer o.Abort()
	o.Protect(j.Events, j.Entities, j.Cutoffs, j.Outcomes, j.Spec, j.Rules)
	out, err := o.Create(j.Out)
	if err != nil {
		return 0, 0, err
	}
	if job.BadRows, err = BadRows(&o, QuarantinePath(j.Out), j.MaxBadRows); err != nil {
		return 0, 0, err
	}
	inputs := map[string]string{"events": j.Events, "entities": j.Entities, "cutoffs": j.Cutoffs, "outcomes": j.Outcomes, "spec": j.Spec}
	if j.Rules != "default" {
		inputs["rules"] = j.Rules
	}
	// A CSV events file, often the largest input, is hashed as it is read.
	digest := job.Events.DigestWhileReading()
	if digest != nil {
		delete(inputs, "events")
	}
	hashes := hashInputs(inputs)
	cfg, err := job.Config(ctx)
	if err != nil {
		return 0, 0, err
	}
	rows, columns, err = features.BuildParquet(ctx, cfg, out, func(meta map[string]string) error {
		fps, err := hashes.wait()
		if err == nil && digest != nil {
			fps["events"], err = digestFingerprint(j.Events, digest)
		}
		Stamp(meta, fps, j.Tool)
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	if err := o.Commit(); err != nil {
		return 0, 0, err
	}
	logSkipped(j.Logger, job.BadRows, QuarantinePath(j.Out))
	return rows, columns, nil
}

// tableJob reads the settings and the small files (rules, spec, model)
// into a TableJob; the data files are read later.
func (j *FeaturesJob) tableJob() (TableJob, error) {
	job := TableJob{AllEntities: j.AllEntities, Dedupe: j.Dedupe, Logger: j.Logger, Progress: j.Progress}
	modes := 0
	for _, v := range []string{j.AsOf, j.Cutoffs, j.Snapshots} {
		if v != "" {
			modes++
		}
	}
	if modes != 1 {
		return job, Usagef("give exactly one of --as-of, --cutoffs and --snapshots")
	}
	if j.Spec != "" && j.Model != "" {
		return job, Usagef("give at most one of --spec and --model (the model carries its own spec)")
	}
	if err := j.checkBadRows(); err != nil {
		return job, err
	}
	var err error
	if job.Events, err = j.Source("events", j.Events); err != nil {
		return job, err
	}
	if job.Entities, err = j.optional("entities", j.Entities); err != nil {
		return job, err
	}
	if job.Cutoffs, err = j.optional("cutoffs", j.Cutoffs); err != nil {
		return job, err
	}
	if job.Outcomes, err = j.optional("outcomes", j.Outcomes); err != nil {
		return job, err
	}
	if j.AsOf != "" {
		if job.AsOf, err = ParseDate("as-of", j.AsOf); err != nil {
			return job, err
		}
	}
	target := j.Target
	if j.Snapshots != "" {
		if j.First == "" || j.Last == "" {
			return job, Usagef("--snapshots needs --first and --last")
		}
		if j.Outcomes == "" {
			return job, Usagef("--snapshots needs --outcomes, the deals file that labels the rows")
		}
		job.Snapshots = j.Snapshots
		if job.First, err = ParseDate("first", j.First); err != nil {
			return job, err
		}
		if job.Last, err = ParseDate("last", j.Last); err != nil {
			return job, err
		}
		target = ifSet(target, string(features.TargetConversion))
	}
	if target != "" || j.Horizon != "" || j.ExcludeCustomers || j.ExcludeOpenDeals || j.SampleNegatives != 0 {
		tg := &features.Target{Kind: features.TargetKind(ifSet(target, string(features.TargetConversion))), ExcludeCustomers: j.ExcludeCustomers,
			ExcludeOpenDeals: j.ExcludeOpenDeals, SampleNegatives: j.SampleNegatives, Seed: j.Seed}
		switch tg.Kind {
		case features.TargetConversion:
			if tg.HorizonDays, err = ParseHorizon("horizon", ifSet(j.Horizon, DefaultHorizon)); err != nil {
				return job, err
			}
		case features.TargetOpportunity:
			if j.Horizon != "" || j.ExcludeCustomers || j.ExcludeOpenDeals || j.SampleNegatives != 0 {
				return job, Usagef("--horizon, --exclude-customers, --exclude-open-deals and --sample-negatives are for --target conversion")
			}
		default:
			return job, Usagef("--target %q: want conversion or opportunity", target)
		}
		if !(j.SampleNegatives >= 0 && j.SampleNegatives <= 1) {
			return job, Usagef("--sample-negatives %g: want the share of negative rows to keep, in (0, 1] (0 keeps all)", j.SampleNegatives)
		}
		if err := tg.Validate(); err != nil {
			return job, &UsageError{Err: err}
		}
		job.Target = tg
	}
	if job.Rules, err = LoadRules(j.Rules); err != nil {
		return job, err
	}
	if j.Spec != "" {
		if job.Spec, err = LoadSpec(j.Spec); err != nil {
			return job, err
		}
	}
	if j.Model != "" {
		if job.Model, err = readModel(j.Model); err != nil {
			return job, err
		}
	}
	return job, nil
}

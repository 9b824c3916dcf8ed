package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"leadscore/features"
	"leadscore/predict"
	"leadscore/rfm"
	"leadscore/train"
)

// Options are what a run takes besides pipeline.yaml.
type Options struct {
	// AsOf is the run's date: only events before it count. Required.
	AsOf time.Time
	// Wait makes a run whose out folder is locked by another wait for it
	// instead of failing with a *LockedError.
	Wait bool
	// Tool is the tool version recorded in the outputs and the manifest.
	Tool string
	// ExitCode, when set, gives the exit code a failed run's manifest
	// records for its error.
	ExitCode func(error) int
	// Logger receives one line per stage; nil discards.
	Logger *slog.Logger
	// Progress, when set, is called during the feature stage with the
	// number of event rows read so far.
	Progress func(rows int64)
	// Features, when set, builds the feature table in place of
	// features.Build (leadscore-beam builds it on Apache Beam); it must
	// return the table Build would.
	Features func(context.Context, features.Config) (*features.Table, error)
}

// Result is what a finished run wrote.
type Result struct {
	Dir      string // OUT/<date>
	Manifest *Manifest
	Ranked   int
}

// plan is a run's configuration read and checked before any work: every
// file named in pipeline.yaml that is configuration (model, rules,
// predict.yaml) is loaded, so that a mistake in one fails at once.
type plan struct {
	cfg     *Config
	raw     []byte
	model   *predict.Model // nil until the train stage, with a train: section
	train   *trainPlan
	rules   *features.RuleSet
	predict predict.Config
	out     string
	hashes  *inputHashes // the inputs' fingerprints, read beside the stages
}

// recordInputs waits for the inputs' fingerprints and records them in the
// manifest.
func (p *plan) recordInputs(man *Manifest) error {
	fps, err := p.hashes.wait()
	if err != nil {
		return err
	}
	man.Inputs = fps
	return nil
}

func (c *Config) plan(raw []byte) (*plan, error) {
	p := &plan{cfg: c, raw: raw, out: c.resolve(c.Out)}
	var err error
	if c.Train != nil {
		if p.train, err = c.Train.parse(); err != nil {
			return nil, err
		}
		if c.Train.Spec != "" {
			if p.train.spec, err = LoadSpec(c.resolve(c.Train.Spec)); err != nil {
				return nil, err
			}
		}
		p.train.hash += "-" + p.train.spec.Hash()
		if r := c.Events.RenameTypes; len(r) > 0 {
			// The types a model's columns are named after.
			b, _ := json.Marshal(r) // a map of strings, keys sorted: cannot fail
			h := sha256.Sum256(b)
			p.train.hash += "-" + hex.EncodeToString(h[:4])
		}
	} else {
		m, err := readModel(c.resolve(c.Model))
		if err != nil {
			return nil, err
		}
		if m.FeatureSpec == nil {
			return nil, fmt.Errorf("model %s has no feature spec: train it on a feature table", c.Model)
		}
		p.model = m
	}
	if p.rules, err = LoadRules(c.resolve(c.Rules)); err != nil {
		return nil, err
	}
	if p.predict, err = LoadPredictConfig(c.resolve(c.Predict)); err != nil {
		return nil, err
	}
	return p, nil
}

// Run does what pipeline.yaml says for one as-of date: today's features
// with the model's spec and the rules, the customers' rfm stage when
// orders are given, and the ranked call list, written to OUT/<date>/ with
// a manifest.
//
// A run owns its out folder (see the layout above claim): it takes the
// folder's lock for its whole length, writes into a fresh run folder, and
// when everything is written swaps the OUT/<date> link to it and points
// OUT/latest at the newest date. A failed or killed run leaves the previous
// outputs as they were; a failed one writes OUT/<date>.failed.json, which
// the next success for that date removes. The newest earlier run's call
// list is the previous state (owners kept, changes shown). Every output but
// the manifest (which records durations) is byte-identical for the same
// inputs, config, date and earlier runs.
func Run(ctx context.Context, c *Config, raw []byte, opts Options) (*Result, error) {
	log := logger(opts.Logger)
	if err := features.CheckTime(opts.AsOf); err != nil {
		return nil, fmt.Errorf("pipeline: Options.AsOf: %w", err)
	}
	p, err := c.plan(raw)
	if err != nil {
		return nil, err
	}
	if err := claim(p.out); err != nil {
		return nil, err
	}
	unlock, err := lockFolder(ctx, p.out, opts.Wait)
	if err != nil {
		return nil, err
	}
	defer unlock()
	// Recheck under the lock: another run may have changed the folder.
	if err := checkEntries(p.out); err != nil {
		return nil, err
	}
	cleanData(p.out)
	date := dateOf(opts.AsOf)
	h := sha256.Sum256(raw)
	man := &Manifest{AsOf: date, Status: "failed", ConfigHash: hex.EncodeToString(h[:8]),
		Inputs: map[string]string{}, Rows: map[string]int{}, Seconds: map[string]float64{}, Warnings: []string{}, Tool: opts.Tool}
	dir, err := newRunFolder(p.out, date)
	if err != nil {
		return nil, err
	}
	failed := filepath.Join(p.out, date+".failed.json")
	if err := p.stages(ctx, dir, man, opts, log); err != nil {
		removeRunFolder(dir)
		// A failed run leaves the previous outputs as they were and says
		// why beside them.
		man.Status, man.Error = "failed", err.Error()
		if p.hashes != nil && len(man.Inputs) == 0 {
			p.recordInputs(man) // the inputs the run failed on, when they could be read
		}
		if opts.ExitCode != nil {
			man.ExitCode = opts.ExitCode(err)
		}
		if werr := WriteFile(failed, man.write); werr != nil {
			log.Error("could not write the failure manifest", "path", failed, "error", werr)
		}
		return nil, err
	}
	if err := swapLink(p.out, date, filepath.Join(dataName, filepath.Base(dir))); err != nil {
		removeRunFolder(dir)
		return nil, err
	}
	os.Remove(failed)
	if err := pointLatest(p.out); err != nil {
		return nil, err
	}
	cleanData(p.out)
	final := filepath.Join(p.out, date)
	log.Info("run finished", "as_of", date, "dir", final, "warnings", len(man.Warnings))
	return &Result{Dir: final, Manifest: man, Ranked: man.Rows["ranked"]}, nil
}

// stages runs the train (with a train: section), features, rfm and
// predict stages into the run folder dir and writes the manifest last.
func (p *plan) stages(ctx context.Context, dir string, man *Manifest, opts Options, log *slog.Logger) error {
	c := p.cfg
	stage := func(name string, start time.Time) {
		man.Seconds[name] = time.Since(start).Round(time.Millisecond).Seconds()
	}
	// Every data input is there before any work: a missing orders file
	// would otherwise stop the run after training.
	if err := c.checkInputs(); err != nil {
		return err
	}
	var o Outputs
	defer o.Abort()
	bad, err := BadRows(&o, filepath.Join(dir, "quarantine.csv"), c.MaxBadRows)
	if err != nil {
		return err
	}
	// Each input is hashed once, for the manifest and the tables' metadata,
	// while the first stage reads it.
	p.hashes = hashInputs(c.inputs())
	if p.train != nil {
		// Predict words its verdict on a model no better than chance.
		tlog := warningLog(log, man, "training", train.ChanceWarning)
		if err := p.trainStage(ctx, &o, dir, man, opts, tlog); err != nil {
			return err
		}
	}
	man.ModelID = p.model.ID
	// Warnings predict words for the manifest itself (below) are logged
	// to log; the scoring table's and rfm's go to the manifest as logged.
	wlog := warningLog(log, man, "")
	t0 := time.Now()
	job := c.scoringJob(opts.AsOf, p.model, p.rules, bad)
	job.Logger, job.Progress, job.Build = wlog, opts.Progress, opts.Features
	t, err := BuildTable(ctx, job)
	if err != nil {
		return err
	}
	if err := p.recordInputs(man); err != nil {
		return err
	}
	Stamp(t.Meta, tableInputs(man.Inputs), opts.Tool)
	f, err := o.Create(filepath.Join(dir, "features.parquet"))
	if err != nil {
		return err
	}
	if err := t.WriteParquet(f); err != nil {
		return err
	}
	man.Rows["features"] = t.NumRows()
	stage("features", t0)

	pcfg := p.predict
	pcfg.Logger = log
	if prev := previousRun(p.out, opts.AsOf); prev != "" {
		// The newest earlier run: owners stay, changes show.
		if pcfg.Previous, err = predict.ReadRankedFile(filepath.Join(p.out, prev, "ranked.parquet")); err != nil {
			log.Warn("the previous run's call list cannot be read: owners are dealt afresh", "run", prev, "error", err)
			man.Warnings = append(man.Warnings, fmt.Sprintf("the previous run's call list (%s) cannot be read: owners were dealt afresh", prev))
			pcfg.Previous = nil
		} else {
			man.PreviousRun = prev
			if f, err := os.Open(filepath.Join(p.out, prev, "features.parquet")); err == nil {
				pcfg.PreviousTable, _ = features.ReadParquetTable(ctx, f, "features.parquet") // without it, drops name no inputs
				f.Close()
			}
		}
	}
	if len(pcfg.Keep) > 0 && c.Entities != nil {
		if pcfg.KeepFrom, err = ReadEntities(ctx, c.source(c.Entities), pcfg.Keep); err != nil {
			return err
		}
	}
	if c.Orders != nil {
		t1 := time.Now()
		res, err := rfm.Compute(ctx, rfm.Config{Orders: c.source(c.Orders), AsOf: opts.AsOf, Unit: c.TimeUnit, BadRows: bad, Logger: wlog})
		if err != nil {
			return err
		}
		if err := WriteRFM(&o, filepath.Join(dir, "rfm.parquet"), filepath.Join(dir, "clv.json"), res, opts.Tool); err != nil {
			return err
		}
		pcfg.Customers, pcfg.CustomersFrom = Customers(res.Customers), c.Orders.Path
		man.Rows["customers"] = len(res.Customers)
		stage("rfm", t1)
	}
	t2 := time.Now()
	ranked, sum, err := predict.Score(ctx, p.model, t, pcfg)
	if err != nil {
		return err
	}
	if err := WriteRanked(&o, filepath.Join(dir, "ranked.parquet"), filepath.Join(dir, "ranked.csv"), filepath.Join(dir, "calllist.html"), ranked, p.model, sum); err != nil {
		return err
	}
	man.Rows["ranked"] = len(ranked)
	stage("predict", t2)
	if sum.NoEvents { // first: idle rules and drift follow from it
		man.Warnings = slices.Insert(man.Warnings, 0, "no event falls before the as-of date: every lead is scored on its attributes alone; is the events feed still running?")
	}
	for _, d := range sum.Drifted {
		man.Warnings = append(man.Warnings, "input drifted: "+d)
	}
	if sum.RulesOnly {
		man.Warnings = append(man.Warnings, "model no better than chance: scored by rule points alone")
	}
	if sum.OlderDeals > 0 {
		man.Warnings = append(man.Warnings, fmt.Sprintf("%d open deals have been open over %.0f days, twice as long as 99%% of those the model learned from: their scores extrapolate",
			sum.OlderDeals, sum.OlderDealsDays))
	}
	if sum.StaleDays > 0 {
		man.Warnings = append(man.Warnings, fmt.Sprintf("the newest event is %.1f days older than the as-of date: is the events feed still running?", sum.StaleDays))
	}
	man.BadRows = bad.Count()
	man.Status = "ok"
	mf, err := o.Create(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return err
	}
	if err := man.write(mf); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return o.Commit()
}

// scoringJob is the run's feature table: every entity as of the date,
// with the model's spec and the rules.
func (c *Config) scoringJob(asOf time.Time, m *predict.Model, rules *features.RuleSet, bad *features.BadRows) TableJob {
	job := TableJob{Events: c.source(&c.Events), Model: m, Rules: rules, AsOf: asOf, AllEntities: c.Entities != nil, BadRows: bad}
	if c.Entities != nil {
		src := c.source(c.Entities)
		job.Entities = &src
	}
	if c.Deals != nil {
		src := c.source(c.Deals)
		job.Outcomes = &src
	}
	return job
}

// FeatureConfig returns the configuration a run of pipeline.yaml (c) as
// of asOf builds its feature table with, given the spec and target the
// run's model sets (those of the features.Config that Options.Features
// receives): for an engine that builds the table elsewhere from the same
// files (leadscore-beam's workers). Without tables it leaves out the
// entities and deals files, and the target that selects rows by them:
// enough to make records and count them, which read neither. A bad row
// fails.
func FeatureConfig(ctx context.Context, c *Config, asOf time.Time, spec features.Spec, target *features.Target, tables bool) (features.Config, error) {
	rules, err := LoadRules(c.resolve(c.Rules))
	if err != nil {
		return features.Config{}, err
	}
	job := c.scoringJob(asOf, nil, rules, nil)
	job.Spec, job.Target = spec, target
	if !tables {
		job.Entities, job.Outcomes, job.Target, job.AllEntities = nil, nil, nil, false
	}
	return job.Config(ctx)
}

// tableInputs picks the fingerprints of the files a feature table is made
// from.
func tableInputs(inputs map[string]string) map[string]string {
	out := map[string]string{}
	for _, role := range []string{"events", "entities", "rules", "deals"} {
		if fp, ok := inputs[role]; ok {
			out[role] = fp
		}
	}
	return out
}

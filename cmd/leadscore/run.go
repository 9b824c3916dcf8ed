package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"leadscore/features"
	"leadscore/predict"
	"leadscore/rfm"
)

// pipelineInput is one input file of a pipeline config.
type pipelineInput struct {
	Path       string            `yaml:"path"`
	Columns    map[string]string `yaml:"columns"`
	Sep        string            `yaml:"sep"`
	Encoding   string            `yaml:"encoding"`
	TimeFormat string            `yaml:"time_format"`
}

// pipelineConfig is pipeline.yaml: what `leadscore run` reads and writes.
type pipelineConfig struct {
	Out        string         `yaml:"out"`
	Events     pipelineInput  `yaml:"events"`
	Entities   *pipelineInput `yaml:"entities"`
	Orders     *pipelineInput `yaml:"orders"`
	Model      string         `yaml:"model"`
	Rules      string         `yaml:"rules"`
	Predict    string         `yaml:"predict"`
	TimeUnit   string         `yaml:"time_unit"`
	MaxBadRows int            `yaml:"max_bad_rows"`
}

func (in *pipelineInput) source(base string) (features.Source, error) {
	sep, err := parseSep(in.Sep)
	if err != nil {
		return features.Source{}, err
	}
	src := source(resolve(base, in.Path), in.Columns, sep)
	src.CSV.Encoding, src.TimeLayout = in.Encoding, in.TimeFormat
	return src, nil
}

// resolve makes a config path relative to the config file's folder.
func resolve(base, p string) string {
	if p == "" || p == "default" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(base, p)
}

type runOptions struct {
	*globalOptions
	config string
	asOf   string
}

func newRunCmd(g *globalOptions) *cobra.Command {
	opts := &runOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "run --config pipeline.yaml [--as-of DATE]",
		Short: "The nightly batch: features, rules, rfm and predict in one atomic run",
		Long: `Run does what pipeline.yaml says for one as-of date: today's features with
the model's spec and the rules, the customers' rfm stage when orders are
given, and the ranked call list. Outputs go to OUT/<as-of>/ (features.parquet,
rfm.parquet, clv.json, ranked.parquet, ranked.csv, summary.json,
manifest.json) and OUT/latest points at the newest run. OUT/<as-of> is a
symbolic link to the run's folder under OUT/.data, swapped atomically: a rerun
for the same date replaces it, and readers see the old outputs or the new,
never a mix. A failed or killed run leaves the previous outputs untouched;
its folder is removed by the next run. A failed run also writes
OUT/<as-of>.failed.json (the manifest with the error), which the next
successful run for that date removes. Every output is
byte-identical for the same inputs, config and date, but manifest.json, which
also records durations.

pipeline.yaml (paths are relative to the file):

  out: runs
  events: {path: data/events.csv, columns: {entity_id: "Lead Number"}}
  entities: {path: data/entities.csv}
  orders: {path: data/orders.csv}
  model: models/lr
  rules: default          # or a rules file; empty for none
  predict: predict.yaml   # optional scoring settings
  time_unit: week         # rfm
  max_bad_rows: 0

Exit codes: 0 ok, 1 failure, 2 usage, 3 bad input, 4 model/schema mismatch or
drift beyond predict.yaml's drift_limit, 130 interrupted.`,
		Example: "  leadscore run --config pipeline.yaml --as-of 2025-01-01",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runPipeline(c, opts)
		},
	}
	cmd.Flags().StringVar(&opts.config, "config", "", "pipeline.yaml (required)")
	cmd.Flags().StringVar(&opts.asOf, "as-of", "", "the run's date: only events before it count (default: today, UTC)")
	return cmd
}

// manifest records a run for the scheduler and for audits.
type manifest struct {
	AsOf       string             `json:"as_of"`
	Status     string             `json:"status"`
	ExitCode   int                `json:"exit_code"`
	Error      string             `json:"error,omitempty"`
	ConfigHash string             `json:"config_hash"`
	ModelID    string             `json:"model_id"`
	Inputs     map[string]string  `json:"inputs"`
	Rows       map[string]int     `json:"rows"`
	BadRows    int                `json:"bad_rows"`
	Warnings   []string           `json:"warnings"`
	Seconds    map[string]float64 `json:"seconds"`
	Tool       string             `json:"tool_version"`
}

// parsePipeline decodes pipeline.yaml strictly; errors are configuration
// errors (*features.ConfigError) with the line.
func parsePipeline(raw []byte, name string) (pipelineConfig, error) {
	var pc pipelineConfig
	validate := func() error {
		switch {
		case pc.Out == "":
			return features.FieldErrorf("out", "required: the folder runs are written to")
		case pc.Events.Path == "":
			return features.FieldErrorf("events.path", "required")
		case pc.Model == "":
			return features.FieldErrorf("model", "required")
		case pc.MaxBadRows < 0:
			return features.FieldErrorf("max_bad_rows", "must be 0 or more")
		}
		return nil
	}
	err := features.DecodeConfig(raw, name, &pc, validate)
	return pc, err
}

func runPipeline(c *cobra.Command, opts *runOptions) (err error) {
	log, err := opts.logger()
	if err != nil {
		return err
	}
	if opts.config == "" {
		return usageErrorf("--config is required")
	}
	if opts.asOf == "" {
		// The scheduler's "tonight": the start of today, UTC. Only the
		// command decides this; the libraries take explicit dates.
		opts.asOf = time.Now().UTC().Format(time.DateOnly)
	}
	asOf, err := parseDate("as-of", opts.asOf)
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(opts.config)
	if err != nil {
		return err
	}
	pc, err := parsePipeline(raw, opts.config)
	if err != nil {
		return err
	}
	base := filepath.Dir(opts.config)
	h := sha256.Sum256(raw)
	man := manifest{AsOf: asOf.Format(time.DateOnly), Status: "failed", ConfigHash: hex.EncodeToString(h[:8]),
		Inputs: map[string]string{}, Rows: map[string]int{}, Seconds: map[string]float64{}, Tool: toolVersion()}
	root := resolve(base, pc.Out)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	// Each run writes a fresh folder under OUT/.data; OUT/<as-of> is a
	// symbolic link to it, swapped atomically when the run succeeds. A
	// killed run leaves an unlinked folder there; clear those first.
	data := filepath.Join(root, ".data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return err
	}
	cleanData(root, data)
	tmp, err := os.MkdirTemp(data, man.AsOf+"-")
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if done {
			os.Remove(filepath.Join(root, man.AsOf+".failed.json"))
			return
		}
		os.RemoveAll(tmp)
		// A failed run leaves the previous outputs as they were and says
		// why in OUT/<as-of>.failed.json, removed by the next success.
		if err != nil {
			man.Status, man.Error, man.ExitCode = "failed", err.Error(), exitCode(c.Context(), err)
			b, _ := json.MarshalIndent(man, "", "  ")
			if f, ferr := createAtomic(filepath.Join(root, man.AsOf+".failed.json")); ferr == nil {
				f.Write(append(b, '\n'))
				f.Commit()
			}
		}
	}()
	ctx := c.Context()
	stage := func(name string, start time.Time) {
		man.Seconds[name] = time.Since(start).Round(time.Millisecond).Seconds()
	}

	m, err := predict.ReadFile(resolve(base, pc.Model))
	if err != nil {
		return err
	}
	if m.FeatureSpec == nil {
		return fmt.Errorf("model %s has no feature spec: train it on a feature table", pc.Model)
	}
	man.ModelID = m.ID
	bad := &features.BadRows{Max: pc.MaxBadRows}
	if pc.MaxBadRows > 0 {
		qf, err := os.Create(filepath.Join(tmp, "quarantine.csv"))
		if err != nil {
			return err
		}
		defer qf.Close()
		bad.Quarantine = features.NewQuarantine(qf)
	}
	fcfg := features.Config{AsOf: asOf, AllEntities: pc.Entities != nil, Spec: *m.FeatureSpec, BadRows: bad, Logger: log}
	if fcfg.Events, err = pc.Events.source(base); err != nil {
		return err
	}
	inputs := map[string]string{"events": fcfg.Events.Path}
	if pc.Rules != "" {
		if fcfg.Rules, err = loadRules(resolve(base, pc.Rules)); err != nil {
			return err
		}
		if pc.Rules != "default" {
			inputs["rules"] = resolve(base, pc.Rules)
		}
	}
	t0 := time.Now()
	if pc.Entities != nil {
		src, err := pc.Entities.source(base)
		if err != nil {
			return err
		}
		inputs["entities"] = src.Path
		if fcfg.Profiles, err = features.ReadProfiles(ctx, src, bad); err != nil {
			return err
		}
	}
	bar := opts.progress("features", "events", 0)
	fcfg.Progress = bar.update
	t, err := features.Build(ctx, fcfg)
	bar.done()
	if err != nil {
		return err
	}
	// Each input is hashed once: for the feature table now, the manifest
	// at the end.
	if man.Inputs, err = fingerprints(inputs); err != nil {
		return err
	}
	stamp(t, man.Inputs)
	if err := writeFileIn(tmp, "features.parquet", t.WriteParquet); err != nil {
		return err
	}
	man.Rows["features"] = t.NumRows()
	stage("features", t0)

	pcfg, err := loadPredictConfig(resolve(base, pc.Predict))
	if err != nil {
		return err
	}
	if pc.Predict != "" {
		if man.Inputs["predict"], err = fileFingerprint(resolve(base, pc.Predict)); err != nil {
			return err
		}
	}
	pcfg.Logger = log
	if pc.Orders != nil {
		t1 := time.Now()
		src, err := pc.Orders.source(base)
		if err != nil {
			return err
		}
		if man.Inputs["orders"], err = fileFingerprint(src.Path); err != nil {
			return err
		}
		res, err := rfm.Compute(ctx, rfm.Config{Orders: src, AsOf: asOf, Unit: pc.TimeUnit, BadRows: bad, Logger: log})
		if err != nil {
			return err
		}
		if err := writeRFM(tmp, res); err != nil {
			return err
		}
		pcfg.Customers = customers(res.Customers)
		man.Rows["customers"] = len(res.Customers)
		stage("rfm", t1)
	}
	t2 := time.Now()
	ranked, sum, err := predict.Score(ctx, m, t, pcfg)
	if err != nil {
		return err
	}
	if err := writeRanked(filepath.Join(tmp, "ranked.parquet"), filepath.Join(tmp, "ranked.csv"), ranked, m, sum); err != nil {
		return err
	}
	man.Rows["ranked"] = len(ranked)
	stage("predict", t2)
	for _, d := range sum.Drifted {
		man.Warnings = append(man.Warnings, "input drifted: "+d)
	}
	if sum.RulesOnly {
		man.Warnings = append(man.Warnings, "model no better than chance: scored by rule points alone")
	}
	if bad.Quarantine != nil {
		if err := bad.Quarantine.Close(); err != nil {
			return err
		}
	}
	man.BadRows = bad.Count()
	man.Status = "ok"
	if err := writeFileIn(tmp, "manifest.json", func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(man)
	}); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	final := filepath.Join(root, man.AsOf)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := swapLink(root, man.AsOf, filepath.Join(".data", filepath.Base(tmp))); err != nil {
		return err
	}
	done = true
	if err := swapLink(root, "latest", man.AsOf); err != nil {
		return err
	}
	cleanData(root, data)
	log.Info("run finished", "as_of", man.AsOf, "dir", final, "leads", len(ranked), "warnings", len(man.Warnings))
	fmt.Fprintf(opts.stdout, "wrote %s: %d leads, %d customers; %d warnings (manifest.json)\n", final, len(ranked), man.Rows["customers"], len(man.Warnings))
	return nil
}

// writeFileIn writes dir/name with write.
func writeFileIn(dir, name string, write func(w io.Writer) error) error {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// swapLink points root/name at target by renaming a new symbolic link over
// the old one: readers see the old folder or the new, never neither.
func swapLink(root, name, target string) error {
	tmp := filepath.Join(root, ".link-"+name)
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(root, name))
}

// cleanData removes the run folders under data that no OUT/<date> link
// points at: replaced runs, and killed ones.
func cleanData(root, data string) {
	used := map[string]bool{}
	links, _ := os.ReadDir(root)
	for _, l := range links {
		if target, err := os.Readlink(filepath.Join(root, l.Name())); err == nil {
			used[filepath.Base(target)] = true
		}
	}
	dirs, _ := os.ReadDir(data)
	for _, d := range dirs {
		if !used[d.Name()] {
			os.RemoveAll(filepath.Join(data, d.Name()))
		}
	}
}

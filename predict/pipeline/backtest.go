package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"
	"time"

	"leadscore/features"
	"leadscore/predict"
	"leadscore/train"
)

// Backtest is a run at each of several past dates, each judged by what
// happened next, and the blend of model and rules chosen on the earlier
// dates and judged on the later ones.
type Backtest struct {
	Dates []BacktestDate `json:"dates"`
	// ModelWeight and RulesScale are the blend chosen on every date but
	// the last and judged on the last (Dates[len-1].Chosen): the
	// recommended predict.yaml settings are model_weight and rules_max =
	// RulesScale × the rules' cap.
	ModelWeight float64 `json:"model_weight"`
	RulesScale  float64 `json:"rules_scale"`
	RulesMax    float64 `json:"rules_max"`
}

// BacktestDate is one date's run and how its call list fared.
type BacktestDate struct {
	AsOf       string            `json:"as_of"`
	ModelID    string            `json:"model_id"`
	Run        string            `json:"run"` // the run folder, relative to the backtest's
	Evaluation *train.Evaluation `json:"evaluation"`
	// Chosen is the blend chosen on the earlier dates and its result on
	// this one; nil for the first date.
	Chosen *BlendResult `json:"chosen,omitempty"`

	prob, rules []float64
	y           []bool
	rmax        float64
}

// BlendResult is a blend of model and rules and its call list's AUC and
// precision among the first 100 leads.
type BlendResult struct {
	ModelWeight    float64 `json:"model_weight"`
	RulesScale     float64 `json:"rules_scale"`
	AUC            float64 `json:"auc"`
	PrecisionAt100 float64 `json:"precision_at_100"`
}

// BacktestOptions are what a backtest takes besides pipeline.yaml. A date
// whose horizon the deals file does not cover is judged all the same, with
// a warning (Evaluation.Complete is false).
type BacktestOptions struct {
	Dates []time.Time
	// Out is the backtest's folder: the runs go to Out/runs (a run out
	// folder), each date's evaluation to Out/evaluate-<date>.json and .html,
	// the summary to Out/backtest.json.
	Out string
	// Horizon judges the lists, in days; 0 takes the model's.
	HorizonDays int
	Run         Options // AsOf is set per date
}

// blend grid: model weights 0, 0.05, …, 1 and rule scales.
var (
	backtestWeights = 20
	backtestScales  = []float64{1, 0.5, 2} // the cap as it is first: it wins ties
)

// RunBacktest runs the pipeline at each date (training, with a train:
// section, on the data before it), judges each list by the deals that
// followed, and chooses the blend on earlier dates only.
func RunBacktest(ctx context.Context, c *Config, raw []byte, opts BacktestOptions) (*Backtest, error) {
	if len(opts.Dates) < 2 {
		return nil, errors.New("backtest: give at least two dates: the blend is chosen on the earlier ones and judged on the last")
	}
	if c.Deals == nil {
		return nil, errors.New("backtest: pipeline.yaml needs deals: {path: …} to judge the lists by")
	}
	log := logger(opts.Run.Logger)
	dates := slices.Clone(opts.Dates)
	slices.SortFunc(dates, func(a, b time.Time) int { return a.Compare(b) })
	runCfg := *c
	runCfg.Out = filepath.Join(opts.Out, "runs")
	if !filepath.IsAbs(runCfg.Out) {
		abs, err := filepath.Abs(runCfg.Out)
		if err != nil {
			return nil, err
		}
		runCfg.Out = abs
	}
	// The runs quarantine the deals file's bad rows (max_bad_rows); judging
	// skips the same rows.
	deals, err := features.ReadOutcomes(ctx, c.source(c.Deals), &features.BadRows{Max: c.MaxBadRows})
	if err != nil {
		return nil, err
	}
	bt := &Backtest{}
	var o Outputs
	defer o.Abort()
	for _, in := range c.inputs() {
		o.Protect(in)
	}
	for _, d := range dates {
		ro := opts.Run
		ro.AsOf = d
		res, err := Run(ctx, &runCfg, raw, ro)
		if err != nil {
			return nil, fmt.Errorf("backtest: run as of %s: %w", dateOf(d), err)
		}
		model := filepath.Join(res.Dir, "model", "model.json")
		if c.Train == nil {
			model = c.resolve(c.Model)
		}
		bd, err := judgeRun(res.Dir, model, deals, d, opts.HorizonDays)
		if err != nil {
			return nil, fmt.Errorf("backtest: %s: %w", dateOf(d), err)
		}
		bd.Run = filepath.Join("runs", bd.AsOf)
		if ev := bd.Evaluation; !ev.Complete {
			log.Warn("the deals file ends before the horizon: conversions yet to come are missing", "as_of", bd.AsOf,
				"outcomes_through", ev.OutcomesThrough, "horizon_end", ev.HorizonEnd)
		}
		for ext, write := range map[string]func(io.Writer) error{".json": JSONWriter(bd.Evaluation), ".html": bd.Evaluation.WriteHTML} {
			f, err := o.Create(filepath.Join(opts.Out, "evaluate-"+bd.AsOf+ext))
			if err != nil {
				return nil, err
			}
			if err := write(f); err != nil {
				return nil, err
			}
		}
		bt.Dates = append(bt.Dates, bd)
	}
	for i := 1; i < len(bt.Dates); i++ {
		w, s := chooseBlend(bt.Dates[:i])
		r := bt.Dates[i].blendResult(w, s)
		bt.Dates[i].Chosen = &r
	}
	last := bt.Dates[len(bt.Dates)-1]
	bt.ModelWeight, bt.RulesScale = last.Chosen.ModelWeight, last.Chosen.RulesScale
	bt.RulesMax = bt.RulesScale * last.rmax
	f, err := o.Create(filepath.Join(opts.Out, "backtest.json"))
	if err != nil {
		return nil, err
	}
	if err := JSONWriter(bt)(f); err != nil {
		return nil, err
	}
	return bt, o.Commit()
}

// judgeRun reads a run folder's call list, made with the model file, and
// judges it.
func judgeRun(dir, model string, deals *features.Outcomes, asOf time.Time, horizon int) (BacktestDate, error) {
	bd := BacktestDate{AsOf: dateOf(asOf)}
	m, err := readModel(model)
	if err != nil {
		return bd, err
	}
	bd.ModelID = m.ID
	ranked, err := predict.ReadRankedFile(filepath.Join(dir, "ranked.parquet"))
	if err != nil {
		return bd, err
	}
	cfg := train.EvalConfig{AsOf: asOf, HorizonDays: horizon, Target: features.TargetConversion}
	if m.Target != nil {
		cfg.Target = m.Target.Kind
		if horizon == 0 {
			cfg.HorizonDays = m.Target.HorizonDays
		}
	}
	if bd.Evaluation, err = train.Evaluate(ranked, deals, cfg); err != nil {
		return bd, err
	}
	var sum predict.Summary
	raw, err := os.ReadFile(SummaryPath(filepath.Join(dir, "ranked.parquet")))
	if err != nil {
		return bd, err
	}
	if err := json.Unmarshal(raw, &sum); err != nil {
		return bd, fmt.Errorf("ranked.summary.json: %w", err)
	}
	bd.rmax = sum.RulesMax
	bd.y = train.Converted(ranked, deals, cfg)
	for _, r := range ranked {
		bd.prob, bd.rules = append(bd.prob, r.Probability), append(bd.rules, r.RulePoints)
	}
	return bd, nil
}

// blendResult scores the date's leads with a blend and judges it.
func (bd *BacktestDate) blendResult(w, scale float64) BlendResult {
	v := make([]float64, len(bd.prob))
	rmax := bd.rmax * scale
	for i := range v {
		rs := 0.0
		if rmax > 0 {
			rs = math.Min(1, math.Max(-1, bd.rules[i]/rmax))
		}
		v[i] = w*bd.prob[i] + (1-w)*rs
	}
	all := make([]int, len(v))
	for i := range all {
		all[i] = i
	}
	r := BlendResult{ModelWeight: w, RulesScale: scale, AUC: train.AUC(v, bd.y)}
	if at := train.PrecisionAtK(v, bd.y, [][]int{all}, []int{100}, 1); len(at) == 1 {
		r.PrecisionAt100 = at[0].Precision
	}
	return r
}

// chooseBlend picks the model weight and rules scale with the best mean
// AUC over the dates; ties go to the rules' own cap, then the larger
// weight.
func chooseBlend(dates []BacktestDate) (w, scale float64) {
	best := math.Inf(-1)
	for _, s := range backtestScales {
		for k := backtestWeights; k >= 0; k-- {
			wk := float64(k) / float64(backtestWeights)
			sum := 0.0
			for i := range dates {
				sum += dates[i].blendResult(wk, s).AUC
			}
			if mean := sum / float64(len(dates)); mean > best+1e-12 {
				best, w, scale = mean, wk, s
			}
		}
	}
	return w, scale
}

// JSONWriter returns a function writing v as indented JSON.
func JSONWriter(v any) func(io.Writer) error {
	return func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
}

// RunLoop judges the call lists of the runs in an out folder by the deals
// that followed: every run date whose horizon the outcomes cover (the
// others are listed as pending), oldest first. horizonDays 0 takes each
// run's model's; a run whose model says no horizon needs it. The deals
// file's bad rows are handled by bad, and a warning counts those skipped;
// a run whose call list cannot be read (damaged, removed by hand) is
// skipped with a warning naming it, the others judged.
func RunLoop(ctx context.Context, out string, deals features.Source, horizonDays int, bad *features.BadRows) (*train.Loop, error) {
	o, err := features.ReadOutcomes(ctx, deals, bad)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		return nil, err
	}
	var dates []string
	for _, e := range entries {
		if n := e.Name(); dateName.MatchString(n) && e.Type()&fs.ModeSymlink != 0 {
			dates = append(dates, n)
		}
	}
	slices.Sort(dates)
	loop := &train.Loop{}
	if n := bad.Count(); n > 0 {
		loop.Warnings = append(loop.Warnings, fmt.Sprintf("%d bad rows of the deals file skipped", n))
	}
	for _, d := range dates {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		dir := filepath.Join(out, d)
		ranked, err := predict.ReadRankedFile(filepath.Join(dir, "ranked.parquet"))
		if err != nil {
			loop.Warnings = append(loop.Warnings, fmt.Sprintf("run %s skipped: its call list cannot be read (%v)", d, err))
			continue
		}
		asOf, _ := time.Parse(time.DateOnly, d)
		cfg := train.EvalConfig{AsOf: asOf, HorizonDays: horizonDays, Target: features.TargetConversion}
		if m, err := predict.ReadFile(filepath.Join(dir, "model", "model.json")); err == nil && m.Target != nil {
			cfg.Target = m.Target.Kind
			if horizonDays == 0 {
				cfg.HorizonDays = m.Target.HorizonDays
			}
		}
		if cfg.Target == features.TargetConversion && cfg.HorizonDays == 0 {
			return nil, fmt.Errorf("run %s: its model records no horizon: give one", d)
		}
		ev, err := train.Evaluate(ranked, o, cfg)
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", d, err)
		}
		if !ev.Complete {
			loop.Pending = append(loop.Pending, d)
			continue
		}
		model := ""
		if len(ranked) > 0 {
			model = ranked[0].ModelID
		}
		loop.Add(train.LoopRun{AsOf: d, ModelID: model, Evaluation: ev})
	}
	return loop, nil
}

// WriteText prints each date's result and the recommendation; out is the
// backtest's folder.
func (bt *Backtest) WriteText(w io.Writer, out string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "AS OF\tLEADS\tCONVERTED\tAUC LIST\tMODEL\tRULES\tFIRST 100 LIST\tMODEL\tRULES\tCHOSEN BLEND: WEIGHT\tSCALE\tAUC\tFIRST 100\t")
	for _, d := range bt.Dates {
		ev := d.Evaluation
		fmt.Fprintf(tw, "%s\t%d\t%d", d.AsOf, ev.Rows, ev.Positives)
		for _, name := range []string{"call list", "model", "rules"} {
			if l := ev.List(name); l != nil {
				fmt.Fprintf(tw, "\t%s", l.AUC.Fixed(3))
			} else {
				fmt.Fprint(tw, "\t-")
			}
		}
		for _, name := range []string{"call list", "model", "rules"} {
			if l := ev.List(name); l != nil {
				fmt.Fprintf(tw, "\t%s", train.Percent(l.At(100)))
			} else {
				fmt.Fprint(tw, "\t-")
			}
		}
		if ch := d.Chosen; ch != nil {
			fmt.Fprintf(tw, "\t%.2f\t%.1f\t%.3f\t%s\t\n", ch.ModelWeight, ch.RulesScale, ch.AUC, train.Percent(ch.PrecisionAt100))
		} else {
			fmt.Fprint(tw, "\t-\t-\t-\t-\t\n")
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	last := bt.Dates[len(bt.Dates)-1]
	_, err := fmt.Fprintf(w, "\nRecommended for predict.yaml (chosen before %s, judged on it: AUC %.3f, %s converted among the first 100):\n  model_weight: %g\n  rules_max: %g\nDetails: %s/backtest.json and evaluate-<date>.html\n",
		last.AsOf, last.Chosen.AUC, train.Percent(last.Chosen.PrecisionAt100), bt.ModelWeight, bt.RulesMax, out)
	return err
}

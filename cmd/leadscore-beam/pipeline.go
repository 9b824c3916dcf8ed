package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"leadscore/features"
	"leadscore/predict/pipeline"
)

// The feature stage on Beam:
//
//	event files ─read─▶ (entity, its records of a file) ─group by entity─┬─count─▶ merge ─▶ counts (one)
//	                                                                      └─row (counts as side input)─▶ rows
//	rows ─gather─▶ table (counts as side input) ─▶ staged features.parquet
//
// Every step calls features.EntityPlan, the code Build runs, so the table
// is Build's. Each DoFn makes its plan in Setup as leadscore run would
// (pipeline.FeatureConfig): from pipeline.yaml the rules and, for rows
// and the table, the entities and deals files, which those workers read
// whole; from the driver the model's spec and target. Events, the large
// input, are read file by file.

func init() {
	beam.RegisterType(reflect.TypeOf((*features.Record)(nil)).Elem())
	beam.RegisterType(reflect.TypeOf((*features.Counts)(nil)).Elem())
	beam.RegisterType(reflect.TypeOf((*features.EntityRow)(nil)).Elem())
	register.DoFn3x1[context.Context, string, func(string, []features.Record), error](&readFn{})
	register.DoFn3x2[context.Context, string, func(*[]features.Record) bool, features.Counts, error](&countFn{})
	register.DoFn5x1[context.Context, string, func(*[]features.Record) bool, features.Counts, func(features.EntityRow), error](&rowFn{})
	register.DoFn4x1[context.Context, int, func(*features.EntityRow) bool, features.Counts, error](&tableFn{})
	register.Function2x1(features.MergeCounts)
	register.Emitter2[string, []features.Record]()
	register.Emitter1[features.EntityRow]()
	register.Iter1[[]features.Record]()
	register.Iter1[features.EntityRow]()
}

// job is what every DoFn needs to make its plan: pipeline.yaml (an
// absolute path, readable by every worker), the as-of date, and the spec
// and target of the run's model as JSON (the driver may have trained it
// a moment ago), with the spec's hash to check them by.
type job struct {
	Config   string
	AsOf     string // RFC 3339
	Spec     string
	Target   string
	SpecHash string
}

// newJob describes the feature stage the driver was asked for.
func newJob(config string, fc features.Config) (job, error) {
	spec, err := json.Marshal(fc.Spec)
	if err != nil {
		return job{}, err
	}
	target, err := json.Marshal(fc.Target)
	if err != nil {
		return job{}, err
	}
	return job{Config: config, AsOf: fc.AsOf.UTC().Format(time.RFC3339), Spec: string(spec), Target: string(target), SpecHash: fc.Spec.Hash()}, nil
}

// plan makes the worker's features.EntityPlan; with tables, one that
// reads the entities and deals files, which rows and the table need and
// records and counts do not.
func (j job) plan(ctx context.Context, tables bool) (*features.EntityPlan, features.Config, error) {
	var (
		spec   features.Spec
		target *features.Target
	)
	c, _, err := pipeline.LoadConfig(j.Config)
	if err != nil {
		return nil, features.Config{}, err
	}
	asOf, err := time.Parse(time.RFC3339, j.AsOf)
	if err == nil {
		err = json.Unmarshal([]byte(j.Spec), &spec)
	}
	if err == nil {
		err = json.Unmarshal([]byte(j.Target), &target)
	}
	if err == nil && spec.Hash() != j.SpecHash {
		err = fmt.Errorf("leadscore-beam: the feature spec changed on its way to the worker (hash %s, sent %s)", spec.Hash(), j.SpecHash)
	}
	if err != nil {
		return nil, features.Config{}, err
	}
	cfg, err := pipeline.FeatureConfig(ctx, c, asOf, spec, target, tables)
	if err != nil {
		return nil, features.Config{}, err
	}
	p, err := features.NewEntityPlan(cfg)
	return p, cfg, err
}

// readFn reads one events file and keys its records by entity. It
// gathers each entity's records of the file (up to flushRecords held at a
// time) into one element: the shuffle then moves one element per entity
// and file rather than one per event.
type readFn struct {
	Job  job
	plan *features.EntityPlan
	src  features.Source
}

// flushRecords bounds the records a reader holds before it emits them.
const flushRecords = 1 << 20

func (f *readFn) Setup(ctx context.Context) error {
	var (
		cfg features.Config
		err error
	)
	f.plan, cfg, err = f.Job.plan(ctx, false)
	f.src = cfg.Events
	return workerError(err)
}

func (f *readFn) ProcessElement(ctx context.Context, path string, emit func(string, []features.Record)) error {
	src := f.src
	src.Path = path
	er, err := features.OpenEvents(ctx, src, nil)
	if err != nil {
		return workerError(err)
	}
	defer er.Close()
	held, n := map[string][]features.Record{}, 0
	flush := func() {
		for id, recs := range held {
			emit(id, recs)
		}
		clear(held)
		n = 0
	}
	err = features.Stream(ctx, er, func(batch []features.Event) error {
		for i := range batch {
			if r, ok := f.plan.Record(&batch[i]); ok {
				held[batch[i].EntityID] = append(held[batch[i].EntityID], r)
				n++
			}
		}
		if n >= flushRecords {
			flush()
		}
		return nil
	})
	flush()
	return workerError(err)
}

// gather collects an entity's records from the iterator over its
// elements into buf.
func gather(buf []features.Record, parts func(*[]features.Record) bool) []features.Record {
	buf = buf[:0]
	var part []features.Record
	for parts(&part) {
		buf = append(buf, part...)
	}
	return buf
}

// countFn counts what one entity's records add to the column set.
type countFn struct {
	Job  job
	plan *features.EntityPlan
	buf  []features.Record
}

func (f *countFn) Setup(ctx context.Context) (err error) {
	f.plan, _, err = f.Job.plan(ctx, false)
	return workerError(err)
}

func (f *countFn) ProcessElement(ctx context.Context, id string, recs func(*[]features.Record) bool) (features.Counts, error) {
	f.buf = gather(f.buf, recs)
	c, err := f.plan.Count(id, f.buf)
	return c, workerError(err)
}

// rowFn computes one entity's row, with the merged counts.
type rowFn struct {
	Job      job
	plan     *features.EntityPlan
	resolved bool
	buf      []features.Record
}

func (f *rowFn) Setup(ctx context.Context) (err error) {
	f.plan, _, err = f.Job.plan(ctx, true)
	return workerError(err)
}

func (f *rowFn) ProcessElement(ctx context.Context, id string, recs func(*[]features.Record) bool, counts features.Counts, emit func(features.EntityRow)) error {
	if !f.resolved {
		if err := f.plan.Resolve(ctx, counts); err != nil {
			return workerError(err)
		}
		f.resolved = true
	}
	f.buf = gather(f.buf, recs)
	row, ok, err := f.plan.Row(id, f.buf)
	if ok {
		emit(row)
	}
	return workerError(err)
}

// tableFn assembles every row into the table and stages it as Parquet
// at Out, for the driver to carry on with.
type tableFn struct {
	Job  job
	Out  string
	plan *features.EntityPlan
}

func (f *tableFn) Setup(ctx context.Context) (err error) {
	f.plan, _, err = f.Job.plan(ctx, true)
	return workerError(err)
}

func (f *tableFn) ProcessElement(ctx context.Context, _ int, rows func(*features.EntityRow) bool, counts features.Counts) error {
	if err := f.plan.Resolve(ctx, counts); err != nil {
		return workerError(err)
	}
	var all []features.EntityRow
	var r features.EntityRow
	for rows(&r) {
		all = append(all, r)
		r = features.EntityRow{}
	}
	t, err := f.plan.Table(all)
	if err != nil {
		return workerError(err)
	}
	return workerError(writeTable(t, f.Out))
}

// writeTable writes t to path through a temporary file, so that a
// retried bundle never leaves half a file.
func writeTable(t *features.Table, path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".features-*.parquet")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := t.WriteParquet(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// buildPipeline lays out the feature stage j over the event files,
// staging the table at out.
func buildPipeline(j job, files []string, out string) *beam.Pipeline {
	p, s := beam.NewPipelineWithRoot()
	paths := beam.CreateList(s, files)
	keyed := beam.ParDo(s.Scope("read"), &readFn{Job: j}, paths)
	byEntity := beam.GroupByKey(s, keyed)
	counts := beam.Combine(s.Scope("count"), features.MergeCounts, beam.ParDo(s.Scope("count"), &countFn{Job: j}, byEntity))
	rows := beam.ParDo(s.Scope("rows"), &rowFn{Job: j}, byEntity, beam.SideInput{Input: counts})
	all := beam.GroupByKey(s, beam.AddFixedKey(s, rows))
	beam.ParDo0(s.Scope("table"), &tableFn{Job: j, Out: out}, all, beam.SideInput{Input: counts})
	return p
}

// A worker's error reaches the driver as text inside the runner's
// report; workerError marks it, with the exit code of its kind, so that
// jobError can give it back: "events.csv:12:3: ..." and exit 3, as
// leadscore run would.
func workerError(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("[leadscore exit %d] %s [/leadscore]", pipeline.ExitCode(context.Background(), err), strings.ReplaceAll(err.Error(), "\n", " "))
}

var workerErrorText = regexp.MustCompile(`\[leadscore exit (\d+)\] (.*?) \[/leadscore\]`)

// jobError is a failed job's error: the first worker error it reports,
// else the runner's.
type jobError struct {
	code int
	msg  string
}

func (e *jobError) Error() string { return e.msg }

func asJobError(err error) error {
	m := workerErrorText.FindStringSubmatch(err.Error())
	if m == nil {
		return fmt.Errorf("leadscore-beam: the Beam job failed: %w", err)
	}
	code, _ := strconv.Atoi(m[1])
	return &jobError{code: code, msg: m[2]}
}

// errNoRows is the driver's error when the pipeline staged no table.
var errNoRows = errors.New("leadscore-beam: no entity has an event before the as-of date")

// readStaged reads the table the pipeline staged.
func readStaged(ctx context.Context, path string) (*features.Table, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, errNoRows
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := features.ReadParquetTable(ctx, f, path)
	if err != nil {
		return nil, fmt.Errorf("leadscore-beam: the staged table: %w", err)
	}
	return t, nil
}

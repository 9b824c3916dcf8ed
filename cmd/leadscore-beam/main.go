// Command leadscore-beam runs leadscore's nightly batch with its feature
// stage on Apache Beam: the same pipeline.yaml and outputs as `leadscore
// run`, with the events read, keyed by entity and aggregated on a Beam
// runner (Prism, embedded, by default; Flink, Spark or Dataflow through
// their flags). See docs/scale.md.
//
//	leadscore-beam run --config pipeline.yaml --as-of 2025-01-01 [--runner prism] [runner flags]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx" // registers every runner; prism by default

	"leadscore/features"
	"leadscore/predict/pipeline"
)

var (
	configPath = flag.String("config", "", "pipeline.yaml (required): leadscore run's; a train: section trains on the driver, as run does")
	asOfFlag   = flag.String("as-of", "", "the run's date, YYYY-MM-DD: only events before it count (required)")
	staging    = flag.String("staging", "", "where the feature table is staged between the Beam job and the driver: a folder every worker and the driver can reach (default: the system's temporary folder)")
	wait       = flag.Bool("wait", false, "wait for another run holding the out folder instead of failing")
)

const usage = `leadscore-beam run --config pipeline.yaml --as-of YYYY-MM-DD [--runner prism|flink|spark|dataflow] [runner flags]

Runs pipeline.yaml as "leadscore run" does, the feature stage on Apache Beam.
Exit codes as leadscore's: 0 ok, 1 failure, 2 usage, 3 bad input, 4 mismatch, 5 busy, 130 interrupted.
Flags, Beam's runner flags among them:`

func main() {
	// A worker started by a runner gets only flags; the driver's command
	// line starts with "run".
	args, sub := os.Args[1:], ""
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		sub, args = args[0], args[1:]
	}
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), usage)
		flag.PrintDefaults()
	}
	if err := flag.CommandLine.Parse(args); err != nil {
		os.Exit(pipeline.ExitUsage)
	}
	beam.Init() // in worker mode, runs the worker and exits
	if sub != "run" || *configPath == "" || *asOfFlag == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(pipeline.ExitUsage)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := run(ctx, *configPath, *asOfFlag)
	if err != nil {
		fmt.Fprintf(os.Stderr, "leadscore-beam: %v\n", err)
		os.Exit(exitCode(ctx, err))
	}
	fmt.Printf("wrote %s: %d leads ranked\n", res.Dir, res.Ranked)
}

// errUsage marks a bad flag value.
var errUsage = errors.New("usage")

func exitCode(ctx context.Context, err error) int {
	var je *jobError
	switch {
	case errors.Is(err, errUsage):
		return pipeline.ExitUsage
	case errors.As(err, &je) && ctx.Err() == nil:
		return je.code
	}
	return pipeline.ExitCode(ctx, err)
}

// run does pipeline.yaml as of the date, the feature table built on Beam.
func run(ctx context.Context, config, date string) (*pipeline.Result, error) {
	asOf, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return nil, fmt.Errorf("%w: --as-of %q: want YYYY-MM-DD", errUsage, date)
	}
	if config, err = filepath.Abs(config); err != nil {
		return nil, err
	}
	c, raw, err := pipeline.LoadConfig(config)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if c.MaxBadRows > 0 {
		log.Warn("max_bad_rows is not applied on Beam: a bad row fails the job, naming its file, line and column", "max_bad_rows", c.MaxBadRows)
	}
	return pipeline.Run(ctx, c, raw, pipeline.Options{AsOf: asOf, Wait: *wait, Tool: toolVersion(), Logger: log,
		ExitCode: func(err error) int { return exitCode(ctx, err) },
		Features: func(ctx context.Context, fc features.Config) (*features.Table, error) {
			return beamFeatures(ctx, config, fc, *staging)
		}})
}

// beamFeatures runs the feature stage of pipeline.yaml (config) on the
// runner the flags name and returns the table it built.
func beamFeatures(ctx context.Context, config string, fc features.Config, stagingDir string) (*features.Table, error) {
	files, err := features.ShardFiles(fc.Events.Path)
	if err != nil {
		return nil, err
	}
	j, err := newJob(config, fc)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(stagingDir, "leadscore-beam-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "features.parquet")
	// In loopback mode (Prism's default) Beam creates an empty marker file
	// in the temporary folder and never removes it; the run's temporary
	// folder is dir, removed with it.
	restore := tempDirIn(dir)
	err = beamx.Run(ctx, buildPipeline(j, files, out))
	restore()
	if err != nil {
		return nil, asJobError(err)
	}
	t, err := readStaged(ctx, out)
	if errors.Is(err, errNoRows) {
		empty, err := noEvents(ctx, fc.Events, files)
		if err != nil {
			return nil, err
		}
		if empty {
			// Events files with no row give run an empty table; built
			// here, where no event is there to read.
			return features.Build(ctx, fc)
		}
		// Build's error for the same events and date (exit 3).
		return nil, &features.SchemaError{Path: fc.Events.Path, Err: fmt.Errorf("no event falls before the as-of date %s: no row would count one; is the date right?",
			fc.AsOf.UTC().Format(time.RFC3339))}
	}
	return t, err
}

// noEvents reports whether no file of the events input (src, whose files
// are files) holds a row.
func noEvents(ctx context.Context, src features.Source, files []string) (bool, error) {
	for _, f := range files {
		src.Path = f
		er, err := features.OpenEvents(ctx, src, nil)
		if err != nil {
			return false, err
		}
		var one [1]features.Event
		n, err := er.Read(one[:])
		er.Close()
		if n > 0 {
			return false, nil
		}
		if err != io.EOF {
			return false, err
		}
	}
	return true, nil
}

// tempDirIn makes dir the process's temporary folder (TMPDIR) until the
// function it returns restores the one before.
func tempDirIn(dir string) (restore func()) {
	old, had := os.LookupEnv("TMPDIR")
	os.Setenv("TMPDIR", dir)
	return func() {
		if had {
			os.Setenv("TMPDIR", old)
		} else {
			os.Unsetenv("TMPDIR")
		}
	}
}

// toolVersion names the tool and, when the build recorded it, the commit.
func toolVersion() string {
	v := "leadscore-beam"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " " + s.Value[:12]
			}
		}
	}
	return v
}

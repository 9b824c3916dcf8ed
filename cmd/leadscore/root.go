package main

import (
	"io"
	"leadscore/predict/pipeline"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"
)

// globalOptions are the flags every command has.
type globalOptions struct {
	logLevel  string
	logFormat string
	quiet     bool
	cpuProf   string
	stdout    io.Writer
	stderr    io.Writer
}

func (g *globalOptions) logger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, pipeline.Usagef("--log-level %q: want debug, info, warn or error", g.logLevel)
	}
	if g.quiet && level < slog.LevelWarn {
		level = slog.LevelWarn
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(g.logFormat) {
	case "text":
		return slog.New(slog.NewTextHandler(g.stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(g.stderr, opts)), nil
	}
	return nil, pipeline.Usagef("--log-format %q: want text or json", g.logFormat)
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	g := &globalOptions{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "leadscore",
		Short: "Rank leads and flag churn risk from CRM and marketing events",
		Long: `leadscore reads a company's CRM and marketing events and produces a ranked,
explained call list: point-in-time features, business rule points that
expire, a model trained on who converted next, and a 0-100 score per lead.

Start with the demo, which runs the whole pipeline on an embedded sample:

  leadscore demo

Exit codes: 0 ok, 1 failure, 2 usage or configuration, 3 bad input data,
4 model/schema mismatch or drift beyond --drift-limit, 5 the out folder is
in use by another run, 130 interrupted.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       toolVersion(),
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &pipeline.UsageError{Err: err} })
	pf := root.PersistentFlags()
	pf.StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	pf.StringVar(&g.logFormat, "log-format", "text", "log format on stderr: text or json")
	pf.BoolVarP(&g.quiet, "quiet", "q", false, "only log warnings and errors")
	pf.StringVar(&g.cpuProf, "cpuprofile", "", "write a CPU profile (go tool pprof) to this file")
	var stopProfile func()
	root.PersistentPreRunE = func(c *cobra.Command, _ []string) error {
		if g.cpuProf == "" {
			return nil
		}
		f, err := os.Create(g.cpuProf)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return err
		}
		stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
		return nil
	}
	root.PersistentPostRun = func(*cobra.Command, []string) {
		if stopProfile != nil {
			stopProfile()
		}
	}
	asGroup(root)
	root.AddCommand(
		newDatasetsCmd(g),
		newFeaturesCmd(g),
		newRulesCmd(g),
		newTrainCmd(g),
		newPredictCmd(g),
		newRFMCmd(g),
		newExportCmd(g),
		newModelsCmd(g),
		newRunCmd(g),
		newEvaluateCmd(g),
		newInspectCmd(g),
		newReportCmd(g),
		newBacktestCmd(g),
		newDemoCmd(g),
	)
	return root
}

// asGroup makes a command that only holds subcommands print its help when
// called alone and fail as a usage error (exit code 2) on an unknown
// subcommand, instead of cobra's exit code 1 or 0.
func asGroup(c *cobra.Command) *cobra.Command {
	c.Args = cobra.ArbitraryArgs
	c.RunE = func(c *cobra.Command, args []string) error {
		if len(args) > 0 {
			return pipeline.Usagef("unknown command %q for %q", args[0], c.CommandPath())
		}
		return c.Help()
	}
	return c
}

package pipeline

import (
	"context"
	"io"

	"leadscore/train"
)

// ReportJob judges every run of an out folder by the deals that followed,
// as 'leadscore report' asks for it.
type ReportJob struct {
	Runs, Deals string  // the out folder, the deals file
	Horizon     string  // as in 90d; "" takes each run's model's
	Out, HTML   string  // when set, the report as JSON and as a page
	Reading     Reading // how the deals file is read
}

// Run judges the runs and writes the files asked for.
func (j *ReportJob) Run(ctx context.Context) (*train.Loop, error) {
	if j.Runs == "" || j.Deals == "" {
		return nil, Usagef("--runs and --deals are required")
	}
	if err := namedAsWritten(namedOut{"--out", j.Out, ".json"}, namedOut{"--html", j.HTML, ".html"}); err != nil {
		return nil, err
	}
	horizon, err := ParseHorizon("horizon", j.Horizon)
	if err != nil {
		return nil, err
	}
	src, err := j.Reading.Source("deals", j.Deals)
	if err != nil {
		return nil, err
	}
	if err := j.Reading.checkBadRows(); err != nil {
		return nil, err
	}
	var o Outputs
	defer o.Abort()
	o.Protect(j.Deals)
	bad, err := BadRows(&o, QuarantinePath(j.Out), j.Reading.MaxBadRows) // no --out: counted only
	if err != nil {
		return nil, err
	}
	loop, err := RunLoop(ctx, j.Runs, src, horizon, bad)
	if err != nil {
		return nil, err
	}
	if err := o.writeAll(map[string]func(io.Writer) error{j.Out: JSONWriter(loop), j.HTML: loop.WriteHTML}); err != nil {
		return nil, err
	}
	return loop, o.Commit()
}

package pipeline

import (
	"context"
	"io"

	"leadscore/features"
)

// ExplainJob is one entity's rule ledger as of a date, as 'leadscore rules
// explain' asks for it.
type ExplainJob struct {
	Reading
	Events, Entities string
	Entity, AsOf     string
	Rules            string // a rules file; "" or "default" the built-in rules
}

// Run computes the ledger and prints it to w.
func (j *ExplainJob) Run(ctx context.Context, w io.Writer) error {
	if j.Events == "" || j.Entity == "" || j.AsOf == "" {
		return Usagef("--events, --entity and --as-of are required")
	}
	asOf, err := ParseDate("as-of", j.AsOf)
	if err != nil {
		return err
	}
	cfg := features.ExplainConfig{EntityID: j.Entity, AsOf: asOf}
	if cfg.Rules, err = LoadRules(ifSet(j.Rules, "default")); err != nil {
		return err
	}
	if cfg.Events, err = j.Source("events", j.Events); err != nil {
		return err
	}
	if j.Entities != "" {
		src, err := j.Source("entities", j.Entities)
		if err != nil {
			return err
		}
		if cfg.Profiles, err = features.ReadProfiles(ctx, src, nil); err != nil {
			return err
		}
	}
	x, err := features.Explain(ctx, cfg)
	if err != nil {
		return err
	}
	return x.WriteText(w, cfg.Rules)
}

package pipeline

import (
	"context"
	"fmt"
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
	if x.Events+x.Later == 0 && cfg.Profiles.Row(j.Entity) < 0 {
		// A ledger of nothing would read as an entity the rules give
		// nothing: say the id is unknown.
		hint := ": is the id right?"
		if x.Like != "" {
			hint = fmt.Sprintf(" (ids compare exactly; the events have %q)", x.Like)
		}
		return badOption("entity", fmt.Errorf("no event and no entities row has the id %q%s", j.Entity, hint))
	}
	return x.WriteText(w, cfg.Rules)
}

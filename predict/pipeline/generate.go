package pipeline

import (
	"context"
	"io"
	"path/filepath"

	"leadscore/datasets"
)

// Generate writes a synthetic CRM (events, entities, deals, orders, truth
// and truth.json) as format (csv or parquet) into dir, or writes nothing.
func Generate(ctx context.Context, cfg datasets.Config, format, dir string) (datasets.Summary, error) {
	if dir == "" {
		return datasets.Summary{}, Usagef("--out is required")
	}
	if format != "csv" && format != "parquet" {
		return datasets.Summary{}, Usagef("--format %q: want csv or parquet", format)
	}
	if err := cfg.Validate(); err != nil {
		return datasets.Summary{}, &UsageError{Err: err}
	}
	var o Outputs
	defer o.Abort()
	sum, err := datasets.GenerateFiles(ctx, cfg, format, func(name string) (io.Writer, error) {
		return o.Create(filepath.Join(dir, name))
	})
	if err != nil {
		return sum, err
	}
	return sum, o.Commit()
}

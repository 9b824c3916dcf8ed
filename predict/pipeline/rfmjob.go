package pipeline

import (
	"context"
	"log/slog"
	"time"

	"leadscore/rfm"
)

// RFMJob is an assessment of customers to write, as 'leadscore rfm' asks
// for it.
type RFMJob struct {
	Reading
	// Exactly one of Orders and Events (whose Config.OrderType events
	// carry the amount) holds the orders.
	Orders, Events string
	// Exactly one of AsOf (orders before it) and ObservationEnd (orders on
	// or before it) ends them.
	AsOf, ObservationEnd string
	// Previous is an earlier rfm.parquet, for segment transitions;
	// Segments a segment table replacing the default.
	Previous, Segments string
	// Out is rfm.parquet; ModelOut, when set, clv.json.
	Out, ModelOut string
	// HoldoutEnd, when set, compares predicted and actual purchases up to
	// it; ValidationOut writes that comparison as CSV.
	HoldoutEnd, ValidationOut string
	// Config holds the model's settings; Run sets the rest.
	Config   rfm.Config
	Discount float64 // monthly, for CLV

	Tool   string
	Logger *slog.Logger
}

// Run computes the customers' table and writes it, or writes nothing. The
// holdout rows are nil without HoldoutEnd.
func (j *RFMJob) Run(ctx context.Context) (*rfm.Result, []rfm.HoldoutRow, error) {
	if (j.Orders == "") == (j.Events == "") || j.Out == "" {
		return nil, nil, Usagef("give --out and exactly one of --orders and --events")
	}
	if err := parquetOut(j.Out, "the customers' table is", "; leadscore export --in rfm.parquet --out rfm.csv writes it as CSV"); err != nil {
		return nil, nil, err
	}
	if err := namedAsWritten(namedOut{"--model-out", j.ModelOut, ".json"}, namedOut{"--validation-out", j.ValidationOut, ".csv"}); err != nil {
		return nil, nil, err
	}
	if (j.AsOf == "") == (j.ObservationEnd == "") {
		return nil, nil, Usagef("give exactly one of --as-of and --observation-end")
	}
	cfg, err := j.config()
	if err != nil {
		return nil, nil, err
	}
	var holdoutEnd time.Time
	if j.HoldoutEnd != "" {
		if holdoutEnd, err = ParseDate("holdout-end", j.HoldoutEnd); err != nil {
			return nil, nil, err
		}
	}
	var o Outputs
	defer o.Abort()
	o.Protect(j.Orders, j.Events, j.Previous, j.Segments)
	out, err := o.Create(j.Out)
	if err != nil {
		return nil, nil, err
	}
	if cfg.BadRows, err = BadRows(&o, QuarantinePath(j.Out), j.MaxBadRows); err != nil {
		return nil, nil, err
	}
	res, err := rfm.Compute(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	if err := rfm.WriteParquet(out, res.Customers, RFMMeta(res, j.Tool)); err != nil {
		return nil, nil, err
	}
	if j.ModelOut != "" {
		mf, err := o.Create(j.ModelOut)
		if err != nil {
			return nil, nil, err
		}
		if err := rfm.WriteModel(mf, res.Model); err != nil {
			return nil, nil, err
		}
	}
	var val []rfm.HoldoutRow
	if j.HoldoutEnd != "" {
		if val, err = rfm.Holdout(ctx, cfg, res, holdoutEnd); err != nil {
			return nil, nil, err
		}
		if j.ValidationOut != "" {
			vf, err := o.Create(j.ValidationOut)
			if err != nil {
				return nil, nil, err
			}
			if err := rfm.WriteHoldoutCSV(vf, val); err != nil {
				return nil, nil, err
			}
		}
	}
	return res, val, o.Commit()
}

// config reads the settings, the segment table and the previous segments.
func (j *RFMJob) config() (rfm.Config, error) {
	cfg := j.Config
	cfg.FromEvents, cfg.MonthlyDiscount, cfg.Logger = j.Events != "", &j.Discount, j.Logger
	var err error
	if cfg.Orders, err = j.Source("orders", j.Orders+j.Events); err != nil {
		return cfg, err
	}
	if j.AsOf != "" {
		if cfg.AsOf, err = ParseDate("as-of", j.AsOf); err != nil {
			return cfg, err
		}
	} else if cfg.ObservationEnd, err = ParseDate("observation-end", j.ObservationEnd); err != nil {
		return cfg, err
	}
	if j.Segments != "" {
		f, err := openSetting("segments file", j.Segments)
		if err != nil {
			return cfg, err
		}
		cfg.Segments, err = rfm.ParseSegments(f, j.Segments)
		f.Close()
		if err != nil {
			return cfg, err
		}
	}
	if j.Previous != "" {
		prev, err := rfm.ReadFile(j.Previous)
		if err != nil {
			return cfg, err
		}
		cfg.Previous = rfm.Segments(prev)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, &UsageError{Err: err}
	}
	return cfg, j.checkBadRows()
}

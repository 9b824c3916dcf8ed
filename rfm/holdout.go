package rfm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"leadscore/features"
)

// HoldoutRow compares predicted and actual purchases in a holdout period
// for the customers of one calibration frequency (x = 0, 1, …, "7+"), or
// for all of them ("total").
type HoldoutRow struct {
	Group     string
	Customers int
	Predicted float64 // Σ E[Y(t)] over the group
	Actual    int     // purchase days in the holdout
}

// Holdout rereads the orders and compares, for the customers of res, the
// expected number of purchases in the holdout (from the end of cfg's
// observation to the end of holdoutEnd's UTC date) with the purchase days
// that actually happened, by calibration frequency: the check of Fader,
// Hardie & Lee (2005, figure 4).
func Holdout(ctx context.Context, cfg Config, res *Result, holdoutEnd time.Time) ([]HoldoutRow, error) {
	unit, err := cfg.unitDays()
	if err != nil {
		return nil, err
	}
	start := cfg.AsOf.UTC()
	if !cfg.ObservationEnd.IsZero() {
		d := cfg.ObservationEnd.UTC()
		start = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, time.UTC)
	}
	h := holdoutEnd.UTC()
	end := time.Date(h.Year(), h.Month(), h.Day()+1, 0, 0, 0, 0, time.UTC)
	if !end.After(start) {
		return nil, errors.New("rfm: the holdout must end after the observation")
	}
	// Ages run to the start of the observation-end date, so the holdout
	// length is measured from there to the start of the holdout-end date.
	t := end.Sub(start).Hours() / 24 / unit
	// The holdout is read leniently: the run that fitted the model has
	// already applied the bad-row policy to this file.
	orderType := cfg.orderType()
	index := make(map[string]int, len(res.Customers))
	for i, c := range res.Customers {
		index[c.EntityID] = i
	}
	seen := map[[2]int64]bool{} // (customer, day)
	actual := make([]int, len(res.Customers))
	_, err = cfg.stream(ctx, &features.BadRows{Max: int(^uint(0) >> 1)}, func(events []features.Event) error {
		for i := range events {
			e := &events[i]
			if e.Type != orderType || !e.HasValue || e.Value < 0 || e.TS.Before(start) || !e.TS.Before(end) {
				continue
			}
			k, ok := index[e.EntityID]
			if !ok {
				continue // a customer first seen in the holdout
			}
			key := [2]int64{int64(k), features.UTCDay(e.TS)}
			if !seen[key] {
				seen[key] = true
				actual[k]++
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	bg := BGNBD{R: res.Model.R, Alpha: res.Model.Alpha, A: res.Model.A, B: res.Model.B}
	rows := make([]HoldoutRow, 9)
	for g := range 8 {
		rows[g].Group = strconv.Itoa(g)
	}
	rows[7].Group, rows[8].Group = "7+", "total"
	for i, c := range res.Customers {
		g := min(int(c.X), 7)
		p := bg.ExpectedPurchases(Summary{X: float64(c.X), TX: c.TX, T: c.T}, t)
		for _, r := range []*HoldoutRow{&rows[g], &rows[8]} {
			r.Customers++
			r.Predicted += p
			r.Actual += actual[i]
		}
	}
	return rows, nil
}

// WriteHoldoutCSV writes the comparison as CSV.
func WriteHoldoutCSV(w io.Writer, rows []HoldoutRow) error {
	cw := features.NewCSVWriter(w)
	cw.Write([]string{"calibration_x", "customers", "predicted", "actual"})
	for _, r := range rows {
		cw.Write([]string{r.Group, strconv.Itoa(r.Customers), strconv.FormatFloat(r.Predicted, 'f', 2, 64), strconv.Itoa(r.Actual)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("validation csv: %w", err)
	}
	return nil
}

package train

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"leadscore/features"
)

// Labels reads the label column as booleans. A missing or unrecognised
// value is an error naming the row.
func Labels(t *features.Table, label, positive string) ([]bool, error) {
	c := t.Column(label)
	if c == nil {
		return nil, fmt.Errorf("train: label column %q not in the table (have %s)", label, strings.Join(t.Names(), ", "))
	}
	y := make([]bool, t.NumRows())
	for i := range y {
		if c.Kind == features.KindBool {
			y[i] = c.Bool[i]
			continue
		}
		if c.IsNull(i) {
			return nil, fmt.Errorf("train: row %d: label %q is missing", i+1, label)
		}
		s := c.Text(i)
		if positive != "" {
			y[i] = s == positive
			continue
		}
		v, ok := features.ParseBool(s)
		if !ok {
			return nil, fmt.Errorf("train: row %d: label %q = %q is not true/false, 1/0, yes/no or won/lost (use --positive VALUE)", i+1, label, s)
		}
		y[i] = v
	}
	return y, nil
}

// outcomes reads the label of every row. With Config.Negative, rows whose
// label is neither the positive nor the negative value have no outcome yet
// (open deals) and are left out, counted in the log; the returned table is
// then those rows only.
func outcomes(t *features.Table, cfg *Config, log *slog.Logger) (*features.Table, []bool, error) {
	if cfg.Negative != "" {
		if cfg.Positive == "" {
			return nil, nil, errors.New("train: Config.Negative needs Config.Positive")
		}
		c := t.Column(cfg.Label)
		if c == nil {
			return nil, nil, fmt.Errorf("train: label column %q not in the table", cfg.Label)
		}
		var keep []int
		other := map[string]int{}
		for i := range t.NumRows() {
			if v := c.Text(i); v == cfg.Positive || v == cfg.Negative {
				keep = append(keep, i)
			} else {
				other[v]++
			}
		}
		if len(keep) < t.NumRows() {
			log.Info("rows without an outcome left out", "rows", t.NumRows()-len(keep), "values", fmt.Sprint(other))
			t = t.Rows(keep)
		}
	}
	y, err := Labels(t, cfg.Label, cfg.Positive)
	return t, y, err
}

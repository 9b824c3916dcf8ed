package train

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"leadscore/features"
	"leadscore/predict"
)

// Labels reads the label column as booleans: a bool column as it is, text
// as true/false, 1/0, yes/no or won/lost (any case). A missing or other
// value is an error naming the row (its line and column in the file the
// table was read from).
func Labels(t *features.Table, label string) ([]bool, error) {
	c, err := labelColumn(t, label)
	if err != nil {
		return nil, err
	}
	y := make([]bool, t.NumRows())
	for i := range y {
		if c.IsNull(i) {
			return nil, t.RowError(i, label, errors.New("the label is missing"))
		}
		if y[i], err = labelValue(t, c, i); err != nil {
			return nil, err
		}
	}
	return y, nil
}

// labelColumn returns the label column; its absence is a *ColumnError.
func labelColumn(t *features.Table, label string) (*features.Column, error) {
	if c := t.Column(label); c != nil {
		return c, nil
	}
	return nil, &ColumnError{Path: t.Path(), Role: "label", Column: label, Have: t.Names()}
}

// labelValue reads row i's label, not missing, as a boolean.
func labelValue(t *features.Table, c *features.Column, i int) (bool, error) {
	if c.Kind == features.KindBool {
		return c.Bool[i], nil
	}
	v, ok := features.ParseBool(c.Text(i))
	if !ok {
		return false, t.RowError(i, c.Name, fmt.Errorf("label %q is not true/false, 1/0, yes/no or won/lost (give the values that count: --positive VALUE)", c.Text(i)))
	}
	return v, nil
}

// anyNull reports whether any of the column's n rows is null.
func anyNull(c *features.Column, n int) bool {
	for i := range n {
		if c.IsNull(i) {
			return true
		}
	}
	return false
}

// LabelValues lists label values, each the exact text of the file: the
// lists of --positive and --negative ("won, closed won").
func LabelValues(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = features.NormValue(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// valueCounts counts a label column's values as the file spells them.
type valueCounts map[string]int

// String lists the values by count, largest first: "Open 210, In
// Progress 95".
func (vc valueCounts) String() string {
	keys := make([]string, 0, len(vc))
	for k := range vc {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(vc[b], vc[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + strconv.Itoa(vc[k])
	}
	return strings.Join(parts, ", ")
}

// outcomes reads the label of every row. Config.Positive (a list) names
// the values that count as success, compared as features.NormValue
// compares them; with Config.Negative (a list) too, rows matching neither
// have no outcome yet (open deals) and are left out, reported by value;
// without it every other value is a failure, reported by value too.
// Without a list the label is read as Labels reads it. A missing label
// always leaves its row out, reported. A list that matches no row is an
// error listing the column's values. The returned table holds the rows
// kept.
func outcomes(t *features.Table, cfg *Config, log *slog.Logger) (*features.Table, []bool, *predict.LabelCounts, error) {
	c, err := labelColumn(t, cfg.Label)
	if err != nil {
		return nil, nil, nil, err
	}
	pos, neg := LabelValues(cfg.Positive), LabelValues(cfg.Negative)
	if len(pos) == 0 && len(neg) > 0 {
		return nil, nil, nil, fmt.Errorf("train: --negative needs --positive")
	}
	if len(pos) == 0 && !anyNull(c, t.NumRows()) {
		y, err := Labels(t, cfg.Label)
		return t, y, nil, err // every row labelled: nothing to report
	}
	counts := map[string]valueCounts{"positive": {}, "negative": {}, "left out": {}}
	all := valueCounts{}
	var keep []int
	var y []bool
	for i := range t.NumRows() {
		raw := "(missing)"
		if !c.IsNull(i) {
			raw = c.Text(i)
		}
		all[raw]++
		v := features.NormValue(raw)
		switch {
		case c.IsNull(i):
			counts["left out"][raw]++
			continue
		case len(pos) == 0:
			yes, err := labelValue(t, c, i)
			if err != nil {
				return nil, nil, nil, err
			}
			side := "negative"
			if yes {
				side = "positive"
			}
			counts[side][raw]++
			y = append(y, yes)
		case slices.Contains(pos, v):
			counts["positive"][raw]++
			y = append(y, true)
		case len(neg) == 0 || slices.Contains(neg, v):
			counts["negative"][raw]++
			y = append(y, false)
		default:
			counts["left out"][raw]++
			continue
		}
		keep = append(keep, i)
	}
	for side, list := range map[string][]string{"positive": pos, "negative": neg} {
		if len(list) > 0 && len(counts[side]) == 0 {
			return nil, nil, nil, fmt.Errorf("train: --%s %q matches no value of %q; its values: %s", side, strings.Join(list, ","), cfg.Label, all)
		}
	}
	lc := &predict.LabelCounts{Positive: counts["positive"].String(), Negative: counts["negative"].String(), LeftOut: counts["left out"].String()}
	if len(keep) < t.NumRows() {
		t = t.Rows(keep)
	}
	log.Info("label values", "positive", lc.Positive, "negative", lc.Negative, "left_out", lc.LeftOut)
	return t, y, lc, nil
}

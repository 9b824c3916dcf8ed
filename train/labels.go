package train

import (
	"cmp"
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
// value is an error naming the row.
func Labels(t *features.Table, label string) ([]bool, error) {
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
		v, ok := features.ParseBool(c.Text(i))
		if !ok {
			return nil, fmt.Errorf("train: row %d: label %q = %q is not true/false, 1/0, yes/no or won/lost (use --positive VALUE)", i+1, label, c.Text(i))
		}
		y[i] = v
	}
	return y, nil
}

// LabelValues lists label values, each the exact text of the file: the
// lists of --positive and --negative ("won, closed won").
func LabelValues(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = normLabel(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// normLabel is how label values compare: case, and spaces around and
// between words, do not matter ("Closed  Won" is "closed won").
func normLabel(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }

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
// the values that count as success, compared without regard to case or
// spacing; with Config.Negative (a list) too, rows matching neither have
// no outcome yet (open deals) and are left out, reported by value;
// without it every other value is a failure, reported by value too. A
// missing label always leaves its row out. A list that matches no row is
// an error listing the column's values. The returned table holds the
// rows kept.
func outcomes(t *features.Table, cfg *Config, log *slog.Logger) (*features.Table, []bool, *predict.LabelCounts, error) {
	c := t.Column(cfg.Label)
	if c == nil {
		return nil, nil, nil, fmt.Errorf("train: label column %q not in the table (have %s)", cfg.Label, strings.Join(t.Names(), ", "))
	}
	pos, neg := LabelValues(cfg.Positive), LabelValues(cfg.Negative)
	if len(pos) == 0 {
		if len(neg) > 0 {
			return nil, nil, nil, fmt.Errorf("train: --negative needs --positive")
		}
		y, err := Labels(t, cfg.Label)
		return t, y, nil, err
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
		v := normLabel(raw)
		switch {
		case c.IsNull(i):
			counts["left out"][raw]++
			continue
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
	log.Info("label values", "positive", lc.Positive, "negative", lc.Negative, "left_out", lc.LeftOut)
	if len(keep) < t.NumRows() {
		t = t.Rows(keep)
	}
	return t, y, lc, nil
}

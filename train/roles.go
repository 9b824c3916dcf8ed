package train

import (
	"cmp"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"

	"leadscore/features"
)

// ColumnRole is what training makes of a column, and why: the report of
// leadscore inspect, and of the columns Train leaves out by itself.
type ColumnRole struct {
	Column string `json:"column"`
	// Kind is numeric, categorical, time or text as read.
	Kind string `json:"kind"`
	// Role is label, id, time, feature or not a feature.
	Role string `json:"role"`
	Why  string `json:"why"`
	// Read is how the file's text became this column (a number format or
	// a date pattern), when it was not plain.
	Read         string       `json:"read,omitempty"`
	MissingShare float64      `json:"missing_share"`
	Distinct     int          `json:"distinct"`
	Min          *float64     `json:"min,omitempty"`
	Max          *float64     `json:"max,omitempty"`
	Top          []LevelCount `json:"top,omitempty"`
	// AUCAlone is the feature's AUC on its own against the label (the
	// larger of AUC and 1 − AUC, 0.5 for none), when the label's values
	// could be read: how much it says by itself, and a leak at 0.98.
	AUCAlone float64 `json:"auc_alone,omitempty"`
}

// LevelCount is a value of a column and how many rows hold it.
type LevelCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// Roles says, column by column, what Train would do with the table under
// cfg: which column is the label, the id, the time; which are features
// (numeric or categorical, dates as ages before the time column), which
// are suspected leaks (when the label's values can be read under cfg), and
// which are not features, and why.
func Roles(t *features.Table, cfg Config) []ColumnRole {
	reads := map[string]features.ColumnRead{}
	for _, r := range t.ColumnReads() {
		reads[r.Column] = r
	}
	out := make([]ColumnRole, len(t.Columns))
	parallelFor(len(t.Columns), cfg.workers(), func(k int) {
		c := &t.Columns[k]
		r := profile(c)
		r.Read = cmp.Or(reads[c.Name].Number, reads[c.Name].Time)
		if reads[c.Name].Text {
			r.Read = "text"
		}
		r.Role, r.Why = role(c, &r, t, cfg)
		if r.Role == "feature" && serialDates(c) {
			r.Why += fmt.Sprintf("; named as a date, with values that are days from 1970 to 2100 as Excel numbers them: if dates, --time-format %q", c.Name+"=excel")
		}
		if date, ok := features.DateOfAge(c.Name, cfg.TimeColumn); ok && c.Kind == features.KindFloat && r.Role == "feature" {
			if s := features.LaterShare(c); s > LaterLimit {
				r.Why += fmt.Sprintf("; the date is after %s on %.0f%% of rows: filled in later? (a leak: --drop %s)", cfg.TimeColumn, 100*s, date)
			}
		}
		out[k] = r
	})
	if cfg.Label == "" || t.Column(cfg.Label) == nil {
		return out
	}
	labelled, y, _, err := outcomes(t, &cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return out // Train will say why
	}
	for _, l := range aloneAUCs(labelled, y, cfg) {
		r := &out[t.Index(l.Column)]
		if r.AUCAlone = l.AUC; l.AUC < leakAUC {
			continue
		}
		if slices.Contains(cfg.AllowLeaks, l.Column) {
			r.Why = fmt.Sprintf("alone decides the label (AUC %.3f), kept knowingly (--allow-leak)", l.AUC)
			continue
		}
		r.Role = "suspected leak"
		r.Why = fmt.Sprintf("alone decides the label (AUC %.3f): filled in once the outcome was known? train stops; --drop it or --allow-leak it", l.AUC)
	}
	return out
}

// profile measures a column: kind, missing share, distinct values, range
// and the most frequent values.
func profile(c *features.Column) ColumnRole {
	r := ColumnRole{Column: c.Name}
	counts := map[string]int{}
	missing := 0
	lo, hi := math.Inf(1), math.Inf(-1)
	n := c.Len()
	for i := range n {
		if c.IsNull(i) {
			missing++
			continue
		}
		if c.Kind == features.KindFloat {
			lo, hi = math.Min(lo, c.Float[i]), math.Max(hi, c.Float[i])
		}
		counts[c.Text(i)]++
	}
	switch c.Kind {
	case features.KindFloat:
		r.Kind = "numeric"
	case features.KindTime:
		r.Kind = "time"
	default:
		r.Kind = "categorical"
	}
	if n > 0 {
		r.MissingShare = float64(missing) / float64(n)
	}
	r.Distinct = len(counts)
	if lo <= hi {
		r.Min, r.Max = &lo, &hi
	}
	if c.Kind != features.KindFloat && c.Kind != features.KindTime {
		for v, k := range counts {
			r.Top = append(r.Top, LevelCount{v, k})
		}
		slices.SortFunc(r.Top, func(a, b LevelCount) int { return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Value, b.Value)) })
		r.Top = r.Top[:min(len(r.Top), 5)]
	}
	return r
}

// serialDates reports whether a numeric column looks like Excel serial
// dates a spreadsheet saved as numbers: a name that says date or time
// ("Created Date", "closed_at", "Timestamp") and every value a day from
// 1970 to 2100 (25,569 to 73,051).
func serialDates(c *features.Column) bool {
	if c.Kind != features.KindFloat {
		return false
	}
	name := strings.ToLower(c.Name)
	if !strings.Contains(name, "date") && !strings.Contains(name, "time") && !strings.HasSuffix(name, "_at") && !strings.HasSuffix(name, " at") {
		return false
	}
	any := false
	for _, x := range c.Float {
		if math.IsNaN(x) {
			continue
		}
		if x < 25569 || x > 73051 {
			return false
		}
		any = true
	}
	return any
}

// LaterLimit is the share of rows (see features.LaterShare) above which a
// date column of a flat export is said to be filled in after the row's
// time, and so to leak what happened later.
const LaterLimit = 0.5

// idLikeMin is the fewest values a text column needs for "every value
// differs" to mark it an id rather than a small category.
const idLikeMin = 20

// role decides what Train does with a profiled column.
func role(c *features.Column, r *ColumnRole, t *features.Table, cfg Config) (string, string) {
	id := cfg.IDColumn()
	nonNull := int(math.Round(float64(c.Len()) * (1 - r.MissingShare)))
	switch {
	case c.Name == cfg.Label:
		return "label", "the outcome (--label)"
	case c.Name == id:
		return "id", "identifies a row (--id), never a feature"
	case c.Name == cfg.TimeColumn:
		return "time", "orders the rows for the out-of-time split (--time-col)"
	case cfg.dropped(c.Name):
		return "not a feature", "--drop"
	case excludedByTable(c.Name, t):
		return "not a feature", "written by leadscore for other uses (rule points, passthrough columns)"
	case c.Kind == features.KindTime && cfg.TimeColumn != "":
		return "feature", "a date: becomes " + features.DateAgeName(c.Name, cfg.TimeColumn)
	case c.Kind == features.KindTime:
		return "not a feature", "a date: give --time-col and it becomes an age before it"
	case r.Distinct == 0:
		return "not a feature", "empty"
	case r.Distinct == 1 && r.MissingShare == 0:
		return "not a feature", "one value: carries no information"
	case c.Kind == features.KindString && r.Distinct == nonNull && nonNull >= idLikeMin:
		return "not a feature", "every value differs (an id, a name, an email): it cannot generalise"
	case c.Kind == features.KindFloat && slices.Contains(cfg.Categorical, c.Name):
		return "feature", "categorical (--categorical)"
	case c.Kind == features.KindFloat:
		return "feature", "numeric"
	}
	return "feature", fmt.Sprintf("categorical, %d levels", r.Distinct)
}

// excludedByTable reports the columns leadscore's own feature tables hold
// for other uses: rule points and awards, missing fields, passthrough
// columns and a cutoff table's ts.
func excludedByTable(name string, t *features.Table) bool {
	if name == "ts" && t.Meta[features.MetaPassthrough] != "" || name == "missing_fields" || name == "rule_awards" ||
		strings.HasPrefix(name, "rule_points") {
		return true
	}
	return slices.Contains(strings.Split(t.Meta[features.MetaPassthrough], ","), name)
}

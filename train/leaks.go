package train

import (
	"cmp"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"

	"leadscore/features"
)

// leakAUC is the separation from which one column alone all but decides
// the outcome: its AUC on its own (or 1 − AUC) at least this. A column a
// CRM fills in once a deal is closed (its value, a reason for losing it)
// reaches 1: the Maven CRM deals' close_value does. Signals, even leaky
// ones, stay below (leadscore inspect prints each column's AUC alone): the
// strongest column of the README's generated snapshot table orders
// conversions with AUC 0.69, bank marketing's call duration (known only
// once the call ended) 0.80, X Education's Tags (notes sales writes after
// the call) 0.92. The check catches the certain leaks only.
const leakAUC = 0.98

// A Leak is a feature column that alone all but decides the outcome on
// the labelled rows: most often a field filled in only once the outcome
// was known, which makes a model perfect in validation and blind on new
// leads, where the field is still empty.
type Leak struct {
	Column string `json:"column"`
	// AUC is the column's AUC on its own, oriented to be at least 0.5.
	AUC float64 `json:"auc"`
}

// LeakError is Train's refusal of a table with suspected leaks that the
// configuration does not allow (Config.AllowLeaks).
type LeakError struct {
	Label string
	Leaks []Leak
	// Drop and Allow say how the caller's user leaves the columns out or
	// keeps them, a format for the comma-separated names; "" means
	// train's flags, --drop %s and --allow-leak %s.
	Drop, Allow string
}

func (e *LeakError) Error() string {
	var cols, each []string
	for _, l := range e.Leaks {
		cols = append(cols, l.Column)
		each = append(each, fmt.Sprintf("%s (AUC %.3f)", l.Column, l.AUC))
	}
	list := strings.Join(cols, ",")
	if strings.ContainsAny(list, " \"'$\\") {
		list = strconv.Quote(list)
	}
	drop := fmt.Sprintf(cmp.Or(e.Drop, "--drop %s"), list)
	allow := fmt.Sprintf(cmp.Or(e.Allow, "--allow-leak %s"), list)
	verb := "decide"
	if len(cols) == 1 {
		verb = "decides"
	}
	return fmt.Sprintf("train: %s alone %s %q on the labelled rows: a field filled in only once the outcome is known "+
		"makes a model that is perfect here and blind on new leads; leave it out (%s) or, if it is known when leads are scored, "+
		"keep it knowingly (%s)", strings.Join(each, ", "), verb, e.Label, drop, allow)
}

// leakRows is the most rows a column is measured on for a leak: an AUC
// near 1 is plain on far fewer, and the check runs before every fit.
const leakRows = 10_000

// findLeaks returns the columns of aloneAUCs at leakAUC or beyond.
func findLeaks(t *features.Table, y []bool, cfg Config) []Leak {
	return slices.DeleteFunc(aloneAUCs(t, y, cfg), func(l Leak) bool { return !(l.AUC >= leakAUC) })
}

// aloneAUCs measures each column Train would make a feature of (under
// cfg) alone against the outcomes y of t's rows, on at most leakRows
// rows evenly spread, in column order. A number column is ranked as it is, its missing values placed
// both below and above the others (the more telling placement counts: a
// field filled in only for won deals leaks through being missing); a
// category column by the share of positives of its value (missing is a
// value), each half of the rows scored with the shares of the other half,
// so that a value held by a single row cannot decide it.
func aloneAUCs(t *features.Table, y []bool, cfg Config) []Leak {
	rows := evenly(allRows(len(y)), leakRows)
	var cols []int
	for k := range t.Columns {
		c := &t.Columns[k]
		if c.Kind != features.KindTime && !excluded(c.Name, t, cfg) {
			cols = append(cols, k)
		}
	}
	found := make([]Leak, len(cols))
	parallelFor(len(cols), cfg.workers(), func(j int) {
		c := &t.Columns[cols[j]]
		var auc float64
		if c.Kind == features.KindFloat && !slices.Contains(cfg.Categorical, c.Name) {
			auc = numberAUC(c, y, rows)
		} else {
			auc = categoryAUC(c, y, rows)
		}
		found[j] = Leak{Column: c.Name, AUC: auc}
	})
	return found
}

// orientedAUC is AUC(scores, y) or 1 − that, whichever is larger: a
// column decides the outcome whichever way round it does; 0.5 for rows
// of one class.
func orientedAUC(scores []float64, y []bool) float64 {
	a := AUC(scores, y)
	if math.IsNaN(a) {
		return 0.5
	}
	return max(a, 1-a)
}

// numberAUC is a number column's oriented AUC on rows, its missing values
// ranked all lowest or all highest, whichever separates more.
func numberAUC(c *features.Column, y []bool, rows []int) float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, i := range rows {
		if !c.IsNull(i) {
			lo, hi = min(lo, c.Float[i]), max(hi, c.Float[i])
		}
	}
	if lo > hi {
		return 0.5 // every value missing
	}
	yr := pick(y, rows)
	best := 0.0
	for _, fill := range []float64{lo - 1, hi + 1} {
		x := make([]float64, len(rows))
		for j, i := range rows {
			if x[j] = c.Float[i]; c.IsNull(i) {
				x[j] = fill
			}
		}
		best = max(best, orientedAUC(x, yr))
	}
	return best
}

// categoryAUC is a category column's oriented AUC on rows when each row is
// scored by the share of positives among the rows of its value in the
// other half (alternate rows form the halves; a value the other half lacks
// scores that half's share overall). Rows are compared only with rows of
// their own half, whose scores come from the same shares: across halves,
// the halves' own shares would order rows that no value tells apart (an
// empty column, one of names).
func categoryAUC(c *features.Column, y []bool, rows []int) float64 {
	type tally struct{ pos, n [2]int }
	levels := map[string]*tally{}
	var all tally
	key := func(i int) string {
		if c.IsNull(i) {
			return "\x00missing"
		}
		return c.Text(i)
	}
	for j, i := range rows {
		h := j % 2
		l := levels[key(i)]
		if l == nil {
			l = &tally{}
			levels[key(i)] = l
		}
		l.n[h]++
		all.n[h]++
		if y[i] {
			l.pos[h]++
			all.pos[h]++
		}
	}
	share := func(t *tally, h int) float64 { return float64(t.pos[h]) / float64(t.n[h]) }
	var x [2][]float64
	var yh [2][]bool
	for j, i := range rows {
		h, other := j%2, 1-j%2
		s := 0.0
		if l := levels[key(i)]; l.n[other] > 0 {
			s = share(l, other)
		} else if all.n[other] > 0 {
			s = share(&all, other)
		}
		x[h], yh[h] = append(x[h], s), append(yh[h], y[i])
	}
	// The halves' AUCs weighted by their pairs of a positive and a negative.
	sum, pairs := 0.0, 0.0
	for h := range 2 {
		pos := all.pos[h]
		if w := float64(pos) * float64(all.n[h]-pos); w > 0 {
			sum += w * AUC(x[h], yh[h])
			pairs += w
		}
	}
	if pairs == 0 {
		return 0.5
	}
	return max(sum/pairs, 1-sum/pairs)
}

// checkLeaks refuses the suspected leaks that cfg does not allow, and
// logs and returns those it does, as the model records them.
func checkLeaks(t *features.Table, y []bool, cfg Config, log *slog.Logger) ([]string, error) {
	var refused []Leak
	var allowed []string
	for _, l := range findLeaks(t, y, cfg) {
		if slices.Contains(cfg.AllowLeaks, l.Column) {
			log.Warn("kept as a feature (--allow-leak) although it alone all but decides the outcome", "column", l.Column, "auc", round4(l.AUC))
			allowed = append(allowed, fmt.Sprintf("%s (AUC %.3f)", l.Column, l.AUC))
			continue
		}
		refused = append(refused, l)
	}
	if len(refused) > 0 {
		return nil, &LeakError{Label: cfg.Label, Leaks: refused}
	}
	return allowed, nil
}

package predict

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"
	"gonum.org/v1/gonum/stat/distuv"

	"leadscore/features"
)

// Distribution is a training-data distribution of one input, stored in the
// model for drift checks: for numeric inputs the shares of the non-missing
// values falling in bins cut at Edges (bin k holds Edges[k-1] < x ≤ Edges[k]);
// for categorical inputs the shares of the model's Levels followed by
// OtherLevel. Missing is the share of missing values. Rows is how many
// rows it was measured on (0 in models saved before it was recorded);
// Distinct, when fewer, how many of them are of distinct entities and
// times (see DistinctRows).
type Distribution struct {
	Edges   []float64 `json:"edges,omitempty"`
	Shares  []float64 `json:"shares"`
	Missing float64   `json:"missing"`
	Rows    int       `json:"rows,omitempty"`
	// Distinct counts the rows with a distinct entity_id and ts when they
	// are fewer than Rows: the deals an account has open on a date share
	// its inputs, so the sample is only as large as Distinct (psiNoise).
	Distinct int `json:"distinct_rows,omitempty"`
}

// sample is how many independent rows the distribution was measured on.
func (d *Distribution) sample() int {
	if d.Distinct > 0 {
		return d.Distinct
	}
	return d.Rows
}

// DistinctRows returns how many of a table's rows (nil: all of them)
// differ in entity_id or ts: rows that share both (the deals an account
// has open on a date) share every input a feature table computes, so
// they are one draw, not several, in a sample of inputs. As-of and
// snapshot tables hold one row per entity and date by construction and
// are not counted; a table without an entity_id column counts every row.
func DistinctRows(t *features.Table, rows []int) int {
	n := len(rows)
	if rows == nil {
		n = t.NumRows()
	}
	_, cutoffs := t.Meta[features.MetaCutoffs]
	_, asOf := t.Meta[features.MetaAsOf]
	_, snapshots := t.Meta[features.MetaSnapshots]
	ids, ts := t.Column("entity_id"), t.Column("ts")
	if !cutoffs && (asOf || snapshots) || ids == nil || ids.Kind != features.KindString {
		return n
	}
	if ts != nil && ts.Kind != features.KindTime {
		ts = nil
	}
	type key struct {
		id string
		at int64
	}
	seen := make(map[key]struct{}, n)
	for k := range n {
		i := k
		if rows != nil {
			i = rows[k]
		}
		at := int64(0)
		if ts != nil && !ts.IsNull(i) {
			at = ts.Time[i].UnixNano()
		}
		seen[key{ids.Str[i], at}] = struct{}{}
	}
	return len(seen)
}

// validate checks a stored distribution against its feature: sorted
// finite edges, one share per bin (numeric) or per level and OtherLevel
// (categorical), every share and the missing share in [0, 1]. A nil
// distribution is valid.
func (d *Distribution) validate(f Feature) error {
	if d == nil {
		return nil
	}
	want := len(d.Edges) + 1
	if f.Kind == Categorical {
		want = len(f.Levels) + 1
	}
	if len(d.Shares) != want {
		return fmt.Errorf("%d shares, want %d", len(d.Shares), want)
	}
	for i, e := range d.Edges {
		if !finite(e) || i > 0 && e <= d.Edges[i-1] {
			return errors.New("edges must be finite and increasing")
		}
	}
	for _, s := range append([]float64{d.Missing}, d.Shares...) {
		if !(s >= 0 && s <= 1) {
			return errors.New("shares must be in [0, 1]")
		}
	}
	if d.Rows < 0 {
		return errors.New("rows must not be negative")
	}
	return nil
}

// Drift compares one input's scoring distribution with its training one.
type Drift struct {
	Feature string  `json:"feature"`
	PSI     float64 `json:"psi"`
	// MissingTrain and MissingNow are the shares of missing values.
	MissingTrain float64 `json:"missing_train"`
	MissingNow   float64 `json:"missing_now"`
	// Unseen is the share of categorical values that had no level of their
	// own in training.
	Unseen float64 `json:"unseen,omitempty"`
	// Noise is the PSI that two samples of one population, of the sizes
	// compared, pass by chance once in a hundred: a warning or a hard
	// limit below it would report sampling alone.
	Noise float64 `json:"noise,omitempty"`
}

// psiFloor keeps empty bins from making the PSI infinite.
const psiFloor = 1e-4

// PSI is the population stability index Σ (a − e) ln(a / e) over bins,
// with e the expected (training) and a the actual shares, each floored at
// 10⁻⁴ so that empty bins stay finite.
func PSI(expected, actual []float64) float64 {
	return flooredPSI(expected, actual, psiFloor, psiFloor)
}

// flooredPSI is the PSI with the expected shares floored at ef and the
// actual ones at af.
func flooredPSI(expected, actual []float64, ef, af float64) float64 {
	s := 0.0
	for i := range expected {
		e, a := math.Max(expected[i], ef), math.Max(actual[i], af)
		s += (a - e) * math.Log(a/e)
	}
	return s
}

// sampleFloor is the floor of the shares of a sample of n rows (0:
// unknown): half a row, for a bin the sample left empty is no evidence
// that its share is nil, or psiFloor when that is larger.
func sampleFloor(n int) float64 {
	if n == 0 {
		return psiFloor
	}
	return math.Max(psiFloor, 0.5/float64(n))
}

// withMissing returns the shares of all rows: each bin's share of the
// non-missing rows scaled by their share, then the missing share. The PSI
// is taken over these, so that an input present on a few rows (days since
// a rare event) weighs by those rows: its bins measured on six values no
// longer outweigh an input present on every row.
func withMissing(shares []float64, missing float64) []float64 {
	out := make([]float64, len(shares)+1)
	for k, s := range shares {
		out[k] = s * (1 - missing)
	}
	out[len(shares)] = missing
	return out
}

// psiNoise is the PSI that two samples of one population, of refRows and
// nowRows independent rows (refRows 0: unknown, taken as many), exceed by chance one
// time in a hundred. Over bins of shares p, the PSI of such samples is
// about Σ (a − e)² / p, which is (1/refRows + 1/nowRows) times a
// chi-squared variable with one degree of freedom fewer than the bins
// either sample fills.
func psiNoise(expected, actual []float64, refRows, nowRows int) float64 {
	if nowRows == 0 {
		return 0
	}
	bins := 0
	for i := range expected {
		if expected[i] > 0 || actual[i] > 0 {
			bins++
		}
	}
	if bins < 2 {
		return 0
	}
	scale := 1 / float64(nowRows)
	if refRows > 0 {
		scale += 1 / float64(refRows)
	}
	return distuv.ChiSquared{K: float64(bins - 1)}.Quantile(0.99) * scale
}

// binShares returns the shares of column values per bin (numeric) or per
// level then OtherLevel (categorical), over the non-missing rows given,
// the share of missing rows, and the number of categorical values without
// a training level of their own.
func binShares(f *Feature, d *Distribution, c *features.Column, rows []int) ([]float64, float64, int) {
	n := len(d.Shares)
	var index map[string]int
	if f.Kind != Numeric {
		index = levelIndex(f.Levels)
	}
	counts := make([]float64, n)
	missing, unseen, present := 0, 0, 0
	for _, i := range rows {
		if f.Kind == Numeric {
			x := numeric(c, i)
			if math.IsNaN(x) {
				missing++
				continue
			}
			counts[sort.SearchFloat64s(d.Edges, x)]++
			present++
			continue
		}
		switch code := levelCode(index, c, i); {
		case code < 0:
			missing++
			continue
		case code == len(f.Levels):
			counts[n-1]++
			unseen++
		default:
			counts[code]++
		}
		present++
	}
	if present > 0 {
		for k := range counts {
			counts[k] /= float64(present)
		}
	}
	return counts, float64(missing) / float64(max(len(rows), 1)), unseen
}

// DistributionOf returns the distribution of input f over the given rows
// of c: decile edges for numeric inputs, level shares for categorical ones.
func DistributionOf(f *Feature, c *features.Column, rows []int) *Distribution {
	d := &Distribution{Rows: len(rows)}
	if f.Kind == Numeric {
		var vals []float64
		for _, i := range rows {
			if x := numeric(c, i); !math.IsNaN(x) {
				if x == 0 {
					x = 0 // −0 is 0, so that an edge does not depend on the rows' order
				}
				vals = append(vals, x)
			}
		}
		sort.Float64s(vals)
		for b := 1; b < 10 && len(vals) > 0; b++ {
			e := vals[min(len(vals)-1, b*len(vals)/10)]
			if len(d.Edges) == 0 || e > d.Edges[len(d.Edges)-1] {
				d.Edges = append(d.Edges, e)
			}
		}
		d.Shares = make([]float64, len(d.Edges)+1)
	} else {
		d.Shares = make([]float64, len(f.Levels)+1)
	}
	d.Shares, d.Missing, _ = binShares(f, d, c, rows)
	return d
}

// checkDrift measures, in one pass per input over all rows of the
// encoder's table (the inputs on as many goroutines as there are
// processors), every input with a stored distribution, and counts the
// categorical values without a training level of their own (also for
// models saved without distributions).
func (e *Encoder) checkDrift(n, distinct int) ([]Drift, map[string]int) {
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	type result struct {
		drift  *Drift
		unseen int
	}
	results := make([]result, len(e.m.Features))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for k := range e.m.Features {
		f := &e.m.Features[k]
		d := f.Distribution
		if d == nil {
			if f.Kind != Categorical {
				continue
			}
			d = &Distribution{Shares: make([]float64, len(f.Levels)+1)} // counts unseen values only
		}
		g.Go(func() error {
			shares, missing, unseen := binShares(f, d, e.cols[k], rows)
			results[k].unseen = unseen
			if f.Distribution != nil {
				expected, actual := withMissing(d.Shares, d.Missing), withMissing(shares, missing)
				results[k].drift = &Drift{Feature: f.Name, PSI: flooredPSI(expected, actual, sampleFloor(d.sample()), sampleFloor(distinct)) + 0,
					MissingTrain: d.Missing, MissingNow: missing, Unseen: float64(unseen) / float64(max(n, 1)),
					Noise: psiNoise(expected, actual, d.sample(), distinct)}
			}
			return nil
		})
	}
	g.Wait()
	var out []Drift
	unseenByFeature := map[string]int{}
	for k, r := range results {
		if r.unseen > 0 {
			unseenByFeature[e.m.Features[k].Name] = r.unseen
		}
		if r.drift != nil {
			out = append(out, *r.drift)
		}
	}
	return out, unseenByFeature
}

// DriftError reports inputs whose PSI passed a hard limit: the run must not
// replace the previous call list.
type DriftError struct {
	Limit  float64
	Inputs []Drift
}

func (e *DriftError) Error() string {
	parts := make([]string, len(e.Inputs))
	for i, d := range e.Inputs {
		parts[i] = fmt.Sprintf("%s (PSI %.2f)", d.Feature, d.PSI)
	}
	return fmt.Sprintf("predict: %d inputs drifted beyond the hard limit PSI %g: %s", len(e.Inputs), e.Limit, strings.Join(parts, ", "))
}

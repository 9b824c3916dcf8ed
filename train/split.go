package train

import (
	"cmp"
	"fmt"
	"leadscore/features"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Split returns the training and validation row indexes: out of time when
// times is non-nil (rows sorted by time, ties by row order; about the last
// fraction validates, never splitting rows of one time), else stratified
// at random with the seed.
func Split(y []bool, times []time.Time, fraction float64, seed uint64) (trainRows, validRows []int) {
	n := len(y)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if times != nil {
		sortByTime(idx, times)
		cut := n - int(math.Round(fraction*float64(n)))
		// Rows of one time (one snapshot date) stay on one side, so a
		// contact never trains and validates at the same date: the cut
		// moves back to the first row of its time, or, when that leaves no
		// training row, to the end of it.
		at := cut
		for at > 0 && at < n && times[idx[at-1]].Equal(times[idx[at]]) {
			at--
		}
		if at == 0 {
			for at = cut; at < n && times[idx[at-1]].Equal(times[idx[at]]); at++ {
			}
		}
		if at > 0 && at < n {
			cut = at
		}
		return idx[:cut], idx[cut:]
	}
	r := rand.New(rand.NewPCG(seed, 0x5b1))
	var pos, neg []int
	for _, i := range idx {
		if y[i] {
			pos = append(pos, i)
		} else {
			neg = append(neg, i)
		}
	}
	for _, g := range [][]int{pos, neg} {
		r.Shuffle(len(g), func(a, b int) { g[a], g[b] = g[b], g[a] })
		k := int(math.Round(fraction * float64(len(g))))
		validRows = append(validRows, g[:k]...)
		trainRows = append(trainRows, g[k:]...)
	}
	slices.Sort(trainRows)
	slices.Sort(validRows)
	return trainRows, validRows
}

// sortByTime sorts the row indexes idx by times[i], ties by index: the
// order of a stable sort by time, from an unstable sort on keys that hold
// the index.
func sortByTime(idx []int, times []time.Time) {
	if sortBySecond(idx, times) {
		return
	}
	type key struct {
		sec  int64
		nsec int32
		i    int
	}
	keys := make([]key, len(idx))
	for k, i := range idx {
		keys[k] = key{times[i].Unix(), int32(times[i].Nanosecond()), i}
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.sec, b.sec), cmp.Compare(a.nsec, b.nsec), cmp.Compare(a.i, b.i))
	})
	for k := range keys {
		idx[k] = keys[k].i
	}
}

// sortBySecond is sortByTime for times in whole seconds (as CSV exports
// write them) whose span and the row indexes fit one uint64 together: the
// seconds since the earliest above the index's bits, sorted as integers.
// It reports false, leaving idx as it is, for other times.
func sortBySecond(idx []int, times []time.Time) bool {
	if len(idx) == 0 {
		return true
	}
	lo, hi := times[idx[0]].Unix(), times[idx[0]].Unix()
	maxIdx := 0
	for _, i := range idx {
		if times[i].Nanosecond() != 0 {
			return false
		}
		s := times[i].Unix()
		lo, hi, maxIdx = min(lo, s), max(hi, s), max(maxIdx, i)
	}
	shift := bits.Len(uint(maxIdx))
	if span := uint64(hi) - uint64(lo); shift >= 64 || bits.Len64(span) > 64-shift {
		return false
	}
	keys := make([]uint64, len(idx))
	for k, i := range idx {
		keys[k] = uint64(times[i].Unix()-lo)<<shift | uint64(i)
	}
	sortKeys(keys)
	mask := uint64(1)<<shift - 1
	for k, key := range keys {
		idx[k] = int(key & mask)
	}
	return true
}

// sortKeys sorts keys ascending. From radixMin keys it is a radix sort,
// least significant byte first, that skips the bytes every key shares
// (packed time keys span a few bytes); below, slices.Sort.
func sortKeys[K uint32 | uint64](keys []K) {
	const radixMin = 4096
	if len(keys) < radixMin {
		slices.Sort(keys)
		return
	}
	var differ K // the bits where some key differs from the first
	for _, k := range keys {
		differ |= k ^ keys[0]
	}
	src, dst := keys, make([]K, len(keys))
	for shift := 0; shift < bits.Len64(uint64(differ)); shift += 8 {
		if differ>>shift&0xff == 0 {
			continue
		}
		var at [256]int
		for _, k := range src {
			at[k>>shift&0xff]++
		}
		sum := 0
		for b, c := range at {
			at[b], sum = sum, sum+c
		}
		for _, k := range src {
			b := k >> shift & 0xff
			dst[at[b]] = k
			at[b]++
		}
		src, dst = dst, src
	}
	copy(keys, src) // a no-op when an even number of passes ended in keys
}

// stratifiedFolds assigns rows to k folds, each class shuffled with the seed
// and dealt round-robin.
func stratifiedFolds(y []bool, k int, seed uint64) []int {
	fold := make([]int, len(y))
	r := rand.New(rand.NewPCG(seed, 0xcf))
	for _, cls := range []bool{true, false} {
		var idx []int
		for i, v := range y {
			if v == cls {
				idx = append(idx, i)
			}
		}
		r.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		for j, i := range idx {
			fold[i] = j % k
		}
	}
	return fold
}

// rowSplit is how Train divides the rows: the training and validation
// rows, the times that ordered them (nil for a random split) and the split
// in words.
type rowSplit struct {
	train, valid []int
	times        []time.Time
	describe     string
}

// splitRows splits the rows as the configuration asks and checks that
// both parts can be learned from and measured on.
func splitRows(t *features.Table, y []bool, cfg *Config) (*rowSplit, error) {
	frac := cfg.ValidFraction
	if frac == 0 {
		frac = 0.2
	}
	sp := &rowSplit{}
	if cfg.TimeColumn != "" {
		c := t.Column(cfg.TimeColumn)
		if c == nil || c.Kind != features.KindTime {
			return nil, fmt.Errorf("train: time column %q is not a timestamp column of the table", cfg.TimeColumn)
		}
		sp.times = c.Time
	}
	sp.train, sp.valid = Split(y, sp.times, frac, cfg.Seed)
	switch {
	case cfg.ValidRows != nil:
		isValid := make([]bool, len(y))
		for _, i := range cfg.ValidRows {
			if i < 0 || i >= len(y) {
				return nil, fmt.Errorf("train: Config.ValidRows: row %d out of range (%d rows)", i, len(y))
			}
			isValid[i] = true
		}
		sp.train, sp.valid = sp.train[:0], sp.valid[:0]
		for i, v := range isValid {
			if v {
				sp.valid = append(sp.valid, i)
			} else {
				sp.train = append(sp.train, i)
			}
		}
		sp.describe = fmt.Sprintf("given validation rows (%d)", len(sp.valid))
	case sp.times != nil:
		sp.describe = fmt.Sprintf("out-of-time on %s: earliest %.0f%% train, latest %.0f%% validate", cfg.TimeColumn, 100*(1-frac), 100*frac)
	default:
		sp.describe = fmt.Sprintf("random stratified, %.0f%% validate, seed %d", 100*frac, cfg.Seed)
	}
	if cfg.Group != "" && cfg.ValidRows == nil {
		if err := sp.leaveOutGroups(t, cfg.Group); err != nil {
			return nil, err
		}
	}
	minClass := cfg.MinClass
	if minClass == 0 {
		minClass = 50
	}
	if tp := countTrue(y, sp.train); tp < minClass || len(sp.train)-tp < minClass {
		return nil, &TooFewError{Positives: tp, Negatives: len(sp.train) - tp, Min: minClass}
	}
	if vp := countTrue(y, sp.valid); vp == 0 || vp == len(sp.valid) {
		return nil, fmt.Errorf("train: the validation rows (%d) hold only one class; an honest AUC needs both", len(sp.valid))
	}
	return sp, nil
}

// leaveOutGroups drops from the training rows those whose value of the
// group column some validation row shares.
func (sp *rowSplit) leaveOutGroups(t *features.Table, group string) error {
	c := t.Column(group)
	if c == nil {
		return fmt.Errorf("train: group column %q not in the table (have %s)", group, strings.Join(t.Names(), ", "))
	}
	validating := map[string]bool{}
	for _, i := range sp.valid {
		validating[c.Text(i)] = true
	}
	kept := make([]int, 0, len(sp.train))
	for _, i := range sp.train {
		if !validating[c.Text(i)] {
			kept = append(kept, i)
		}
	}
	if left := len(sp.train) - len(kept); left > 0 {
		sp.describe += fmt.Sprintf("; %d training rows left out, of %s values that validate", left, group)
	}
	sp.train = kept
	return nil
}

// defaultGroup is the group column of a table that names one: an
// opportunity target's snapshot table, whose deals are rows on several
// dates, groups by deal_row.
func defaultGroup(t *features.Table) string {
	tg, err := t.Target()
	_, snaps := t.Meta[features.MetaSnapshots]
	if err == nil && tg != nil && tg.Kind == features.TargetOpportunity && snaps && t.Column("deal_row") != nil {
		return "deal_row"
	}
	return ""
}

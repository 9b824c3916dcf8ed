package train

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"unsafe"

	"leadscore/predict"
)

// GBDTConfig configures FitGBDT. The zero value of each field means its
// default.
type GBDTConfig struct {
	Rounds        int     // boosting rounds; 300
	Leaves        int     // leaves per tree; 31
	MaxDepth      int     // 0: bounded by Leaves alone
	LearningRate  float64 // shrinkage; 0.1
	MinDataInLeaf int     // 20
	MinSumHessian float64 // 1e-3
	Lambda        float64 // L2 on leaf values; 1 (negative means 0)
	Subsample     float64 // share of rows per round; 1
	Colsample     float64 // share of features per tree; 1
	// EarlyStoppingRounds stops when the validation log loss has not
	// improved for this many rounds (needs validation rows); 0 never.
	EarlyStoppingRounds int
	MaxBins             int // value bins per numeric feature; 255 (at most)
	// Categorical splits: categories ordered by G / (H + CatSmooth), at
	// most MaxCatThreshold on the right side, each with at least
	// MinDataPerGroup rows; CatL2 is added to Lambda for their gain.
	CatSmooth       float64 // 10
	CatL2           float64 // 10
	MaxCatThreshold int     // 32
	MinDataPerGroup int     // 100, never more than MinDataInLeaf·5
	MaxCatToOneHot  int     // 4: fewer categories split one against the rest
	Seed            uint64
	// Workers bounds parallelism; 0 means 2. Results do not depend on it.
	Workers int
}

func (c GBDTConfig) withDefaults() GBDTConfig {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	deff := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Rounds, 300)
	def(&c.Leaves, 31)
	def(&c.MinDataInLeaf, 20)
	def(&c.MaxBins, 255)
	def(&c.MaxCatThreshold, 32)
	def(&c.MinDataPerGroup, min(100, 5*c.MinDataInLeaf))
	def(&c.MaxCatToOneHot, 4)
	def(&c.Workers, 2)
	deff(&c.LearningRate, 0.1)
	deff(&c.MinSumHessian, 1e-3)
	deff(&c.Lambda, 1)
	deff(&c.Subsample, 1)
	deff(&c.Colsample, 1)
	deff(&c.CatSmooth, 10)
	deff(&c.CatL2, 10)
	c.Lambda = max(c.Lambda, 0)
	return c
}

// Validate names the first bad field.
func (c GBDTConfig) Validate() error {
	switch {
	case c.Rounds < 0, c.Leaves < 0, c.MaxDepth < 0, c.MinDataInLeaf < 0, c.EarlyStoppingRounds < 0, c.MaxBins < 0:
		return errors.New("train: GBDT counts must not be negative")
	case c.Leaves == 1:
		return errors.New("train: GBDT needs at least 2 leaves per tree")
	case c.MaxBins > 255:
		return fmt.Errorf("train: GBDT MaxBins %d: at most 255", c.MaxBins)
	case c.LearningRate < 0 || c.LearningRate > 1:
		return fmt.Errorf("train: GBDT LearningRate %g: want (0, 1]", c.LearningRate)
	case c.Subsample < 0 || c.Subsample > 1 || c.Colsample < 0 || c.Colsample > 1:
		return errors.New("train: GBDT Subsample and Colsample must be in (0, 1]")
	}
	return nil
}

func (c GBDTConfig) params() predict.GBDTParams {
	return predict.GBDTParams{Rounds: c.Rounds, Leaves: c.Leaves, MaxDepth: c.MaxDepth, LearningRate: c.LearningRate,
		MinDataInLeaf: c.MinDataInLeaf, MinSumHessian: c.MinSumHessian, Lambda: c.Lambda, Subsample: c.Subsample,
		Colsample: c.Colsample, EarlyStoppingRounds: c.EarlyStoppingRounds, MaxBins: c.MaxBins}
}

// GBColumn is an input column of the boosting engine: numeric values with
// NaN for missing, or, when Levels > 0, categorical codes 0…Levels−1 as
// float64 with NaN for missing (Levels at most 255). The engine only reads
// Values, which may be a table's own column.
type GBColumn struct {
	Values []float64
	Levels int
}

// binning maps each feature's values to uint8 bins: bin 0 holds missing
// values; a numeric value x falls in bin 1 + #{cuts ≤ float32(x)}; a
// categorical code c in bin c+1.
type binning struct {
	cuts  [][]float32 // numeric features; nil for categorical
	nbins []int       // bins per feature, the missing bin included
	off   []int       // offset of each feature's bins in a histogram
	total int
	cat   []bool
}

// binSample is the most rows whose values choose a feature's cuts.
const binSample = 200_000

func newBinning(cols []GBColumn, rows []int, maxBins int, seed uint64, workers int) *binning {
	p := len(cols)
	b := &binning{cuts: make([][]float32, p), nbins: make([]int, p), off: make([]int, p), cat: make([]bool, p)}
	sample := rows
	if len(rows) > binSample {
		r := rand.New(rand.NewPCG(seed, 0xb1))
		sample = slices.Clone(rows)
		r.Shuffle(len(sample), func(i, j int) { sample[i], sample[j] = sample[j], sample[i] })
		sample = sample[:binSample]
	}
	parallelFor(p, workers, func(f int) {
		if cols[f].Levels > 0 {
			b.cat[f] = true
			b.nbins[f] = cols[f].Levels + 1
			return
		}
		b.cuts[f] = quantileCuts(cols[f].Values, sample, maxBins)
		b.nbins[f] = len(b.cuts[f]) + 2
	})
	for f := range p {
		b.off[f] = f * histStride
	}
	b.total = p * histStride
	return b
}

// A feature's part of a node's histogram is its 256 bins (so that a uint8
// bin indexes them without bounds checks), from histB on the 256 bins a
// split pass sums its odd rows into (histPass.two), and unused bins up to
// histStride. findBest reads the first 256 only.
//
// The sizes keep the bins a pass writes off each other's 4 KiB windows: a
// load from an address whose lowest 12 bits match those of a store just
// before it waits for that store (4K aliasing), and rows whose columns
// share a bin (a column of mostly one value, as real columns are) would
// stall on every add. The same bin of two features less than 32 apart, or
// of a feature's two histograms, lies on a different 64-byte line of that
// window (TestHistLayout).
const (
	histB      = 256 + 4
	histStride = 2 * histB
	histBBytes = histB * int(unsafe.Sizeof(hbin{}))
)

// quantileCuts chooses at most maxBins−1 cuts so that the values of the
// sample rows spread evenly over at most maxBins bins; a value holding more
// than a bin's share gets a bin of its own.
func quantileCuts(v []float64, rows []int, maxBins int) []float32 {
	vals := make([]float32, 0, len(rows))
	for _, i := range rows {
		if x := v[i]; !math.IsNaN(x) {
			if x == 0 {
				x = 0 // −0 is 0: one cut value whatever the order of the two
			}
			vals = append(vals, float32(x))
		}
	}
	sortFloat32s(vals)
	var distinct []float32
	var counts []int
	for i, x := range vals {
		if i == 0 || x != vals[i-1] {
			distinct = append(distinct, x)
			counts = append(counts, 0)
		}
		counts[len(counts)-1]++
	}
	if len(distinct) <= maxBins {
		if len(distinct) == 0 {
			return nil
		}
		return distinct[1:] // one bin per value
	}
	var cuts []float32
	per := float64(len(vals)) / float64(maxBins)
	acc, left := 0, len(vals)
	for k := 0; k < len(distinct)-1 && len(cuts) < maxBins-1; k++ {
		acc += counts[k]
		left -= counts[k]
		// Close the bin when it is full, or when the next value alone
		// would overfill it.
		if float64(acc) >= per || float64(acc+counts[k+1]) > 1.5*per {
			cuts = append(cuts, distinct[k+1])
			acc = 0
			// Spread what is left over the bins still free.
			if free := maxBins - 1 - len(cuts); free > 0 {
				per = float64(left) / float64(free+1)
			}
		}
	}
	return cuts
}

// sortFloat32s sorts v (no NaN) in ascending order: sortKeys on keys whose
// unsigned order is the values' order (the sign bit set on positives,
// every bit flipped on negatives), so −0 comes before 0.
func sortFloat32s(v []float32) {
	keys := make([]uint32, len(v))
	for i, x := range v {
		k := math.Float32bits(x)
		if k>>31 == 1 {
			k = ^k
		} else {
			k |= 1 << 31
		}
		keys[i] = k
	}
	sortKeys(keys)
	for i, k := range keys {
		if k>>31 == 1 {
			k &^= 1 << 31
		} else {
			k = ^k
		}
		v[i] = math.Float32frombits(k)
	}
}

// apply bins the given rows into a column-major matrix: feature f of row
// j at f·len(rows) + j, each value binned as scoring bins it
// (predict.BinOf, or predict.Binner for a numeric feature).
func (b *binning) apply(cols []GBColumn, rows []int, workers int) []uint8 {
	n := len(rows)
	m := make([]uint8, n*len(cols))
	at := places(rows, len(cols[0].Values))
	parallelFor(len(cols), workers, func(f int) {
		v, col, cuts := cols[f].Values, m[f*n:(f+1)*n], b.cuts[f]
		bn := predict.NewBinner(cuts)
		bin := func(x float64) uint8 {
			if b.cat[f] {
				return predict.BinOf(x, cuts, true)
			}
			return bn.Bin(x)
		}
		if at == nil {
			for j, i := range rows {
				col[j] = bin(v[i])
			}
			return
		}
		for i, j := range at {
			if j >= 0 {
				col[j] = bin(v[i])
			}
		}
	})
	return m
}

// places returns, for each of a table's size rows, its place in rows (−1
// when it is not one), so that apply reads the values in the table's
// order: rows in another order (a file not sorted by the time of the
// split) would make every read a miss. It returns nil when a row is given
// twice, which apply then reads at its places.
func places(rows []int, size int) []int32 {
	at := make([]int32, size)
	for i := range at {
		at[i] = -1
	}
	for j, i := range rows {
		if at[i] >= 0 {
			return nil
		}
		at[i] = int32(j)
	}
	return at
}

// parallelFor runs fn(0…n−1) on up to workers goroutines.
func parallelFor(n, workers int, fn func(int)) {
	if workers <= 1 || n <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	for range min(workers, n) {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
	wg.Wait()
}

// hbin is a histogram bin: sums of gradients and hessians. Row counts are
// estimated from the hessians, as LightGBM does: a bin's rows ≈ its
// hessian × the leaf's rows / the leaf's hessian.
type hbin struct {
	g, h float64
}

// gh is a row's gradient and hessian, side by side for one memory access,
// in single precision as XGBoost keeps them (histograms sum in double).
type gh struct {
	g, h float32
}

// split is a candidate split of a leaf.
type split struct {
	gain        float64
	feature     int
	bin         int        // numeric: bins 1…bin go left
	cat         *[4]uint64 // categorical: bins going right
	defaultLeft bool
	lg, lh      float64
}

// gbNode is a node of a tree under construction: at an inner node its
// decision (the rule scoring applies) and the bins that go right by it.
type gbNode struct {
	left, right int32
	split       predict.Split
	right1      [4]uint64 // bins of split.Feature going right
	g, h        float64
	gain        float64
	begin, end  int // the node's rows in booster.idx
}

// leaf is a leaf that may still split: its rows idx[begin:end], its
// histogram and its best split.
type leaf struct {
	node       int32
	begin, end int
	hist       []hbin
	minus      []hbin // a sibling's histogram, still to subtract from hist (findBest)
	g, h       float64
	n          int // rows
	depth      int
	best       split
}

// newBooster bins the training rows and allocates the training state.
func newBooster(cols []GBColumn, rows []int, cfg GBDTConfig) *booster {
	bn := newBinning(cols, rows, cfg.MaxBins, cfg.Seed, cfg.Workers)
	n := len(rows)
	return &booster{cfg: cfg, b: bn, p: len(cols), n: n, x: bn.apply(cols, rows, cfg.Workers), minGroup: float64(cfg.MinDataPerGroup),
		gh: make([]gh, n), ogh: make([]gh, n), idx: make([]int32, n), scratch: make([]int32, n), pool: make([][]hbin, 0, cfg.Leaves)}
}

// booster holds the training state.
type booster struct {
	cfg      GBDTConfig
	b        *binning
	p        int
	n        int
	x        []uint8 // binned training rows, column-major (binning.apply)
	gh       []gh
	ogh      []gh    // the gradients of a node's rows, in the node's order
	idx      []int32 // row indexes, partitioned by leaf
	scratch  []int32
	pool     [][]hbin
	feats    []int      // features of the current tree
	best     [2][]split // per feature of the tree, scratch for findBest: one per child of a split
	minGroup float64
}

// FitGBDT boosts trees with logistic loss on the training rows of cols
// (y the labels of all rows) and, when validRows are given, stops early on
// their log loss. Trees are grown leaf-wise on histograms of binned values.
func FitGBDT(ctx context.Context, cols []GBColumn, y []bool, trainRows, validRows []int, cfg GBDTConfig) (*predict.Trees, error) {
	ens, _, err := fitGBDT(ctx, cols, y, trainRows, validRows, cfg, nil)
	return ens, err
}

// fitGBDT is FitGBDT that also returns the logits of the training rows at
// positions track of trainRows: the sums of their leaves' values in tree
// order, which is what scoring the returned trees gives them, bit for bit.
func fitGBDT(ctx context.Context, cols []GBColumn, y []bool, trainRows, validRows []int, cfg GBDTConfig, track []int) (*predict.Trees, []float64, error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	cfg = cfg.withDefaults()
	p := len(cols)
	if p == 0 || len(trainRows) == 0 {
		return nil, nil, errors.New("train: GBDT needs rows and features")
	}
	for f, c := range cols {
		if c.Levels > 255 {
			return nil, nil, fmt.Errorf("train: GBDT feature %d has %d levels, at most 255", f, c.Levels)
		}
	}
	bo := newBooster(cols, trainRows, cfg)
	bn := bo.b
	n := len(trainRows)
	yt := zeroOne(pick(y, trainRows))
	pos := countTrue(y, trainRows)
	if pos == 0 || pos == n {
		return nil, nil, errors.New("train: GBDT training rows hold one class only")
	}
	base := math.Log(float64(pos) / float64(n-pos))
	// Each training row's score s enters the loss only through e^−s, which
	// a tree changes by the factor e^−v of the leaf value v the row
	// reaches: rows keep e^−s and are multiplied by their leaf's factor,
	// one multiplication per row and round instead of an exponential.
	against := make([]float64, n)
	for i := range against {
		against[i] = math.Exp(-base)
	}
	factor := make([]float64, cfg.Leaves*2)
	var xv []uint8
	var yv []bool
	var vscore []float64
	if cfg.EarlyStoppingRounds > 0 && len(validRows) > 0 {
		xv, yv = bn.apply(cols, validRows, cfg.Workers), pick(y, validRows)
		vscore = make([]float64, len(validRows))
		for i := range vscore {
			vscore[i] = base
		}
	}
	ens := &predict.Trees{Base: base, GainImportance: make([]float64, p)}
	bestLoss, bestIter := math.Inf(1), 0
	rowLeaf := make([]int32, n)
	// The tracked rows' logits after each round, and after the round with
	// the least validation loss when stopping early.
	logits, bestLogits := make([]float64, len(track)), make([]float64, len(track))
	for j := range logits {
		logits[j] = base
	}
	bo.gradients(against, yt, nil, nil)
	for round := range cfg.Rounds {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		r := rand.New(rand.NewPCG(cfg.Seed, uint64(round)+1))
		rows := bo.sampleRows(r)
		bo.sampleFeatures(r)
		nodes := bo.grow(rows)
		t := bo.export(nodes, ens.GainImportance)
		// Update the training scores: from the partition when every row
		// took part, else by walking the tree.
		if rows == n {
			bo.leafOfRows(nodes, rowLeaf)
		} else {
			parallelChunks(n, cfg.Workers, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					rowLeaf[i] = leafOf(nodes, bo.x, n, i)
				}
			})
		}
		for k, v := range t.Value {
			factor[k] = math.Exp(-v)
		}
		bo.gradients(against, yt, rowLeaf, factor)
		parallelChunks(len(track), cfg.Workers, func(lo, hi int) {
			for j, i := range track[lo:hi] {
				logits[lo+j] += t.Value[rowLeaf[i]]
			}
		})
		ens.Trees = append(ens.Trees, t)
		if vscore != nil {
			parallelChunks(len(vscore), cfg.Workers, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					vscore[i] += t.Value[leafOf(nodes, xv, len(vscore), i)]
				}
			})
			loss := logLossLogits(vscore, yv)
			if loss < bestLoss-1e-12 {
				bestLoss, bestIter = loss, round+1
				copy(bestLogits, logits)
			} else if round+1-bestIter >= cfg.EarlyStoppingRounds {
				break
			}
		}
	}
	p2 := cfg.params()
	p2.BestIteration = len(ens.Trees)
	if vscore != nil {
		ens.Trees = ens.Trees[:bestIter]
		logits = bestLogits
		p2.BestIteration = bestIter
		clear(ens.GainImportance)
		for _, t := range ens.Trees {
			for i, f := range t.Feature {
				if f >= 0 {
					ens.GainImportance[f] += t.Gain[i]
				}
			}
		}
	}
	ens.Params = p2
	if err := ens.Prepare(p); err != nil {
		return nil, nil, err
	}
	return ens, logits, nil
}

func logLossLogits(logits []float64, y []bool) float64 {
	s := 0.0
	for i, z := range logits {
		// −log σ(±z) = log(1 + e^∓z), computed stably.
		if !y[i] {
			z = -z
		}
		if z > 0 {
			s += math.Log1p(math.Exp(-z))
		} else {
			s += -z + math.Log1p(math.Exp(z))
		}
	}
	return s / float64(len(logits))
}

// parallelChunks calls fn on fixed ranges of [0, n) on up to workers
// goroutines; each index is handled once, so results do not depend on
// workers.
func parallelChunks(n, workers int, fn func(lo, hi int)) {
	const chunk = 16384
	parallelFor((n+chunk-1)/chunk, workers, func(c int) { fn(c*chunk, min(n, (c+1)*chunk)) })
}

// gradients sets the rows' gradients and hessians of the logistic loss
// from against, each row's e^−score, after multiplying it by the factor of
// the row's leaf when a tree was just grown (factor[leaf[i]] for row i,
// e^−v for leaf value v). y holds the labels as 1 and 0.
func (bo *booster) gradients(against []float64, y []float32, leaf []int32, factor []float64) {
	parallelChunks(len(against), bo.cfg.Workers, func(lo, hi int) {
		if leaf == nil {
			gradientsGo(against[lo:hi], y[lo:hi], nil, nil, bo.gh[lo:hi])
			return
		}
		gradientsAfter(against[lo:hi], y[lo:hi], leaf[lo:hi], factor, bo.gh[lo:hi])
	})
}

// gradientsGo sets out[i] to the gradient and hessian of row i, after
// multiplying against[i] by factor[leaf[i]] unless leaf is nil.
// gradientsAfter does the same with a leaf, on amd64 in SSE2.
func gradientsGo(against []float64, y []float32, leaf []int32, factor []float64, out []gh) {
	for i := range against {
		if leaf != nil {
			against[i] *= factor[leaf[i]]
		}
		// σ(s) = 1 / (1 + e^−s): e^−s overflows to +Inf only for
		// s < −709, where σ is 0 either way.
		pr := 1 / (1 + against[i])
		g := pr - float64(y[i])
		// A floor on the hessian; written as a comparison, which
		// compiles to less than the builtin max's NaN and zero rules.
		h := pr * (1 - pr)
		if h < 1e-16 {
			h = 1e-16
		}
		out[i] = gh{float32(g), float32(h)}
	}
}

// zeroOne returns the labels as 1 and 0, for gradients σ(s) − y computed
// without a branch on the label, which would mispredict at random.
func zeroOne(y []bool) []float32 {
	v := make([]float32, len(y))
	for i, l := range y {
		if l {
			v[i] = 1
		}
	}
	return v
}

// sampleRows fills idx with the rows of this round, ascending, and returns
// their number. When every row takes part it leaves idx as it is: the
// root's partition reads the rows 0…n-1 in order instead (partition).
func (bo *booster) sampleRows(r *rand.Rand) int {
	n := len(bo.gh)
	if bo.cfg.Subsample >= 1 {
		return n
	}
	k := 0
	for i := range n {
		if r.Float64() < bo.cfg.Subsample {
			bo.idx[k] = int32(i)
			k++
		}
	}
	return k
}

// sampleFeatures picks the features of this tree.
func (bo *booster) sampleFeatures(r *rand.Rand) {
	all := make([]int, bo.p)
	for f := range all {
		all[f] = f
	}
	if bo.cfg.Colsample < 1 {
		r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		all = all[:max(1, int(math.Ceil(bo.cfg.Colsample*float64(bo.p))))]
		slices.Sort(all)
	}
	bo.feats = all
	bo.best = [2][]split{make([]split, len(all)), make([]split, len(all))}
}

func (bo *booster) getHist() []hbin {
	if k := len(bo.pool); k > 0 {
		h := bo.pool[k-1]
		bo.pool = bo.pool[:k-1]
		return h
	}
	return make([]hbin, bo.b.total)
}

func (bo *booster) putHist(h []hbin) {
	if h != nil {
		bo.pool = append(bo.pool, h)
	}
}

// minParallelRows is the fewest rows of a leaf searched on more than one
// goroutine (findBest).
const minParallelRows = 4096

// minParallelHist is the fewest row-features (rows × features) whose
// histograms are built on more than one goroutine: 4,096 rows of ten
// features, 1,024 of forty.
const minParallelHist = 40_960

// minParallelPartition is the smallest leaf whose rows are partitioned
// (and whose gradients are gathered) on more than one goroutine.
const minParallelPartition = 1 << 15

// buildHist fills h for the tree's features from rows (nil: every row, in
// order). It first gathers the rows' gradients in order, so that the pass
// over each feature reads memory sequentially.
func (bo *booster) buildHist(h []hbin, rows []int32) {
	ogh := bo.gh
	if rows != nil {
		ogh = bo.ogh[:len(rows)]
		gather := func(lo, hi int) {
			for i, r := range rows[lo:hi] {
				ogh[lo+i] = bo.gh[r]
			}
		}
		if len(rows) >= minParallelPartition {
			parallelChunks(len(rows), bo.cfg.Workers, gather)
		} else {
			gather(0, len(rows))
		}
	}
	// Features are summed in groups (one pass over the rows feeds several
	// histograms), each group by one goroutine in row order: the sums do
	// not depend on the number of goroutines. The root's passes over every
	// row take five features each, a node's passes four: fewer passes
	// over the gradients, which bound the root's.
	// The groups are handed out last first: the portable build sums a last
	// partial group one feature at a time, the slowest of the passes, and
	// started last it would finish alone.
	size := 4
	if rows == nil {
		size = maxPass
	}
	groups := (len(bo.feats) + size - 1) / size
	work := func(k int) {
		k = groups - 1 - k
		bo.histGroup(h, rows, ogh, bo.feats[size*k:min(len(bo.feats), size*k+size)])
	}
	if len(ogh)*len(bo.feats) < minParallelHist {
		for k := range groups {
			work(k)
		}
		return
	}
	parallelFor(groups, bo.cfg.Workers, work)
}

// histGroup sums the gradients of rows (nil: every row) into the
// histograms of one to four features (five for every row), in one pass
// over the rows.
func (bo *booster) histGroup(h []hbin, rows []int32, ogh []gh, feats []int) {
	q := histPass{k: len(feats), two: len(ogh) >= minTwoWay}
	for k, f := range feats {
		q.h[k] = (*[256]hbin)(h[bo.b.off[f]:])
		clear(q.h[k][:])
		if q.two {
			q.hb[k] = (*[256]hbin)(h[bo.b.off[f]+histB:])
			clear(q.hb[k][:])
		}
		q.c[k] = bo.x[f*bo.n : (f+1)*bo.n]
	}
	// The root's pass reads the columns in order without the row indexes:
	// measured, 15 ms against 26 ms through an identity index on 800k rows.
	if rows == nil {
		q.sumAll(ogh)
		return
	}
	q.sumRows(rows, ogh)
}

// grow builds one tree on rows idx[:n], leaf-wise: it always splits the
// leaf whose best split gains most, until Leaves leaves or no gain.
func (bo *booster) grow(n int) []gbNode {
	cfg := &bo.cfg
	root := &leaf{node: 0, begin: 0, end: n, hist: bo.getHist()}
	if n == bo.n {
		bo.buildHist(root.hist, nil)
	} else {
		bo.buildHist(root.hist, bo.idx[:n])
	}
	// The totals come from the first feature's histogram: every row has
	// exactly one bin per feature.
	f0 := bo.feats[0]
	for _, e := range root.hist[bo.b.off[f0] : bo.b.off[f0]+bo.b.nbins[f0]] {
		root.g += e.g
		root.h += e.h
	}
	root.n = n
	nodes := []gbNode{{left: -1, right: -1, g: root.g, h: root.h, end: n}}
	bo.findBest(root, bo.best[0])
	leaves := []*leaf{root}
	for len(leaves) < cfg.Leaves {
		bi := -1
		for i, l := range leaves {
			if l.best.gain > 0 && (bi < 0 || l.best.gain > leaves[bi].best.gain) {
				bi = i
			}
		}
		if bi < 0 {
			break
		}
		l := leaves[bi]
		s := l.best
		li, ri := int32(len(nodes)), int32(len(nodes)+1)
		nd := &nodes[l.node]
		nd.left, nd.right, nd.gain = li, ri, s.gain
		nd.split = bo.decision(&s)
		nd.right1 = nd.split.RightBins(bo.b.cuts[s.feature])
		mid := bo.partition(l, int(s.feature), &nd.right1)
		nodes = append(nodes,
			gbNode{left: -1, right: -1, g: s.lg, h: s.lh, begin: l.begin, end: mid},
			gbNode{left: -1, right: -1, g: l.g - s.lg, h: l.h - s.lh, begin: mid, end: l.end})
		left := &leaf{node: li, begin: l.begin, end: mid, g: s.lg, h: s.lh, n: mid - l.begin, depth: l.depth + 1}
		right := &leaf{node: ri, begin: mid, end: l.end, g: l.g - s.lg, h: l.h - s.lh, n: l.end - mid, depth: l.depth + 1}
		small, large := left, right
		if right.end-right.begin < left.end-left.begin {
			small, large = right, left
		}
		small.hist = bo.getHist()
		bo.buildHist(small.hist, bo.idx[small.begin:small.end])
		// The large child's histogram is its parent's minus the small
		// one's: findBest subtracts feature by feature, on every core, and
		// not at all for a child it does not search.
		large.hist, large.minus = l.hist, small.hist
		leaves[bi] = left
		leaves = append(leaves, right)
		kids := [2]*leaf{left, right}
		search := func(k int) {
			if c := kids[k]; len(leaves) < cfg.Leaves && (cfg.MaxDepth == 0 || c.depth < cfg.MaxDepth) {
				bo.findBest(c, bo.best[k])
			}
		}
		// A small child's search runs on one goroutine (findBest), so two
		// small children are searched side by side.
		if large.n < minParallelRows {
			parallelFor(2, cfg.Workers, search)
		} else {
			search(0)
			search(1)
		}
		for _, c := range kids {
			if c.best.gain <= 0 {
				bo.putHist(c.hist)
				c.hist = nil
			}
		}
	}
	for _, l := range leaves {
		bo.putHist(l.hist)
	}
	return nodes
}

// decision turns a split found on bins into the rule scoring applies: a
// numeric split's bins 1…bin go left, which is float32(x) < the cut that
// opens bin+1; a categorical split's right bins are the codes plus one.
func (bo *booster) decision(s *split) predict.Split {
	d := predict.Split{Feature: int32(s.feature), DefaultLeft: s.defaultLeft}
	if s.cat == nil {
		d.Threshold = bo.b.cuts[s.feature][s.bin-1]
		return d
	}
	var codes [4]uint64
	for b := 1; b < 256; b++ {
		if s.cat[b/64]&(1<<(b%64)) != 0 {
			codes[(b-1)/64] |= 1 << ((b - 1) % 64)
		}
	}
	d.Right = &codes
	return d
}

// partition reorders idx[l.begin:l.end] stably so that the rows whose bin
// of feature f is not in right come first, and returns where the others
// start. A large leaf is cut in one piece per worker: each piece keeps its
// left rows in place and puts its right ones in scratch, then the pieces'
// left rows are moved together and the right ones copied after them.
func (bo *booster) partition(l *leaf, f int, right *[4]uint64) int {
	var left [256]int
	for b := range left {
		if !predict.InRight(right, uint8(b)) {
			left[b] = 1
		}
	}
	col := bo.x[f*bo.n : (f+1)*bo.n]
	rows := bo.idx[l.begin:l.end]
	scratch := bo.scratch[:len(rows)]
	pieces := 1
	if len(rows) >= minParallelPartition {
		pieces = bo.cfg.Workers
	}
	size := (len(rows) + pieces - 1) / pieces
	nleft := make([]int, pieces)
	// When every row is in the tree, only the root spans them all, and
	// sampleRows left idx from the last tree: its rows are 0…n-1.
	allRows := bo.cfg.Subsample >= 1 && l.begin == 0 && l.end == bo.n
	parallelFor(pieces, pieces, func(p int) {
		lo, hi := min(len(rows), p*size), min(len(rows), (p+1)*size)
		rs, sc := rows[lo:hi], scratch[lo:hi]
		k, j := 0, 0
		if allRows {
			for r := int32(lo); r < int32(hi); r++ {
				k, j = place(rs, sc, k, j, r, left[col[r]])
			}
		} else {
			for _, r := range rs {
				k, j = place(rs, sc, k, j, r, left[col[r]])
			}
		}
		nleft[p] = k
	})
	k := 0
	for p := range pieces {
		lo := min(len(rows), p*size)
		k += copy(rows[k:], rows[lo:lo+nleft[p]])
	}
	mid := k
	for p := range pieces {
		lo, hi := min(len(rows), p*size), min(len(rows), (p+1)*size)
		k += copy(rows[k:], scratch[lo:hi-nleft[p]])
	}
	return l.begin + mid
}

// place writes row r to both sides of a partition, left rows rs and right
// rows sc, and advances the one it goes to (lf is 1 for left): without a
// branch on the side.
func place(rs, sc []int32, k, j int, r int32, lf int) (int, int) {
	rs[k] = r
	sc[j] = r
	return k + lf, j + 1 - lf
}

// leafOf returns the leaf of row j of a column-major matrix of n rows.
func leafOf(nodes []gbNode, x []uint8, n, j int) int32 {
	i := int32(0)
	for nodes[i].left >= 0 {
		nd := &nodes[i]
		if predict.InRight(&nd.right1, x[int(nd.split.Feature)*n+j]) {
			i = nd.right
		} else {
			i = nd.left
		}
	}
	return i
}

// leafOfRows records each training row's leaf from the final partition
// (when every row took part in the tree).
func (bo *booster) leafOfRows(nodes []gbNode, out []int32) {
	if len(nodes) == 1 {
		// The tree is one leaf, and idx was not partitioned.
		clear(out)
		return
	}
	// The leaves' ranges tile the partition; each chunk of it writes the
	// rows of the leaves it overlaps.
	parallelChunks(len(bo.idx), bo.cfg.Workers, func(lo, hi int) {
		for i, nd := range nodes {
			if b, e := max(nd.begin, lo), min(nd.end, hi); nd.left < 0 && b < e {
				for _, r := range bo.idx[b:e] {
					out[r] = int32(i)
				}
			}
		}
	})
}

// leafScore is the loss reduction term of a leaf.
func leafScore(g, h, lambda float64) float64 { return g * g / (h + lambda) }

// findBest sets l.best to the best split over the tree's features, with
// best (one per feature) as scratch, after subtracting l.minus from each
// feature's histogram. A leaf of minParallelRows or more is searched on
// the workers, a smaller one on the calling goroutine.
func (bo *booster) findBest(l *leaf, best []split) {
	l.best = split{}
	if l.n < 2*bo.cfg.MinDataInLeaf || l.h < 2*bo.cfg.MinSumHessian {
		return
	}
	clear(best)
	work := func(k int) {
		f := bo.feats[k]
		h := l.hist[bo.b.off[f] : bo.b.off[f]+bo.b.nbins[f]]
		if l.minus != nil {
			for b, e := range l.minus[bo.b.off[f] : bo.b.off[f]+bo.b.nbins[f]] {
				h[b].g -= e.g
				h[b].h -= e.h
			}
		}
		if bo.b.cat[f] {
			best[k] = bo.bestCategorical(l, f, h)
		} else {
			best[k] = bo.bestNumeric(l, f, h)
		}
	}
	if l.n >= minParallelRows {
		parallelFor(len(best), bo.cfg.Workers, work)
	} else {
		for k := range best {
			work(k)
		}
	}
	l.minus = nil
	for _, s := range best {
		if s.gain > l.best.gain {
			l.best = s
		}
	}
}

// valid checks a split's sides against MinSumHessian and, with row counts
// estimated from the hessians, MinDataInLeaf.
func (bo *booster) valid(lh float64, l *leaf) bool {
	c := &bo.cfg
	ln := lh * float64(l.n) / l.h
	return ln >= float64(c.MinDataInLeaf) && float64(l.n)-ln >= float64(c.MinDataInLeaf) && lh >= c.MinSumHessian && l.h-lh >= c.MinSumHessian
}

func (bo *booster) bestNumeric(l *leaf, f int, h []hbin) split {
	lambda := bo.cfg.Lambda
	parent := leafScore(l.g, l.h, lambda)
	miss := h[0]
	best := split{feature: f}
	var cg, ch float64
	for t := 1; t < len(h)-1; t++ {
		cg += h[t].g
		ch += h[t].h
		if h[t].h == 0 { // no rows: every row has a hessian > 0
			continue
		}
		// Missing values right, then left.
		for _, ml := range []bool{false, true} {
			lg, lh := cg, ch
			if ml {
				if miss.h == 0 {
					break
				}
				lg, lh = lg+miss.g, lh+miss.h
			}
			if !bo.valid(lh, l) {
				continue
			}
			gain := leafScore(lg, lh, lambda) + leafScore(l.g-lg, l.h-lh, lambda) - parent
			if gain > best.gain {
				dl := ml
				if miss.h == 0 {
					dl = 2*lh >= l.h // no missing seen: default to the heavier side
				}
				best = split{gain: gain, feature: f, bin: t, defaultLeft: dl, lg: lg, lh: lh}
			}
		}
	}
	return best
}

// bestCategorical splits a categorical feature: one category against the
// rest when there are few, else a prefix of the categories sorted by their
// smoothed mean gradient (Fisher's grouping, as LightGBM does).
func (bo *booster) bestCategorical(l *leaf, f int, h []hbin) split {
	c := &bo.cfg
	miss := h[0]
	best := split{feature: f}
	var buf [256]int
	cats := buf[:0]
	used := 0
	for b := 1; b < len(h); b++ {
		if h[b].h > 0 {
			used++
		}
	}
	lambda := c.Lambda
	oneHot := used <= c.MaxCatToOneHot
	perRow := float64(l.n) / l.h
	for b := 1; b < len(h); b++ {
		if h[b].h > 0 && (oneHot || h[b].h*perRow >= bo.minGroup) {
			cats = append(cats, b)
		}
	}
	if !oneHot {
		lambda += c.CatL2
		slices.SortStableFunc(cats, func(x, y int) int {
			return cmp.Compare(h[x].g/(h[x].h+c.CatSmooth), h[y].g/(h[y].h+c.CatSmooth))
		})
	}
	parent := leafScore(l.g, l.h, lambda)
	// The right side is a set of categories with gradient sums rg, rh;
	// everything else, rare and unseen categories included, goes left.
	// The best set's bits are built once, at the end.
	var bestSet []int
	try := func(set []int, rg, rh float64) {
		for _, ml := range [2]bool{false, true} {
			if !ml && miss.h == 0 {
				continue
			}
			// Missing right when ml is false.
			lg, lh := l.g-rg, l.h-rh
			if !ml {
				lg, lh = lg-miss.g, lh-miss.h
			}
			if !bo.valid(lh, l) {
				continue
			}
			gain := leafScore(lg, lh, lambda) + leafScore(l.g-lg, l.h-lh, lambda) - parent
			if gain > best.gain {
				best = split{gain: gain, feature: f, defaultLeft: ml || miss.h == 0, lg: lg, lh: lh}
				bestSet = set
			}
		}
	}
	if oneHot {
		for k, b := range cats {
			try(cats[k:k+1], h[b].g, h[b].h)
		}
	} else {
		// Prefixes and suffixes of the sorted categories, sums kept
		// running.
		maxK := min(c.MaxCatThreshold, (len(cats)+1)/2)
		var pg, ph, sg, sh float64
		for k := 1; k <= maxK && k < len(cats); k++ {
			first, last := h[cats[k-1]], h[cats[len(cats)-k]]
			pg, ph, sg, sh = pg+first.g, ph+first.h, sg+last.g, sh+last.h
			try(cats[:k], pg, ph)
			try(cats[len(cats)-k:], sg, sh)
		}
	}
	if bestSet != nil {
		var bits [4]uint64
		for _, b := range bestSet {
			bits[b/64] |= 1 << (b % 64)
		}
		best.cat = &bits
	}
	return best
}

// export turns a tree in bin space into a predict.Tree in value space and
// adds its gains to imp.
func (bo *booster) export(nodes []gbNode, imp []float64) predict.Tree {
	cfg := &bo.cfg
	n := len(nodes)
	t := predict.Tree{Left: make([]int32, n), Right: make([]int32, n), Feature: make([]int32, n), Threshold: make([]float32, n),
		DefaultLeft: make([]bool, n), Value: make([]float64, n), Cover: make([]float64, n), Gain: make([]float64, n)}
	for i, nd := range nodes {
		t.Left[i], t.Right[i], t.Feature[i] = nd.left, nd.right, -1
		// Values are rounded to float32, as XGBoost stores them, so that an
		// exported model predicts exactly what this one does.
		t.Value[i] = float64(float32(-nd.g / (nd.h + cfg.Lambda) * cfg.LearningRate))
		t.Cover[i] = nd.h
		if nd.left < 0 {
			continue
		}
		sp := &nd.split
		t.Feature[i], t.DefaultLeft[i], t.Gain[i] = sp.Feature, sp.DefaultLeft, nd.gain
		imp[sp.Feature] += nd.gain
		if sp.Right == nil {
			t.Threshold[i] = sp.Threshold
			continue
		}
		t.CatNodes = append(t.CatNodes, int32(i))
		var codes []int32
		for c := range 256 {
			if sp.Right[c/64]&(1<<(c%64)) != 0 {
				codes = append(codes, int32(c))
			}
		}
		t.CatRight = append(t.CatRight, codes)
	}
	// An inner node's cover is the sum of its children's, exactly, so that
	// TreeSHAP's cover fractions add up to one.
	for i := n - 1; i >= 0; i-- {
		if t.Left[i] >= 0 {
			t.Cover[i] = t.Cover[t.Left[i]] + t.Cover[t.Right[i]]
		}
	}
	return t
}

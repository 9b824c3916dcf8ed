package train

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"leadscore/datasets"
	"leadscore/features"
	"leadscore/predict"
)

// leadsInputs generates n rows of datasets.GenerateLeads and encodes them
// for the engine as Train does.
func leadsInputs(tb testing.TB, n int) (*predict.Model, *features.Table, []GBColumn, []bool) {
	tb.Helper()
	var buf bytes.Buffer
	if err := datasets.GenerateLeads(context.Background(), datasets.LeadsConfig{Rows: n, Seed: 1}, &buf); err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "leads.csv")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	t, err := features.ReadTable(context.Background(), features.Source{Path: path}, nil, nil)
	if err != nil {
		tb.Fatal(err)
	}
	y, err := Labels(t, "won")
	if err != nil {
		tb.Fatal(err)
	}
	m := &predict.Model{Type: predict.TypeGBDT}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	gbdtInputs(m, t, Config{Label: "won", ID: "lead_id", TimeColumn: "created"}, all)
	return m, t, gbdtColumns(m, t, 2), y
}

var benchLeads = struct {
	sync.Mutex
	m map[int]func() (*predict.Model, *features.Table, []GBColumn, []bool)
}{m: map[int]func() (*predict.Model, *features.Table, []GBColumn, []bool){}}

func cachedLeads(b *testing.B, n int) (*predict.Model, *features.Table, []GBColumn, []bool) {
	benchLeads.Lock()
	defer benchLeads.Unlock()
	if f, ok := benchLeads.m[n]; ok {
		return f()
	}
	m, t, cols, y := leadsInputs(b, n)
	benchLeads.m[n] = func() (*predict.Model, *features.Table, []GBColumn, []bool) { return m, t, cols, y }
	return m, t, cols, y
}

func seq(n int) []int {
	r := make([]int, n)
	for i := range r {
		r[i] = i
	}
	return r
}

// BenchmarkGBDTFit boosts 50 rounds of 31 leaves on generated leads.
func BenchmarkGBDTFit(b *testing.B) {
	for _, n := range []int{100_000, 800_000} {
		b.Run(fmt.Sprintf("rows=%d/cols=45/rounds=50", n), func(b *testing.B) {
			_, _, cols, y := cachedLeads(b, n)
			rows := seq(n)
			for b.Loop() {
				if _, err := FitGBDT(context.Background(), cols, y, rows, nil, GBDTConfig{Rounds: 50}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*50*b.N)/b.Elapsed().Seconds(), "row-rounds/s")
		})
	}
}

// BenchmarkGBDTBinning chooses the bins and bins every value.
func BenchmarkGBDTBinning(b *testing.B) {
	n := 800_000
	_, _, cols, _ := cachedLeads(b, n)
	rows := seq(n)
	for b.Loop() {
		bn := newBinning(cols, rows, 255, 1, 2)
		bn.apply(cols, rows, 2)
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// benchBooster is a booster on n generated rows with the gradients of score 0.
func benchBooster(b *testing.B, n int) *booster {
	_, _, cols, y := cachedLeads(b, n)
	rows := seq(n)
	bo := newBooster(cols, rows, GBDTConfig{Seed: 1}.withDefaults())
	ones := make([]float64, n) // e^−0
	for i := range ones {
		ones[i] = 1
	}
	bo.gradients(ones, zeroOne(y), nil, nil)
	for i := range bo.idx {
		bo.idx[i] = int32(i)
	}
	bo.sampleFeatures(nil)
	return bo
}

// BenchmarkGBDTHistogram builds the root histogram of 800k rows.
func BenchmarkGBDTHistogram(b *testing.B) {
	n := 800_000
	bo := benchBooster(b, n)
	h := make([]hbin, bo.b.total)
	for b.Loop() {
		bo.buildHist(h, nil)
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkHistPass sums 600,000 rows into five features' histograms in
// one pass, as a root's pass does, on columns of one bin, of four bins at
// random and of 255: the fewer the bins, the more adds wait for the add
// before them to the same bin. The passes: whole, with the histograms
// 4 KiB apart (256 bins each, as before histStride) and as the booster
// lays them out, and split (histPass.two).
func BenchmarkHistPass(b *testing.B) {
	const n = 600_000
	r := rand.New(rand.NewPCG(1, 2))
	ogh := make([]gh, n)
	for i := range ogh {
		ogh[i] = gh{float32(r.Float64()), 0.25}
	}
	h := make([]hbin, maxPass*histStride)
	for _, bins := range []int{1, 4, 255} {
		cols := binnedCols(r, n, bins)
		for _, pass := range []struct {
			name   string
			stride int
			two    bool
		}{{"whole-4KiB-apart", 256, false}, {"whole", histStride, false}, {"split", histStride, true}} {
			b.Run(fmt.Sprintf("bins=%d/%s", bins, pass.name), func(b *testing.B) {
				q := histPass{k: maxPass, two: pass.two, c: cols}
				for f := range maxPass {
					q.h[f] = (*[256]hbin)(h[f*pass.stride:])
					if pass.two {
						q.hb[f] = (*[256]hbin)(h[f*pass.stride+histB:])
					}
				}
				for b.Loop() {
					for f := range maxPass {
						clear(q.h[f][:])
						if pass.two {
							clear(q.hb[f][:])
						}
					}
					q.sumAll(ogh)
				}
				b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}

// BenchmarkGBDTSplit finds the best split of the root from its histogram.
func BenchmarkGBDTSplit(b *testing.B) {
	n := 800_000
	bo := benchBooster(b, n)
	root := &leaf{end: n, hist: make([]hbin, bo.b.total)}
	bo.buildHist(root.hist, nil)
	f0 := bo.feats[0]
	for _, e := range root.hist[bo.b.off[f0] : bo.b.off[f0]+bo.b.nbins[f0]] {
		root.g, root.h = root.g+e.g, root.h+e.h
	}
	root.n = n
	for b.Loop() {
		bo.findBest(root, bo.best[0])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "splits/s")
}

// gbdtModel300 trains a 300-tree, 31-leaf model on 100k generated leads.
func gbdtModel300(b *testing.B) *predict.Model {
	m, _, cols, y := cachedLeads(b, 100_000)
	ens, err := FitGBDT(context.Background(), cols, y, seq(100_000), nil, GBDTConfig{Rounds: 300})
	if err != nil {
		b.Fatal(err)
	}
	m.Trees = ens
	if err := m.Finish(); err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkGBDTPredict scores 200k rows with a 300-tree model, from the
// table (encoding included), on two goroutines as predict does.
func BenchmarkGBDTPredict(b *testing.B) {
	m := gbdtModel300(b)
	_, t, _, _ := cachedLeads(b, 200_000)
	rows := seq(t.NumRows())
	for b.Loop() {
		scoreRows(m, t, rows, 2)
	}
	b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkTreeSHAPBlock explains blocks of rows tree by tree (one
// goroutine), encoding the rows included; predict uses blocks of 1,024.
func BenchmarkTreeSHAPBlock(b *testing.B) {
	m := gbdtModel300(b)
	_, t, _, _ := cachedLeads(b, 100_000)
	for _, block := range []int{256, 1024, 4096} {
		b.Run(fmt.Sprintf("block=%d", block), func(b *testing.B) {
			enc, err := predict.NewEncoder(m, t)
			if err != nil {
				b.Fatal(err)
			}
			p := len(m.Features)
			x := make([]float64, block*p)
			phi, logits := make([]float64, block*p), make([]float64, block)
			s := m.Trees.NewShap()
			rows := 0
			for b.Loop() {
				for r := range block {
					enc.TreeRow((rows+r)%t.NumRows(), x[r*p:(r+1)*p])
				}
				clear(phi)
				s.ExplainBlock(x, block, phi, logits)
				rows += block
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkTreeSHAPTables builds a 300-tree model's SHAP tables, which the
// first explanation (predict's reasons, Train's importance) waits for.
func BenchmarkTreeSHAPTables(b *testing.B) {
	m := gbdtModel300(b)
	for b.Loop() {
		b.StopTimer()
		if err := m.Finish(); err != nil { // a fresh ensemble, tables not built
			b.Fatal(err)
		}
		b.StartTimer()
		m.Trees.NewShap()
	}
}

//go:build amd64 && !purego

package train

// gradientsSSE2 is gradientsGo two rows at a time (grad_amd64.s). It stops
// at the first row whose leaf is outside factor and returns how many rows
// it set. against, y, leaf and out must be as long as against.
//
//go:noescape
func gradientsSSE2(against []float64, y []float32, leaf []int32, factor []float64, out []gh) int

// gradientsAfter is gradientsGo on SSE2, with gradientsGo's checks.
func gradientsAfter(against []float64, y []float32, leaf []int32, factor []float64, out []gh) {
	n := len(against)
	y, leaf, out = y[:n], leaf[:n], out[:n]
	if k := gradientsSSE2(against, y, leaf, factor, out); k < n {
		panic("train: a row's leaf has no factor")
	}
}

//go:build !amd64 || purego

package train

func gradientsAfter(against []float64, y []float32, leaf []int32, factor []float64, out []gh) {
	gradientsGo(against, y, leaf, factor, out)
}

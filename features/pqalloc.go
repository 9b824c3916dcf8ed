package features

import (
	"math/bits"
	"sync"

	"github.com/apache/arrow/go/v17/arrow/memory"
)

// reuseAllocator gives Arrow's Parquet writer its buffers from free lists
// by power-of-two capacity, so that writing row group after row group
// reuses the buffers the last one freed instead of asking the garbage
// collector for more (and touching new pages). Buffers come zeroed, as
// Go's allocator gives them; a capacity of 2^k (k ≥ 6) bytes is 64-byte
// aligned, as Arrow wants. A buffer Arrow never frees is collected as
// usual.
type reuseAllocator struct {
	mu   sync.Mutex
	free [64][][]byte
}

var _ memory.Allocator = (*reuseAllocator)(nil)

// sizeClass returns k with 2^(k−1) < size ≤ 2^k, at least 6.
func sizeClass(size int) int {
	return max(6, bits.Len(uint(size-1)))
}

func (a *reuseAllocator) Allocate(size int) []byte {
	k := sizeClass(size)
	a.mu.Lock()
	if n := len(a.free[k]); n > 0 {
		b := a.free[k][n-1]
		a.free[k] = a.free[k][:n-1]
		a.mu.Unlock()
		b = b[:size]
		clear(b)
		return b
	}
	a.mu.Unlock()
	return make([]byte, size, 1<<k)
}

func (a *reuseAllocator) Reallocate(size int, b []byte) []byte {
	if size <= cap(b) {
		old := len(b)
		b = b[:size]
		if size > old {
			clear(b[old:])
		}
		return b
	}
	nb := a.Allocate(size)
	copy(nb, b)
	a.Free(b)
	return nb
}

func (a *reuseAllocator) Free(b []byte) {
	c := cap(b)
	if c < 64 || c&(c-1) != 0 {
		return // not one of ours
	}
	k := bits.Len(uint(c)) - 1
	a.mu.Lock()
	a.free[k] = append(a.free[k], b[:0])
	a.mu.Unlock()
}

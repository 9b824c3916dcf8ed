package features

// rowStore holds per quantities per row in pages of storeRows rows. Adding
// rows appends pages and never copies the rows before them, so building a
// table of n rows touches each value's memory once (a slice doubling would
// copy it about once more and fault in twice the pages).
type rowStore[T any] struct {
	per   int // values per row; 0: the quantity is not kept
	pages [][]T
}

const (
	storeShift = 12
	storeRows  = 1 << storeShift
	storeMask  = storeRows - 1
)

// newRowStore returns a store of per values per row, sized for rows rows.
func newRowStore[T any](per, rows int) rowStore[T] {
	s := rowStore[T]{per: per}
	s.grow(rows)
	return s
}

// on reports whether the quantity is kept.
func (s *rowStore[T]) on() bool { return s.per > 0 }

// grow makes room for rows rows; new values are zero. A store that is off
// stays empty.
func (s *rowStore[T]) grow(rows int) {
	for s.per > 0 && len(s.pages)<<storeShift < rows {
		s.pages = append(s.pages, make([]T, storeRows*s.per))
	}
}

// row returns row r's values.
func (s *rowStore[T]) row(r int) []T {
	p := s.pages[r>>storeShift]
	o := (r & storeMask) * s.per
	return p[o : o+s.per : o+s.per]
}

// at returns the first of row r's values.
func (s *rowStore[T]) at(r int) *T {
	return &s.pages[r>>storeShift][(r&storeMask)*s.per]
}

// merge folds src into s value by value with f; the stores have the same
// shape.
func (s *rowStore[T]) merge(src *rowStore[T], f func(dst *T, v T)) {
	for p, page := range src.pages {
		dst := s.pages[p]
		for i, v := range page {
			f(&dst[i], v)
		}
	}
}

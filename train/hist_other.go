//go:build !amd64 || purego

package train

func (q *histQuad) sumRows(rows []int32, ogh []gh) { q.sumRowsGo(rows, ogh) }

func (q *histQuad) sumAll(ogh []gh) { q.sumAllGo(ogh) }

//go:build !amd64 || purego

package train

func (q *histPass) sumRows(rows []int32, ogh []gh) { q.sumRowsGo(rows, ogh) }

func (q *histPass) sumAll(ogh []gh) { q.sumAllGo(ogh) }

package features

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// colKind is what a feature column computes from a row's aggregates.
type colKind uint8

const (
	colEventsTotal colKind = iota // events before the moment, all time
	colEventsCount                // events in window w
	colTenure                     // days since the first event
	colActive30                   // distinct days with an event, last 30 days
	colActive90                   // the same, last 90 days
	colCount                      // a slot's events in window w
	colSum                        // the sum of their values
	colMean                       // their mean value
	colMax                        // their largest value
	colDays                       // distinct days with an event of the slot in window w
	colDaysSince                  // days since the slot's latest event
	colTrend                      // the slot's last 30 days against the 30 before
)

// total reports whether the kind has a value at every moment: counts and
// sums are 0 where nothing happened, while a mean, a maximum, the tenure and
// the days since the latest event are null without events.
func (k colKind) total() bool {
	switch k {
	case colTenure, colMean, colMax, colDaysSince:
		return false
	}
	return true
}

// counts reports whether the kind's values are counts: whole numbers of
// events or days, at least 0.
func (k colKind) counts() bool {
	switch k {
	case colEventsTotal, colEventsCount, colActive30, colActive90, colCount, colDays:
		return true
	}
	return false
}

// featureCol is one feature column of the output.
type featureCol struct {
	name string
	desc Descriptor
	kind colKind
	slot int // for per-slot kinds: the type slot (derived slots follow the types)
	w    int // for per-window kinds: the window index
	v    []float64
	// n holds a count kind's values instead of v in a table written as
	// it is computed (see rowsOut): half the bytes to move through
	// memory, and no conversion back for the writer.
	n []int32
}

// columns declares the feature columns of a layout, in output order: the
// activity over all events, then per slot (types in name order, then the
// derived types) the spec's aggregations, each with room for n values,
// with counts as int32 when asked.
func (e *engine) columns(l *layout, n int, counts bool) []featureCol {
	spec := e.spec
	var cols []featureCol
	add := func(c featureCol) {
		if counts && c.kind.counts() {
			c.n = make([]int32, n)
		} else {
			c.v = make([]float64, n)
		}
		cols = append(cols, c)
	}
	add(featureCol{name: "events_total", desc: Descriptor{Agg: AggCount}, kind: colEventsTotal})
	for w, days := range spec.windows() {
		add(featureCol{name: fmt.Sprintf("events_count_%dd", days), desc: Descriptor{Agg: AggCount, WindowDays: days}, kind: colEventsCount, w: w})
	}
	add(featureCol{name: "tenure_days", desc: Descriptor{Agg: AggTenure}, kind: colTenure})
	add(featureCol{name: "active_days_30d", desc: Descriptor{Agg: AggDistinctDays, WindowDays: 30}, kind: colActive30})
	add(featureCol{name: "active_days_90d", desc: Descriptor{Agg: AggDistinctDays, WindowDays: 90}, kind: colActive90})
	w30 := slices.Index(spec.windows(), 30)
	for s, name := range l.names {
		cname := columnName(name)
		phrase, noun := spec.wordsFor(name)
		perWindow := func(agg Agg, kind colKind, format string) {
			if !spec.has(string(agg)) {
				return
			}
			for w, days := range spec.windows() {
				add(featureCol{name: fmt.Sprintf(format, cname, days), kind: kind, slot: s, w: w,
					desc: Descriptor{Agg: agg, Type: name, WindowDays: days, Phrase: phrase, Noun: noun}})
			}
		}
		perWindow(AggCount, colCount, "%s_count_%dd")
		if l.valued[s] {
			perWindow(AggSum, colSum, "%s_value_sum_%dd")
			perWindow(AggMean, colMean, "%s_value_mean_%dd")
			perWindow(AggMax, colMax, "%s_value_max_%dd")
		}
		perWindow(AggDistinctDays, colDays, "%s_active_days_%dd")
		if spec.has("days_since") {
			add(featureCol{name: cname + "_days_since_last", kind: colDaysSince, slot: s,
				desc: Descriptor{Agg: AggDaysSince, Type: name, Phrase: phrase, Noun: noun}})
		}
		if spec.has("trend") {
			add(featureCol{name: cname + "_trend", kind: colTrend, slot: s, w: w30,
				desc: Descriptor{Agg: AggTrend, Type: name, WindowDays: 30, Phrase: phrase, Noun: noun}})
		}
	}
	return cols
}

// acc holds one row's aggregates while an entity's rows are computed, and
// is reused from row to row. All-time quantities grow as the moments
// advance; windowed ones are recomputed for each moment from the records
// within the longest look-back, but for the old part's counts, which move
// with the moments.
type acc struct {
	e      *engine
	l      *layout
	nw     int
	dOff   []int // distinct days: first bitset word of each window, then dw
	dw     int   // distinct days: bitset words per slot
	scan   int64 // the longest look-back any column needs, ns
	hasDay bool  // distinct_days is asked for
	hasMax bool

	// All time.
	n     int64
	first int64
	lastT []int64 // per slot: its latest event, noTime if none
	rr    ruleRow

	// ownLastT is lastT's room for an entity without a resume state.
	ownLastT []int64

	// Windowed, for the current moment.
	byLen  []int   // window indexes, shortest window first
	cls    []int32 // records by class (see window)
	seg    []int32 // [slot·(nw+1) + class]: a slot's records by class
	nWin   []int32
	act30  uint64
	act90  [2]uint64
	cnt    []int32 // [slot·nw + w]
	sum    []float64
	vcnt   []int32
	vmax   []float64
	days   []uint64 // [slot·dw + word]
	prev30 []int32  // per slot: events with 30 d < age ≤ 60 d
	// touched has bit s set for a slot s with records in the windows, when
	// there are at most 64 slots; the others' counts are 0.
	touched uint64

	// The old part of an entity's records at a moment: those the widest
	// window holds and no narrower window, day count or trend reaches
	// (older than recent, no older than wide). Their counts are kept as
	// the moments advance, records entering and leaving, so a moment reads
	// only its recent records and the old part's values; wide 0: no old
	// part (the widest window is not wider than the recent span, or
	// distinct days, which need each record's day, are asked for).
	wide, recent int64
	oldValues    bool    // value columns, which add the old part's values
	oldA, oldB   int     // the old part: records [oldA, oldB); oldA < 0 before the entity's first moment
	oldVA, oldVB int     // with oldValues, its valued records when the partition lists them: valuedAt[oldVA:oldVB]
	oldSeg       []int32 // per slot: its records in the old part
	ownOldSeg    []int32 // oldSeg's room for an entity without a resume state

	// inactiveOf lists, per global type id, the inactivity rules watching
	// it.
	inactiveOf [][]int

	// Rows written and not yet moved into rowOut's columns (see write),
	// a column at a time: rowBuf[column·heldRows + row], each row's
	// position in rowPos.
	rowBuf []float64
	rowPos []int32
	rowOut *rowsOut

	// ops is what write computes for each of the layout's feature
	// columns, by kind: where their values go in rowBuf and indexes without
	// their names and values.
	ops   [colTrend + 1][]colOp
	nCols int
}

// colOp is one output column as write reads it: where its values start
// in rowBuf (at = column·heldRows), its slot and window, and
// i = slot·nw + w, its place in the per-slot, per-window aggregates.
type colOp struct {
	at, slot, w, i int32
}

// heldRows is how many rows an acc holds before moving them into the
// output columns: enough that each column gets whole cache lines, few
// enough that the rows stay in the core's own cache.
const heldRows = 64

// windowsFromScratch, set by a test, counts every moment's windows from
// its records alone, without an old part.
var windowsFromScratch bool

func newAcc(e *engine, l *layout) *acc {
	spec := e.spec
	a := &acc{e: e, l: l, nw: len(e.win), hasDay: spec.has("distinct_days"), hasMax: spec.has("max")}
	slots := len(l.names)
	for _, w := range spec.windows() {
		a.dOff = append(a.dOff, a.dw)
		a.dw += w/64 + 1
	}
	a.dOff = append(a.dOff, a.dw)
	a.scan = 90 * dayNanos // active_days_90d
	if spec.has("trend") {
		a.scan = max(a.scan, 60*dayNanos)
	}
	for _, w := range e.win {
		a.scan = max(a.scan, w)
	}
	a.ownLastT = make([]int64, slots)
	a.byLen = make([]int, a.nw)
	for w := range a.byLen {
		a.byLen[w] = w
	}
	slices.SortFunc(a.byLen, func(x, y int) int { return cmp.Compare(e.win[x], e.win[y]) })
	if a.nw > 0 && !a.hasDay && !windowsFromScratch {
		recent := 90 * dayNanos // active_days_90d; the trend reaches 60 days
		if a.nw > 1 {
			recent = max(recent, e.win[a.byLen[a.nw-2]])
		}
		if wide := e.win[a.byLen[a.nw-1]]; wide > recent {
			a.wide, a.recent = wide, recent
		}
	}
	a.ownOldSeg = make([]int32, slots)
	a.cls = make([]int32, a.nw+1)
	a.seg = make([]int32, slots*(a.nw+1))
	a.nWin = make([]int32, a.nw)
	a.cnt = make([]int32, slots*a.nw)
	a.sum = make([]float64, slots*a.nw)
	a.vcnt = make([]int32, slots*a.nw)
	a.vmax = make([]float64, slots*a.nw)
	if a.hasDay {
		a.days = make([]uint64, slots*a.dw)
	}
	a.prev30 = make([]int32, slots)
	for _, col := range e.columns(l, 0, false) {
		a.ops[col.kind] = append(a.ops[col.kind], colOp{at: int32(a.nCols * heldRows), slot: int32(col.slot), w: int32(col.w), i: int32(col.slot*a.nw + col.w)})
		a.nCols++
	}
	a.rowBuf = make([]float64, heldRows*a.nCols)
	a.oldValues = len(a.ops[colSum])+len(a.ops[colMean])+len(a.ops[colMax]) > 0
	if rs := e.rs; rs != nil {
		a.inactiveOf = make([][]int, len(e.typeNames))
		for t, name := range e.typeNames {
			for i := range rs.Rules {
				if in := rs.Rules[i].Inactive; in != nil && in.Type == name {
					a.inactiveOf[t] = append(a.inactiveOf[t], i)
				}
			}
		}
	}
	return a
}

// rowsOut receives computed rows: the feature columns and, with rules,
// the rule columns, each indexed by output position.
type rowsOut struct {
	cols   []featureCol
	total  []float64
	groups [][]float64
	awards []string
	done   []bool
}

// entity computes the rows of one entity: its sorted records g[lo:hi] of
// p and its moments, ascending; prow is its entities-file row (−1 for
// none), which rules read. With st, it starts from st's all-time
// quantities when they were counted for a moment no later than the first,
// and leaves its own there. Its feature values reach out's columns when
// the acc is flushed.
func (a *acc) entity(p *partition, lo, hi, prow int, moms []moment, out *rowsOut, st carried) {
	a.n, a.first, a.rr = 0, noTime, ruleRow{}
	a.lastT, a.oldSeg, a.oldA = a.ownLastT, a.ownOldSeg, -1
	if st.resume != nil {
		a.lastT, a.oldSeg = st.lastT, st.oldSeg // counted in place, so left there
	}
	rs := a.e.rs
	j := lo
	if st.resume != nil && st.ok && st.d <= moms[0].d {
		a.n, a.first, j = st.n, st.first, lo+int(st.j)
		a.oldA, a.oldB = lo+int(st.oldA), lo+int(st.oldB)
		a.oldVA, a.oldVB = int(st.oldVA), int(st.oldVB)
		if st.rr != nil {
			a.rr = *st.rr
		}
	} else {
		for s := range a.lastT {
			a.lastT[s] = noTime
		}
	}
	for _, m := range moms {
		d := m.d
		dt := timeOf(d)
		for ; j < hi && p.g.r[j].ts < d; j++ {
			a.addAllTime(&p.g, j, dt)
		}
		a.window(p, lo, j, d)
		a.write(m.pos, d, out)
		if rs != nil {
			first := a.first
			if a.n == 0 {
				first = noTime
			}
			pts := rs.evaluate(&a.rr, first, dt, a.e.cfg.Profiles, prow, false)
			out.total[m.pos] = pts.Total
			for g := range out.groups {
				out.groups[g][m.pos] = pts.Groups[g]
			}
			out.awards[m.pos] = AwardsJSON(pts.Awards)
		}
		out.done[m.pos] = true
	}
	if st.resume != nil {
		st.ok, st.d, st.j, st.n, st.first = true, moms[len(moms)-1].d, int32(j-lo), a.n, a.first
		st.oldA, st.oldB = int32(a.oldA-lo), int32(a.oldB-lo)
		st.oldVA, st.oldVB = int32(a.oldVA), int32(a.oldVB)
		if st.rr != nil {
			*st.rr = a.rr
		}
	}
}

// addAllTime counts record i into the all-time quantities: the count, the
// first and each slot's latest event, and the rules' state as of dt.
func (a *acc) addAllTime(g *recs, i int, dt time.Time) {
	r := &g.r[i]
	if a.n == 0 {
		a.first = r.ts
	}
	a.n++
	if s := a.l.slotOf[r.typ]; s >= 0 {
		a.lastT[s] = r.ts
	}
	var m matched
	if g.match != nil {
		m = a.e.matches[g.match[i]]
	}
	for d := m.derived; d != 0; d &= d - 1 {
		a.lastT[a.l.nTypes+bits.TrailingZeros64(d)] = r.ts
	}
	rs := a.e.rs
	if rs == nil {
		return
	}
	if m.rules != 0 {
		if a.rr.acc == nil {
			a.rr.acc = make([]ruleAcc, len(rs.Rules))
		}
		for _, ri := range a.e.rulesOf[r.typ] {
			if m.rules&(1<<a.e.ruleBit[ri]) != 0 {
				rs.Rules[ri].addMatch(&a.rr.acc[ri], r.ts, dt)
			}
		}
	}
	for _, ri := range a.inactiveOf[r.typ] {
		if a.rr.lastOfType == nil {
			a.rr.lastOfType = make([]int64, len(rs.Rules))
		}
		a.rr.lastOfType[ri] = stampOf(r.ts)
	}
}

// window recomputes the windowed quantities at moment d from the records
// before it, p.g[lo:hi], adding values in time order. The records come
// oldest first, so the windows holding one only narrow as they go: they
// are taken in runs of one class (the shortest window holding them, the
// windows sorted by length), counted once into their class, and each
// window's count is the sum of its own class and the narrower ones.
func (a *acc) window(p *partition, lo, hi int, d int64) {
	g := &p.g
	a.act30, a.act90 = 0, [2]uint64{}
	clear(a.seg)
	clear(a.sum)
	clear(a.vcnt)
	if a.hasMax {
		clear(a.vmax)
	}
	if a.hasDay {
		clear(a.days)
	}
	clear(a.prev30)
	clear(a.cls)
	a.touched = 0
	nc := a.nw + 1 // classes: the windows by length, then none
	var from int
	if a.wide > 0 {
		from = a.old(p, lo, hi, d)
	} else {
		from, _ = slices.BinarySearchFunc(g.r[lo:hi], d-a.scan, func(r rec, t int64) int { return cmp.Compare(r.ts, t) })
		from += lo
	}
	dDay := floorDiv(d, dayNanos)
	c, next := a.nw, a.narrower(a.nw, d)
	for i := from; i < hi; i++ {
		r := &g.r[i]
		for r.ts >= next {
			c--
			next = a.narrower(c, d)
		}
		a.cls[c]++
		age := d - r.ts
		k := dDay - floorDiv(r.ts, dayNanos) // days back, 0 = d's date
		if age <= 90*dayNanos {
			a.act90[k/64] |= 1 << (k % 64)
			if age <= 30*dayNanos {
				a.act30 |= 1 << k
			}
		}
		v, valued := g.value(i)
		if s := a.l.slotOf[r.typ]; s >= 0 {
			a.seg[s*nc+c]++
			a.touched |= 1 << (s & 63)
			a.addSlot(s, v, valued, age, k, c)
		}
		if g.match != nil {
			for m := a.e.matches[g.match[i]].derived; m != 0; m &= m - 1 {
				s := a.l.nTypes + bits.TrailingZeros64(m)
				a.seg[s*nc+c]++
				a.touched |= 1 << (s & 63)
				a.addSlot(s, v, valued, age, k, c)
			}
		}
	}
	run := int32(0)
	for c, w := range a.byLen {
		run += a.cls[c]
		a.nWin[w] = run
	}
	if len(a.prev30) > 64 {
		for s := range a.prev30 {
			a.slotWindows(s)
		}
		return
	}
	clear(a.cnt)
	for t := a.touched; t != 0; t &= t - 1 {
		a.slotWindows(bits.TrailingZeros64(t))
	}
}

// slotWindows adds up slot s's counts and distinct days by class into its
// windows.
func (a *acc) slotWindows(s int) {
	nc := a.nw + 1
	run := int32(0)
	for c, w := range a.byLen {
		run += a.seg[s*nc+c]
		a.cnt[s*a.nw+w] = run
	}
	if a.hasDay {
		for c := 1; c < a.nw; c++ {
			wide := a.dayBits(s, a.byLen[c])
			for j, x := range a.dayBits(s, a.byLen[c-1]) {
				wide[j] |= x
			}
		}
	}
}

// old moves the old part (see acc.wide) to moment d, whose records before
// it are p.g[lo:hi], and counts it into the widest window's class: its
// records, by slot, and with value columns their values, oldest first, as
// window adds those that follow. It returns where the recent records
// start.
func (a *acc) old(p *partition, lo, hi int, d int64) int {
	g := &p.g
	if a.oldA < 0 {
		at, _ := slices.BinarySearchFunc(g.r[lo:hi], d-a.wide, func(r rec, t int64) int { return cmp.Compare(r.ts, t) })
		a.oldA, a.oldB = lo+at, lo+at
		if a.oldValues {
			a.oldVA, _ = slices.BinarySearch(p.valuedAt, int32(a.oldA))
			a.oldVB = a.oldVA
		}
		clear(a.oldSeg)
	}
	for edge := d - a.recent; a.oldB < hi && g.r[a.oldB].ts < edge; a.oldB++ {
		a.countOld(g, a.oldB, 1)
	}
	for edge := d - a.wide; a.oldA < a.oldB && g.r[a.oldA].ts < edge; a.oldA++ {
		a.countOld(g, a.oldA, -1)
	}
	nc, top := a.nw+1, a.nw-1
	a.cls[top] += int32(a.oldB - a.oldA)
	for s, n := range a.oldSeg {
		if n != 0 {
			a.seg[s*nc+top] += n
			a.touched |= 1 << (s & 63)
		}
	}
	if !a.oldValues {
		return a.oldB
	}
	w := a.byLen[top]
	if p.valuedAt != nil {
		// The valued records' cursors follow the old part's edges.
		for a.oldVB < len(p.valuedAt) && int(p.valuedAt[a.oldVB]) < a.oldB {
			a.oldVB++
		}
		for a.oldVA < a.oldVB && int(p.valuedAt[a.oldVA]) < a.oldA {
			a.oldVA++
		}
		for _, i := range p.valuedAt[a.oldVA:a.oldVB] {
			a.oldValue(g, int(i), w)
		}
		return a.oldB
	}
	for i := a.oldA; i < a.oldB; i++ {
		if g.r[i].valued() {
			a.oldValue(g, i, w)
		}
	}
	return a.oldB
}

// oldValue adds the value of record i of g, in the old part, to the
// widest window w's values of its slots.
func (a *acc) oldValue(g *recs, i, w int) {
	v, _ := g.value(i)
	if s := a.l.slotOf[g.r[i].typ]; s >= 0 {
		a.addWide(s, w, v)
	}
	if g.match != nil {
		for m := a.e.matches[g.match[i]].derived; m != 0; m &= m - 1 {
			a.addWide(a.l.nTypes+bits.TrailingZeros64(m), w, v)
		}
	}
}

// countOld counts record i of g into the old part's slots (delta 1) or
// out of them (−1).
func (a *acc) countOld(g *recs, i int, delta int32) {
	if s := a.l.slotOf[g.r[i].typ]; s >= 0 {
		a.oldSeg[s] += delta
	}
	if g.match != nil {
		for m := a.e.matches[g.match[i]].derived; m != 0; m &= m - 1 {
			a.oldSeg[a.l.nTypes+bits.TrailingZeros64(m)] += delta
		}
	}
}

// addWide adds value v of slot s to window w's values, when the slot has
// value columns.
func (a *acc) addWide(s, w int, v float64) {
	if a.l.valued[s] {
		a.addValue(s*a.nw+w, v)
	}
}

// addValue adds value v to a slot's window at (slot·nw + window): its
// sum, count and maximum.
func (a *acc) addValue(at int, v float64) {
	if a.hasMax && (a.vcnt[at] == 0 || v > a.vmax[at]) {
		a.vmax[at] = v
	}
	a.sum[at] += v
	a.vcnt[at]++
}

// dayBits is slot s's distinct days within window w, a bit per day back.
func (a *acc) dayBits(s, w int) []uint64 {
	return a.days[s*a.dw+a.dOff[w] : s*a.dw+a.dOff[w+1]]
}

// narrower returns the earliest time of the window next narrower than
// class c's at moment d, or the end of time for the narrowest class.
func (a *acc) narrower(c int, d int64) int64 {
	if c == 0 {
		return math.MaxInt64
	}
	return d - a.e.win[a.byLen[c-1]]
}

// addSlot counts a record of class c (see window), age before the moment
// and k days back, with value v when hasValue, into a slot's windowed
// values and distinct days; its count is kept by class.
func (a *acc) addSlot(s int, v float64, hasValue bool, age, k int64, c int) {
	if c < a.nw {
		if hasValue && a.l.valued[s] {
			base := s * a.nw
			for _, w := range a.byLen[c:] {
				a.addValue(base+w, v)
			}
		}
		if a.hasDay {
			a.dayBits(s, a.byLen[c])[k/64] |= 1 << (k % 64)
		}
	}
	if age > 30*dayNanos && age <= 60*dayNanos {
		a.prev30[s]++
	}
}

// write computes the row at moment d, bound for position pos of out's
// columns, and holds it there with the rows before it; when heldRows are
// held (or the rows are bound for another out) they go into the columns.
// The columns are computed a kind at a time.
func (a *acc) write(pos int32, d int64, out *rowsOut) {
	if out != a.rowOut {
		a.flush()
		a.rowOut = out
	}
	row := a.rowBuf[len(a.rowPos):] // the row's value of a column is row[op.at]
	a.rowPos = append(a.rowPos, pos)
	day := float64(dayNanos)
	nan := math.NaN()
	for _, op := range a.ops[colEventsTotal] {
		row[op.at] = float64(a.n)
	}
	for _, op := range a.ops[colEventsCount] {
		row[op.at] = float64(a.nWin[op.w])
	}
	tenure := nan
	if a.n > 0 {
		tenure = float64(d-a.first) / day
	}
	for _, op := range a.ops[colTenure] {
		row[op.at] = tenure
	}
	for _, op := range a.ops[colActive30] {
		row[op.at] = float64(bits.OnesCount64(a.act30))
	}
	for _, op := range a.ops[colActive90] {
		row[op.at] = float64(bits.OnesCount64(a.act90[0]) + bits.OnesCount64(a.act90[1]))
	}
	for _, op := range a.ops[colCount] {
		row[op.at] = float64(a.cnt[op.i])
	}
	for _, op := range a.ops[colSum] {
		row[op.at] = a.sum[op.i] + 0
	}
	for _, op := range a.ops[colMean] {
		v := nan
		if n := a.vcnt[op.i]; n > 0 {
			v = a.sum[op.i] / float64(n)
		}
		row[op.at] = v
	}
	for _, op := range a.ops[colMax] {
		v := nan
		if a.vcnt[op.i] > 0 {
			v = a.vmax[op.i]
		}
		row[op.at] = v
	}
	for _, op := range a.ops[colDays] {
		c := 0
		for _, x := range a.dayBits(int(op.slot), int(op.w)) {
			c += bits.OnesCount64(x)
		}
		row[op.at] = float64(c)
	}
	for _, op := range a.ops[colDaysSince] {
		v := nan
		if last := a.lastT[op.slot]; last != noTime {
			v = float64(d-last) / day
		}
		row[op.at] = v
	}
	for _, op := range a.ops[colTrend] {
		p := float64(a.prev30[op.slot])
		row[op.at] = (float64(a.cnt[op.i]) - p) / (p + 1)
	}
	if len(a.rowPos) == heldRows {
		a.flush()
	}
}

// flush moves the rows write holds into their output columns, column by
// column. The rows' owner calls it before the columns are read.
func (a *acc) flush() {
	if len(a.rowPos) == 0 {
		return
	}
	n, first := len(a.rowPos), a.rowPos[0]
	// Rows for consecutive positions (as-of and snapshot tables, whose
	// entities are computed in output order) are copied a column at a time.
	consecutive := a.rowPos[n-1]-first == int32(n-1)
	for i := 1; consecutive && i < n; i++ {
		consecutive = a.rowPos[i] == first+int32(i)
	}
	for c := range a.rowOut.cols {
		v, held := a.rowOut.cols[c].v, a.rowBuf[c*heldRows:c*heldRows+n]
		if cn := a.rowOut.cols[c].n; cn != nil {
			// A count is a whole number below 2³¹: an entity's records
			// are held in memory, 16 bytes each.
			if consecutive {
				cn = cn[first : int(first)+n]
				for i, x := range held {
					cn[i] = int32(x)
				}
				continue
			}
			for i, pos := range a.rowPos {
				cn[pos] = int32(held[i])
			}
			continue
		}
		if consecutive {
			copy(v[first:], held)
			continue
		}
		for i, pos := range a.rowPos {
			v[pos] = held[i]
		}
	}
	a.rowPos = a.rowPos[:0]
}

// entityRef is where an entity's records are: partition part, entity k,
// whose records are the partition's g[lo:hi] (its start and stop, kept
// here so that entities taken in id order need not look them up).
type entityRef struct {
	part   uint16
	k      int32
	lo, hi int32
}

// records says whether the entity has records (before the last moment).
func (ref entityRef) records() bool { return ref.hi > ref.lo }

// resume is what an entity's rows carry from one batch to the next: the
// all-time quantities after the records before its last computed moment,
// and the old part (acc.oldA, acc.oldB, from the entity's first record;
// acc.oldVA, acc.oldVB in its partition's valued records).
// It holds no pointers, so the collector does not scan the states of a
// snapshot table's hundreds of thousands of entities; their slices live
// in the batch plan (see carried).
type resume struct {
	ok           bool
	d            int64 // the moment they were counted for
	j            int32 // records counted, from the entity's first
	n, first     int64
	oldA, oldB   int32
	oldVA, oldVB int32
}

// carried is an entity's resume state with its room in the batch plan:
// per slot its latest event (acc.lastT) and its old part's records
// (acc.oldSeg), and its rules' state, nil without rules.
type carried struct {
	*resume
	lastT  []int64
	oldSeg []int32
	rr     *ruleRow
}

// rowBatches computes the placed rows in output order, size at a time,
// into the room that room gives: each batch's entities on every core, then
// its rows without records. emit gets the batch's first row number, its
// rows, and their feature and rule values. An entity whose rows fall in
// several batches starts each batch from the all-time quantities its
// previous one left when its moments go forward, so snapshot rows (sorted
// by date) read each entity's records once.
func (e *engine) rowBatches(ctx context.Context, l *layout, rows []placed, size int, room func(n int) *rowsOut, emit func(lo int, rows []placed, out *rowsOut) error) error {
	bp := newBatchPlan(len(e.ents), rows, size, len(l.names), e.rs != nil)
	// More than two visits per entity (a snapshot table's batches hold a
	// date each): gathering the records into id order pays for the copy.
	if bp.visits > 2*len(e.ents) {
		e.gather()
	}
	accs := make([]*acc, runtime.GOMAXPROCS(0))
	for w := range accs {
		accs[w] = newAcc(e, l)
	}
	for lo := 0; ; lo += size {
		hi := min(lo+size, len(rows))
		batch := rows[lo:hi]
		bp.gather(batch)
		out := room(len(batch))
		if err := e.computeBatch(ctx, accs, bp, hi, out); err != nil {
			return err
		}
		e.emptyRows(accs[0], batch, out)
		if err := emit(lo, batch, out); err != nil {
			return err
		}
		if hi == len(rows) {
			return nil
		}
	}
}

// batchPlan holds, for rows computed in batches, the entities of the
// current batch with their moments, and the states that carry entities
// from one batch to the next. Entities are numbered as engine.ents.
type batchPlan struct {
	last   []int32 // per entity: its last row
	slot   []int32 // per entity: its state in states, from 1; 0 for none
	states []resume
	visits int // batches each entity has rows in, summed over the entities
	// The states' room (see carried): slots values each, side by side,
	// and with rules their rules' states.
	slots  int
	lastT  []int64
	oldSeg []int32
	rr     []ruleRow

	b     int32   // the current batch's number, from 1
	mark  []int32 // per entity: the number of its latest batch
	count []int32 // per entity: its moments in the batch
	off   []int32 // per entity: where they start in moms
	order []int32 // the batch's entities, in the order of their first row
	moms  []moment
}

// newBatchPlan plans the rows of n entities in batches of size; an entity
// whose rows fall in several batches gets a state, with room for its
// slots' latest events and old part side by side with the others', and
// with rules for its rules' state.
func newBatchPlan(n int, rows []placed, size, slots int, rules bool) *batchPlan {
	bp := &batchPlan{slots: slots, last: make([]int32, n), slot: make([]int32, n),
		mark: make([]int32, n), count: make([]int32, n), off: make([]int32, n)}
	first := make([]int32, n)
	for i := len(rows) - 1; i >= 0; i-- {
		if ent := rows[i].ent; ent >= 0 {
			first[ent] = int32(i)
		}
	}
	states := 0
	for i, r := range rows {
		if r.ent >= 0 {
			bp.last[r.ent] = int32(i)
			if b := int32(i/size + 1); bp.mark[r.ent] != b {
				bp.mark[r.ent] = b
				bp.visits++
			}
			if bp.slot[r.ent] == 0 && int(first[r.ent])/size != i/size {
				states++
				bp.slot[r.ent] = int32(states)
			}
		}
	}
	clear(bp.mark) // gather numbers the batches from 1 again
	bp.states = make([]resume, states)
	bp.lastT = make([]int64, states*slots)
	bp.oldSeg = make([]int32, states*slots)
	if rules {
		bp.rr = make([]ruleRow, states)
	}
	return bp
}

// carried returns entity state k (from 0) with its room.
func (bp *batchPlan) carried(k int) carried {
	lo, hi := k*bp.slots, (k+1)*bp.slots
	c := carried{resume: &bp.states[k], lastT: bp.lastT[lo:hi:hi], oldSeg: bp.oldSeg[lo:hi:hi]}
	if bp.rr != nil {
		c.rr = &bp.rr[k]
	}
	return c
}

// gather takes the next batch's rows: its entities and each one's moments
// (positions in the batch).
func (bp *batchPlan) gather(batch []placed) {
	bp.b++
	bp.order = bp.order[:0]
	for _, r := range batch {
		if r.ent < 0 {
			continue
		}
		if bp.mark[r.ent] != bp.b {
			bp.mark[r.ent], bp.count[r.ent] = bp.b, 0
			bp.order = append(bp.order, r.ent)
		}
		bp.count[r.ent]++
	}
	at := int32(0)
	for _, ent := range bp.order {
		bp.off[ent], at = at, at+bp.count[ent]
		bp.count[ent] = 0
	}
	bp.moms = slices.Grow(bp.moms[:0], int(at))[:at]
	for i, r := range batch {
		if r.ent >= 0 {
			bp.moms[bp.off[r.ent]+bp.count[r.ent]] = moment{d: r.d, pos: int32(i)}
			bp.count[r.ent]++
		}
	}
}

// computeBatch computes the rows of the gathered batch's entities, whose
// rows end before hi, into out: on every core, entities in runs that the
// cores take in turn, so that the writes into the output columns move
// forward together.
func (e *engine) computeBatch(ctx context.Context, accs []*acc, bp *batchPlan, hi int, out *rowsOut) error {
	const run = 4096
	var next atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	for _, a := range accs {
		g.Go(func() error {
			for {
				from := int(next.Add(run)) - run
				if from >= len(bp.order) {
					return nil
				}
				if err := gctx.Err(); err != nil {
					return err
				}
				for _, ent := range bp.order[from:min(from+run, len(bp.order))] {
					ms := bp.moms[bp.off[ent] : bp.off[ent]+bp.count[ent]]
					slices.SortStableFunc(ms, func(x, y moment) int { return cmpInt(x.d, y.d) })
					var st carried
					if k := bp.slot[ent]; k > 0 {
						st = bp.carried(int(k - 1))
					}
					ref := e.ents[ent]
					a.entity(&e.parts[ref.part], int(ref.lo), int(ref.hi), e.profileRow(placed{ent: ent}), ms, out, st)
					if st.resume != nil && int(bp.last[ent]) < hi {
						// The entity's last batch: its rule state goes.
						*st.resume = resume{}
						if st.rr != nil {
							*st.rr = ruleRow{}
						}
					}
				}
				a.flush()
			}
		})
	}
	return g.Wait()
}

// emptyRows computes the rows not computed yet: those of entities without
// records (an entities-file row, a cutoff before any event).
func (e *engine) emptyRows(a *acc, rows []placed, out *rowsOut) {
	var empty partition
	for i, r := range rows {
		if !out.done[i] {
			a.entity(&empty, 0, 0, e.profileRow(r), []moment{{d: r.d, pos: int32(i)}}, out, carried{})
		}
	}
	a.flush()
}

// formatTotal is how the rules' scale is written into the metadata.
func formatTotal(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

package features

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sync/errgroup"
)

// The engine computes feature rows in three phases:
//
//  1. ingest: one streaming pass over the events keeps each one that some
//     row may count as a compact record (time, value, type id, and the
//     index of the derived types and event rules it matches) in one of
//     nParts partitions chosen by a hash of its entity id, the id's bytes
//     in the partition's arena. Nothing per entity is looked up yet, so
//     events in any order cost the same: appends to a few streams.
//  2. group, per partition on every core: the partition's entities get
//     local indexes (a small map that stays in cache), their records are
//     gathered entity by entity and sorted by time (ties broken by every
//     field, so the order, and every sum, is the same whatever the input
//     order), duplicates dropped with Config.Dedupe, and the types seen
//     are counted for the column set.
//  3. rows, on every core in runs of entities taken in the order of their
//     first row: each entity's rows (its moments: the as-of date, its
//     cutoffs, the snapshot dates) are computed from its sorted records,
//     in time order, into the output columns.
//
// Memory holds the kept records (16 bytes each, 18 with derived types or
// event rules, 26 with Config.Dedupe, plus the id, and 8 more for a
// value) and the output table. There are enough partitions that one
// partition's records, scattered into entity order while it is grouped,
// stay near the cache (some 1.4 MB each for 21M events).
const nParts = 256

// rec is one kept event. Few events have a value (an order's amount, a
// deal's), so a value is kept apart from its record.
type rec struct {
	ts int64 // unix ns
	// off has valuedBit set when the record has a value. Its other bits
	// are, until group, where the entity id is in the partition's arena
	// (arenaAt); once grouped, where its value is in recs.values.
	off   uint32
	idLen uint16
	typ   uint16 // global type id
}

const valuedBit = 1 << 31

func (r *rec) valued() bool { return r.off&valuedBit != 0 }

// at is off without valuedBit.
func (r *rec) at() uint32 { return r.off &^ valuedBit }

// recs is a run of records with what each carries besides: what it
// matches (present when there are derived types or event rules) and its
// fingerprint (present with Config.Dedupe); once grouped, their values.
type recs struct {
	r      []rec
	values []float64 // in ingest, the valued records' values in order; once grouped, where rec.at says
	match  []uint16  // the derived types and event rules matched: engine.matches[match]
	fps    []uint64  // the event's fingerprint
}

// value returns the value of record i, grouped, and whether it has one.
func (rs *recs) value(i int) (float64, bool) {
	r := &rs.r[i]
	if !r.valued() {
		return 0, false
	}
	return rs.values[r.at()], true
}

// matched is what an event matches: derived types (bit k for
// Spec.Derived[k]) and event rules (their bit in engine.ruleBit).
type matched struct {
	derived, rules uint64
}

// add appends record i of o.
func (rs *recs) add(o *recs, i int) {
	rs.r = append(rs.r, o.r[i])
	if o.match != nil {
		rs.match = append(rs.match, o.match[i])
	}
	if o.fps != nil {
		rs.fps = append(rs.fps, o.fps[i])
	}
}

// set writes record i of o at position at.
func (rs *recs) set(at int, o *recs, i int) {
	rs.r[at] = o.r[i]
	if rs.match != nil {
		rs.match[at] = o.match[i]
	}
	if rs.fps != nil {
		rs.fps[at] = o.fps[i]
	}
}

// carry says which of their optional arrays records have: match (with
// derived types or event rules) and fps (with Config.Dedupe).
type carry struct{ match, fps bool }

// carryOf is what records carry for an engine's masks.
func carryOf(masks [3]bool) carry { return carry{match: masks[0] || masks[1], fps: masks[2]} }

// makeRecs returns n records carrying has.
func makeRecs(n, capacity int, has carry) recs {
	rs := recs{r: make([]rec, n, capacity)}
	if has.match {
		rs.match = make([]uint16, n, capacity)
	}
	if has.fps {
		rs.fps = make([]uint64, n, capacity)
	}
	return rs
}

// recChunk is how many records an ingest chunk holds: chunks are never
// copied when a partition grows.
const recChunk = 1 << 13

// partition holds the records of the entities whose id hashes to it.
type partition struct {
	chunks []*recs  // ingest: records in arrival order
	arena  [][]byte // blocks of at most arenaBlock bytes; nil after group
	// The id last stored in the arena and its offset, which the next
	// record of the same entity shares.
	lastID  string
	lastOff uint32

	// After grouping: the records entity by entity, each entity's sorted
	// by time, in g; entity k's are g[start[k]:stop[k]].
	g       recs
	ids     []string // per local entity
	start   []int32
	stop    []int32
	matches []matched // the engine's, for the records' match indexes
	// valuedAt lists the positions in g of the records with a value,
	// ascending, in the partition gather makes (nil in any other).
	valuedAt []int32
	used     []int64 // per global type id: records some row counts
	valued   []bool  // per global type id: a counted record has a value
	dvalued  []bool  // per derived type: likewise
	dups     int64
}

// last returns the chunk to append to, starting a new one when full,
// with room for as many values as the full one holds.
func (p *partition) last(has carry) *recs {
	n := len(p.chunks)
	if n > 0 && len(p.chunks[n-1].r) < recChunk {
		return p.chunks[n-1]
	}
	c := makeRecs(0, recChunk, has)
	if n > 0 {
		c.values = make([]float64, 0, len(p.chunks[n-1].values))
	}
	p.chunks = append(p.chunks, &c)
	return &c
}

// engine is the state of one Build.
type engine struct {
	cfg  *Config
	spec Spec
	win  []int64 // windows in ns
	rs   *RuleSet

	typeID    map[string]uint16 // every type name seen → global id
	typeNames []string
	parts     [nParts]partition

	// matches are the combinations of derived types and event rules that
	// events match, matches[0] being none: a record keeps the index of
	// its combination, as few combinations occur.
	matches []matched
	matchID map[matched]uint16

	// ruleBit maps an event rule's index in rs.Rules to its bit in
	// matched.rules; rulesOf lists, per global type id, its event rules.
	ruleBit []int
	rulesOf [][]int

	// moments gives the rows to compute per entity id (cutoff mode);
	// asOf and snapshots give them for every entity (the other modes).
	moments   map[string][]moment
	lastMom   int64 // no row counts an event at or after this time
	newest    int64 // the latest event kept
	late      int64 // events at or after lastMom, left out
	firstLate int64 // the earliest of them
	read      int64
	tooMany   bool // more types than a table takes
	tooVaried bool // more combinations than matches can index
	// fileCols are the events files' columns, in order of first sight;
	// fieldSeen the ones rules and derived types test that a file has.
	fileCols  []string
	fieldSeen map[string]bool
	snapshots []int64
	// attrs are the entity attributes the rows join.
	attrs *attrJoin
	// ents are the entities' records in id order, once placed; prows
	// their entities-file rows (−1 for none), with profiles. others are
	// the ids of rows without records (placed.other).
	ents   []entityRef
	prows  []int32
	others []string
	// remap, when set, renumbers the types as group gathers the records
	// (see sortTypes).
	remap []uint16
}

// moment is one row to compute: its time (exclusive) and its place in
// the output (−1 until rows are placed).
type moment struct {
	d   int64
	pos int32
}

func newEngine(cfg *Config) *engine {
	e := &engine{cfg: cfg, spec: cfg.Spec, rs: cfg.Rules, typeID: map[string]uint16{}, newest: noTime, firstLate: math.MaxInt64,
		matches: []matched{{}}, matchID: map[matched]uint16{{}: 0}}
	for _, w := range cfg.Spec.windows() {
		e.win = append(e.win, int64(w)*dayNanos)
	}
	if rs := e.rs; rs != nil {
		e.ruleBit = make([]int, len(rs.Rules))
		bit := 0
		for i := range rs.Rules {
			e.ruleBit[i] = -1
			if rs.Rules[i].Event != nil {
				e.ruleBit[i] = bit
				bit++
			}
		}
	}
	switch {
	case cfg.Cutoffs != nil:
		e.moments = map[string][]moment{}
		for i, id := range cfg.Cutoffs.IDs {
			d := cfg.Cutoffs.TS[i].UnixNano()
			e.moments[id] = append(e.moments[id], moment{d: d, pos: int32(i)})
			e.lastMom = max(e.lastMom, d)
		}
	case len(cfg.Snapshots) > 0:
		for _, s := range cfg.Snapshots {
			e.snapshots = append(e.snapshots, s.UnixNano())
		}
		slices.Sort(e.snapshots)
		e.lastMom = e.snapshots[len(e.snapshots)-1]
	default:
		e.lastMom = cfg.AsOf.UnixNano()
	}
	return e
}

// typeOf returns the global id of an event type, adding it when new. With
// types: all at most MaxTypes types are kept; beyond that tooMany is set.
func (e *engine) typeOf(name string) (uint16, bool) {
	if id, ok := e.typeID[name]; ok {
		return id, true
	}
	if len(e.typeNames) >= math.MaxUint16 || e.spec.Types == nil && len(e.typeNames) >= MaxTypes {
		e.tooMany = true
		return 0, false
	}
	id := uint16(len(e.typeNames))
	name = strings.Clone(name)
	e.typeID[name] = id
	e.typeNames = append(e.typeNames, name)
	if e.rs != nil {
		var ix []int
		for i := range e.rs.Rules {
			if ev := e.rs.Rules[i].Event; ev != nil && ev.Type == name {
				ix = append(ix, i)
			}
		}
		e.rulesOf = append(e.rulesOf, ix)
	}
	return id, true
}

// matchOf returns the index of what an event matches, adding it when
// new; past math.MaxUint16+1 combinations it sets tooVaried.
func (e *engine) matchOf(m matched) (uint16, bool) {
	if m == (matched{}) {
		return 0, true
	}
	if id, ok := e.matchID[m]; ok {
		return id, true
	}
	if len(e.matches) > math.MaxUint16 {
		e.tooVaried = true
		return 0, false
	}
	id := uint16(len(e.matches))
	e.matches = append(e.matches, m)
	e.matchID[m] = id
	return id, true
}

// ingest reads every event into the partitions, file by file when the
// events path is a pattern.
func (e *engine) ingest(ctx context.Context) error {
	paths, err := ShardFiles(e.cfg.Events.Path)
	if err != nil {
		return err
	}
	for _, path := range paths {
		src := e.cfg.Events
		src.Path = path
		if err := e.ingestFile(ctx, src); err != nil {
			return err
		}
	}
	if e.tooMany {
		return e.tooManyTypes()
	}
	if e.tooVaried {
		return e.tooVariedMatches()
	}
	return nil
}

// ingestFile reads one events file into the partitions.
func (e *engine) ingestFile(ctx context.Context, src Source) error {
	need, all := e.fields()
	er, err := openEvents(ctx, src, e.cfg.BadRows, need, all)
	if err != nil {
		return err
	}
	defer er.Close()
	e.noteColumns(er, need)
	er.transient = true // keep copies the id, typeOf the type
	masks := e.masks()
	has := carryOf(masks)
	var types typeCache
	var bp byPartition
	read := e.read
	// keepBatch keeps the events of b, which are events when those are
	// given; else an Event is made for what one matches (read a column
	// at a time, the file has no other column for it to hold). What
	// numbers types and matches runs in file order; the records are then
	// appended on every core, each partition's by one core in file order.
	keepBatch := func(b *eventColumns, events []Event) error {
		if e.cfg.Progress != nil {
			e.cfg.Progress(read + int64(er.Rows()))
		}
		bp.place(b, e.lastMom, has)
		var made Event
		for i, k := range bp.part {
			if k == nParts {
				continue
			}
			typ, ok := types.lookup(e, b.typ[i])
			if !ok {
				bp.part[i] = nParts
				continue
			}
			bp.typ[i] = typ
			e.newest = max(e.newest, b.ts[i])
			if has.match || has.fps {
				ev := &made
				if events != nil {
					ev = &events[i]
				} else {
					made = Event{EntityID: b.id[i], TS: time.Unix(0, b.ts[i]).UTC(), Type: b.typ[i], Value: b.value[i], HasValue: b.valued[i]}
				}
				if has.match {
					var rules []int
					if masks[1] {
						rules = e.rulesOf[typ]
					}
					if bp.match[i], ok = e.matchOf(e.eventMasks(ev, rules)); !ok {
						bp.part[i] = nParts
						continue
					}
				}
				if has.fps {
					bp.fps[i] = ev.fingerprint()
				}
			}
		}
		bp.keep(e, b, has)
		e.late += int64(bp.late)
		e.firstLate = min(e.firstLate, bp.firstLate)
		return nil
	}
	err = streamBatches(ctx, er, keepBatch)
	e.read += int64(er.Rows())
	return err
}

// noteColumns records an events file's columns, and which of the fields
// in need it has.
func (e *engine) noteColumns(er *EventReader, need map[string]bool) {
	for _, h := range er.columns() {
		if !slices.Contains(e.fileCols, h) {
			e.fileCols = append(e.fileCols, h)
		}
	}
	for f := range need {
		if er.hasField(f) {
			if e.fieldSeen == nil {
				e.fieldSeen = map[string]bool{}
			}
			e.fieldSeen[f] = true
		}
	}
}

// scanColumns notes the columns of every events file from its header
// (a Parquet file's footer) alone, for an engine that did not ingest them.
func (e *engine) scanColumns(ctx context.Context) error {
	paths, err := ShardFiles(e.cfg.Events.Path)
	if err != nil {
		return err
	}
	need, _ := e.fields()
	for _, path := range paths {
		src := e.cfg.Events
		src.Path = path
		er, err := openEvents(ctx, src, nil, need, false)
		if err != nil {
			return err
		}
		e.noteColumns(er, need)
		er.Close()
	}
	return nil
}

// byPartition holds a batch of events' partitions and what their records
// carry, and appends the records partition by partition, keeping file
// order within each (appended in file order, each to a partition picked
// by hash, every record would be a cache miss).
type byPartition struct {
	part      []uint16 // per event: its partition, nParts when left out
	typ       []uint16 // per event: its type's id
	match     []uint16 // per event, when records carry them: its match index
	fps       []uint64 // per event, likewise: its fingerprint
	late      int      // events of the batch at or after the last moment, left out
	firstLate int64    // the earliest of them
	order     []int32
}

// place finds the partition of every event of b before last.
func (bp *byPartition) place(b *eventColumns, last int64, has carry) {
	n := b.len()
	bp.part = slices.Grow(bp.part[:0], n)[:n]
	bp.typ = slices.Grow(bp.typ[:0], n)[:n]
	if has.match {
		bp.match = slices.Grow(bp.match[:0], n)[:n]
	}
	if has.fps {
		bp.fps = slices.Grow(bp.fps[:0], n)[:n]
	}
	bp.late, bp.firstLate = 0, math.MaxInt64
	for i, ts := range b.ts {
		k := uint16(nParts) // left out
		if ts < last {
			k = uint16(hashID(b.id[i]) % nParts)
		} else {
			bp.late++
			bp.firstLate = min(bp.firstLate, ts)
		}
		bp.part[i] = k
	}
}

// keepSplit is the fewest events a batch has for its records to be
// appended on more than one core.
const keepSplit = 1 << 10

// keep appends the records of the events of b that place (and what
// followed) left in, on every core: the partitions are split into
// ranges, and each range's records are appended by one goroutine.
func (bp *byPartition) keep(e *engine, b *eventColumns, has carry) {
	var count [nParts + 1]int32
	for _, k := range bp.part {
		count[k]++
	}
	var at [nParts + 1]int32
	for k := 1; k <= nParts; k++ {
		at[k] = at[k-1] + count[k-1]
	}
	bounds := at // where each partition's positions start in order
	bp.order = slices.Grow(bp.order[:0], len(bp.part))[:at[nParts]]
	for i, k := range bp.part {
		if k < nParts {
			bp.order[at[k]] = int32(i)
			at[k]++
		}
	}
	run := func(order []int32) {
		for _, i := range order {
			var match uint16
			var fp uint64
			if has.match {
				match = bp.match[i]
			}
			if has.fps {
				fp = bp.fps[i]
			}
			e.parts[bp.part[i]].keep(b.id[i], rec{ts: b.ts[i], typ: bp.typ[i]}, b.value[i], b.valued[i], match, fp, has)
		}
	}
	cores := runtime.GOMAXPROCS(0)
	if cores == 1 || len(bp.order) < keepSplit {
		run(bp.order)
		return
	}
	// The calling goroutine appends the first range itself, where spread
	// would start another and leave it waiting, once per batch.
	var wg sync.WaitGroup
	for c := 1; c < cores; c++ {
		lo, hi := bounds[c*nParts/cores], bounds[(c+1)*nParts/cores]
		wg.Go(func() { run(bp.order[lo:hi]) })
	}
	run(bp.order[:bounds[nParts/cores]])
	wg.Wait()
}

// fields returns the event columns besides the contract's that the table
// reads: those the derived types and the event rules test; and whether
// every column must be decoded even so, for a duplicate's fingerprint or a
// quarantined row.
func (e *engine) fields() (need map[string]bool, all bool) {
	all = e.cfg.Dedupe || e.cfg.BadRows != nil && e.cfg.BadRows.Max > 0
	need = map[string]bool{}
	for _, d := range e.spec.Derived {
		for f := range d.Where {
			need[f] = true
		}
	}
	if e.rs != nil {
		for _, r := range e.rs.Rules {
			if r.Event != nil {
				for _, w := range r.Event.Where {
					need[w.Field] = true
				}
			}
		}
	}
	return need, all
}

// joinCount tallies how the entities with events meet the entities file:
// how many there are, how many the file has, and the least id it lacks.
type joinCount struct {
	withEvents, joined int
	unjoined           string
}

func (jc *joinCount) add(id string, found bool) {
	jc.withEvents++
	if found {
		jc.joined++
	} else if jc.unjoined == "" || id < jc.unjoined {
		jc.unjoined = id
	}
}

// check returns a *SchemaError when the entities file p has none of the
// entities with events, of ten or more: ids written differently in the
// two exports ("E001" and "e001", or another column) would leave every
// row without attributes. A few new leads the CRM export has yet to catch
// up with, and a partial match, are logged.
func (jc joinCount) check(p *Profiles, log *slog.Logger) error {
	if p == nil || jc.withEvents == 0 || len(p.IDs) == 0 {
		return nil
	}
	if jc.joined == 0 && jc.withEvents >= 10 {
		return &SchemaError{Path: p.Source, Err: fmt.Errorf("none of the %d entities with events is in this entities file: the events have ids such as %q, the file such as %q; %s",
			jc.withEvents, jc.unjoined, p.IDs[0], idHint(p.IDs, []string{jc.unjoined}, " (--entities-col entity_id=...)"))}
	}
	if jc.joined < jc.withEvents && log != nil {
		log.Warn("entities with events missing from the entities file: their rows have no attributes", "missing", jc.withEvents-jc.joined,
			"of", jc.withEvents, "first", jc.unjoined)
	}
	return nil
}

// sortByID returns the entities refs in id order (see idKeys).
func (e *engine) sortByID(refs []entityRef) []entityRef {
	id := func(i int32) string { ref := refs[i]; return e.parts[ref.part].ids[ref.k] }
	keys := sortIDKeysOnCores(idKeys(len(refs), id), id)
	out := make([]entityRef, len(refs))
	spread(len(keys), func(_, lo, hi int) {
		for k, key := range keys[lo:hi] {
			out[lo+k] = refs[key.i]
		}
	})
	return out
}

// spread cuts [0, n) into GOMAXPROCS spans, calls fn(span, lo, hi) on
// each at once and waits for them.
func spread(n int, fn func(span, lo, hi int)) {
	w := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for i := range w {
		wg.Go(func() { fn(i, i*n/w, (i+1)*n/w) })
	}
	wg.Wait()
}

// idKey is an id's place i and a key that orders as the id does wherever
// two keys differ (see idKeys).
type idKey struct {
	key uint64
	i   int32
}

// idKeys returns the keys of ids id(0), …, id(n−1). Ids of one shape
// share a prefix (web visitors' "anon-0012345", Salesforce's
// "0031U00001…") that comparing them reads again each time, from memory
// far from what is sorted: a key holds the eight bytes of its id after
// the prefix all share (big-endian, zeros past its end), so that most
// comparisons are of integers.
func idKeys(n int, id func(i int32) string) []idKey {
	if n == 0 {
		return nil
	}
	// The prefix all share is the shortest of those each span shares with
	// id(0). Few ids (a partition's, as group numbers them) take one span.
	each := spread
	if n < 1<<14 {
		each = func(n int, fn func(span, lo, hi int)) { fn(0, 0, n) }
	}
	var mu sync.Mutex
	shared := len(id(0))
	each(n, func(_, lo, hi int) {
		common := id(0)
		for i := int32(lo); i < int32(hi); i++ {
			s, k := id(i), 0
			for k < len(common) && k < len(s) && common[k] == s[k] {
				k++
			}
			if common = common[:k]; k == 0 {
				break
			}
		}
		mu.Lock()
		shared = min(shared, len(common))
		mu.Unlock()
	})
	keys := make([]idKey, n)
	each(n, func(_, lo, hi int) {
		for i := int32(lo); i < int32(hi); i++ {
			var b [8]byte
			copy(b[:], id(i)[shared:])
			keys[i] = idKey{binary.BigEndian.Uint64(b[:]), i}
		}
	})
	return keys
}

// sortIDKeys sorts keys as cmpIDKeys(id) orders them: by key, in a radix
// sort of the key's bytes that not all keys share, then each run of equal
// keys by its ids.
func sortIDKeys(keys []idKey, id func(i int32) string) {
	if len(keys) < 512 {
		slices.SortFunc(keys, cmpIDKeys(id))
		return
	}
	var counts [8][256]int
	for _, k := range keys {
		for d := range 8 {
			counts[d][byte(k.key>>(8*d))]++
		}
	}
	src, dst := keys, make([]idKey, len(keys))
	for d := range 8 {
		c := &counts[d]
		if c[byte(src[0].key>>(8*d))] == len(src) {
			continue
		}
		var at [256]int
		sum := 0
		for b := range 256 {
			at[b], sum = sum, sum+c[b]
		}
		for _, k := range src {
			b := byte(k.key >> (8 * d))
			dst[at[b]] = k
			at[b]++
		}
		src, dst = dst, src
	}
	copy(keys, src)
	for lo := 0; lo < len(keys); {
		hi := lo + 1
		for hi < len(keys) && keys[hi].key == keys[lo].key {
			hi++
		}
		if hi-lo > 1 {
			slices.SortFunc(keys[lo:hi], func(a, b idKey) int { return strings.Compare(id(a.i), id(b.i)) })
		}
		lo = hi
	}
}

// onCores is the fewest keys sortIDKeysOnCores sorts on more than one
// core.
const onCores = 1 << 12

// sortIDKeysOnCores sorts keys as sortIDKeys does, on every core, and
// returns them sorted, in keys or in a slice of its size. The keys are
// first spread by the most significant byte in which any two differ (each
// core counting and moving a span of them), then each byte's keys, which
// share every byte from that one up, are sorted on their own.
func sortIDKeysOnCores(keys []idKey, id func(i int32) string) []idKey {
	cores := runtime.GOMAXPROCS(0)
	if cores == 1 || len(keys) < onCores {
		sortIDKeys(keys, id)
		return keys
	}
	ors, ands := make([]uint64, cores), make([]uint64, cores)
	spread(len(keys), func(span, lo, hi int) {
		or, and := uint64(0), ^uint64(0)
		for _, k := range keys[lo:hi] {
			or, and = or|k.key, and&k.key
		}
		ors[span], ands[span] = or, and
	})
	or, and := uint64(0), ^uint64(0)
	for c := range cores {
		or, and = or|ors[c], and&ands[c]
	}
	differ := or ^ and // the bits in which two keys differ
	if differ == 0 {
		sortIDKeys(keys, id) // one key: the ids compare in full
		return keys
	}
	shift := (63 - bits.LeadingZeros64(differ)) / 8 * 8
	counts := make([][256]int, cores)
	spread(len(keys), func(span, lo, hi int) {
		c := &counts[span]
		for _, k := range keys[lo:hi] {
			c[byte(k.key>>shift)]++
		}
	})
	// Where each core's keys of each byte go: byte by byte, and within a
	// byte core by core, so that keys keep their order.
	at := make([][256]int, cores)
	var bounds []int
	n := 0
	for b := range 256 {
		from := n
		for c := range cores {
			at[c][b] = n
			n += counts[c][b]
		}
		if n > from {
			bounds = append(bounds, from)
		}
	}
	bounds = append(bounds, n)
	out := make([]idKey, len(keys))
	spread(len(keys), func(span, lo, hi int) {
		a := &at[span]
		for _, k := range keys[lo:hi] {
			b := byte(k.key >> shift)
			out[a[b]] = k
			a[b]++
		}
	})
	var g errgroup.Group
	g.SetLimit(cores)
	for i := range len(bounds) - 1 {
		g.Go(func() error { sortIDKeys(out[bounds[i]:bounds[i+1]], id); return nil })
	}
	g.Wait()
	return out
}

// cmpIDKeys compares the keys of ids id(i) as the ids compare.
func cmpIDKeys(id func(i int32) string) func(a, b idKey) int {
	return func(a, b idKey) int {
		if a.key != b.key {
			return cmp.Compare(a.key, b.key)
		}
		return strings.Compare(id(a.i), id(b.i))
	}
}

// unmatchedIDs returns a *SchemaError for a deals or cutoffs file of ten
// or more rows none of whose ids is an entity with events (e.ents): ids
// written differently from the events' would give rows of zeros and
// labels of no one's.
func (e *engine) unmatchedIDs(path, what string, ids []string) error {
	if len(ids) < 10 {
		return nil
	}
	for _, id := range ids {
		if i, ok := e.findEntity(id); ok && e.ents[i].records() {
			return nil
		}
	}
	var events []string
	for i, ref := range e.ents {
		if ref.records() {
			events = append(events, e.entID(i))
		}
	}
	if len(events) == 0 {
		return nil // no events before the dates at all
	}
	return &SchemaError{Path: path, Err: fmt.Errorf("none of the %d %s is of an entity with events: the file has ids such as %q, the events such as %q; %s",
		len(ids), what, ids[0], events[0], idHint(ids, events, ""))}
}

// entID returns the id of entity i (e.ents[i]).
func (e *engine) entID(i int) string {
	ref := e.ents[i]
	return e.parts[ref.part].ids[ref.k]
}

// findEntity returns where id is in e.ents, and whether it is there.
func (e *engine) findEntity(id string) (int, bool) {
	return slices.BinarySearchFunc(e.ents, id, func(ref entityRef, id string) int { return strings.Compare(e.parts[ref.part].ids[ref.k], id) })
}

// idHint says why a file's ids match none of the events' (others): in
// case alone, when some match ignoring it; in how a number is written
// (leading zeros, a trailing ".0"), when some match as numbers; else, as
// far as can be told, the column mapped to entity_id (mapping names the
// flag).
func idHint(ids, others []string, mapping string) string {
	lower := make(map[string]bool, len(others))
	numbers := make(map[string]bool, len(others))
	for _, id := range others {
		lower[strings.ToLower(id)] = true
		if n, ok := idNumber(id); ok {
			numbers[n] = true
		}
	}
	if slices.ContainsFunc(ids, func(id string) bool { return lower[strings.ToLower(id)] }) {
		return "ids compare exactly, and these differ in case"
	}
	if slices.ContainsFunc(ids, func(id string) bool { n, ok := idNumber(id); return ok && numbers[n] }) {
		return "ids compare exactly, and these are one number written two ways (leading zeros, or a trailing .0 where a spreadsheet or pandas read the ids as numbers)"
	}
	return "is entity_id mapped to the column of the ids the events use" + mapping + "?"
}

// idNumber returns an id of digits, with a trailing ".0" or not, as its
// number without leading zeros.
func idNumber(id string) (string, bool) {
	id = strings.TrimSuffix(id, ".0")
	if !allDigits(id) {
		return "", false
	}
	if n := strings.TrimLeft(id, "0"); n != "" {
		return n, true
	}
	return "0", true
}

// checkMoments returns a *SchemaError when every event read falls on or
// after the last moment (the as-of date, the last snapshot date, the
// latest cutoff): no row would count an event, which comes of a date
// typed a year early, cutoffs of another period or timestamps read in the
// wrong pattern, not of a CRM.
func (e *engine) checkMoments() error {
	if e.newest != noTime || e.late == 0 {
		return nil
	}
	last := "the as-of date"
	switch {
	case e.snapshots != nil:
		last = "the last snapshot date"
	case e.moments != nil:
		last = "the latest cutoff"
	}
	return &SchemaError{Path: e.cfg.Events.Path, Err: fmt.Errorf("every one of the %d events falls on or after %s, %s (the earliest on %s): no row would count one; is the date right?",
		e.late, last, timeOf(e.lastMom).Format(time.RFC3339), timeOf(e.firstLate).Format(time.RFC3339))}
}

// checkTested checks what the spec's derived types and the rules test
// against the events and entities read: a derived type first, as its
// error stops the build before rules are looked at.
func (e *engine) checkTested(log *slog.Logger) error {
	if err := e.checkDerived(); err != nil {
		return err
	}
	return e.checkRules(log)
}

// checkDerived returns a *SchemaError when a derived type of the spec
// tests a column no events file has: its events would silently be none
// (a model trained with it would score every lead as if it had none).
func (e *engine) checkDerived() error {
	for _, d := range e.spec.Derived {
		for _, f := range sortedKeys(d.Where) {
			if !e.fieldSeen[f] {
				return &SchemaError{Path: e.cfg.Events.Path, Err: fmt.Errorf("no column %q, which the feature spec's derived type %q tests (the events have %s)",
					f, d.Name, strings.Join(quoteAll(e.fileCols), ", "))}
			}
		}
	}
	return nil
}

// checkRules looks for rules that cannot award points on these inputs:
// one testing a column the events or entities lack, an event rule (or an
// inactivity rule for types seen) whose type no event has. In a rules
// file of the user's a missing column, or a type the events spell only in
// another case, is a *ConfigError at the rule's line, as the rule would
// silently never count; the built-in rules, written for any data, and a
// type no event has yet are logged.
func (e *engine) checkRules(log *slog.Logger) error {
	rs := e.rs
	if rs == nil {
		return nil
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var idle []string
	for i := range rs.Rules {
		r := &rs.Rules[i]
		why, fatal := e.ruleProblem(r)
		if why == "" {
			continue
		}
		if fatal && !rs.Builtin {
			return &ConfigError{Path: rs.Path, Line: r.Line, Err: fmt.Errorf("rule %q: %s", r.Name, why)}
		}
		idle = append(idle, r.Name+": "+why)
	}
	if len(idle) > 0 {
		log.Warn("rules that award no points on these inputs", "rules", strings.Join(idle, "; "))
	}
	return nil
}

// noEntityMeets says that no entity of p meets the conditions, with the
// first values of the first condition's column when it is text (a CRM
// writing Yes where the rule says true); "" when one does.
func noEntityMeets(conds []Cond, p *Profiles) string {
	for row := range p.IDs {
		if !slices.ContainsFunc(conds, func(c Cond) bool { return !c.holds(p, row) }) {
			return ""
		}
	}
	why := "no entity of the entities file meets it"
	if col := p.Column(conds[0].Field); col.Kind == KindString {
		var vals []string
		for row := range p.IDs {
			if v := col.Text(row); v != "" && !slices.Contains(vals, v) {
				if vals = append(vals, v); len(vals) == 3 {
					break
				}
			}
		}
		if len(vals) > 0 {
			why += fmt.Sprintf(" (%s has %s)", conds[0].Field, strings.Join(quoteAll(vals), ", "))
		}
	}
	return why
}

// ruleProblem says why r cannot award points, "" when it can; fatal when
// the rule, not the data, is at fault.
func (e *engine) ruleProblem(r *Rule) (why string, fatal bool) {
	var typ string
	switch {
	case r.Event != nil:
		for _, w := range r.Event.Where {
			if !e.fieldSeen[w.Field] {
				return fmt.Sprintf("the events have no column %q (they have %s)", w.Field, strings.Join(quoteAll(e.fileCols), ", ")), true
			}
		}
		typ = r.Event.Type
	case r.Inactive != nil:
		typ = r.Inactive.Type
	default:
		p := e.cfg.Profiles
		for _, w := range r.Attribute {
			if p == nil {
				return fmt.Sprintf("it tests the entities' column %q, and no entities file is given", w.Field), true
			}
			if p.Column(w.Field) == nil {
				names := make([]string, len(p.Columns))
				for i, c := range p.Columns {
					names[i] = c.Name
				}
				return fmt.Sprintf("the entities have no column %q (they have %s)", w.Field, strings.Join(quoteAll(names), ", ")), true
			}
		}
		return noEntityMeets(r.Attribute, p), false
	}
	if _, ok := e.typeID[typ]; ok {
		return "", false
	}
	why, caseOnly := MissingType(typ, e.typeNames)
	if !caseOnly && r.Inactive != nil && !r.Inactive.OnlyIfSeen {
		return "", false // it measures from each entity's first event
	}
	return why, caseOnly
}

// MissingType says that no event has type typ, which is not among types
// (those the events have), naming the one that differs from it in case
// alone when there is one (caseOnly: a misspelling, not a type yet to
// happen), else the first few there are, in name order.
func MissingType(typ string, types []string) (why string, caseOnly bool) {
	for _, t := range types {
		if strings.EqualFold(t, typ) {
			return fmt.Sprintf("no event has type %q; the events have %q (types compare exactly)", typ, t), true
		}
	}
	why = fmt.Sprintf("no event has type %q", typ)
	if len(types) > 0 {
		// In name order: types are numbered as the events arrive, which
		// several readers at once make vary from run to run.
		sorted := slices.Sorted(slices.Values(types))
		why += fmt.Sprintf("; the events' types include %s", strings.Join(quoteAll(sorted[:min(len(sorted), 8)]), ", "))
	}
	return why, false
}

// tooManyTypes is the error for events of more types than a table takes.
func (e *engine) tooManyTypes() error {
	return &SchemaError{Path: e.cfg.Events.Path, Err: fmt.Errorf("the events have more than %d types: list the ones to keep in a spec (types: [...], with other to pool the rest)", MaxTypes)}
}

// tooVariedMatches is the error for events that match more combinations
// of derived types and event rules than a record can index.
func (e *engine) tooVariedMatches() error {
	return &SchemaError{Path: e.cfg.Events.Path, Err: fmt.Errorf("the events match more than %d combinations of derived types and event rules", math.MaxUint16+1)}
}

// masks says what ingest computes for each event: derived types, event
// rules, fingerprints.
func (e *engine) masks() [3]bool {
	return [3]bool{len(e.spec.Derived) > 0, e.rs != nil && len(e.rs.Rules) > 0, e.cfg.Dedupe}
}

// eventMasks returns the derived types and the event rules that ev
// matches; rules lists the event rules of its type.
func (e *engine) eventMasks(ev *Event, rules []int) matched {
	var m matched
	for k := range e.spec.Derived {
		if e.spec.Derived[k].matches(ev) {
			m.derived |= 1 << k
		}
	}
	for _, ri := range rules {
		if e.rs.Rules[ri].Event.match(ev) {
			m.rules |= 1 << e.ruleBit[ri]
		}
	}
	return m
}

// keep appends one record of entity id to the partition, with its value
// when valued, and its match index and fingerprint when the records carry
// them (has).
func (p *partition) keep(id string, r rec, value float64, valued bool, match uint16, fp uint64, has carry) {
	c := p.last(has)
	r.idLen = uint16(len(id)) // the reader refuses ids over MaxIDBytes
	if id == p.lastID {
		r.off = p.lastOff
	} else {
		r.off = p.store(id)
	}
	if valued {
		r.off |= valuedBit
		c.values = append(c.values, value)
	}
	c.r = append(c.r, r)
	if has.match {
		c.match = append(c.match, match)
	}
	if has.fps {
		c.fps = append(c.fps, fp)
	}
}

// arenaBlock is the size of an arena block: an offset into the arena is
// its block (15 bits) and the position in it (16 bits). Blocks are small
// so that a partition's last, partly filled one costs little.
const (
	arenaBits  = 16
	arenaBlock = 1 << arenaBits
)

// store copies an entity id into the arena and returns its offset. The
// arena grows by blocks, so that nothing already stored is copied again.
func (p *partition) store(id string) uint32 {
	size := len(id)
	n := len(p.arena)
	if n == 0 || len(p.arena[n-1])+size > cap(p.arena[n-1]) {
		if n == 1<<(31-arenaBits) {
			panic("features: a partition's entity ids outgrew 2 GiB")
		}
		p.arena = append(p.arena, make([]byte, 0, arenaBlock))
		n++
	}
	b := &p.arena[n-1]
	off := uint32(n-1)<<arenaBits | uint32(len(*b))
	*b = append(*b, id...)
	p.lastID, p.lastOff = unsafe.String(&(*b)[off&(arenaBlock-1)], len(id)), off
	return off
}

// arenaAt returns the id stored at off, n bytes long, without copying it.
func (p *partition) arenaAt(off uint32, n uint16) string {
	if n == 0 {
		return ""
	}
	return unsafe.String(&p.arena[off>>arenaBits][off&(arenaBlock-1)], int(n))
}

// sortTypes renumbers the event types in name order, so that records
// tied in time sort the same whatever order the types first arrived in;
// it returns the old id → new id map, which group applies.
func (e *engine) sortTypes() []uint16 {
	order := make([]int, len(e.typeNames))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(e.typeNames[a], e.typeNames[b]) })
	remap := make([]uint16, len(order))
	names := make([]string, len(order))
	var rulesOf [][]int
	if e.rulesOf != nil {
		rulesOf = make([][]int, len(order))
	}
	for now, old := range order {
		remap[old] = uint16(now)
		names[now] = e.typeNames[old]
		e.typeID[names[now]] = uint16(now)
		if rulesOf != nil {
			rulesOf[now] = e.rulesOf[old]
		}
	}
	e.typeNames, e.rulesOf = names, rulesOf
	return remap
}

// hashID is FNV-1a of an entity id.
func hashID(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}

// each runs fn on every partition, on every core.
func (e *engine) each(ctx context.Context, fn func(p *partition) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for k := range e.parts {
		p := &e.parts[k]
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			return fn(p)
		})
	}
	return g.Wait()
}

// typeCache finds an event type's id without hashing its name: a small
// table keyed by the name's length and first and last bytes, holding the
// engine's own copy of each name (so that it keeps no reader's memory). A
// log has few types, so a name is nearly always in its slot; comparing it
// costs a length test and a short compare, or one pointer test when the
// reader hands out the same string again (a Parquet dictionary's entries).
type typeCache struct {
	slot [64]struct {
		name string
		id   uint16
	}
}

func (c *typeCache) lookup(e *engine, name string) (uint16, bool) {
	if len(name) == 0 {
		return e.typeOf(name)
	}
	s := &c.slot[(len(name)*7+int(name[0])*3+int(name[len(name)-1]))%64]
	if len(s.name) == len(name) && s.name == name {
		return s.id, true
	}
	id, ok := e.typeOf(name)
	if ok {
		s.name, s.id = e.typeNames[id], id
	}
	return id, ok
}

// idBlocks copies strings into shared blocks: the ids of millions of
// entities, each its own allocation, would be as many small objects for
// the garbage collector to find and mark at every cycle. The first block
// holds the first string alone, and each next one is twice the last, up
// to idBlock bytes: a partition of one entity (an EntityPlan's) or a few
// takes what its ids take.
type idBlocks struct{ cur []byte }

const idBlock = 256 << 10

// keep returns a copy of s.
func (b *idBlocks) keep(s string) string {
	if len(s) > idBlock/16 {
		return strings.Clone(s)
	}
	if len(s) > cap(b.cur)-len(b.cur) {
		b.cur = make([]byte, 0, min(max(2*cap(b.cur), len(s)), idBlock))
	}
	at := len(b.cur)
	b.cur = append(b.cur, s...)
	return unsafe.String(unsafe.SliceData(b.cur[at:]), len(s))
}

// group gathers a partition's records entity by entity into p.g (a copy
// in which each entity's records are contiguous), sorts each entity's by
// time (and every other field, so that the order does not depend on the
// input's), drops duplicates, and counts the records some row counts by
// type.
func (e *engine) group(p *partition) {
	total := 0
	for _, c := range p.chunks {
		total += len(c.r)
	}
	local := make(map[string]int32, total/8+1)
	var kept idBlocks
	var count, vcount []int32 // each entity's records, and those with a value
	nv := 0
	// The last offset looked up (none yet) and its entity.
	prev, prevK := uint32(valuedBit), int32(0)
	for _, c := range p.chunks {
		for i := range c.r {
			r := &c.r[i]
			at := r.at()
			k := prevK
			if at != prev { // records that share an id's offset (keep) are one entity's
				id := p.arenaAt(at, r.idLen)
				var ok bool
				if k, ok = local[id]; !ok {
					k = int32(len(p.ids))
					id = kept.keep(id) // the arena goes once grouped
					local[id] = k
					p.ids = append(p.ids, id)
					count, vcount = append(count, 0), append(vcount, 0)
				}
				prev, prevK = at, k
			}
			if r.valued() {
				vcount[k]++
				nv++
			}
			r.off = uint32(k) | r.off&valuedBit
			count[k]++
		}
	}
	// Number the entities in id order, the order rows are computed in:
	// each partition's records are then read front to back.
	n := len(p.ids)
	id := func(k int32) string { return p.ids[k] }
	keys := idKeys(n, id)
	sortIDKeys(keys, id)
	rank := make([]int32, n) // an entity's number in arrival order → in id order
	ids, counts, vcounts := make([]string, n), make([]int32, n), make([]int32, n)
	for j, key := range keys {
		rank[key.i] = int32(j)
		ids[j], counts[j], vcounts[j] = p.ids[key.i], count[key.i], vcount[key.i]
	}
	p.ids, count, vcount = ids, counts, vcounts
	p.start, p.stop = make([]int32, n+1), make([]int32, n)
	for k := range n {
		p.start[k+1] = p.start[k] + count[k]
	}
	// Scatter the records and their values into entity order (each
	// entity's in arrival order), then sort each entity's records: their
	// values stay where they are, near the entity's other values.
	var has carry
	if len(p.chunks) > 0 {
		has = carry{match: p.chunks[0].match != nil, fps: p.chunks[0].fps != nil}
	}
	p.g = makeRecs(total, total, has)
	p.g.values = make([]float64, nv)
	next := slices.Clone(p.start[:n])
	vnext := vcount // where each entity's next value goes
	for k, at := 0, int32(0); k < n; k++ {
		vnext[k], at = at, at+vcount[k]
	}
	for _, c := range p.chunks {
		v := 0 // the chunk's next value
		for i := range c.r {
			k := rank[c.r[i].at()]
			p.g.set(int(next[k]), c, i)
			r := &p.g.r[next[k]]
			if r.valued() {
				p.g.values[vnext[k]] = c.values[v]
				r.off = uint32(vnext[k]) | valuedBit
				vnext[k]++
				v++
			} else {
				r.off = 0
			}
			if e.remap != nil {
				r.typ = e.remap[r.typ]
			}
			next[k]++
		}
	}
	p.chunks, p.arena, p.lastID = nil, nil, ""
	p.matches = e.matches
	nTypes := len(e.typeNames)
	p.used, p.valued, p.dvalued = make([]int64, nTypes), make([]bool, nTypes), make([]bool, len(e.spec.Derived))
	scratch := sortScratch{recs: makeRecs(0, 0, has)}
	for k := range n {
		lo, hi := int(p.start[k]), int(p.start[k+1])
		p.sortRange(lo, hi, &scratch)
		hi = p.dedupe(lo, hi, e.cfg.Dedupe)
		p.stop[k] = int32(hi)
		p.count(lo, hi, e.lastMoment(p.ids[k]))
	}
}

// sortScratch is the memory sorting records needs, reused from entity to
// entity.
type sortScratch struct {
	keys []placedKey
	bits []uint64
	recs recs
}

// sortRange sorts the records g[lo:hi] by compare, stably. Events logged
// in time order arrive with their times in order and only the records of
// one moment out of order (the lines of one invoice, a batch of page
// views stamped alike): then each run of equal times that is out of order
// is sorted alone.
func (p *partition) sortRange(lo, hi int, s *sortScratch) {
	i := lo + 1
	for i < hi && p.compare(i-1, i) <= 0 {
		i++
	}
	if i >= hi {
		return
	}
	r := p.g.r
	for j := i; j < hi; j++ {
		if r[j-1].ts > r[j].ts {
			p.sortSpan(lo, hi, s)
			return
		}
	}
	a := i - 1
	for a > lo && r[a-1].ts == r[a].ts {
		a--
	}
	for a < hi {
		b := a + 1
		sorted := true
		for b < hi && r[b].ts == r[a].ts {
			sorted = sorted && p.compare(b-1, b) <= 0
			b++
		}
		if !sorted && !p.sortValues(a, b, s) {
			p.sortSpan(a, b, s)
		}
		a = b
	}
}

// sortValues sorts g[lo:hi], records of one moment, when they differ in
// their values alone (one type, each with a value, nothing matched or
// fingerprinted besides): then the records stay and their values, laid
// side by side in the records' order, are sorted. It reports whether
// it could.
func (p *partition) sortValues(lo, hi int, s *sortScratch) bool {
	g := &p.g
	if g.match != nil || g.fps != nil {
		return false
	}
	first := &g.r[lo]
	for j := lo; j < hi; j++ {
		r := &g.r[j]
		if r.typ != first.typ || !r.valued() || r.at() != first.at()+uint32(j-lo) {
			return false
		}
	}
	vals := g.values[first.at() : first.at()+uint32(hi-lo)]
	bits := s.bits[:0]
	for _, v := range vals {
		bits = append(bits, math.Float64bits(v))
	}
	slices.Sort(bits) // compare's order of values
	for j, b := range bits {
		vals[j] = math.Float64frombits(b)
	}
	s.bits = bits
	return true
}

// sortKey is what orders a record among its entity's.
type sortKey struct {
	ts             int64
	bits           uint64 // the value's bits, 0 without one
	derived, rules uint64 // matched (0 when records carry no matches)
	fp             uint64 // fingerprint (0 when records carry none)
	typ            uint16
	valued         bool
}

// key returns record i's sort key.
func (p *partition) key(i int) sortKey {
	g := &p.g
	r := &g.r[i]
	k := sortKey{ts: r.ts, typ: r.typ, valued: r.valued()}
	if k.valued {
		k.bits = math.Float64bits(g.values[r.at()])
	}
	if g.match != nil {
		m := p.matches[g.match[i]]
		k.derived, k.rules = m.derived, m.rules
	}
	if g.fps != nil {
		k.fp = g.fps[i]
	}
	return k
}

// compareKeys orders by time, then type, value flag, value (its bits, as
// an unsigned number: -0 and 0 are equal numbers that a maximum keeps
// apart), derived types and event rules matched, and fingerprint.
func compareKeys(a, b sortKey) int {
	switch {
	case a.ts != b.ts:
		return cmpInt(a.ts, b.ts)
	case a.typ != b.typ:
		return cmpInt(a.typ, b.typ)
	case a.valued != b.valued:
		if a.valued {
			return 1
		}
		return -1
	case a.bits != b.bits:
		return cmpInt(a.bits, b.bits)
	case a.derived != b.derived:
		return cmpInt(a.derived, b.derived)
	case a.rules != b.rules:
		return cmpInt(a.rules, b.rules)
	}
	return cmpInt(a.fp, b.fp)
}

// placedKey is a record's key and its place, which makes a sort stable.
type placedKey struct {
	sortKey
	i int32
}

// sortSpan sorts g[lo:hi] by compare, stably, through their keys and a
// scratch copy.
func (p *partition) sortSpan(lo, hi int, s *sortScratch) {
	g := &p.g
	keys := s.keys[:0]
	for i := lo; i < hi; i++ {
		keys = append(keys, placedKey{p.key(i), int32(i)})
	}
	slices.SortFunc(keys, func(a, b placedKey) int {
		return cmp.Or(compareKeys(a.sortKey, b.sortKey), cmpInt(int64(a.i), int64(b.i)))
	})
	c := &s.recs
	*c = recs{r: c.r[:0], match: c.match[:0], fps: c.fps[:0]}
	for _, k := range keys {
		c.add(g, int(k.i))
	}
	for j := range keys {
		g.set(lo+j, c, j)
	}
	s.keys = keys
}

// dedupe drops, when on, each record of g[lo:hi] that equals the one kept
// before it, moving the others down; it returns the new end.
func (p *partition) dedupe(lo, hi int, on bool) int {
	if !on {
		return hi
	}
	out := lo
	for i := lo; i < hi; i++ {
		if out > lo && p.compare(i, out-1) == 0 {
			p.dups++
			continue
		}
		p.g.set(out, &p.g, i)
		out++
	}
	return out
}

// count adds the records of g[lo:hi] before last, those some row counts,
// to the per-type counts and value flags.
func (p *partition) count(lo, hi int, last int64) {
	g := &p.g
	for i := lo; i < hi; i++ {
		r := &g.r[i]
		if r.ts >= last {
			break
		}
		p.used[r.typ]++
		if !r.valued() {
			continue
		}
		p.valued[r.typ] = true
		if g.match != nil {
			for m := p.matches[g.match[i]].derived; m != 0; m &= m - 1 {
				p.dvalued[bits.TrailingZeros64(m)] = true
			}
		}
	}
}

// compare orders two records of g by their keys (see compareKeys), so
// that equal records are adjacent and the order is the same whatever the
// input's. Times mostly differ: then the keys are not built.
func (p *partition) compare(a, b int) int {
	if ta, tb := p.g.r[a].ts, p.g.r[b].ts; ta != tb {
		return cmpInt(ta, tb)
	}
	return compareKeys(p.key(a), p.key(b))
}

func cmpInt[T int64 | uint64 | uint16 | uint8](a, b T) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

// lastMoment is the latest moment of an entity's rows: no row counts an
// event at or after it.
func (e *engine) lastMoment(id string) int64 {
	if e.moments == nil {
		return e.lastMom
	}
	last := int64(math.MinInt64)
	for _, m := range e.moments[id] {
		last = max(last, m.d)
	}
	return last
}

// layout is the column set, known once every partition is grouped: the
// event types with columns (in name order) and the derived types (in
// spec order), and where each global type id goes.
type layout struct {
	names    []string // slot names: types, then derived types
	valued   []bool   // per slot: the slot has value columns
	slotOf   []int    // per global type id: its slot, −1 without columns
	nTypes   int      // slots of event types (derived slots follow)
	other    bool     // a slot named "other" pools other types
	used     int64
	dups     int64
	nDerived int
}

// typeTotals are the records some row counts, per global type id, with
// whether one has a value (per type and per derived type), and the
// duplicates dropped: what the column set is decided from.
type typeTotals struct {
	used    []int64
	valued  []bool
	dvalued []bool
	dups    int64
}

// totals adds up the partitions' counts.
func (e *engine) totals() typeTotals {
	tt := typeTotals{used: make([]int64, len(e.typeNames)), valued: make([]bool, len(e.typeNames)), dvalued: make([]bool, len(e.spec.Derived))}
	for k := range e.parts {
		tt.add(&e.parts[k])
	}
	return tt
}

// add adds a grouped partition's counts.
func (tt *typeTotals) add(p *partition) {
	for t := range p.used {
		tt.used[t] += p.used[t]
		tt.valued[t] = tt.valued[t] || p.valued[t]
	}
	for d := range p.dvalued {
		tt.dvalued[d] = tt.dvalued[d] || p.dvalued[d]
	}
	tt.dups += p.dups
}

// resolveTypes decides the columns from the types the rows count: the
// spec's list (with "other" pooling the rest when asked), or every type
// counted, or the K most counted (ties by name) with the rest pooled as
// "other". Value columns go to the spec's value types, or to the types
// with a counted value.
func (e *engine) resolveTypes(tt typeTotals) (*layout, error) {
	nt := len(e.typeNames)
	used, valued, dvalued := tt.used, tt.valued, tt.dvalued
	l := &layout{nDerived: len(e.spec.Derived), dups: tt.dups}
	for _, n := range used {
		l.used += n
	}
	var kept []string
	if e.spec.Types != nil {
		kept = slices.Clone(e.spec.Types)
		l.other = e.spec.Other
		// A listed type the events spell only in another case would be
		// columns of zeros, its events pooled or dropped.
		for _, name := range kept {
			if _, ok := e.typeID[name]; ok {
				continue
			}
			if why, caseOnly := MissingType(name, e.typeNames); caseOnly {
				return nil, &SchemaError{Path: e.cfg.Events.Path, Err: fmt.Errorf("the feature spec's types: %s", why)}
			}
		}
	} else {
		for t, name := range e.typeNames {
			if used[t] > 0 {
				kept = append(kept, name)
			}
		}
		if k := e.spec.TopTypes; k > 0 && len(kept) > k {
			slices.SortFunc(kept, func(x, y string) int {
				if ux, uy := used[e.typeID[x]], used[e.typeID[y]]; ux != uy {
					return cmpInt(uy, ux)
				}
				return strings.Compare(x, y)
			})
			kept, l.other = kept[:k:k], true
		}
	}
	if l.other && !slices.Contains(kept, "other") {
		kept = append(kept, "other")
	}
	slices.Sort(kept)
	if err := sameColumns(kept); err != nil {
		return nil, &SchemaError{Path: e.cfg.Events.Path, Err: err}
	}
	slot := make(map[string]int, len(kept))
	for i, name := range kept {
		slot[name] = i
	}
	l.names, l.nTypes = kept, len(kept)
	l.valued = make([]bool, len(kept))
	l.slotOf = make([]int, nt)
	for t, name := range e.typeNames {
		s, ok := slot[name]
		if !ok {
			s = -1
			if l.other {
				s = slot["other"]
			}
		}
		l.slotOf[t] = s
		if s >= 0 && e.spec.Types == nil && valued[t] {
			l.valued[s] = true
		}
	}
	if e.spec.Types != nil {
		for i, name := range kept {
			l.valued[i] = slices.Contains(e.spec.ValueTypes, name)
		}
	}
	for i, d := range e.spec.Derived {
		id, seen := e.typeID[d.Name]
		if slices.Contains(kept, d.Name) || seen && used[id] > 0 {
			return nil, &SchemaError{Path: e.cfg.Events.Path, Err: fmt.Errorf("derived type %q has the name of an event type in the data: rename it in the spec", d.Name)}
		}
		l.names = append(l.names, d.Name)
		v := dvalued[i]
		if e.spec.Types != nil {
			v = slices.Contains(e.spec.ValueTypes, d.Name)
		}
		l.valued = append(l.valued, v)
	}
	return l, nil
}

// sameColumns refuses event types (sorted) two or more of which make
// columns of one name ("Page View", "page view" and "page-view" all
// page_view_…), naming them and the setting that reads them as one type.
func sameColumns(types []string) error {
	by := map[string][]string{}
	for _, t := range types {
		by[columnName(t)] = append(by[columnName(t)], t)
	}
	for _, t := range types {
		same := by[columnName(t)]
		if len(same) < 2 {
			continue
		}
		to := columnName(t)
		var flags []string
		for _, s := range same {
			if s != to {
				flags = append(flags, fmt.Sprintf("--rename-type %q", s+"="+to))
			}
		}
		return fmt.Errorf("event types %s all make columns named %s_… (column names keep only a-z, 0-9 and _): read them as one type with %s (rename_types: in pipeline.yaml), or rename them apart",
			quoteList(same), to, strings.Join(flags, " "))
	}
	return nil
}

// placed is a row's entity, moment and, for a snapshot row, label. ent
// is the entity's place in engine.ents, −1 for one without records, whose
// id is engine.others[other] (see rowID). It holds no pointer: a snapshot
// table's millions of rows cost the garbage collector nothing to scan.
type placed struct {
	d     int64
	ent   int32
	other int32
	label bool
}

// rowID returns the id of row r's entity.
func (e *engine) rowID(r placed) string {
	if r.ent >= 0 {
		return e.entID(int(r.ent))
	}
	return e.others[r.other]
}

// place gives every row its output position: cutoff rows keep the cutoff
// file's order; as-of rows are sorted by entity id; snapshot rows by
// snapshot date, then entity id. An as-of or snapshot row exists for an
// entity with an event before its moment (with AllEntities, for every
// profile at the as-of date too). It fails, before placing anything, when
// the deals, cutoffs or entities file has ids none of which has events
// (unmatchedIDs, joinCount.check); a partial join is logged to log.
func (e *engine) place(log *slog.Logger) ([]placed, error) {
	// The entities, in id order, numbered so (e.ents).
	var base [nParts]int // where each partition's entities go in refs
	n := 0
	for k := range e.parts {
		base[k] = n
		n += len(e.parts[k].ids)
	}
	refs := make([]entityRef, n)
	spread(len(e.parts), func(_, lo, hi int) {
		for k := lo; k < hi; k++ {
			p := &e.parts[k]
			for ent := range p.ids {
				refs[base[k]+ent] = entityRef{uint16(k), int32(ent), p.start[ent], p.stop[ent]}
			}
		}
	})
	e.ents = e.sortByID(refs)
	if o := e.cfg.Outcomes; o != nil {
		if err := e.unmatchedIDs(o.Source, "deals", o.IDs); err != nil {
			return nil, err
		}
	}
	if c := e.cfg.Cutoffs; c != nil {
		if err := e.unmatchedIDs(c.Source, "cutoff rows", c.IDs); err != nil {
			return nil, err
		}
	}
	var seen []bool // profile rows whose entity has records
	if prof := e.cfg.Profiles; prof != nil {
		var jc joinCount
		e.prows = make([]int32, len(e.ents))
		seen = make([]bool, len(prof.IDs))
		for i, ref := range e.ents {
			id := e.entID(i)
			e.prows[i] = int32(prof.Row(id))
			if ref.records() {
				jc.add(id, e.prows[i] >= 0)
				if e.prows[i] >= 0 {
					seen[e.prows[i]] = true
				}
			}
		}
		if err := jc.check(prof, log); err != nil {
			return nil, err
		}
	}
	if e.moments != nil {
		out := make([]placed, e.cfg.Cutoffs.Len())
		e.others = slices.Clip(e.cfg.Cutoffs.IDs)
		for i, id := range e.cfg.Cutoffs.IDs {
			ent, ok := e.findEntity(id)
			if !ok {
				ent = -1
			}
			out[i] = placed{d: e.cfg.Cutoffs.TS[i].UnixNano(), ent: int32(ent), other: int32(i)}
		}
		return out, nil
	}
	if e.snapshots == nil {
		out := e.asOfRows()
		n := len(out)
		if out = e.profileRows(out, seen); len(out) > n {
			e.sortPlaced(out)
		}
		return out, nil
	}
	return e.snapshotRows(), nil
}

// snapshotRows returns the snapshot rows, date by date, each date's in id
// order: an entity's row at each date after its first record, when the
// target keeps it. Each core takes a span of the entities and writes its
// rows for each date into the room the span has there (one row per
// entity with a record before the date); the rows are then moved up
// behind each other's, date by date and span by span.
func (e *engine) snapshotRows() []placed {
	tg, o := e.cfg.Target, e.cfg.Outcomes
	known := e.cfg.OutcomesKnown.UnixNano()
	deals := make([][]int, len(e.ents))
	firsts := make([]int64, len(e.ents)) // each entity's earliest record (none: math.MaxInt64)
	nd, w := len(e.snapshots), runtime.GOMAXPROCS(0)
	room := make([]int, nd*w+1) // the room of date k's rows of span j starts at room[k·w+j]
	spread(len(e.ents), func(span, lo, hi int) {
		for i := lo; i < hi; i++ {
			ref := e.ents[i]
			deals[i] = o.byID[e.entID(i)]
			firsts[i] = math.MaxInt64
			if ref.records() {
				firsts[i] = e.parts[ref.part].g.r[ref.lo].ts
			}
		}
		sorted := slices.Sorted(slices.Values(firsts[lo:hi]))
		for k, s := range e.snapshots {
			room[k*w+span+1], _ = slices.BinarySearch(sorted, s)
		}
	})
	for k := range nd * w {
		room[k+1] += room[k]
	}
	out := make([]placed, room[nd*w])
	ends := make([]int, nd*w)
	spread(len(e.ents), func(span, lo, hi int) {
		for k, s := range e.snapshots {
			at := room[k*w+span]
			for i := lo; i < hi; i++ {
				if firsts[i] >= s {
					continue
				}
				if label, keep := tg.keep(o, e.entID(i), deals[i], s, known); keep {
					out[at] = placed{d: s, ent: int32(i), label: label}
					at++
				}
			}
			ends[k*w+span] = at
		}
	})
	return moveUp(out, room, ends)
}

// moveUp moves rows written in runs, out[starts[k]:ends[k]], up behind
// each other, in the runs' order, and returns them.
func moveUp(out []placed, starts, ends []int) []placed {
	n := 0
	for k, end := range ends {
		n += copy(out[n:], out[starts[k]:end])
	}
	return out[:n]
}

// asOfRows returns the as-of rows, in id order: one for each entity with
// records in the population (inPopulation). Each core takes a span of the
// entities, writing its rows into out from the span's start; the spans'
// rows are then moved up behind each other's.
func (e *engine) asOfRows() []placed {
	everyone := e.cfg.Target == nil || e.cfg.Outcomes == nil
	out := make([]placed, len(e.ents))
	ends := make([]int, runtime.GOMAXPROCS(0)) // each span's rows are out[starts[span]:ends[span]]
	starts := make([]int, len(ends))
	spread(len(e.ents), func(span, lo, hi int) {
		at := lo
		for i := lo; i < hi; i++ {
			if e.ents[i].records() && (everyone || e.inPopulation(e.entID(i))) {
				out[at] = placed{d: e.lastMom, ent: int32(i)}
				at++
			}
		}
		starts[span], ends[span] = lo, at
	})
	rows := moveUp(out, starts, ends)
	if len(rows) < len(out)/2 {
		return slices.Clone(rows)
	}
	return rows
}

// profileRow returns the entities-file row (−1 for none) of row r's
// entity. Place looked up every entity with records (prows, set whenever
// there are profiles), so only the others' ids are read.
func (e *engine) profileRow(r placed) int {
	switch {
	case r.ent < 0:
		return e.cfg.Profiles.Row(e.others[r.other])
	case e.prows != nil:
		return int(e.prows[r.ent])
	}
	return -1
}

// inPopulation says whether an entity gets an as-of row: with a target
// and the outcomes, the target's population alone.
func (e *engine) inPopulation(id string) bool {
	tg, o := e.cfg.Target, e.cfg.Outcomes
	return tg == nil || o == nil || tg.inPopulation(o, o.byID[id], e.lastMom)
}

// profileRows adds, with AllEntities, an as-of row for every profile in
// the population that has none yet (seen, by profile row).
func (e *engine) profileRows(out []placed, seen []bool) []placed {
	if !e.cfg.AllEntities || e.cfg.Profiles == nil {
		return out
	}
	base := len(e.others)
	if base == 0 {
		e.others = slices.Clip(e.cfg.Profiles.IDs) // a later append copies
	} else {
		e.others = append(slices.Clip(e.others), e.cfg.Profiles.IDs...)
	}
	for j, id := range e.cfg.Profiles.IDs {
		if !seen[j] && e.inPopulation(id) {
			out = append(out, placed{d: e.lastMom, ent: -1, other: int32(base + j)})
		}
	}
	return out
}

// gather moves every entity's records into partition 0 in e.ents order
// (id order) and points e.ents there, so that rows computed in id order
// read the records front to back instead of jumping between partitions.
// It pays when each entity is visited many times, as a snapshot table's
// batches do once per date. The copy is made on every core, each taking a
// run of entities, and the other partitions' records go. The partitions'
// values are laid end to end, so a record's value index only shifts by its
// partition's base. Records beyond one partition's reach (2³¹) stay where
// they are.
func (e *engine) gather() {
	var has carry
	var base [nParts]uint32
	nv, total := 0, 0
	for k := range e.parts {
		p := &e.parts[k]
		has.match = has.match || p.g.match != nil
		has.fps = has.fps || p.g.fps != nil
		base[k] = uint32(nv)
		nv += len(p.g.values)
		total += len(p.g.r)
	}
	if total > math.MaxInt32 {
		return
	}
	n := len(e.ents)
	start, stop := make([]int32, n+1), make([]int32, n)
	for i, ref := range e.ents {
		stop[i] = start[i] + ref.hi - ref.lo
		start[i+1] = stop[i]
	}
	m := partition{g: makeRecs(int(start[n]), int(start[n]), has), ids: make([]string, n), start: start, stop: stop}
	m.g.values = make([]float64, 0, nv)
	for k := range e.parts {
		m.g.values = append(m.g.values, e.parts[k].g.values...)
	}
	// Each span lists its valued records as it copies them; the spans
	// follow each other in g, and so do their lists.
	valued := make([][]int32, runtime.GOMAXPROCS(0))
	spread(n, func(span, lo, hi int) {
		for i := lo; i < hi; i++ {
			ref := e.ents[i]
			p := &e.parts[ref.part]
			at, end := int(start[i]), int(stop[i])
			rs := m.g.r[at:end]
			copy(rs, p.g.r[ref.lo:ref.hi])
			if m.g.match != nil {
				copy(m.g.match[at:end], p.g.match[ref.lo:ref.hi])
			}
			if m.g.fps != nil {
				copy(m.g.fps[at:end], p.g.fps[ref.lo:ref.hi])
			}
			b := base[ref.part]
			for k := range rs {
				if r := &rs[k]; r.valued() {
					r.off = (b + r.at()) | valuedBit
					valued[span] = append(valued[span], int32(at+k))
				}
			}
			m.ids[i] = p.ids[ref.k]
		}
	})
	if m.valuedAt = slices.Concat(valued...); m.valuedAt == nil {
		m.valuedAt = []int32{} // listed, if empty
	}
	for i := range e.ents {
		e.ents[i] = entityRef{0, int32(i), start[i], stop[i]}
	}
	for k := range e.parts {
		p := &e.parts[k]
		p.g, p.ids, p.start, p.stop = recs{}, nil, nil, nil
	}
	e.parts[0].g, e.parts[0].ids, e.parts[0].start, e.parts[0].stop, e.parts[0].valuedAt = m.g, m.ids, m.start, m.stop, m.valuedAt
}

// sortPlaced puts rows in output order: by moment, then entity id.
func (e *engine) sortPlaced(rows []placed) {
	slices.SortFunc(rows, func(a, b placed) int {
		if a.d != b.d {
			return cmpInt(a.d, b.d)
		}
		return strings.Compare(e.rowID(a), e.rowID(b))
	})
}

// timeOf turns unix ns into a UTC time.
func timeOf(ns int64) time.Time { return time.Unix(0, ns).UTC() }

package predict

import "math"

// Layout is a logistic model's design matrix in compact form. A categorical
// feature's level columns are indicators before standardisation, so in a
// row exactly one of them (or none, for a level without a column) is on,
// and each column takes one of two values, (1 − Mean)/Scale or −Mean/Scale.
// A row is therefore its dense columns (numeric values and missing
// indicators, standardised) and, per categorical feature, the slot of the
// level column that is on. Training and scoring work on this form, which
// reads a few dozen numbers per row where the full design row (Row) has one
// per level.
type Layout struct {
	Dense  []int        // design columns of the dense part, in Design order
	Groups []LevelGroup // one per categorical feature with level columns
}

// LevelGroup is the level columns of one categorical feature.
type LevelGroup struct {
	Feature int
	Cols    []int // design column of each slot
	// slot maps a level code (levelCode: −1 missing, len(Levels) other,
	// else the level's index) plus one to its slot, −1 for none.
	slot []int32
}

// NewLayout returns m's design in compact form.
func NewLayout(m *Model) *Layout {
	l := &Layout{}
	group := map[int]int{} // feature → index in Groups
	for j, d := range m.Design {
		if d.Role != RoleLevel {
			l.Dense = append(l.Dense, j)
			continue
		}
		gi, ok := group[d.Feature]
		if !ok {
			f := &m.Features[d.Feature]
			gi = len(l.Groups)
			group[d.Feature] = gi
			slot := make([]int32, len(f.Levels)+2)
			for k := range slot {
				slot[k] = -1
			}
			l.Groups = append(l.Groups, LevelGroup{Feature: d.Feature, slot: slot})
		}
		g := &l.Groups[gi]
		f := &m.Features[d.Feature]
		code := len(f.Levels) // OtherLevel
		switch d.Level {
		case MissingLevel:
			code = -1
		case OtherLevel:
		default:
			for k, lv := range f.Levels {
				if lv == d.Level {
					code = k
				}
			}
		}
		g.slot[code+1] = int32(len(g.Cols))
		g.Cols = append(g.Cols, j)
	}
	return l
}

// CompactRows writes the given table rows in compact form, row after row:
// the standardised dense design values into dense (len(rows) ×
// len(l.Dense)) and each group's slot into slots (len(rows) ×
// len(l.Groups)), −1 when the row's level has no column of its own. It
// works column by column.
func (e *Encoder) CompactRows(l *Layout, rows []int, dense []float64, slots []int32) {
	nd, ng := len(l.Dense), len(l.Groups)
	for k, j := range l.Dense {
		d := &e.m.Design[j]
		f := &e.m.Features[d.Feature]
		c := e.cols[d.Feature]
		for r, i := range rows {
			dense[r*nd+k] = standardise(d, f, numeric(c, i))
		}
	}
	for g := range l.Groups {
		lg := &l.Groups[g]
		index, c := e.codes[lg.Feature], e.cols[lg.Feature]
		for r, i := range rows {
			slots[r*ng+g] = lg.slot[levelCode(index, c, i)+1]
		}
	}
}

// denseValue returns the standardised value of design column j (a "value"
// or "missing" column) in table row i.
func (e *Encoder) denseValue(j, i int) float64 {
	d := &e.m.Design[j]
	return standardise(d, &e.m.Features[d.Feature], numeric(e.cols[d.Feature], i))
}

// standardise returns the value of design column d (a "value" or "missing"
// column) for the raw value v of its numeric feature f: imputed and log1p'd
// as learned, or the missing indicator; then standardised.
func standardise(d *DesignColumn, f *Feature, v float64) float64 {
	var x float64
	switch d.Role {
	case RoleValue:
		x = v
		if math.IsNaN(x) {
			x = f.Impute
		}
		if f.Log1p {
			x = math.Log1p(math.Max(x, 0))
		}
	case RoleMissing:
		if math.IsNaN(v) {
			x = 1
		}
	}
	return (x - d.Mean) / d.Scale
}

// linear is a logistic model's coefficients arranged for the compact
// layout: the log-odds of a row are
//
//	Intercept + Σ_dense w·z + Σ_groups (base[g] + on[g][slot+1])
//
// where base[g] = Σ w·(−Mean/Scale) over the group's columns (every column
// off) and on[g][s+1] = w/Scale of slot s's column (it turns on).
type linear struct {
	layout *Layout
	dense  []float64   // coefficient per dense column
	base   []float64   // per group
	on     [][]float64 // per group, by slot+1 (index 0: no column on)
}

func newLinear(m *Model) *linear {
	l := NewLayout(m)
	lin := &linear{layout: l, dense: make([]float64, len(l.Dense)), base: make([]float64, len(l.Groups)), on: make([][]float64, len(l.Groups))}
	w := m.Logistic.Coef
	for k, j := range l.Dense {
		lin.dense[k] = w[j]
	}
	for g, lg := range l.Groups {
		lin.on[g] = make([]float64, len(lg.Cols)+1)
		for s, j := range lg.Cols {
			d := &m.Design[j]
			lin.base[g] -= w[j] * d.Mean / d.Scale
			lin.on[g][s+1] = w[j] / d.Scale
		}
	}
	return lin
}

// linearScorer scores a logistic model on the compact layout.
type linearScorer struct {
	e   *Encoder
	lin *linear
}

func (s *linearScorer) clone(e *Encoder) scorer { return &linearScorer{e: e, lin: s.lin} }

func (s *linearScorer) logits(rows []int, out []float64) {
	for j, i := range rows {
		out[j] = s.logit(i, nil)
	}
}

func (s *linearScorer) explain(rows []int, logits, contrib []float64) {
	p := len(s.e.m.Features)
	for j, i := range rows {
		c := contrib[j*p : (j+1)*p]
		clear(c)
		logits[j] = s.logit(i, c)
	}
}

// logit computes row i's log-odds; with contrib set (len(Features)) it
// also adds each feature's share of them.
func (s *linearScorer) logit(i int, contrib []float64) float64 {
	e, lin := s.e, s.lin
	l := lin.layout
	sum := e.m.Logistic.Intercept
	for k, j := range l.Dense {
		v := lin.dense[k] * e.denseValue(j, i)
		sum += v
		if contrib != nil {
			contrib[e.m.Design[j].Feature] += v
		}
	}
	for g := range l.Groups {
		lg := &l.Groups[g]
		slot := lg.slot[levelCode(e.codes[lg.Feature], e.cols[lg.Feature], i)+1]
		v := lin.base[g] + lin.on[g][slot+1]
		sum += v
		if contrib != nil {
			contrib[lg.Feature] += v
		}
	}
	return sum
}

// Row writes the standardised design row of a logistic model for table row
// i into z (len(Design)): the full form that the compact layout stands
// for.
func (e *Encoder) Row(i int, z []float64) {
	prev, level := -1, ""
	for j := range e.m.Design {
		d := &e.m.Design[j]
		if d.Role != RoleLevel {
			z[j] = e.denseValue(j, i)
			continue
		}
		// A feature's level columns are adjacent: look its level up once.
		if d.Feature != prev {
			prev, level = d.Feature, e.level(d.Feature, e.cols[d.Feature], i)
		}
		x := 0.0
		if level == d.Level {
			x = 1
		}
		z[j] = (x - d.Mean) / d.Scale
	}
}

package predict

import (
	"math"
	"math/rand/v2"
	"testing"

	"leadscore/features"
)

// The compact layout is the full design row in another form: rebuilt from
// CompactRows, every row equals Row, and the log-odds and contributions of
// the compact path equal coefficient × Row summed.
func TestCompactRowsEqualRow(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 9))
	n := 500
	amount, score := make([]float64, n), make([]float64, n)
	channel := make([]string, n)
	flag := make([]bool, n)
	for i := range n {
		amount[i] = math.Floor(r.ExpFloat64() * 1000)
		if r.IntN(5) == 0 {
			amount[i] = math.NaN()
		}
		score[i] = r.NormFloat64()
		channel[i] = []string{"web", "email", "fair", "", "partner", "radio"}[r.IntN(6)] // "" is missing; radio unseen
		flag[i] = r.IntN(2) == 0
	}
	tb := &features.Table{Columns: []features.Column{
		{Name: "amount", Kind: features.KindFloat, Float: amount},
		{Name: "score", Kind: features.KindFloat, Float: score},
		{Name: "channel", Kind: features.KindString, Str: channel},
		{Name: "flag", Kind: features.KindBool, Bool: flag},
	}}
	m := &Model{Type: TypeLogistic,
		Features: []Feature{
			{Name: "amount", Kind: Numeric, Impute: 120, Log1p: true},
			{Name: "channel", Kind: Categorical, Levels: []string{"email", "fair", "web"}},
			{Name: "score", Kind: Numeric, Impute: 0},
			{Name: "flag", Kind: Numeric},
		},
		Design: []DesignColumn{
			{Name: "amount", Feature: 0, Role: RoleValue, Mean: 5.1, Scale: 1.7},
			{Name: "amount__missing", Feature: 0, Role: RoleMissing, Mean: 0.2, Scale: 0.4},
			{Name: "channel=email", Feature: 1, Role: RoleLevel, Level: "email", Mean: 0.18, Scale: 0.38},
			{Name: "channel=web", Feature: 1, Role: RoleLevel, Level: "web", Mean: 0.2, Scale: 0.4},
			{Name: "channel=(other)", Feature: 1, Role: RoleLevel, Level: OtherLevel, Mean: 0.15, Scale: 0.36},
			{Name: "channel=(missing)", Feature: 1, Role: RoleLevel, Level: MissingLevel, Mean: 0.16, Scale: 0.37},
			{Name: "score", Feature: 2, Role: RoleValue, Mean: 0.1, Scale: 0.9},
			{Name: "flag", Feature: 3, Role: RoleValue, Mean: 0.5, Scale: 0.5},
		},
		// "fair" has no column of its own (a level dropped as constant).
		Logistic: &Logistic{Intercept: -0.7, Coef: []float64{0.4, -0.3, 0.9, -1.1, 0.25, 0.6, 0.8, -0.2}, C: 1},
	}
	enc, err := NewEncoder(m, tb)
	if err != nil {
		t.Fatal(err)
	}
	l := NewLayout(m)
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	nd, ng := len(l.Dense), len(l.Groups)
	dense, slots := make([]float64, n*nd), make([]int32, n*ng)
	enc.CompactRows(l, rows, dense, slots)
	z := make([]float64, len(m.Design))
	contrib := make([]float64, len(m.Features))
	fair := 0
	for i := range n {
		enc.Row(i, z)
		rebuilt := make([]float64, len(m.Design))
		for k, j := range l.Dense {
			rebuilt[j] = dense[i*nd+k]
		}
		for g, lg := range l.Groups {
			for s, j := range lg.Cols {
				d := m.Design[j]
				on := 0.0
				if int(slots[i*ng+g]) == s {
					on = 1
				}
				rebuilt[j] = (on - d.Mean) / d.Scale
			}
		}
		for j := range z {
			if math.Abs(rebuilt[j]-z[j]) > 1e-12 {
				t.Fatalf("row %d column %s: compact %v, Row %v", i, m.Design[j].Name, rebuilt[j], z[j])
			}
		}
		want := m.Logistic.Logit(z)
		if got := enc.Logit(i); math.Abs(got-want) > 1e-12 {
			t.Fatalf("row %d: Logit %v, want %v", i, got, want)
		}
		wantContrib := make([]float64, len(m.Features))
		for j, d := range m.Design {
			wantContrib[d.Feature] += m.Logistic.Coef[j] * z[j]
		}
		if got := enc.Explain(i, contrib); math.Abs(got-want) > 1e-12 {
			t.Fatalf("row %d: Explain's log-odds %v, want %v", i, got, want)
		}
		for k := range contrib {
			if math.Abs(contrib[k]-wantContrib[k]) > 1e-12 {
				t.Fatalf("row %d feature %s: contribution %v, want %v", i, m.Features[k].Name, contrib[k], wantContrib[k])
			}
		}
		if channel[i] == "fair" {
			fair++
			if slots[i*ng] != -1 {
				t.Errorf("row %d: level fair has no column, slot %d", i, slots[i*ng])
			}
		}
	}
	if fair == 0 {
		t.Fatal("no row has the level without a column")
	}
}

package rfm

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"leadscore/datasets"
	"leadscore/features"
)

func cdnowConfig() Config {
	return Config{
		Orders:         features.Source{Path: "testdata/cdnow_sample.csv.gz"},
		ObservationEnd: time.Date(1997, 9, 30, 0, 0, 0, 0, time.UTC),
		Unit:           "week",
	}
}

// TestComputeCDNOW summarises the raw CDNOW transactions as the paper did
// (calibration to 1997-09-30, weeks) and checks each customer's x, tₓ, T and
// repeat-purchase mean against the paper's table, then the fitted
// parameters against the published ones.
func TestComputeCDNOW(t *testing.T) {
	res, err := Compute(context.Background(), cdnowConfig())
	if err != nil {
		t.Fatal(err)
	}
	sum, spend := paperSummary(t)
	if len(res.Customers) != len(sum) {
		t.Fatalf("%d customers, want %d", len(res.Customers), len(sum))
	}
	si := 0
	for _, c := range res.Customers {
		id, _ := strconv.Atoi(c.EntityID)
		want := sum[id-1]
		if float64(c.X) != want.X || math.Abs(c.TX-want.TX) > 0.006 || math.Abs(c.T-want.T) > 0.006 {
			t.Errorf("customer %s: x %d tₓ %.3f T %.3f, paper %v %v %v", c.EntityID, c.X, c.TX, c.T, want.X, want.TX, want.T)
		}
		if c.X > 0 {
			_ = spend[si]
			si++
		}
	}
	m := res.Model
	within(t, "r", m.R, 0.2426, 0.005)
	within(t, "alpha", m.Alpha, 4.4136, 0.005)
	within(t, "a", m.A, 0.7929, 0.005)
	within(t, "b", m.B, 2.4259, 0.005)
	within(t, "log-likelihood", m.LogLikelihood, -9582.43, 0.0001)
	within(t, "p", m.P, 6.2496, 0.005)
	within(t, "q", m.Q, 3.7442, 0.005)
	within(t, "v", m.V, 15.4435, 0.005)
	if res.Stats.AfterEnd == 0 || res.Stats.Orders+res.Stats.AfterEnd != 6919 {
		t.Errorf("stats %+v: want the 6,919 transactions split at 1997-09-30", res.Stats)
	}
	if m.WindowStart != "1997-01-01" || m.WindowEnd != "1997-09-30" || m.TimeUnit != "week" {
		t.Errorf("model window %s–%s unit %s", m.WindowStart, m.WindowEnd, m.TimeUnit)
	}
}

func TestComputeChurnAndSegments(t *testing.T) {
	res, err := Compute(context.Background(), cdnowConfig())
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	var fallback, bg int
	for _, c := range res.Customers {
		counts[c.Segment]++
		switch c.ChurnMethod {
		case "recency_fallback":
			fallback++
			if c.X != 0 || c.PAlive != 1 {
				t.Errorf("%s: fallback for a repeat buyer", c.EntityID)
			}
		case "bgnbd":
			bg++
			if c.ChurnRisk != (c.PAlive < 0.5) {
				t.Errorf("%s: churn %v with P(alive) %v", c.EntityID, c.ChurnRisk, c.PAlive)
			}
		}
		if c.RScore < 1 || c.RScore > 5 || c.CLV == nil || *c.CLV < 0 || c.Recency > c.T+1e-9 {
			t.Errorf("%s: scores %d%d%d clv %v recency %v T %v", c.EntityID, c.RScore, c.FScore, c.MScore, c.CLV, c.Recency, c.T)
		}
	}
	if fallback != 2357-946 || bg != 946 {
		t.Errorf("churn methods: %d fallback, %d bgnbd; want 1411 and 946", fallback, bg)
	}
	// The default table names every customer.
	if counts[OtherSegment] != 0 || counts["Champions"] == 0 || counts["Lost"] == 0 || counts["At Risk"] == 0 {
		t.Errorf("segments %v", counts)
	}
	// Monetary values are nearly all distinct: each quintile holds a fifth.
	// Frequencies tie heavily: equal frequencies share one score.
	perM := map[int32]int{}
	fOf := map[int32]int32{}
	for _, c := range res.Customers {
		perM[c.MScore]++
		if s, ok := fOf[c.Frequency]; ok && s != c.FScore {
			t.Fatalf("frequency %d scored both %d and %d", c.Frequency, s, c.FScore)
		}
		fOf[c.Frequency] = c.FScore
	}
	for s := int32(1); s <= 5; s++ {
		if n := perM[s]; n < 400 || n > 550 { // CDNOW prices repeat, so some ties
			t.Errorf("m_score %d has %d customers, want about 471", s, n)
		}
	}
	if fOf[1] != 1 {
		t.Errorf("one-time buyers score F = %d, want 1", fOf[1])
	}
}

// TestDefaultSegmentsCoverGrid checks that every (R, F) cell gets a name.
func TestDefaultSegmentsCoverGrid(t *testing.T) {
	for r := int32(1); r <= 5; r++ {
		for f := int32(1); f <= 5; f++ {
			c := []Customer{{RScore: r, FScore: f, MScore: 3}}
			assignSegments(c, DefaultSegments())
			if c[0].Segment == OtherSegment {
				t.Errorf("R%d F%d has no segment", r, f)
			}
		}
	}
}

// TestGroundTruth runs Compute on generated data, where each customer's
// true state at the end is known: P(alive) must rank the customers still
// buying above those who silently churned, and the churn flag must be
// right far more often than chance.
func TestGroundTruth(t *testing.T) {
	dir := t.TempDir()
	var orders, truth bytes.Buffer
	sink := datasets.NewCSVSink(datasets.Files{Events: io.Discard, Entities: io.Discard, Deals: io.Discard, Orders: &orders, Truth: &truth})
	if _, err := datasets.Generate(context.Background(), datasets.Config{Entities: 20000, Seed: 11}, sink); err != nil {
		t.Fatal(err)
	}
	sink.Close()
	p := filepath.Join(dir, "orders.csv")
	os.WriteFile(p, orders.Bytes(), 0o644)
	res, err := Compute(context.Background(), Config{Orders: features.Source{Path: p}, AsOf: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	alive := map[string]bool{}
	recs, _ := csv.NewReader(&truth).ReadAll()
	for _, r := range recs[1:] {
		alive[r[0]] = r[5] == "true"
	}
	var scores []float64
	var labels []bool
	right, nAlive := 0, 0
	for _, c := range res.Customers {
		if c.X == 0 {
			continue
		}
		scores = append(scores, c.PAlive)
		labels = append(labels, alive[c.EntityID])
		if c.ChurnRisk != alive[c.EntityID] {
			right++
		}
		if alive[c.EntityID] {
			nAlive++
		}
	}
	auc := aucOf(scores, labels)
	if auc < 0.75 {
		t.Errorf("AUC of P(alive) for the true state = %.3f over %d repeat buyers, want ≥ 0.75", auc, len(scores))
	}
	// The flag must beat always guessing the majority state clearly.
	majority := math.Max(float64(nAlive), float64(len(scores)-nAlive)) / float64(len(scores))
	acc := float64(right) / float64(len(scores))
	if acc < majority+0.1 {
		t.Errorf("churn flag accuracy = %.3f, majority baseline %.3f: want at least 0.1 better", acc, majority)
	}
	t.Logf("%d repeat buyers: AUC %.3f, accuracy %.3f, majority baseline %.3f", len(scores), auc, acc, majority)
}

// aucOf is a plain O(n²) AUC, independent of the train package's.
func aucOf(s []float64, y []bool) float64 {
	num, den := 0.0, 0.0
	for i := range s {
		if !y[i] {
			continue
		}
		for j := range s {
			if y[j] {
				continue
			}
			den++
			switch {
			case s[i] > s[j]:
				num++
			case s[i] == s[j]:
				num += 0.5
			}
		}
	}
	return num / den
}

// TestHoldoutValidation checks the holdout comparison on CDNOW: actual
// purchase days in weeks 40–78 counted independently from the file, and the
// predicted total equal to the sum of each customer's E[Y(39)].
func TestHoldoutValidation(t *testing.T) {
	cfg := cdnowConfig()
	res, err := Compute(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := Holdout(context.Background(), cfg, res, time.Date(1998, 6, 30, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	total := rows[len(rows)-1]
	if total.Group != "total" || total.Customers != 2357 {
		t.Fatalf("total row %+v", total)
	}
	// Independent count: distinct (customer, day) pairs after 1997-09-30.
	f, _ := os.Open("testdata/cdnow_sample.csv.gz")
	defer f.Close()
	zr, _ := gzip.NewReader(f)
	recs, _ := csv.NewReader(zr).ReadAll()
	days := map[string]bool{}
	for _, r := range recs[1:] {
		if r[1] > "1997-09-30" {
			days[r[0]+r[1]] = true
		}
	}
	if total.Actual != len(days) {
		t.Errorf("actual holdout purchases %d, independent count %d", total.Actual, len(days))
	}
	bg := BGNBD{R: res.Model.R, Alpha: res.Model.Alpha, A: res.Model.A, B: res.Model.B}
	want := 0.0
	for _, c := range res.Customers {
		want += bg.ExpectedPurchases(Summary{X: float64(c.X), TX: c.TX, T: c.T}, 39)
	}
	if math.Abs(total.Predicted-want) > 1e-6 {
		t.Errorf("predicted %v, want %v", total.Predicted, want)
	}
	sumGroups := 0
	for _, r := range rows[:len(rows)-1] {
		sumGroups += r.Actual
	}
	if sumGroups != total.Actual {
		t.Errorf("groups add up to %d, total %d", sumGroups, total.Actual)
	}
}

func TestPreviousTransitions(t *testing.T) {
	cfg := cdnowConfig()
	first, err := Compute(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ObservationEnd = time.Date(1998, 3, 31, 0, 0, 0, 0, time.UTC)
	cfg.Previous = Segments(first.Customers)
	second, err := Compute(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	moved := 0
	for _, c := range second.Customers {
		if c.PreviousSegment == nil || *c.PreviousSegment != cfg.Previous[c.EntityID] {
			t.Fatalf("%s: previous segment %v, want %q", c.EntityID, c.PreviousSegment, cfg.Previous[c.EntityID])
		}
		if *c.PreviousSegment != c.Segment {
			moved++
		}
	}
	n := 0
	for _, v := range second.Transitions {
		n += v
	}
	if moved == 0 || n != moved {
		t.Errorf("%d customers changed segment, transitions count %d", moved, n)
	}
}

func TestParseSegments(t *testing.T) {
	segs, err := ParseSegments(strings.NewReader("segments:\n  - {name: Best, r: [4, 5], f: [4, 5], m: [1, 5]}\n  - {name: Rest, r: [1, 5], f: [1, 5], m: [1, 5]}\n"), "s.yaml")
	if err != nil || len(segs) != 2 || segs[0].R != [2]int32{4, 5} {
		t.Fatalf("segments %+v, %v", segs, err)
	}
	for _, bad := range []string{"segments:\n  - {name: X, r: [0, 5], f: [1, 5], m: [1, 5]}\n", "segments:\n  - {name: X, r: [1, 5], f: [1, 5], m: [1, 5], colour: red}\n", "segments: []\n"} {
		if _, err := ParseSegments(strings.NewReader(bad), "s.yaml"); err == nil {
			t.Errorf("ParseSegments(%q): want an error", bad)
		}
	}
}

// TestOrderTypeMissing: orders from events whose order type no event has
// are bad input naming the types there are, and the spelling in another
// case when there is one; with the right type the same events compute.
func TestOrderTypeMissing(t *testing.T) {
	p := filepath.Join(t.TempDir(), "events.csv")
	os.WriteFile(p, []byte("entity_id,ts,type,value\na,2024-01-05,page_view,\na,2024-02-01,Order,120\nb,2024-03-01,Order,80\na,2024-04-01,Order,60\n"), 0o644)
	cfg := Config{Orders: features.Source{Path: p}, FromEvents: true, AsOf: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)}
	for typ, want := range map[string]string{
		"":         `the order type (--order-type): no event has type "order"; the events have "Order" (types compare exactly)`,
		"purchase": `the order type (--order-type): no event has type "purchase"; the events' types include "Order", "page_view"`,
	} {
		cfg.OrderType = typ
		_, err := Compute(context.Background(), cfg)
		var se *features.SchemaError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), want) {
			t.Errorf("order type %q: %v, want a SchemaError with %s", typ, err, want)
		}
	}
	cfg.OrderType = "Order"
	if res, err := Compute(context.Background(), cfg); err != nil || len(res.Customers) != 2 {
		t.Errorf("order type Order: %v", err)
	}
}

// TestOrdersFromEventFolder: orders from events read a folder of shards
// as features does (Spark's, partitioned by type, with the type in the
// folder's name): the customers and the holdout are those of one file.
func TestOrdersFromEventFolder(t *testing.T) {
	dir := t.TempDir()
	one := filepath.Join(dir, "events.csv")
	os.WriteFile(one, []byte("entity_id,ts,type,value\na,2024-01-05,page_view,\na,2024-02-01,order,120\nb,2024-03-01,order,80\na,2024-04-01,order,60\nb,2024-07-02,order,10\n"), 0o644)
	folder := filepath.Join(dir, "events.parquet")
	for typ, rows := range map[string]string{"order": "a,2024-02-01,120\nb,2024-03-01,80\na,2024-04-01,60\nb,2024-07-02,10\n", "page_view": "a,2024-01-05,\n"} {
		os.MkdirAll(filepath.Join(folder, "type="+typ), 0o755)
		os.WriteFile(filepath.Join(folder, "type="+typ, "part-0.csv"), []byte("entity_id,ts,value\n"+rows), 0o644)
	}
	os.WriteFile(filepath.Join(folder, "_SUCCESS"), nil, 0o644)
	var got [2]string
	for i, path := range []string{one, folder} {
		cfg := Config{Orders: features.Source{Path: path}, FromEvents: true, ObservationEnd: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)}
		res, err := Compute(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		hold, err := Holdout(context.Background(), cfg, res, time.Date(2024, 8, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		res.Stats.otherTypes = nil // met before the first order: the order of the files
		got[i] = fmt.Sprintf("%+v %+v %+v", res.Customers, res.Stats, hold)
	}
	if got[0] != got[1] {
		t.Errorf("one file:\n%s\nthe folder:\n%s", got[0], got[1])
	}
}

// TestScoresByRank checks the R, F, M scores and value tiers against their
// definitions, on values that tie often (few frequencies, few amounts) and
// customers in no particular id order: sorted ascending, the i-th of n
// scores 1 + ⌊5i/n⌋ and ties take the score of the first of them; the top
// tenth by spend (ties by id) are VIP, the rest of the top half mid.
func TestScoresByRank(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 5))
	for _, n := range []int{1, 2, 7, 1000, 4099} {
		cs := make([]Customer, n)
		for i := range cs {
			cs[i] = Customer{EntityID: fmt.Sprintf("c%05d", r.IntN(100000)) + fmt.Sprint(i), Recency: float64(r.IntN(20)), Frequency: int32(1 + r.IntN(4)), Monetary: float64(r.IntN(30)) / 2}
		}
		scoreRFM(cs)
		valueTiers(cs)
		score := func(value func(c *Customer) float64, got func(c *Customer) int32, what string) {
			idx := make([]int, n)
			for i := range idx {
				idx[i] = i
			}
			slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(value(&cs[a]), value(&cs[b])) })
			var want int32
			for rank, i := range idx {
				if rank == 0 || value(&cs[i]) != value(&cs[idx[rank-1]]) {
					want = int32(1 + 5*rank/n)
				}
				if got(&cs[i]) != want {
					t.Fatalf("n=%d: %s of %+v is %d, want %d", n, what, cs[i], got(&cs[i]), want)
				}
			}
		}
		score(func(c *Customer) float64 { return -c.Recency }, func(c *Customer) int32 { return c.RScore }, "r_score")
		score(func(c *Customer) float64 { return float64(c.Frequency) }, func(c *Customer) int32 { return c.FScore }, "f_score")
		score(func(c *Customer) float64 { return c.Monetary }, func(c *Customer) int32 { return c.MScore }, "m_score")
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		spend := func(i int) float64 { return float64(cs[i].Frequency) * cs[i].Monetary }
		slices.SortFunc(idx, func(a, b int) int {
			return cmp.Or(cmp.Compare(spend(b), spend(a)), strings.Compare(cs[a].EntityID, cs[b].EntityID))
		})
		for rank, i := range idx {
			want := TierOccasional
			if rank < (n+9)/10 {
				want = TierVIP
			} else if rank < n/2 {
				want = TierMid
			}
			if cs[i].ValueTier != want {
				t.Fatalf("n=%d: rank %d by spend (%+v) is %s, want %s", n, rank, cs[i], cs[i].ValueTier, want)
			}
		}
	}
}

// TestBookKeepsEveryOrder adds orders of customers named in many ways
// (lengths, shared prefixes, runs of one customer and interleaved ones),
// enough that a part of the book fills more than one chunk, and checks
// each customer's summary against one computed order by order.
func TestBookKeepsEveryOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	type want struct {
		days            map[int32]bool
		first           int32
		firstAmt, total float64
	}
	ref := map[string]*want{}
	var bk book
	id := ""
	for range 1_300_000 {
		if id == "" || r.IntN(4) > 0 { // else the last customer again
			id = fmt.Sprintf("%s%d", []string{"c", "cust-000", "x"}[r.IntN(3)], r.IntN(5000))
		}
		day, amt := int32(19000+r.IntN(700)), float64(r.IntN(10000))/100
		bk.add(id, day, amt)
		w := ref[id]
		if w == nil {
			w = &want{days: map[int32]bool{}, first: math.MaxInt32}
			ref[id] = w
		}
		w.days[day] = true
		w.total += amt
		switch {
		case day < w.first:
			w.first, w.firstAmt = day, amt
		case day == w.first:
			w.firstAmt += amt
		}
	}
	if most := slices.MaxFunc(bk.parts[:], func(a, b orderPart) int { return cmp.Compare(a.n, b.n) }); most.n <= chunkOrders {
		t.Fatalf("no part holds more than a chunk (%d orders at most)", most.n)
	}
	res, _ := bk.customers(1, 20000)
	if len(res.Customers) != len(ref) {
		t.Fatalf("%d customers, want %d", len(res.Customers), len(ref))
	}
	for i, c := range res.Customers {
		if i > 0 && res.Customers[i-1].EntityID >= c.EntityID {
			t.Fatalf("customers out of order at %d: %q then %q", i, res.Customers[i-1].EntityID, c.EntityID)
		}
		w := ref[c.EntityID]
		last := int32(0)
		for d := range w.days {
			last = max(last, d)
		}
		if int(c.Frequency) != len(w.days) || c.TX != float64(last-w.first) || c.T != float64(20000-w.first) || c.Monetary != w.total/float64(len(w.days)) {
			t.Fatalf("%s: frequency %d, tx %v, T %v, monetary %v; want %d, %d, %d, %v", c.EntityID, c.Frequency, c.TX, c.T, c.Monetary,
				len(w.days), last-w.first, 20000-w.first, w.total/float64(len(w.days)))
		}
	}
}

package datasets

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// LeadsConfig configures GenerateLeads. The zero value of each field means
// its default.
type LeadsConfig struct {
	Rows int    // leads to write; required (> 0)
	Seed uint64 // the same seed gives the same file
}

// Validate names the bad field.
func (c LeadsConfig) Validate() error {
	if c.Rows <= 0 {
		return fmt.Errorf("datasets: LeadsConfig.Rows must be positive, got %d", c.Rows)
	}
	return nil
}

// Leads table shape: 40 numeric and 5 categorical columns.
const (
	leadsNumeric = 40
	leadsDays    = 730
)

// leadsLevels are the categorical columns and their numbers of levels: a
// few, tens, and hundreds (more than scikit-learn's HGB accepts).
var leadsLevels = []struct {
	name   string
	levels int
}{{"channel", 6}, {"industry", 24}, {"country", 60}, {"campaign", 400}, {"product", 900}}

// GenerateLeads writes a flat CRM export of won/lost leads, one row per
// lead: lead_id, created (a timestamp over two years, for out-of-time
// splits), 40 numeric columns (counts, amounts, rates, scores; some with
// missing values) and 5 categorical ones (6 to 900 levels, some missing),
// and won (1 or 0, about 22% won with seed 1). The outcome depends on the columns
// through thresholds, interactions and level effects — the structure
// boosted trees find and a linear model only approximates — plus noise,
// so a perfect model's AUC is well below 1. It is the data of the GBDT
// benchmarks (scale: 800k × 45 in about a second per 100k rows).
func GenerateLeads(ctx context.Context, cfg LeadsConfig, w io.Writer) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	head := []byte("lead_id,created")
	for j := range leadsNumeric {
		head = fmt.Appendf(head, ",x%02d", j)
	}
	for _, c := range leadsLevels {
		head = append(head, ',')
		head = append(head, c.name...)
	}
	head = append(head, ",won\n"...)
	bw.Write(head)
	// Level effects are fixed by the seed: each level of each categorical
	// column has its own log-odds shift, heavier for the first levels.
	r := rand.New(rand.NewPCG(cfg.Seed, 0x1ead))
	effects := make([][]float64, len(leadsLevels))
	for k, c := range leadsLevels {
		effects[k] = make([]float64, c.levels)
		for l := range effects[k] {
			effects[k][l] = r.NormFloat64() * 0.6 / math.Sqrt(1+float64(l)/20)
		}
	}
	start := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	x := make([]float64, leadsNumeric)
	cat := make([]int, len(leadsLevels))
	var line []byte
	for i := range cfg.Rows {
		if i%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		for j := range x {
			switch j % 4 {
			case 0: // counts
				x[j] = float64(poissonSmall(r, 0.5+float64(j%7)))
			case 1: // skewed amounts
				x[j] = math.Round(math.Exp(r.NormFloat64()*1.2+5)*100) / 100
			case 2: // rates in [0, 1]
				x[j] = math.Round(r.Float64()*1000) / 1000
			default: // scores
				x[j] = math.Round(r.NormFloat64()*1000) / 100
			}
		}
		for k, c := range leadsLevels {
			// Zipf-like level frequencies.
			cat[k] = int(math.Floor(math.Pow(r.Float64(), 2.2) * float64(c.levels)))
		}
		eta := -2.2 +
			0.35*math.Min(x[0], 6) - 0.25*math.Log1p(x[4]) + 0.5*math.Log1p(x[1]/100) +
			1.1*step(x[2] > 0.7) - 0.8*step(x[6] < 0.15) +
			0.9*step(x[3] > 5 && x[7] > 0) + 0.12*x[11] - 0.004*x[11]*x[11] +
			0.6*math.Sin(x[15]/3) + 0.7*step(x[8] >= 3 && x[10] > 0.5) -
			0.5*step(x[12] == 0) + 0.3*x[14]*x[18]
		for k := range leadsLevels {
			eta += effects[k][cat[k]]
		}
		// Missing values: a tenth of x01 (amounts), a quarter of x05 and of
		// x09, missing more often for the leads that convert less.
		miss1 := r.Float64() < 0.1
		miss5 := r.Float64() < 0.25
		miss9 := r.Float64() < 0.25-0.1*step(eta > -1.5)
		if miss5 {
			eta -= 0.4
		}
		won := r.Float64() < 1/(1+math.Exp(-(eta+r.NormFloat64()*0.5)))
		created := start.Add(time.Duration(r.Float64() * leadsDays * 24 * float64(time.Hour))).Truncate(time.Second)
		line = line[:0]
		line = strconv.AppendInt(line, int64(i+1), 10)
		line = append(line, ',')
		line = created.AppendFormat(line, time.RFC3339)
		for j, v := range x {
			line = append(line, ',')
			if j == 1 && miss1 || j == 5 && miss5 || j == 9 && miss9 {
				continue
			}
			line = strconv.AppendFloat(line, v, 'g', -1, 64)
		}
		for k, c := range leadsLevels {
			line = append(line, ',')
			if k == 1 && r.Float64() < 0.05 {
				continue // missing industry
			}
			line = append(line, c.name[:2]...)
			line = strconv.AppendInt(line, int64(cat[k]), 10)
		}
		if won {
			line = append(line, ",1\n"...)
		} else {
			line = append(line, ",0\n"...)
		}
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func step(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// poissonSmall draws a Poisson variate by inversion (small means).
func poissonSmall(r *rand.Rand, mean float64) int {
	u := r.Float64()
	p := math.Exp(-mean)
	k, c := 0, p
	for u > c && k < 100 {
		k++
		p *= mean / float64(k)
		c += p
	}
	return k
}

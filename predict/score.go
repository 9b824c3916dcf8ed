package predict

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"leadscore/features"
)

// Ranked is one lead of the ranked call list; it is a row of ranked.parquet
// and ranked.csv.
type Ranked struct {
	Rank        int32   `parquet:"rank"`
	EntityID    string  `parquet:"entity_id"`
	Score       int32   `parquet:"score"`
	Grade       string  `parquet:"grade"`
	Queue       string  `parquet:"queue"`
	Owner       string  `parquet:"owner"`
	Probability float64 `parquet:"probability"`
	RulePoints  float64 `parquet:"rule_points"`
	// RulePointsByGroup is {"group": points, …} as JSON, in the rules
	// file's group order.
	RulePointsByGroup string   `parquet:"rule_points_by_group"`
	DataQuality       *float64 `parquet:"data_quality,optional"`
	Reasons           string   `parquet:"reasons"`
	RuleAwards        string   `parquet:"rule_awards"`
	// Churn columns, from the rfm stage; null for entities with no purchase
	// history (they are not flagged).
	ChurnRisk   *bool    `parquet:"churn_risk,optional"`
	PAlive      *float64 `parquet:"p_alive,optional"`
	RFMSegment  *string  `parquet:"rfm_segment,optional"`
	CLV         *float64 `parquet:"clv,optional"`
	ChurnReason *string  `parquet:"churn_reason,optional"`
	ModelID     string   `parquet:"model_id"`
	AsOf        string   `parquet:"as_of"`

	row int // the row of the scored table
}

// Customer is what the rfm stage knows about an existing customer.
type Customer struct {
	ChurnRisk bool
	PAlive    float64
	Segment   string
	CLV       *float64
	Reason    string
}

// Summary describes a scoring run.
type Summary struct {
	Rows         int            `json:"rows"`
	PerGrade     map[string]int `json:"per_grade"`
	RulesOnly    bool           `json:"rules_only"`
	UnseenLevels map[string]int `json:"unseen_levels"`
	ModelWeight  float64        `json:"model_weight"`
	ChurnRisk    int            `json:"churn_risk"`
	// Drift lists every input with a training distribution; Drifted those
	// whose PSI is above Config.DriftPSI.
	Drift    []Drift  `json:"drift,omitempty"`
	Drifted  []string `json:"drifted,omitempty"`
	RulesMax float64  `json:"rules_max"`
	// PerQueue counts leads per queue; MeanProbability is the mean model
	// probability per grade.
	PerQueue        map[string]int     `json:"per_queue"`
	MeanProbability map[string]float64 `json:"mean_probability"`
	// Channels reports leads and mean score per first-touch channel, the
	// articles' "which channels bring the most valuable leads".
	Channels []ChannelSummary `json:"channels,omitempty"`
}

// ChannelSummary is one first-touch channel's leads and mean score.
type ChannelSummary struct {
	Channel   string  `json:"channel"`
	Leads     int     `json:"leads"`
	MeanScore float64 `json:"mean_score"`
}

// Score scores every row of a feature table and returns the leads ranked by
// score descending, then entity_id ascending.
//
// The blended score is
//
//	score = round(100 · (w·p + (1 − w)·clamp(r / R, 0, 1)))
//
// with p the model probability, r the row's rule_points, R the rules' cap
// (Config.RulesMax) and w the model weight. When the model is flagged no
// better than chance, w is 0 and the summary says so. A table without
// rule_points scores by the model alone (w = 1). The table must hold every
// model feature (a *SchemaError otherwise).
func Score(ctx context.Context, m *Model, t *features.Table, cfg Config) ([]Ranked, Summary, error) {
	if err := cfg.Validate(); err != nil {
		return nil, Summary{}, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	enc, err := NewEncoder(m, t)
	if err != nil {
		return nil, Summary{}, err
	}
	ids := t.Column("entity_id")
	if ids == nil || ids.Kind != features.KindString {
		return nil, Summary{}, &SchemaError{Missing: []string{"entity_id"}}
	}
	w := 0.7
	if cfg.ModelWeight != nil {
		w = *cfg.ModelWeight
	}
	rp := t.Column("rule_points")
	rmax := cfg.RulesMax
	if rmax == 0 {
		rmax, _ = strconv.ParseFloat(t.Meta["leadscore.rules_max_total"], 64)
	}
	switch {
	case rp == nil:
		w = 1
	case rmax <= 0:
		return nil, Summary{}, errors.New("predict: rule_points present but no rules cap: set Config.RulesMax")
	}
	sum := Summary{Rows: t.NumRows(), PerGrade: map[string]int{}, RulesMax: rmax}
	if m.NoBetterThanChance {
		if rp == nil {
			return nil, Summary{}, errors.New("predict: the model is no better than chance and the table has no rule_points to fall back on")
		}
		w = 0
		sum.RulesOnly = true
		log.Warn("model is no better than chance: scoring by rule points alone", "model_id", m.ID, "auc", m.Metrics.AUC,
			"auc_ci_low", m.Metrics.AUCLow)
	}
	sum.ModelWeight = w
	grades := cfg.Grades
	if grades == nil {
		grades = DefaultGrades()
	}
	nReasons := cfg.Reasons
	if nReasons == 0 {
		nReasons = 3
	}
	dq := t.Column("data_quality")
	var groupCols []*features.Column
	for k := range t.Columns {
		if c := &t.Columns[k]; strings.HasPrefix(c.Name, "rule_points_") && c.Kind == features.KindFloat {
			groupCols = append(groupCols, c)
		}
	}
	awards := t.Column("rule_awards")
	asOf := t.Column("ts")
	out := make([]Ranked, t.NumRows())
	row := func(e *Encoder, i int, logit float64, contrib []float64) (Ranked, error) {
		p := m.Probability(logit)
		r := Ranked{EntityID: ids.Str[i], Probability: p, ModelID: m.ID, row: i}
		ruleScore := 0.0
		if rp != nil {
			r.RulePoints = rp.Float[i]
			ruleScore = math.Min(1, math.Max(0, r.RulePoints/rmax))
		}
		if len(groupCols) > 0 {
			b := []byte{'{'}
			for k, c := range groupCols {
				if k > 0 {
					b = append(b, ',')
				}
				b = strconv.AppendQuote(b, strings.TrimPrefix(c.Name, "rule_points_"))
				b = append(b, ':')
				b = strconv.AppendFloat(b, c.Float[i], 'g', -1, 64)
			}
			r.RulePointsByGroup = string(append(b, '}'))
		}
		r.Score = int32(math.Round(100 * (w*p + (1-w)*ruleScore)))
		if dq != nil && !dq.IsNull(i) {
			v := dq.Float[i]
			r.DataQuality = &v
		}
		if asOf != nil && asOf.Kind == features.KindTime {
			r.AsOf = asOf.Time[i].Format(time.RFC3339)
		}
		if contrib != nil {
			r.Reasons = reasons(m, e, i, contrib, nReasons)
		}
		if c, ok := cfg.Customers[r.EntityID]; ok {
			r.ChurnRisk, r.PAlive, r.RFMSegment, r.CLV, r.ChurnReason = &c.ChurnRisk, &c.PAlive, &c.Segment, c.CLV, &c.Reason
		}
		if awards != nil {
			aw, err := features.ParseAwardsJSON(awards.Str[i])
			if err != nil {
				return r, fmt.Errorf("predict: row %d: %w", i+1, err)
			}
			r.RuleAwards = AwardsText(aw)
		}
		return r, nil
	}
	// Rows are scored in fixed chunks on two goroutines (explaining a tree
	// model is the costly part); each row's result is its own, so the
	// output does not depend on the scheduling.
	const chunk = 4096
	nChunks := (len(out) + chunk - 1) / chunk
	errs := make([]error, nChunks)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(2, nChunks) {
		wg.Go(func() {
			e := enc.Clone()
			// Blocks of 4,096 rows (one chunk): a tree model is explained
			// tree by tree over a block, and each tree's SHAP tables serve
			// more rows the larger it is (`go test -run '^$' -bench
			// TreeSHAPBlock ./train` compares 256, 1,024 and 4,096 rows).
			const block = chunk
			p := len(m.Features)
			rows, logits, contrib := make([]int, 0, block), make([]float64, block), make([]float64, block*p)
		chunks:
			for {
				c := int(next.Add(1) - 1)
				if c >= nChunks || ctx.Err() != nil {
					return
				}
				for lo := c * chunk; lo < min(len(out), (c+1)*chunk); lo += block {
					if ctx.Err() != nil {
						return // an interrupt stops within a block of rows
					}
					rows = rows[:0]
					for i := lo; i < min(len(out), (c+1)*chunk, lo+block); i++ {
						rows = append(rows, i)
					}
					if cfg.Explain > 0 {
						e.Logits(rows, logits)
					} else {
						e.ExplainRows(rows, logits, contrib)
					}
					for j, i := range rows {
						var cj []float64
						if cfg.Explain <= 0 {
							cj = contrib[j*p : (j+1)*p]
						}
						r, err := row(e, i, logits[j], cj)
						if err != nil {
							errs[c] = err
							continue chunks
						}
						out[i] = r
					}
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, Summary{}, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, Summary{}, err
		}
	}
	for i := range out {
		if c := out[i].ChurnRisk; c != nil && *c {
			sum.ChurnRisk++
		}
	}
	rank(out)
	if cfg.Explain > 0 {
		explainTop(ctx, m, enc, out[:min(cfg.Explain, len(out))], nReasons)
		if err := ctx.Err(); err != nil {
			return nil, Summary{}, err
		}
	}
	assignGrades(out, grades)
	assignOwners(out, cfg.Reps)
	sum.PerQueue, sum.MeanProbability = map[string]int{}, map[string]float64{}
	for i := range out {
		out[i].Rank = int32(i + 1)
		sum.PerGrade[out[i].Grade]++
		sum.PerQueue[out[i].Queue]++
		sum.MeanProbability[out[i].Grade] += out[i].Probability
	}
	for g, n := range sum.PerGrade {
		sum.MeanProbability[g] /= float64(n)
	}
	sum.Channels = channels(t, ids, cfg.ChannelColumn, out)
	limit := cfg.DriftPSI
	if limit == 0 {
		limit = 0.2
	}
	sum.Drift, sum.UnseenLevels = enc.checkDrift(t.NumRows())
	var beyond, drifted []Drift
	for _, d := range sum.Drift {
		if cfg.DriftLimit > 0 && d.PSI > cfg.DriftLimit {
			beyond = append(beyond, d)
		}
		if d.PSI > limit {
			sum.Drifted = append(sum.Drifted, d.Feature)
			drifted = append(drifted, d)
		}
	}
	if len(drifted) > 0 {
		// One line: the worst five; summary.json has every input.
		slices.SortStableFunc(drifted, func(a, b Drift) int { return cmp.Compare(b.PSI, a.PSI) })
		worst := make([]string, 0, 5)
		for _, d := range drifted[:min(5, len(drifted))] {
			worst = append(worst, fmt.Sprintf("%s (PSI %.2f)", d.Feature, d.PSI))
		}
		log.Warn("inputs drifted from the training data", "inputs", len(drifted), "psi_above", limit, "worst", strings.Join(worst, ", "))
	}
	if len(beyond) > 0 {
		return nil, Summary{}, &DriftError{Limit: cfg.DriftLimit, Inputs: beyond}
	}
	log.Info("scored", "rows", len(out), "model_id", m.ID, "model_weight", w, "rules_only", sum.RulesOnly, "drifted_inputs", len(sum.Drifted))
	return out, sum, nil
}

// rank sorts the leads by score descending, then entity_id ascending, then
// row: it sorts small keys and then moves each lead once, along the
// permutation's cycles.
func rank(out []Ranked) {
	type key struct {
		score int32
		at    int32
		id    string
	}
	keys := make([]key, len(out))
	for i := range out {
		keys[i] = key{out[i].Score, int32(i), out[i].EntityID}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.score != b.score {
			return int(b.score - a.score)
		}
		if c := strings.Compare(a.id, b.id); c != 0 {
			return c
		}
		return cmp.Compare(a.at, b.at)
	})
	done := make([]bool, len(out))
	for i := range out {
		if done[i] {
			continue
		}
		tmp := out[i]
		j := i
		for {
			done[j] = true
			k := int(keys[j].at) // position j takes the lead now at k
			if k == i {
				out[j] = tmp
				break
			}
			out[j] = out[k]
			j = k
		}
	}
}

// explainTop fills the reasons of the ranked leads, in blocks on two
// goroutines; an interrupt stops it within a block.
func explainTop(ctx context.Context, m *Model, enc *Encoder, top []Ranked, n int) {
	const block = 1024
	p := len(m.Features)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			e := enc.Clone()
			rows, logits, contrib := make([]int, 0, block), make([]float64, block), make([]float64, block*p)
			for {
				lo := int(next.Add(block) - block)
				if lo >= len(top) || ctx.Err() != nil {
					return
				}
				part := top[lo:min(len(top), lo+block)]
				rows = rows[:0]
				for _, r := range part {
					rows = append(rows, r.row)
				}
				e.ExplainRows(rows, logits, contrib)
				for j := range part {
					part[j].Reasons = reasons(m, e, part[j].row, contrib[j*p:(j+1)*p], n)
				}
			}
		})
	}
	wg.Wait()
}

// reasons names the top n positive and top n negative contributions of a
// row, strongest first: "rfq 2× in the last 30 days (+0.42)".
func reasons(m *Model, enc *Encoder, i int, contrib []float64, n int) string {
	var derived []features.DerivedType
	if m.FeatureSpec != nil {
		derived = m.FeatureSpec.Derived
	}
	var b []byte
	for _, k := range strongest(contrib, n) {
		if len(b) > 0 {
			b = append(b, "; "...)
		}
		b = append(b, Describe(&m.Features[k], enc.cols[k], i, derived...)...)
		b = append(b, " ("...)
		if contrib[k] > 0 {
			b = append(b, '+')
		}
		b = strconv.AppendFloat(b, contrib[k], 'f', 2, 64)
		b = append(b, ')')
	}
	return string(b)
}

// strongest returns the features of the n largest contributions above
// 0.005, largest first (ties: lower index first), then of the n smallest
// below −0.005, smallest first (ties: higher index first).
func strongest(contrib []float64, n int) []int {
	pos, neg := make([]int, 0, n), make([]int, 0, n)
	for k, c := range contrib {
		switch {
		case c > 0.005:
			at := len(pos)
			for at > 0 && contrib[pos[at-1]] < c {
				at--
			}
			pos = insertBounded(pos, at, k, n)
		case c < -0.005:
			at := len(neg)
			for at > 0 && contrib[neg[at-1]] >= c {
				at--
			}
			neg = insertBounded(neg, at, k, n)
		}
	}
	return append(pos, neg...)
}

// insertBounded inserts k at position at of list, which holds at most n
// elements: the last one drops out when it is full.
func insertBounded(list []int, at, k, n int) []int {
	if at >= n {
		return list
	}
	if len(list) < n {
		list = append(list, 0)
	}
	copy(list[at+1:], list[at:])
	list[at] = k
	return list
}

// AwardsText renders rule awards for people: "rfq on 2024-11-03: +15 until
// 2025-02-03; decision_maker: +15".
func AwardsText(aw []features.Award) string {
	parts := make([]string, len(aw))
	for i, a := range aw {
		pts := strconv.FormatFloat(a.Points, 'f', -1, 64)
		if a.Points > 0 {
			pts = "+" + pts
		}
		if a.Granted.IsZero() {
			parts[i] = fmt.Sprintf("%s: %s", a.Rule, pts)
		} else {
			parts[i] = fmt.Sprintf("%s on %s: %s until %s", a.Rule, a.Granted.Format(time.DateOnly), pts, a.Expires.Format(time.DateOnly))
		}
	}
	return strings.Join(parts, "; ")
}

// assignGrades grades ranked leads: by score thresholds, or, when the first
// grade has a capacity, by rank.
func assignGrades(out []Ranked, grades []Grade) {
	if len(grades) > 0 && grades[0].Capacity > 0 {
		g, used := 0, 0
		for i := range out {
			for g < len(grades)-1 && used >= grades[g].Capacity {
				g, used = g+1, 0
			}
			out[i].Grade, out[i].Queue = grades[g].Name, grades[g].Queue
			used++
		}
		return
	}
	for i := range out {
		for _, g := range grades {
			if int(out[i].Score) >= g.MinScore {
				out[i].Grade, out[i].Queue = g.Name, g.Queue
				break
			}
		}
	}
}

// assignOwners deals each queue's leads, best first, to its reps by smooth
// weighted round-robin (each turn every rep gains its capacity; the rep
// with the most takes the lead and pays the total), so a rep with twice the
// capacity gets twice the leads, interleaved. Ties go to the earlier rep.
func assignOwners(out []Ranked, reps map[string][]Rep) {
	current := map[string][]int{}
	for i := range out {
		rs := reps[out[i].Queue]
		if len(rs) == 0 {
			continue
		}
		cur, ok := current[out[i].Queue]
		if !ok {
			cur = make([]int, len(rs))
			current[out[i].Queue] = cur
		}
		total, best := 0, 0
		for k, r := range rs {
			cur[k] += r.Capacity
			total += r.Capacity
			if cur[k] > cur[best] {
				best = k
			}
		}
		cur[best] -= total
		out[i].Owner = rs[best].Name
	}
}

// channels summarises leads per first-touch channel, by leads then name.
func channels(t *features.Table, ids *features.Column, col string, out []Ranked) []ChannelSummary {
	if col == "" {
		col = "lead_source"
	}
	c := t.Column(col)
	if c == nil {
		return nil
	}
	row := make(map[string]int, len(ids.Str))
	for i, id := range ids.Str {
		row[id] = i
	}
	acc := map[string]*ChannelSummary{}
	for _, r := range out {
		ch := c.Text(row[r.EntityID])
		if ch == "" {
			ch = "(unknown)"
		}
		s, ok := acc[ch]
		if !ok {
			s = &ChannelSummary{Channel: ch}
			acc[ch] = s
		}
		s.Leads++
		s.MeanScore += float64(r.Score)
	}
	list := make([]ChannelSummary, 0, len(acc))
	for _, s := range acc {
		s.MeanScore /= float64(s.Leads)
		list = append(list, *s)
	}
	slices.SortFunc(list, func(a, b ChannelSummary) int {
		if a.Leads != b.Leads {
			return b.Leads - a.Leads
		}
		return strings.Compare(a.Channel, b.Channel)
	})
	return list
}

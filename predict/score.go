package predict

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"leadscore/features"
)

// Ranked is one lead of the ranked call list; it is a row of ranked.parquet
// and ranked.csv.
type Ranked struct {
	Rank     int32  `parquet:"rank"`
	EntityID string `parquet:"entity_id"`
	// DealID and DealOpened name the deal a row of an open-deal list is
	// about (the scored table's deal_id and deal_opened, RFC 3339), as an
	// account may have several deals open; null in a list of contacts.
	DealID      *string `parquet:"deal_id,optional"`
	DealOpened  *string `parquet:"deal_opened,optional"`
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
	// What changed since the previous run (Config.Previous): null for a
	// new lead, and Change says it in a word ("new", "newly A", "left A",
	// "up", "down"), with, for a large drop, the rule awards that lapsed
	// and the inputs that moved (Config.PreviousTable).
	PreviousScore *int32  `parquet:"previous_score,optional"`
	ScoreChange   *int32  `parquet:"score_change,optional"`
	PreviousGrade *string `parquet:"previous_grade,optional"`
	Change        string  `parquet:"change"`
	// Kept are the values of Config.Keep's columns, in its order, as
	// text ("" for a missing value); they follow the other columns.
	Kept []string `parquet:"-"`

	row   int     // the row of the scored table
	value float64 // the blend before clamping and rounding: breaks ties in score
}

// Customer is what the rfm stage knows about an existing customer.
type Customer struct {
	ChurnRisk bool
	PAlive    float64
	Segment   string
	CLV       *float64
	Reason    string
}

// Score scores every row of a feature table and returns the leads ranked by
// score descending, then data quality, then the unrounded blend, then
// entity_id ascending.
//
// The blended score is
//
//	score = round(100 · clamp(w·p + (1 − w)·clamp(r / R, −1, 1), 0, 1))
//
// with p the model probability, r the row's rule_points, R the rules' scale
// (Config.RulesMax) and w the model weight: negative rule points lower the
// score. When the model is flagged no better than chance, w is 0 and the
// summary says so (unless Config.AllowWeakModel). A table without
// rule_points scores by the model alone (w = 1). The table must hold every
// model feature and every column Config.Suppress and Config.Queues test (a
// *SchemaError otherwise); for a model trained with a time column, a
// date's age before it is made from the date (features.AddDateAges, which
// adds the column to t).
//
// The work runs in steps: every row is scored (and explained, unless
// Config.ExplainTop limits reasons to the best leads) in chunks on
// Config.Workers goroutines; suppressed leads are set aside; the others
// are ranked, the best explained when only they need reasons, graded,
// routed to queues and dealt to owners (keeping Config.Previous's owners
// where they have room); the changes since the previous list are marked
// and the list summarised. Each row's result is its own, so the output
// does not depend on the number of workers.
func Score(ctx context.Context, m *Model, t *features.Table, cfg Config) ([]Ranked, Summary, error) {
	if err := cfg.Validate(); err != nil {
		return nil, Summary{}, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := checkPopulation(m, t); err != nil {
		return nil, Summary{}, err
	}
	if err := checkConditionFields(t, &cfg); err != nil {
		return nil, Summary{}, err
	}
	if err := checkCustomers(t, &cfg); err != nil {
		return nil, Summary{}, err
	}
	// A model trained with a time column took the other dates as their
	// ages before it (features.AddDateAges); the scored rows' are made
	// alike.
	if tc := m.Training.TimeColumn; tc != "" {
		emptyDates(m, t, tc)
		features.AddDateAges(t, tc)
	}
	enc, err := NewEncoder(m, t)
	if err != nil {
		return nil, Summary{}, err
	}
	b, err := newBlend(m, t, &cfg)
	if err != nil {
		return nil, Summary{}, err
	}
	if b.rulesOnly {
		log.Warn("model is no better than chance: scoring by rule points alone", "model_id", m.ID, "auc", m.Metrics.AUC,
			"auc_ci_low", m.Metrics.AUCLow)
	}
	out, err := scoreRows(ctx, enc, b, t.NumRows(), cfg.ExplainTop <= 0, cfg.workers())
	if err != nil {
		return nil, Summary{}, err
	}
	out, suppressed, suppressedBy := suppress(out, t, cfg.Suppress)
	rank(out)
	if cfg.ExplainTop > 0 {
		if err := explainTop(ctx, enc, b, out[:min(cfg.ExplainTop, len(out))], cfg.workers()); err != nil {
			return nil, Summary{}, err
		}
	}
	grades := cfg.Grades
	switch {
	case grades != nil:
	case m.Target != nil && m.Target.Kind == features.TargetConversion:
		grades = DefaultShareGrades()
	default:
		grades = DefaultGrades()
	}
	assignGrades(out, grades)
	routeQueues(out, t, cfg.Queues, cfg.MinDataQuality)
	prevOwners := map[string]string{}
	for _, r := range cfg.Previous {
		if r.Owner != "" {
			prevOwners[r.key()] = r.Owner
		}
	}
	unassigned := assignOwners(out, cfg.Reps, prevOwners)
	if cfg.IncludeSuppressed {
		rank(suppressed)
		for i := range suppressed {
			suppressed[i].Grade, suppressed[i].Queue = SuppressedGrade, ""
		}
		out = append(out, suppressed...)
	}
	markChanges(out, cfg.Previous)
	movedInputs(enc, m, cfg.PreviousTable, out)
	for i := range out {
		out[i].Rank = int32(i + 1)
	}
	sum := summarise(out, t, b, cfg.ChannelColumn)
	sum.Kept, sum.Suppressed, sum.Unassigned, sum.Changes = cfg.Keep, suppressedBy, unassigned, cfg.Previous != nil
	sum.NewlyA = map[string]int{}
	for i := range out {
		if out[i].Change == "newly A" {
			sum.NewlyA[out[i].Queue]++
		}
	}
	if err := checkDrift(enc, &sum, DistinctRows(t, nil), &cfg, log); err != nil {
		return nil, Summary{}, err
	}
	if err := checkFreshness(t, &sum, &cfg, log); err != nil {
		return nil, Summary{}, err
	}
	if sum.OlderDeals = olderDeals(m, t, out); sum.OlderDeals > 0 {
		sum.OlderDealsDays = math.Round(olderThan * m.Training.DealAgeDays)
		log.Warn("open deals open far longer than those the model learned from: their scores extrapolate", "deals", sum.OlderDeals,
			"open_over_days", sum.OlderDealsDays)
	}
	log.Info("scored", "rows", len(out), "model_id", m.ID, "model_weight", b.w, "rules_only", sum.RulesOnly, "drifted_inputs", len(sum.Drifted))
	return out, sum, nil
}

// blend holds what turns a row's model log-odds into a lead: the model
// weight, the rule columns and their scale, and the columns a lead
// carries.
type blend struct {
	m         *Model
	w         float64
	rulesOnly bool
	rmax      float64
	ids       *features.Column
	rp        *features.Column   // rule_points, nil without rules
	groups    []*features.Column // rule_points_<group>
	awards    *features.Column
	dq        *features.Column
	asOf      *features.Column
	dealID    *features.Column // deal_id and deal_opened of an open-deal table
	dealAt    *features.Column
	customers map[string]Customer
	reasons   int // per sign
	keep      []keepColumn
	verdict   string // a weak model scored anyway (Config.AllowWeakModel)
}

// keepColumn is a column carried into the call list: from the scored
// table, or looked up by entity id in Config.KeepFrom.
type keepColumn struct {
	col  *features.Column
	rows map[string]int // entity id → row of col, for a KeepFrom column
}

func newBlend(m *Model, t *features.Table, cfg *Config) (*blend, error) {
	b := &blend{m: m, w: 0.7, rmax: cfg.RulesMax, customers: cfg.Customers, reasons: cfg.Reasons,
		ids: t.Column("entity_id"), rp: t.Column("rule_points"), awards: t.Column("rule_awards"), dq: t.Column("data_quality"), asOf: t.Column("ts")}
	if b.ids == nil || b.ids.Kind != features.KindString {
		return nil, &SchemaError{Missing: []string{"entity_id"}}
	}
	b.dealID, b.dealAt = dealColumns(t)
	switch {
	case cfg.ModelWeight != nil:
		b.w = *cfg.ModelWeight
	case m.Blend != nil:
		b.w = m.Blend.ModelWeight
	}
	if b.rmax == 0 {
		b.rmax, _ = strconv.ParseFloat(t.Meta[features.MetaRulesMaxTotal], 64)
	}
	switch {
	case b.rp == nil:
		b.w = 1
	case !(b.rmax > 0):
		return nil, errors.New("predict: rule_points present but no rules cap: set Config.RulesMax")
	}
	switch {
	case m.NoBetterThanChance && cfg.AllowWeakModel:
		b.verdict = fmt.Sprintf("no better than chance: validation AUC %.3f (95%% CI %.3f-%.3f); scored with it as asked (allow_weak_model)",
			m.Metrics.AUC, m.Metrics.AUCLow, m.Metrics.AUCHigh)
	case m.NoBetterThanChance && b.rp == nil:
		return nil, fmt.Errorf("predict: the model is no better than chance (validation AUC %.3f, 95%% CI %.3f-%.3f) and the table has no rule points to fall back on: "+
			"collect more outcomes, or score with it anyway (--allow-weak-model, or allow_weak_model: true in predict.yaml), its verdict written into every output", m.Metrics.AUC, m.Metrics.AUCLow, m.Metrics.AUCHigh)
	case m.NoBetterThanChance:
		b.w, b.rulesOnly = 0, true
	}
	for k := range t.Columns {
		if c := &t.Columns[k]; strings.HasPrefix(c.Name, "rule_points_") && c.Kind == features.KindFloat {
			b.groups = append(b.groups, c)
		}
	}
	if b.reasons == 0 {
		b.reasons = 3
	}
	if err := b.keepColumns(t, cfg); err != nil {
		return nil, err
	}
	return b, nil
}

// keepColumns finds the columns Config.Keep names: in the scored table,
// else in Config.KeepFrom (by entity_id); a name neither has is a
// *KeepError. A KeepFrom column that kept its cells as written is taken
// over a scored-table column that did not: a feature table joins an
// entities file's attributes as values (a phone number as a number).
func (b *blend) keepColumns(t *features.Table, cfg *Config) error {
	var from map[string]int
	for _, name := range cfg.Keep {
		var c *features.Column
		if cfg.KeepFrom != nil {
			c = cfg.KeepFrom.Column(name)
		}
		if own := t.Column(name); own != nil && (own.Written != nil || c == nil || c.Written == nil) {
			b.keep = append(b.keep, keepColumn{col: own})
			continue
		}
		if c == nil {
			e := &KeepError{Column: name, Have: t.Names()}
			if cfg.KeepFrom != nil {
				e.HaveFrom = cfg.KeepFrom.Names()
			}
			return e
		}
		if from == nil {
			ids := cfg.KeepFrom.Column("entity_id")
			if ids == nil || ids.Kind != features.KindString {
				return errors.New("predict: Config.KeepFrom has no entity_id column")
			}
			from = make(map[string]int, len(ids.Str))
			for i, id := range ids.Str {
				from[id] = i
			}
		}
		b.keep = append(b.keep, keepColumn{col: c, rows: from})
	}
	return nil
}

// lead builds row i's lead from its raw log-odds, with reasons when
// contrib (the row's contributions) is given.
func (b *blend) lead(e *Encoder, i int, logit float64, contrib []float64) (Ranked, error) {
	p := b.m.Probability(logit)
	r := Ranked{EntityID: b.ids.Str[i], Probability: p, ModelID: b.m.ID, row: i}
	ruleScore := 0.0
	if b.rp != nil {
		r.RulePoints = b.rp.Float[i]
		ruleScore = math.Min(1, math.Max(-1, r.RulePoints/b.rmax))
	}
	if len(b.groups) > 0 {
		buf := []byte{'{'}
		for k, c := range b.groups {
			if k > 0 {
				buf = append(buf, ',')
			}
			buf = strconv.AppendQuote(buf, strings.TrimPrefix(c.Name, "rule_points_"))
			buf = append(buf, ':')
			buf = strconv.AppendFloat(buf, c.Float[i], 'g', -1, 64)
		}
		r.RulePointsByGroup = string(append(buf, '}'))
	}
	r.value = b.w*p + (1-b.w)*ruleScore
	r.Score = int32(math.Round(100 * math.Min(1, math.Max(0, r.value))))
	if b.dq != nil && !b.dq.IsNull(i) {
		v := b.dq.Float[i]
		r.DataQuality = &v
	}
	if b.asOf != nil && b.asOf.Kind == features.KindTime {
		r.AsOf = b.asOf.Time[i].Format(time.RFC3339)
	}
	if b.dealID != nil && !b.dealID.IsNull(i) {
		r.DealID = &b.dealID.Str[i]
	}
	if b.dealAt != nil && !b.dealAt.IsNull(i) {
		at := openedText(b.dealAt.Time[i])
		r.DealOpened = &at
	}
	if contrib != nil {
		r.Reasons = b.reasonsOf(e, i, logit, contrib)
	}
	if len(b.keep) > 0 {
		r.Kept = make([]string, len(b.keep))
		for k, kc := range b.keep {
			j, ok := i, true
			if kc.rows != nil {
				j, ok = kc.rows[r.EntityID]
			}
			if ok && !kc.col.IsNull(j) {
				r.Kept[k] = kc.col.AsWritten(j)
			}
		}
	}
	if c, ok := b.customers[r.EntityID]; ok {
		r.ChurnRisk, r.PAlive, r.RFMSegment, r.CLV, r.ChurnReason = &c.ChurnRisk, &c.PAlive, &c.Segment, c.CLV, &c.Reason
	}
	if b.awards != nil {
		aw, err := features.ParseAwardsJSON(b.awards.Str[i])
		if err != nil {
			return r, fmt.Errorf("predict: row %d: %w", i+1, err)
		}
		r.RuleAwards = AwardsText(aw)
	}
	return r, nil
}

// scoreChunk is how many rows a worker takes at a time, scored as one
// block: a tree model is explained tree by tree over a block, and each
// tree's SHAP tables serve more rows the larger it is (`go test -run '^$'
// -bench TreeSHAPBlock ./train` compares 256, 1,024 and 4,096 rows).
const scoreChunk = 4096

// worker is one goroutine's encoder and scratch space for a block of rows.
type worker struct {
	e       *Encoder
	rows    []int
	logits  []float64
	contrib []float64
}

// workers returns n workers for blocks of up to size rows.
func workers(enc *Encoder, n, size int) chan *worker {
	ch := make(chan *worker, n)
	p := len(enc.m.Features)
	for range n {
		ch <- &worker{e: enc.Clone(), rows: make([]int, 0, size), logits: make([]float64, size), contrib: make([]float64, size*p)}
	}
	return ch
}

// emptyDates makes each date column whose age before timeCol the model
// takes, and that the table holds without a value (read as text), a time
// column without a value, whose age is then missing.
func emptyDates(m *Model, t *features.Table, timeCol string) {
	for _, f := range m.Features {
		date, ok := features.DateOfAge(f.Name, timeCol)
		if c := t.Column(date); ok && t.Column(f.Name) == nil && c != nil && c.Kind == features.KindString && allNull(c) {
			*c = features.Column{Name: c.Name, Kind: features.KindTime, Time: make([]time.Time, c.Len())}
		}
	}
}

// scoreRows scores rows 0 to n−1 in chunks on nw goroutines, explaining
// each when explain is set. An interrupt stops it within a chunk.
func scoreRows(ctx context.Context, enc *Encoder, b *blend, n int, explain bool, nw int) ([]Ranked, error) {
	out := make([]Ranked, n)
	p := len(b.m.Features)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(nw)
	pool := workers(enc, nw, scoreChunk)
	for lo := 0; lo < n; lo += scoreChunk {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			w := <-pool
			defer func() { pool <- w }()
			w.rows = w.rows[:0]
			for i := lo; i < min(n, lo+scoreChunk); i++ {
				w.rows = append(w.rows, i)
			}
			if explain {
				w.e.ExplainRows(w.rows, w.logits, w.contrib)
			} else {
				w.e.Logits(w.rows, w.logits)
			}
			for j, i := range w.rows {
				var cj []float64
				if explain {
					cj = w.contrib[j*p : (j+1)*p]
				}
				r, err := b.lead(w.e, i, w.logits[j], cj)
				if err != nil {
					return err
				}
				out[i] = r
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, ctx.Err()
}

// rank sorts the leads by score descending, then data quality (the
// second score: a lead with a complete record first), then the unrounded
// blend, both descending, then entity_id ascending, then row: it sorts
// small keys and then moves each lead once, along the permutation's
// cycles.
func rank(out []Ranked) {
	type key struct {
		score int32
		at    int32
		dq    float64
		value float64
		id    string
	}
	keys := make([]key, len(out))
	for i := range out {
		dq := -1.0 // unknown sorts last
		if out[i].DataQuality != nil {
			dq = *out[i].DataQuality
		}
		keys[i] = key{out[i].Score, int32(i), dq, out[i].value, out[i].EntityID}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.score != b.score {
			return int(b.score - a.score)
		}
		if c := cmp.Compare(b.dq, a.dq); c != 0 {
			return c
		}
		if c := cmp.Compare(b.value, a.value); c != 0 {
			return c
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

// SuppressedGrade is the grade of a suppressed lead listed with
// Config.IncludeSuppressed.
const SuppressedGrade = "suppressed"

// suppress splits off the leads matching any of the condition lists and
// counts them by the first list each matches ("unsubscribe_count_365d > 0").
func suppress(out []Ranked, t *features.Table, lists []features.Conditions) (kept, gone []Ranked, by map[string]int) {
	if len(lists) == 0 {
		return out, nil, nil
	}
	by = map[string]int{}
	kept = out[:0:0]
	for i := range out {
		k := slices.IndexFunc(lists, func(cs features.Conditions) bool { return cs.Holds(t, out[i].row) })
		if k < 0 {
			kept = append(kept, out[i])
			continue
		}
		by[lists[k].String()]++
		gone = append(gone, out[i])
	}
	return kept, gone, by
}

// checkCustomers returns a *features.SchemaError when ten or more
// customers are given and none of them is a lead of t: ids written
// differently in the orders and the events (e001 and E001) would leave
// every lead's churn columns empty.
func checkCustomers(t *features.Table, cfg *Config) error {
	ids := t.Column("entity_id")
	if len(cfg.Customers) < 10 || ids == nil || ids.Kind != features.KindString || len(ids.Str) == 0 {
		return nil
	}
	if slices.ContainsFunc(ids.Str, func(id string) bool { _, ok := cfg.Customers[id]; return ok }) {
		return nil
	}
	customer := slices.Min(slices.Collect(maps.Keys(cfg.Customers)))
	return &features.SchemaError{Path: cmp.Or(cfg.CustomersFrom, "customers"), Err: fmt.Errorf("none of the %d customers is a lead of the list: their ids are such as %q, the leads' such as %q",
		len(cfg.Customers), customer, ids.Str[0])}
}

// checkConditionFields makes sure every column that suppress: and
// queues: test, and channel_column, is in the scored table: a misspelt
// field would otherwise match no lead, or report no channel, silently.
func checkConditionFields(t *features.Table, cfg *Config) error {
	var missing []string
	check := func(cs features.Conditions) {
		for _, f := range cs.Fields() {
			if t.Column(f) == nil && !slices.Contains(missing, f) {
				missing = append(missing, f)
			}
		}
	}
	for _, cs := range cfg.Suppress {
		check(cs)
	}
	for _, q := range cfg.Queues {
		check(q.When)
	}
	for i := range missing {
		missing[i] += " (tested by suppress: or queues:)"
	}
	if c := cfg.ChannelColumn; c != "" && t.Column(c) == nil {
		missing = append(missing, c+" (channel_column)")
	}
	if len(missing) > 0 {
		return &SchemaError{Missing: missing}
	}
	return nil
}

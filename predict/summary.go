package predict

import (
	"cmp"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"leadscore/features"
)

// Summary describes a scoring run.
type Summary struct {
	// ModelID and AsOf say which model scored which date (AsOf "" for a
	// table without one).
	ModelID   string         `json:"model_id"`
	AsOf      string         `json:"as_of,omitempty"`
	Rows      int            `json:"rows"`
	PerGrade  map[string]int `json:"per_grade"`
	RulesOnly bool           `json:"rules_only"`
	// Customers says whether the rfm stage's customers were given; ChurnRisk
	// counts those flagged.
	Customers    bool           `json:"customers"`
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
	// StaleDays is how many days the newest event is older than the as-of
	// date, when it is more than Config.StaleAfterDays.
	StaleDays float64 `json:"stale_days,omitempty"`
	// NoEvents is set when no event falls before the as-of date: the
	// events file had no row, and every lead is scored on its attributes.
	NoEvents bool `json:"no_events,omitempty"`
	// OlderDeals counts the open deals listed that have been open more
	// than twice as long as 99% of the deals the model learned from
	// (Training.DealAgeDays): their scores extrapolate, and a deal that
	// old is often dead in the CRM.
	OlderDeals     int     `json:"older_deals,omitempty"`
	OlderDealsDays float64 `json:"older_deals_days,omitempty"` // the age they passed
	// Kept names the columns carried into the call list (Config.Keep).
	Kept []string `json:"kept,omitempty"`
	// Rules and DataQuality say whether the scored table had rule points
	// and a data-quality score: the call list's CSV shows only the
	// columns that apply.
	Rules       bool `json:"rules"`
	DataQuality bool `json:"data_quality"`
	// Deals says the rows are open deals that name when they opened;
	// DealIDs that they carry the deals file's deal_id.
	Deals   bool `json:"deals,omitempty"`
	DealIDs bool `json:"deal_ids,omitempty"`
	// Changes says the list was compared with the previous run's.
	// Suppressed counts the leads left out by each suppress: list;
	// Unassigned, per queue, the leads no rep had room for; NewlyA, per
	// queue, the leads graded A that were not A in the previous run.
	Changes    bool           `json:"changes"`
	Suppressed map[string]int `json:"suppressed,omitempty"`
	Unassigned map[string]int `json:"unassigned,omitempty"`
	NewlyA     map[string]int `json:"newly_a,omitempty"`
	// Verdict warns that the model is no better than chance and was used
	// anyway (Config.AllowWeakModel); ranked.csv repeats it on every row.
	Verdict string `json:"model_verdict,omitempty"`
}

// ChannelSummary is one first-touch channel's leads and mean score.
type ChannelSummary struct {
	Channel   string  `json:"channel"`
	Leads     int     `json:"leads"`
	MeanScore float64 `json:"mean_score"`
}

// summarise counts the graded leads per grade, queue and channel.
func summarise(out []Ranked, t *features.Table, b *blend, channelCol string) Summary {
	sum := Summary{ModelID: b.m.ID, Rows: len(out), PerGrade: map[string]int{}, RulesMax: b.rmax, ModelWeight: b.w, RulesOnly: b.rulesOnly, Customers: b.customers != nil,
		PerQueue: map[string]int{}, MeanProbability: map[string]float64{}, Rules: b.rp != nil, DataQuality: b.dq != nil, Verdict: b.verdict,
		Deals: b.dealAt != nil, DealIDs: b.dealID != nil}
	if len(out) > 0 {
		sum.AsOf = out[0].AsOf
	}
	for i := range out {
		sum.PerGrade[out[i].Grade]++
		sum.PerQueue[out[i].Queue]++
		sum.MeanProbability[out[i].Grade] += out[i].Probability
		if c := out[i].ChurnRisk; c != nil && *c {
			sum.ChurnRisk++
		}
	}
	for g, n := range sum.PerGrade {
		sum.MeanProbability[g] /= float64(n)
	}
	sum.Channels = channels(t, b.ids, channelCol, out)
	return sum
}

// checkDrift measures every input against its training distribution into
// the summary, logs the worst drifted ones, and fails with a *DriftError
// when one passes Config.DriftLimit. An input drifts only beyond what
// sampling alone makes likely at the rows compared (Drift.Noise): a few
// dozen open deals differ from any reference by more than the limits. The
// scored rows count as distinct of them (see DistinctRows).
func checkDrift(enc *Encoder, sum *Summary, distinct int, cfg *Config, log *slog.Logger) error {
	limit, ageLimit := cfg.DriftPSI, cfg.DriftPSIAge
	if limit == 0 {
		limit = 0.2
	}
	if ageLimit == 0 {
		ageLimit = 1
	}
	sum.Drift, sum.UnseenLevels = enc.checkDrift(sum.Rows, min(sum.Rows, distinct))
	var beyond, drifted []Drift
	for _, d := range sum.Drift {
		if cfg.DriftLimit > 0 && d.PSI > max(cfg.DriftLimit, d.Noise) {
			beyond = append(beyond, d)
		}
		warnAt := limit
		if isAge(enc.m.feature(d.Feature), enc.m.Training.TimeColumn) {
			warnAt = max(limit, ageLimit)
		}
		if d.PSI > max(warnAt, d.Noise) {
			sum.Drifted = append(sum.Drifted, d.Feature)
			drifted = append(drifted, d)
		}
	}
	if len(drifted) > 0 {
		// One line: the worst five; the summary file has every input.
		slices.SortStableFunc(drifted, func(a, b Drift) int { return cmp.Compare(b.PSI, a.PSI) })
		worst := make([]string, 0, 5)
		for _, d := range drifted[:min(5, len(drifted))] {
			worst = append(worst, fmt.Sprintf("%s (PSI %.2f)", d.Feature, d.PSI))
		}
		log.Warn("inputs drifted from the training data", "inputs", len(drifted), "psi_above", limit, "age_psi_above", ageLimit, "worst", strings.Join(worst, ", "))
	}
	if len(beyond) > 0 {
		return &DriftError{Limit: cfg.DriftLimit, Inputs: beyond}
	}
	return nil
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

// WriteText writes the summary for people: leads per grade with the mean
// probability, per queue and per first-touch channel, and the churn count
// when the rfm stage ran. Drift is in the log and in the summary file.
func (sum Summary) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "GRADE\tLEADS\tMEAN PROBABILITY")
	for _, g := range slices.Sorted(maps.Keys(sum.PerGrade)) {
		fmt.Fprintf(tw, "%s\t%d\t%.3f\n", g, sum.PerGrade[g], sum.MeanProbability[g])
	}
	fmt.Fprintln(tw, "\nQUEUE\tLEADS\t")
	for _, q := range slices.Sorted(maps.Keys(sum.PerQueue)) {
		fmt.Fprintf(tw, "%s\t%d\t\n", q, sum.PerQueue[q])
	}
	if len(sum.Channels) > 0 {
		fmt.Fprintln(tw, "\nFIRST-TOUCH CHANNEL\tLEADS\tMEAN SCORE")
		for _, c := range sum.Channels {
			fmt.Fprintf(tw, "%s\t%d\t%.1f\n", c.Channel, c.Leads, c.MeanScore)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if sum.RulesOnly {
		fmt.Fprintln(w, "the model is no better than chance: scores are rule points alone")
	}
	if sum.Customers {
		fmt.Fprintf(w, "%d flagged at churn risk\n", sum.ChurnRisk)
	}
	return nil
}

// WriteTop writes the first n leads as a table, with each lead's strongest
// reason.
func WriteTop(w io.Writer, ranked []Ranked, n int) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RANK\tENTITY\tSCORE\tGRADE\tQUEUE\tPROBABILITY\tRULES\tTOP REASON")
	for _, r := range ranked[:min(n, len(ranked))] {
		reason, _, _ := strings.Cut(r.Reasons, "; ")
		if len(reason) > 70 {
			reason = reason[:67] + "..."
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%.3f\t%+g\t%s\n", r.Rank, r.EntityID, r.Score, r.Grade, r.Queue, r.Probability, r.RulePoints, reason)
	}
	return tw.Flush()
}

// isAge reports whether an input measures time since an event (or a
// date's age before the time column timeCol, features.AddDateAges): such
// inputs grow with the calendar.
func isAge(f *Feature, timeCol string) bool {
	if f == nil {
		return false
	}
	if _, ok := features.DateOfAge(f.Name, timeCol); ok {
		return true
	}
	return f.Desc != nil && (f.Desc.Agg == features.AggTenure || f.Desc.Agg == features.AggDaysSince)
}

// StaleError reports events that stopped long before the as-of date: the
// feed may be broken, and a call list from them would be old news.
type StaleError struct {
	Newest, AsOf time.Time
	Limit        int
}

func (e *StaleError) Error() string {
	if e.Newest.IsZero() {
		return fmt.Sprintf("no event falls before the as-of date %s (stale_limit_days %d): is the events feed still running?", e.AsOf.Format(time.DateOnly), e.Limit)
	}
	return fmt.Sprintf("the newest event is from %s, %.0f days before the as-of date %s (stale_limit_days %d): is the events feed still running?",
		e.Newest.Format(time.RFC3339), e.AsOf.Sub(e.Newest).Hours()/24, e.AsOf.Format(time.DateOnly), e.Limit)
}

// checkFreshness compares an as-of table's newest event with its date:
// a warning past Config.StaleAfterDays, a *StaleError past StaleLimitDays.
// A table without events is older than any limit.
func checkFreshness(t *features.Table, sum *Summary, cfg *Config, log *slog.Logger) error {
	asOf, err1 := time.Parse(time.RFC3339, t.Meta[features.MetaAsOf])
	text, ok := t.Meta[features.MetaNewestEvent]
	if err1 != nil || !ok { // a table written before the key
		return nil
	}
	if text == "" {
		if cfg.StaleLimitDays > 0 {
			return &StaleError{AsOf: asOf, Limit: cfg.StaleLimitDays}
		}
		sum.NoEvents = true
		log.Warn("no event falls before the as-of date: is the events feed still running?", "as_of", asOf.Format(time.DateOnly))
		return nil
	}
	newest, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		return nil
	}
	days := asOf.Sub(newest).Hours() / 24
	if cfg.StaleLimitDays > 0 && days > float64(cfg.StaleLimitDays) {
		return &StaleError{Newest: newest, AsOf: asOf, Limit: cfg.StaleLimitDays}
	}
	after := cfg.StaleAfterDays
	if after == 0 {
		after = 3
	}
	if days > float64(after) {
		sum.StaleDays = math.Round(days*10) / 10
		log.Warn("the newest event is old: is the events feed still running?", "newest_event", newest.Format(time.RFC3339), "days_before_as_of", sum.StaleDays)
	}
	return nil
}

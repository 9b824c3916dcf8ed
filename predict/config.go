package predict

import (
	"fmt"
	"io"
	"log/slog"
	"maps"
	"runtime"
	"slices"
	"strings"

	"leadscore/features"
)

// Grade maps a minimum score to a grade and the queue (team) that works it.
type Grade struct {
	Name     string `yaml:"name"`
	MinScore int    `yaml:"min_score"`
	// Capacity, when set on the grades, grades by rank instead of score:
	// the first Capacity leads get the first grade, the next ones the
	// second, and the last grade takes the rest ("A = the top 50").
	Capacity int `yaml:"capacity"`
	// Share, when set on the grades, grades by rank as a share of the
	// list: the first grade takes the top Share of the leads, and so on
	// ("A = the top 1%").
	Share float64 `yaml:"share"`
	Queue string  `yaml:"queue"`
}

// Rep is a seller in a queue. Weight sets the rep's share of the queue's
// new leads (a rep of weight 2 gets twice as many as one of weight 1; 0
// means 1); MaxLeads, when positive, caps the leads the rep holds in one
// run: leads beyond every rep's cap stay in the queue without an owner.
type Rep struct {
	Name     string `yaml:"name"`
	Weight   int    `yaml:"weight"`
	MaxLeads int    `yaml:"max_leads"`
}

// weight is the rep's round-robin weight.
func (r Rep) weight() int {
	if r.Weight <= 0 {
		return 1
	}
	return r.Weight
}

// QueueRule routes leads to a queue other than their grade's: the first
// rule whose grades include the lead's (any, when empty) and whose
// conditions hold takes it.
type QueueRule struct {
	Name   string              `yaml:"name"`
	Grades []string            `yaml:"grades"`
	When   features.Conditions `yaml:"when"`
}

// RecordQueue is where leads below Config.MinDataQuality go: their record
// needs completing before a seller calls.
const RecordQueue = "complete-the-record"

// DefaultGrades follow the source articles: the best sellers take the top
// group, consultants the middle groups, marketing nurtures the rest. They
// grade the score, a probability in percent, which suits a model of open
// deals (is this deal won?); a conversion model's probabilities (will this
// contact open a won deal soon?) are small, and its leads are graded by
// their share of the list (DefaultShareGrades).
func DefaultGrades() []Grade {
	return []Grade{
		{Name: "A", MinScore: 75, Queue: "top-sellers"},
		{Name: "B", MinScore: 50, Queue: "consultants"},
		{Name: "C", MinScore: 25, Queue: "consultants"},
		{Name: "D", MinScore: 0, Queue: "marketing-nurture"},
	}
}

// DefaultShareGrades grade a conversion model's list by rank: A the top
// 1%, B the next 4%, C the next 15%, D the rest.
func DefaultShareGrades() []Grade {
	return []Grade{
		{Name: "A", Share: 0.01, Queue: "top-sellers"},
		{Name: "B", Share: 0.04, Queue: "consultants"},
		{Name: "C", Share: 0.15, Queue: "consultants"},
		{Name: "D", Queue: "marketing-nurture"},
	}
}

// Config configures Score. The zero value of each field means its default.
type Config struct {
	// ModelWeight is the model's share of the blended score, in [0, 1];
	// nil means the weight the model chose (Model.Blend), else 0.7. The
	// rules get the rest.
	ModelWeight *float64 `yaml:"model_weight"`
	// AllowWeakModel scores with a model marked no better than chance
	// instead of falling back on rule points (or failing without them);
	// the verdict is written into every output (Summary.Verdict).
	AllowWeakModel bool `yaml:"allow_weak_model"`
	// Keep names columns carried into the call list (a lead's name,
	// company, phone): from the scored table, else from KeepFrom (an
	// entities table, by entity_id). A column that kept its CSV cells
	// (features.Column.Written, as the CLI reads kept columns) is carried
	// as written, any other as its values' text.
	Keep     []string        `yaml:"keep"`
	KeepFrom *features.Table `yaml:"-"`
	// RulesMax is what rule_points is divided by to get a rule score; 0
	// takes the feature table's leadscore.rules_max_total metadata.
	RulesMax float64 `yaml:"rules_max"`
	// Grades, from the highest MinScore down; nil means DefaultGrades. The
	// last grade should have MinScore 0.
	Grades []Grade `yaml:"grades"`
	// Suppress leaves out of the call list the leads matching any of its
	// condition lists (unsubscribed, do not call), counted per list in
	// the summary; IncludeSuppressed lists them after the others, graded
	// "suppressed", without an owner.
	Suppress          []features.Conditions `yaml:"suppress"`
	IncludeSuppressed bool                  `yaml:"include_suppressed"`
	// Queues route leads by rule, first match wins; a lead no rule takes
	// goes to its grade's queue.
	Queues []QueueRule `yaml:"queues"`
	// MinDataQuality sends leads whose data_quality is below it to
	// RecordQueue instead of a seller (0: never).
	MinDataQuality float64 `yaml:"min_data_quality"`
	// Previous is the previous run's call list: a lead keeps its owner
	// while it stays in a queue the owner serves and the owner has room,
	// and the list shows what changed (previous score, grade, change).
	Previous []Ranked `yaml:"-"`
	// PreviousTable is the previous run's scoring table: a lead whose score
	// dropped much names the inputs that moved (their values then and now).
	PreviousTable *features.Table `yaml:"-"`
	// Reasons is the number of positive and of negative contributions named
	// per lead, at most MaxReasons; 0 means 3.
	Reasons int `yaml:"reasons"`
	// Customers, from the rfm stage, fills the churn columns; entities not
	// in it get nulls. CustomersFrom names the file they came from (the
	// orders or rfm.parquet), for errors.
	Customers     map[string]Customer `yaml:"-"`
	CustomersFrom string              `yaml:"-"`
	// DriftPSI is the population stability index above which an input is
	// reported as drifted; 0 means 0.2.
	DriftPSI float64 `yaml:"drift_psi"`
	// DriftPSIAge is the warning threshold for inputs that measure time
	// since an event (tenure, days since the last event of a type): they
	// grow with the calendar as contacts age, and a model is trained on
	// snapshots a horizon before today. 0 means 1.0.
	DriftPSIAge float64 `yaml:"drift_psi_age"`
	// DriftLimit, when positive, is a hard limit: an input whose PSI is
	// above it fails the run with a *DriftError.
	DriftLimit float64 `yaml:"drift_limit"`
	// StaleAfterDays: a warning when the newest event is more than this
	// many days before the as-of date (the feed may have stopped); 0
	// means 3. StaleLimitDays, when positive, fails the run instead
	// (a *StaleError) beyond that many days.
	StaleAfterDays int `yaml:"stale_after_days"`
	StaleLimitDays int `yaml:"stale_limit_days"`
	// Reps assigns each queue's leads to named sellers, best leads first,
	// by smooth weighted round-robin: deterministic for a run. A queue
	// without reps leaves owner empty.
	Reps map[string][]Rep `yaml:"reps"`
	// ChannelColumn is the first-touch channel column for the summary's
	// per-channel report; "" means lead_source when the table has it.
	ChannelColumn string `yaml:"channel_column"`
	// ExplainTop, when positive, explains only the ExplainTop best leads: every
	// row is scored and ranked, and the reasons of the others stay empty.
	// For a call list cut to its top N (predict --top), where explaining
	// a tree model is the costly part.
	ExplainTop int `yaml:"-"`
	// Workers bounds the goroutines that score and explain; 0 means one
	// per processor. The output does not depend on it.
	Workers int `yaml:"-"`
	// Logger receives one summary line; nil discards.
	Logger *slog.Logger `yaml:"-"`
}

func (c *Config) workers() int {
	if c.Workers > 0 {
		return c.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// Bounds on the scoring settings.
const (
	MaxReasons  = 20
	maxGrades   = 100
	maxReps     = 1000
	maxCapacity = 1_000_000_000
	maxPSI      = 100
)

// Validate checks the configuration. The error is a *features.FieldError
// naming the bad setting as predict.yaml spells it.
func (c *Config) Validate() error {
	if w := c.ModelWeight; w != nil && !(*w >= 0 && *w <= 1) {
		return features.FieldErrorf("model_weight", "must be in [0, 1], got %g", *w)
	}
	if !(c.RulesMax >= 0 && c.RulesMax <= features.MaxMagnitude) {
		return features.FieldErrorf("rules_max", "must be 0 (from the rules) or a positive number up to 1e15, got %g", c.RulesMax)
	}
	if c.Reasons < 0 || c.Reasons > MaxReasons {
		return features.FieldErrorf("reasons", "must be from 0 (the default, 3) to %d, got %d", MaxReasons, c.Reasons)
	}
	if !(c.DriftPSI >= 0 && c.DriftPSI <= maxPSI) {
		return features.FieldErrorf("drift_psi", "must be from 0 (the default, 0.2) to %d, got %g", maxPSI, c.DriftPSI)
	}
	if !(c.DriftPSIAge >= 0 && c.DriftPSIAge <= maxPSI) {
		return features.FieldErrorf("drift_psi_age", "must be from 0 (the default, 1.0) to %d, got %g", maxPSI, c.DriftPSIAge)
	}
	if c.StaleAfterDays < 0 || c.StaleAfterDays > features.MaxWindowDays || c.StaleLimitDays < 0 || c.StaleLimitDays > features.MaxWindowDays {
		return features.FieldErrorf("stale_after_days", "stale_after_days and stale_limit_days must be from 0 to %d", features.MaxWindowDays)
	}
	if !(c.DriftLimit >= 0 && c.DriftLimit <= maxPSI) {
		return features.FieldErrorf("drift_limit", "must be from 0 (no limit) to %d, got %g", maxPSI, c.DriftLimit)
	}
	if len(c.Grades) > maxGrades {
		return features.FieldErrorf("grades", "%d grades, at most %d", len(c.Grades), maxGrades)
	}
	capacity := len(c.Grades) > 0 && c.Grades[0].Capacity > 0
	share := len(c.Grades) > 0 && c.Grades[0].Share > 0
	names := map[string]bool{}
	total := 0.0
	for i, g := range c.Grades {
		at := func(key string) string { return fmt.Sprintf("grades[%d].%s", i, key) }
		switch {
		case g.Name == "":
			return features.FieldErrorf(at("name"), "a grade needs a name")
		case names[g.Name]:
			return features.FieldErrorf(at("name"), "grade %q is listed twice", g.Name)
		case g.MinScore < 0 || g.MinScore > 100:
			return features.FieldErrorf(at("min_score"), "must be from 0 to 100, got %d", g.MinScore)
		case g.Capacity < 0 || g.Capacity > maxCapacity:
			return features.FieldErrorf(at("capacity"), "must be from 0 to %d, got %d", maxCapacity, g.Capacity)
		case capacity && g.Capacity == 0 && i < len(c.Grades)-1:
			return features.FieldErrorf(at("capacity"), "capacity grading needs a positive capacity on every grade but the last (%s)", g.Name)
		case !capacity && g.Capacity > 0:
			return features.FieldErrorf(at("capacity"), "give capacities from the first grade on, or none")
		case !(g.Share >= 0 && g.Share <= 1):
			return features.FieldErrorf(at("share"), "must be from 0 to 1, got %g", g.Share)
		case share && g.Share == 0 && i < len(c.Grades)-1:
			return features.FieldErrorf(at("share"), "share grading needs a positive share on every grade but the last (%s)", g.Name)
		case !share && g.Share > 0:
			return features.FieldErrorf(at("share"), "give shares from the first grade on, or none")
		case share && (g.Capacity > 0 || g.MinScore > 0):
			return features.FieldErrorf(at("share"), "grade by share, by capacity or by min_score, one of them")
		case !capacity && !share && i > 0 && g.MinScore >= c.Grades[i-1].MinScore:
			return features.FieldErrorf(at("min_score"), "grades must be ordered by min_score, highest first")
		}
		names[g.Name] = true
		if total += g.Share; total > 1+1e-9 {
			return features.FieldErrorf(at("share"), "the shares add up to more than 1")
		}
	}
	if !(c.MinDataQuality >= 0 && c.MinDataQuality <= 1) {
		return features.FieldErrorf("min_data_quality", "must be from 0 to 1, got %g", c.MinDataQuality)
	}
	for i, q := range c.Queues {
		if q.Name == "" {
			return features.FieldErrorf(fmt.Sprintf("queues[%d].name", i), "a queue rule needs the queue's name")
		}
		for _, g := range q.Grades {
			if !names[g] && len(c.Grades) > 0 {
				return features.FieldErrorf(fmt.Sprintf("queues[%d].grades", i), "no grade %q in grades", g)
			}
		}
	}
	for q, reps := range c.Reps {
		if len(reps) > maxReps {
			return features.FieldErrorf("reps."+q, "%d reps, at most %d", len(reps), maxReps)
		}
		seen := map[string]bool{}
		for i, r := range reps {
			at := fmt.Sprintf("reps.%s[%d]", q, i)
			switch {
			case r.Name == "":
				return features.FieldErrorf(at+".name", "every rep needs a name")
			case seen[r.Name]:
				return features.FieldErrorf(at+".name", "rep %q is listed twice in queue %s", r.Name, q)
			case r.Weight < 0 || r.Weight > 1_000_000:
				return features.FieldErrorf(at+".weight", "must be a whole number from 1 to 1000000, got %d", r.Weight)
			case r.MaxLeads < 0 || r.MaxLeads > maxCapacity:
				return features.FieldErrorf(at+".max_leads", "must be 0 (no cap) or a whole number up to %d, got %d", maxCapacity, r.MaxLeads)
			}
			seen[r.Name] = true
		}
	}
	// Reps of a queue no lead goes to would never be dealt a lead.
	grades := c.Grades
	if grades == nil {
		grades = DefaultGrades() // DefaultShareGrades route to the same queues
	}
	queues := []string{RecordQueue}
	for _, g := range grades {
		queues = append(queues, g.Queue)
	}
	for _, q := range c.Queues {
		queues = append(queues, q.Name)
	}
	slices.Sort(queues)
	queues = slices.Compact(queues)
	for _, q := range slices.Sorted(maps.Keys(c.Reps)) {
		if !slices.Contains(queues, q) {
			return features.FieldErrorf("reps."+q, "no queue %q: leads go to %s", q, strings.Join(slices.DeleteFunc(queues, func(s string) bool { return s == "" }), ", "))
		}
	}
	return nil
}

// ParseConfig reads scoring settings from YAML (predict.yaml):
//
//	model_weight: 0.7          # the model's share; rules get the rest (default: the model's choice)
//	grades:                    # by score thresholds, highest first …
//	  - {name: A, min_score: 75, queue: top-sellers}
//	  - {name: B, min_score: 50, queue: consultants}
//	  - {name: C, min_score: 25, queue: consultants}
//	  - {name: D, min_score: 0, queue: marketing-nurture}
//	# … or by capacity: {name: A, capacity: 50, queue: top-sellers}, …
//	# … or by share of the list: {name: A, share: 0.01, queue: top-sellers}, …
//	# (default: by score, or by share 1%, 4%, 15%, rest for a conversion model)
//	suppress:                  # leads left out (each list: all of it must hold)
//	  - [{field: unsubscribe_count_365d, op: ">", value: 0}]
//	  - [{field: do_not_call, op: "=", value: "true"}]
//	include_suppressed: false  # true: list them last, graded "suppressed"
//	queues:                    # routing rules, first match wins; else the grade's queue
//	  - {name: enterprise, grades: [A, B], when: [{field: employees, op: ">=", value: 250}]}
//	min_data_quality: 0.5      # below it: the complete-the-record queue, no seller
//	reps:                      # sellers per queue: share by weight, max_leads a hard cap per run
//	  top-sellers: [{name: Anna, weight: 2, max_leads: 40}, {name: Ben, max_leads: 25}]
//	keep: [name, company]      # CRM columns carried into the call list
//	allow_weak_model: false    # true: score with a model no better than chance, saying so
//	drift_psi: 0.2             # warn above this PSI
//	drift_psi_age: 1.0         # … for tenure and days-since inputs, which age with the calendar
//	stale_after_days: 3        # warn when the newest event is older than this
//	stale_limit_days: 0        # fail beyond this many days; 0 = never
//	drift_limit: 1.0           # fail the run above this PSI; 0 = never
//	channel_column: lead_source
//
// Decoding is strict (unknown keys are errors) and the result is validated;
// the error is a *features.ConfigError with the line.
func ParseConfig(r io.Reader, name string) (Config, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return Config{}, err
	}
	var c Config
	if err := features.DecodeConfig(data, name, &c, c.Validate); err != nil {
		return Config{}, err
	}
	return c, nil
}

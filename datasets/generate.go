package datasets

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"golang.org/x/sync/errgroup"
	"gonum.org/v1/gonum/integrate"
	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Config configures Generate. The zero value of each field means its default.
type Config struct {
	// Entities is the number of contacts to generate. Required (> 0).
	Entities int
	// Seed makes the data reproducible: the same Config gives the same rows.
	Seed uint64
	// Start and End bound the simulated period; zero means 2023-01-01 and
	// 2025-01-01 (UTC). Nothing happens at or after End.
	Start, End time.Time
	// Dirty is the share of event and order rows given a realistic fault (a
	// bad or impossible date, a non-numeric value, a missing id, a duplicate
	// row, a timestamp in the future). 0 means clean data.
	Dirty float64
	// Workers bounds parallel generation; 0 means 2. The output does not
	// depend on it.
	Workers int
	// Logger receives a summary line; nil discards.
	Logger *slog.Logger
	// Progress, when set, is called after each window of blocks with the
	// number of entities generated so far.
	Progress func(entities int64)
}

// Validate checks the configuration and names the bad field.
func (c *Config) Validate() error {
	if c.Entities <= 0 {
		return fmt.Errorf("datasets: Config.Entities must be positive, got %d", c.Entities)
	}
	if c.Dirty < 0 || c.Dirty > 0.5 {
		return fmt.Errorf("datasets: Config.Dirty must be in [0, 0.5], got %g", c.Dirty)
	}
	s, e := c.period()
	if !e.After(s.AddDate(0, 3, 0)) {
		return fmt.Errorf("datasets: Config.End (%s) must be at least 3 months after Config.Start (%s)", e.Format(time.DateOnly), s.Format(time.DateOnly))
	}
	return nil
}

func (c *Config) period() (time.Time, time.Time) {
	s, e := c.Start, c.End
	if s.IsZero() {
		s = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if e.IsZero() {
		e = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return s.UTC(), e.UTC()
}

// Sink receives generated rows, entity by entity, in entity order. Rows of
// one entity arrive together; events and orders are sorted by time within an
// entity.
type Sink interface {
	Write(b *Batch) error
}

// Batch holds the rows of a block of consecutive entities.
type Batch struct {
	Events   []EventRow
	Entities []EntityRow
	Deals    []DealRow
	Orders   []OrderRow
	Truth    []TruthRow

	pTrue []float64 // true win probability per deal; never written
	dirty int64     // rows given a fault
}

// EventRow is a row of the events table. Text fields carry the raw value so
// that dirty rows (bad dates, non-numeric values) can be written to CSV.
type EventRow struct {
	EntityID  string
	TS        time.Time
	TSText    string // when set, written instead of TS (a dirty row)
	Type      string
	Value     float64
	HasValue  bool
	ValueText string // when set, written instead of Value (a dirty row)
	Channel   string
	Page      string // page_view: home, product, pricing, blog, case_study
	Justified string // complaint: "true" or "false"
}

// EntityRow is a contact with its account's firmographics. Missing values
// are empty strings or NaN, as in real CRMs.
type EntityRow struct {
	EntityID      string
	Industry      string
	Employees     float64 // NaN when missing
	AnnualRevenue float64 // NaN when missing
	Country       string
	Role          string
	DecisionMaker string  // "true", "false" or "" when the role is unknown
	Budget        float64 // NaN when not declared
	LeadSource    string
}

// DealRow is a deal that closed within the period.
type DealRow struct {
	DealID   string
	EntityID string
	TS       time.Time // opened: the cutoff for the deal's features
	Won      bool
	ClosedAt time.Time
	Amount   float64
}

// OrderRow is an order of a customer.
type OrderRow struct {
	EntityID string
	TS       time.Time
	TSText   string
	Amount   float64
	AmtText  string
}

// TruthRow is the ground truth of one entity.
type TruthRow struct {
	EntityID   string
	Fit        float64 // latent fit (log-odds scale)
	Intent     float64 // highest intent of its buying episodes, 0 if none
	Deals      int
	Customer   bool
	AliveAtEnd bool // a customer still buying at the end of the period
	ChurnedAt  time.Time
	PDealMean  float64 // mean true win probability of its deals, NaN if none
}

// Summary describes a generated data set.
type Summary struct {
	Seed     uint64    `json:"seed"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Entities int       `json:"entities"`
	Events   int64     `json:"events"`
	Deals    int       `json:"deals"`
	DealsWon int       `json:"deals_won"`
	Orders   int64     `json:"orders"`
	// Customers is the number of entities that won at least one deal;
	// AliveAtEnd of them are still buying at End.
	Customers  int `json:"customers"`
	AliveAtEnd int `json:"alive_at_end"`
	// DealAUCTrue is the ROC AUC of the true win probabilities on the deals:
	// the best AUC any model can expect on these outcomes.
	DealAUCTrue float64 `json:"deal_auc_true"`
	DirtyRows   int64   `json:"dirty_rows"`
	Version     int     `json:"generator_version"`
}

// GeneratorVersion changes whenever the same Config would produce different
// data.
const GeneratorVersion = 1

const entitiesPerBlock = 512

// Generate simulates a B2B company's CRM and streams it to sink, block by
// block: memory holds a few blocks of entities, never the whole event log.
//
// The model: each contact has a latent fit (from industry, company size, a
// decision-maker role, a declared budget, plus noise) and background
// marketing activity. Buying episodes, more frequent for better fit, raise
// activity (pricing-page views, webinars, downloads, RFQs) in the 45 days
// before a deal opens, in proportion to the episode's latent intent. A deal
// is won with probability σ(−1.3 + 0.9·fit + 1.4·(intent − 1)). Won deals
// make customers, who then buy by a BG/NBD process (Gamma purchase rates,
// Beta drop-out after each purchase, Gamma-Gamma spend) until they silently
// churn; their complaints and discounts follow their orders.
//
// Output is deterministic for a Config whatever Workers is: entity i draws
// from its own PCG stream (Seed, i).
func Generate(ctx context.Context, cfg Config, sink Sink) (Summary, error) {
	if err := cfg.Validate(); err != nil {
		return Summary{}, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	start, end := cfg.period()
	workers := cfg.Workers
	if workers <= 0 {
		workers = 2
	}
	sum := Summary{Seed: cfg.Seed, Start: start, End: end, Entities: cfg.Entities, Version: GeneratorVersion}
	nBlocks := (cfg.Entities + entitiesPerBlock - 1) / entitiesPerBlock
	width := len(fmt.Sprint(cfg.Entities - 1))
	if width < 5 {
		width = 5
	}
	var probs []float64
	var outcomes []bool

	// Blocks are generated in parallel, in windows of 2×workers, and written
	// in order.
	window := 2 * workers
	for lo := 0; lo < nBlocks; lo += window {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		hi := min(lo+window, nBlocks)
		batches := make([]*Batch, hi-lo)
		g, _ := errgroup.WithContext(ctx)
		g.SetLimit(workers)
		for b := lo; b < hi; b++ {
			g.Go(func() error {
				batches[b-lo] = genBlock(&cfg, b, width, start, end)
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return sum, err
		}
		for _, bt := range batches {
			if err := sink.Write(bt); err != nil {
				return sum, err
			}
			sum.Events += int64(len(bt.Events))
			sum.Orders += int64(len(bt.Orders))
			sum.Deals += len(bt.Deals)
			for _, d := range bt.Deals {
				if d.Won {
					sum.DealsWon++
				}
			}
			for _, t := range bt.Truth {
				if t.Customer {
					sum.Customers++
					if t.AliveAtEnd {
						sum.AliveAtEnd++
					}
				}
			}
			sum.DirtyRows += bt.dirty
			probs = append(probs, bt.pTrue...)
			for _, d := range bt.Deals {
				outcomes = append(outcomes, d.Won)
			}
		}
		if cfg.Progress != nil {
			cfg.Progress(int64(min(hi*entitiesPerBlock, cfg.Entities)))
		}
	}
	sum.DealAUCTrue = aucOf(probs, outcomes)
	log.Info("generated", "entities", sum.Entities, "events", sum.Events, "deals", sum.Deals, "deals_won", sum.DealsWon,
		"orders", sum.Orders, "customers", sum.Customers, "deal_auc_true", sum.DealAUCTrue)
	return sum, nil
}

// aucOf returns the ROC AUC of scores against outcomes (ties count one half),
// via gonum's ROC curve.
func aucOf(scores []float64, won []bool) float64 {
	if len(scores) == 0 {
		return math.NaN()
	}
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	s := make([]float64, len(idx))
	c := make([]bool, len(idx))
	for j, i := range idx {
		s[j], c[j] = scores[i], won[i]
	}
	tpr, fpr, _ := stat.ROC(nil, s, c, nil)
	return integrate.Trapezoidal(fpr, tpr)
}

// ---- the simulation ----

var (
	industries       = []string{"software", "manufacturing", "retail", "finance", "healthcare", "education", "logistics", "construction"}
	industryWeights  = []float64{0.18, 0.17, 0.15, 0.10, 0.10, 0.10, 0.10, 0.10}
	industryEffect   = []float64{1.0, 0.3, -0.2, 0.6, 0.2, -0.6, 0.0, -0.3}
	countries        = []string{"PL", "DE", "GB", "FR", "US", "NL", "CZ", "ES", "IT", "SE"}
	countryWeights   = []float64{0.30, 0.15, 0.10, 0.08, 0.08, 0.07, 0.07, 0.05, 0.05, 0.05}
	roles            = []string{"owner", "ceo", "director", "manager", "specialist", "student"}
	roleWeights      = []float64{0.10, 0.07, 0.15, 0.28, 0.32, 0.08}
	sources          = []string{"organic", "paid_search", "email", "social", "referral", "event", "partner"}
	sourceWeights    = []float64{0.25, 0.22, 0.12, 0.15, 0.10, 0.08, 0.08}
	sourceEffect     = []float64{0.1, 0.0, -0.1, -0.3, 0.5, 0.3, 0.4}
	bgTypes          = []string{"page_view", "email_open", "email_click", "form_submit", "webinar", "catalog_download"}
	bgWeights        = []float64{0.50, 0.30, 0.10, 0.03, 0.03, 0.04}
	burstTypes       = []string{"page_view", "email_click", "form_submit", "webinar", "catalog_download", "rfq"}
	burstWeights     = []float64{0.45, 0.14, 0.10, 0.10, 0.09, 0.12}
	pages            = []string{"home", "product", "blog", "case_study", "pricing"}
	bgPageWeights    = []float64{0.35, 0.30, 0.25, 0.05, 0.05}
	burstPageWeights = []float64{0.10, 0.25, 0.05, 0.10, 0.50}
)

func pick(r *rand.Rand, items []string, w []float64) int {
	u := r.Float64()
	for i, p := range w {
		if u < p {
			return i
		}
		u -= p
	}
	return len(items) - 1
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

type entitySim struct {
	r     *rand.Rand
	src   rand.Source
	id    string
	start time.Time
	end   time.Time
	b     *Batch
	dirty float64
}

func genBlock(cfg *Config, block, width int, start, end time.Time) *Batch {
	b := &Batch{}
	lo := block * entitiesPerBlock
	hi := min(lo+entitiesPerBlock, cfg.Entities)
	for i := lo; i < hi; i++ {
		src := rand.NewPCG(cfg.Seed, uint64(i))
		s := &entitySim{r: rand.New(src), src: src, id: fmt.Sprintf("E%0*d", width, i), start: start, end: end, b: b, dirty: cfg.Dirty}
		s.run()
	}
	return b
}

func (s *entitySim) at(t float64) time.Time {
	// t is in days since start; events land on whole seconds.
	return s.start.Add(time.Duration(math.Floor(t*86400)) * time.Second)
}

func (s *entitySim) days() float64 { return s.end.Sub(s.start).Hours() / 24 }

func (s *entitySim) gamma(shape, rate float64) float64 {
	return distuv.Gamma{Alpha: shape, Beta: rate, Src: s.src}.Rand()
}

func (s *entitySim) poisson(mean float64) int {
	if mean <= 0 {
		return 0
	}
	return int(distuv.Poisson{Lambda: mean, Src: s.src}.Rand())
}

func (s *entitySim) run() {
	ent, fit, employees := s.profile()
	s.b.Entities = append(s.b.Entities, ent)
	horizon := s.days()
	// First touch: earlier contacts are more common (a growing database).
	arrive := horizon * (1 - math.Sqrt(s.r.Float64())) * 0.95
	evs := s.background(arrive, fit, ent.LeadSource)
	truth := TruthRow{EntityID: s.id, Fit: fit, PDealMean: math.NaN()}
	evs, orders, customerFrom := s.episodes(evs, &truth, arrive, fit, employees, ent.LeadSource)
	if customerFrom >= 0 {
		orders = s.repurchases(orders, &truth, customerFrom)
	}
	evs = s.afterOrders(evs, orders)
	s.emit(evs, orders, truth)
}

// profile draws the contact's firmographics and latent fit, and blanks
// what a CRM would be missing; it returns the true number of employees
// too, which deal sizes follow.
func (s *entitySim) profile() (EntityRow, float64, float64) {
	r := s.r
	// Profile.
	ind := pick(r, industries, industryWeights)
	logEmp := 3.2 + 1.4*r.NormFloat64()
	employees := math.Max(1, math.Round(math.Exp(logEmp)))
	revenue := employees * math.Exp(11.3+0.5*r.NormFloat64())
	role := pick(r, roles, roleWeights)
	dm := role <= 2
	budgetDeclared := r.Float64() < 0.25+0.25*b2f(dm)
	budget := math.NaN()
	if budgetDeclared {
		budget = math.Round(math.Exp(9.5+0.4*math.Log(employees)+0.5*r.NormFloat64())/100) * 100
	}
	src := pick(r, sources, sourceWeights)
	fit := 0.9*industryEffect[ind] + 0.5*(math.Log(employees)-3.2)/1.4 + 0.8*b2f(dm) + 0.4*b2f(budgetDeclared) +
		sourceEffect[src] + 0.5*r.NormFloat64()
	ent := EntityRow{EntityID: s.id, Industry: industries[ind], Employees: employees, AnnualRevenue: math.Round(revenue),
		Country: countries[pick(r, countries, countryWeights)], Role: roles[role], DecisionMaker: fmt.Sprint(dm),
		Budget: budget, LeadSource: sources[src]}
	// What the CRM is missing.
	if r.Float64() < 0.10 {
		ent.Employees = math.NaN()
	}
	if r.Float64() < 0.30 {
		ent.AnnualRevenue = math.NaN()
	}
	if r.Float64() < 0.08 {
		ent.Role, ent.DecisionMaker = "", ""
	}
	if r.Float64() < 0.05 {
		ent.Industry = ""
	}
	if r.Float64() < 0.04 {
		ent.Country = ""
	}
	return ent, fit, employees
}

// background draws marketing activity from first touch on: a heavy-tailed
// rate per contact, plus newsletter sign-ups and unsubscribes.
func (s *entitySim) background(arrive, fit float64, source string) []EventRow {
	r := s.r
	horizon := s.days()
	var evs []EventRow
	// Background activity: rate per 30 days, heavy-tailed across contacts.
	rate := s.gamma(1.2, 1.2/2.5) * math.Exp(0.15*fit)
	nBg := s.poisson(rate * (horizon - arrive) / 30)
	for range nBg {
		t := arrive + r.Float64()*(horizon-arrive)
		evs = append(evs, s.marketingEvent(t, bgTypes, bgWeights, bgPageWeights, source))
	}
	if r.Float64() < 0.30 {
		evs = append(evs, EventRow{Type: "newsletter_signup", TS: s.at(arrive + r.Float64()*math.Min(30, horizon-arrive)), Channel: "web"})
	}
	if r.Float64() < 0.06 {
		evs = append(evs, EventRow{Type: "unsubscribe", TS: s.at(arrive + r.Float64()*(horizon-arrive)), Channel: "email"})
	}
	return evs
}

// episodes draws buying episodes: a burst of activity before each deal
// opens, and the deal, won with the true probability; it returns the
// events, the orders of won deals and when the contact first became a
// customer (−1 if never).
func (s *entitySim) episodes(evs []EventRow, truth *TruthRow, arrive, fit, employees float64, source string) ([]EventRow, []OrderRow, float64) {
	r := s.r
	horizon := s.days()
	var orders []OrderRow
	// Buying episodes.
	nEp := s.poisson(0.25 + 0.45*sigmoid(fit))
	var customerFrom float64 = -1
	pSum := 0.0
	for range nEp {
		td := arrive + 20 + r.Float64()*(horizon-arrive-20)
		if td >= horizon {
			continue
		}
		intent := s.gamma(2, 2)
		truth.Intent = math.Max(truth.Intent, intent)
		nBurst := s.poisson(2 + 9*intent)
		for range nBurst {
			t := td - 45*math.Sqrt(r.Float64())
			if t < arrive {
				continue
			}
			evs = append(evs, s.marketingEvent(t, burstTypes, burstWeights, burstPageWeights, source))
		}
		closed := td + 10 + s.gamma(2, 2.0/40)
		if closed >= horizon {
			continue // still open at the end: no outcome yet
		}
		p := sigmoid(-1.3 + 0.9*fit + 1.4*(intent-1))
		won := r.Float64() < p
		amount := math.Round(math.Exp(8.6+0.3*math.Log(employees)+0.6*r.NormFloat64())/10) * 10
		s.b.Deals = append(s.b.Deals, DealRow{DealID: fmt.Sprintf("%s-D%d", s.id, truth.Deals+1), EntityID: s.id,
			TS: s.at(td), Won: won, ClosedAt: s.at(closed), Amount: amount})
		s.b.pTrue = append(s.b.pTrue, p)
		truth.Deals++
		pSum += p
		if won {
			orders = append(orders, OrderRow{TS: s.at(closed), Amount: amount})
			if customerFrom < 0 || closed < customerFrom {
				customerFrom = closed
			}
		}
	}
	if truth.Deals > 0 {
		truth.PDealMean = pSum / float64(truth.Deals)
	}
	return evs, orders, customerFrom
}

// repurchases draws a customer's later orders by BG/NBD until it drops
// out, and marks whether it is alive at the end.
func (s *entitySim) repurchases(orders []OrderRow, truth *TruthRow, customerFrom float64) []OrderRow {
	r := s.r
	horizon := s.days()
	truth.Customer = true
	lambda := s.gamma(0.9, 0.9*45) // purchases per day; mean one per 45 days
	pDrop := distuv.Beta{Alpha: 1.2, Beta: 6, Src: s.src}.Rand()
	nu := s.gamma(3, 3.0/1800) // spend scale; mean order about 7,000
	t := customerFrom
	alive := true
	for {
		if r.Float64() < pDrop {
			alive = false
			truth.ChurnedAt = s.at(t)
			break
		}
		t += r.ExpFloat64() / lambda
		if t >= horizon {
			break
		}
		amt := math.Round(s.gamma(4, 4/nu)*100) / 100
		orders = append(orders, OrderRow{TS: s.at(t), Amount: amt})
	}
	truth.AliveAtEnd = alive
	return orders
}

// afterOrders adds each order's event, the complaints and discounts that
// follow orders.
func (s *entitySim) afterOrders(evs []EventRow, orders []OrderRow) []EventRow {
	r := s.r
	for _, o := range orders {
		t := o.TS
		evs = append(evs, EventRow{Type: "order", TS: t, Value: o.Amount, HasValue: true, Channel: "sales"})
		if r.Float64() < 0.06 {
			just := "true"
			if r.Float64() < 0.4 {
				just = "false"
			}
			ct := t.Add(time.Duration(1+r.IntN(20*86400)) * time.Second)
			if ct.Before(s.end) {
				evs = append(evs, EventRow{Type: "complaint", TS: ct, Channel: "support", Justified: just})
			}
		}
		if r.Float64() < 0.10 {
			evs = append(evs, EventRow{Type: "discount", TS: t.Add(-time.Hour), Value: float64(5 + 5*r.IntN(7)), HasValue: true, Channel: "sales"})
		}
	}
	return evs
}

// emit sorts the contact's events and orders by time and adds them, with
// the truth, to the batch, spoiling some rows when the data set is dirty.
func (s *entitySim) emit(evs []EventRow, orders []OrderRow, truth TruthRow) {
	r := s.r
	truth.AliveAtEnd = truth.AliveAtEnd && truth.Customer
	s.b.Truth = append(s.b.Truth, truth)

	slices.SortStableFunc(evs, func(a, b EventRow) int { return a.TS.Compare(b.TS) })
	slices.SortStableFunc(orders, func(a, b OrderRow) int { return a.TS.Compare(b.TS) })
	for i := range evs {
		evs[i].EntityID = s.id
		s.b.Events = append(s.b.Events, evs[i])
		if s.dirty > 0 && r.Float64() < s.dirty {
			s.spoilEvent(&s.b.Events[len(s.b.Events)-1])
		}
	}
	for i := range orders {
		orders[i].EntityID = s.id
		s.b.Orders = append(s.b.Orders, orders[i])
		if s.dirty > 0 && r.Float64() < s.dirty {
			s.spoilOrder(&s.b.Orders[len(s.b.Orders)-1])
		}
	}
}

func (s *entitySim) marketingEvent(t float64, types []string, w, pageW []float64, source string) EventRow {
	r := s.r
	e := EventRow{TS: s.at(t), Type: types[pick(r, types, w)]}
	switch e.Type {
	case "page_view":
		e.Page = pages[pick(r, pages, pageW)]
		e.Channel = source
		if r.Float64() < 0.5 {
			e.Channel = "organic"
		}
	case "email_open", "email_click":
		e.Channel = "email"
	case "webinar":
		e.Channel = "event"
	default:
		e.Channel = "web"
	}
	return e
}

// spoilEvent injects one realistic fault into an event row.
func (s *entitySim) spoilEvent(e *EventRow) {
	s.b.dirty++
	switch s.r.IntN(5) {
	case 0: // impossible date
		e.TSText = e.TS.Format("2006-01") + "-31 25:61:00"
	case 1: // decimal comma
		if e.HasValue {
			e.ValueText = fmt.Sprintf("%d,%02d", int(e.Value), s.r.IntN(100))
		} else {
			e.TSText = e.TS.Format("02.01.2006 15:04")
		}
	case 2: // missing id
		e.EntityID = ""
	case 3: // duplicate row: the sink writes it twice
		dup := *e
		s.b.Events = append(s.b.Events, dup)
	default: // far future
		e.TS = e.TS.AddDate(75, 0, 0)
	}
}

func (s *entitySim) spoilOrder(o *OrderRow) {
	s.b.dirty++
	switch s.r.IntN(3) {
	case 0:
		o.TSText = o.TS.Format("2006-01") + "-32"
	case 1:
		o.AmtText = fmt.Sprintf("%d,%02d", int(o.Amount), s.r.IntN(100))
	default:
		o.EntityID = ""
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

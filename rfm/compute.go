package rfm

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"slices"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sync/errgroup"
	"gonum.org/v1/gonum/stat"

	"leadscore/features"
)

// Config configures Compute. The zero value of each optional field means
// its default.
type Config struct {
	// Orders is the orders table (entity_id, ts, amount), or, with
	// FromEvents, an events table whose OrderType events carry the amount
	// in value. Required.
	Orders     features.Source
	FromEvents bool
	// OrderType is the event type of orders with FromEvents; "" means order.
	OrderType string
	// AsOf uses orders with ts < AsOf and measures ages to AsOf.
	AsOf time.Time
	// ObservationEnd is the literature's convention (lifetimes'
	// observation_period_end): orders on or before that UTC date, ages
	// measured to its start. Exactly one of AsOf and ObservationEnd is set.
	ObservationEnd time.Time
	// Unit is the time unit of recency, tₓ, T and the model: "day", "week"
	// (7 days) or "month" (365.25/12 days); "" means week.
	Unit string
	// L2 is the BG/NBD penalty (see FitConfig).
	L2 float64
	// HorizonMonths is the CLV and expected-purchases horizon; 0 means 12.
	HorizonMonths int
	// MonthlyDiscount discounts CLV per month; nil means 0.01.
	MonthlyDiscount *float64
	// ChurnThreshold flags a repeat buyer whose P(alive) is below it; 0
	// means 0.5.
	ChurnThreshold float64
	// FallbackMultiple flags a one-time buyer silent for more than this
	// many typical gaps between purchases; 0 means 2.
	FallbackMultiple float64
	// Segments is the ordered first-match segment table; nil means
	// DefaultSegments.
	Segments []Segment
	// Previous maps entity → segment of an earlier run, for transitions.
	Previous map[string]string
	// BadRows is the bad-row policy; nil fails on the first bad row.
	BadRows *features.BadRows
	// Logger receives one line per stage; nil discards.
	Logger *slog.Logger
}

// unitDays returns the length of the time unit in days.
func (c *Config) unitDays() (float64, error) {
	switch c.Unit {
	case "", "week":
		return 7, nil
	case "day":
		return 1, nil
	case "month":
		return 365.25 / 12, nil
	}
	return 0, fmt.Errorf("rfm: Config.Unit %q: want day, week or month", c.Unit)
}

// CheckUnit checks a time unit's name: day, week or month ("" is week).
func CheckUnit(unit string) error {
	c := Config{Unit: unit}
	_, err := c.unitDays()
	return err
}

// Validate checks the configuration and names the bad field.
func (c *Config) Validate() error {
	if c.Orders.Path == "" {
		return errors.New("rfm: Config.Orders.Path is empty")
	}
	if c.AsOf.IsZero() == c.ObservationEnd.IsZero() {
		return errors.New("rfm: set exactly one of Config.AsOf and Config.ObservationEnd")
	}
	if _, err := c.unitDays(); err != nil {
		return err
	}
	for _, t := range []time.Time{c.AsOf, c.ObservationEnd} {
		if err := features.CheckTime(t); !t.IsZero() && err != nil {
			return fmt.Errorf("rfm: Config.AsOf/ObservationEnd: %w", err)
		}
	}
	if c.HorizonMonths < 0 || c.HorizonMonths > 1200 {
		return fmt.Errorf("rfm: Config.HorizonMonths must be in [0, 1200], got %d", c.HorizonMonths)
	}
	if !(c.ChurnThreshold >= 0 && c.ChurnThreshold <= 1) {
		return fmt.Errorf("rfm: Config.ChurnThreshold must be in [0, 1], got %g", c.ChurnThreshold)
	}
	if !(c.FallbackMultiple >= 0 && c.FallbackMultiple <= 1000) || !(c.L2 >= 0 && c.L2 <= 1e6) {
		return fmt.Errorf("rfm: Config.FallbackMultiple must be in [0, 1000] and L2 in [0, 1e6], got %g and %g", c.FallbackMultiple, c.L2)
	}
	if d := c.MonthlyDiscount; d != nil && !(*d >= 0 && *d < 1) {
		return fmt.Errorf("rfm: Config.MonthlyDiscount must be in [0, 1), got %g", *d)
	}
	for _, s := range c.Segments {
		if err := s.validate(); err != nil {
			return err
		}
	}
	return nil
}

// Customer is one row of rfm.parquet.
type Customer struct {
	EntityID string `parquet:"entity_id"`
	// Recency is the time since the last purchase, in the time unit.
	Recency float64 `parquet:"recency"`
	// Frequency is the number of purchase days (orders on one day count once).
	Frequency int32 `parquet:"frequency"`
	// Monetary is the mean spend per purchase day.
	Monetary float64 `parquet:"monetary"`
	// X, TX and T are the BG/NBD inputs: repeat purchases, time from first
	// to last purchase, time from first purchase to the end.
	X                 int32   `parquet:"x"`
	TX                float64 `parquet:"t_x"`
	T                 float64 `parquet:"t"`
	RScore            int32   `parquet:"r_score"`
	FScore            int32   `parquet:"f_score"`
	MScore            int32   `parquet:"m_score"`
	Segment           string  `parquet:"segment"`
	ValueTier         string  `parquet:"value_tier"`
	PAlive            float64 `parquet:"p_alive"`
	ExpectedPurchases float64 `parquet:"expected_purchases"`
	// CLV is the discounted expected spend over the horizon; null when the
	// spend model could not be fitted.
	CLV             *float64 `parquet:"clv,optional"`
	ChurnRisk       bool     `parquet:"churn_risk"`
	ChurnMethod     string   `parquet:"churn_method"`
	ChurnReason     string   `parquet:"churn_reason"`
	PreviousSegment *string  `parquet:"previous_segment,optional"`
}

// Model is what clv.json holds: the fitted parameters, the time unit and
// the data window.
type Model struct {
	R                         float64 `json:"r"`
	Alpha                     float64 `json:"alpha"`
	A                         float64 `json:"a"`
	B                         float64 `json:"b"`
	LogLikelihood             float64 `json:"log_likelihood"`
	P                         float64 `json:"p"`
	Q                         float64 `json:"q"`
	V                         float64 `json:"v"`
	GGLogLikelihood           float64 `json:"gamma_gamma_log_likelihood"`
	SpendFrequencyCorrelation float64 `json:"spend_frequency_correlation"`
	GammaGammaFitted          bool    `json:"gamma_gamma_fitted"`
	TimeUnit                  string  `json:"time_unit"`
	WindowStart               string  `json:"window_start"`
	WindowEnd                 string  `json:"window_end"`
	Convention                string  `json:"convention"`
	Customers                 int     `json:"customers"`
	RepeatBuyers              int     `json:"repeat_buyers"`
	HorizonMonths             int     `json:"horizon_months"`
	MonthlyDiscount           float64 `json:"monthly_discount"`
	TypicalGap                float64 `json:"typical_gap"` // median tₓ/x of repeat buyers, in the time unit
}

// Stats counts what Compute read and set aside.
type Stats struct {
	RowsRead    int `json:"rows_read"`
	Orders      int `json:"orders"`
	Returns     int `json:"returns"`      // negative (or missing) amounts: not purchases
	ZeroAmount  int `json:"zero_amount"`  // zero amounts: purchase occasions without spend
	AfterEnd    int `json:"after_end"`    // orders at or after the end, not used
	OtherEvents int `json:"other_events"` // FromEvents: events of other types
	Customers   int `json:"customers"`
	BadRows     int `json:"bad_rows"`

	otherTypes []string // FromEvents: the other types seen before the first order, for errors
}

// Result is the output of Compute.
type Result struct {
	Customers   []Customer
	Model       Model
	Stats       Stats
	Transitions map[[2]string]int // (previous, current) → customers, when Previous is set
}

// Compute reads orders, summarises each customer (memory grows by about
// 16 bytes an order, and the customer's id where the order before it in
// its part of the book is another's: see book), fits BG/NBD and Gamma-Gamma, and scores every customer:
// RFM quintile scores and segment, value tier, P(alive), expected purchases
// and CLV over the horizon, and churn risk. Orders on one UTC day count as
// one purchase of their summed amount, as in the literature. A negative
// amount is a return: it is not a purchase, and it is counted in Stats; a
// zero amount is a purchase occasion without spend (CDNOW has them). Orders
// at or after the end are counted and not used. Customers are returned
// sorted by entity_id.
func Compute(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	unit, _ := cfg.unitDays()
	start := time.Now()
	// end is the instant orders must precede; ages run to ageEnd (a day
	// number).
	end, convention := cfg.AsOf.UTC(), "as-of (orders before the date, ages to it)"
	if !cfg.ObservationEnd.IsZero() {
		d := cfg.ObservationEnd.UTC()
		end, convention = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, time.UTC), "observation end (orders on or before the date, ages to it)"
	}
	ageEnd := float64(end.Unix()) / 86400
	if !cfg.ObservationEnd.IsZero() {
		ageEnd -= 1 // ages are measured to the start of the observation-end date
	}
	bk, st, err := readOrders(ctx, &cfg, end)
	if err != nil {
		return nil, err
	}
	res, fit := bk.customers(unit, ageEnd)
	res.Stats = st
	res.Stats.Customers = len(res.Customers)
	if st.Orders+st.AfterEnd+st.Returns == 0 && st.OtherEvents > 0 {
		return nil, st.noOrderType(cfg)
	}
	if len(res.Customers) == 0 {
		return nil, fmt.Errorf("rfm: %s: no purchases before the end of the observation (%d orders after it, %d returns)", cfg.Orders.Path, st.AfterEnd, st.Returns)
	}
	m := Model{TimeUnit: unitName(cfg.Unit), Convention: convention, Customers: len(res.Customers), RepeatBuyers: len(fit.gaps),
		WindowStart: time.Unix(int64(fit.firstDay)*86400, 0).UTC().Format(time.DateOnly),
		WindowEnd:   time.Unix(int64(ageEnd*86400), 0).UTC().Format(time.DateOnly)}
	bg, err := FitBGNBD(ctx, fit.sums, FitConfig{L2: cfg.L2})
	if err != nil {
		return nil, err
	}
	m.R, m.Alpha, m.A, m.B, m.LogLikelihood = bg.R, bg.Alpha, bg.A, bg.B, bg.LogLikelihood
	gg, ggErr := FitGammaGamma(ctx, fit.spend)
	if ggErr != nil {
		log.Warn("Gamma-Gamma not fitted: CLV is left empty", "reason", ggErr)
	} else {
		m.P, m.Q, m.V, m.GGLogLikelihood, m.GammaGammaFitted = gg.P, gg.Q, gg.V, gg.LogLikelihood, true
		m.SpendFrequencyCorrelation = gg.SpendFrequencyCorrelation
		if math.Abs(gg.SpendFrequencyCorrelation) > 0.3 {
			log.Warn("spend correlates with purchase frequency; Gamma-Gamma assumes it does not, so CLV is biased",
				"correlation", gg.SpendFrequencyCorrelation)
		}
	}
	if len(fit.gaps) > 0 {
		slices.Sort(fit.gaps)
		m.TypicalGap = stat.Quantile(0.5, stat.Empirical, fit.gaps, nil)
	}
	var fitted *GammaGamma
	if ggErr == nil {
		fitted = &gg
	}
	scoreCustomers(res.Customers, fit, bg, fitted, &m, &cfg, unit)
	scoreRFM(res.Customers)
	segs := cfg.Segments
	if segs == nil {
		segs = DefaultSegments()
	}
	assignSegments(res.Customers, segs)
	valueTiers(res.Customers)
	res.Transitions = transitions(res.Customers, cfg.Previous)
	res.Model = m
	log.Info("rfm computed", "rows_read", st.RowsRead, "orders", st.Orders, "returns", st.Returns, "zero_amount", st.ZeroAmount, "after_end", st.AfterEnd,
		"customers", len(res.Customers), "repeat_buyers", len(fit.gaps), "r", bg.R, "alpha", bg.Alpha, "a", bg.A, "b", bg.B,
		"log_likelihood", bg.LogLikelihood, "duration", time.Since(start).Round(time.Millisecond))
	return res, nil
}

// book is the orders read, kept in bookParts parts by a hash of the
// customer id, each part's in file order: the id (once for a run of one
// customer's orders), the UTC day and the amount. An order log appended
// in time order names a random customer at every order; looking each up
// in one table of every customer cost a few cache misses an order, while
// a part's customers (see gather) fit in a table that stays in cache.
type book struct {
	parts [bookParts]orderPart
}

const bookParts = 256

// orderPart is a part of the book. Its orders are kept in chunks of
// chunkOrders, so that growing never copies them.
type orderPart struct {
	ids    []byte // the ids, end to end, each after its length (a uvarint)
	chunks []*orderChunk
	n      int    // orders
	lastAt uint32 // where the last order's id is, which the next may share
}

const chunkOrders = 4096

type orderChunk struct {
	orders  [chunkOrders]order
	amounts [chunkOrders]float64
}

type order struct {
	at  uint32 // the id is at ids[at:] (see idAt)
	day int32
}

// idAt returns the id stored at ids[at:].
func (p *orderPart) idAt(at uint32) []byte {
	n, k := binary.Uvarint(p.ids[at:])
	return p.ids[at+uint32(k) : at+uint32(k)+uint32(n)]
}

// add keeps an order of customer id.
func (bk *book) add(id string, day int32, amount float64) {
	h := uint32(2166136261) // FNV-1a
	for i := 0; i < len(id); i++ {
		h = (h ^ uint32(id[i])) * 16777619
	}
	p := &bk.parts[h%bookParts]
	if p.n == 0 || string(p.idAt(p.lastAt)) != id {
		p.lastAt = uint32(len(p.ids))
		p.ids = binary.AppendUvarint(p.ids, uint64(len(id)))
		p.ids = append(p.ids, id...)
	}
	i := p.n % chunkOrders
	if i == 0 {
		p.chunks = append(p.chunks, new(orderChunk))
	}
	c := p.chunks[len(p.chunks)-1]
	c.orders[i], c.amounts[i] = order{p.lastAt, day}, amount
	p.n++
}

// each calls fn on the part's orders in file order.
func (p *orderPart) each(fn func(i int, o order, amount float64)) {
	for ci, c := range p.chunks {
		for j := range min(chunkOrders, p.n-ci*chunkOrders) {
			fn(ci*chunkOrders+j, c.orders[j], c.amounts[j])
		}
	}
}

// account is a customer's orders: the purchase days seen (4 bytes each:
// unsorted input must remember them to count distinct days), the first
// day with its amount, and the total.
type account struct {
	name     string
	days     []int32
	first    int32
	firstAmt float64
	total    float64
}

// gather returns the accounts of the customers of part p, adding each
// customer's orders in file order. Their days share one slice, and their
// names one block: the part's ids, one per order of a time-ordered log,
// can then go.
func (p *orderPart) gather() []account {
	local := make(map[string]int32)
	ks := make([]int32, p.n) // per order: its customer
	var accs []account
	var count []int32
	size := 0
	p.each(func(i int, o order, _ float64) {
		b := p.idAt(o.at)
		k, ok := local[string(b)]
		if !ok {
			k = int32(len(accs))
			name := unsafe.String(unsafe.SliceData(b), len(b))
			local[name] = k
			accs = append(accs, account{name: name, first: math.MaxInt32})
			count = append(count, 0)
			size += len(b)
		}
		ks[i] = k
		count[k]++
	})
	names := make([]byte, 0, size)
	for k := range accs {
		at := len(names)
		names = append(names, accs[k].name...)
		accs[k].name = unsafe.String(unsafe.SliceData(names[at:]), len(names)-at)
	}
	days := make([]int32, p.n)
	at := int32(0)
	for k := range accs {
		accs[k].days = days[at:at]
		at += count[k]
	}
	p.each(func(i int, o order, amt float64) {
		a := &accs[ks[i]]
		a.days = append(a.days, o.day)
		a.total += amt
		switch {
		case o.day < a.first:
			a.first, a.firstAmt = o.day, amt
		case o.day == a.first:
			a.firstAmt += amt
		}
	})
	return accs
}

// readOrders streams the orders before end into a book, counting what it
// leaves out.
func readOrders(ctx context.Context, cfg *Config, end time.Time) (*book, Stats, error) {
	var st Stats
	orderType := cfg.orderType()
	bk := new(book)
	rows, err := cfg.stream(ctx, cfg.BadRows, func(events []features.Event) error {
		for i := range events {
			e := &events[i]
			switch {
			case e.Type != orderType:
				st.OtherEvents++
				// Until an order is seen, the types there are, for the
				// error of a file that has none (noOrderType).
				if st.Orders+st.AfterEnd+st.Returns == 0 && len(st.otherTypes) < 64 && !slices.Contains(st.otherTypes, e.Type) {
					st.otherTypes = append(st.otherTypes, strings.Clone(e.Type))
				}
				continue
			case !e.TS.Before(end):
				st.AfterEnd++
				continue
			case !e.HasValue || e.Value < 0:
				st.Returns++
				continue
			case e.Value == 0:
				st.ZeroAmount++
			}
			st.Orders++
			bk.add(e.EntityID, int32(features.UTCDay(e.TS)), e.Value)
		}
		return nil
	})
	if err != nil {
		return nil, st, err
	}
	st.RowsRead, st.BadRows = rows, cfg.BadRows.Count()
	return bk, st, nil
}

// noOrderType is the error for events of which none has the order type:
// a *features.SchemaError naming the types there are.
func (st Stats) noOrderType(cfg Config) error {
	why, _ := features.MissingType(cfg.orderType(), st.otherTypes)
	return &features.SchemaError{Path: cfg.Orders.Path, Err: fmt.Errorf("the order type (--order-type): %s", why)}
}

// fitInputs are what the models are fitted on: each customer's BG/NBD
// summary and mean repeat spend, the repeat buyers' spend, their typical
// gaps between purchases, and the first purchase day of all.
type fitInputs struct {
	sums     []Summary
	zbar     []float64
	spend    []Spend   // repeat buyers with repeat spend above 0 (Gamma-Gamma's input)
	gaps     []float64 // one per repeat buyer: tₓ/x
	firstDay int32
}

// customers turns the book into customers sorted by id, with recency,
// frequency and monetary value in the time unit (unit days) to ageEnd. The
// parts are gathered on every core.
func (bk *book) customers(unit, ageEnd float64) (*Result, fitInputs) {
	parts := make([][]account, bookParts)
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for k := range bk.parts {
		g.Go(func() error {
			parts[k] = bk.parts[k].gather()
			bk.parts[k] = orderPart{}
			return nil
		})
	}
	g.Wait()
	accs := slices.Concat(parts...)
	slices.SortFunc(accs, func(a, b account) int { return strings.Compare(a.name, b.name) })
	res := &Result{Customers: make([]Customer, len(accs))}
	fit := fitInputs{sums: make([]Summary, len(accs)), zbar: make([]float64, len(accs)), firstDay: math.MaxInt32}
	for k := range accs {
		a := &accs[k]
		slices.Sort(a.days)
		nDays := len(slices.Compact(a.days))
		f, l := a.first, a.days[nDays-1]
		fit.firstDay = min(fit.firstDay, f)
		x := nDays - 1
		s := Summary{X: float64(x), TX: float64(l-f) / unit, T: (ageEnd - float64(f)) / unit}
		fit.sums[k] = s
		c := &res.Customers[k]
		c.EntityID = a.name
		c.Frequency, c.X = int32(nDays), int32(x)
		c.Monetary = a.total / float64(nDays)
		c.TX, c.T = s.TX, s.T
		c.Recency = s.T - s.TX
		if x > 0 {
			fit.zbar[k] = (a.total - a.firstAmt) / float64(x)
			if fit.zbar[k] > 0 {
				fit.spend = append(fit.spend, Spend{X: s.X, M: fit.zbar[k]})
			}
			fit.gaps = append(fit.gaps, s.TX/s.X)
		}
	}
	return res, fit
}

// scoreCustomers fills P(alive), expected purchases, CLV (when gg is
// fitted) and churn risk, each customer in its own slot, by chunks on two
// cores.
func scoreCustomers(cs []Customer, fit fitInputs, bg BGNBD, gg *GammaGamma, m *Model, cfg *Config, unit float64) {
	horizon := cfg.HorizonMonths
	if horizon == 0 {
		horizon = 12
	}
	disc := 0.01
	if cfg.MonthlyDiscount != nil {
		disc = *cfg.MonthlyDiscount
	}
	m.HorizonMonths, m.MonthlyDiscount = horizon, disc
	threshold := cfg.ChurnThreshold
	if threshold == 0 {
		threshold = 0.5
	}
	multiple := cfg.FallbackMultiple
	if multiple == 0 {
		multiple = 2
	}
	month := (365.25 / 12) / unit
	var g errgroup.Group
	g.SetLimit(2)
	clvs := make([]float64, len(cs))
	for lo := 0; lo < len(cs); lo += 1 << 14 {
		hi := min(lo+1<<14, len(cs))
		g.Go(func() error {
			for k := lo; k < hi; k++ {
				c, s := &cs[k], fit.sums[k]
				c.PAlive = bg.PAlive(s)
				e := bg.expectation(s)
				if gg != nil {
					clvs[k], c.ExpectedPurchases = clv(e, gg.ExpectedSpend(s.X, fit.zbar[k]), horizon, month, disc)
					c.CLV = &clvs[k]
				} else {
					c.ExpectedPurchases = e.at(float64(horizon) * month)
				}
				c.ChurnRisk, c.ChurnMethod, c.ChurnReason = churn(c, *m, threshold, multiple)
			}
			return nil
		})
	}
	g.Wait()
}

// transitions records each customer's previous segment and counts the
// moves between segments; nil without a previous run.
func transitions(cs []Customer, previous map[string]string) map[[2]string]int {
	if previous == nil {
		return nil
	}
	out := map[[2]string]int{}
	for k := range cs {
		c := &cs[k]
		if p, ok := previous[c.EntityID]; ok {
			c.PreviousSegment = &p
			if p != c.Segment {
				out[[2]string{p, c.Segment}]++
			}
		}
	}
	return out
}

func unitName(u string) string {
	if u == "" {
		return "week"
	}
	return u
}

// orderType is the event type that marks an order.
func (c *Config) orderType() string { return cmp.Or(c.OrderType, "order") }

// stream streams the orders file, or the events holding the orders (a
// file, a pattern of shards or a folder, as features reads events), to
// fn; it returns the rows read.
func (c *Config) stream(ctx context.Context, bad *features.BadRows, fn func([]features.Event) error) (int, error) {
	if c.FromEvents {
		return features.StreamFiles(ctx, c.Orders, bad, features.OpenEvents, fn)
	}
	er, err := features.OpenOrders(ctx, c.Orders, bad)
	if err != nil {
		return 0, err
	}
	defer er.Close()
	err = features.Stream(ctx, er, fn)
	return er.Rows(), err
}

// clv is the discounted expected spend over horizon months:
//
//	CLV = Σₖ₌₁ᴴ E[M] · (E[Y(k·m)] − E[Y((k−1)·m)]) / (1 + d)ᵏ
//
// with m one month in the time unit and d the monthly discount rate. It
// also returns the last term's E[Y(H·m)], the expected purchases over the
// horizon.
func clv(e expectation, spend float64, horizon int, month, disc float64) (v, purchases float64) {
	for k := 1; k <= horizon; k++ {
		cum := e.at(float64(k) * month)
		v += spend * (cum - purchases) / math.Pow(1+disc, float64(k))
		purchases = cum
	}
	return v, purchases
}

// churn decides a customer's churn flag and says why.
func churn(c *Customer, m Model, threshold, multiple float64) (bool, string, string) {
	u := m.TimeUnit
	if c.X > 0 {
		risk := c.PAlive < threshold
		rel := "above"
		if risk {
			rel = "below"
		}
		return risk, "bgnbd", fmt.Sprintf("P(alive) %.2f %s %.2f: %d repeat purchases, the last %.1f %ss ago",
			c.PAlive, rel, threshold, c.X, c.Recency, u)
	}
	if m.TypicalGap == 0 {
		return false, "none", "one-time buyer and no repeat buyers to compare with"
	}
	risk := c.T > multiple*m.TypicalGap
	rel := "within"
	if risk {
		rel = "over"
	}
	return risk, "recency_fallback", fmt.Sprintf("one-time buyer (BG/NBD gives P(alive) = 1): the only purchase %.1f %ss ago, %s %g× the typical %.1f-%s gap between purchases",
		c.T, u, rel, multiple, m.TypicalGap, u)
}

package datasets

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/parquet-go/parquet-go"
)

// Files holds the five outputs of a generated data set.
type Files struct {
	Events, Entities, Deals, Orders, Truth io.Writer
}

// Headers of the CSV outputs.
var (
	EventsHeader   = []string{"entity_id", "ts", "type", "value", "channel", "page", "justified"}
	EntitiesHeader = []string{"entity_id", "industry", "employees", "annual_revenue", "country", "role", "decision_maker", "budget", "lead_source"}
	DealsHeader    = []string{"deal_id", "entity_id", "ts", "won", "closed_at", "amount"}
	OrdersHeader   = []string{"entity_id", "ts", "amount"}
	TruthHeader    = []string{"entity_id", "fit", "intent", "deals", "customer", "alive_at_end", "churned_at", "p_deal_mean"}
)

const csvTime = "2006-01-02 15:04:05"

// CSVSink writes the data set as five CSV files (comma-separated, LF,
// timestamps as "YYYY-MM-DD HH:MM:SS" UTC). None of the generated values
// needs quoting.
type CSVSink struct {
	w   [5]*bufio.Writer
	buf []byte
	n   int
}

// NewCSVSink returns a sink writing to files; Close flushes them.
func NewCSVSink(f Files) *CSVSink {
	s := &CSVSink{}
	for i, w := range []io.Writer{f.Events, f.Entities, f.Deals, f.Orders, f.Truth} {
		s.w[i] = bufio.NewWriterSize(w, 1<<20)
	}
	for i, h := range [][]string{EventsHeader, EntitiesHeader, DealsHeader, OrdersHeader, TruthHeader} {
		b := []byte{}
		for j, c := range h {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, c...)
		}
		s.w[i].Write(append(b, '\n'))
	}
	return s
}

func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) {
		return b
	}
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}

func appendTime(b []byte, t time.Time, text string) []byte {
	if text != "" {
		return append(b, text...)
	}
	return t.UTC().AppendFormat(b, csvTime)
}

// Write implements Sink.
func (s *CSVSink) Write(bt *Batch) error {
	b := s.buf[:0]
	for i := range bt.Events {
		e := &bt.Events[i]
		b = append(b, e.EntityID...)
		b = append(b, ',')
		b = appendTime(b, e.TS, e.TSText)
		b = append(b, ',')
		b = append(b, e.Type...)
		b = append(b, ',')
		if e.ValueText != "" {
			b = append(b, '"')
			b = append(b, e.ValueText...)
			b = append(b, '"')
		} else if e.HasValue {
			b = appendFloat(b, e.Value)
		}
		b = append(b, ',')
		b = append(b, e.Channel...)
		b = append(b, ',')
		b = append(b, e.Page...)
		b = append(b, ',')
		b = append(b, e.Justified...)
		b = append(b, '\n')
	}
	if _, err := s.w[0].Write(b); err != nil {
		return err
	}
	b = b[:0]
	for _, e := range bt.Entities {
		b = append(b, e.EntityID...)
		b = append(b, ',')
		b = append(b, e.Industry...)
		b = append(b, ',')
		b = appendFloat(b, e.Employees)
		b = append(b, ',')
		b = appendFloat(b, e.AnnualRevenue)
		b = append(b, ',')
		b = append(b, e.Country...)
		b = append(b, ',')
		b = append(b, e.Role...)
		b = append(b, ',')
		b = append(b, e.DecisionMaker...)
		b = append(b, ',')
		b = appendFloat(b, e.Budget)
		b = append(b, ',')
		b = append(b, e.LeadSource...)
		b = append(b, '\n')
	}
	if _, err := s.w[1].Write(b); err != nil {
		return err
	}
	b = b[:0]
	for _, d := range bt.Deals {
		b = append(b, d.DealID...)
		b = append(b, ',')
		b = append(b, d.EntityID...)
		b = append(b, ',')
		b = appendTime(b, d.TS, "")
		b = append(b, ',')
		b = strconv.AppendBool(b, d.Won)
		b = append(b, ',')
		b = appendTime(b, d.ClosedAt, "")
		b = append(b, ',')
		b = appendFloat(b, d.Amount)
		b = append(b, '\n')
	}
	if _, err := s.w[2].Write(b); err != nil {
		return err
	}
	b = b[:0]
	for _, o := range bt.Orders {
		b = append(b, o.EntityID...)
		b = append(b, ',')
		b = appendTime(b, o.TS, o.TSText)
		b = append(b, ',')
		if o.AmtText != "" {
			b = append(b, '"')
			b = append(b, o.AmtText...)
			b = append(b, '"')
		} else {
			b = appendFloat(b, o.Amount)
		}
		b = append(b, '\n')
	}
	if _, err := s.w[3].Write(b); err != nil {
		return err
	}
	b = b[:0]
	for _, t := range bt.Truth {
		b = append(b, t.EntityID...)
		b = append(b, ',')
		b = strconv.AppendFloat(b, t.Fit, 'f', 6, 64)
		b = append(b, ',')
		b = strconv.AppendFloat(b, t.Intent, 'f', 6, 64)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(t.Deals), 10)
		b = append(b, ',')
		b = strconv.AppendBool(b, t.Customer)
		b = append(b, ',')
		b = strconv.AppendBool(b, t.AliveAtEnd)
		b = append(b, ',')
		if !t.ChurnedAt.IsZero() {
			b = appendTime(b, t.ChurnedAt, "")
		}
		b = append(b, ',')
		if !math.IsNaN(t.PDealMean) {
			b = strconv.AppendFloat(b, t.PDealMean, 'f', 6, 64)
		}
		b = append(b, '\n')
	}
	s.buf = b
	_, err := s.w[4].Write(b)
	return err
}

// Close flushes every file and returns the first error.
func (s *CSVSink) Close() error {
	var first error
	for _, w := range s.w {
		if err := w.Flush(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Parquet row types. Optional fields are pointers.
type (
	eventPQ struct {
		EntityID  string    `parquet:"entity_id"`
		TS        time.Time `parquet:"ts,timestamp(millisecond)"`
		Type      string    `parquet:"type,dict"`
		Value     *float64  `parquet:"value,optional"`
		Channel   *string   `parquet:"channel,optional,dict"`
		Page      *string   `parquet:"page,optional,dict"`
		Justified *string   `parquet:"justified,optional,dict"`
	}
	entityPQ struct {
		EntityID      string   `parquet:"entity_id"`
		Industry      *string  `parquet:"industry,optional,dict"`
		Employees     *float64 `parquet:"employees,optional"`
		AnnualRevenue *float64 `parquet:"annual_revenue,optional"`
		Country       *string  `parquet:"country,optional,dict"`
		Role          *string  `parquet:"role,optional,dict"`
		DecisionMaker *string  `parquet:"decision_maker,optional,dict"`
		Budget        *float64 `parquet:"budget,optional"`
		LeadSource    *string  `parquet:"lead_source,optional,dict"`
	}
	dealPQ struct {
		DealID   string    `parquet:"deal_id"`
		EntityID string    `parquet:"entity_id"`
		TS       time.Time `parquet:"ts,timestamp(millisecond)"`
		Won      bool      `parquet:"won"`
		ClosedAt time.Time `parquet:"closed_at,timestamp(millisecond)"`
		Amount   float64   `parquet:"amount"`
	}
	orderPQ struct {
		EntityID string    `parquet:"entity_id"`
		TS       time.Time `parquet:"ts,timestamp(millisecond)"`
		Amount   float64   `parquet:"amount"`
	}
	truthPQ struct {
		EntityID   string     `parquet:"entity_id"`
		Fit        float64    `parquet:"fit"`
		Intent     float64    `parquet:"intent"`
		Deals      int32      `parquet:"deals"`
		Customer   bool       `parquet:"customer"`
		AliveAtEnd bool       `parquet:"alive_at_end"`
		ChurnedAt  *time.Time `parquet:"churned_at,optional,timestamp(millisecond)"`
		PDealMean  *float64   `parquet:"p_deal_mean,optional"`
	}
)

// rowGroupEvents is the number of event rows per Parquet row group.
const rowGroupEvents = 1 << 20

// ParquetSink writes the data set as five Parquet files (zstd). Dirty rows
// whose fault only text can carry (an impossible date, a decimal comma) are
// written with the fault dropped, since Parquet columns are typed; missing
// ids, duplicates and future timestamps are kept.
type ParquetSink struct {
	pending int // event rows written since the last row-group flush
	ev      *parquet.GenericWriter[eventPQ]
	en      *parquet.GenericWriter[entityPQ]
	de      *parquet.GenericWriter[dealPQ]
	or      *parquet.GenericWriter[orderPQ]
	tr      *parquet.GenericWriter[truthPQ]
}

// NewParquetSink returns a sink writing to files; Close finishes them.
func NewParquetSink(f Files) *ParquetSink {
	opts := []parquet.WriterOption{parquet.Compression(&parquet.Zstd), parquet.CreatedBy("leadscore", "", "")}
	return &ParquetSink{
		ev: parquet.NewGenericWriter[eventPQ](f.Events, opts...),
		en: parquet.NewGenericWriter[entityPQ](f.Entities, opts...),
		de: parquet.NewGenericWriter[dealPQ](f.Deals, opts...),
		or: parquet.NewGenericWriter[orderPQ](f.Orders, opts...),
		tr: parquet.NewGenericWriter[truthPQ](f.Truth, opts...),
	}
}

func optStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optFloat(f float64) *float64 {
	if math.IsNaN(f) {
		return nil
	}
	return &f
}

// Write implements Sink.
func (s *ParquetSink) Write(bt *Batch) error {
	ev := make([]eventPQ, len(bt.Events))
	for i, e := range bt.Events {
		ev[i] = eventPQ{EntityID: e.EntityID, TS: e.TS.UTC(), Type: e.Type, Channel: optStr(e.Channel), Page: optStr(e.Page), Justified: optStr(e.Justified)}
		if e.HasValue {
			ev[i].Value = optFloat(e.Value)
		}
	}
	if _, err := s.ev.Write(ev); err != nil {
		return err
	}
	// parquet-go buffers a row group in memory until it is flushed; cut one
	// every million events so memory stays flat however large the output.
	if s.pending += len(ev); s.pending >= rowGroupEvents {
		s.pending = 0
		for _, w := range []interface{ Flush() error }{s.ev, s.en, s.de, s.or, s.tr} {
			if err := w.Flush(); err != nil {
				return err
			}
		}
	}
	en := make([]entityPQ, len(bt.Entities))
	for i, e := range bt.Entities {
		en[i] = entityPQ{EntityID: e.EntityID, Industry: optStr(e.Industry), Employees: optFloat(e.Employees),
			AnnualRevenue: optFloat(e.AnnualRevenue), Country: optStr(e.Country), Role: optStr(e.Role),
			DecisionMaker: optStr(e.DecisionMaker), Budget: optFloat(e.Budget), LeadSource: optStr(e.LeadSource)}
	}
	if _, err := s.en.Write(en); err != nil {
		return err
	}
	de := make([]dealPQ, len(bt.Deals))
	for i, d := range bt.Deals {
		de[i] = dealPQ{DealID: d.DealID, EntityID: d.EntityID, TS: d.TS.UTC(), Won: d.Won, ClosedAt: d.ClosedAt.UTC(), Amount: d.Amount}
	}
	if _, err := s.de.Write(de); err != nil {
		return err
	}
	or := make([]orderPQ, len(bt.Orders))
	for i, o := range bt.Orders {
		or[i] = orderPQ{EntityID: o.EntityID, TS: o.TS.UTC(), Amount: o.Amount}
	}
	if _, err := s.or.Write(or); err != nil {
		return err
	}
	tr := make([]truthPQ, len(bt.Truth))
	for i, t := range bt.Truth {
		tr[i] = truthPQ{EntityID: t.EntityID, Fit: t.Fit, Intent: t.Intent, Deals: int32(t.Deals), Customer: t.Customer,
			AliveAtEnd: t.AliveAtEnd, PDealMean: optFloat(t.PDealMean)}
		if !t.ChurnedAt.IsZero() {
			c := t.ChurnedAt.UTC()
			tr[i].ChurnedAt = &c
		}
	}
	_, err := s.tr.Write(tr)
	return err
}

// Close finishes every file and returns the first error.
func (s *ParquetSink) Close() error {
	var first error
	for _, c := range []io.Closer{s.ev, s.en, s.de, s.or, s.tr} {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// WriteSummary writes the summary as indented JSON (the truth.json file).
func WriteSummary(w io.Writer, s Summary) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// GenerateFiles generates a CRM into the files events, entities, deals,
// orders and truth (with the extension of format, "csv" or "parquet")
// and truth.json, each made by create from its name; the caller closes
// them.
func GenerateFiles(ctx context.Context, cfg Config, format string, create func(name string) (io.Writer, error)) (Summary, error) {
	if format != "csv" && format != "parquet" {
		return Summary{}, fmt.Errorf("datasets: format %q: want csv or parquet", format)
	}
	var ws [5]io.Writer
	for i, n := range []string{"events", "entities", "deals", "orders", "truth"} {
		var err error
		if ws[i], err = create(n + "." + format); err != nil {
			return Summary{}, err
		}
	}
	files := Files{Events: ws[0], Entities: ws[1], Deals: ws[2], Orders: ws[3], Truth: ws[4]}
	var sink interface {
		Sink
		Close() error
	}
	if format == "csv" {
		sink = NewCSVSink(files)
	} else {
		sink = NewParquetSink(files)
	}
	sum, err := Generate(ctx, cfg, sink)
	if err != nil {
		return sum, err
	}
	if err := sink.Close(); err != nil {
		return sum, err
	}
	w, err := create("truth.json")
	if err != nil {
		return sum, err
	}
	return sum, WriteSummary(w, sum)
}

// GenerateDir generates a CRM as CSV files in dir, as GenerateFiles.
func GenerateDir(ctx context.Context, dir string, cfg Config) error {
	var files []*os.File
	_, err := GenerateFiles(ctx, cfg, "csv", func(name string) (io.Writer, error) {
		f, err := os.Create(filepath.Join(dir, name))
		if err == nil {
			files = append(files, f)
		}
		return f, err
	})
	for _, f := range files {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

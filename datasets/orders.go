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

	"gonum.org/v1/gonum/stat/distuv"
)

// OrdersConfig configures GenerateOrders: customers who buy by the BG/NBD
// process and spend by the Gamma-Gamma model, with known parameters. Rates
// are per week. The zero value of each parameter means the default, close
// to CDNOW's fitted values.
type OrdersConfig struct {
	// Customers to simulate. Required.
	Customers int
	// Seed makes the output reproducible.
	Seed uint64
	// Start and End bound the period; zero means 2023-01-01 and 2025-01-01.
	// Customers make their first purchase uniformly in the first quarter of
	// the period, so they have history before any as-of date in the rest.
	Start, End time.Time
	// R, Alpha: purchase rate λ ~ Gamma(R, Alpha) per week (0: 0.5, 6).
	R, Alpha float64
	// A, B: drop-out probability after each purchase p ~ Beta(A, B) (0: 0.8, 4).
	A, B float64
	// P, Q, Gamma: spend per order ~ Gamma(P, ν), ν ~ Gamma(Q, Gamma) (0: 6, 4, 15).
	P, Q, Gamma float64
}

func (c OrdersConfig) withDefaults() OrdersConfig {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.R, 0.5)
	def(&c.Alpha, 6)
	def(&c.A, 0.8)
	def(&c.B, 4)
	def(&c.P, 6)
	def(&c.Q, 4)
	def(&c.Gamma, 15)
	if c.Start.IsZero() {
		c.Start = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if c.End.IsZero() {
		c.End = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return c
}

// GenerateOrders writes an orders CSV (entity_id, ts, amount) of customers
// following the BG/NBD purchase process and Gamma-Gamma spend, streaming:
// customer i draws from its own PCG stream (Seed, i), and memory holds one
// customer. At most one order per customer per day, as the models assume.
// It returns the number of orders written.
func GenerateOrders(ctx context.Context, cfg OrdersConfig, w io.Writer) (int64, error) {
	if cfg.Customers <= 0 {
		return 0, fmt.Errorf("datasets: OrdersConfig.Customers must be positive, got %d", cfg.Customers)
	}
	c := cfg.withDefaults()
	for _, v := range []float64{c.R, c.Alpha, c.A, c.B, c.P, c.Q, c.Gamma} {
		if v < 0 || math.IsNaN(v) {
			return 0, fmt.Errorf("datasets: OrdersConfig parameters must be positive")
		}
	}
	weeks := c.End.Sub(c.Start).Hours() / (24 * 7)
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString("entity_id,ts,amount\n")
	width := len(strconv.Itoa(c.Customers - 1))
	var n int64
	buf := make([]byte, 0, 64)
	for i := range c.Customers {
		if i%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return n, err
			}
		}
		src := rand.NewPCG(c.Seed, uint64(i)^0x6f72646572)
		r := rand.New(src)
		lambda := distuv.Gamma{Alpha: c.R, Beta: c.Alpha, Src: src}.Rand()
		pDrop := distuv.Beta{Alpha: c.A, Beta: c.B, Src: src}.Rand()
		nu := distuv.Gamma{Alpha: c.Q, Beta: c.Gamma, Src: src}.Rand()
		spend := distuv.Gamma{Alpha: c.P, Beta: nu, Src: src}
		t := r.Float64() * weeks / 4
		lastDay := int64(-1)
		for t < weeks {
			day := int64(t * 7)
			if day != lastDay {
				ts := c.Start.Add(time.Duration(t * 7 * 24 * float64(time.Hour))).Truncate(time.Second)
				buf = append(buf[:0], 'C')
				s := strconv.Itoa(i)
				for range width - len(s) {
					buf = append(buf, '0')
				}
				buf = append(buf, s...)
				buf = append(buf, ',')
				buf = ts.AppendFormat(buf, "2006-01-02 15:04:05")
				buf = append(buf, ',')
				buf = strconv.AppendFloat(buf, math.Round(spend.Rand()*100)/100, 'f', -1, 64)
				buf = append(buf, '\n')
				if _, err := bw.Write(buf); err != nil {
					return n, err
				}
				n++
				// BG/NBD: drop-out follows repeat purchases only; the
				// first purchase starts the customer's life.
				if lastDay >= 0 && r.Float64() < pDrop {
					break
				}
				lastDay = day
			}
			if lambda <= 0 {
				break
			}
			t += r.ExpFloat64() / lambda
		}
	}
	return n, bw.Flush()
}

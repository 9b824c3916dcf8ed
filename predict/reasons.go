package predict

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"leadscore/features"
)

// explainTop fills the reasons of the ranked leads, in blocks of 1,024 on
// nw goroutines; an interrupt stops it within a block.
func explainTop(ctx context.Context, enc *Encoder, b *blend, top []Ranked, nw int) error {
	const block = 1024
	p := len(b.m.Features)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(nw)
	pool := workers(enc, nw, block)
	for lo := 0; lo < len(top); lo += block {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			w := <-pool
			defer func() { pool <- w }()
			part := top[lo:min(len(top), lo+block)]
			w.rows = w.rows[:0]
			for _, r := range part {
				w.rows = append(w.rows, r.row)
			}
			w.e.ExplainRows(w.rows, w.logits, w.contrib)
			for j := range part {
				part[j].Reasons = b.reasonsOf(w.e, part[j].row, w.contrib[j*p:(j+1)*p])
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// reasonsOf names the strongest positive and negative contributions of
// row i, strongest first: "rfq 2× in the last 30 days (+0.42)".
func (b *blend) reasonsOf(enc *Encoder, i int, contrib []float64) string {
	var buf []byte
	for _, k := range strongest(contrib, b.reasons) {
		if len(buf) > 0 {
			buf = append(buf, "; "...)
		}
		buf = append(buf, Describe(&b.m.Features[k], enc.cols[k], i)...)
		buf = append(buf, " ("...)
		if contrib[k] > 0 {
			buf = append(buf, '+')
		}
		buf = strconv.AppendFloat(buf, contrib[k], 'f', 2, 64)
		buf = append(buf, ')')
	}
	return string(buf)
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

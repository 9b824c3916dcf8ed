package predict

import (
	"context"
	"fmt"
	"math"
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
				part[j].Reasons = b.reasonsOf(w.e, part[j].row, w.logits[j], w.contrib[j*p:(j+1)*p])
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
// row i (whose model log-odds are logit), strongest first, each with its
// effect on the score: "sent requests for quotation twice in the last 30
// days (+4.2 points)". The effect is what the score would lose without
// that contribution, other inputs as they are: 100·w·(p − p without it),
// w the model weight (1 when the score is rules alone, so that the effect
// on the probability shows). Effects that round to 0.0 points are left
// out.
func (b *blend) reasonsOf(enc *Encoder, i int, logit float64, contrib []float64) string {
	w := b.w
	if w == 0 {
		w = 1
	}
	p := b.m.Probability(logit)
	var buf []byte
	for _, k := range strongest(contrib, b.reasons) {
		pts := 100 * w * (p - b.m.Probability(logit-contrib[k]))
		if math.Abs(pts) < 0.05 {
			continue
		}
		if len(buf) > 0 {
			buf = append(buf, "; "...)
		}
		buf = append(buf, Describe(&b.m.Features[k], enc.cols[k], i)...)
		buf = append(buf, " ("...)
		if pts > 0 {
			buf = append(buf, '+')
		}
		buf = strconv.AppendFloat(buf, pts, 'f', 1, 64)
		buf = append(buf, " points)"...)
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

// AwardsText renders rule awards for people, by their labels: "requested
// a quotation on 2024-11-03: +15 until 2025-02-03; decision maker: +15;
// no order for 6 months since 2024-06-01: -10 while it lasts".
func AwardsText(aw []features.Award) string {
	parts := make([]string, len(aw))
	for i, a := range aw {
		pts := strconv.FormatFloat(a.Points, 'f', -1, 64)
		if a.Points > 0 {
			pts = "+" + pts
		}
		name := a.Label
		if name == "" {
			name = a.Rule
		}
		switch {
		case a.Granted.IsZero():
			parts[i] = fmt.Sprintf("%s: %s", name, pts)
		case a.Expires.IsZero():
			parts[i] = fmt.Sprintf("%s since %s: %s while it lasts", name, a.Granted.Format(time.DateOnly), pts)
		default:
			parts[i] = fmt.Sprintf("%s on %s: %s until %s", name, a.Granted.Format(time.DateOnly), pts, a.Expires.Format(time.DateOnly))
		}
	}
	return strings.Join(parts, "; ")
}

package main

import (
	"fmt"
	"io"
	"os"
	"time"
)

// progress draws "label: N unit, R/s, ETA" on one terminal line, at most
// five times a second. It is silent (nil) when stderr is not a terminal or
// --quiet is set, so CI logs and cron mail stay clean.
type progress struct {
	w           io.Writer
	label, unit string
	total       int64 // 0 if unknown: no ETA
	start, last time.Time
}

func (g *globalOptions) progress(label, unit string, total int64) *progress {
	if g.quiet {
		return nil
	}
	f, ok := g.stderr.(*os.File)
	if !ok {
		return nil
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	now := time.Now()
	return &progress{w: f, label: label, unit: unit, total: total, start: now}
}

// update reports done units; it is safe on a nil *progress.
func (p *progress) update(done int64) {
	if p == nil {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < 200*time.Millisecond {
		return
	}
	p.last = now
	secs := now.Sub(p.start).Seconds()
	rate := float64(done) / secs
	line := fmt.Sprintf("%s: %d %s, %.0f/s", p.label, done, p.unit, rate)
	if p.total > 0 && rate > 0 {
		line += fmt.Sprintf(", ETA %s", time.Duration(float64(p.total-done)/rate*float64(time.Second)).Round(time.Second))
	}
	fmt.Fprintf(p.w, "\r\033[K%s", line)
}

// done clears the line.
func (p *progress) done() {
	if p != nil {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

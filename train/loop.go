package train

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"text/tabwriter"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// Loop is the closed loop over past call lists: each run whose horizon
// the outcomes cover, judged by what followed, and warnings when the
// grades stop meaning what they say.
type Loop struct {
	Runs []LoopRun `json:"runs"`
	// Pending are the runs whose horizon the outcomes do not cover yet.
	Pending  []string `json:"pending,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// LoopRun is one past run's list and how it fared.
type LoopRun struct {
	AsOf       string      `json:"as_of"`
	ModelID    string      `json:"model_id"`
	Evaluation *Evaluation `json:"evaluation"`
}

// Add records a judged run and warns when its grade A converted no better
// than grade B.
func (l *Loop) Add(r LoopRun) {
	l.Runs = append(l.Runs, r)
	rate := map[string]float64{}
	rows := map[string]int{}
	for _, g := range r.Evaluation.Grades {
		rate[g.Name], rows[g.Name] = g.Rate, g.Rows
	}
	if rows["A"] > 0 && rows["B"] > 0 && rate["A"] <= rate["B"] {
		l.Warnings = append(l.Warnings, fmt.Sprintf("%s: grade A converted no better than B (%.1f%% against %.1f%%)", r.AsOf, 100*rate["A"], 100*rate["B"]))
	}
}

// WriteHTML writes the loop as one page: conversion by grade and the
// list's AUC over the run dates, and per run the conversions and revenue
// by grade, queue and owner.
func (l *Loop) WriteHTML(w io.Writer) error {
	var charts []template.HTML
	if len(l.Runs) > 0 {
		var err error
		if charts, err = svgs(l.gradePlot, l.aucPlot); err != nil {
			return err
		}
	}
	return loopTemplate.Execute(w, struct {
		L      *Loop
		Charts []template.HTML
	}{l, charts})
}

// gradePlot draws each grade's conversion rate over the runs, by run
// index (the table names the dates).
func (l *Loop) gradePlot() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = "Conversion by grade, run after run", "run (oldest first)", "% converted"
	p.Add(plotter.NewGrid())
	series := map[string]plotter.XYs{}
	var names []string
	for k, r := range l.Runs {
		for _, g := range r.Evaluation.Grades {
			if _, ok := series[g.Name]; !ok {
				names = append(names, g.Name)
			}
			series[g.Name] = append(series[g.Name], plotter.XY{X: float64(k + 1), Y: 100 * g.Rate})
		}
	}
	for i, n := range names {
		ln, pts, err := plotter.NewLinePoints(series[n])
		if err != nil {
			return nil, err
		}
		ln.Color, pts.Color = listColors[i%len(listColors)], listColors[i%len(listColors)]
		p.Add(ln, pts)
		p.Legend.Add(n, ln, pts)
	}
	p.Legend.Top = true
	p.Legend.Left = false
	return p, nil
}

// aucPlot draws the list's AUC over the runs.
func (l *Loop) aucPlot() (*plot.Plot, error) {
	var pts plotter.XYs
	for k, r := range l.Runs {
		if c := r.Evaluation.List("call list"); c != nil && !math.IsNaN(float64(c.AUC)) {
			pts = append(pts, plotter.XY{X: float64(k + 1), Y: float64(c.AUC)})
		}
	}
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = "The call list's AUC, run after run", "run (oldest first)", "AUC"
	p.Add(plotter.NewGrid())
	ln, sc, err := plotter.NewLinePoints(pts)
	if err != nil {
		return nil, err
	}
	p.Add(ln, sc)
	return p, nil
}

var loopTemplate = template.Must(template.New("loop").Funcs(template.FuncMap{
	"pct":   func(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) },
	"money": func(x float64) string { return fmt.Sprintf("%.2f", x) },
	"inc":   func(i int) int { return i + 1 },
	"at": func(l *ListEval, k int) string {
		if l == nil || l.At(k) != l.At(k) {
			return "–"
		}
		return fmt.Sprintf("%.1f%%", 100*l.At(k))
	},
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="generator" content="leadscore"><title>leadscore: past call lists and what followed</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.warn{background:#fbe9e9;padding:1em;border-left:6px solid #c22}
.charts{display:flex;flex-wrap:wrap;gap:1em}.charts svg{border:1px solid #eee}
</style></head><body>
<h1>Past call lists and what followed</h1>
{{range .L.Warnings}}<p class="warn">{{.}}</p>{{end}}
{{if not .L.Runs}}<p>No run's horizon is covered by the outcomes yet.</p>{{end}}
<div class="charts">{{range .Charts}}{{.}}{{end}}</div>
<h2>Runs</h2>
<table><tr><th>run</th><th>as of</th><th>leads</th><th>converted</th><th>AUC</th><th>converted among the first 100</th><th>model</th></tr>
{{range $k, $r := .L.Runs}}<tr><td>{{inc $k}}</td><td>{{$r.AsOf}}</td><td>{{$r.Evaluation.Rows}}</td><td>{{$r.Evaluation.Positives}} ({{pct $r.Evaluation.BaseRate}})</td>
<td>{{with $r.Evaluation.List "call list"}}{{.AUC.Fixed 3}}{{end}}</td><td>{{at ($r.Evaluation.List "call list") 100}}</td><td>{{$r.ModelID}}</td></tr>
{{end}}</table>
{{range .L.Runs}}<h2>{{.AsOf}}</h2>
<table><tr><th>grade</th><th>leads</th><th>converted</th><th>rate</th><th>lift</th><th>revenue</th></tr>
{{range .Evaluation.Grades}}<tr><td>{{.Name}}</td><td>{{.Rows}}</td><td>{{.Positives}}</td><td>{{pct .Rate}}</td><td>{{.Lift.Fixed 3}}</td><td>{{money .Revenue}}</td></tr>{{end}}</table>
<table><tr><th>queue</th><th>leads</th><th>converted</th><th>rate</th><th>revenue</th></tr>
{{range .Evaluation.Queues}}<tr><td>{{.Name}}</td><td>{{.Rows}}</td><td>{{.Positives}}</td><td>{{pct .Rate}}</td><td>{{money .Revenue}}</td></tr>{{end}}</table>
{{if .Evaluation.Owners}}<table><tr><th>owner</th><th>leads</th><th>converted</th><th>rate</th><th>revenue</th></tr>
{{range .Evaluation.Owners}}<tr><td>{{.Name}}</td><td>{{.Rows}}</td><td>{{.Positives}}</td><td>{{pct .Rate}}</td><td>{{money .Revenue}}</td></tr>{{end}}</table>{{end}}
{{end}}
{{if .L.Pending}}<p>Not judged yet (the outcomes do not cover their horizon): {{range .L.Pending}}{{.}} {{end}}</p>{{end}}
</body></html>
`))

// WriteText prints one line per judged run, the pending runs and the
// warnings.
func (loop *Loop) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "AS OF\tLEADS\tCONVERTED\tAUC\tFIRST 100\tA\tB\tC\tD\t")
	for _, r := range loop.Runs {
		ev := r.Evaluation
		l := ev.List("call list")
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s", r.AsOf, ev.Rows, ev.Positives, l.AUC.Fixed(3), Percent(l.At(100)))
		rate := map[string]string{}
		for _, g := range ev.Grades {
			rate[g.Name] = fmt.Sprintf("%.1f%%", 100*g.Rate)
		}
		for _, g := range []string{"A", "B", "C", "D"} {
			fmt.Fprintf(tw, "\t%s", rate[g])
		}
		fmt.Fprintln(tw, "\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, p := range loop.Pending {
		fmt.Fprintf(w, "pending (horizon not covered yet): %s\n", p)
	}
	for _, warn := range loop.Warnings {
		fmt.Fprintln(w, "warning: "+warn)
	}
	return nil
}

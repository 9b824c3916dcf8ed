package train

import (
	"fmt"
	"html/template"
	"image/color"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// listColors tell the call list, the model and the rules apart in charts.
var listColors = []color.Color{color.RGBA{R: 0x1f, G: 0x5f, B: 0xbf, A: 0xff}, color.RGBA{R: 0x2a, G: 0x9d, B: 0x3a, A: 0xff}, color.RGBA{R: 0xc0, G: 0x5a, B: 0x1a, A: 0xff}}

// WriteHTML writes the evaluation as a self-contained page: the verdict in
// one line, the lists' AUC and precision among the first leads, charts of
// the cumulative gain and the conversion rate per grade, and the tables
// per decile, grade, queue and owner. It holds no wall-clock time.
func (e *Evaluation) WriteHTML(w io.Writer) error {
	charts, err := svgs(e.gainPlot, e.gradePlot)
	if err != nil {
		return err
	}
	return evalTemplate.Execute(w, struct {
		E      *Evaluation
		Ks     []int
		Charts []template.HTML
	}{e, e.ks(), charts})
}

// ks are the list lengths measured, from the first list.
func (e *Evaluation) ks() []int {
	var ks []int
	if len(e.Lists) > 0 {
		for _, a := range e.Lists[0].PrecisionAt {
			ks = append(ks, a.K)
		}
	}
	return ks
}

func (e *Evaluation) gainPlot() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = "Cumulative gain", "share of leads called (best first)", "share of conversions reached"
	p.Add(plotter.NewGrid())
	lists := e.Lists
	if e.Positives == 0 {
		lists = nil // no gain to draw: every share is undefined
	}
	for i, l := range lists {
		pts := plotter.XYs{{X: 0, Y: 0}}
		for _, d := range l.Deciles {
			pts = append(pts, plotter.XY{X: float64(d.Decile) / 10, Y: float64(d.Gain)})
		}
		ln, err := plotter.NewLine(pts)
		if err != nil {
			return nil, err
		}
		ln.Color = listColors[i%len(listColors)]
		p.Add(ln)
		p.Legend.Add(fmt.Sprintf("%s (AUC %s)", l.Name, l.AUC.Fixed(3)), ln)
	}
	d, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		return nil, err
	}
	d.Dashes = []vg.Length{vg.Points(4), vg.Points(4)}
	p.Add(d)
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.YPosition = draw.PosBottom
	return p, nil
}

func (e *Evaluation) gradePlot() (*plot.Plot, error) {
	vals := make(plotter.Values, len(e.Grades))
	names := make([]string, len(e.Grades))
	for i, g := range e.Grades {
		vals[i], names[i] = 100*g.Rate, g.Name
	}
	p := plot.New()
	p.Title.Text, p.Y.Label.Text = "Conversion rate by grade", "% converted"
	bars, err := plotter.NewBarChart(vals, vg.Points(28))
	if err != nil {
		return nil, err
	}
	bars.Color = listColors[0]
	p.Add(bars)
	p.NominalX(names...)
	return p, nil
}

var evalTemplate = template.Must(template.New("evaluate").Funcs(template.FuncMap{
	"pct": func(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) },
	"at": func(l ListEval, k int) string {
		v := l.At(k)
		if v != v {
			return "–"
		}
		return fmt.Sprintf("%.1f%%", 100*v)
	},
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="generator" content="leadscore"><title>leadscore call list of {{.E.AsOf}}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.note{background:#fff6e0;padding:1em;border-left:6px solid #d90}
.charts{display:flex;flex-wrap:wrap;gap:1em}.charts svg{border:1px solid #eee}
</style></head><body>
<h1>Call list of {{.E.AsOf}}: what happened next</h1>
<p>{{.E.Rows}} leads; {{.E.Positives}} converted ({{pct .E.BaseRate}}){{if eq .E.Target "conversion"}}: opened a deal on or after {{.E.AsOf}} and before {{.E.HorizonEnd}} ({{.E.HorizonDays}} days) that was won{{else}}: their open deal was won{{end}}.</p>
{{if not .E.Complete}}<p class="note">The outcomes file ends on {{.E.OutcomesThrough}}, before the horizon does: conversions after it are not counted yet.</p>{{end}}
<h2>How well each ordering finds them</h2>
<table><tr><th>ordering</th><th>AUC</th>{{range .Ks}}<th>converted among the first {{.}}</th>{{end}}</tr>
{{range $l := .E.Lists}}<tr><td>{{$l.Name}}</td><td>{{$l.AUC.Fixed 3}}</td>{{range $.Ks}}<td>{{at $l .}}</td>{{end}}</tr>
{{end}}</table>
<p>"call list" is the list as ranked (the score, blending the model with the rules); "model" orders by the model's probability alone and "rules" by rule points alone.</p>
<div class="charts">{{range .Charts}}{{.}}{{end}}</div>
<h2>By grade</h2>
<table><tr><th>grade</th><th>leads</th><th>converted</th><th>rate</th><th>lift</th></tr>
{{range .E.Grades}}<tr><td>{{.Name}}</td><td>{{.Rows}}</td><td>{{.Positives}}</td><td>{{pct .Rate}}</td><td>{{.Lift.Fixed 3}}</td></tr>
{{end}}</table>
<h2>By queue</h2>
<table><tr><th>queue</th><th>leads</th><th>converted</th><th>rate</th><th>lift</th></tr>
{{range .E.Queues}}<tr><td>{{.Name}}</td><td>{{.Rows}}</td><td>{{.Positives}}</td><td>{{pct .Rate}}</td><td>{{.Lift.Fixed 3}}</td></tr>
{{end}}</table>
{{if .E.Owners}}<h2>By owner</h2>
<table><tr><th>owner</th><th>leads</th><th>converted</th><th>rate</th><th>lift</th></tr>
{{range .E.Owners}}<tr><td>{{.Name}}</td><td>{{.Rows}}</td><td>{{.Positives}}</td><td>{{pct .Rate}}</td><td>{{.Lift.Fixed 3}}</td></tr>
{{end}}</table>{{end}}
<h2>Lift by decile</h2>
{{range .E.Lists}}<h3>{{.Name}}</h3>
<table><tr><th>decile</th><th>leads</th><th>converted</th><th>lift</th><th>cumulative gain</th></tr>
{{range .Deciles}}<tr><td>{{.Decile}}</td><td>{{.Rows}}</td><td>{{.Positives}}</td><td>{{.Lift.Fixed 3}}</td><td>{{.Gain.Percent}}</td></tr>
{{end}}</table>{{end}}
</body></html>
`))

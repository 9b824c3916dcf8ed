package train

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"image/color"
	"io"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/gonum/integrate"
	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"leadscore/predict"
)

// reportData is what report.html shows.
type reportData struct {
	M       *predict.Model
	Verdict string
	Ship    bool
	Charts  []template.HTML
	Top     []weight
	Compare *predict.Metrics
}

type weight struct {
	Name   string
	Weight float64
	Gain   float64 // gbdt: share of the total split gain
}

// writeReport writes a self-contained HTML report: the verdict, the
// metrics with their interval, the split, calibration and decile tables,
// and SVG charts (ROC, precision-recall, calibration, cumulative gain, the
// strongest weights). p and y are the validation predictions, r their
// ranking. prev, when not nil, is an earlier model's metrics on the same
// validation rows. The output holds no wall-clock time.
func writeReport(w io.Writer, m *predict.Model, p []float64, y []bool, r ranking, prev *predict.Metrics) error {
	d := reportData{M: m, Compare: prev}
	switch {
	case m.NoBetterThanChance:
		d.Verdict = fmt.Sprintf("Do not ship: the validation AUC's 95%% interval [%.3f, %.3f] includes 0.5, so this model is no better than chance. predict will rank by rule points alone.", m.Metrics.AUCLow, m.Metrics.AUCHigh)
	case prev != nil && m.Metrics.AUCHigh < prev.AUC:
		d.Verdict = fmt.Sprintf("Keep the previous model: its AUC %.3f is above this model's 95%% interval.", prev.AUC)
	default:
		d.Ship = true
		d.Verdict = fmt.Sprintf("Better than chance on rows it has not seen: AUC %.3f (95%% CI %.3f–%.3f), %s.", m.Metrics.AUC, m.Metrics.AUCLow, m.Metrics.AUCHigh, m.Metrics.Split)
	}
	charts := []func() (*plot.Plot, error){
		func() (*plot.Plot, error) { return rocPlot(p, y) },
		func() (*plot.Plot, error) { return prPlot(p, y, r) },
		func() (*plot.Plot, error) { return calibrationPlot(p, y) },
		func() (*plot.Plot, error) { return gainPlot(y, r) },
	}
	if d.Top = weights(m); len(d.Top) > 0 {
		charts = append(charts, func() (*plot.Plot, error) { return weightPlot(d.Top, m.Trees != nil) })
	}
	var err error
	if d.Charts, err = svgs(charts...); err != nil {
		return err
	}
	return reportTemplate.Execute(w, d)
}

// svgs makes the charts and draws each as inline SVG, two at a time (each
// chart is its own plot and canvas).
func svgs(charts ...func() (*plot.Plot, error)) ([]template.HTML, error) {
	out := make([]template.HTML, len(charts))
	errs := make([]error, len(charts))
	parallelFor(len(charts), 2, func(k int) {
		p, err := charts[k]()
		if err == nil {
			out[k], err = svgOf(p)
		}
		errs[k] = err
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// svgOf draws a chart as inline SVG, 5 × 3.6 inches, with a margin all
// round (wider on the right, where the x axis's last tick label is
// centred on the edge of the plot) so that no label is cut.
func svgOf(p *plot.Plot) (template.HTML, error) {
	c := vgsvg.New(5*vg.Inch, 3.6*vg.Inch)
	p.Draw(draw.Crop(draw.New(c), vg.Points(2), -vg.Points(14), vg.Points(2), -vg.Points(2)))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return "", err
	}
	s := b.String()
	if i := bytes.Index(b.Bytes(), []byte("<svg")); i > 0 {
		s = s[i:] // drop the XML prolog: the SVG is inlined in HTML
	}
	return template.HTML(s), nil // our own plotter's output
}

func line(title, x, y string, pts plotter.XYs, diag bool) (*plot.Plot, error) {
	pts = thin(pts, 2000)
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, x, y
	l, err := plotter.NewLine(pts)
	if err != nil {
		return nil, err
	}
	p.Add(l, plotter.NewGrid())
	if diag {
		d, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
		if err != nil {
			return nil, err
		}
		d.Dashes = []vg.Length{vg.Points(4), vg.Points(4)}
		p.Add(d)
	}
	return p, nil
}

// thin keeps at most about k points of a curve, evenly spread, with the
// first and the last: a curve over 160,000 validation rows draws the same
// and the report stays small.
func thin(pts plotter.XYs, k int) plotter.XYs {
	if len(pts) <= k {
		return pts
	}
	step := (len(pts) + k - 1) / k
	out := make(plotter.XYs, 0, k+1)
	for i := 0; i < len(pts); i += step {
		out = append(out, pts[i])
	}
	if last := pts[len(pts)-1]; out[len(out)-1] != last {
		out = append(out, last)
	}
	return out
}

func rocPlot(p []float64, y []bool) (*plot.Plot, error) {
	s, c := append([]float64(nil), p...), append([]bool(nil), y...)
	stat.SortWeightedLabeled(s, c, nil)
	tpr, fpr, _ := stat.ROC(nil, s, c, nil)
	pts := make(plotter.XYs, len(tpr))
	for i := range tpr {
		pts[i].X, pts[i].Y = fpr[i], tpr[i]
	}
	// The area under these points is AUC's, which integrates the same.
	return line(fmt.Sprintf("ROC (AUC %.3f)", integrate.Trapezoidal(fpr, tpr)), "false positive rate", "true positive rate", pts, true)
}

func prPlot(p []float64, y []bool, r ranking) (*plot.Plot, error) {
	idx, pos := r.idx, r.pos
	pts := plotter.XYs{{X: 0, Y: 1}}
	tp := 0
	for k, i := range idx {
		if y[i] {
			tp++
		}
		if k+1 == len(idx) || p[idx[k+1]] != p[i] {
			pts = append(pts, plotter.XY{X: float64(tp) / float64(max(pos, 1)), Y: float64(tp) / float64(k+1)})
		}
	}
	return line(fmt.Sprintf("Precision-recall (AP %.3f)", r.averagePrecision(y)), "recall", "precision", pts, false)
}

func calibrationPlot(p []float64, y []bool) (*plot.Plot, error) {
	var pts plotter.XYs
	for _, b := range CalibrationTable(p, y) {
		if b.Count > 0 {
			pts = append(pts, plotter.XY{X: b.MeanPredicted, Y: b.Observed})
		}
	}
	pl, err := line(fmt.Sprintf("Calibration (ECE %.3f)", ECE(p, y)), "mean predicted probability", "observed rate", pts, true)
	if err != nil {
		return nil, err
	}
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return nil, err
	}
	pl.Add(sc)
	pl.X.Min, pl.X.Max, pl.Y.Min, pl.Y.Max = 0, 1, 0, 1
	return pl, nil
}

func gainPlot(y []bool, r ranking) (*plot.Plot, error) {
	pts := plotter.XYs{{X: 0, Y: 0}}
	for _, d := range r.deciles(y) {
		pts = append(pts, plotter.XY{X: float64(d.Decile) / 10, Y: float64(d.Gain)})
	}
	return line("Cumulative gain by decile", "share of leads called (best first)", "share of won deals reached", pts, true)
}

// weights lists the strongest weights: the coefficients of the design
// columns ("industry=software", "budget__missing") of a logistic model,
// each field's log-ratio spread for naive Bayes, or each input's mean
// |SHAP value| for gradient-boosted trees. At most 20.
func weights(m *predict.Model) []weight {
	var ws []weight
	if m.Logistic != nil {
		for j, d := range m.Design {
			ws = append(ws, weight{Name: d.Name, Weight: m.Logistic.Coef[j]})
		}
	}
	if nb := m.NaiveBayes; nb != nil {
		ws = make([]weight, len(m.Features))
		for k, f := range nb.Fields {
			ws[k].Name = m.Features[k].Name
			lo, hi := 0.0, 0.0
			for _, v := range f.Values {
				lo, hi = math.Min(lo, v.LogRatio), math.Max(hi, v.LogRatio)
			}
			ws[k].Weight = hi - lo
		}
	}
	if ts := m.Trees; ts != nil {
		// Mean |SHAP value| on the validation rows, with the share of the
		// split gain beside it.
		total := 0.0
		for _, g := range ts.GainImportance {
			total += g
		}
		ws = make([]weight, len(m.Features))
		for k, f := range m.Features {
			ws[k] = weight{Name: f.Name, Gain: ts.GainImportance[k] / math.Max(total, 1e-300)}
			if ts.ShapImportance != nil {
				ws[k].Weight = ts.ShapImportance[k]
			}
		}
	}
	sort.SliceStable(ws, func(a, b int) bool { return math.Abs(ws[a].Weight) > math.Abs(ws[b].Weight) })
	return ws[:min(20, len(ws))]
}

// Bar colours: a weight that raises the score, one that lowers it, and an
// importance (which has no sign).
var (
	raiseColor      = color.RGBA{R: 0x2a, G: 0x9d, B: 0x3a, A: 0xff}
	lowerColor      = color.RGBA{R: 0xc6, G: 0x3b, B: 0x2a, A: 0xff}
	importanceColor = color.RGBA{R: 0x1f, G: 0x5f, B: 0xbf, A: 0xff}
)

func weightPlot(ws []weight, trees bool) (*plot.Plot, error) {
	pos, neg := make(plotter.Values, len(ws)), make(plotter.Values, len(ws))
	names := make([]string, len(ws))
	for i, w := range ws {
		j := len(ws) - 1 - i
		names[j] = w.Name
		if w.Weight >= 0 {
			pos[j] = w.Weight
		} else {
			neg[j] = w.Weight
		}
	}
	p := plot.New()
	p.Title.Text = "Strongest weights (standardised; green raises the score, red lowers it)"
	if trees {
		p.Title.Text = "Feature importance (mean |SHAP|, log-odds)"
	}
	for _, part := range []struct {
		vals plotter.Values
		c    color.Color
	}{{pos, raiseColor}, {neg, lowerColor}} {
		bars, err := plotter.NewBarChart(part.vals, vg.Points(8))
		if err != nil {
			return nil, err
		}
		bars.Horizontal, bars.Color, bars.LineStyle.Width = true, part.c, 0
		if trees {
			bars.Color = importanceColor
		}
		p.Add(bars)
	}
	p.NominalY(names...)
	return p, nil
}

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"f3":   func(x float64) string { return fmt.Sprintf("%.3f", x) },
	"pct":  func(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) },
	"join": func(s []string) string { return strings.Join(s, "; ") },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="generator" content="leadscore"><title>leadscore model {{.M.ID}}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.ship{background:#e7f6e7;padding:1em;border-left:6px solid #2a2}.stop{background:#fbe9e9;padding:1em;border-left:6px solid #c22}
.charts{display:flex;flex-wrap:wrap;gap:1em}.charts svg{border:1px solid #eee}
</style></head><body>
<h1>Model {{.M.ID}} ({{.M.Type}})</h1>
<p class="{{if .Ship}}ship{{else}}stop{{end}}">{{.Verdict}}</p>
<h2>Validation</h2>
<table><tr><th>metric</th><th>this model</th>{{if .Compare}}<th>previous model</th>{{end}}</tr>
<tr><td>AUC (95% CI)</td><td>{{f3 .M.Metrics.AUC}} ({{f3 .M.Metrics.AUCLow}}–{{f3 .M.Metrics.AUCHigh}})</td>{{if .Compare}}<td>{{f3 .Compare.AUC}}</td>{{end}}</tr>
<tr><td>PR-AUC (average precision)</td><td>{{f3 .M.Metrics.PRAUC}}</td>{{if .Compare}}<td>{{f3 .Compare.PRAUC}}</td>{{end}}</tr>
<tr><td>log loss</td><td>{{f3 .M.Metrics.LogLoss}}</td>{{if .Compare}}<td>{{f3 .Compare.LogLoss}}</td>{{end}}</tr>
<tr><td>Brier score</td><td>{{f3 .M.Metrics.Brier}}</td>{{if .Compare}}<td>{{f3 .Compare.Brier}}</td>{{end}}</tr>
<tr><td>KS</td><td>{{f3 .M.Metrics.KS}}</td>{{if .Compare}}<td>{{f3 .Compare.KS}}</td>{{end}}</tr>
<tr><td>ECE raw → calibrated ({{.M.Metrics.Calibration}})</td><td>{{f3 .M.Metrics.ECERaw}} → {{f3 .M.Metrics.ECE}}</td>{{if .Compare}}<td>{{f3 .Compare.ECE}}</td>{{end}}</tr>
<tr><td>training AUC</td><td>{{f3 .M.Metrics.TrainAUC}}</td>{{if .Compare}}<td></td>{{end}}</tr>
</table>
<p>Split: {{.M.Metrics.Split}}. Validation rows {{.M.Metrics.Rows}} ({{.M.Metrics.Positives}} positive, base rate {{pct .M.Metrics.BaseRate}});
training rows {{.M.Training.Rows}} ({{.M.Training.Positives}} positive){{if .M.Training.WindowStart}}, {{.M.Training.WindowStart}} to {{.M.Training.WindowEnd}}; validation from {{.M.Training.ValidStart}}{{end}}.
Label: {{.M.Label}}{{if .M.Positive}} = {{.M.Positive}}{{end}}{{with .M.Target}} (target {{.Kind}}{{if .HorizonDays}} within {{.HorizonDays}} days{{end}}){{end}}. Inputs: {{len .M.Features}} features{{if .M.Design}}, {{len .M.Design}} design columns{{end}}.
{{with .M.Training.Labels}}Counted as positive: {{.Positive}}; as negative: {{.Negative}}{{if .LeftOut}}; left out (no outcome): {{.LeftOut}}{{end}}.{{end}}
{{with .M.Training.AllowedLeaks}}<strong>Kept although each alone all but decides the label (--allow-leak): {{join .}}.</strong> {{end}}{{if .M.Training.Refit}}Once measured, the model was fitted again on the training and validation rows together ({{.M.Training.Rows}} rows); the metrics are those of the measured fit.{{end}}</p>
{{if .M.Metrics.PrecisionAt}}<h2>As a call list</h2>
<table><tr><th>first leads called</th><th>converted</th><th>lift over the base rate</th><th>lists (validation dates)</th></tr>
{{range .M.Metrics.PrecisionAt}}<tr><td>{{.K}}</td><td>{{pct .Precision}}</td><td>{{.Lift.Fixed 3}}</td><td>{{.Lists}}</td></tr>
{{end}}</table>{{end}}
{{with .M.Blend}}<p>Blend with the rules chosen on the validation rows: model weight {{.ModelWeight}} (rules scaled by {{.RulesMax}}); predict uses it unless predict.yaml sets model_weight.</p>{{end}}
<div class="charts">{{range .Charts}}{{.}}{{end}}</div>
<h2>Lift and gain by decile</h2>
<table><tr><th>decile</th><th>leads</th><th>won</th><th>lift</th><th>cumulative gain</th></tr>
{{range .M.Metrics.Deciles}}<tr><td>{{.Decile}}</td><td>{{.Rows}}</td><td>{{.Positives}}</td><td>{{.Lift.Fixed 3}}</td><td>{{.Gain.Percent}}</td></tr>
{{end}}</table>
<h2>Calibration</h2>
<table><tr><th>predicted</th><th>leads</th><th>mean predicted</th><th>observed</th></tr>
{{range .M.Metrics.CalibrationTable}}{{if .Count}}<tr><td>{{f3 .Low}}–{{f3 .High}}</td><td>{{.Count}}</td><td>{{f3 .MeanPredicted}}</td><td>{{f3 .Observed}}</td></tr>
{{end}}{{end}}</table>
{{if .M.Metrics.CalibrationCVLoss}}<p>Calibration chosen by cross-fitted log loss on the training folds:
{{range $k, $v := .M.Metrics.CalibrationCVLoss}}{{$k}} {{f3 $v}}; {{end}}</p>{{end}}
{{if .M.Trees}}<h2>Feature importance</h2>
<p>{{len .M.Trees.Trees}} trees ({{.M.Trees.Params.Leaves}} leaves at most, learning rate {{.M.Trees.Params.LearningRate}}{{if .M.Trees.Params.EarlyStoppingRounds}}, stopped early at {{.M.Trees.Params.BestIteration}} of {{.M.Trees.Params.Rounds}} rounds{{end}}).
Mean |SHAP value|: how far, on average over the validation rows (2,000 at most, evenly spread), the input moves a lead's log-odds (exact TreeSHAP); share of split gain: how much of the trees' loss reduction its splits made.</p>
<table><tr><th>feature</th><th>mean |SHAP|</th><th>share of split gain</th></tr>{{range .Top}}<tr><td>{{.Name}}</td><td>{{f3 .Weight}}</td><td>{{pct .Gain}}</td></tr>{{end}}</table>
{{else}}<h2>Strongest weights</h2>
<table><tr><th>feature</th><th>weight</th></tr>{{range .Top}}<tr><td>{{.Name}}</td><td>{{f3 .Weight}}</td></tr>{{end}}</table>{{end}}
</body></html>
`))

package predict

import (
	"cmp"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
)

// CallListPerQueue is the most leads of one queue the HTML call list
// shows, best first; the rest are in ranked.csv.
const CallListPerQueue = 1000

// WriteCallList writes the call list as one self-contained HTML page for
// sales (no network, no files beside it): a section per queue and, in it,
// per rep (and the leads no rep had room for), each lead (an open deal
// with its id and opening date) with its score,
// grade, change, kept columns, reasons and rule awards in words; at most
// CallListPerQueue leads per queue. Tables sort by a click on a column's
// header; the list filters by grade and owner, and says how many leads it
// shows. The page holds no wall-clock time.
func WriteCallList(w io.Writer, ranked []Ranked, sum Summary) error {
	type group struct {
		Name  string
		Leads []*Ranked
	}
	type queue struct {
		Name   string
		Groups []group
		Count  int
		More   int // leads beyond CallListPerQueue
	}
	var queues []queue
	at := map[string]int{}
	grades, owners := []string{}, []string{}
	for i := range ranked {
		r := &ranked[i]
		q := cmp.Or(r.Queue, "(no queue)")
		k, ok := at[q]
		if !ok {
			k = len(queues)
			at[q] = k
			queues = append(queues, queue{Name: q})
		}
		if queues[k].Count >= CallListPerQueue {
			queues[k].More++
			continue
		}
		owner := cmp.Or(r.Owner, "(no owner)")
		g := slices.IndexFunc(queues[k].Groups, func(g group) bool { return g.Name == owner })
		if g < 0 {
			g = len(queues[k].Groups)
			queues[k].Groups = append(queues[k].Groups, group{Name: owner})
		}
		queues[k].Groups[g].Leads = append(queues[k].Groups[g].Leads, r)
		queues[k].Count++
		if !slices.Contains(grades, r.Grade) {
			grades = append(grades, r.Grade)
		}
		if !slices.Contains(owners, owner) {
			owners = append(owners, owner)
		}
	}
	slices.Sort(owners)
	shown := 0
	for _, q := range queues {
		shown += q.Count
	}
	title := "Call list"
	if sum.AsOf != "" {
		title += " of " + dateOnly(sum.AsOf)
	}
	return callListTemplate.Execute(w, struct {
		Title          string
		Sum            Summary
		Queues         []queue
		Grades, Owners []string
		Total          int
	}{title, sum, queues, grades, owners, shown})
}

var callListTemplate = template.Must(template.New("calllist").Funcs(template.FuncMap{
	"pct": func(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) },
	"i32": func(p *int32) string {
		if p == nil {
			return ""
		}
		return fmt.Sprintf("%+d", *p)
	},
	"day": func(p *string) string { return dateOnly(strPtr(p)) },
	"kept": func(r *Ranked, k int) string {
		if k < len(r.Kept) {
			return r.Kept[k]
		}
		return ""
	},
	"split": func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, "; ")
	},
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="generator" content="leadscore"><title>{{.Title}}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
h1{margin:0 0 .3em}h2{margin:1.6em 0 .3em}h3{margin:1em 0 .3em;color:#555}
.bar{position:sticky;top:0;background:#fff;padding:.6em 0;border-bottom:1px solid #ddd;z-index:1}
.bar label{margin-right:1.2em}
table{border-collapse:collapse;width:100%;margin:.3em 0 1em}
td,th{border-bottom:1px solid #e4e4e4;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4;cursor:pointer;user-select:none;white-space:nowrap}
th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.g{display:inline-block;min-width:1.6em;text-align:center;border-radius:.3em;font-weight:600}
.gA{background:#d9f2d9}.gB{background:#e6eefb}.gC{background:#f4f0d9}
ul{margin:0;padding-left:1.1em}.muted{color:#777}
</style></head><body>
<h1>{{.Title}}</h1>
<p class="muted">{{.Total}} leads on this page; model {{.Sum.ModelID}}{{if .Sum.Verdict}}; <strong>{{.Sum.Verdict}}</strong>{{end}}{{range $q, $n := .Sum.Suppressed}}; {{$n}} suppressed ({{$q}}){{end}}{{range $q, $n := .Sum.Unassigned}}; {{$n}} in {{$q}} without an owner (every rep full){{end}}.</p>
<div class="bar">
<label>Grade <select id="grade"><option value="">all</option>{{range .Grades}}<option>{{.}}</option>{{end}}</select></label>
<label>Owner <select id="owner"><option value="">all</option>{{range .Owners}}<option>{{.}}</option>{{end}}</select></label>
<span id="count">{{.Total}} of {{.Total}} leads shown</span>
</div>
{{range .Queues}}<section class="queue" data-queue="{{.Name}}">
<h2>{{.Name}} <span class="muted">({{.Count}}{{if .More}}, and {{.More}} more in ranked.csv{{end}})</span></h2>
{{range .Groups}}<h3>{{.Name}}</h3>
<table><thead><tr><th data-type="n">rank</th><th>lead</th><th data-type="n">score</th><th>grade</th><th>change</th>{{range $.Sum.Kept}}<th>{{.}}</th>{{end}}<th>why</th><th>rule points</th></tr></thead>
<tbody>{{range .Leads}}<tr class="lead" data-grade="{{.Grade}}" data-owner="{{if .Owner}}{{.Owner}}{{else}}(no owner){{end}}">
<td class="n">{{.Rank}}</td><td>{{.EntityID}}{{if .DealOpened}}<div class="muted">{{with .DealID}}deal {{.}}, {{end}}opened {{day .DealOpened}}</div>{{end}}</td><td class="n">{{.Score}}</td><td><span class="g g{{.Grade}}">{{.Grade}}</span></td>
<td>{{.Change}}{{with .ScoreChange}} ({{i32 .}}){{end}}</td>{{$r := .}}{{range $k, $_ := $.Sum.Kept}}<td>{{kept $r $k}}</td>{{end}}
<td><ul>{{range split .Reasons}}<li>{{.}}</li>{{end}}</ul></td><td><ul>{{range split .RuleAwards}}<li>{{.}}</li>{{end}}</ul></td></tr>
{{end}}</tbody></table>
{{end}}</section>
{{end}}
<script>
(function () {
  var grade = document.getElementById("grade"), owner = document.getElementById("owner"), count = document.getElementById("count");
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.lead"));
  function apply() {
    var shown = 0;
    rows.forEach(function (r) {
      var ok = (!grade.value || r.dataset.grade === grade.value) && (!owner.value || r.dataset.owner === owner.value);
      r.hidden = !ok;
      if (ok) shown++;
    });
    document.querySelectorAll("table").forEach(function (t) {
      var any = t.querySelector("tr.lead:not([hidden])") !== null;
      t.hidden = !any;
      var h = t.previousElementSibling;
      if (h && h.tagName === "H3") h.hidden = !any;
    });
    document.querySelectorAll("section.queue").forEach(function (s) {
      s.hidden = s.querySelector("tr.lead:not([hidden])") === null;
    });
    count.textContent = shown + " of " + rows.length + " leads shown";
  }
  grade.addEventListener("change", apply);
  owner.addEventListener("change", apply);
  document.querySelectorAll("th").forEach(function (th) {
    th.addEventListener("click", function () {
      var table = th.closest("table"), body = table.tBodies[0], i = th.cellIndex;
      var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
      table.querySelectorAll("th").forEach(function (o) { o.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", dir);
      var num = th.dataset.type === "n", sign = dir === "ascending" ? 1 : -1;
      Array.prototype.slice.call(body.rows).sort(function (a, b) {
        var x = a.cells[i].textContent, y = b.cells[i].textContent;
        return sign * (num ? parseFloat(x) - parseFloat(y) : x.localeCompare(y));
      }).forEach(function (r) { body.appendChild(r); });
    });
  });
})();
</script>
</body></html>
`))

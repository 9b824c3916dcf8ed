package predict

import (
	"fmt"
	"leadscore/features"
	"math"
	"slices"
	"strings"
)

// assignGrades grades ranked leads: by score thresholds, or, when the first
// grade has a capacity, by rank.
func assignGrades(out []Ranked, grades []Grade) {
	if len(grades) > 0 && grades[0].Share > 0 {
		// A share becomes a capacity on this list; a grade holds at least
		// one lead when its share is set.
		by := slices.Clone(grades)
		for k := range by {
			if by[k].Share > 0 {
				by[k].Capacity = max(1, int(math.Round(by[k].Share*float64(len(out)))))
			}
		}
		grades = by
	}
	if len(grades) > 0 && grades[0].Capacity > 0 {
		g, used := 0, 0
		for i := range out {
			for g < len(grades)-1 && used >= grades[g].Capacity {
				g, used = g+1, 0
			}
			out[i].Grade, out[i].Queue = grades[g].Name, grades[g].Queue
			used++
		}
		return
	}
	for i := range out {
		for _, g := range grades {
			if int(out[i].Score) >= g.MinScore {
				out[i].Grade, out[i].Queue = g.Name, g.Queue
				break
			}
		}
	}
}

// routeQueues moves leads from their grade's queue: to RecordQueue when
// their data quality is below minDQ, else to the first queue rule that
// takes them.
func routeQueues(out []Ranked, t *features.Table, rules []QueueRule, minDQ float64) {
	for i := range out {
		r := &out[i]
		if minDQ > 0 && r.DataQuality != nil && *r.DataQuality < minDQ {
			r.Queue = RecordQueue
			continue
		}
		for _, q := range rules {
			if (len(q.Grades) == 0 || slices.Contains(q.Grades, r.Grade)) && q.When.Holds(t, r.row) {
				r.Queue = q.Name
				break
			}
		}
	}
}

// assignOwners deals each queue's leads to its reps and returns, per
// queue, the leads left without an owner because every rep was full.
// Leads are taken best first. A lead whose previous owner (prev, by the
// lead's key: an open deal keeps its own owner) serves
// its queue keeps that owner while the owner has room (MaxLeads); the
// others are dealt by smooth weighted round-robin among the reps with
// room (each turn every such rep gains its weight; the one with the most
// takes the lead and pays the total), so a rep of weight 2 gets twice the
// new leads of a rep of weight 1, interleaved. Ties go to the earlier rep.
func assignOwners(out []Ranked, reps map[string][]Rep, prev map[string]string) map[string]int {
	held := map[string][]int{} // leads per rep, by queue
	room := func(q string, k int) bool {
		max := reps[q][k].MaxLeads
		return max <= 0 || held[q][k] < max
	}
	for q, rs := range reps {
		held[q] = make([]int, len(rs))
	}
	// Leads that keep their owner go first, so that new leads never take
	// the room a returning lead's owner needs.
	dealt := make([]bool, len(out))
	for i := range out {
		rs := reps[out[i].Queue]
		owner, ok := byKey(prev, &out[i])
		if !ok || len(rs) == 0 {
			continue
		}
		if k := slices.IndexFunc(rs, func(r Rep) bool { return r.Name == owner }); k >= 0 && room(out[i].Queue, k) {
			out[i].Owner, dealt[i] = owner, true
			held[out[i].Queue][k]++
		}
	}
	current := map[string][]int{}
	unassigned := map[string]int{}
	for i := range out {
		q := out[i].Queue
		rs := reps[q]
		if dealt[i] || len(rs) == 0 {
			continue
		}
		cur, ok := current[q]
		if !ok {
			cur = make([]int, len(rs))
			current[q] = cur
		}
		total, best := 0, -1
		for k, r := range rs {
			if !room(q, k) {
				continue
			}
			cur[k] += r.weight()
			total += r.weight()
			if best < 0 || cur[k] > cur[best] {
				best = k
			}
		}
		if best < 0 {
			unassigned[q]++
			continue
		}
		cur[best] -= total
		out[i].Owner = rs[best].Name
		held[q][best]++
	}
	return unassigned
}

// A score change of at least changeStep points up or down is a change
// worth showing; a drop of dropDetail points or more lists the rule
// awards that lapsed.
const (
	changeStep = 5
	dropDetail = 15
)

// markChanges compares the list with the previous run's: previous score
// and grade, the change in score, and a word for it: "new", "newly A",
// "left A", "up", "down" (by changeStep points or more), "" otherwise. A
// large drop names the rule awards that lapsed since. Leads are matched
// by key: a contact, or an open deal of an account.
func markChanges(out []Ranked, prev []Ranked) {
	if prev == nil {
		return
	}
	before := make(map[string]*Ranked, len(prev))
	for i := range prev {
		before[prev[i].key()] = &prev[i]
	}
	for i := range out {
		r := &out[i]
		p, ok := byKey(before, r)
		if !ok {
			r.Change = "new"
			continue
		}
		ps, pg, d := p.Score, p.Grade, r.Score-p.Score
		r.PreviousScore, r.PreviousGrade, r.ScoreChange = &ps, &pg, &d
		switch {
		case r.Grade == "A" && pg != "A":
			r.Change = "newly A"
		case pg == "A" && r.Grade != "A":
			r.Change = "left A"
		case d >= changeStep:
			r.Change = "up"
		case d <= -changeStep:
			r.Change = "down"
		}
		if d <= -dropDetail {
			if lapsed := lapsedAwards(p.RuleAwards, r.RuleAwards); lapsed != "" {
				r.Change += "; lapsed: " + lapsed
			}
		}
	}
}

// lapsedAwards lists the awards of the previous text that the current
// one no longer holds.
func lapsedAwards(before, now string) string {
	if before == "" {
		return ""
	}
	have := map[string]bool{}
	for _, a := range strings.Split(now, "; ") {
		have[a] = true
	}
	var gone []string
	for _, a := range strings.Split(before, "; ") {
		if !have[a] {
			gone = append(gone, a)
		}
	}
	return strings.Join(gone, "; ")
}

// movedInputs names, for each lead whose score dropped by dropDetail
// points or more, the two inputs whose contribution fell most since the
// previous run, with their values then and now: "last request for
// quotation 95 days ago (was 10 days ago)". prev is the previous run's
// scoring table; a table the model cannot read (a model trained since,
// on other features) names nothing.
func movedInputs(enc *Encoder, m *Model, prev *features.Table, out []Ranked) {
	if prev == nil {
		return
	}
	before, err := NewEncoder(m, prev)
	if err != nil {
		return
	}
	keys := tableKeys(prev)
	if keys == nil {
		return
	}
	rowOf := make(map[string]int, len(keys))
	for i, k := range keys {
		rowOf[k] = i
	}
	p := len(m.Features)
	now, then := enc.Clone(), before.Clone()
	cNow, cThen := make([]float64, p), make([]float64, p)
	logit := make([]float64, 1)
	for i := range out {
		r := &out[i]
		j, ok := byKey(rowOf, r)
		if !ok || r.ScoreChange == nil || *r.ScoreChange > -dropDetail {
			continue
		}
		now.ExplainRows([]int{r.row}, logit, cNow)
		then.ExplainRows([]int{j}, logit, cThen)
		var moved []string
		d := deltas(cNow, cThen)
		for n := 0; n < 2; n++ {
			k := -1
			for f := range d {
				if d[f] < -0.005 && (k < 0 || d[f] < d[k]) {
					k = f
				}
			}
			if k < 0 {
				break
			}
			f := &m.Features[k]
			moved = append(moved, fmt.Sprintf("%s (was %s)", Describe(f, now.cols[k], r.row), Describe(f, then.cols[k], j)))
			d[k] = 0
		}
		if len(moved) > 0 {
			r.Change += "; moved: " + strings.Join(moved, "; ")
		}
	}
}

// deltas returns now − then, element by element.
func deltas(now, then []float64) []float64 {
	d := make([]float64, len(now))
	for k := range d {
		d[k] = now[k] - then[k]
	}
	return d
}

package predict

import (
	"math"
	"slices"
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

// assignOwners deals each queue's leads, best first, to its reps by smooth
// weighted round-robin (each turn every rep gains its capacity; the rep
// with the most takes the lead and pays the total), so a rep with twice the
// capacity gets twice the leads, interleaved. Ties go to the earlier rep.
func assignOwners(out []Ranked, reps map[string][]Rep) {
	current := map[string][]int{}
	for i := range out {
		rs := reps[out[i].Queue]
		if len(rs) == 0 {
			continue
		}
		cur, ok := current[out[i].Queue]
		if !ok {
			cur = make([]int, len(rs))
			current[out[i].Queue] = cur
		}
		total, best := 0, 0
		for k, r := range rs {
			cur[k] += r.Capacity
			total += r.Capacity
			if cur[k] > cur[best] {
				best = k
			}
		}
		cur[best] -= total
		out[i].Owner = rs[best].Name
	}
}

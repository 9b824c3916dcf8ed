package predict

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"leadscore/features"
)

func num(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	return strconv.FormatFloat(x, 'f', 1, 64)
}

// Describe says in words what value feature f takes in row i of column c.
// A generated feature speaks from its descriptor (what it aggregates, of
// which event type, over which window, with the type's words); any other
// input says its name and value.
func Describe(f *Feature, c *features.Column, i int) string {
	readable := strings.ReplaceAll(f.Name, "_", " ")
	if f.Kind == Categorical {
		if c.IsNull(i) {
			return readable + " unknown"
		}
		return fmt.Sprintf("%s: %s", readable, c.Text(i))
	}
	x := numeric(c, i)
	d := f.Desc
	if d == nil {
		if math.IsNaN(x) {
			return readable + " unknown"
		}
		return fmt.Sprintf("%s = %s", readable, num(x))
	}
	if math.IsNaN(x) {
		if d.Agg == features.AggDaysSince {
			return "no " + d.Noun + " yet"
		}
		return readable + " unknown"
	}
	w := strconv.Itoa(d.WindowDays)
	switch {
	case d.Type == "" && d.Agg == features.AggCount && d.WindowDays == 0:
		return num(x) + " interactions in total"
	case d.Type == "" && d.Agg == features.AggCount:
		return fmt.Sprintf("%s interactions in the last %s days", num(x), w)
	case d.Agg == features.AggTenure:
		return "first seen " + num(math.Floor(x)) + " days ago"
	case d.Type == "" && d.Agg == features.AggDistinctDays:
		return "active on " + num(x) + " days in the last " + w + " days"
	case d.Agg == features.AggDataQuality:
		return fmt.Sprintf("profile %.0f%% complete", 100*x)
	case d.Agg == features.AggCount:
		return fmt.Sprintf("%s %s× in the last %s days", d.Phrase, num(x), w)
	case d.Agg == features.AggSum:
		return fmt.Sprintf("%s value %s in the last %s days", d.Noun, num(x), w)
	case d.Agg == features.AggDaysSince:
		return fmt.Sprintf("last %s %s days ago", d.Noun, num(math.Floor(x)))
	case d.Agg == features.AggTrend:
		dir := "steady"
		if x > 0 {
			dir = "rising"
		} else if x < 0 {
			dir = "falling"
		}
		return fmt.Sprintf("%s activity %s (last 30 days vs the 30 before)", d.Noun, dir)
	}
	return fmt.Sprintf("%s = %s", readable, num(x))
}

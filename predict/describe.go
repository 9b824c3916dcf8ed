package predict

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"leadscore/features"
)

// num formats a value for people: whole numbers as they are, others with
// one decimal, thousands separated from 10,000 on.
func num(x float64) string {
	prec := 1
	if x == math.Trunc(x) {
		prec = 0
	}
	s := strconv.FormatFloat(math.Abs(x), 'f', prec, 64)
	if math.Abs(x) >= 10000 && math.Abs(x) < 1e15 {
		whole, frac, _ := strings.Cut(s, ".")
		var b strings.Builder
		for i, c := range whole {
			if i > 0 && (len(whole)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(c)
		}
		if frac != "" {
			b.WriteString("." + frac)
		}
		s = b.String()
	}
	if x < 0 {
		s = "-" + s
	}
	return s
}

// times says how often: "once", "twice", "3 times".
func times(x float64) string {
	switch x {
	case 1:
		return "once"
	case 2:
		return "twice"
	}
	return num(x) + " times"
}

// ago says how long ago, in whole days: "today", "yesterday", "12 days ago".
func ago(days float64) string {
	switch d := math.Floor(days); {
	case d <= 0:
		return "today"
	case d == 1:
		return "yesterday"
	default:
		return num(d) + " days ago"
	}
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
	if date, ref, ok := features.SplitDateAge(f.Name); d == nil && ok {
		// A date's age before the row's time (features.AddDateAges); ts
		// is a feature table's as-of date.
		date = strings.ReplaceAll(date, "_", " ")
		switch {
		case math.IsNaN(x):
			return date + " unknown"
		case ref == "ts" && x >= 0:
			return date + " " + ago(x)
		case x >= 0:
			return fmt.Sprintf("%s %s days before %s", date, num(math.Floor(x)), strings.ReplaceAll(ref, "_", " "))
		case ref == "ts":
			ref = "the list's date"
		}
		return fmt.Sprintf("%s %s days after %s", date, num(math.Ceil(-x)), strings.ReplaceAll(ref, "_", " "))
	}
	if d == nil {
		if math.IsNaN(x) {
			return readable + " unknown"
		}
		return fmt.Sprintf("%s = %s", readable, num(x))
	}
	if math.IsNaN(x) {
		switch d.Agg {
		case features.AggDaysSince:
			return "no " + d.Noun + " yet"
		case features.AggMean, features.AggMax:
			return "no " + features.Plural(d.Noun) + " in the last " + strconv.Itoa(d.WindowDays) + " days"
		}
		return readable + " unknown"
	}
	in := " in the last " + strconv.Itoa(d.WindowDays) + " days"
	plural := features.Plural(d.Noun)
	// A type without its own words has the phrase "<type> events": it is
	// counted, not told as a deed.
	counted := d.Phrase == d.Noun+" events"
	switch d.Agg {
	case features.AggCount:
		switch {
		case d.Type == "" && d.WindowDays == 0:
			return interactions(x) + " in total"
		case d.Type == "":
			return interactions(x) + in
		case x == 0:
			return "no " + plural + in
		case counted && x == 1:
			return "1 " + d.Noun + " event" + in
		case counted:
			return num(x) + " " + d.Phrase + in
		}
		return d.Phrase + " " + times(x) + in
	case features.AggDistinctDays:
		switch {
		case x == 0 && d.Type == "":
			return "no activity" + in
		case x == 0:
			return "no " + plural + in
		case d.Type == "":
			return "active on " + days(x) + in
		}
		return d.Phrase + " on " + days(x) + in
	case features.AggSum:
		if x == 0 {
			return "no " + d.Noun + " value" + in
		}
		return plural + " worth " + num(x) + in
	case features.AggMean:
		return "average " + d.Noun + " value " + num(x) + in
	case features.AggMax:
		return "largest " + d.Noun + " value " + num(x) + in
	case features.AggDaysSince:
		return "last " + d.Noun + " " + ago(x)
	case features.AggTenure:
		return "first seen " + ago(x)
	case features.AggDataQuality:
		return fmt.Sprintf("profile %.0f%% complete", 100*x)
	case features.AggTrend:
		dir := "steady"
		if x > 0 {
			dir = "rising"
		} else if x < 0 {
			dir = "falling"
		}
		return fmt.Sprintf("%s activity %s (last 30 days vs the 30 before)", d.Noun, dir)
	case features.AggAttribute:
		return readable + ": " + num(x)
	}
	return fmt.Sprintf("%s = %s", readable, num(x))
}

// interactions counts events of every type: "no interactions",
// "1 interaction", "12 interactions".
func interactions(x float64) string {
	switch x {
	case 0:
		return "no interactions"
	case 1:
		return "1 interaction"
	}
	return num(x) + " interactions"
}

// days counts days: "1 day", "4 days".
func days(x float64) string {
	if x == 1 {
		return "1 day"
	}
	return num(x) + " days"
}

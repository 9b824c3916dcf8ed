package predict

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"leadscore/features"
)

// eventPhrases say what an entity did, for the event types of the data
// contract; other types read "<type> events".
var eventPhrases = map[string]string{
	"page_view":         "viewed pages",
	"email_open":        "opened emails",
	"email_click":       "clicked email links",
	"form_submit":       "submitted forms",
	"webinar":           "attended webinars",
	"catalog_download":  "downloaded the catalog",
	"newsletter_signup": "signed up for the newsletter",
	"rfq":               "sent requests for quotation",
	"order":             "ordered",
	"complaint":         "complained",
	"unsubscribe":       "unsubscribed",
	"discount":          "got discounts",
}

var eventNouns = map[string]string{
	"page_view": "page view", "email_open": "email open", "email_click": "email click", "form_submit": "form",
	"webinar": "webinar", "catalog_download": "catalog download", "newsletter_signup": "newsletter sign-up",
	"rfq": "request for quotation", "order": "order", "complaint": "complaint", "unsubscribe": "unsubscribe",
	"discount": "discount",
}

func phrase(t string, derived []features.DerivedType) string {
	for _, d := range derived {
		if d.Name == t && d.Phrase != "" {
			return d.Phrase
		}
	}
	if p, ok := eventPhrases[t]; ok {
		return p
	}
	return strings.ReplaceAll(t, "_", " ") + " events"
}

func noun(t string, derived []features.DerivedType) string {
	for _, d := range derived {
		if d.Name == t && d.Noun != "" {
			return d.Noun
		}
	}
	if p, ok := eventNouns[t]; ok {
		return p
	}
	return strings.ReplaceAll(t, "_", " ")
}

func num(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	return strconv.FormatFloat(x, 'f', 1, 64)
}

// Describe says in words what value feature f takes in row i, using the
// feature naming of the features package. Derived event types (of the
// model's feature spec) speak with their own phrase and noun.
func Describe(f *Feature, c *features.Column, i int, derived ...features.DerivedType) string {
	name := f.Name
	if f.Kind == Categorical {
		if c.IsNull(i) {
			return strings.ReplaceAll(name, "_", " ") + " unknown"
		}
		return fmt.Sprintf("%s: %s", strings.ReplaceAll(name, "_", " "), c.Text(i))
	}
	x := numeric(c, i)
	if math.IsNaN(x) {
		if t, ok := strings.CutSuffix(name, "_days_since_last"); ok {
			return "no " + noun(t, derived) + " yet"
		}
		return strings.ReplaceAll(name, "_", " ") + " unknown"
	}
	switch name {
	case "events_total":
		return num(x) + " interactions in total"
	case "tenure_days":
		return "first seen " + num(math.Floor(x)) + " days ago"
	case "active_days_30d":
		return "active on " + num(x) + " days in the last 30 days"
	case "active_days_90d":
		return "active on " + num(x) + " days in the last 90 days"
	case "data_quality":
		return fmt.Sprintf("profile %.0f%% complete", 100*x)
	}
	if t, w, ok := cutWindow(name, "_count_"); ok && t == "events" {
		return fmt.Sprintf("%s interactions in the last %s days", num(x), w)
	}
	if t, w, ok := cutWindow(name, "_count_"); ok {
		return fmt.Sprintf("%s %s× in the last %s days", phrase(t, derived), num(x), w)
	}
	if t, w, ok := cutWindow(name, "_value_sum_"); ok {
		return fmt.Sprintf("%s value %s in the last %s days", noun(t, derived), num(x), w)
	}
	if t, ok := strings.CutSuffix(name, "_days_since_last"); ok {
		return fmt.Sprintf("last %s %s days ago", noun(t, derived), num(math.Floor(x)))
	}
	if t, ok := strings.CutSuffix(name, "_trend"); ok {
		dir := "steady"
		if x > 0 {
			dir = "rising"
		} else if x < 0 {
			dir = "falling"
		}
		return fmt.Sprintf("%s %s (last 30 days vs the 30 before)", noun(t, derived)+" activity", dir)
	}
	return fmt.Sprintf("%s = %s", strings.ReplaceAll(name, "_", " "), num(x))
}

// cutWindow splits "rfq_count_30d" into ("rfq", "30").
func cutWindow(name, infix string) (string, string, bool) {
	i := strings.LastIndex(name, infix)
	if i <= 0 || !strings.HasSuffix(name, "d") {
		return "", "", false
	}
	w := name[i+len(infix) : len(name)-1]
	if _, err := strconv.Atoi(w); err != nil {
		return "", "", false
	}
	return name[:i], w, true
}

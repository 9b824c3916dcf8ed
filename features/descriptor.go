package features

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Agg names what a generated feature column measures.
type Agg string

// Aggregations. The per-window ones take a Descriptor.WindowDays; Type ""
// means events of every type.
const (
	AggCount        Agg = "count"         // events in the window (all time: WindowDays 0)
	AggSum          Agg = "sum"           // the sum of their values
	AggMean         Agg = "mean"          // the mean of their values
	AggMax          Agg = "max"           // the largest value
	AggDistinctDays Agg = "distinct_days" // UTC dates with an event in the window
	AggDaysSince    Agg = "days_since"    // days since the latest event
	AggTrend        Agg = "trend"         // last 30 days against the 30 before
	AggTenure       Agg = "tenure"        // days since the first event
	AggAttribute    Agg = "attribute"     // an entity attribute, as it is
	AggDataQuality  Agg = "data_quality"  // the share of attributes present
)

// Descriptor says what a generated feature column is, so that reasons can
// be worded without parsing column names: an aggregation of one event type
// (or of all events) over a window, or an entity attribute. Build records
// one per feature column in the table's metadata (Table.Descriptors), and
// a model keeps those of its inputs.
type Descriptor struct {
	Agg        Agg    `json:"agg"`
	Type       string `json:"type,omitempty"`
	WindowDays int    `json:"window_days,omitempty"`
	// Phrase says what the entity did, Noun names one event of the type:
	// "visited the pricing page", "pricing-page visit".
	Phrase string `json:"phrase,omitempty"`
	Noun   string `json:"noun,omitempty"`
}

// Descriptors returns the descriptors Build recorded, by column name; nil
// for a table without them (a flat table read from a file).
func (t *Table) Descriptors() (map[string]Descriptor, error) {
	raw, ok := t.Meta[MetaFeatures]
	if !ok {
		return nil, nil
	}
	var m map[string]Descriptor
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, fmt.Errorf("features: metadata %s: %w", MetaFeatures, err)
	}
	return m, nil
}

// typeWords are the words for the data contract's event types; a type not
// listed reads "<type> events" and "<type>".
var typeWords = map[string][2]string{
	"page_view":         {"viewed pages", "page view"},
	"email_open":        {"opened emails", "email open"},
	"email_click":       {"clicked email links", "email click"},
	"form_submit":       {"submitted forms", "form"},
	"webinar":           {"attended webinars", "webinar"},
	"catalog_download":  {"downloaded the catalog", "catalog download"},
	"newsletter_signup": {"signed up for the newsletter", "newsletter sign-up"},
	"rfq":               {"sent requests for quotation", "request for quotation"},
	"order":             {"ordered", "order"},
	"complaint":         {"complained", "complaint"},
	"unsubscribe":       {"unsubscribed", "unsubscribe"},
	"discount":          {"got discounts", "discount"},
}

// wordsFor returns the phrase and noun of an event type: a derived type's
// own, the data contract's, or made from the name.
func (s Spec) wordsFor(typ string) (phrase, noun string) {
	for _, d := range s.Derived {
		if d.Name == typ {
			phrase, noun = d.Phrase, d.Noun
		}
	}
	w, ok := typeWords[typ]
	readable := strings.ReplaceAll(typ, "_", " ")
	if phrase == "" {
		phrase = readable + " events"
		if ok {
			phrase = w[0]
		}
	}
	if noun == "" {
		noun = readable
		if ok {
			noun = w[1]
		}
	}
	return phrase, noun
}

// Plural returns the plural of an event noun: "requests for quotation",
// "catalog downloads", "newsletter sign-ups", "big order events".
func Plural(noun string) string {
	for _, sep := range []string{" for ", " of "} {
		if head, rest, ok := strings.Cut(noun, sep); ok {
			return Plural(head) + sep + rest
		}
	}
	switch {
	case noun == "":
		return noun
	case strings.HasSuffix(noun, "s"), strings.HasSuffix(noun, "x"), strings.HasSuffix(noun, "ch"), strings.HasSuffix(noun, "sh"):
		return noun + "es"
	case strings.HasSuffix(noun, "y") && len(noun) > 1 && !strings.ContainsRune("aeiou", rune(noun[len(noun)-2])):
		return noun[:len(noun)-1] + "ies"
	}
	return noun + "s"
}

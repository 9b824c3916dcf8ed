package features_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"leadscore/features"
)

// ExampleBuild computes features as of 1 July 2024 from four events and
// the default rules: the RFQ on 20 June is 11 days old and earns 15
// points for three months.
func ExampleBuild() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	events := filepath.Join(dir, "events.csv")
	os.WriteFile(events, []byte(`entity_id,ts,type,value
a,2024-06-20 09:00,rfq,
a,2024-06-28,page_view,
a,2024-07-02,order,500
b,2024-03-01,order,12000
`), 0o644)
	t, err := features.Build(context.Background(), features.Config{
		Events: features.Source{Path: events},
		AsOf:   time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC),
		Rules:  features.DefaultRules(),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, id := range t.Column("entity_id").Str {
		fmt.Printf("%s: events_total=%v rfq_count_30d=%v rfq_days_since_last=%.3g order_value_sum_365d=%v rule_points=%v\n", id,
			t.Column("events_total").Float[i], t.Column("rfq_count_30d").Float[i], t.Column("rfq_days_since_last").Float[i],
			t.Column("order_value_sum_365d").Float[i], t.Column("rule_points").Float[i])
	}
	// Output:
	// a: events_total=2 rfq_count_30d=1 rfq_days_since_last=10.6 order_value_sum_365d=0 rule_points=15
	// b: events_total=1 rfq_count_30d=0 rfq_days_since_last=NaN order_value_sum_365d=12000 rule_points=50
}

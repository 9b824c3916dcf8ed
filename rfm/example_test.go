package rfm_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"leadscore/features"
	"leadscore/rfm"
)

// ExampleCompute assesses three customers from their orders as of 1 July
// 2024: recency and frequency in weeks, the segment and the churn flag.
func ExampleCompute() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	orders := filepath.Join(dir, "orders.csv")
	f, _ := os.Create(orders)
	fmt.Fprintln(f, "entity_id,ts,amount")
	// Regulars buy every two weeks; a lapsed customer stopped in January.
	for w := 0; w < 52; w += 2 {
		d := time.Date(2023, 7, 3, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*w)
		fmt.Fprintf(f, "regular,%s,%d\n", d.Format(time.DateOnly), 100+w)
		if w < 28 {
			fmt.Fprintf(f, "lapsed,%s,80\n", d.AddDate(0, 0, 3).Format(time.DateOnly))
		}
	}
	fmt.Fprintln(f, "newcomer,2024-06-20,50")
	for i := range 40 { // a crowd of one-time buyers, for the fit
		fmt.Fprintf(f, "c%02d,2024-%02d-15,%d\n", i, 1+i%6, 20+i)
	}
	f.Close()
	res, err := rfm.Compute(context.Background(), rfm.Config{Orders: features.Source{Path: orders}, AsOf: time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range res.Customers {
		if c.EntityID == "regular" || c.EntityID == "lapsed" || c.EntityID == "newcomer" {
			fmt.Printf("%s: recency %.1f weeks, %d purchases, %s, churn risk %v\n", c.EntityID, c.Recency, c.Frequency, c.Segment, c.ChurnRisk)
		}
	}
	// Output:
	// lapsed: recency 25.6 weeks, 14 purchases, Can't Lose Them, churn risk true
	// newcomer: recency 1.6 weeks, 1 purchases, New Customers, churn risk false
	// regular: recency 2.0 weeks, 26 purchases, Champions, churn risk false
}

package rfm

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"leadscore/features"
)

// TestOnlineRetail runs the UCI Online Retail file end to end: bare-CR line
// ends, Windows-1252 text, US dates with two-digit years, price × quantity
// order lines, cancellations as negative quantities, and rows without a
// customer. It needs ../shared/data and is skipped without it.
func TestOnlineRetail(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "data", "uci_online_retail", "online_retail_II.csv")
	if _, err := os.Stat(path); err != nil {
		t.Skip("../shared/data/uci_online_retail is absent")
	}
	// InvoiceDate as SOURCE.md writes its form (and README's command).
	layout, err := features.TimeLayout("M/D/YY H:MM")
	if err != nil {
		t.Fatal(err)
	}
	src := features.Source{Path: path, CSV: features.CSVOptions{Encoding: "cp1252"}, TimeLayout: layout,
		Columns: map[string]string{"entity_id": "Customer ID", "ts": "InvoiceDate", "amount": "Price", "quantity": "Quantity"}}
	bad := &features.BadRows{Max: 200000}
	res, err := Compute(context.Background(), Config{Orders: src, AsOf: time.Date(2011, 12, 10, 0, 0, 0, 0, time.UTC), Unit: "day", BadRows: bad})
	if err != nil {
		t.Fatal(err)
	}
	st := res.Stats
	// SOURCE.md: 541,910 rows, 135,080 without a customer; 4,372 customers
	// in all, of whom 4,338 have a clean purchase (price and quantity > 0).
	if st.RowsRead != 541910 || st.BadRows != 135080 {
		t.Errorf("rows %d, bad %d; want 541,910 and 135,080", st.RowsRead, st.BadRows)
	}
	// Customers here also count purchase occasions of zero value (free
	// items), which the clean count leaves out.
	if st.Customers < 4338 || st.Customers > 4372 {
		t.Errorf("%d customers, want between 4,338 and 4,372", st.Customers)
	}
	if st.Returns == 0 || st.Returns+st.Orders+st.ZeroAmount < 406000 {
		t.Errorf("stats %+v", st)
	}
	// The figures README quotes.
	if st.Customers != 4339 || st.Returns != 8905 {
		t.Errorf("%d customers and %d returns; README says 4,339 and 8,905", st.Customers, st.Returns)
	}
	if res.Model.WindowStart != "2010-12-01" || !res.Model.GammaGammaFitted {
		t.Errorf("model %+v", res.Model)
	}
}

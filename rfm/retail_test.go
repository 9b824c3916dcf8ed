package rfm

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"leadscore/features"
)

// onlineRetail is how README's command reads UCI Online Retail's invoice
// lines as orders (InvoiceDate in the form its SOURCE.md gives), skipping
// the test without ../shared/data.
func onlineRetail(t *testing.T) features.Source {
	t.Helper()
	path := filepath.Join("..", "..", "shared", "data", "uci_online_retail", "online_retail_II.csv")
	if _, err := os.Stat(path); err != nil {
		t.Skip("../shared/data/uci_online_retail is absent")
	}
	layout, err := features.TimeLayout("M/D/YY H:MM")
	if err != nil {
		t.Fatal(err)
	}
	return features.Source{Path: path, CSV: features.CSVOptions{Encoding: "cp1252"}, TimeLayout: layout,
		Columns: map[string]string{"entity_id": "Customer ID", "ts": "InvoiceDate", "amount": "Price", "quantity": "Quantity"}}
}

// TestOnlineRetail runs the UCI Online Retail file end to end: bare-CR line
// ends, Windows-1252 text, US dates with two-digit years, price × quantity
// order lines, cancellations as negative quantities, and rows without a
// customer. It needs ../shared/data and is skipped without it.
func TestOnlineRetail(t *testing.T) {
	src := onlineRetail(t)
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

// TestCDNOWMaster reads CDNOW's raw transaction log as lifetimes ships it
// (columns aligned with spaces, CRLF, YYYYMMDD dates) and fits BG/NBD on
// the calibration period of Fader, Hardie & Lee (2005), in weeks, over all
// 23,570 customers. The reference is scripts/bgnbd_reference.py: pandas
// reads the log, scipy maximises the same likelihood.
func TestCDNOWMaster(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "data", "cdnow", "CDNOW_master.txt")
	if _, err := os.Stat(path); err != nil {
		t.Skip("../shared/data/cdnow is absent")
	}
	layout, err := features.TimeLayout("yyyymmdd")
	if err != nil {
		t.Fatal(err)
	}
	src := features.Source{Path: path, CSV: features.CSVOptions{Sep: ' '}, TimeLayout: layout,
		Columns: map[string]string{"entity_id": "customer_id", "ts": "date", "amount": "dollar_value"}}
	res, err := Compute(context.Background(), Config{Orders: src, ObservationEnd: time.Date(1997, 9, 30, 0, 0, 0, 0, time.UTC), Unit: "week"})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Model
	if res.Stats.RowsRead != 69659 || m.Customers != 23570 || m.RepeatBuyers != 9451 {
		t.Errorf("%d rows, %d customers, %d repeat buyers; want 69,659, 23,570, 9,451", res.Stats.RowsRead, m.Customers, m.RepeatBuyers)
	}
	// scipy's maximum.
	for _, p := range []struct {
		name      string
		got, want float64
	}{{"r", m.R, 0.2516239648826254}, {"alpha", m.Alpha, 4.78894311963843}, {"a", m.A, 0.7234335255390113}, {"b", m.B, 2.1610882575724735}} {
		if math.Abs(p.got-p.want) > 1e-4*p.want {
			t.Errorf("%s = %.6f, scipy %.6f", p.name, p.got, p.want)
		}
	}
	if ll := m.LogLikelihood; math.Abs(ll-(-95368.44393316074)) > 1e-3 {
		t.Errorf("log-likelihood %.4f, scipy -95368.4439", ll)
	}
}

// TestOnlineRetailBGNBD fits BG/NBD on UCI Online Retail's lines up to
// 2011-08-31, in weeks, where the maximum lies on the boundary: almost no
// customer drops out (a → 0), so a and b are not identified, only their
// ratio. The reference is scripts/bgnbd_reference.py --retail (pandas and
// scipy): 3,317 customers, 1,890 repeat buyers, r 0.722681, alpha 9.423657,
// log-likelihood -21758.0208, a/(a+b) 4e-7.
func TestOnlineRetailBGNBD(t *testing.T) {
	src := onlineRetail(t)
	res, err := Compute(context.Background(), Config{Orders: src, ObservationEnd: time.Date(2011, 8, 31, 0, 0, 0, 0, time.UTC), Unit: "week",
		BadRows: &features.BadRows{Max: 200000}})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Model
	if m.Customers != 3317 || m.RepeatBuyers != 1890 {
		t.Errorf("%d customers, %d repeat buyers; want 3,317 and 1,890", m.Customers, m.RepeatBuyers)
	}
	if math.Abs(m.R-0.722681) > 1e-4*0.722681 || math.Abs(m.Alpha-9.423657) > 1e-4*9.423657 {
		t.Errorf("r %.6f, alpha %.6f; scipy 0.722681, 9.423657", m.R, m.Alpha)
	}
	if math.Abs(m.LogLikelihood-(-21758.0208)) > 1e-2 || m.A/(m.A+m.B) > 1e-5 {
		t.Errorf("log-likelihood %.4f, a %.3g, b %.3g; scipy -21758.0208 with a/(a+b) near 0", m.LogLikelihood, m.A, m.B)
	}
}
